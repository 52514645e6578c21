// Every real package and wheel of the corpus extracts (or fails cleanly when
// SOURCES.tsv marks it broken).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "archive_fixtures.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

fs::path conda_dir() { return test::corpus_dir() / "conda-pkgs"; }
fs::path wheel_dir() { return test::corpus_dir() / "wheels"; }

std::vector<fs::path> files_with(const fs::path& dir, std::initializer_list<const char*> suffixes) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string n = e.path().filename().string();
        for (const char* s : suffixes)
            if (n.ends_with(s)) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// SOURCES.tsv rows: file name -> notes (last column).
std::map<std::string, std::string> sources(const fs::path& tsv) {
    std::map<std::string, std::string> out;
    std::ifstream in(tsv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        auto tab = line.find('\t');
        out[line.substr(0, tab)] = line.substr(line.rfind('\t') + 1);
    }
    return out;
}

std::uint64_t symlinks_below(const fs::path& root) {
    std::uint64_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_symlink()) ++n;
    return n;
}

}  // namespace

TEST_CASE("every corpus conda package extracts with its info/index.json") {
    auto pkgs = files_with(conda_dir(), {".conda", ".tar.bz2"});
    REQUIRE(pkgs.size() == 29);
    REQUIRE(pkgs.size() == test::listed_in(conda_dir() / "SOURCES.tsv").size());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    for (const auto& p : pkgs) {
        CAPTURE(p.filename().string());
        fs::path dest = tmp->path() / p.filename();
        archive::ExtractOptions options;
        options.max_unpacked_bytes = 64 * fs::file_size(p);  // generous, as callers do
        auto r = archive::extract_conda_package(p, dest, options);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().to_string()));
        CHECK(r->files > 0);
        CHECK(fs::is_regular_file(dest / "info" / "index.json"));
        CHECK(fs::is_regular_file(dest / "info" / "paths.json") != (p.filename().string().rfind("flask-", 0) == 0 ||
                                                                    p.filename().string().rfind("conda_gc_test-", 0) == 0 ||
                                                                    p.filename().string().rfind("distribute-", 0) == 0));
    }
}

TEST_CASE("payload-stripped corpus packages extract only their info/ (the linker rejects them)") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    for (const char* name : {"spiffy-test-app-0.5-pyh6afbcc8_0.tar.bz2", "flask-0.11.1-py_0.tar.bz2"}) {
        CAPTURE(name);
        auto notes = sources(conda_dir() / "SOURCES.tsv");
        CHECK(notes.at(name).find("PAYLOAD STRIPPED") != std::string::npos);
        fs::path dest = tmp->path() / name;
        REQUIRE(archive::extract_conda_package(conda_dir() / name, dest).ok());
        CHECK(test::count_entries(dest) == 1);  // just info/
    }
}

TEST_CASE("the .conda and .tar.bz2 twins in the corpus give identical trees") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    for (const char* stem : {"mock-2.0.0-py37_1000", "zlib-1.2.11-h1de35cc_3"}) {
        CAPTURE(stem);
        fs::path a = tmp->path() / (std::string(stem) + ".conda");
        fs::path b = tmp->path() / (std::string(stem) + ".tar.bz2");
        REQUIRE(archive::extract_conda_package(conda_dir() / (std::string(stem) + ".conda"), a).ok());
        REQUIRE(archive::extract_conda_package(conda_dir() / (std::string(stem) + ".tar.bz2"), b).ok());
        auto sa = test::snapshot(a);
        CHECK(sa.size() > 20);
        CHECK(sa == test::snapshot(b));
    }
}

TEST_CASE("corpus symlinks stay symlinks, including directory, dangling and chained ones") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    fs::path cph = tmp->path() / "cph";
    REQUIRE(archive::extract_conda_package(conda_dir() / "cph_test_data-0.0.1-0.tar.bz2", cph).ok());
    CHECK(symlinks_below(cph) == 7);
    CHECK(fs::read_symlink(cph / "lib/alib") == "alibrary");
    CHECK(fs::is_directory(cph / "lib/alib"));  // resolves to the extracted directory
    CHECK(fs::read_symlink(cph / "lib/libdangle.lib") == "libdangle.lib.1");
    CHECK_FALSE(fs::exists(cph / "lib/libdangle.lib"));
    CHECK(fs::is_symlink(cph / "libexec/greetings"));
    CHECK(fs::is_regular_file(cph / "libexec/greetings"));  // the chain resolves

    fs::path ca = tmp->path() / "ca";
    REQUIRE(archive::extract_conda_package(conda_dir() / "ca-certificates-2024.7.4-hbcca054_0.conda", ca).ok());
    CHECK(fs::read_symlink(ca / "ssl/cert.pem") == "cacert.pem");
    CHECK(fs::file_size(ca / "ssl/cert.pem") == fs::file_size(ca / "ssl/cacert.pem"));
}

TEST_CASE("every corpus wheel extracts and matches its RECORD; broken zips fail cleanly") {
    auto notes = sources(wheel_dir() / "SOURCES.tsv");
    auto wheels = files_with(wheel_dir(), {".whl"});
    REQUIRE(wheels.size() == notes.size());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    int checked_hashes = 0;
    for (const auto& w : wheels) {
        const std::string name = w.filename().string();
        CAPTURE(name);
        fs::path dest = tmp->path() / name;
        auto r = archive::extract_zip(w, dest);
        if (notes.at(name).find("not a zip") != std::string::npos) {
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().message.find(name) != std::string::npos);
            continue;
        }
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().to_string()));
        if (notes.at(name).find("RECORD hashes ok") == std::string::npos) continue;
        // Every RECORD line with a hash names an extracted file with that sha256.
        for (const auto& e : fs::directory_iterator(dest)) {
            if (!e.path().filename().string().ends_with(".dist-info")) continue;
            std::ifstream in(e.path() / "RECORD");
            std::string line;
            while (std::getline(in, line)) {
                auto c1 = line.find(',');
                auto c2 = line.find(',', c1 + 1);
                std::string path = line.substr(0, c1), hash = line.substr(c1 + 1, c2 - c1 - 1);
                if (hash.rfind("sha256=", 0) != 0) continue;
                auto content = base::read_file(dest / path);
                REQUIRE_MESSAGE(content.ok(), path);
                base::Hasher h(base::HashAlgo::sha256);
                h.update(*content);
                CHECK_MESSAGE(base::base64_urlsafe_nopad(h.finish_raw()) == hash.substr(7), path);
                ++checked_hashes;
            }
        }
    }
    CHECK(checked_hashes > 600);
}

TEST_CASE("executable bits of wheels come from the zip") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    fs::path dest = tmp->path() / "fake";
    REQUIRE(archive::extract_zip(wheel_dir() / "fakepkg1-1.0-cp36-abi3-macosx_10_9_universal2.whl", dest).ok());
    struct stat st {};
    REQUIRE(::stat((dest / "fakepkg1/ascript").c_str(), &st) == 0);
    CHECK((st.st_mode & 0100) != 0);
    REQUIRE(::stat((dest / "fakepkg1/__init__.py").c_str(), &st) == 0);
    CHECK((st.st_mode & 0111) == 0);
}
