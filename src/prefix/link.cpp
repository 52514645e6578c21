#include "pixi_install/prefix/link.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/base/beneath.hpp"
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
using detail::remove_existing;
using detail::try_reflink;

/// A file of the cache entry: its directory, borrowed from the Linker (valid until the next
/// open_source call, so one entry at a time), and its name there.
struct Source {
    int dir;
    std::string leaf;
};

/// Where an entry goes in the prefix: its directory, borrowed from the Linker like a
/// Source's, and its name there.
struct Target {
    int dir;
    std::string leaf;
};

}  // namespace

/// What every part of one package's link shares: set by prepare(), read by the parts,
/// and their results gathered under `mu`.
struct PackageLink::State {
    std::string pkg;
    const PackageInfo* info = nullptr;
    std::string prefix;
    std::string new_prefix;  ///< what placeholders become
    LinkOptions opts;
    LinkProbe own_probe;
    LinkProbe* probe = nullptr;
    std::vector<std::string> targets;  ///< target_paths(info, opts.python)
    std::string context;               ///< "while linking <name>-<version>-<build>"
    std::mutex mu;
    std::map<std::size_t, LinkResult> parts;  ///< each finished part's result, by its first entry
    std::size_t placed = 0;                   ///< entries the finished parts placed
};

namespace {

/// One thread's worker for one package: the directories it holds open and what it placed.
class Linker {
public:
    Linker(PackageLink::State& s, LinkResult& r)
        : pkg_(s.pkg), info_(*s.info), prefix_(s.prefix), new_prefix_(s.new_prefix), opts_(s.opts), res_(r),
          probe_(s.probe) {}

    Result<void> open_roots();
    Result<void> ensure_dir(const std::string& rel);
    Result<void> link_entry(const PathEntry& e, const std::string& target);
    Result<void> write_entry_points();

private:
    Result<Source> open_source(const PathEntry& e);
    Result<void> link_symlink(const PathEntry& e, const Source& src, PrefixPath& rec);
    Result<void> write_patched(const PathEntry& e, int src, const struct stat& st, const Target& dst,
                               const std::string& shown, PrefixPath& rec);
    Result<void> link_regular(const Source& src, const struct stat& st, base::Fd& src_fd, const Target& dst,
                              const std::string& shown, bool force_copy);
    Result<void> open_file(const Source& src, base::Fd& fd, const std::string& shown);
    Result<Target> open_target(const std::string& rel);
    bool noatime_ = true;  // open_file asks for O_NOATIME until it is refused once

