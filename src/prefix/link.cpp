#include "pixi_install/prefix/link.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <unordered_map>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "file_ops.hpp"

namespace pixi_install::prefix {

using base::ErrorKind;
using base::fail;
using base::Result;
namespace fs = std::filesystem;

Result<LinkMode> parse_link_mode(std::string_view s) {
    if (s == "auto") return LinkMode::automatic;
    if (s == "reflink") return LinkMode::reflink;
    if (s == "hardlink") return LinkMode::hardlink;
    if (s == "copy") return LinkMode::copy;
    return fail(ErrorKind::usage, "unknown link mode '" + std::string(s) + "' (expected auto, reflink, hardlink or copy)");
}

const char* link_mode_name(LinkMode m) noexcept {
    switch (m) {
        case LinkMode::automatic: return "auto";
        case LinkMode::reflink: return "reflink";
        case LinkMode::hardlink: return "hardlink";
        case LinkMode::copy: return "copy";
    }
    return "auto";
}

Result<std::vector<std::string>> target_paths(const PackageInfo& info, const std::optional<spec::PythonInfo>& python) {
    std::vector<std::string> out;
    out.reserve(info.paths.size());
    const bool noarch_python = info.index.noarch == NoArch::python;
    if (noarch_python && !python)
        return fail(ErrorKind::failure, "package " + info.index.name +
                                            " is noarch: python but the environment has no python record");
    for (const auto& e : info.paths) {
        std::string_view p = e.path;
        if (noarch_python && p.substr(0, 14) == "site-packages/") {
            out.push_back(python->site_packages + "/" + std::string(p.substr(14)));
        } else if (noarch_python && p.substr(0, 15) == "python-scripts/") {
            out.push_back(python->bin_dir + "/" + std::string(p.substr(15)));
        } else {
            out.emplace_back(p);
        }
    }
    return out;
}

namespace {

using detail::copy_file;
using detail::FdGuard;
using detail::remove_existing;
using detail::try_reflink;

class Linker {
public:
    Linker(const fs::path& package_dir, const PackageInfo& info, const fs::path& prefix, const LinkOptions& o,
           LinkResult& r)
        : pkg_(package_dir.string()), info_(info), prefix_(prefix.string()), opts_(o), res_(r) {
        probe_ = o.probe ? o.probe : &own_probe_;
        new_prefix_ = o.placeholder_prefix.empty() ? prefix_ : o.placeholder_prefix;
    }

    Result<void> run();

private:
    Result<void> ensure_dir(const std::string& rel);
    Result<void> link_entry(const PathEntry& e, const std::string& target);
    Result<void> write_patched(const PathEntry& e, const std::string& src, const std::string& dst, PrefixPath& rec);
    Result<void> link_regular(const std::string& src, const std::string& dst, bool force_copy);
    Result<void> write_entry_points();

