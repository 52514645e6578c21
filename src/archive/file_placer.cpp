// FilePlacer: files written straight to their final place below a root, each
// directory checked once through base::safe_join(); extract_zip_members() on top.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <unordered_map>

#include "libarchive_util.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/archive/zip_reader.hpp"
#include "pixi_install/base/hash.hpp"

namespace pixi_install::archive {

namespace fs = std::filesystem;
using base::ErrorKind;
using detail::UniqueFd;

namespace {

/// mkdir -p; true when the last component was created by this call.
base::Result<bool> make_dir_chain(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) return true;
    int err = errno;
    if (err == EEXIST) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
        return base::fail(ErrorKind::failure, "cannot create directory " + path + ": a file is in the way");
    }
    if (err != ENOENT) return base::fail_errno("cannot create directory", path, err);
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return base::fail_errno("cannot create directory", path, err);
    if (auto parent = make_dir_chain(path.substr(0, slash)); !parent) return std::move(parent).error();
    if (::mkdir(path.c_str(), 0755) == 0) return true;
    if (errno == EEXIST) return make_dir_chain(path);
    return base::fail_errno("cannot create directory", path, errno);
}

}  // namespace

struct FilePlacer::Impl {
    fs::path root;
    std::string current_dir = "\x01";  // no directory open yet
    UniqueFd dir_fd;
    std::string dir_abs;
    std::unordered_map<std::string, std::string> checked;  // root-relative dir -> absolute path
    std::vector<std::string> created;                       // absolute paths

