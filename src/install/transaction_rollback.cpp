#include "transaction_rollback.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/beneath.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

constexpr const char* kLockName = "pixi-install.lock";
constexpr const char* kStateName = "pixi-install-state";

fs::path rollback_dir(const fs::path& prefix) { return prefix / kRollbackDir; }
fs::path snapshot_dir(const fs::path& prefix) { return rollback_dir(prefix) / "snapshot"; }
fs::path names_file(const fs::path& prefix) { return rollback_dir(prefix) / "names"; }

bool lexists(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

/// Root keeps each entry's owner (a prefix may belong to someone else); others cannot.
bool is_root() {
    static const bool root = ::geteuid() == 0;
    return root;
}

void keep_owner(int dir, const char* name, const struct stat& st) {
    if (is_root()) (void)::fchownat(dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
}

/// `name` of the directory open at `dir`, for messages.
std::string shown(const fs::path& dir, const char* name) { return (dir / name).string(); }

/// A copy of the regular file `name` (status `st`) of the directory open at `src_dir` (shown as
/// `src_path`), made in the one open at `dst_dir` (shown as `dst_path`).
Result<void> copy_regular(int src_dir, int dst_dir, const char* name, const struct stat& st, const fs::path& src_path,
                          const fs::path& dst_path) {
    base::Fd in(::openat(src_dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) return base::fail_errno("cannot read", shown(src_path, name), errno);
    base::Fd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!out) return base::fail_errno("cannot create", shown(dst_path, name), errno);
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return base::fail_errno("cannot read", shown(src_path, name), errno);
        if (n == 0) break;
        PI_TRY_VOID(base::write_all(out.get(), std::string_view(buf, static_cast<std::size_t>(n)), shown(dst_path, name)));
    }
    // The owner first: changing it takes away setuid and setgid bits, which the mode then sets.
    keep_owner(dst_dir, name, st);
    if (::fchmod(out.get(), st.st_mode & 07777) != 0) return base::fail_errno("cannot set the mode of", shown(dst_path, name), errno);
    if (::close(out.release()) != 0) return base::fail_errno("cannot write", shown(dst_path, name), errno);
    return {};
}

/// A directory whose entries one task takes on: (source and) destination, open by path.
struct TreeDir {
    fs::path src, dst;
};

/// A directory of the snapshot, made 0700 to be filled; its mode and owner are set once the
/// whole tree is in (a directory without write permission could take no entries before).
struct MadeDir {
    fs::path path;
    struct stat st;
};

/// What cloning one directory's entries found below it.
struct CloneOut {
    std::vector<TreeDir> subdirs;
    std::vector<MadeDir> made;
};

/// Recreates the entry `name` of the directory open at `src_dir` in the one open at `dst_dir`:
/// a directory empty (its entries are the caller's next work), a symlink anew, anything else
/// as a hard link (where the file system or the kernel refuses it, a file copied, a fifo or
/// a device made anew).
Result<void> clone_entry(int src_dir, int dst_dir, const char* name, const TreeDir& at, CloneOut& out) {
    struct stat st {};
    if (::fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return base::fail_errno("cannot stat", shown(at.src, name), errno);
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(dst_dir, name, 0700) != 0) return base::fail_errno("cannot create", shown(at.dst, name), errno);
        out.subdirs.push_back({at.src / name, at.dst / name});
        out.made.push_back({at.dst / name, st});
        return {};
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        const ssize_t n = ::readlinkat(src_dir, name, target, sizeof target);
        if (n < 0) return base::fail_errno("cannot read the link", shown(at.src, name), errno);
        if (::symlinkat(std::string(target, static_cast<std::size_t>(n)).c_str(), dst_dir, name) != 0)
            return base::fail_errno("cannot create", shown(at.dst, name), errno);
        keep_owner(dst_dir, name, st);
        return {};
    }
    // Files, and what else a user keeps in a prefix (a fifo, a socket's node, a device): the
    // same inode, by a hard link.
    if (::linkat(src_dir, name, dst_dir, name, 0) == 0) return {};
    const int err = errno;
    if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS)
        return base::fail_errno("cannot link", shown(at.dst, name), err);
    if (S_ISREG(st.st_mode)) return copy_regular(src_dir, dst_dir, name, st, at.src, at.dst);
    // A node of its own, of the same kind (a device only as root, who alone could have made it).
    if (::mknodat(dst_dir, name, st.st_mode & (S_IFMT | 0777), st.st_rdev) != 0)
        return base::fail_errno("cannot keep", shown(at.src, name), errno);
    keep_owner(dst_dir, name, st);
    if (::fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0)
        return base::fail_errno("cannot set the mode of", shown(at.dst, name), errno);
    return {};
}

