#include "file_ops.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "pixi_install/base/fs.hpp"

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

Result<void> remove_existing(const std::string& dst) {
    if (::unlink(dst.c_str()) == 0 || errno == ENOENT) return {};
    int err = errno;
    if (err == EISDIR || err == EPERM) {
        if (::rmdir(dst.c_str()) == 0) return {};
        return fail(ErrorKind::failure, "cannot replace directory " + dst + " with a file: it is not empty");
    }
    return base::fail_errno("cannot remove", dst, err);
}


Result<bool> try_reflink(const std::string& src, const std::string& dst) {
    FdGuard s{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
    if (s.fd < 0) return base::fail_errno("cannot open", src, errno);
    struct stat st {};
    if (::fstat(s.fd, &st) != 0) return base::fail_errno("cannot inspect", src, errno);
    FdGuard d{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (d.fd < 0 && errno == EEXIST) {
        PI_TRY_VOID(remove_existing(dst));
        d.fd = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (d.fd < 0) return base::fail_errno("cannot create", dst, errno);
    if (::ioctl(d.fd, FICLONE, s.fd) != 0) {
        int err = errno;
        ::unlink(dst.c_str());
        if (is_unsupported(err)) return false;
        return base::fail_errno("cannot clone", dst, err);
    }
    ::fchmod(d.fd, st.st_mode & 07777);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(d.fd, ts);
    return true;
}

Result<void> copy_file(const std::string& src, const std::string& dst) {
    FdGuard s{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
    if (s.fd < 0) return base::fail_errno("cannot open", src, errno);
    struct stat st {};
    if (::fstat(s.fd, &st) != 0) return base::fail_errno("cannot inspect", src, errno);
    PI_TRY_VOID(remove_existing(dst));
    FdGuard d{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (d.fd < 0) return base::fail_errno("cannot create", dst, errno);
    off_t left = st.st_size;
    bool use_cfr = true;
    char buf[1 << 16];
    while (left > 0) {
        if (use_cfr) {
            ssize_t n = ::copy_file_range(s.fd, nullptr, d.fd, nullptr, static_cast<std::size_t>(left), 0);
            if (n > 0) {
                left -= n;
                continue;
            }
            if (n == 0) break;
            if (errno == EINTR) continue;
            if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                return base::fail_errno("cannot copy to", dst, errno);
            use_cfr = false;
        }
        ssize_t n = ::read(s.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return base::fail_errno("cannot read", src, errno);
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(d.fd, buf + off, static_cast<std::size_t>(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                return base::fail_errno("cannot write", dst, errno);
            }
            off += w;
        }
        left -= n;
    }
    ::fchmod(d.fd, st.st_mode & 07777);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(d.fd, ts);
    return {};
}

base::Result<ProcessOutcome> run_captured(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                          const std::filesystem::path& cwd, const std::string& what) {
    PI_TRY(base::TempDir tmp, base::TempDir::create());
    const std::filesystem::path out_file = tmp.path() / "output";
    std::vector<std::string> args = argv, envs = env;
    std::vector<char*> argp, envp;
    for (auto& a : args) argp.push_back(a.data());
    argp.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, args.front().c_str(), &fa, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return base::fail_errno("cannot run " + what, args.front(), rc);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return base::fail_errno("cannot wait for " + what, args.front(), errno);
    ProcessOutcome out;
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (auto o = base::read_file(out_file); o.ok()) out.output = std::move(*o);
    return out;
}

}  // namespace pixi_install::prefix::detail
