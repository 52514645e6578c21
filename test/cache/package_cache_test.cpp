#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <thread>
#include <vector>

#include "../archive/archive_fixtures.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/cache/package_cache.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

const char* const kDir = "good-1.0-0";

fs::path good() { return test::generated_archives() / "good.conda"; }
std::string sha_of(const fs::path& p) { return base::hash_file(p, base::HashAlgo::sha256).value(); }

ino_t inode(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_ino;
}

}  // namespace

TEST_CASE("the second population of an entry is a lookup") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    const std::string sha = sha_of(good());
    CHECK_FALSE(c.lookup(kDir, sha).has_value());
    auto first = c.ensure(good(), sha, kDir);
    REQUIRE(first.ok());
    CHECK(first->extracted);
    CHECK(first->dir == c.pkgs_dir() / cache::PackageCache::entry_name(kDir, sha));
    CHECK(first->dir.filename().string() == std::string(kDir) + "-" + sha.substr(0, 16));
    CHECK(fs::is_regular_file(first->dir / "info/index.json"));
    CHECK(fs::read_symlink(first->dir / "lib/link.txt") == "data.txt");
    CHECK(fs::is_regular_file(tmp->path() / "CACHEDIR.TAG"));
    auto second = c.ensure(good(), sha, kDir);
    REQUIRE(second.ok());
    CHECK_FALSE(second->extracted);
    CHECK(second->dir == first->dir);
    CHECK(c.lookup(kDir, sha)->dir == first->dir);
    // Upper-case hashes from a lock file name the same entry.
    std::string upper = sha;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(c.lookup(kDir, upper)->dir == first->dir);
    auto via_path = c.ensure_extracted(good(), sha, kDir);
    REQUIRE(via_path.ok());
    CHECK(*via_path == first->dir);
}

TEST_CASE("an entry without a marker is rebuilt; another sha256 is another entry") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    const std::string sha = sha_of(good());
    REQUIRE(c.ensure(good(), sha, kDir).ok());

    // A half-written entry: the directory is there, the marker is not (crash before it).
    fs::remove(c.marker_path(kDir, sha));
    const fs::path dir = c.pkgs_dir() / cache::PackageCache::entry_name(kDir, sha);
    REQUIRE(base::write_file_atomic(dir / "stray.txt", "left over").ok());
    CHECK_FALSE(c.lookup(kDir, sha).has_value());
    auto rebuilt = c.ensure(good(), sha, kDir);
    REQUIRE(rebuilt.ok());
    CHECK(rebuilt->extracted);
    CHECK_FALSE(fs::exists(rebuilt->dir / "stray.txt"));

    // Another archive under the same name: its own entry; the first one stays as it was.
    const std::string other = std::string(64, 'a');
    CHECK_FALSE(c.lookup(kDir, other).has_value());
    auto second = c.ensure(test::generated_archives() / "good.tar.bz2", other, kDir);
    REQUIRE(second.ok());
    CHECK(second->extracted);
    CHECK(second->dir != rebuilt->dir);
    CHECK(c.lookup(kDir, other)->dir == second->dir);
    CHECK(c.lookup(kDir, sha)->dir == rebuilt->dir);
    CHECK(base::read_file(c.marker_path(kDir, sha)).value() == sha + "\n");
    CHECK(base::read_file(c.marker_path(kDir, other)).value() == other + "\n");
    // Nothing is left in the staging area.
    CHECK(test::count_entries(c.pkgs_dir() / ".pixi-install" / "tmp") == 0);
}

TEST_CASE("a failed extraction leaves neither an entry nor a marker nor a temporary directory") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    fs::path evil = test::generated_archives() / "evil_symlink_then_file.conda";
    auto r = c.ensure(evil, sha_of(evil), "evil-1.0-0");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(r.error().to_string().find("package cache") != std::string::npos);
    CHECK(test::count_entries(c.pkgs_dir()) == 1);  // only .pixi-install
    CHECK_FALSE(fs::exists(c.marker_path("evil-1.0-0", sha_of(evil))));
    CHECK(test::count_entries(c.pkgs_dir() / ".pixi-install" / "tmp") == 0);
}

TEST_CASE("leftovers of an interrupted population are removed") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    fs::path stale = c.pkgs_dir() / ".pixi-install" / "tmp" /
                     (cache::PackageCache::entry_name(kDir, sha_of(good())) + "-Ab12Cd");
    fs::create_directories(stale / "lib");
    fs::path unrelated = c.pkgs_dir() / ".pixi-install" / "tmp" / "other-1.0-0-Ab12Cd";
    fs::create_directories(unrelated);
    REQUIRE(c.ensure(good(), sha_of(good()), kDir).ok());
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(unrelated));
}

