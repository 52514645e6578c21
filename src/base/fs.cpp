#include "pixi_install/base/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>

namespace pixi_install::base {

Result<std::string> read_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("cannot open", path.string(), errno);
    std::string out;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return fail_errno("cannot read", path.string(), err);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

namespace {

/// A seed from the kernel (getrandom, no file needed: std::random_device of libc++ opens
/// /dev/urandom, which an empty container root lacks), mixed with the clock; the clock
/// alone where the kernel has no getrandom (before 3.17).
std::uint64_t random_seed() {
    std::uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) seed = 0;
    return seed ^ static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

fs::path unique_sibling(const fs::path& target, std::string_view tag) {
    static std::atomic<unsigned long> counter{0};
    thread_local std::mt19937_64 rng{random_seed()};
    std::string name = "." + target.filename().string() + "." + std::string(tag) + "-" +
                       std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                       std::to_string(rng() % 1000000007ULL);
    return target.parent_path() / name;
}

Result<void> write_all(int fd, std::string_view data, std::string_view what) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot write", std::string(what), errno);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return {};
}

Result<void> write_file_atomic(const fs::path& path, std::string_view content, bool durable,
                               unsigned mode) {
    fs::path tmp = unique_sibling(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail_errno("cannot create", tmp.string(), errno);
    if (auto w = write_all(fd, content, path.string()); !w) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return w;
    }
    if (durable && ::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail_errno("cannot sync", path.string(), err);
    }
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail_errno("cannot write", path.string(), err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail_errno("cannot rename into place", path.string(), err);
    }
    return {};
}

Result<void> make_dirs(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec) return {};
    // Name the directory that could not be made, not the leaf asked for: the first
    // missing one below the deepest existing ancestor.
    fs::path failed = dir;
    for (fs::path p = dir; !p.empty() && p != p.parent_path(); p = p.parent_path()) {
        std::error_code e2;
        if (fs::exists(p, e2)) break;
        failed = p;
    }
    Error e = fail_errno("cannot create directory", failed.string(), ec.value());
    if (failed != dir) e.message += " (on the way to " + dir.string() + ")";
    return e;

}

namespace {

struct timespec_pair {
    struct timespec t[2];
};

timespec_pair times_of(std::int64_t seconds) {
    timespec_pair p{};
    p.t[0].tv_sec = p.t[1].tv_sec = static_cast<time_t>(seconds);
    p.t[0].tv_nsec = p.t[1].tv_nsec = 0;
    return p;
}

/// Sets the times below the open directory `dfd` (named `where` in errors), then closes it.
Result<void> set_times_below(int dfd, const std::string& where, const timespec_pair& tp) {
    DIR* d = ::fdopendir(dfd);
    if (!d) {
        int err = errno;
        ::close(dfd);
        return fail_errno("cannot list", where, err);
    }
    Result<void> out;
    while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st {};
            if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                out = fail_errno("cannot inspect", where + "/" + std::string(n), errno);
                break;
            }
            is_dir = S_ISDIR(st.st_mode);
        }
        if (is_dir) {
            int child = ::openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                out = fail_errno("cannot open", where + "/" + std::string(n), errno);
                break;
            }
            out = set_times_below(child, where + "/" + std::string(n), tp);
            if (!out.ok()) break;
        }
        if (::utimensat(dfd, e->d_name, tp.t, AT_SYMLINK_NOFOLLOW) != 0) {
            out = fail_errno("cannot set the time of", where + "/" + std::string(n), errno);
            break;
        }
    }
    ::closedir(d);
    return out;
}

}  // namespace

Result<void> set_path_time(const fs::path& path, std::int64_t seconds) {
    timespec_pair tp = times_of(seconds);
    if (::utimensat(AT_FDCWD, path.c_str(), tp.t, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno("cannot set the time of", path.string(), errno);
    return {};
}

Result<void> set_tree_time(const fs::path& root, std::int64_t seconds) {
    timespec_pair tp = times_of(seconds);
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno("cannot open", root.string(), errno);
    PI_TRY_VOID(set_times_below(fd, root.string(), tp));
    return set_path_time(root, seconds);
}

Result<void> remove_tree(const fs::path& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        return fail_errno("cannot remove", path.string(), ec.value());
    return {};
}

Result<TempDir> TempDir::create(const fs::path& parent, std::string_view prefix) {
    fs::path base = parent;
    if (base.empty()) {
        const char* t = std::getenv("TMPDIR");  // read-only use of the environment for scratch space
        base = (t && *t) ? fs::path(t) : fs::path("/tmp");
    }
    PI_TRY_VOID(make_dirs(base));
    std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
    if (!::mkdtemp(templ.data())) return fail_errno("cannot create temporary directory in", base.string(), errno);
    return TempDir(fs::path(templ));
}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
    if (this != &o) {
        if (!path_.empty()) (void)remove_tree(path_);
        path_ = std::move(o.path_);
        o.path_.clear();
    }
    return *this;
}

TempDir::~TempDir() {
    if (!path_.empty()) (void)remove_tree(path_);
}

fs::path TempDir::release() {
    fs::path p = std::move(path_);
    path_.clear();
    return p;
}

Result<FileLock> FileLock::open(const fs::path& lock_path) {
    if (lock_path.has_parent_path()) PI_TRY_VOID(make_dirs(lock_path.parent_path()));
    FileLock l;
    l.fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (l.fd_ < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        const int err = errno;
        l.fd_ = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (l.fd_ < 0) return fail_errno("cannot open lock file", lock_path.string(), errno == ENOENT ? err : errno);
    }
    if (l.fd_ < 0) return fail_errno("cannot open lock file", lock_path.string(), errno);
    l.path_ = lock_path;
    return l;
}

Result<std::optional<FileLock>> FileLock::open_if_possible(const fs::path& lock_path) {
    FileLock l;
    l.fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (l.fd_ < 0 && errno != ENOENT) l.fd_ = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (l.fd_ < 0) {
        const int err = errno;
        if (err == ENOENT || err == EACCES || err == EROFS || err == EPERM) return std::optional<FileLock>();
        return fail_errno("cannot open lock file", lock_path.string(), err);
    }
    l.path_ = lock_path;
    return std::optional<FileLock>(std::move(l));
}

Result<bool> FileLock::try_lock(bool shared) {
    if (::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    return fail_errno("cannot lock", path_.string(), errno);
}

Result<void> FileLock::lock_blocking(bool shared) {
    while (::flock(fd_, shared ? LOCK_SH : LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        return fail_errno("cannot lock", path_.string(), errno);
    }
    return {};
}

Result<void> FileLock::downgrade() { return lock_blocking(true); }

void FileLock::unlock() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

unsigned current_umask() {
    static const unsigned mask = [] {
        const mode_t m = ::umask(022);
        ::umask(m);
        return static_cast<unsigned>(m);
    }();
    return mask;
}

void raise_open_file_limit() {
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    const rlim_t want = rl.rlim_max == RLIM_INFINITY ? rlim_t(1) << 20 : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        path_ = std::move(o.path_);
        o.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    if (ec) a = p;
    return a.lexically_normal();
}

}  // namespace pixi_install::base
