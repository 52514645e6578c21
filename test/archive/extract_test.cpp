#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "archive_fixtures.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

fs::path gen(const char* name) { return test::generated_archives() / name; }

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode;
}

}  // namespace

TEST_CASE("format_from_name knows the three archive kinds") {
    CHECK(archive::format_from_name("zlib-1.3.1-h4ab18f5_1.conda") == archive::Format::conda);
    CHECK(archive::format_from_name("zlib-1.2.11-h7b6447c_3.tar.bz2") == archive::Format::tar_bz2);
    CHECK(archive::format_from_name("pip-23.0.1-py3-none-any.whl") == archive::Format::wheel);
    CHECK_FALSE(archive::format_from_name("zlib.tar.gz").has_value());
    CHECK_FALSE(archive::format_from_name("conda").has_value());
}

TEST_CASE("a conda package keeps symlinks, executable bits and mtimes, and loses setuid") {
    REQUIRE(!test::generated_archives().empty());
    for (const char* name : {"good.tar.bz2", "good.conda", "good_streamed.conda"}) {
        CAPTURE(name);
        auto tmp = base::TempDir::create();
        REQUIRE(tmp.ok());
        fs::path dest = tmp->path() / "dest";
        fs::create_directories(tmp->path() / "outside");
        auto r = archive::extract_conda_package(gen(name), dest);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().to_string()));
        CHECK(r->files == 11);
        CHECK(fs::is_regular_file(dest / "info/index.json"));
        CHECK((mode_of(dest / "bin/tool") & 0111) != 0);
        CHECK((mode_of(dest / "lib/data.txt") & 0111) == 0);
        CHECK((mode_of(dest / "bin/suid-tool") & (S_ISUID | S_ISGID)) == 0);
        CHECK((mode_of(dest / "bin/sgid-tool") & (S_ISUID | S_ISGID)) == 0);
        CHECK((mode_of(dest / "bin/suid-tool") & 0100) != 0);
        CHECK(fs::read_symlink(dest / "lib/link.txt") == "data.txt");
        CHECK(fs::read_symlink(dest / "lib/share") == "../share");
        CHECK(fs::read_symlink(dest / "lib/dangling") == "missing.so.1");
        // A link leaving the package may exist (the linker decides); nothing went through it.
        CHECK(fs::read_symlink(dest / "etc/outside-link") == "../../outside");
        CHECK(test::count_entries(tmp->path() / "outside") == 0);
        struct stat a {}, b {};
        REQUIRE(::stat((dest / "lib/data.txt").c_str(), &a) == 0);
        REQUIRE(::stat((dest / "lib/data-hardlink.txt").c_str(), &b) == 0);
        CHECK(a.st_ino == b.st_ino);
        CHECK(a.st_mtime == 1577836800);
    }
}

TEST_CASE("the .conda and .tar.bz2 forms of a package and a re-zipped .conda give identical trees") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    REQUIRE(archive::extract_conda_package(gen("good.tar.bz2"), tmp->path() / "a").ok());
    REQUIRE(archive::extract_conda_package(gen("good.conda"), tmp->path() / "b").ok());
    REQUIRE(archive::extract_conda_package(gen("good_streamed.conda"), tmp->path() / "c").ok());
    auto a = test::snapshot(tmp->path() / "a");
    CHECK(a.size() == 16);
    CHECK(a == test::snapshot(tmp->path() / "b"));
    CHECK(a == test::snapshot(tmp->path() / "c"));
}

TEST_CASE("a later member replaces an earlier symlink instead of writing through it") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    fs::create_directories(tmp->path() / "outside");
    fs::path dest = tmp->path() / "dest";
    REQUIRE(archive::extract_conda_package(gen("good_duplicate_over_symlink.tar.bz2"), dest).ok());
    CHECK(fs::is_regular_file(fs::symlink_status(dest / "link")));
    CHECK(test::snapshot(dest).at("link").find("file replaced") != std::string::npos);
    CHECK(test::count_entries(tmp->path() / "outside") == 0);
}

TEST_CASE("a wheel extracts with its executable bits and without setuid") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    auto r = archive::extract_zip(gen("good.whl"), tmp->path() / "w");
    REQUIRE(r.ok());
    CHECK(r->files == 4);
    CHECK((mode_of(tmp->path() / "w/pkg/tool.sh") & 0100) != 0);
    CHECK((mode_of(tmp->path() / "w/pkg/__init__.py") & 0111) == 0);
    CHECK((mode_of(tmp->path() / "w/pkg/suid.sh") & (S_ISUID | S_ISGID)) == 0);
}

