#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/base/thread_pool.hpp"

using namespace pixi_install::base;

namespace {
Result<int> half(int x) {
    if (x % 2) return fail(ErrorKind::usage, "odd number " + std::to_string(x));
    return x / 2;
}
Result<int> quarter(int x) {
    PI_TRY(int h, half(x));
    PI_TRY(int q, half(h));
    return q;
}
}  // namespace

TEST_CASE("Result propagates errors with their kind and context") {
    CHECK(*quarter(8) == 2);
    auto r = quarter(6);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "odd number 3");
    CHECK(exit_code(r.error().kind) == 2);
    Error e = fail(ErrorKind::integrity, "sha256 mismatch").with_context("while installing zlib");
    CHECK(e.to_string() == "sha256 mismatch\n  while installing zlib");
    CHECK(exit_code(ErrorKind::host) == 3);
    CHECK(exit_code(ErrorKind::unavailable) == 5);
    CHECK(exit_code(ErrorKind::lockfile) == 6);
    CHECK(exit_code(ErrorKind::interrupted) == 130);
}

TEST_CASE("digests match known vectors") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Hasher m(HashAlgo::md5);
    m.update("abc");
    CHECK(m.finish_hex() == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(base64_urlsafe_nopad(std::string("\xfb\xff", 2)) == "-_8");
    CHECK(base64_urlsafe_nopad("abc") == "YWJj");
    CHECK(base64_urlsafe_nopad("ab") == "YWI");
    CHECK(is_hex_digest("ABCDEF0123456789abcdef0123456789", 16));
    CHECK_FALSE(is_hex_digest("xyz", 16));
    CHECK(normalize_hex("ABcd") == "abcd");
    CHECK(xxh3_hex("") == "2d06800538d394c2");
    Xxh3 a, b;
    a.field("ab");
    a.field("c");
    b.field("a");
    b.field("bc");
    CHECK(a.hex() != b.hex());
}

TEST_CASE("atomic write, read back, hash a file") {
    auto dir = TempDir::create();
    REQUIRE(dir.ok());
    auto p = dir->path() / "f.txt";
    REQUIRE(write_file_atomic(p, "abc").ok());
    CHECK(*read_file(p) == "abc");
    REQUIRE(write_file_atomic(p, "abcd").ok());
    CHECK(*read_file(p) == "abcd");
    CHECK(*hash_file(p, HashAlgo::sha256) == sha256_hex("abcd"));
    auto both = hash_file_both(p);
    REQUIRE(both.ok());
    CHECK(both->first == sha256_hex("abcd"));
    auto missing = read_file(dir->path() / "nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("nope") != std::string::npos);
    // no temporary files are left behind
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir->path())) (void)e, ++n;
    CHECK(n == 1);
}

TEST_CASE("temp dir is removed unless released") {
    std::filesystem::path kept;
    {
        auto d = TempDir::create();
        REQUIRE(d.ok());
        kept = d->path();
        CHECK(std::filesystem::is_directory(kept));
    }
    CHECK_FALSE(std::filesystem::exists(kept));
}

TEST_CASE("file lock excludes a second holder until released") {
    auto dir = TempDir::create();
    REQUIRE(dir.ok());
    auto lp = dir->path() / "x.lock";
    auto a = FileLock::acquire(lp);
    REQUIRE(a.ok());
    auto b = FileLock::open(lp);
    REQUIRE(b.ok());
    CHECK_FALSE(*b->try_lock());
    { FileLock drop = std::move(*a); }
    CHECK(*b->try_lock());
}

TEST_CASE("thread pool runs every index exactly once") {
    for (std::size_t workers : {1u, 4u}) {
        ThreadPool pool(workers);
        std::vector<std::atomic<int>> hits(1000);
        pool.parallel_for(hits.size(), [&](std::size_t i) { hits[i]++; });
        for (auto& h : hits) CHECK(h.load() == 1);
        std::atomic<int> n{0};
        for (int i = 0; i < 50; ++i) pool.submit([&] { n++; });
        pool.wait_idle();
        CHECK(n.load() == 50);
    }
}

