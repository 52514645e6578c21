#include "pixi_install/prefix/unlink.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "pixi_install/base/fs.hpp"

namespace pixi_install::prefix {

using base::Result;
namespace fs = std::filesystem;

namespace {

// True when `dir` holds nothing but (optionally) a `__pycache__` directory.
bool only_pycache(const std::string& dir, bool& has_pycache) {
    has_pycache = false;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
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
    const std::string root = prefix.string();
    for (const auto& rel : order) {
        if (keep && keep->count(rel)) continue;
        std::string full = root + "/" + rel;
        if (::rmdir(full.c_str()) == 0) {
            ++removed;
        } else if (errno == ENOTEMPTY || errno == EEXIST) {
            bool has = false;
            if (pycache_is_empty && only_pycache(full, has) && has &&
                base::remove_tree(full + "/__pycache__").ok() && ::rmdir(full.c_str()) == 0)
                ++removed;
        }
    }
    return removed;
}

Result<UnlinkStats> unlink_package(const fs::path& prefix, const PrefixRecord& record, const UnlinkOptions& options) {
    UnlinkStats stats;
    const std::string root = prefix.string();
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
        std::string full = root + "/" + e.path;
        if (::unlink(full.c_str()) == 0) {
            ++stats.removed;
        } else if (errno == ENOENT) {
            ++stats.missing;
        } else if (errno == EISDIR || errno == EPERM) {
            struct stat st {};
            if (::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;  // someone made it a directory
            return base::fail_errno("cannot remove", full, errno);
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