TEST_CASE("the destination must be empty or missing") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    REQUIRE(base::write_file_atomic(tmp->path() / "keep.txt", "mine").ok());
    auto r = archive::extract_conda_package(gen("good.conda"), tmp->path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not empty") != std::string::npos);
    CHECK(test::count_entries(tmp->path()) == 1);
}

TEST_CASE("a missing archive or a wrong file name is a plain failure, not an integrity error") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    auto missing = archive::extract_conda_package(tmp->path() / "nope-1.0-0.conda", tmp->path() / "d");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == base::ErrorKind::failure);
    auto named = archive::extract_conda_package(tmp->path() / "nope.zip", tmp->path() / "e");
    REQUIRE_FALSE(named.ok());
    CHECK(named.error().kind == base::ErrorKind::failure);
}

TEST_CASE("a set cancel flag stops extraction with ErrorKind::interrupted") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    std::atomic<bool> cancel{true};
    archive::ExtractOptions options;
    options.cancel = &cancel;
    for (const char* name : {"good.conda", "good.tar.bz2", "good.whl"}) {
        CAPTURE(name);
        fs::path a = gen(name);
        auto r = std::string(name).ends_with(".whl") ? archive::extract_zip(a, tmp->path() / name, options)
                                                     : archive::extract_conda_package(a, tmp->path() / name, options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::interrupted);
    }
}

TEST_CASE("many threads extract at once, each with its own archive objects") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    constexpr int kThreads = 8;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (const char* name : {"good.conda", "good.tar.bz2", "good_streamed.conda"}) {
                fs::path dest = tmp->path() / (std::to_string(t) + name);
                if (archive::extract_conda_package(gen(name), dest).ok()) ++ok;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(ok == kThreads * 3);
    auto reference = test::snapshot(tmp->path() / "0good.conda");
    for (int t = 1; t < kThreads; ++t) CHECK(test::snapshot(tmp->path() / (std::to_string(t) + "good.tar.bz2")) == reference);
}

namespace {

/// snapshot() with each entry's modification time and link count (a hard link to a file
/// written by another thread must still be that file).
std::map<std::string, std::string> full_snapshot(const fs::path& root) {
    auto out = test::snapshot(root);
    for (auto& [rel, line] : out) {
        struct stat st {};
        REQUIRE(::lstat((root / rel).c_str(), &st) == 0);
        if (S_ISDIR(st.st_mode)) continue;  // changed by every file made in it
        line += " mtime " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) line += " links " + std::to_string(st.st_nlink);
    }
    return out;
}

base::Result<archive::ExtractStats> extract_named(const fs::path& a, const fs::path& dest,
                                                  const archive::ExtractOptions& options) {
    if (a.extension() == ".whl") return archive::extract_zip(a, dest, options);
    return archive::extract_conda_package(a, dest, options);
}

}  // namespace