TEST_CASE("a thread pool's try_each stops beginning work after an error and returns the errors sorted") {
    {
        ThreadPool pool(4);
        std::vector<std::atomic<int>> hits(500);
        auto none = pool.try_each(hits.size(), [&](std::size_t i) -> Result<void> {
            hits[i]++;
            return {};
        });
        CHECK(none.empty());
        for (auto& h : hits) CHECK(h.load() == 1);
    }
    // One worker takes the indices in order: index 3 fails, nothing after it begins.
    ThreadPool one(1);
    std::atomic<std::size_t> ran{0};
    auto errors = one.try_each(100, [&](std::size_t i) -> Result<void> {
        ran++;
        if (i == 3) return fail(ErrorKind::failure, "third");
        return {};
    });
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "third");
    CHECK(ran.load() == 4);
    // Several at once (every worker fails its first index): sorted by message.
    ThreadPool four(4);
    std::mutex mu;
    std::condition_variable cv;
    int waiting = 0;
    auto all = four.try_each(4, [&](std::size_t i) -> Result<void> {
        std::unique_lock lk(mu);
        if (++waiting == 4) cv.notify_all();
        cv.wait(lk, [&] { return waiting == 4; });
        return fail(ErrorKind::failure, std::string(1, static_cast<char>('d' - i)));
    });
    REQUIRE(all.size() == 4);
    CHECK(all[0].message == "a");
    CHECK(all[3].message == "d");
}

TEST_CASE("a thread pool says whether a task submitted now would start at once") {
    ThreadPool pool(2);
    CHECK(pool.has_idle_worker());
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> started{0};
    auto blocker = [&] {
        started++;
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return release; });
    };
    pool.submit(blocker);
    while (started.load() < 1) std::this_thread::yield();
    CHECK(pool.has_idle_worker());  // one of two busy
    pool.submit(blocker);
    while (started.load() < 2) std::this_thread::yield();
    CHECK_FALSE(pool.has_idle_worker());  // both busy
    pool.submit([] {});
    CHECK_FALSE(pool.has_idle_worker());  // and a task waiting
    {
        std::lock_guard lk(mu);
        release = true;
    }
    cv.notify_all();
    pool.wait_idle();
    CHECK(pool.has_idle_worker());
}

TEST_CASE("trim and ascii_lower are locale-independent and leave non-ASCII bytes alone") {
    CHECK(trim(" \t\r\n x y \v\f") == "x y");
    CHECK(trim("   ").empty());
    CHECK(trim("") == "");
    CHECK(ascii_lower("NumPy-1.0_RC") == "numpy-1.0_rc");
    CHECK(ascii_lower("\xC3\x84" "BC") == "\xC3\x84" "bc");  // UTF-8 'Ä' is not ASCII
}