/// Names in the directory open at `dir` (not following it: it was opened O_NOFOLLOW).
Result<std::vector<std::string>> list_fd(int dir, const fs::path& path) {
    const int dup = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return base::fail_errno("cannot read the directory", path.string(), errno);
    DIR* d = ::fdopendir(dup);
    if (!d) {
        const int err = errno;
        ::close(dup);
        return base::fail_errno("cannot read the directory", path.string(), err);
    }
    std::vector<std::string> out;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(std::move(n));
    }
    ::closedir(d);
    return out;
}

/// The directory at `path`, its last component not followed if it is a symlink.
base::Fd open_dir(const fs::path& path) {
    return base::Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/// Names in the directory `dir` (none when it is absent).
Result<std::vector<std::string>> list_dir(const fs::path& dir) {
    base::Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d) {
        if (errno == ENOENT) return std::vector<std::string>{};
        return base::fail_errno("cannot read the directory", dir.string(), errno);
    }
    return list_fd(d.get(), dir);
}

/// Clones every entry of `at` (one level).
Result<void> clone_dir_entries(const TreeDir& at, CloneOut& out) {
    base::Fd src = open_dir(at.src);
    if (!src) return base::fail_errno("cannot open", at.src.string(), errno);
    base::Fd dst = open_dir(at.dst);
    if (!dst) return base::fail_errno("cannot open", at.dst.string(), errno);
    PI_TRY(auto names, list_fd(src.get(), at.src));
    for (const auto& n : names) PI_TRY_VOID(clone_entry(src.get(), dst.get(), n.c_str(), at, out));
    return {};
}

/// Runs f(i) for each i < n, on `pool` when there is one. An error stops the tasks not yet
/// begun; of the errors met, the one with the least message is returned.
Result<void> for_each_task(base::ThreadPool* pool, std::size_t n, const std::function<Result<void>(std::size_t)>& f) {
    if (!pool || pool->size() < 2 || n < 2) {
        for (std::size_t i = 0; i < n; ++i) PI_TRY_VOID(f(i));
        return {};
    }
    std::vector<base::Error> errors = pool->try_each(n, f);
    if (!errors.empty()) return std::move(errors.front());
    return {};
}

/// Clones the trees below `level` (directories already made), one directory a task, level by
/// level; then gives every directory made its mode and owner.
Result<void> clone_trees(std::vector<TreeDir> level, std::vector<MadeDir> made, base::ThreadPool* pool) {
    while (!level.empty()) {
        std::vector<CloneOut> outs(level.size());
        PI_TRY_VOID(for_each_task(pool, level.size(), [&](std::size_t i) { return clone_dir_entries(level[i], outs[i]); }));
        level.clear();
        for (auto& o : outs) {
            level.insert(level.end(), std::make_move_iterator(o.subdirs.begin()), std::make_move_iterator(o.subdirs.end()));
            made.insert(made.end(), std::make_move_iterator(o.made.begin()), std::make_move_iterator(o.made.end()));
        }
    }
    return for_each_task(pool, made.size(), [&](std::size_t i) -> Result<void> {
        const MadeDir& m = made[i];
        if (::chmod(m.path.c_str(), m.st.st_mode & 07777) != 0)
            return base::fail_errno("cannot set the mode of", m.path.string(), errno);
        if (is_root()) (void)::lchown(m.path.c_str(), m.st.st_uid, m.st.st_gid);
        return {};
    });
}

