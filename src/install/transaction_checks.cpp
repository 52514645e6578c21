// Checks the transaction makes after fetching and before the prefix changes.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <string>

#include "pixi_install/base/hash.hpp"
#include "transaction.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

// Whether every file of an extracted cache entry still has the sha256 its paths.json
// records: a hard-linked prefix file edited in place changes the cache's copy too.
bool cache_entry_intact(const fs::path& dir) {
    auto info = prefix::read_package_info(dir);
    if (!info.ok()) return false;
    for (const auto& p : info->paths) {
        if (p.sha256.empty() || p.type != prefix::PathType::hardlink) continue;
        auto h = base::hash_file(dir / p.path, base::HashAlgo::sha256);
        if (!h.ok() || *h != p.sha256) return false;
    }
    return true;
}

Result<void> Transaction::check_space() {
    // What linking certainly writes: copies (copy mode, another file system than the cache,
    // files patched for the prefix) and wheels (at least their archive size). Hard links and
    // reflinks take no room, so the estimate is a lower bound: it refuses only sure failures.
    // Files that leave the prefix first free an unknown amount: then nothing is certain.
    const Plan& plan = report_.plan;
    if (!plan.remove.empty() || !plan.change.empty() || !plan.wheel_remove.empty()) return {};
    fs::path probe = opt_.prefix;
    std::error_code ec;
    while (!probe.empty() && !fs::exists(probe, ec) && probe != probe.parent_path()) probe = probe.parent_path();
    struct stat prefix_st {}, cache_st {};
    struct statvfs vfs {};
    if (::stat(probe.c_str(), &prefix_st) != 0 || ::statvfs(probe.c_str(), &vfs) != 0) return {};
    const bool same_fs = ::stat(cache_.pkgs_dir().c_str(), &cache_st) == 0 && cache_st.st_dev == prefix_st.st_dev;
    const bool copies = opt_.link_mode == prefix::LinkMode::copy || !same_fs;
    std::uint64_t needed = 0;
    for (const auto& s : staged_)
        for (const auto& p : s.info.paths)
            if (p.size && (copies || p.has_placeholder())) needed += *p.size;
    for (const auto& w : wheel_files_) {
        const auto size = fs::file_size(w, ec);
        if (!ec) needed += size;
    }
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (needed <= free_bytes) return {};
    auto mib = [](std::uint64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; };
    return base::fail(ErrorKind::failure, "not enough space for " + opt_.prefix.string() + ": at least " +
                                              mib(needed) + " needed, " + mib(free_bytes) + " free on the file "
                                              "system of " + probe.string() + " (nothing was changed; free some "
                                              "space, or keep the cache on the same file system to hard-link)");
}

}  // namespace pixi_install::install