TEST_CASE("files written by other threads give exactly the tree one thread writes") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    for (const char* name : {"good_many.tar.bz2", "good_many.conda", "good.tar.bz2", "good.conda",
                             "good_streamed.conda", "good_duplicate_over_symlink.tar.bz2", "good.whl"}) {
        const std::string shown = name;
        CAPTURE(shown);
        fs::create_directories(tmp->path() / "outside");
        const fs::path alone = tmp->path() / (std::string(name) + ".alone");
        auto one = extract_named(gen(name), alone, {});
        REQUIRE_MESSAGE(one.ok(), (one.ok() ? std::string() : one.error().to_string()));
        CHECK(one->handed_off == 0);
        const auto expected = full_snapshot(alone);
        // Called from outside the pool, and from one of its workers (as an install does, where
        // the thread decompressing is itself a worker): several times, for other interleavings.
        for (int round = 0; round < 6; ++round) {
            CAPTURE(round);
            const fs::path dest = tmp->path() / (std::string(name) + "." + std::to_string(round));
            archive::ExtractOptions options;
            options.helpers = &pool;
            std::optional<base::Result<archive::ExtractStats>> r;
            if (round % 2 == 0) {
                r = extract_named(gen(name), dest, options);
            } else {
                pool.submit([&] { r = extract_named(gen(name), dest, options); });
                pool.wait_idle();
            }
            REQUIRE(r.has_value());
            REQUIRE_MESSAGE(r->ok(), (r->ok() ? std::string() : r->error().to_string()));
            CHECK((*r)->files == one->files);
            CHECK((*r)->bytes == one->bytes);
            CHECK(full_snapshot(dest) == expected);
            // Something was handed off (the two workers are idle here), never a file over 1 MiB.
            if (std::string(name).rfind("good_many", 0) == 0) {
                CHECK((*r)->handed_off > 100);
                CHECK((*r)->handed_off < (*r)->files);
            }
        }
        CHECK(test::count_entries(tmp->path() / "outside") == 0);
    }
    // The orders that make a file wait for the one before it.
    const fs::path many = tmp->path() / "good_many.conda.1";
    CHECK(test::snapshot(many).at("lib/d05/dup.txt") == "644 file second, replacing the first\n");
    struct stat a {}, b {};
    REQUIRE(::stat((many / "lib/d05/dup.txt").c_str(), &a) == 0);
    REQUIRE(::stat((many / "lib/d05/dup-link.txt").c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
    CHECK(fs::read_symlink(many / "bin/was-a-file") == "../lib/d05/dup.txt");
    CHECK(fs::is_regular_file(fs::symlink_status(many / "bin/was-a-link")));
    CHECK(fs::file_size(many / "share/big.bin") == (3u << 20));
}

TEST_CASE("a file another thread cannot write fails the extraction, and no thread writes afterwards") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    archive::ExtractOptions options;
    options.helpers = &pool;
    SUBCASE("a write error (files over 4000 bytes cannot be written: RLIMIT_FSIZE)") {
        struct rlimit old {};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
        auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit small = old;
        small.rlim_cur = 4000;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
        auto alone = archive::extract_conda_package(gen("good_many.tar.bz2"), tmp->path() / "alone", {});
        auto helped = archive::extract_conda_package(gen("good_many.tar.bz2"), tmp->path() / "helped", options);
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, old_handler);
        for (const auto* r : {&alone, &helped}) {
            REQUIRE_FALSE(r->ok());
            CHECK(r->error().kind == base::ErrorKind::failure);
            CHECK(r->error().message.find("cannot write") != std::string::npos);
            CHECK(r->error().to_string().find("good_many.tar.bz2") != std::string::npos);
        }
    }
    SUBCASE("the decompression limit, counted by the thread reading the archive") {
        options.max_unpacked_bytes = 64 << 10;
        auto r = archive::extract_conda_package(gen("good_many.tar.bz2"), tmp->path() / "helped", options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK(r.error().message.find("limit") != std::string::npos);
        std::uintmax_t on_disk = 0;
        for (const auto& e : fs::recursive_directory_iterator(tmp->path() / "helped"))
            if (e.is_regular_file()) on_disk += e.file_size();
        CHECK(on_disk <= (64u << 10));
    }
    // Every file was written or dropped before the call returned: what is on disk now stays.
    std::map<std::string, std::string> before = test::snapshot(tmp->path());
    pool.wait_idle();
    CHECK(test::snapshot(tmp->path()) == before);
    fs::remove_all(tmp->path() / "helped");
    CHECK_FALSE(fs::exists(tmp->path() / "helped"));
}

TEST_CASE("a sparse member whose data lies far past its declared size stays a hole, never memory") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    struct rusage before {};
    REQUIRE(::getrusage(RUSAGE_SELF, &before) == 0);
    for (base::ThreadPool* helpers : {static_cast<base::ThreadPool*>(nullptr), &pool}) {
        CAPTURE(helpers != nullptr);
        archive::ExtractOptions options;
        options.helpers = helpers;
        const fs::path dest = tmp->path() / (helpers ? "helped" : "alone");
        auto r = archive::extract_conda_package(gen("good_sparse_far.tar.bz2"), dest, options);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().to_string()));
        struct stat st {};
        REQUIRE(::stat((dest / "lib/far.bin").c_str(), &st) == 0);
        CHECK(st.st_size == (256 << 20) + 1);
        CHECK(st.st_blocks * 512 < (1 << 20));  // a hole, not 256 MiB of zeros
        CHECK(test::count_entries(dest / "pad") == 50);
    }
    struct rusage after {};
    REQUIRE(::getrusage(RUSAGE_SELF, &after) == 0);
    CHECK(after.ru_maxrss - before.ru_maxrss < 128 * 1024);  // KiB: far less than the 256 MiB
}

TEST_CASE("names a file system may take for one file are written by the reading thread") {
    // "lib/Foo" then "lib/foo": one file where case is folded, so the second is written by
    // the thread that replaces what is there, never raced by a worker's create. After a name
    // with non-ASCII bytes (Unicode folding), no file is handed off any more.
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ThreadPool pool(4);
    archive::ExtractOptions options;
    options.helpers = &pool;
    auto alone = archive::extract_conda_package(gen("good_case_names.tar.bz2"), tmp->path() / "alone", {});
    auto r = archive::extract_conda_package(gen("good_case_names.tar.bz2"), tmp->path() / "helped", options);
    REQUIRE(alone.ok());
    REQUIRE(r.ok());
    CHECK(r->files == 5);
    CHECK(r->handed_off == 2);  // info/index.json and lib/Foo; not lib/foo, nor anything after the non-ASCII name
    CHECK(full_snapshot(tmp->path() / "helped") == full_snapshot(tmp->path() / "alone"));
}
