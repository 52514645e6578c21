// Hostile lock files: seeded random corruptions of real corpus locks and
// pathological shapes (huge scalars, long lists, wrong types everywhere). Each
// must end in a model or an ErrorKind::lockfile error naming the file, and
// select() on what parsed must not crash either.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "support.hpp"

using namespace pixi_install;

namespace {

void parse_and_select(const std::string& text, std::size_t* accepted) {
    auto lock = lockfile::parse_lockfile(text, "corrupt.lock", "/nonexistent");
    if (!lock.ok()) {
        CHECK(lock.error().kind == base::ErrorKind::lockfile);
        CHECK(lock.error().message.find("corrupt.lock") != std::string::npos);
        return;
    }
    ++*accepted;
    for (const auto& [env_name, env] : lock->environments)
        for (const auto& [platform, packages] : env.packages) (void)lockfile::select(*lock, env_name, platform);
}

std::string corrupt(std::string text, std::mt19937_64& rng) {
    static const char noise[] = ":-[]{}&*!|>'\"%@`#,? \n\t\x01\xff";
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !text.empty(); ++e) {
        std::size_t at = rng() % text.size();
        switch (rng() % 5) {
            case 0: text[at] = noise[rng() % (sizeof noise - 1)]; break;           // flip a byte
            case 1: text.erase(at, 1 + rng() % 64); break;                          // drop a run
            case 2: text.insert(at, 1, noise[rng() % (sizeof noise - 1)]); break;  // insert syntax
            case 3: {                                                               // duplicate a line
                auto b = text.rfind('\n', at);
                auto en = text.find('\n', at);
                b = b == std::string::npos ? 0 : b + 1;
                if (en == std::string::npos) en = text.size();
                text.insert(b, text.substr(b, en - b) + "\n");
                break;
            }
            default: text.resize(at); break;                                        // truncate
        }
    }
    return text;
}

}  // namespace

TEST_CASE("random corruptions of corpus locks are read or refused, never crash") {
    auto dir = test::corpus_dir() / "locks";
    // Small and mid-sized locks of different versions (v2, v4, v5, v6, v7).
    const char* names[] = {"rerun-io__rerun__pixi@v2-73d570fa.lock", "prefix-dev__setup-pixi__test_multiple-environments_pixi.lock",
                           "prefix-dev__setup-pixi__test_default_pixi.lock", "prefix-dev__pixi__examples_pypi-find-links_pixi.lock",
                           "prefix-dev__pixi__tests_data_satisfiability_absolute-paths_pixi.lock",
                           "prefix-dev__pixi__docs_source_files_pixi_workspaces_pixi_build_workspace_variants_pixi.lock"};
    std::mt19937_64 rng(20261126);
    std::size_t accepted = 0, total = 0;
    for (const char* n : names) {
        auto text = base::read_file(dir / n);
        REQUIRE_MESSAGE(text.ok(), n);
        // Keep each case cheap: corrupt the first 64 KiB of big locks.
        std::string base = text->substr(0, 64 * 1024);
        for (int i = 0; i < 150; ++i, ++total) parse_and_select(corrupt(base, rng), &accepted);
    }
    MESSAGE("corruptions: " << total << ", still valid: " << accepted);
    CHECK(total == 900);
}

TEST_CASE("huge scalars and long lists are handled") {
    std::string huge(8 << 20, 'a');
    std::size_t accepted = 0;
    parse_and_select("version: 6\nenvironments: {}\npackages: []\nx: " + huge + "\n", &accepted);
    CHECK(accepted == 1);
    parse_and_select("version: 6\nenvironments:\n  " + huge + ":\n    packages: {}\npackages: []\n", &accepted);
    std::string lock = "version: 6\nenvironments:\n  default:\n    channels: []\n    packages:\n      linux-64:\n";
    for (int i = 0; i < 20000; ++i) lock += "      - conda: https://x/linux-64/p" + std::to_string(i) + "-1-0.conda\n";
    lock += "packages: []\n";
    auto r = lockfile::parse_lockfile(lock, "corrupt.lock");
    REQUIRE_FALSE(r.ok());  // selectors point at no record
    CHECK(r.error().message.find("p0-1-0.conda") != std::string::npos);
    // A sha256 that is a huge scalar is refused as a bad hash, not accepted.
    auto bad = lockfile::parse_lockfile("version: 6\nenvironments: {}\npackages:\n- conda: https://x/linux-64/p-1-0.conda\n"
                                        "  sha256: " + std::string(1 << 20, 'f') + "\n", "corrupt.lock");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == base::ErrorKind::lockfile);
}

TEST_CASE("wrong types in every field of a record are refused with the field named") {
    const std::string head = "version: 6\nenvironments:\n  default:\n    channels: []\n    packages:\n      linux-64:\n"
                             "      - conda: https://x/linux-64/p-1-0.conda\npackages:\n- conda: https://x/linux-64/p-1-0.conda\n";
    const char* fields[] = {"sha256", "md5", "size", "depends", "constrains", "timestamp", "build_number",
                            "subdir", "noarch", "license", "python_site_packages_path", "name", "version", "build"};
    for (const char* f : fields) {
        for (const char* value : {"{a: 1}", "[1, [2]]", "-5", "!!binary aGk="}) {
            std::string text = head + "  " + f + ": " + value + "\n";
            auto r = lockfile::parse_lockfile(text, "corrupt.lock");
            if (r.ok()) continue;  // some values are valid for some fields (e.g. a list of depends)
            CHECK_MESSAGE(r.error().kind == base::ErrorKind::lockfile, f);
            CHECK_MESSAGE(r.error().message.find("corrupt.lock") != std::string::npos, f);
        }
    }
}