/// Removes every entry of the directory `path` that is not a directory, and returns those that
/// are (to be emptied next). A directory that refuses the removal (no write permission: it
/// was snapshotted with its mode) is given its owner's permissions first: it is ours to remove.
Result<void> empty_dir_of_files(const fs::path& path, std::vector<fs::path>& subdirs) {
    base::Fd dir = open_dir(path);
    if (!dir && errno == EACCES) {
        (void)::chmod(path.c_str(), S_IRWXU);
        dir = open_dir(path);
    }
    if (!dir) return base::fail_errno("cannot open", path.string(), errno);
    PI_TRY(auto names, list_fd(dir.get(), path));
    bool made_writable = false;
    for (const auto& n : names) {
        if (::unlinkat(dir.get(), n.c_str(), 0) == 0 || errno == ENOENT) continue;
        int err = errno;
        if ((err == EACCES || err == EPERM) && !made_writable) {
            made_writable = true;
            if (::fchmod(dir.get(), S_IRWXU) == 0) {
                if (::unlinkat(dir.get(), n.c_str(), 0) == 0 || errno == ENOENT) continue;
                err = errno;
            }
        }
        if (err == EISDIR || err == EPERM) {  // EPERM: what POSIX allows unlink to say of a directory
            struct stat st {};
            if (::fstatat(dir.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                subdirs.push_back(path / n);
                continue;
            }
        }
        return base::fail_errno("cannot remove", (path / n).string(), err);
    }
    return {};
}

/// Removes the tree at `root` (absent is fine), one directory's files a task, level by level,
/// then the directories from the deepest level up: for a snapshot of a whole prefix.
Result<void> remove_tree_levels(const fs::path& root, base::ThreadPool* pool) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return base::fail_errno("cannot stat", root.string(), errno);
    }
    if (!S_ISDIR(st.st_mode)) return base::remove_tree(root);
    std::vector<std::vector<fs::path>> levels{{root}};
    while (!levels.back().empty()) {
        const auto& level = levels.back();
        std::vector<std::vector<fs::path>> found(level.size());
        PI_TRY_VOID(for_each_task(pool, level.size(), [&](std::size_t i) { return empty_dir_of_files(level[i], found[i]); }));
        std::vector<fs::path> next;
        for (auto& f : found) next.insert(next.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
        levels.push_back(std::move(next));
    }
    for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
        const auto& level = *it;
        PI_TRY_VOID(for_each_task(pool, level.size(), [&](std::size_t i) -> Result<void> {
            if (::rmdir(level[i].c_str()) == 0 || errno == ENOENT) return {};
            return base::fail_errno("cannot remove", level[i].string(), errno);
        }));
    }
    return {};
}

/// remove_tree_levels, and where it fails (a tree deeper than a path can name), the removal one
/// directory at a time from the root that the standard library does; the first error if both fail.
Result<void> remove_tree_parallel(const fs::path& root, base::ThreadPool* pool) {
    auto r = remove_tree_levels(root, pool);
    if (r.ok() || base::remove_tree(root).ok()) return {};
    return r;
}

/// The first line of a `names` file in the format below (a file without it is a list of
/// names one a line, as an earlier version wrote it).
constexpr std::string_view kNamesHeader = "pixi-install rollback names 2\n";

/// One entry of the snapshot's list: a top-level name of the prefix or of its conda-meta, and
/// for a directory without its owner's write permission, that mode (the snapshot holds it with
/// write permission: moving a directory to another parent writes its `..`).
struct KeptName {
    bool meta = false;
    std::string name;
    std::optional<mode_t> mode;
    std::string rel() const { return meta ? "conda-meta/" + name : name; }
};

/// A name the list may hold: one path component (anything else in a list is not ours).
bool is_single_component(const std::string& n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}

/// After the header, each entry `top|meta <octal mode or -> <name>` ends with a NUL byte, so
/// that a name may hold any byte a file name can.
std::string encode_names(const std::vector<KeptName>& names) {
    std::string out(kNamesHeader);
    char mode[16];
    for (const auto& k : names) {
        if (k.mode) std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(*k.mode));
        out += std::string(k.meta ? "meta " : "top ") + (k.mode ? mode : "-") + " " + k.name;
        out += '\0';
    }
    return out;
}

