// Helpers shared by the unit tests. Test data is found through the environment meson
// sets for each test (test/meson.build), never through the current directory.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace pixi_install::test {

/// A directory named by environment variable `var`; a test run without it (not through
/// `meson test`) stops with a message instead of reading whatever the current directory has.
inline std::filesystem::path dir_from_env(const char* var) {
    const char* p = std::getenv(var);
    if (!p || !*p) {
        std::fprintf(stderr, "%s is not set: run the tests with `meson test -C BUILD_DIR`\n", var);
        std::exit(2);
    }
    return std::filesystem::path(p);
}

/// The project's source root (PIXI_INSTALL_SOURCE).
inline std::filesystem::path source_dir() { return dir_from_env("PIXI_INSTALL_SOURCE"); }

/// The project's fixtures/ directory (PIXI_INSTALL_FIXTURES).
inline std::filesystem::path fixtures_dir() { return dir_from_env("PIXI_INSTALL_FIXTURES"); }

/// The real-world corpus a corpus test reads (PIXI_INSTALL_CORPUS): fixtures/corpus, the
/// sample kept in the project, or the full corpus for the `corpus-full` suite.
inline std::filesystem::path corpus_dir() { return dir_from_env("PIXI_INSTALL_CORPUS"); }

/// The first column of a SOURCES.tsv provenance file (the header line left out): the
/// file names the corpus says it holds, to compare with what is there.
inline std::set<std::string> listed_in(const std::filesystem::path& tsv) {
    std::set<std::string> out;
    std::ifstream in(tsv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line))
        if (!line.empty()) out.insert(line.substr(0, line.find('\t')));
    return out;
}

/// The built pixi-install binary (PIXI_INSTALL_BIN).
inline std::string binary() {
    const char* p = std::getenv("PIXI_INSTALL_BIN");
    return p ? p : "pixi-install";
}

}  // namespace pixi_install::test
