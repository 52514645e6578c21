// What can be checked before the prefix changes (so a failure leaves it untouched),
// and the fault points the transaction's tests use.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "transaction.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

/// Whether `src` can be hard-linked, or cloned, into `dir`: tried for real on a scratch name.
struct LinkAbility {
    bool hardlink = false;
    bool reflink = false;
};

LinkAbility probe_links(const fs::path& src, const fs::path& dir) {
    LinkAbility a;
    const fs::path probe = base::unique_sibling(dir / "link-probe", "probe");
    if (::link(src.c_str(), probe.c_str()) == 0) {
        a.hardlink = true;
        ::unlink(probe.c_str());
    }
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in >= 0) {
        const int out = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out >= 0) {
            a.reflink = ::ioctl(out, FICLONE, in) == 0;
            ::close(out);
            ::unlink(probe.c_str());
        }
        ::close(in);
    }
    return a;
}

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

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

Result<void> Transaction::check_before_change() {
    const std::string nothing = " (nothing was changed)";
    // 1. Placeholders: a binary one shorter than the prefix cannot be rewritten.
    const std::string new_prefix = opt_.prefix.string();
    for (const auto& s : staged_)
        for (const auto& p : s.info.paths)
            if (p.has_placeholder() && p.file_mode == prefix::FileMode::binary &&
                new_prefix.size() > p.prefix_placeholder.size())
                return base::fail(ErrorKind::failure,
                                  "the prefix " + new_prefix + " is longer (" + std::to_string(new_prefix.size()) +
                                      " bytes) than the binary placeholder of " + p.path + " in " + s.dir_name +
                                      " (" + std::to_string(p.prefix_placeholder.size()) +
                                      " bytes); install into a shorter path" + nothing);

    // 2. Link mode: an explicit hardlink or reflink must work between the cache and the prefix.
    LinkAbility can;
    const Staged* sample = nullptr;
    for (const auto& s : staged_)
        if (s.trusted && !s.package_dir.empty()) sample = &s;
    if (sample) {
        can = probe_links(sample->package_dir / "info" / "index.json", opt_.prefix / "conda-meta");
        const char* mode = opt_.link_mode == prefix::LinkMode::hardlink  ? "hardlink"
                           : opt_.link_mode == prefix::LinkMode::reflink ? "reflink"
                                                                           : nullptr;
        const bool ok = opt_.link_mode == prefix::LinkMode::hardlink  ? can.hardlink
                        : opt_.link_mode == prefix::LinkMode::reflink ? can.reflink
                                                                        : true;
        if (!ok) {
            struct stat a {}, b {};
            const bool same_fs = ::stat(sample->package_dir.c_str(), &a) == 0 &&
                                 ::stat(opt_.prefix.c_str(), &b) == 0 && a.st_dev == b.st_dev;
            return base::fail(ErrorKind::failure,
                              std::string("--link-mode ") + mode + " cannot work: " +
                                  (same_fs ? std::string("the file system of ") + opt_.prefix.string() +
                                                 " refuses it"
                                           : "the package cache " + cache_.pkgs_dir().string() + " and the prefix " +
                                                 opt_.prefix.string() + " are on different file systems") +
                                  " (use --link-mode auto or copy)" + nothing);
        }
    }

    // 3. Space: the bytes of every file that will be written rather than linked.
    const bool links = opt_.link_mode != prefix::LinkMode::copy && (can.hardlink || can.reflink);
    std::uint64_t need = 0;
    for (const auto& s : staged_)
        for (const auto& p : s.info.paths)
            if (p.type == prefix::PathType::hardlink && (!links || !s.trusted || p.has_placeholder() || p.no_link))
                need += p.size.value_or(0);
    struct statvfs vfs {};
    if (need > 0 && ::statvfs(opt_.prefix.c_str(), &vfs) == 0) {
        const std::uint64_t free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        if (need > free_bytes)
            return base::fail(ErrorKind::failure, "not enough space for the prefix " + opt_.prefix.string() +
                                                      ": its packages need " + mib(need) + " and its file system "
                                                      "has " + mib(free_bytes) + " free; free some space" + nothing);
    }
    return {};
}

Result<void> Transaction::fault(const char* step) const {
    if (opt_.fault.empty()) return {};
    const std::string s(step);
    if (opt_.fault == s + ":kill") ::kill(::getpid(), SIGKILL);
    // Ctrl-C or a `docker stop` at this point: the handler only raises the cancel flag,
    // and the install goes on to its next cancellation check.
    if (opt_.fault == s + ":interrupt") ::raise(SIGINT);  // handled on this thread before it returns
    if (opt_.fault == s + ":terminate") ::raise(SIGTERM);
    if (opt_.fault == s + ":fail")
        return base::fail(ErrorKind::failure, "injected fault after the step '" + s + "' (PIXI_INSTALL_FAULT)");
    return {};
}

}  // namespace pixi_install::install