TEST_CASE("entry names and hashes are validated") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    const std::string sha(64, 'b');
    for (const char* bad : {"", "a/b", "..", ".", "../x", "x/../../y", ".hidden", "a..b", "zlib-1.0-h\n0", "x\x1b[2J-1-0",
                            "a\\b-1-0"}) {
        CAPTURE(bad);
        auto r = c.ensure(tmp->path() / "x.conda", sha, bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK_FALSE(c.lookup(bad, sha).has_value());
    }
    CHECK(cache::PackageCache::validate_dir_name("_r-mutex-1.0.1-anacondar_1").ok());
    auto r = c.ensure(tmp->path() / "x.conda", "xyz", "zlib-1.0-0");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("sha256") != std::string::npos);
    CHECK(test::count_entries(tmp->path()) == 0);  // nothing created for bad input
}

TEST_CASE("threads populating the same entry extract it once and share it") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const std::string sha = sha_of(good());
    constexpr int kThreads = 6;
    std::latch start(kThreads);
    std::atomic<int> extracted{0}, ok{0};
    std::vector<fs::path> dirs(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            cache::PackageCache c(tmp->path());  // like separate installs sharing a cache dir
            start.arrive_and_wait();
            auto r = c.ensure(good(), sha, kDir);
            if (!r) return;
            ++ok;
            if (r->extracted) ++extracted;
            dirs[t] = r->dir;
        });
    for (auto& th : threads) th.join();
    CHECK(ok == kThreads);
    CHECK(extracted == 1);
    for (const auto& d : dirs) CHECK(d == tmp->path() / "pkgs" / cache::PackageCache::entry_name(kDir, sha));
}

TEST_CASE("two processes populating the same entry extract it once") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const std::string sha = sha_of(good());
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        char go;
        (void)::read(ready[0], &go, 1);
        cache::PackageCache c(tmp->path());
        auto r = c.ensure(good(), sha, kDir);
        ::_exit(!r ? 1 : r->extracted ? 10 : 11);
    }
    cache::PackageCache c(tmp->path());
    (void)::write(ready[1], "g", 1);
    auto mine = c.ensure(good(), sha, kDir);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    ::close(ready[0]);
    ::close(ready[1]);
    REQUIRE(mine.ok());
    REQUIRE(WIFEXITED(status));
    int theirs = WEXITSTATUS(status);
    REQUIRE((theirs == 10 || theirs == 11));
    CHECK((mine->extracted ? 1 : 0) + (theirs == 10 ? 1 : 0) == 1);
    const ino_t before = inode(mine->dir);
    CHECK(c.lookup(kDir, sha)->dir == mine->dir);
    CHECK(inode(mine->dir) == before);
}

TEST_CASE("an entry is held under a shared lock while it is used, and is sealed") {
    REQUIRE(!test::generated_archives().empty());
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    cache::PackageCache c(tmp->path());
    const std::string sha = sha_of(good());
    auto made = c.ensure(good(), sha, kDir);
    REQUIRE(made.ok());
    CHECK(made->trusted);
    const fs::path lock_path = c.marker_path(kDir, sha).replace_extension(".lock");
    auto other = base::FileLock::open(lock_path);
    REQUIRE(other.ok());
    CHECK_FALSE(other->try_lock().value());          // no writer while the entry is in use
    CHECK(other->try_lock(/*shared=*/true).value());  // readers share it
    other->unlock();
    made->lock.unlock();
    CHECK(other->try_lock().value());
    other->unlock();

    // Nothing in an entry is writable by group or others, whatever the archive said.
    for (const auto& e : fs::recursive_directory_iterator(made->dir)) {
        struct stat st {};
        REQUIRE(::lstat(e.path().c_str(), &st) == 0);
        if (!S_ISLNK(st.st_mode)) CHECK((st.st_mode & 022) == 0);
    }
    // An entry someone made group-writable is not trusted: its files must be copied.
    REQUIRE(::chmod((made->dir / "info" / "index.json").c_str(), 0664) == 0);
    auto hit = c.lookup(kDir, sha);
    REQUIRE(hit.has_value());
    CHECK_FALSE(hit->trusted);
}
