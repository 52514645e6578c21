#include "transaction_rollback.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "pixi_install/base/fs.hpp"

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

Result<std::vector<std::string>> list_dir(const fs::path& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        return base::fail_errno("cannot read the directory", dir.string(), errno);
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(std::move(n));
    }
    ::closedir(d);
    return out;
}

bool lexists(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

/// Root keeps each entry's owner (a prefix may belong to someone else); others cannot.
void keep_owner(const fs::path& dst, const struct stat& st) {
    if (::geteuid() == 0) (void)::lchown(dst.c_str(), st.st_uid, st.st_gid);
}

Result<void> copy_regular(const fs::path& src, const fs::path& dst, const struct stat& st) {
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) return base::fail_errno("cannot read", src.string(), errno);
    const int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        const int err = errno;
        ::close(in);
        return base::fail_errno("cannot create", dst.string(), err);
    }
    char buf[1 << 16];
    Result<void> r;
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            r = base::fail_errno("cannot read", src.string(), errno);
            break;
        }
        if (n == 0) break;
        r = base::write_all(out, std::string_view(buf, static_cast<std::size_t>(n)), dst.string());
        if (!r.ok()) break;
    }
    if (r.ok() && ::fchmod(out, st.st_mode & 07777) != 0) r = base::fail_errno("cannot set the mode of", dst.string(), errno);
    ::close(in);
    if (::close(out) != 0 && r.ok()) r = base::fail_errno("cannot write", dst.string(), errno);
    if (r.ok()) keep_owner(dst, st);
    return r;
}

/// Recreates `src` at `dst`: directories anew, symlinks anew, files as hard links
/// (a copy where the file system or the kernel refuses the link).
Result<void> clone(const fs::path& src, const fs::path& dst) {
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) return base::fail_errno("cannot stat", src.string(), errno);
    if (S_ISDIR(st.st_mode)) {
        if (::mkdir(dst.c_str(), 0700) != 0) return base::fail_errno("cannot create", dst.string(), errno);
        PI_TRY(auto names, list_dir(src));
        for (const auto& n : names) PI_TRY_VOID(clone(src / n, dst / n));
        if (::chmod(dst.c_str(), st.st_mode & 07777) != 0)
            return base::fail_errno("cannot set the mode of", dst.string(), errno);
        keep_owner(dst, st);
        return {};
    }
    if (S_ISLNK(st.st_mode)) {
        std::vector<char> target(static_cast<std::size_t>(st.st_size) + 1);
        const ssize_t n = ::readlink(src.c_str(), target.data(), target.size());
        if (n < 0) return base::fail_errno("cannot read the link", src.string(), errno);
        if (::symlink(std::string(target.data(), static_cast<std::size_t>(n)).c_str(), dst.c_str()) != 0)
            return base::fail_errno("cannot create", dst.string(), errno);
        keep_owner(dst, st);
        return {};
    }
    if (!S_ISREG(st.st_mode)) return {};  // sockets, fifos: nothing an install writes or removes
    if (::link(src.c_str(), dst.c_str()) == 0) return {};
    const int err = errno;
    if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS)
        return base::fail_errno("cannot link", dst.string(), err);
    return copy_regular(src, dst, st);
}

}  // namespace

bool has_snapshot(const fs::path& prefix) { return lexists(names_file(prefix)); }

bool has_snapshot_dir(const fs::path& prefix) { return lexists(rollback_dir(prefix)); }

Result<void> discard_snapshot(const fs::path& prefix) {
    if (!lexists(rollback_dir(prefix))) return {};
    if (::unlink(names_file(prefix).c_str()) != 0 && errno != ENOENT)
        return base::fail_errno("cannot remove", names_file(prefix).string(), errno);
    return base::remove_tree(rollback_dir(prefix));
}

Result<void> take_snapshot(const fs::path& prefix) {
    PI_TRY_VOID(discard_snapshot(prefix));
    auto made = [&]() -> Result<void> {
        const fs::path snap = snapshot_dir(prefix);
        if (::mkdir(rollback_dir(prefix).c_str(), 0700) != 0)
            return base::fail_errno("cannot create", rollback_dir(prefix).string(), errno);
        if (::mkdir(snap.c_str(), 0700) != 0) return base::fail_errno("cannot create", snap.string(), errno);
        std::string names;
        PI_TRY(auto top, list_dir(prefix));
        for (const auto& n : top) {
            if (n == kRollbackDir) continue;
            if (n == "conda-meta") {
                if (::mkdir((snap / n).c_str(), 0700) != 0)
                    return base::fail_errno("cannot create", (snap / n).string(), errno);
                PI_TRY(auto meta, list_dir(prefix / n));
                for (const auto& m : meta) {
                    if (m == kLockName) continue;
                    PI_TRY_VOID(clone(prefix / n / m, snap / n / m));
                    names += "conda-meta/" + m + "\n";
                }
                continue;
            }
            PI_TRY_VOID(clone(prefix / n, snap / n));
            names += n + "\n";
        }
        return base::write_file_atomic(names_file(prefix), names, /*durable=*/true, 0600);
    }();
    if (!made.ok()) {
        (void)discard_snapshot(prefix);
        return std::move(made).error().with_context("while keeping the previous environment for a rollback "
                                                    "(nothing was changed)");
    }
    return {};
}

Result<void> restore_snapshot(const fs::path& prefix) {
    PI_TRY(std::string text, base::read_file(names_file(prefix)));
    std::set<std::string> top, meta;
    std::vector<std::string> order;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string n = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (n.empty() || n.find("..") != std::string::npos) continue;
        if (n.rfind("conda-meta/", 0) == 0) {
            if (n.find('/', 11) != std::string::npos) continue;
            meta.insert(n.substr(11));
        } else {
            if (n.find('/') != std::string::npos) continue;
            top.insert(n);
        }
        order.push_back(n);
    }
    // 1. Whatever the failed install added goes.
    PI_TRY(auto now_top, list_dir(prefix));
    for (const auto& n : now_top)
        if (n != kRollbackDir && n != "conda-meta" && !top.count(n)) PI_TRY_VOID(base::remove_tree(prefix / n));
    PI_TRY(auto now_meta, list_dir(prefix / "conda-meta"));
    for (const auto& m : now_meta)
        if (m != kLockName && !meta.count(m)) PI_TRY_VOID(base::remove_tree(prefix / "conda-meta" / m));
    // 2. Every kept entry moves back, the state marker last: until it is back, the prefix
    //    does not say "complete", so a crash here is met by another restore.
    std::stable_partition(order.begin(), order.end(),
                          [](const std::string& n) { return n != std::string("conda-meta/") + kStateName; });
    const fs::path snap = snapshot_dir(prefix);
    for (const auto& n : order) {
        if (!lexists(snap / n)) continue;  // moved back by an earlier, interrupted restore
        PI_TRY_VOID(base::remove_tree(prefix / n));
        if (::rename((snap / n).c_str(), (prefix / n).c_str()) != 0)
            return base::fail_errno("cannot move back", (prefix / n).string(), errno);
    }
    return discard_snapshot(prefix);
}

}  // namespace pixi_install::install