std::vector<KeptName> decode_names(const std::string& text) {
    std::vector<KeptName> out;
    if (text.rfind(kNamesHeader, 0) != 0) {  // the earlier format
        for (std::size_t pos = 0; pos < text.size();) {
            std::size_t nl = text.find('\n', pos);
            if (nl == std::string::npos) nl = text.size();
            std::string n = text.substr(pos, nl - pos);
            pos = nl + 1;
            KeptName k;
            k.meta = n.rfind("conda-meta/", 0) == 0;
            k.name = k.meta ? n.substr(11) : n;
            if (is_single_component(k.name)) out.push_back(std::move(k));
        }
        return out;
    }
    for (std::size_t pos = kNamesHeader.size(); pos < text.size();) {
        std::size_t end = text.find('\0', pos);
        if (end == std::string::npos) end = text.size();
        const std::string e = text.substr(pos, end - pos);
        pos = end + 1;
        const auto sp1 = e.find(' ');
        const auto sp2 = sp1 == std::string::npos ? sp1 : e.find(' ', sp1 + 1);
        if (sp2 == std::string::npos) continue;
        KeptName k;
        const std::string kind = e.substr(0, sp1), mode = e.substr(sp1 + 1, sp2 - sp1 - 1);
        k.meta = kind == "meta";
        k.name = e.substr(sp2 + 1);
        if ((kind != "top" && kind != "meta") || !is_single_component(k.name)) continue;
        if (mode != "-") {
            char* stop = nullptr;
            const unsigned long m = std::strtoul(mode.c_str(), &stop, 8);
            if (mode.empty() || *stop != '\0' || m > 07777) continue;
            k.mode = static_cast<mode_t>(m);
        }
        out.push_back(std::move(k));
    }
    return out;
}

/// Gives the directory `path` (not followed if a symlink) the permission bits `mode`.
Result<void> set_dir_mode(const fs::path& path, mode_t mode) {
    base::Fd d = open_dir(path);
    if (!d) {
        if (errno == ENOENT) return {};
        return base::fail_errno("cannot open", path.string(), errno);
    }
    if (::fchmod(d.get(), mode & 07777) != 0) return base::fail_errno("cannot set the mode of", path.string(), errno);
    return {};
}

}  // namespace

bool has_snapshot(const fs::path& prefix) { return lexists(names_file(prefix)); }

bool has_snapshot_dir(const fs::path& prefix) { return lexists(rollback_dir(prefix)); }

Result<void> discard_snapshot(const fs::path& prefix, base::ThreadPool* pool) {
    if (!lexists(rollback_dir(prefix))) return {};
    if (::unlink(names_file(prefix).c_str()) != 0 && errno != ENOENT)
        return base::fail_errno("cannot remove", names_file(prefix).string(), errno);
    return remove_tree_parallel(rollback_dir(prefix), pool);
}

