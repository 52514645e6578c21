// The queue of files an extraction hands to idle workers (src/archive/write_behind): errors
// met by a worker reach the reading thread, every file is on disk after drain(), and small
// pools and big files are never handed off.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "write_behind.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;
using archive::detail::DeferredFile;
using archive::detail::WriteBehind;

namespace {

struct Dest {
    base::TempDir tmp;
    int fd;
    explicit Dest(base::TempDir t) : tmp(std::move(t)), fd(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY)) {}
    ~Dest() { ::close(fd); }
};

std::unique_ptr<Dest> make_dest() {
    auto t = base::TempDir::create();
    REQUIRE(t.ok());
    auto d = std::make_unique<Dest>(std::move(*t));
    REQUIRE(d->fd >= 0);
    return d;
}

DeferredFile file(std::string rel, std::string data, mode_t mode = 0644) {
    DeferredFile f;
    f.rel = std::move(rel);
    f.data = std::move(data);
    f.mode = mode;
    f.mtime = {1577836800, 0};
    return f;
}

}  // namespace

TEST_CASE("every file handed off is on disk, whole, after drain") {
    auto dest = make_dest();
    base::ThreadPool pool(3);
    WriteBehind wb(&pool, dest->fd, "many.tar.bz2");
    CHECK(wb.wants(1));  // three idle workers
    for (int i = 0; i < 300; ++i) {
        REQUIRE(wb.hand_off(file("f" + std::to_string(i), std::string(i, 'a' + i % 26), i % 7 ? 0644 : 0755)).ok());
    }
    REQUIRE(wb.drain().ok());
    for (int i = 0; i < 300; ++i) {
        const fs::path p = dest->tmp.path() / ("f" + std::to_string(i));
        struct stat st {};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        CHECK(st.st_size == i);
        CHECK((st.st_mode & 0777) == ((i % 7 ? 0644u : 0755u) & ~base::current_umask()));
        CHECK(st.st_mtime == 1577836800);
    }
    CHECK(wb.written_by_workers() <= 300);
}

TEST_CASE("a file a worker cannot write fails the next hand-off and the drain") {
    auto dest = make_dest();
    base::ThreadPool pool(2);
    WriteBehind wb(&pool, dest->fd, "broken.tar.bz2");
    // Its directory does not exist: the worker's create fails. This thread never writes a
    // file here before it has seen the error, so the error can only have come from a worker.
    REQUIRE(wb.hand_off(file("no-such-dir/a", "x")).ok());
    base::Error seen;
    bool failed = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (int i = 0; !failed && std::chrono::steady_clock::now() < deadline; ++i) {
        auto r = wb.hand_off(file("ok" + std::to_string(i), "y"));
        if (!r.ok()) {
            failed = true;
            seen = r.error();
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    REQUIRE(failed);
    CHECK(seen.to_string().find("cannot create") != std::string::npos);
    CHECK(seen.to_string().find("no-such-dir/a") != std::string::npos);
    CHECK(seen.to_string().find("broken.tar.bz2") != std::string::npos);
    CHECK_FALSE(wb.wants(1));  // nothing more after an error
    auto d = wb.drain();
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().message == seen.message);
}

TEST_CASE("nothing is handed off without a pool of two workers or more, nor past 1 MiB") {
    auto dest = make_dest();
    CHECK_FALSE(WriteBehind(nullptr, dest->fd, "a").wants(1));
    base::ThreadPool one(1);
    CHECK_FALSE(WriteBehind(&one, dest->fd, "a").wants(1));
    base::ThreadPool two(2);
    WriteBehind wb(&two, dest->fd, "a");
    CHECK(wb.wants(WriteBehind::kMaxFile));
    CHECK_FALSE(wb.wants(WriteBehind::kMaxFile + 1));
}
