#include "file_ops.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/process.hpp"

namespace pixi_install::prefix::detail {

using base::ErrorKind;
using base::fail;
using base::Result;

namespace {

bool is_unsupported(int err) {
    return err == EOPNOTSUPP || err == EXDEV || err == EINVAL || err == ENOTTY || err == ENOSYS || err == EPERM ||
           err == EBADF;
}

}  // namespace

FdGuard::~FdGuard() {
    if (fd >= 0) ::close(fd);
}

Result<void> remove_existing(int dir, const std::string& leaf, const std::string& shown) {
    if (::unlinkat(dir, leaf.c_str(), 0) == 0 || errno == ENOENT) return {};
    int err = errno;
    if (err == EISDIR || err == EPERM) {
        if (::unlinkat(dir, leaf.c_str(), AT_REMOVEDIR) == 0) return {};
        return fail(ErrorKind::failure, "cannot replace directory " + shown + " with a file: it is not empty");
    }
    return base::fail_errno("cannot remove", shown, err);
}

namespace {

/// A fresh file `leaf` in `dir` (whatever was there removed first); never opened through a link.
/// It is asked for with the permission bits of `mode`; the umask or a default ACL of `dir` may
/// take some away, which set_mode puts back.
Result<int> create_fresh(int dir, const std::string& leaf, const std::string& shown, mode_t mode) {
    mode &= 0777;
    int fd = ::openat(dir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) {
        PI_TRY_VOID(remove_existing(dir, leaf, shown));
        fd = ::openat(dir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    if (fd < 0) return base::fail_errno("cannot create", shown, errno);
    return fd;
}

/// Gives the file open at `fd` exactly the permission bits of `mode`: a chmod only where
/// creating it did not (the umask or a default ACL took bits away), which is most often not
/// needed at all. Never setuid, setgid or sticky: extraction writes none, so a cache file with
/// one was changed afterwards (another user's cache), and its copy does not take it.
void set_mode(int fd, mode_t mode, ExactModes* exact = nullptr) {
    mode &= 0777;
    if (exact && exact->has(mode)) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 07777) == mode) {
        if (exact) exact->modes.push_back(mode);
        return;
    }
    ::fchmod(fd, mode);
}

/// Gives a copy the permissions and times of its source, whose status is `st`.
void take_status(int fd, const struct stat& st, ExactModes* exact = nullptr) {
    set_mode(fd, st.st_mode, exact);
    const struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(fd, ts);
}

}  // namespace

bool ExactModes::has(unsigned mode) const { return std::find(modes.begin(), modes.end(), mode) != modes.end(); }

Result<bool> try_reflink(int src, const struct stat& st, int dir, const std::string& leaf, const std::string& shown) {
    PI_TRY(int fd, create_fresh(dir, leaf, shown, st.st_mode));
    FdGuard d{fd};
    if (::ioctl(d.fd, FICLONE, src) != 0) {
        int err = errno;
        ::unlinkat(dir, leaf.c_str(), 0);
        if (is_unsupported(err)) return false;
        return base::fail_errno("cannot clone", shown, err);
    }
    take_status(d.fd, st);
    return true;
}

Result<void> copy_file(int src, const struct stat& st, int dir, const std::string& leaf, const std::string& shown,
                       ExactModes* exact) {
    PI_TRY(int fd, create_fresh(dir, leaf, shown, st.st_mode));
    FdGuard d{fd};
    off_t left = st.st_size;
    off_t in_off = 0;
    bool use_cfr = true;
    char buf[1 << 16];
    while (left > 0) {
        if (use_cfr) {
            ssize_t n = ::copy_file_range(src, &in_off, d.fd, nullptr, static_cast<std::size_t>(left), 0);
            if (n > 0) {
                left -= n;
                continue;
            }
            if (n == 0) break;
            if (errno == EINTR) continue;
            if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                return base::fail_errno("cannot copy to", shown, errno);
            use_cfr = false;
        }
        ssize_t n = ::pread(src, buf, sizeof buf, in_off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return base::fail_errno("cannot read the source of", shown, errno);
        }
        if (n == 0) break;
        PI_TRY_VOID(base::write_all(d.fd, std::string_view(buf, static_cast<std::size_t>(n)), shown));
        in_off += n;
        left -= n;
    }
    take_status(d.fd, st, exact);
    return {};
}

Result<void> write_new_file(int dir, const std::string& leaf, const std::string& shown, std::string_view content,
                            unsigned mode, long long mtime) {
    PI_TRY(int fd, create_fresh(dir, leaf, shown, static_cast<mode_t>(mode)));
    FdGuard d{fd};
    PI_TRY_VOID(base::write_all(d.fd, content, shown));
    set_mode(d.fd, static_cast<mode_t>(mode));
    if (mtime < 0) return {};
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(mtime);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    ::futimens(d.fd, ts);
    return {};
}

Result<std::string> sha256_of(int fd, const std::string& shown) {
    base::Hasher h(base::HashAlgo::sha256);
    char buf[1 << 16];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return base::fail_errno("cannot read", shown, errno);
        }
        if (n == 0) break;
        h.update(buf, static_cast<std::size_t>(n));
        off += n;
    }
    return h.finish_hex();
}

base::Result<ProcessOutcome> run_captured(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                          const std::filesystem::path& cwd, const std::string& what) {
    PI_TRY(base::TempDir tmp, base::TempDir::create());
    base::ChildSpec spec{argv, env, cwd, tmp.path() / "output"};
    PI_TRY(pid_t pid, base::spawn_child(spec, what));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return base::fail_errno("cannot wait for " + what, argv.front(), errno);
    ProcessOutcome out;
    out.exit_code = base::exit_code_of(status);
    if (auto o = base::read_file(spec.output); o.ok()) out.output = std::move(*o);
    return out;
}

}  // namespace pixi_install::prefix::detail
