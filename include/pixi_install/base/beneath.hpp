// Opening paths below a root directory without ever following a symbolic link:
// what the installer reads from an extracted package and writes into a prefix is
// reached this way, so a link in the package (or one planted in the prefix) cannot
// lead a read or a write to a file outside the root.
//
// Linux's openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does it in one call where
// the kernel has it (5.6 and later); elsewhere (ENOSYS, or a seccomp filter answering
// EPERM) each component is opened in turn with O_NOFOLLOW. Both refuse a symlink in
// any component (ELOOP), and `..` or an absolute path (EXDEV), before touching it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

/// An owned file descriptor, closed on destruction.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset(int fd = -1) noexcept;
    /// Gives up ownership: the descriptor is the caller's to close.
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

/// How paths below a root are resolved: openat2 where the kernel has it, else the walk.
enum class BeneathMethod { automatic, walk };
/// Chooses the method (tests force the walk to cover kernels without openat2).
void set_beneath_method(BeneathMethod m) noexcept;
/// True when openat2 is in use (false after the kernel refused it once, or when forced).
bool beneath_uses_openat2() noexcept;

/// Opens `rel` below the directory `root` with `flags` (O_CLOEXEC and O_NOFOLLOW are
/// added; `mode` with O_CREAT), following no symlink in any component. Returns the
/// descriptor, or -1 with errno: ELOOP when a component is a symlink (the last one
/// too, unless `flags` holds O_PATH, which opens the link itself), EXDEV for an
/// absolute path or a `..` component, else what open(2) says.
int openat_beneath(int root, std::string_view rel, int flags, mode_t mode = 0) noexcept;

/// `rel` (trailing slashes left out) cut at its last '/': the directory ("" for none) and the
/// last component's name; nullopt when that name is empty, "." or "..". What
/// open_parent_beneath opens and names, so callers holding that directory open can key it.
struct ParentAndLeaf {
    std::string_view dir;
    std::string_view leaf;
};
std::optional<ParentAndLeaf> split_parent(std::string_view rel) noexcept;

/// The directory holding the last component of `rel` (opened O_PATH below `root`,
/// following no symlink) and that component's name. With `create`, missing
/// directories are made (0755) one by one, never through a symlink.
struct BeneathParent {
    Fd dir;
    std::string leaf;
};
Result<BeneathParent> open_parent_beneath(int root, std::string_view rel, bool create, std::string_view root_name);

/// Makes the directory `rel` below `root` and every missing one above it, never
/// through a symlink (an existing symlink in the way is refused).
Result<void> make_dirs_beneath(int root, std::string_view rel, std::string_view root_name);

/// The error for a failed *_beneath call: ELOOP and EXDEV become ErrorKind::integrity
/// ("'rel' in ROOT goes through a symbolic link; refused"), anything else fail_errno.
Error beneath_error(std::string_view what, std::string_view rel, std::string_view root_name, int err);

}  // namespace pixi_install::base
