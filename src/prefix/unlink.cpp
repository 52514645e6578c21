#include "pixi_install/prefix/unlink.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "pixi_install/base/beneath.hpp"
#include "pixi_install/base/fs.hpp"

namespace pixi_install::prefix {

using base::Result;
namespace fs = std::filesystem;

namespace {

// True when the directory `dir` (an open descriptor, consumed) holds nothing but
// (optionally) a `__pycache__` directory.
bool only_pycache(int dir, bool& has_pycache) {
    has_pycache = false;
    DIR* d = ::fdopendir(dir);
    if (!d) {
        ::close(dir);
        return false;
    }
    bool only = true;
    while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        if (n == "__pycache__") {
            has_pycache = true;
            continue;
        }
        only = false;
        break;
    }
    ::closedir(d);
    return only;
}

/// Opens the directory holding a path's last component below the prefix without
/// following any link (a directory of the prefix replaced by a symlink since the install
/// leads nowhere outside it); consecutive paths of one directory share the descriptor.
/// -1 with errno when the parent is gone or is no longer a directory of the prefix.
class ParentCache {
public:
    explicit ParentCache(int root) : root_(root) {}
    // The descriptor stays valid until the next call.
    int open(const std::string& rel, std::string& leaf) {
        auto slash = rel.rfind('/');
        std::string dir = slash == std::string::npos ? std::string() : rel.substr(0, slash);
        leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
        if (!fd_ || dir != dir_) {
            fd_.reset(base::openat_beneath(root_, dir, O_PATH | O_DIRECTORY));
            dir_ = std::move(dir);
        }
        return fd_.get();
    }

private:
    int root_;
    base::Fd fd_;
    std::string dir_;
};

}  // namespace

std::uint64_t prune_empty_dirs(const fs::path& prefix, std::vector<std::string> dirs, bool pycache_is_empty,
                               const std::unordered_set<std::string>* keep) {
    // Every listed directory and its ancestors, deepest first, each tried once:
    // by the time a directory is tried, all candidates below it have been.
    std::unordered_set<std::string> all;
    for (const auto& d : dirs) {
        std::string rel = d;
        while (!rel.empty() && all.insert(rel).second) {
            auto slash = rel.rfind('/');
            rel = slash == std::string::npos ? std::string() : rel.substr(0, slash);
        }
    }
    std::vector<std::string> order(all.begin(), all.end());
    std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
        auto da = std::count(a.begin(), a.end(), '/'), db = std::count(b.begin(), b.end(), '/');
        return da != db ? da > db : a < b;
    });
    std::uint64_t removed = 0;
    base::Fd root(::open(prefix.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return 0;
    ParentCache parents(root.get());
    std::string leaf;
    for (const auto& rel : order) {
        if (keep && keep->count(rel)) continue;
        int dir = parents.open(rel, leaf);
        if (dir < 0) continue;
        if (::unlinkat(dir, leaf.c_str(), AT_REMOVEDIR) == 0) {
            ++removed;
        } else if (errno == ENOTEMPTY || errno == EEXIST) {
            if (!pycache_is_empty) continue;
            int fd = ::openat(dir, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            bool has = false;
            if (fd >= 0 && only_pycache(fd, has) && has &&
                base::remove_tree(prefix / rel / "__pycache__").ok() &&
                ::unlinkat(dir, leaf.c_str(), AT_REMOVEDIR) == 0)
                ++removed;
        }
    }
    return removed;
}

Result<UnlinkStats> unlink_package(const fs::path& prefix, const PrefixRecord& record, const UnlinkOptions& options) {
    UnlinkStats stats;
    const std::string root = prefix.string();
    base::Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return base::fail_errno("cannot open the prefix", root, errno);
    ParentCache dirs(root_fd.get());
    std::string leaf;
    std::vector<std::string> parents;
    std::vector<std::string> own_dirs;
    for (const auto& e : record.paths) {
        if (e.path.empty() || e.path.find("..") != std::string::npos || e.path.front() == '/')
            return base::fail(base::ErrorKind::integrity, "conda-meta record " + record.file_name() +
                                                              " lists an unsafe path '" + e.path + "'");
        auto slash = e.path.rfind('/');
        if (e.type == PathType::directory) {
            own_dirs.push_back(e.path);
            continue;
        }
        if (slash != std::string::npos) parents.push_back(e.path.substr(0, slash));
        if (options.keep_files && options.keep_files->count(e.path)) continue;  // another package's too
        const std::string full = root + "/" + e.path;
        // Removed through its directory opened below the prefix: a directory that became a
        // symlink since the install is not followed (the file is not there any more).
        const int dir = dirs.open(e.path, leaf);
        if (dir < 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV) {
                ++stats.missing;
                continue;
            }
            return base::fail_errno("cannot open the directory of", full, errno);
        }
        if (::unlinkat(dir, leaf.c_str(), 0) == 0) {
            ++stats.removed;
        } else if (errno == ENOENT) {
            ++stats.missing;
        } else if (errno == EISDIR || errno == EPERM) {
            const int err = errno;
            struct stat st {};
            if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                continue;  // someone made it a directory
            return base::fail_errno("cannot remove", full, err);
        } else {
            return base::fail_errno("cannot remove", full, errno);
        }
    }
    parents.insert(parents.end(), own_dirs.begin(), own_dirs.end());
    stats.dirs_removed = prune_empty_dirs(prefix, std::move(parents), record.package.noarch == "python",
                                          options.keep_dirs);
    if (options.remove_record) PI_TRY_VOID(remove_prefix_record(prefix, record));
    return stats;
}

}  // namespace pixi_install::prefix
