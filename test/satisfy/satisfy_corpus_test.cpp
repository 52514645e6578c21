// pixi's satisfiability cases: each `satisfiability/` case must be accepted, each
// `non-satisfiability/` one refused with pixi's reason (pixi-says.txt) first; and
// every corpus lock with its manifest gets a definite answer.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/manifest/manifest.hpp"
#include "pixi_install/manifest/workspace.hpp"
#include "pixi_install/satisfy/satisfy.hpp"
#include "support.hpp"

using namespace pixi_install;
namespace fs = std::filesystem;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

satisfy::Report check_dir(const fs::path& dir) {
    auto lock = lockfile::load_lockfile(dir / "pixi.lock");
    REQUIRE_MESSAGE(lock.ok(), dir.string() << ": " << (lock.ok() ? "" : lock.error().message));
    auto mp = manifest::find_manifest(dir);
    REQUIRE_MESSAGE(mp, dir.string());
    auto ws = manifest::load_workspace(*mp);
    REQUIRE_MESSAGE(ws.ok(), dir.string() << ": " << (ws.ok() ? "" : ws.error().message));
    return satisfy::check(*lock, *ws, now_ms());
}

std::string pixi_reason(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
        if (auto p = line.find("Caused by: "); p != std::string::npos) return line.substr(p + 11);
    return {};
}

}  // namespace

TEST_CASE("pixi's satisfiability cases are accepted") {
    fs::path root = test::corpus_dir() / "satisfiability" / "satisfiability";
    int n = 0;
    for (const auto& d : fs::directory_iterator(root)) {
        auto r = check_dir(d.path());
        CHECK_MESSAGE(r.ok(), d.path().filename().string() << ":\n" << satisfy::render(r));
        ++n;
    }
    CHECK(n >= 18);
}

TEST_CASE("pixi's non-satisfiability cases are refused with pixi's reason first") {
    fs::path root = test::corpus_dir() / "satisfiability" / "non-satisfiability";
    int n = 0;
    for (const auto& d : fs::directory_iterator(root)) {
        auto r = check_dir(d.path());
        std::string want = pixi_reason(d.path() / "pixi-says.txt");
        REQUIRE_MESSAGE(!r.ok(), d.path().filename().string());
        REQUIRE(!r.stale.front().reasons.empty());
        CHECK_MESSAGE(r.stale.front().reasons.front() == want, d.path().filename().string() << ": pixi says\n  " << want
                                                                << "\nwe say\n" << satisfy::render(r));
        ++n;
    }
    CHECK(n >= 20);
}

TEST_CASE("every corpus lock with its manifest gets a definite answer") {
    fs::path root = test::corpus_dir() / "locks";
    int checked = 0;
    std::vector<std::string> left_out;
    for (const auto& e : fs::directory_iterator(root)) {
        std::string name = e.path().filename().string();
        if (e.path().extension() != ".lock") continue;
        std::string base = name.substr(0, name.size() - 5);
        fs::path m = root / (base + ".pixi.toml");
        if (!fs::exists(m)) m = root / (base + ".pyproject.toml");
        REQUIRE_MESSAGE(fs::exists(m), name << " has no manifest");
        auto lock = lockfile::load_lockfile(e.path());
        REQUIRE_MESSAGE(lock.ok(), name);  // the lockfile corpus test reads every one
        auto ws = manifest::load_workspace(m);
        if (!ws.ok()) {
            // a manifest that is not TOML (a symlink stored as its target path) is reported, not judged
            MESSAGE(name << ": " << ws.error().message);
            left_out.push_back(name);
            continue;
        }
        auto r = satisfy::check(*lock, *ws, now_ms());
        for (const auto& s : r.stale) CHECK_MESSAGE(!s.reasons.empty(), name << " " << s.environment);
        ++checked;
    }
    CHECK(left_out.size() <= 1);
    CHECK(checked + left_out.size() == test::listed_in(root / "SOURCES.tsv").size());
}
