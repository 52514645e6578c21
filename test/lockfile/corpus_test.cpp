// Every lock of the corpus reads, and each environment/platform holds exactly
// the packages recorded in locks-expected/<name>.expected.json, compared as a
// multiset of (kind, location, name, sha256).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "pixi_install/lockfile/lockfile.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;
using Entry = std::tuple<std::string, std::string, std::string, std::string>;

namespace {

std::string str_or_null(const nlohmann::json& j) { return j.is_null() ? "<null>" : j.get<std::string>(); }

std::vector<Entry> from_model(const std::vector<lockfile::Package>& pkgs) {
    std::vector<Entry> out;
    for (const auto& p : pkgs) {
        std::string sha = "<null>";
        if (p.kind == lockfile::PackageKind::conda && p.conda->sha256) sha = *p.conda->sha256;
        if (p.kind == lockfile::PackageKind::pypi && p.pypi->sha256) sha = *p.pypi->sha256;
        out.emplace_back(lockfile::kind_name(p.kind), p.location(), p.name(), sha);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Entry> from_json(const nlohmann::json& list) {
    std::vector<Entry> out;
    for (const auto& e : list)
        out.emplace_back(e.at("kind").get<std::string>(), e.at("location").get<std::string>(),
                         e.at("name").get<std::string>(), str_or_null(e.at("sha256")));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("every corpus lock matches its expected package lists") {
    fs::path corpus = test::corpus_dir();
    std::vector<fs::path> locks;
    for (const auto& e : fs::directory_iterator(corpus / "locks"))
        if (e.path().extension() == ".lock") locks.push_back(e.path());
    std::sort(locks.begin(), locks.end());
    // Exactly the locks the provenance file lists, of every format version the corpus has.
    std::set<std::string> names;
    for (const auto& p : locks) names.insert(p.filename().string());
    REQUIRE(names == test::listed_in(corpus / "locks" / "SOURCES.tsv"));
    std::set<int> versions;
    for (const auto& path : locks) {
        std::string stem = path.stem().string();
        CAPTURE(stem);
        fs::path expected_path = corpus / "locks-expected" / (stem + ".expected.json");
        REQUIRE(fs::exists(expected_path));
        std::ifstream in(expected_path);
        nlohmann::json expected = nlohmann::json::parse(in);

        auto lock = lockfile::load_lockfile(path);
        if (!lock.ok()) FAIL_CHECK(lock.error().to_string());
        REQUIRE(lock.ok());
        CHECK(lock->version == expected.at("version").get<int>());
        versions.insert(lock->version);

        const auto& envs = expected.at("environments");
        CHECK(lock->environments.size() == envs.size());
        for (const auto& item : envs.items()) {
            const std::string env_name = item.key();
            const auto& platforms = item.value();
            CAPTURE(env_name);
            auto env = lock->environments.find(env_name);
            REQUIRE(env != lock->environments.end());
            CHECK(env->second.packages.size() == platforms.size());
            for (const auto& pitem : platforms.items()) {
                const std::string platform = pitem.key();
                const auto& list = pitem.value();
                CAPTURE(platform);
                auto pk = env->second.packages.find(platform);
                REQUIRE(pk != env->second.packages.end());
                CHECK(from_model(pk->second) == from_json(list));
                auto sel = lockfile::select(*lock, env_name, platform);
                REQUIRE(sel.ok());
                CHECK(sel->conda.size() + sel->pypi.size() + sel->sources.size() == list.size());
                CHECK(!sel->subdir.empty());
            }
        }
    }
    CHECK(versions == std::set<int>{1, 2, 4, 5, 6, 7});
}
