// Test helpers: the generated hostile/benign archives and directory-tree snapshots.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "support.hpp"

namespace pixi_install::test {

/// Runs fixtures/archives/make_evil.py once per process into a fresh temporary
/// directory and returns it (empty path when generation failed).
inline const std::filesystem::path& generated_archives() {
    static std::once_flag once;
    static std::filesystem::path dir;
    std::call_once(once, [] {
        namespace fs = std::filesystem;
        std::string templ = (fs::temp_directory_path() / "pi-archives-XXXXXX").string();
        if (!::mkdtemp(templ.data())) return;
        fs::path script = fixtures_dir() / "archives" / "make_evil.py";
        std::string cmd = "python3 '" + script.string() + "' '" + templ + "'";
        if (std::system(cmd.c_str()) == 0) dir = templ;
    });
    return dir;
}

/// One line per path below `root` (sorted, no following of symlinks):
/// type, permission bits, and the content (files) or target (symlinks).
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::string rel = p.lexically_relative(root).generic_string();
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) continue;
        std::ostringstream line;
        line << std::oct << (st.st_mode & 07777) << std::dec;
        if (S_ISLNK(st.st_mode)) {
            line << " link " << fs::read_symlink(p, ec).string();
        } else if (S_ISDIR(st.st_mode)) {
            line << " dir";
        } else if (S_ISREG(st.st_mode)) {
            std::ifstream in(p, std::ios::binary);
            std::ostringstream content;
            content << in.rdbuf();
            line << " file " << content.str();
        } else {
            line << " other";
        }
        out[rel] = line.str();
    }
    return out;
}

/// Number of entries directly in `dir` (0 when missing).
inline std::size_t count_entries(const std::filesystem::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
}

}  // namespace pixi_install::test
