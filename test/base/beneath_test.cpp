#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "pixi_install/base/beneath.hpp"
#include "pixi_install/base/fs.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

/// A root with a file, a subdirectory and links of every kind leading out of it;
/// `outside` holds the file the links point at.
struct Tree {
    base::TempDir tmp = *base::TempDir::create();
    fs::path root = tmp.path() / "root";
    fs::path outside = tmp.path() / "outside";
    base::Fd fd;
    Tree() {
        fs::create_directories(root / "dir/sub");
        fs::create_directories(outside);
        (void)base::write_file_atomic(root / "dir/file.txt", "inside");
        (void)base::write_file_atomic(outside / "secret.txt", "secret");
        fs::create_symlink(outside, root / "abs");                 // absolute link out
        fs::create_symlink("../outside", root / "rel");            // relative link out
        fs::create_symlink("dir", root / "inner");                 // a link that stays inside
        fs::create_symlink("file.txt", root / "dir/alias");        // a file link inside
        fs::create_symlink("/proc/self/root", root / "magic");     // a magic link
        fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
};

/// Runs the body once with openat2 (where the kernel has it) and once with the walk.
template <class F>
void both_methods(F&& body) {
    for (auto m : {base::BeneathMethod::automatic, base::BeneathMethod::walk}) {
        base::set_beneath_method(m);
        CAPTURE(static_cast<int>(m));
        body();
    }
    base::set_beneath_method(base::BeneathMethod::automatic);
}

int open_errno(int root, const char* rel, int flags, mode_t mode = 0) {
    int fd = base::openat_beneath(root, rel, flags, mode);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

}  // namespace

TEST_CASE("openat_beneath opens plain paths below the root") {
    Tree t;
    both_methods([&] {
        int fd = base::openat_beneath(t.fd.get(), "dir/file.txt", O_RDONLY);
        REQUIRE(fd >= 0);
        char buf[16] = {};
        CHECK(::read(fd, buf, sizeof buf) == 6);
        CHECK(std::string(buf) == "inside");
        ::close(fd);
        CHECK(open_errno(t.fd.get(), "./dir//sub", O_PATH | O_DIRECTORY) == 0);
        CHECK(open_errno(t.fd.get(), "", O_PATH | O_DIRECTORY) == 0);
        CHECK(open_errno(t.fd.get(), "dir/missing", O_RDONLY) == ENOENT);
    });
}

TEST_CASE("openat_beneath follows no symlink: absolute, relative, inside the root, magic") {
    Tree t;
    both_methods([&] {
        CHECK(open_errno(t.fd.get(), "abs/secret.txt", O_RDONLY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "rel/secret.txt", O_RDONLY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "inner/file.txt", O_RDONLY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "dir/alias", O_RDONLY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "abs", O_PATH | O_DIRECTORY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "magic/etc/hostname", O_RDONLY) == ELOOP);
        CHECK(open_errno(t.fd.get(), "magic", O_RDONLY) == ELOOP);
        // Creating through a link is refused too, and nothing appears outside.
        CHECK(open_errno(t.fd.get(), "abs/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) == ELOOP);
        CHECK(open_errno(t.fd.get(), "dir/alias", O_WRONLY | O_CREAT | O_TRUNC, 0644) == ELOOP);
        CHECK(!fs::exists(t.outside / "new.txt"));
        CHECK(*base::read_file(t.root / "dir/file.txt") == "inside");
    });
}

TEST_CASE("openat_beneath refuses '..' and absolute paths before touching them") {
    Tree t;
    both_methods([&] {
        CHECK(open_errno(t.fd.get(), "../outside/secret.txt", O_RDONLY) == EXDEV);
        CHECK(open_errno(t.fd.get(), "dir/../dir/file.txt", O_RDONLY) == EXDEV);
        CHECK(open_errno(t.fd.get(), (t.outside / "secret.txt").c_str(), O_RDONLY) == EXDEV);
    });
}

TEST_CASE("O_PATH opens a link itself, so it can be inspected without being followed") {
    Tree t;
    both_methods([&] {
        int fd = base::openat_beneath(t.fd.get(), "abs", O_PATH);
        REQUIRE(fd >= 0);
        struct stat st {};
        REQUIRE(::fstat(fd, &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        ::close(fd);
    });
}

TEST_CASE("the walk is what runs once forced, as on kernels without openat2") {
    base::set_beneath_method(base::BeneathMethod::walk);
    CHECK(!base::beneath_uses_openat2());
    base::set_beneath_method(base::BeneathMethod::automatic);
    CHECK(base::beneath_uses_openat2());
}

TEST_CASE("open_parent_beneath and make_dirs_beneath create directories, never through a link") {
    Tree t;
    both_methods([&] {
        auto p = base::open_parent_beneath(t.fd.get(), "new/a/b/leaf.txt", true, "the root");
        REQUIRE(p.ok());
        CHECK(p->leaf == "leaf.txt");
        CHECK(fs::is_directory(t.root / "new/a/b"));
        auto no = base::open_parent_beneath(t.fd.get(), "other/leaf.txt", false, "the root");
        REQUIRE(!no.ok());
        CHECK(!fs::exists(t.root / "other"));

        for (const char* bad : {"abs/made/leaf", "rel/made/leaf", "inner/made/leaf"}) {
            CAPTURE(bad);
            auto r = base::open_parent_beneath(t.fd.get(), bad, true, "the root");
            REQUIRE(!r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().message.find("symbolic link") != std::string::npos);
        }
        CHECK(!fs::exists(t.outside / "made"));
        auto d = base::make_dirs_beneath(t.fd.get(), "abs/x", "the root");
        REQUIRE(!d.ok());
        CHECK(d.error().kind == base::ErrorKind::integrity);
        CHECK(!fs::exists(t.outside / "x"));
        auto f = base::make_dirs_beneath(t.fd.get(), "dir/file.txt/x", "the root");
        REQUIRE(!f.ok());
        CHECK(f.error().message.find("a file is in the way") != std::string::npos);
        fs::remove_all(t.root / "new");
    });
}
