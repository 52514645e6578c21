#include "pixi_install/base/beneath.hpp"

#include "path_components.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace pixi_install::base {

// openat2(2) is not in every libc's headers (musl has no wrapper): the call and
// its constants are spelled out here, as the kernel's uapi defines them.
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace {

struct OpenHow {
    std::uint64_t flags;
    std::uint64_t mode;
    std::uint64_t resolve;
};
constexpr std::uint64_t resolve_no_magiclinks = 0x02;
constexpr std::uint64_t resolve_no_symlinks = 0x04;
constexpr std::uint64_t resolve_beneath = 0x08;

// 1: use openat2; 0: the walk (forced, or the kernel refused openat2).
std::atomic<int> g_openat2{1};

/// Splits `rel` into its components (empty and `.` ones dropped). False for an
/// absolute path or a `..` component.
template <class F>
bool for_each_component(std::string_view rel, F&& f) {
    if (!rel.empty() && rel.front() == '/') return false;
    return detail::for_each_path_component(rel, [&](std::string_view comp) {
        if (comp == "..") return false;
        if (!comp.empty() && comp != ".") f(comp);
        return true;
    });
}

/// After openat(dir, name, ... O_NOFOLLOW) failed with `err`: ELOOP when `name` is a symlink.
int symlink_errno(int dir, const std::string& name, int err) {
    if (err != ENOTDIR && err != ELOOP) return err;
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) return ELOOP;
    return err;
}

int walk_open(int root, const std::vector<std::string>& comps, int flags, mode_t mode) {
    Fd owned;
    int cur = root;
    if (comps.empty()) return ::openat(root, ".", flags, mode);
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
        int fd = ::openat(cur, comps[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            errno = symlink_errno(cur, comps[i], errno);
            return -1;
        }
        owned.reset(fd);
        cur = fd;
    }
    int fd = ::openat(cur, comps.back().c_str(), flags, mode);
    if (fd < 0 && (!(flags & O_PATH) || (flags & O_DIRECTORY))) errno = symlink_errno(cur, comps.back(), errno);
    return fd;
}

/// Whether a harmless openat2 succeeds (a seccomp filter may answer EPERM to every call).
bool openat2_works() noexcept {
    OpenHow how{static_cast<std::uint64_t>(O_PATH | O_CLOEXEC), 0, resolve_no_symlinks};
    long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    if (fd < 0) return false;
    ::close(static_cast<int>(fd));
    return true;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        reset(o.fd_);
        o.fd_ = -1;
    }
    return *this;
}

Fd::~Fd() { reset(); }

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

void set_beneath_method(BeneathMethod m) noexcept { g_openat2.store(m == BeneathMethod::automatic ? 1 : 0); }

bool beneath_uses_openat2() noexcept { return g_openat2.load(std::memory_order_relaxed) == 1; }

namespace {

int open_beneath_impl(int root, std::string_view rel, int flags, mode_t mode) {
    std::vector<std::string> comps;
    if (!for_each_component(rel, [&](std::string_view c) { comps.emplace_back(c); })) {
        errno = EXDEV;
        return -1;
    }
    if (beneath_uses_openat2()) {
        std::string path;
        for (const auto& c : comps) path.append(path.empty() ? "" : "/").append(c);
        if (path.empty()) path = ".";
        OpenHow how{static_cast<std::uint64_t>(flags), static_cast<std::uint64_t>(mode),
                    resolve_beneath | resolve_no_symlinks | resolve_no_magiclinks};
        for (int attempt = 0; attempt < 16; ++attempt) {
            long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
            if (fd >= 0) return static_cast<int>(fd);
            if (errno == EAGAIN || errno == EINTR) continue;  // a concurrent rename; try again
            if (errno == ENOTDIR) return walk_open(root, comps, flags, mode);  // tells a symlink (ELOOP) apart
            if (errno == EPERM && openat2_works()) {  // a real EPERM (an immutable file, ...)
                errno = EPERM;
                return -1;
            }
            if (errno != ENOSYS && errno != EPERM) return -1;
            break;
        }
        if (errno == EAGAIN || errno == EINTR) return -1;
        g_openat2.store(0);  // no openat2 here (old kernel, or a seccomp filter): the walk from now on
    }
    return walk_open(root, comps, flags, mode);
}

}  // namespace

int openat_beneath(int root, std::string_view rel, int flags, mode_t mode) noexcept {
    flags |= O_CLOEXEC | O_NOFOLLOW;
    if (!(flags & (O_CREAT | O_TMPFILE))) mode = 0;
    try {
        return open_beneath_impl(root, rel, flags, mode);
    } catch (...) {  // only allocation can throw
        errno = ENOMEM;
        return -1;
    }
}

Result<void> make_dirs_beneath(int root, std::string_view rel, std::string_view root_name) {
    std::vector<std::string> comps;
    if (!for_each_component(rel, [&](std::string_view c) { comps.emplace_back(c); }))
        return beneath_error("cannot create directory", rel, root_name, EXDEV);
    Fd owned;
    int cur = root;
    for (const auto& c : comps) {
        int fd = ::openat(cur, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            if (::mkdirat(cur, c.c_str(), 0755) != 0 && errno != EEXIST)
                return beneath_error("cannot create directory", rel, root_name, errno);
            fd = ::openat(cur, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int err = symlink_errno(cur, c, errno);
            if (err == ENOTDIR)
                return fail(ErrorKind::failure, "cannot create directory '" + std::string(rel) + "' in " +
                                                    std::string(root_name) + ": a file is in the way");
            return beneath_error("cannot create directory", rel, root_name, err);
        }
        owned.reset(fd);
        cur = fd;
    }
    return {};
}

std::optional<ParentAndLeaf> split_parent(std::string_view rel) noexcept {
    while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
    ParentAndLeaf out;
    if (auto slash = rel.rfind('/'); slash == std::string_view::npos) {
        out.leaf = rel;
    } else {
        out.dir = rel.substr(0, slash);
        out.leaf = rel.substr(slash + 1);
    }
    if (out.leaf.empty() || out.leaf == "." || out.leaf == "..") return std::nullopt;
    return out;
}

Result<BeneathParent> open_parent_beneath(int root, std::string_view rel, bool create, std::string_view root_name) {
    const auto parts = split_parent(rel);
    if (!parts) return beneath_error("cannot open", rel, root_name, EXDEV);
    const std::string_view dir = parts->dir;
    BeneathParent out;
    out.leaf = std::string(parts->leaf);
    int fd = openat_beneath(root, dir, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT && create) {
        PI_TRY_VOID(make_dirs_beneath(root, dir, root_name));
        fd = openat_beneath(root, dir, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) return beneath_error("cannot open the directory of", rel, root_name, errno);
    out.dir.reset(fd);
    return out;
}

Error beneath_error(std::string_view what, std::string_view rel, std::string_view root_name, int err) {
    const std::string where = "'" + std::string(rel) + "' in " + std::string(root_name);
    if (err == ELOOP)
        return fail(ErrorKind::integrity, std::string(what) + " " + where +
                                              ": the path goes through a symbolic link (refused: nothing is read or "
                                              "written through links)");
    if (err == EXDEV)
        return fail(ErrorKind::integrity, std::string(what) + " " + where + ": the path leads outside it (refused)");
    return fail_errno(std::string(what), std::string(rel) + " in " + std::string(root_name), err);
}

}  // namespace pixi_install::base