TEST_CASE("hmac_sha256 matches RFC 4231's test cases") {
    // Test case 1: key 0x0b x 20, "Hi There".
    CHECK(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: key "Jefe".
    CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block size is hashed first.
    CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("set_tree_time: files, symlinks (not their targets) and directories, deepest first") {
    auto tmp = TempDir::create();
    REQUIRE(tmp.ok());
    const auto root = tmp->path() / "t";
    REQUIRE(make_dirs(root / "a" / "b").ok());
    REQUIRE(write_file_atomic(root / "a" / "b" / "f", "x").ok());
    REQUIRE(write_file_atomic(tmp->path() / "outside", "o").ok());
    std::filesystem::create_symlink(tmp->path() / "outside", root / "a" / "link");
    std::filesystem::create_symlink("missing", root / "dangling");
    struct stat before {};
    REQUIRE(::stat((tmp->path() / "outside").c_str(), &before) == 0);
    REQUIRE(set_tree_time(root, 1234567).ok());
    for (const char* rel : {"", "a", "a/b", "a/b/f", "a/link", "dangling"}) {
        struct stat st {};
        REQUIRE(::lstat((root / rel).c_str(), &st) == 0);
        CHECK_MESSAGE(st.st_mtim.tv_sec == 1234567, rel);
        CHECK(st.st_mtim.tv_nsec == 0);
    }
    struct stat after {};
    REQUIRE(::stat((tmp->path() / "outside").c_str(), &after) == 0);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);  // the link's target is not touched
    CHECK_FALSE(set_tree_time(tmp->path() / "absent", 0).ok());
    REQUIRE(set_path_time(root / "a", 5).ok());
    struct stat one {};
    REQUIRE(::lstat((root / "a").c_str(), &one) == 0);
    CHECK(one.st_mtim.tv_sec == 5);
}

TEST_CASE("closest names for a did-you-mean hint") {
    using pixi_install::base::closest_names;
    using pixi_install::base::edit_distance;
    CHECK(edit_distance("install", "instal") == 1);
    CHECK(edit_distance("pythn", "python") == 1);
    CHECK(edit_distance("ab", "ba") == 1);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("NumPy", "numpy") == 0);
    std::vector<std::string> cmds{"install", "pack", "list", "check", "info", "verify", "run", "shell-hook"};
    CHECK(closest_names(cmds, "instal") == std::vector<std::string>{"install"});
    CHECK(closest_names(cmds, "shell") == std::vector<std::string>{"shell-hook"});
    CHECK(closest_names(cmds, "zzzzzz").empty());
    std::vector<std::string> pkgs{"python", "python_abi", "pytest", "numpy"};
    auto near = closest_names(pkgs, "pythn");
    REQUIRE(!near.empty());
    CHECK(near.front() == "python");
    CHECK(closest_names(pkgs, "pyth", 1) == std::vector<std::string>{"python"});
}

TEST_CASE("printable escapes control bytes and leaves the rest") {
    CHECK(pixi_install::base::printable("numpy-2.2.1") == "numpy-2.2.1");
    CHECK(pixi_install::base::printable("a\nb\tc\rd") == "a\\nb\\tc\\rd");
    CHECK(pixi_install::base::printable("\x1b[31mred") == "\\e[31mred");
    CHECK(pixi_install::base::printable(std::string_view("\x00\x7f", 2)) == "\\x00\\x7f");
    CHECK(pixi_install::base::printable("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("make_dirs names the directory that could not be made, not the leaf") {
    auto tmp = TempDir::create();
    REQUIRE(tmp.ok());
    REQUIRE(write_file_atomic(tmp->path() / "file", "x").ok());
    auto r = make_dirs(tmp->path() / "file" / "a" / "b");
    REQUIRE_FALSE(r.ok());
    const std::string msg = r.error().message;
    CHECK(msg.find("cannot create directory " + (tmp->path() / "file" / "a").string()) != std::string::npos);
    CHECK(msg.find("on the way to " + (tmp->path() / "file" / "a" / "b").string()) != std::string::npos);
}

TEST_CASE("shared locks share, an exclusive one excludes; a read-only lock file still locks") {
    auto tmp = TempDir::create();
    REQUIRE(tmp.ok());
    const auto path = tmp->path() / "l.lock";
    auto a = FileLock::open(path);
    auto b = FileLock::open(path);
    REQUIRE((a.ok() && b.ok()));
    CHECK(a->try_lock(true).value());
    CHECK(b->try_lock(true).value());
    b->unlock();
    CHECK_FALSE(b->try_lock().value());
    a->unlock();
    CHECK(b->try_lock().value());
    b->unlock();
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
    auto ro = FileLock::open_if_possible(path);
    REQUIRE(ro.ok());
    REQUIRE(ro->has_value());
    CHECK((*ro)->try_lock(true).value());
    auto missing = FileLock::open_if_possible(tmp->path() / "no-such-dir" / "x.lock");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());
}