    std::string pkg_;
    const PackageInfo& info_;
    std::string prefix_;
    std::string prefix_real_;
    std::string new_prefix_;
    const LinkOptions& opts_;
    LinkResult& res_;
    LinkProbe own_probe_;
    LinkProbe* probe_;
    std::unordered_map<std::string, bool> dirs_;
};

Result<void> Linker::ensure_dir(const std::string& rel) {
    if (rel.empty() || dirs_.count(rel)) return {};
    auto slash = rel.rfind('/');
    if (slash != std::string::npos) PI_TRY_VOID(ensure_dir(rel.substr(0, slash)));
    std::string full = prefix_ + "/" + rel;
    if (::mkdir(full.c_str(), 0755) != 0) {
        int err = errno;
        if (err != EEXIST) return base::fail_errno("cannot create directory", full, err);
        struct stat st {};
        if (::lstat(full.c_str(), &st) != 0) return base::fail_errno("cannot inspect", full, errno);
        if (S_ISLNK(st.st_mode)) {
            // A symlinked directory is fine only when it stays inside the prefix.
            char buf[PATH_MAX];
            if (prefix_real_.empty()) {
                if (!::realpath(prefix_.c_str(), buf)) return base::fail_errno("cannot resolve", prefix_, errno);
                prefix_real_ = buf;
            }
            if (!::realpath(full.c_str(), buf))
                return fail(ErrorKind::integrity, "directory " + full + " is a dangling symlink");
            std::string real = buf;
            if (real != prefix_real_ && real.rfind(prefix_real_ + "/", 0) != 0)
                return fail(ErrorKind::integrity, "directory " + rel + " is a symlink leading outside the prefix");
            struct stat st2 {};
            if (::stat(full.c_str(), &st2) != 0 || !S_ISDIR(st2.st_mode))
                return fail(ErrorKind::failure, "cannot create directory " + full + ": a file is in the way");
        } else if (!S_ISDIR(st.st_mode)) {
            return fail(ErrorKind::failure, "cannot create directory " + full + ": a file is in the way");
        }
    }
    dirs_.emplace(rel, true);
    return {};
}

Result<void> Linker::link_regular(const std::string& src, const std::string& dst, bool force_copy) {
    const LinkMode mode = opts_.mode;
    if (!force_copy && (mode == LinkMode::reflink || (mode == LinkMode::automatic && probe_->reflink != LinkProbe::no))) {
        PI_TRY(bool ok, try_reflink(src, dst));
        if (ok) {
            probe_->reflink = LinkProbe::yes;
            ++res_.stats.reflinked;
            return {};
        }
        if (mode == LinkMode::reflink)
            return fail(ErrorKind::failure, "cannot reflink " + src + " into the prefix: the file system does not "
                                            "support copy-on-write clones (use --link-mode auto or copy)");
        probe_->reflink = LinkProbe::no;
    }
    if (!force_copy && (mode == LinkMode::hardlink || (mode == LinkMode::automatic && probe_->hardlink != LinkProbe::no))) {
        int rc = ::link(src.c_str(), dst.c_str());
        if (rc != 0 && errno == EEXIST) {
            PI_TRY_VOID(remove_existing(dst));
            rc = ::link(src.c_str(), dst.c_str());
        }
        if (rc == 0) {
            probe_->hardlink = LinkProbe::yes;
            ++res_.stats.hardlinked;
            return {};
        }
        int err = errno;
        if (err == ENOENT) return base::fail_errno("cannot link", src, err);
        if (mode == LinkMode::hardlink)
            return base::fail_errno("cannot hardlink (is the cache on another file system? use --link-mode copy)", src,
                                    err);
        if (err != EMLINK) probe_->hardlink = LinkProbe::no;
    }
    PI_TRY_VOID(copy_file(src, dst));
    ++res_.stats.copied;
    return {};
}

Result<void> Linker::write_patched(const PathEntry& e, const std::string& src, const std::string& dst, PrefixPath& rec) {
    PI_TRY(std::string content, base::read_file(src));
    std::string out;
    if (e.file_mode == FileMode::binary) {
        auto r = replace_binary_placeholder(content, e.prefix_placeholder, new_prefix_);
        if (!r.ok()) return std::move(r).error().with_context("while rewriting " + e.path);
        out = std::move(*r);
    } else {
        out = replace_text_placeholder(content, e.prefix_placeholder, new_prefix_);
    }
    struct stat st {};
    mode_t mode = 0644;
    if (::stat(src.c_str(), &st) == 0) mode = st.st_mode & 07777;
    PI_TRY_VOID(remove_existing(dst));
    FdGuard d{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (d.fd < 0) return base::fail_errno("cannot create", dst, errno);
    for (std::size_t off = 0; off < out.size();) {
        ssize_t w = ::write(d.fd, out.data() + off, out.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return base::fail_errno("cannot write", dst, errno);
        }
        off += static_cast<std::size_t>(w);
    }
    ::fchmod(d.fd, mode);
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = info_.reference_mtime + 1;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    ::futimens(d.fd, ts);
    rec.size = out.size();
    std::string h = base::sha256_hex(out);
    if (h != e.sha256) rec.sha256_in_prefix = std::move(h);
    rec.type = PathType::hardlink;  // a patched symlink target becomes a regular file
    ++res_.stats.patched;
    return {};
}

Result<void> Linker::link_entry(const PathEntry& e, const std::string& target) {
    PrefixPath rec;
    rec.type = e.type;
    rec.no_link = e.no_link;
    rec.sha256 = e.sha256;
    rec.size = e.size;
    rec.prefix_placeholder = e.prefix_placeholder;
    rec.file_mode = e.file_mode;
    if (opts_.clobbered && opts_.clobbered->count(target)) {
        rec.original_path = target;
        rec.path = std::string(clobbers_dir) + "/" + info_.index.name + "/" + target;
    } else {
        rec.path = target;
    }
    const std::string src = pkg_ + "/" + e.path;
    const std::string dst = prefix_ + "/" + rec.path;

    if (e.type == PathType::directory) {
        PI_TRY_VOID(ensure_dir(rec.path));
        ++res_.stats.directories;
        res_.paths.push_back(std::move(rec));
        return {};
    }
    if (e.has_placeholder()) {
        PI_TRY_VOID(write_patched(e, src, dst, rec));
        res_.paths.push_back(std::move(rec));
        return {};
    }
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) {
        return fail(ErrorKind::integrity, "package " + info_.index.name + " has no file '" + e.path +
                                              "' in its cache entry " + pkg_ + " (delete the entry to extract it again)");
    }
    if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = ::readlink(src.c_str(), buf, sizeof buf);
        if (n < 0) return base::fail_errno("cannot read link", src, errno);
        std::string_view link_text(buf, static_cast<std::size_t>(n));
        if (e.no_link) {
            struct stat tst {};
            if (::stat(src.c_str(), &tst) != 0 || !S_ISREG(tst.st_mode)) {
                res_.warnings.push_back("skipped " + e.path + " of " + info_.index.name +
                                        ": a no_link symlink whose target is missing");
                return {};
            }
            PI_TRY_VOID(copy_file(src, dst));
            ++res_.stats.copied;
            rec.type = PathType::hardlink;
            res_.paths.push_back(std::move(rec));
            return {};
        }
        if (!link_text.empty() && link_text.front() == '/')
            res_.warnings.push_back("symlink " + rec.path + " of " + info_.index.name + " points outside the prefix");
        std::string lt(link_text);
        if (::symlink(lt.c_str(), dst.c_str()) != 0) {
            if (errno != EEXIST) return base::fail_errno("cannot create symlink", dst, errno);
            PI_TRY_VOID(remove_existing(dst));
            if (::symlink(lt.c_str(), dst.c_str()) != 0) return base::fail_errno("cannot create symlink", dst, errno);
        }
        rec.type = PathType::softlink;
        rec.sha256_in_prefix = base::sha256_hex(link_text);
        ++res_.stats.symlinks;
        res_.paths.push_back(std::move(rec));
        return {};
    }
    if (S_ISDIR(st.st_mode)) {  // legacy packages list directories in info/files
        PI_TRY_VOID(ensure_dir(rec.path));
        rec.type = PathType::directory;
        ++res_.stats.directories;
        res_.paths.push_back(std::move(rec));
        return {};
    }
    if (!S_ISREG(st.st_mode))
        return fail(ErrorKind::integrity, "'" + e.path + "' in package " + info_.index.name + " is not a regular file");
    PI_TRY_VOID(link_regular(src, dst, e.no_link));
    const bool was_softlink = e.type == PathType::softlink;  // archived as a plain file (old fixtures)
    rec.type = PathType::hardlink;
    if (!rec.size || was_softlink) rec.size = static_cast<std::uint64_t>(st.st_size);
    if (rec.sha256.empty() || was_softlink) {
        // No recorded hash, or the recorded one describes a link target we do not have.
        PI_TRY(std::string h, base::hash_file(dst, base::HashAlgo::sha256));
        if (h != rec.sha256) rec.sha256_in_prefix = std::move(h);
    }
    res_.paths.push_back(std::move(rec));
    return {};
}

Result<void> Linker::write_entry_points() {
    if (info_.entry_points.empty()) return {};
    const spec::PythonInfo& py = *opts_.python;
    PI_TRY_VOID(ensure_dir(py.bin_dir));
    const std::string interpreter = new_prefix_ + "/" + py.interpreter;
    for (const auto& ep : info_.entry_points) {
        std::string rel = py.bin_dir + "/" + ep.command;
        std::string script = entry_point_script(ep, interpreter);
        std::string dst = prefix_ + "/" + rel;
        PI_TRY_VOID(remove_existing(dst));
        // Executable, with the permissions the umask allows, like any file this user creates.
        PI_TRY_VOID(base::write_file_atomic(dst, script, false, 0777));
        PrefixPath rec;
        rec.path = rel;
        rec.type = PathType::unix_python_entry_point;
        rec.sha256 = base::sha256_hex(script);
        rec.size = script.size();
        res_.paths.push_back(std::move(rec));
        ++res_.stats.entry_points;
    }
    return {};
}

Result<void> Linker::run() {
    PI_TRY(std::vector<std::string> targets, target_paths(info_, opts_.python));
    std::string ctx = "while linking " + info_.index.name + "-" + info_.index.version + "-" + info_.index.build;
    auto r = [&]() -> Result<void> {
        PI_TRY_VOID(base::make_dirs(prefix_));
        // A package may not place files below one of its own symlinks: that is
        // how an archive would write through a link to outside the prefix.
        std::unordered_map<std::string, bool> links;
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (info_.paths[i].type == PathType::softlink) links.emplace(targets[i], true);
        if (!links.empty()) {
            for (const auto& t : targets) {
                for (std::size_t s = t.find('/'); s != std::string::npos; s = t.find('/', s + 1))
                    if (links.count(t.substr(0, s)))
                        return fail(ErrorKind::integrity, "package " + info_.index.name + " has '" + t +
                                                              "' below its own symlink '" + t.substr(0, s) + "'");
            }
        }
        res_.paths.reserve(targets.size() + info_.entry_points.size());
        // Parent directories first (each once), then the entries.
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const std::string& t = targets[i];
            std::string rel = (opts_.clobbered && opts_.clobbered->count(t))
                                  ? std::string(clobbers_dir) + "/" + info_.index.name + "/" + t
                                  : t;
            auto slash = rel.rfind('/');
            if (slash != std::string::npos) PI_TRY_VOID(ensure_dir(rel.substr(0, slash)));
        }
        for (std::size_t i = 0; i < targets.size(); ++i) PI_TRY_VOID(link_entry(info_.paths[i], targets[i]));
        return write_entry_points();
    }();
    if (!r.ok()) return std::move(r).error().with_context(ctx);

    std::sort(res_.paths.begin(), res_.paths.end(),
              [](const PrefixPath& a, const PrefixPath& b) { return a.path < b.path; });
    const std::string post = "bin/." + info_.index.name + "-post-link.sh";
    const std::string pre = "bin/." + info_.index.name + "-pre-unlink.sh";
    for (const auto& p : res_.paths) {
        if (p.path == post) res_.post_link_script = post;
        if (p.path == pre) res_.pre_unlink_script = pre;
    }
    const bool hard = opts_.mode == LinkMode::hardlink ||
                      (opts_.mode == LinkMode::automatic && res_.stats.hardlinked > 0);
    res_.link_type = hard ? CondaLinkType::hardlink : CondaLinkType::copy;
    return {};
}

}  // namespace

Result<LinkResult> link_package(const fs::path& package_dir, const PackageInfo& info, const fs::path& prefix,
                                const LinkOptions& options) {
    LinkResult res;
    Linker l(package_dir, info, prefix, options, res);
    PI_TRY_VOID(l.run());
    return res;
}

}  // namespace pixi_install::prefix