Result<void> take_snapshot(const fs::path& prefix, base::ThreadPool* pool) {
    PI_TRY_VOID(discard_snapshot(prefix, pool));
    auto made = [&]() -> Result<void> {
        const fs::path snap = snapshot_dir(prefix);
        if (::mkdir(rollback_dir(prefix).c_str(), 0700) != 0)
            return base::fail_errno("cannot create", rollback_dir(prefix).string(), errno);
        if (::mkdir(snap.c_str(), 0700) != 0) return base::fail_errno("cannot create", snap.string(), errno);
        // The prefix may be reached through a symlink (as its path is everywhere else).
        base::Fd prefix_fd(::open(prefix.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!prefix_fd) return base::fail_errno("cannot open", prefix.string(), errno);
        base::Fd snap_fd = open_dir(snap);
        if (!snap_fd) return base::fail_errno("cannot open", snap.string(), errno);
        // The top level here (its names are the snapshot's list), the trees below on the pool.
        std::vector<KeptName> names;
        CloneOut top;
        // Clones one entry and lists it. A kept directory (top level, or in conda-meta) without
        // write permission for its owner is held with it until it is moved back, its mode listed.
        auto keep = [&](int src_dir, int dst_dir, const TreeDir& at, bool meta, const std::string& n) -> Result<void> {
            const std::size_t made_before = top.made.size();
            PI_TRY_VOID(clone_entry(src_dir, dst_dir, n.c_str(), at, top));
            KeptName k{meta, n, std::nullopt};
            if (top.made.size() > made_before && !(top.made.back().st.st_mode & S_IWUSR)) {
                k.mode = top.made.back().st.st_mode & 07777;
                top.made.back().st.st_mode |= S_IWUSR;
            }
            names.push_back(std::move(k));
            return {};
        };
        const TreeDir root{prefix, snap};
        PI_TRY(auto entries, list_fd(prefix_fd.get(), prefix));
        for (const auto& n : entries) {
            if (n == kRollbackDir) continue;
            if (n == "conda-meta") {
                if (::mkdirat(snap_fd.get(), n.c_str(), 0700) != 0)
                    return base::fail_errno("cannot create", (snap / n).string(), errno);
                const TreeDir meta{prefix / n, snap / n};
                base::Fd meta_src = open_dir(meta.src);
                if (!meta_src) return base::fail_errno("cannot open", meta.src.string(), errno);
                base::Fd meta_dst = open_dir(meta.dst);
                if (!meta_dst) return base::fail_errno("cannot open", meta.dst.string(), errno);
                PI_TRY(auto records, list_fd(meta_src.get(), meta.src));
                for (const auto& m : records) {
                    if (m == kLockName) continue;
                    PI_TRY_VOID(keep(meta_src.get(), meta_dst.get(), meta, true, m));
                }
                continue;
            }
            PI_TRY_VOID(keep(prefix_fd.get(), snap_fd.get(), root, false, n));
        }
        PI_TRY_VOID(clone_trees(std::move(top.subdirs), std::move(top.made), pool));
        return base::write_file_atomic(names_file(prefix), encode_names(names), /*durable=*/true, 0600);
    }();
    if (!made.ok()) {
        (void)discard_snapshot(prefix, pool);
        return std::move(made).error().with_context("while keeping the previous environment for a rollback "
                                                    "(nothing was changed)");
    }
    return {};
}

Result<void> restore_snapshot(const fs::path& prefix, base::ThreadPool* pool) {
    PI_TRY(std::string text, base::read_file(names_file(prefix)));
    const std::vector<KeptName> names = decode_names(text);
    std::set<std::string> top, meta;
    for (const auto& k : names) (k.meta ? meta : top).insert(k.name);
    // 1. Whatever the failed install added goes.
    PI_TRY(auto now_top, list_dir(prefix));
    for (const auto& n : now_top)
        if (n != kRollbackDir && n != "conda-meta" && !top.count(n)) PI_TRY_VOID(remove_tree_parallel(prefix / n, pool));
    PI_TRY(auto now_meta, list_dir(prefix / "conda-meta"));
    for (const auto& m : now_meta)
        if (m != kLockName && !meta.count(m)) PI_TRY_VOID(remove_tree_parallel(prefix / "conda-meta" / m, pool));
    // 2. Every kept entry moves back, then the directories get back the modes the snapshot
    //    held them without (again, after a restore that a crash cut short), and the state
    //    marker comes last: until it is back, the prefix does not say "complete", so a crash
    //    before is met by another restore.
    const fs::path snap = snapshot_dir(prefix);
    auto move_back = [&](const std::string& n) -> Result<void> {
        if (!lexists(snap / n)) return {};  // moved back by an earlier, interrupted restore
        PI_TRY_VOID(remove_tree_parallel(prefix / n, pool));
        if (::rename((snap / n).c_str(), (prefix / n).c_str()) != 0)
            return base::fail_errno("cannot move back", (prefix / n).string(), errno);
        return {};
    };
    const std::string state = std::string("conda-meta/") + kStateName;
    for (const auto& k : names)
        if (k.rel() != state) PI_TRY_VOID(move_back(k.rel()));
    for (const auto& k : names)
        if (k.mode) PI_TRY_VOID(set_dir_mode(prefix / k.rel(), *k.mode));
    if (meta.count(kStateName)) PI_TRY_VOID(move_back(state));
    return discard_snapshot(prefix, pool);
}

}  // namespace pixi_install::install