    const std::string& pkg_;
    const PackageInfo& info_;
    const std::string& prefix_;
    const std::string& new_prefix_;
    const LinkOptions& opts_;
    LinkResult& res_;
    LinkProbe* probe_;
    base::Fd pkg_fd_;
    base::Fd prefix_fd_;
    std::string src_dir_name_;  // the directory of the cache entry that src_dir_ holds open
    base::Fd src_dir_;
    std::string dst_dir_name_;  // the directory of the prefix that dst_dir_ holds open
    base::Fd dst_dir_;
    detail::ExactModes dst_modes_;  // what new files in dst_dir_ are known to get
    std::unordered_map<std::string, bool> dirs_;
};

Result<void> Linker::open_roots() {
    pkg_fd_.reset(::open(pkg_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!pkg_fd_) return base::fail_errno("cannot open the cache entry", pkg_, errno);
    prefix_fd_.reset(::open(prefix_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!prefix_fd_) return base::fail_errno("cannot open the prefix", prefix_, errno);
    return {};
}

// Directories are made below the prefix one component at a time, never through a
// symlink: a link planted in the prefix (or shipped by a package) cannot send
// another package's files elsewhere.
Result<void> Linker::ensure_dir(const std::string& rel) {
    if (rel.empty() || dirs_.count(rel)) return {};
    PI_TRY_VOID(base::make_dirs_beneath(prefix_fd_.get(), rel, prefix_));
    dirs_.emplace(rel, true);
    return {};
}

// The cache entry's directory of `e`, held open while consecutive entries share it
// (paths.json lists a directory's files together): one path walk per directory.
Result<Source> Linker::open_source(const PathEntry& e) {
    auto slash = e.path.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : e.path.substr(0, slash);
    Source p{-1, slash == std::string::npos ? e.path : e.path.substr(slash + 1)};
    if (src_dir_ && dir == src_dir_name_) {
        p.dir = src_dir_.get();
        return p;
    }
    const int fd = base::openat_beneath(pkg_fd_.get(), dir, O_PATH | O_DIRECTORY);
    const int err = errno;
    src_dir_.reset(fd);
    src_dir_name_ = std::move(dir);
    p.dir = fd;
    if (fd >= 0) return p;
    if (err == ELOOP || err == EXDEV)
        return fail(ErrorKind::integrity, "package " + info_.index.name + " lists '" + e.path +
                                              "', which goes through a symbolic link in the package (refused: a "
                                              "package's files are never read through links)");
    if (err == ENOENT || err == ENOTDIR)
        return fail(ErrorKind::integrity, "package " + info_.index.name + " has no file '" + e.path +
                                              "' in its cache entry " + pkg_ + " (delete the entry to extract it again)");
    return base::fail_errno("cannot open", pkg_ + "/" + e.path, err);
}

// The directory of the prefix that `rel` goes into (made when missing), held open while
// consecutive entries share it, as the source's is.
Result<Target> Linker::open_target(const std::string& rel) {
    const auto parts = base::split_parent(rel);
    if (!parts || !dst_dir_ || parts->dir != dst_dir_name_) {
        PI_TRY(base::BeneathParent p, base::open_parent_beneath(prefix_fd_.get(), rel, true, prefix_));
        dst_dir_ = std::move(p.dir);
        dst_dir_name_ = std::string(parts->dir);  // opened, so `rel` did split
        dst_modes_.modes.clear();
    }
    return Target{dst_dir_.get(), std::string(parts->leaf)};
}

Result<void> Linker::open_file(const Source& src, base::Fd& fd, const std::string& shown) {
    if (fd) return {};
    constexpr int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    if (noatime_) {
        // O_NOATIME: reading a cache file for a copy would otherwise give it a new access time
        // (one more inode write per file). Only the file's owner (or root) may ask for it, and a
        // FUSE file system may refuse it: the entry is then read without it, from here on.
        fd.reset(::openat(src.dir, src.leaf.c_str(), flags | O_NOATIME));
        if (fd) return {};
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP) return base::fail_errno("cannot open", shown, err);
        noatime_ = false;
    }
    fd.reset(::openat(src.dir, src.leaf.c_str(), flags));
    if (!fd) return base::fail_errno("cannot open", shown, errno);
    return {};
}

Result<void> Linker::link_regular(const Source& src, const struct stat& st, base::Fd& src_fd, const Target& dst,
                                  const std::string& shown, bool force_copy) {
    const LinkMode mode = opts_.mode;
    const std::string src_shown = pkg_ + "/" + src.leaf;
    if (!force_copy && (mode == LinkMode::reflink || (mode == LinkMode::automatic && probe_->reflink != LinkProbe::no))) {
        PI_TRY_VOID(open_file(src, src_fd, src_shown));
        PI_TRY(bool ok, try_reflink(src_fd.get(), st, dst.dir, dst.leaf, shown));
        if (ok) {
            probe_->reflink = LinkProbe::yes;
            ++res_.stats.reflinked;
            return {};
        }
        if (mode == LinkMode::reflink)
            return fail(ErrorKind::failure, "cannot reflink " + shown + " into the prefix: the file system does not "
                                            "support copy-on-write clones (use --link-mode auto or copy)");
        probe_->reflink = LinkProbe::no;
    }
    if (!force_copy && (mode == LinkMode::hardlink || (mode == LinkMode::automatic && probe_->hardlink != LinkProbe::no))) {
        // linkat without AT_SYMLINK_FOLLOW: the entry itself (a regular file of the cache), never a link's target.
        int rc = ::linkat(src.dir, src.leaf.c_str(), dst.dir, dst.leaf.c_str(), 0);
        if (rc != 0 && errno == EEXIST) {
            PI_TRY_VOID(remove_existing(dst.dir, dst.leaf, shown));
            rc = ::linkat(src.dir, src.leaf.c_str(), dst.dir, dst.leaf.c_str(), 0);
        }
        if (rc == 0) {
            probe_->hardlink = LinkProbe::yes;
            ++res_.stats.hardlinked;
            return {};
        }
        int err = errno;
        if (err == ENOENT) return base::fail_errno("cannot link", shown, err);
        if (mode == LinkMode::hardlink)
            return base::fail_errno("cannot hardlink (is the cache on another file system? use --link-mode copy)", shown,
                                    err);
        if (err != EMLINK) probe_->hardlink = LinkProbe::no;
    }
    PI_TRY_VOID(open_file(src, src_fd, src_shown));
    PI_TRY_VOID(copy_file(src_fd.get(), st, dst.dir, dst.leaf, shown, &dst_modes_));
    ++res_.stats.copied;
    return {};
}

Result<void> Linker::write_patched(const PathEntry& e, int src, const struct stat& st, const Target& dst,
                                   const std::string& shown, PrefixPath& rec) {
    std::string content(static_cast<std::size_t>(st.st_size), '\0');
    for (std::size_t off = 0; off < content.size();) {
        ssize_t n = ::pread(src, content.data() + off, content.size() - off, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return base::fail_errno("cannot read", pkg_ + "/" + e.path, errno);
        if (n == 0) {
            content.resize(off);
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    std::string out;
    if (e.file_mode == FileMode::binary) {
        auto r = replace_binary_placeholder(content, e.prefix_placeholder, new_prefix_);
        if (!r.ok()) return std::move(r).error().with_context("while rewriting " + e.path);
        out = std::move(*r);
    } else {
        auto r = replace_text_placeholder(content, e.prefix_placeholder, new_prefix_);
        if (!r.ok()) return std::move(r).error().with_context("while rewriting " + e.path);
        out = std::move(*r);
    }
    PI_TRY_VOID(detail::write_new_file(dst.dir, dst.leaf, shown, out, st.st_mode & 07777,
                                       info_.reference_mtime + 1));
    rec.size = out.size();
    std::string h = base::sha256_hex(out);
    if (h != e.sha256) rec.sha256_in_prefix = std::move(h);
    rec.type = PathType::hardlink;
    ++res_.stats.patched;
    return {};
}

// A package's symlink is installed as a symlink with the same text, whatever its
// paths.json entry says (placeholder, no_link): its target is never read.
Result<void> Linker::link_symlink(const PathEntry& e, const Source& src, PrefixPath& rec) {
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(src.dir, src.leaf.c_str(), buf, sizeof buf);
    if (n < 0) return base::fail_errno("cannot read link", pkg_ + "/" + e.path, errno);
    const std::string link_text(buf, static_cast<std::size_t>(n));
    if (!link_text.empty() && link_text.front() == '/')
        res_.warnings.push_back("symlink " + rec.path + " of " + info_.index.name + " points outside the prefix");
    const std::string shown = prefix_ + "/" + rec.path;
    PI_TRY(Target dst, open_target(rec.path));
    if (::symlinkat(link_text.c_str(), dst.dir, dst.leaf.c_str()) != 0) {
        if (errno != EEXIST) return base::fail_errno("cannot create symlink", shown, errno);
        PI_TRY_VOID(remove_existing(dst.dir, dst.leaf, shown));
        if (::symlinkat(link_text.c_str(), dst.dir, dst.leaf.c_str()) != 0)
            return base::fail_errno("cannot create symlink", shown, errno);
    }
    rec.type = PathType::softlink;
    rec.no_link = false;
    rec.prefix_placeholder.clear();
    rec.sha256_in_prefix = base::sha256_hex(link_text);
    ++res_.stats.symlinks;
    res_.paths.push_back(std::move(rec));
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
    if (e.type == PathType::directory) {
        PI_TRY_VOID(ensure_dir(rec.path));
        ++res_.stats.directories;
        res_.paths.push_back(std::move(rec));
        return {};
    }
    PI_TRY(Source src, open_source(e));
    struct stat st {};
    if (::fstatat(src.dir, src.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return fail(ErrorKind::integrity, "package " + info_.index.name + " has no file '" + e.path +
                                                  "' in its cache entry " + pkg_ + " (delete the entry to extract it again)");
        return base::fail_errno("cannot inspect", pkg_ + "/" + e.path, errno);
    }
    if (S_ISLNK(st.st_mode)) return link_symlink(e, src, rec);
    if (S_ISDIR(st.st_mode)) {  // legacy packages list directories in info/files
        PI_TRY_VOID(ensure_dir(rec.path));
        rec.type = PathType::directory;
        ++res_.stats.directories;
        res_.paths.push_back(std::move(rec));
        return {};
    }
    if (!S_ISREG(st.st_mode))
        return fail(ErrorKind::integrity, "'" + e.path + "' in package " + info_.index.name +
                                              " is a special file (a device, fifo or socket), which is never package "
                                              "content (refused)");
    const std::string shown = prefix_ + "/" + rec.path;
    PI_TRY(Target dst, open_target(rec.path));
    base::Fd src_fd;
    if (e.has_placeholder()) {
        PI_TRY_VOID(open_file(src, src_fd, pkg_ + "/" + e.path));
        PI_TRY_VOID(write_patched(e, src_fd.get(), st, dst, shown, rec));
        res_.paths.push_back(std::move(rec));
        return {};
    }
    PI_TRY_VOID(link_regular(src, st, src_fd, dst, shown, e.no_link));
    const bool was_softlink = e.type == PathType::softlink;  // archived as a plain file (old fixtures)
    rec.type = PathType::hardlink;
    if (!rec.size || was_softlink) rec.size = static_cast<std::uint64_t>(st.st_size);
    if (rec.sha256.empty() || was_softlink) {
        // No recorded hash, or the recorded one describes a link target we do not have.
        PI_TRY_VOID(open_file(src, src_fd, pkg_ + "/" + e.path));
        PI_TRY(std::string h, detail::sha256_of(src_fd.get(), pkg_ + "/" + e.path));
        if (h != rec.sha256) rec.sha256_in_prefix = std::move(h);
    }
    res_.paths.push_back(std::move(rec));
    return {};
}

Result<void> Linker::write_entry_points() {
    if (info_.entry_points.empty()) return {};
    const spec::PythonInfo& py = *opts_.python;
    const std::string interpreter = new_prefix_ + "/" + py.interpreter;
    for (const auto& ep : info_.entry_points) {
        PrefixPath rec;
        const std::string rel = py.bin_dir + "/" + ep.command;
        if (opts_.clobbered && opts_.clobbered->count(rel)) {  // another package owns that name
            rec.original_path = rel;
            rec.path = std::string(clobbers_dir) + "/" + info_.index.name + "/" + rel;
        } else {
            rec.path = rel;
        }
        PI_TRY(std::string script, entry_point_script(ep, interpreter));
        const std::string shown = prefix_ + "/" + rec.path;
        PI_TRY(Target dst, open_target(rec.path));
        // Executable, with the permissions the umask allows, like any file this user creates.
        PI_TRY_VOID(detail::write_new_file(dst.dir, dst.leaf, shown, script, 0777 & ~base::current_umask(), -1));
        rec.type = PathType::unix_python_entry_point;
        rec.sha256 = base::sha256_hex(script);
        rec.size = script.size();
        res_.paths.push_back(std::move(rec));
        ++res_.stats.entry_points;
    }
    return {};
}

void add_stats(LinkStats& to, const LinkStats& from) {
    to.reflinked += from.reflinked;
    to.hardlinked += from.hardlinked;
    to.copied += from.copied;
    to.patched += from.patched;
    to.symlinks += from.symlinks;
    to.directories += from.directories;
    to.entry_points += from.entry_points;
}

/// Keeps one part's result (the parts are joined in their order by finish()).
bool gather(PackageLink::State& s, std::size_t begin, LinkResult&& part, std::size_t placed) {
    std::lock_guard lk(s.mu);
    if (!s.parts.emplace(begin, std::move(part)).second) return false;  // the same part twice
    s.placed += placed;
    return true;
}

}  // namespace

PackageLink::PackageLink(std::unique_ptr<State> s) : s_(std::move(s)) {}
PackageLink::PackageLink(PackageLink&&) noexcept = default;
PackageLink& PackageLink::operator=(PackageLink&&) noexcept = default;
PackageLink::~PackageLink() = default;

std::size_t PackageLink::size() const { return s_->targets.size(); }

std::vector<std::uint64_t> PackageLink::weights() const {
    const bool copying = s_->opts.mode != LinkMode::hardlink && s_->opts.mode != LinkMode::reflink;
    std::vector<std::uint64_t> w;
    w.reserve(s_->info->paths.size());
    for (const auto& e : s_->info->paths) w.push_back(link_weight(e, copying));
    return w;
}

bool PackageLink::splittable() const {
    std::unordered_set<std::string_view> seen;
    seen.reserve(s_->targets.size());
    for (const auto& t : s_->targets)
        if (!seen.insert(t).second) return false;
    return true;
}

Result<PackageLink> PackageLink::prepare(const fs::path& package_dir, const PackageInfo& info, const fs::path& prefix,
                                         const LinkOptions& options) {
    auto s = std::make_unique<State>();
    s->pkg = package_dir.string();
    s->info = &info;
    s->prefix = prefix.string();
    s->opts = options;
    s->probe = options.probe ? options.probe : &s->own_probe;
    s->new_prefix = options.placeholder_prefix.empty() ? s->prefix : options.placeholder_prefix;
    PI_TRY(s->targets, target_paths(info, options.python));
    s->context = "while linking " + info.index.name + "-" + info.index.version + "-" + info.index.build;
    const auto& targets = s->targets;
    auto r = [&]() -> Result<void> {
        PI_TRY_VOID(base::make_dirs(s->prefix));
        LinkResult unused;
        Linker l(*s, unused);
        PI_TRY_VOID(l.open_roots());
        // A package may not place files below one of its own symlinks: that is
        // how an archive would write through a link to outside the prefix.
        std::unordered_map<std::string, bool> links;
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (info.paths[i].type == PathType::softlink) links.emplace(targets[i], true);
        if (!links.empty()) {
            for (const auto& t : targets) {
                for (std::size_t sl = t.find('/'); sl != std::string::npos; sl = t.find('/', sl + 1))
                    if (links.count(t.substr(0, sl)))
                        return fail(ErrorKind::integrity, "package " + info.index.name + " has '" + t +
                                                              "' below its own symlink '" + t.substr(0, sl) + "'");
            }
        }
        // Every parent directory, each once, before any entry: the parts then only place files.
        for (const auto& t : targets) {
            std::string rel = (options.clobbered && options.clobbered->count(t))
                                  ? std::string(clobbers_dir) + "/" + info.index.name + "/" + t
                                  : t;
            auto slash = rel.rfind('/');
            if (slash != std::string::npos) PI_TRY_VOID(l.ensure_dir(rel.substr(0, slash)));
        }
        return {};
    }();
    if (!r.ok()) return std::move(r).error().with_context(s->context);
    return PackageLink(std::move(s));
}

Result<void> PackageLink::link(std::size_t begin, std::size_t end) {
    State& s = *s_;
    end = std::min(end, s.targets.size());
    if (begin >= end) return {};
    LinkResult part;
    part.paths.reserve(end - begin);
    auto r = [&]() -> Result<void> {
        Linker l(s, part);
        PI_TRY_VOID(l.open_roots());
        for (std::size_t i = begin; i < end; ++i) PI_TRY_VOID(l.link_entry(s.info->paths[i], s.targets[i]));
        return {};
    }();
    if (!r.ok()) return std::move(r).error().with_context(s.context);
    if (!gather(s, begin, std::move(part), end - begin))
        return fail(ErrorKind::failure, "internal error: the entries from " + std::to_string(begin) +
                                            " were placed twice (" + s.context + ")");
    return {};
}

Result<LinkResult> PackageLink::finish() {
    State& s = *s_;
    if (s.placed != s.targets.size())
        return fail(ErrorKind::failure, "internal error: " + std::to_string(s.placed) + " of the " +
                                            std::to_string(s.targets.size()) + " entries were placed (" + s.context +
                                            ")");
    LinkResult part;
    auto r = [&]() -> Result<void> {
        Linker l(s, part);
        PI_TRY_VOID(l.open_roots());
        return l.write_entry_points();
    }();
    if (!r.ok()) return std::move(r).error().with_context(s.context);
    if (!gather(s, s.targets.size(), std::move(part), 0))
        return fail(ErrorKind::failure, "internal error: " + s.context + " was finished twice");

    // The parts in the order of their entries, then the entry points: what one pass over
    // the package gives, whichever part finished first.
    LinkResult res;
    res.paths.reserve(s.targets.size() + s.info->entry_points.size());
    for (auto& [begin, p] : s.parts) {
        res.paths.insert(res.paths.end(), std::make_move_iterator(p.paths.begin()),
                         std::make_move_iterator(p.paths.end()));
        for (auto& w : p.warnings) res.warnings.push_back(std::move(w));
        add_stats(res.stats, p.stats);
    }
    s.parts.clear();
    std::sort(res.paths.begin(), res.paths.end(),
              [](const PrefixPath& a, const PrefixPath& b) { return a.path < b.path; });
    const std::string post = "bin/." + s.info->index.name + "-post-link.sh";
    const std::string pre = "bin/." + s.info->index.name + "-pre-unlink.sh";
    for (const auto& p : res.paths) {
        if (p.path == post) res.post_link_script = post;
        if (p.path == pre) res.pre_unlink_script = pre;
    }
    const bool hard = s.opts.mode == LinkMode::hardlink ||
                      (s.opts.mode == LinkMode::automatic && res.stats.hardlinked > 0);
    res.link_type = hard ? CondaLinkType::hardlink : CondaLinkType::copy;
    return res;
}

std::uint64_t link_weight(const PathEntry& e, bool copying) {
    return 1 + (copying && e.size ? *e.size / 16384 : 0);
}

std::vector<LinkPart> plan_link_parts(const std::vector<std::vector<std::uint64_t>>& weights,
                                      const std::vector<bool>& splittable, std::size_t workers) {
    workers = std::max<std::size_t>(workers, 1);
    std::vector<std::uint64_t> sums(weights.size(), 0);
    std::uint64_t total = 0;
    for (std::size_t p = 0; p < weights.size(); ++p) {
        for (auto w : weights[p]) sums[p] += w;
        total += sums[p];
    }
    const std::uint64_t share = std::max<std::uint64_t>(total / (workers * 8), 64);
    std::vector<LinkPart> parts;
    for (std::size_t p = 0; p < weights.size(); ++p) {
        const std::size_t n = weights[p].size();
        std::size_t cuts = 1;
        if (workers > 1 && p < splittable.size() && splittable[p] && sums[p] > share)
            cuts = static_cast<std::size_t>(std::min<std::uint64_t>({(sums[p] + share - 1) / share, workers, n}));
        if (cuts <= 1) {
            parts.push_back({p, 0, n, sums[p]});
            continue;
        }
        // Contiguous parts, each ending where the running weight passes its share of the package.
        std::size_t begin = 0;
        std::uint64_t run = 0, at_begin = 0;
        for (std::size_t k = 1, i = 0; k <= cuts; ++k) {
            const std::uint64_t until = sums[p] * k / cuts;
            while (i < n && (run < until || k == cuts)) run += weights[p][i++];
            if (i > begin) parts.push_back({p, begin, i, run - at_begin});
            begin = i;
            at_begin = run;
        }
    }
    std::stable_sort(parts.begin(), parts.end(), [](const LinkPart& a, const LinkPart& b) { return a.weight > b.weight; });
    return parts;
}

Result<LinkResult> link_package(const fs::path& package_dir, const PackageInfo& info, const fs::path& prefix,
                                const LinkOptions& options) {
    PI_TRY(PackageLink l, PackageLink::prepare(package_dir, info, prefix, options));
    PI_TRY_VOID(l.link(0, l.size()));
    return l.finish();
}

}  // namespace pixi_install::prefix