    base::Result<void> enter(const std::string& dir) {
        if (dir == current_dir && dir_fd.get() >= 0) return {};
        auto it = checked.find(dir);
        if (it == checked.end()) {
            PI_TRY(it, check_dir(dir));
        }
        int fd = ::open(it->second.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return base::fail_errno("cannot open directory", it->second, errno);
        dir_fd = UniqueFd(fd);
        dir_abs = it->second;
        current_dir = dir;
        return {};
    }

    /// Checks `dir` (root-relative) and creates it. A directory this placer creates
    /// inside a checked one is known to be real; anything that was already there goes
    /// through base::safe_join() (a symlink inside the root is fine, one leading out is not).
    base::Result<std::unordered_map<std::string, std::string>::iterator> check_dir(const std::string& dir) {
        if (dir.empty()) return checked.emplace(dir, root.native()).first;
        auto slash = dir.rfind('/');
        const std::string parent = slash == std::string::npos ? std::string() : dir.substr(0, slash);
        if (auto p = checked.find(parent); p != checked.end()) {
            std::string abs = p->second + "/" + dir.substr(slash == std::string::npos ? 0 : slash + 1);
            if (::mkdir(abs.c_str(), 0755) == 0) return checked.emplace(dir, std::move(abs)).first;
            if (errno != EEXIST) return base::fail_errno("cannot create directory", abs, errno);
        }
        PI_TRY(fs::path p, base::safe_join(root, dir));
        std::string abs = p.native();
        auto made = make_dir_chain(abs);
        if (!made) return std::move(made).error();
        return checked.emplace(dir, std::move(abs)).first;
    }

    template <class Fill>
    base::Result<Placed> place(std::string_view rel_in, std::uint32_t mode, bool exact_mode, Fill&& fill) {
        std::string rel;
        if (base::is_clean_relative(rel_in)) {
            rel.assign(rel_in);
        } else {
            PI_TRY(fs::path clean, base::safe_relative(rel_in));
            rel = clean.native();
        }
        auto slash = rel.rfind('/');
        const std::string dir = slash == std::string::npos ? std::string() : rel.substr(0, slash);
        const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
        PI_TRY_VOID(enter(dir));
        const mode_t m = static_cast<mode_t>(mode & 0777);
        const int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        Placed out;
        std::string write_name = name;
        int fd = ::openat(dir_fd.get(), name.c_str(), flags, m);
        if (fd < 0 && errno == EEXIST) {
            struct stat st {};
            if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                return base::fail(ErrorKind::failure, "cannot install " + rel + ": a directory is in the way");
            out.replaced = true;
            static std::atomic<unsigned long> counter{0};
            write_name = "." + name + ".pi-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
            fd = ::openat(dir_fd.get(), write_name.c_str(), flags, m);
        }
        if (fd < 0) return base::fail_errno("cannot create", dir_abs + "/" + write_name, errno);
        UniqueFd guard(fd);
        const std::string path = dir_abs + "/" + write_name;
        auto fail_cleanup = [&](base::Error e) -> base::Error {
            guard.reset();
            ::unlinkat(dir_fd.get(), write_name.c_str(), 0);
            return e;
        };
        auto digest = fill(fd, path);
        if (!digest) return fail_cleanup(std::move(digest).error());
        if (exact_mode && ::fchmod(fd, m) != 0) return fail_cleanup(base::fail_errno("cannot set mode of", path, errno));
        guard.reset();
        if (out.replaced) {
            if (::renameat(dir_fd.get(), write_name.c_str(), dir_fd.get(), name.c_str()) != 0)
                return fail_cleanup(base::fail_errno("cannot install", dir_abs + "/" + name, errno));
        } else {
            created.push_back(path);
        }
        out.digest = std::move(*digest);
        return out;
    }
};

FilePlacer::FilePlacer(fs::path root) : impl_(std::make_unique<Impl>()) { impl_->root = std::move(root); }
FilePlacer::~FilePlacer() = default;

base::Result<FilePlacer::Placed> FilePlacer::place_member(const ZipReader& zip, std::size_t index,
                                                          std::string_view rel, std::uint32_t mode) {
    return impl_->place(rel, mode, false, [&](int fd, const std::string& path) {
        return zip.write_to_fd(index, fd, path);
    });
}

base::Result<FilePlacer::Placed> FilePlacer::place_content(std::string_view rel, std::string_view content,
                                                           std::uint32_t mode) {
    return impl_->place(rel, mode, true, [&](int fd, const std::string& path) -> base::Result<MemberDigest> {
        PI_TRY_VOID(base::write_all(fd, content, path));
        base::Hasher h(base::HashAlgo::sha256);
        h.update(content);
        return MemberDigest{h.finish_raw(), content.size()};
    });
}

void FilePlacer::roll_back() {
    for (auto it = impl_->created.rbegin(); it != impl_->created.rend(); ++it) ::unlink(it->c_str());
    impl_->created.clear();
}

base::Result<std::vector<MemberWritten>> extract_zip_members(const ZipReader& zip, const fs::path& root,
                                                             const MemberChooser& choose,
                                                             const MemberExtractOptions& options) {
    // Choose every target first: a refusal leaves nothing written.
    std::vector<std::pair<std::size_t, MemberTarget>> plan;
    const auto& entries = zip.entries();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ZipEntry& e = entries[i];
        if (e.type == ZipEntryType::directory) continue;
        if (e.type == ZipEntryType::other)
            return base::fail(ErrorKind::integrity, "refusing " + zip.label() + ": entry '" + e.name +
                                                        "' is not a file, directory or symlink");
        PI_TRY(std::optional<MemberTarget> t, choose(e));
        if (!t) continue;
        if (auto r = base::safe_relative(t->path); !r) return std::move(r).error();
        plan.emplace_back(i, std::move(*t));
    }
    FilePlacer placer(root);
    std::vector<MemberWritten> out;
    out.reserve(plan.size());
    for (auto& [i, t] : plan) {
        if (options.cancel && options.cancel->load(std::memory_order_relaxed)) {
            placer.roll_back();
            return base::fail(ErrorKind::interrupted, "extraction of " + zip.label() + " was interrupted");
        }
        auto r = placer.place_member(zip, i, t.path, t.mode);
        if (!r) {
            placer.roll_back();
            return std::move(r).error();
        }
        out.push_back({i, std::move(t.path), std::move(r->digest), r->replaced});
    }
    return out;
}

}  // namespace pixi_install::archive
