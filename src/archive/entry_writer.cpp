#include "entry_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::archive::detail {

using base::ErrorKind;

namespace {

/// 1980-01-01: mtimes before it are clamped (zip/exFAT cannot store them, and
/// the 1970 stamps of re-packed fixtures carry no information).
constexpr std::time_t kMinMtime = 315532800;

bool only_dots_and_slashes(std::string_view s) {
    return !s.empty() && s.find_first_not_of("./") == std::string_view::npos &&
           s.find("..") == std::string_view::npos;
}

struct timespec entry_mtime(struct archive_entry* e) {
    struct timespec ts {};
    ts.tv_nsec = UTIME_OMIT;
    if (archive_entry_mtime_is_set(e)) {
        std::time_t t = archive_entry_mtime(e);
        if (t < kMinMtime) {
            ts.tv_sec = kMinMtime;
            ts.tv_nsec = 0;
        } else {
            ts.tv_sec = t;
            ts.tv_nsec = archive_entry_mtime_nsec(e);
        }
    }
    return ts;
}

/// Permission bits for a regular file: no setuid/setgid/sticky, owner may read and write,
/// an archive that records no bits at all (some zips) gets 0644.
mode_t file_mode(struct archive_entry* e) {
    mode_t perm = archive_entry_perm(e) & 0777;
    if (perm == 0) perm = 0644;
    return perm | 0600;
}

}  // namespace

EntryWriter::EntryWriter(int dest_fd, std::string label, const ExtractOptions& options,
                         WriterPolicy policy)
    : dfd_(dest_fd), label_(std::move(label)), options_(options), policy_(policy) {
    if (options.helpers && options.helpers->size() > 1)
        behind_ = std::make_unique<WriteBehind>(options.helpers, dfd_, label_);
}

base::Result<void> EntryWriter::finish() {
    if (!behind_) return {};
    pending_.clear();
    return behind_->drain();
}

namespace {

/// A name as a case-insensitive file system may see it (ASCII letters folded): the queue's
/// bookkeeping compares these, so that "Foo" and "foo" count as one file where the file
/// system makes them one. Names with other bytes stop hand-offs altogether (hand_offs_stopped_).
std::string folded(std::string_view rel) {
    std::string out(rel);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

}  // namespace

void EntryWriter::note_dir(const std::string& rel) {
    dirs_.insert(rel);
    if (behind_) folded_dirs_.insert(folded(rel));
}

base::Result<void> EntryWriter::wait_for_pending(const std::string& key, const char* hardlink) {
    // Another entry of the same name (replaced by this thread, which must find it on disk), a
    // hard link (to a file that must be complete), or a file where this entry needs a
    // directory (refused by ensure_parents, which must find the file there).
    bool meets = hardlink != nullptr || pending_.count(key) > 0;
    const std::size_t last = key.rfind('/');
    if (!meets && last != std::string::npos && !folded_dirs_.count(key.substr(0, last))) {
        // A directory already made here has no file of its name waiting: a file of that
        // name would have met the directory when it was made.
        for (std::size_t pos = key.find('/'); pos != std::string::npos && !meets; pos = key.find('/', pos + 1))
            meets = pending_.count(key.substr(0, pos)) > 0;
    }
    if (!meets) return {};
    pending_.clear();
    return behind_->drain();
}

base::Error EntryWriter::refuse(std::string_view entry, std::string_view why) const {
    return base::fail(ErrorKind::integrity,
                      "refusing " + label_ + ": entry '" + std::string(entry) + "' " +
                          std::string(why) + " (the archive is corrupt or malicious; nothing was installed from it)");
}

base::Result<void> EntryWriter::check_cancel() const {
    if (options_.cancel && options_.cancel->load(std::memory_order_relaxed))
        return base::fail(ErrorKind::interrupted, "extraction of " + label_ + " was interrupted");
    return {};
}

base::Error EntryWriter::write_error(const char* what, const std::string& rel, int err) const {
    return base::fail_errno(what, rel, err).with_context("while extracting " + label_);
}

base::Result<void> EntryWriter::account(std::uint64_t bytes, std::string_view entry) {
    unpacked_ += bytes;
    if (options_.max_unpacked_bytes != 0 && unpacked_ > options_.max_unpacked_bytes)
        return refuse(entry, "takes the unpacked size past the limit of " +
                                 std::to_string(options_.max_unpacked_bytes) +
                                 " bytes (a decompression bomb or a wrong size in the lock file)");
    return {};
}

base::Result<void> EntryWriter::write_all(struct archive* a) {
    for (;;) {
        PI_TRY_VOID(check_cancel());
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) return {};
        if (r < ARCHIVE_WARN) return corrupt(label_, archive_message(a));
        PI_TRY_VOID(write_entry(a, e));
    }
}

base::Result<void> EntryWriter::check_no_symlink_prefix(const std::string& rel,
                                                        std::string_view entry) const {
    if (symlinks_.empty()) return {};
    for (std::size_t pos = rel.find('/'); pos != std::string::npos; pos = rel.find('/', pos + 1)) {
        std::string prefix = rel.substr(0, pos);
        if (symlinks_.count(prefix))
            return refuse(entry, "would be written through the symlink '" + prefix + "'");
    }
    return {};
}

base::Result<void> EntryWriter::ensure_parents(const std::string& rel, std::string_view entry) {
    std::size_t last = rel.rfind('/');
    if (last == std::string::npos) return {};
    std::string parent = rel.substr(0, last);
    if (dirs_.count(parent)) return {};  // created by us, so every ancestor is a real directory
    PI_TRY_VOID(check_no_symlink_prefix(rel, entry));
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = rel.find('/', pos + 1);
        if (pos == std::string::npos || pos > last) break;
        std::string dir = rel.substr(0, pos);
        if (dirs_.count(dir)) continue;
        if (::mkdirat(dfd_, dir.c_str(), 0755) != 0) {
            int err = errno;
            struct stat st {};
            if (err != EEXIST || ::fstatat(dfd_, dir.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                return write_error("cannot create directory", dir, err);
            if (S_ISLNK(st.st_mode))
                return refuse(entry, "would be written through the symlink '" + dir + "'");
            if (!S_ISDIR(st.st_mode))
                return refuse(entry, "needs a directory where the archive put a file ('" + dir + "')");
        }
        note_dir(dir);
    }
    note_dir(parent);
    return {};
}

base::Result<void> EntryWriter::clear_existing(const std::string& rel, std::string_view entry) {
    struct stat st {};
    if (::fstatat(dfd_, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return {};
        return write_error("cannot inspect", rel, errno);
    }
    if (S_ISDIR(st.st_mode)) return refuse(entry, "would replace a directory of the same name");
    if (::unlinkat(dfd_, rel.c_str(), 0) != 0) return write_error("cannot replace", rel, errno);
    symlinks_.erase(rel);
    return {};
}

base::Result<void> EntryWriter::write_entry(struct archive* a, struct archive_entry* e) {
    const char* raw = entry_pathname(e);
    if (!raw) return refuse("?", "has no readable name");
    std::string_view entry(raw);
    const mode_t type = archive_entry_filetype(e);
    const char* hardlink = entry_hardlink(e);

    auto rel_r = base::safe_relative(entry);
    if (!rel_r) {
        if (type == AE_IFDIR && only_dots_and_slashes(entry)) return {};  // "./": the root itself
        return refuse(entry, "has an unsafe path (" + std::string(base::path_problem(entry)) + ")");
    }
    const std::string rel = rel_r->native();
    // Files written by other threads (ExtractOptions::helpers) are on disk before anything
    // that could meet them: then every check below sees what it saw without helpers.
    bool may_hand_off = false;
    if (behind_) {
        if (!hand_offs_stopped_ && !is_ascii(rel)) {
            // Where a file system folds case or normalizes Unicode, such a name may be one
            // file with a name already queued: from here on this thread writes every file.
            hand_offs_stopped_ = true;
            pending_.clear();
            PI_TRY_VOID(behind_->drain());
        }
        const std::string key = folded(rel);
        if (!pending_.empty()) PI_TRY_VOID(wait_for_pending(key, hardlink));
        const bool first_time = (type != AE_IFDIR || hardlink) && names_.insert(key).second;
        // A new name where no directory is (so nothing of that name is on disk: another
        // thread's O_EXCL create finds the place this one would), a file of a tar stream
        // whose size its header declares (hand_off gives a member back to this thread when
        // its data does not run in order within that size).
        may_hand_off = first_time && !hand_offs_stopped_ && !folded_dirs_.count(key) &&
                       (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR &&
                       archive_entry_sparse_count(e) == 0 && archive_entry_size_is_set(e) &&
                       archive_entry_size(e) >= 0;
    }
    PI_TRY_VOID(ensure_parents(rel, entry));

    if (hardlink) return write_hardlink(rel, entry, hardlink);
    switch (type) {
        case AE_IFREG:
        case 0:  // some zips record no file type; libarchive treats them as files
            if (may_hand_off && behind_->wants(static_cast<std::uint64_t>(archive_entry_size(e))))
                return hand_off(a, e, rel, entry);
            return write_file(a, e, rel, entry, {}, false);
        case AE_IFDIR:
            return write_dir(e, rel, entry);
        case AE_IFLNK: {
            const char* target = entry_symlink(e);
            std::string_view t = target ? std::string_view(target) : std::string_view();
            // An empty link target cannot exist on POSIX; such members (re-packed fixtures)
            // become empty files, as bsdtar and the .tar.bz2 twins of those packages have them.
            if (t.empty() || policy_.symlinks_as_files) return write_file(a, e, rel, entry, t, true);
            if (policy_.contained_symlinks && !base::link_target_inside(rel, t))
                return refuse(entry, "is a symlink to '" + base::printable(t) + "', outside the source tree");
            return write_symlink(e, rel, entry, t);
        }
        case AE_IFCHR:
        case AE_IFBLK:
            return refuse(entry, "is a device node");
        case AE_IFIFO:
            return refuse(entry, "is a FIFO");
        case AE_IFSOCK:
            return refuse(entry, "is a socket");
        default:
            return refuse(entry, "has an unknown file type");
    }
}

base::Result<bool> EntryWriter::next_block(struct archive* a, std::string_view entry, std::uint64_t end,
                                           DataBlock& block) {
    int r = archive_read_data_block(a, &block.data, &block.size, &block.offset);
    if (r == ARCHIVE_EOF) return false;
    if (r < ARCHIVE_WARN) return corrupt(label_, "entry '" + std::string(entry) + "': " + archive_message(a));
    if (block.offset < 0 || static_cast<std::uint64_t>(block.offset) < end)
        return refuse(entry, "has overlapping data blocks");
    // Holes of sparse entries count too: they become bytes on disk for most readers.
    PI_TRY_VOID(account(static_cast<std::uint64_t>(block.offset) - end + block.size, entry));
    return true;
}

base::Result<void> EntryWriter::write_file(struct archive* a, struct archive_entry* e,
                                           const std::string& rel, std::string_view entry,
                                           std::string_view content_override, bool use_override,
                                           const ReadSoFar* so_far) {
    if (!so_far && !use_override && archive_entry_size_is_set(e) && options_.max_unpacked_bytes != 0 &&
        unpacked_ + static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(e))) >
            options_.max_unpacked_bytes)
        return account(static_cast<std::uint64_t>(archive_entry_size(e)), entry);

    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    // A link turned into a file holds text: never executable.
    const mode_t perm = regular_mode(e, entry);
    const mode_t mode = use_override ? ((perm & 0666) | 0600) : perm;
    int fd = ::openat(dfd_, rel.c_str(), flags, mode);
    if (fd < 0 && errno == EEXIST) {  // a later duplicate member replaces the earlier one
        PI_TRY_VOID(clear_existing(rel, entry));
        fd = ::openat(dfd_, rel.c_str(), flags, mode);
    }
    if (fd < 0) return write_error("cannot create", rel, errno);
    UniqueFd guard(fd);

    auto write_all_bytes = [&](const char* p, std::size_t n, la_int64_t off) -> base::Result<void> {
        while (n) {
            ssize_t w = ::pwrite(fd, p, n, off);
            if (w < 0) {
                if (errno == EINTR) continue;
                return write_error("cannot write", rel, errno);
            }
            p += w;
            off += w;
            n -= static_cast<std::size_t>(w);
        }
        return {};
    };

    std::uint64_t end = 0;
    if (use_override) {
        PI_TRY_VOID(account(content_override.size(), entry));
        PI_TRY_VOID(write_all_bytes(content_override.data(), content_override.size(), 0));
        end = content_override.size();
    } else {
        if (so_far) {  // what hand_off read (and counted) before it gave the file back
            PI_TRY_VOID(write_all_bytes(so_far->head.data(), so_far->head.size(), 0));
            end = so_far->head.size();
            PI_TRY_VOID(write_all_bytes(static_cast<const char*>(so_far->block), so_far->size, so_far->offset));
            end = static_cast<std::uint64_t>(so_far->offset) + so_far->size;
        }
        for (DataBlock b;;) {
            PI_TRY(const bool more, next_block(a, entry, end, b));
            if (!more) break;
            PI_TRY_VOID(write_all_bytes(static_cast<const char*>(b.data), b.size, b.offset));
            end = static_cast<std::uint64_t>(b.offset) + b.size;
            PI_TRY_VOID(check_cancel());
        }
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
            static_cast<std::uint64_t>(archive_entry_size(e)) > end) {  // trailing hole
            PI_TRY_VOID(account(static_cast<std::uint64_t>(archive_entry_size(e)) - end, entry));
            if (::ftruncate(fd, archive_entry_size(e)) != 0) return write_error("cannot write", rel, errno);
            end = static_cast<std::uint64_t>(archive_entry_size(e));
        }
    }
    struct timespec times[2] = {{0, UTIME_OMIT}, entry_mtime(e)};
    if (times[1].tv_nsec != UTIME_OMIT) (void)::futimens(fd, times);
    guard.reset();
    ++stats_.files;
    stats_.bytes += end;
    return {};
}

mode_t EntryWriter::regular_mode(struct archive_entry* e, std::string_view entry) const {
    mode_t perm = file_mode(e);
    if (policy_.zip_perms) {
        auto it = policy_.zip_perms->find(std::string(entry));
        if (it != policy_.zip_perms->end() && it->second != 0) perm = (it->second & 0777) | 0600;
    }
    return perm;
}

base::Result<void> EntryWriter::hand_off(struct archive* a, struct archive_entry* e, const std::string& rel,
                                         std::string_view entry) {
    const auto declared = static_cast<std::uint64_t>(archive_entry_size(e));
    if (options_.max_unpacked_bytes != 0 && unpacked_ + declared > options_.max_unpacked_bytes)
        return account(declared, entry);
    DeferredFile file;
    file.rel = rel;
    file.mode = regular_mode(e, entry);
    file.mtime = entry_mtime(e);
    file.data.reserve(declared);
    std::uint64_t end = 0;
    for (DataBlock b;;) {
        PI_TRY(const bool more, next_block(a, entry, end, b));
        if (!more) break;
        // Data in order, within the size the header declares, is buffered. Anything else (a
        // sparse map, which may put data anywhere) is written by this thread from here on,
        // as write_file writes it: never a buffer the size of a hole.
        if (static_cast<std::uint64_t>(b.offset) != end || end + b.size > declared) {
            const ReadSoFar so_far{file.data, b.data, b.size, b.offset};
            return write_file(a, e, rel, entry, {}, false, &so_far);
        }
        file.data.append(static_cast<const char*>(b.data), b.size);
        end += b.size;
        PI_TRY_VOID(check_cancel());
    }
    if (declared > end) {  // a trailing hole, as write_file leaves one (zeros here)
        PI_TRY_VOID(account(declared - end, entry));
        file.data.resize(declared);
        end = declared;
    }
    ++stats_.files;
    ++stats_.handed_off;
    stats_.bytes += end;
    pending_.insert(folded(rel));
    return behind_->hand_off(std::move(file));
}

base::Result<void> EntryWriter::write_dir(struct archive_entry* e, const std::string& rel,
                                          std::string_view entry) {
    if (dirs_.count(rel)) return {};
    PI_TRY_VOID(check_no_symlink_prefix(rel + "/", entry));
    const mode_t mode = (archive_entry_perm(e) & 0777) | 0700;
    if (::mkdirat(dfd_, rel.c_str(), mode) != 0) {
        int err = errno;
        struct stat st {};
        if (err != EEXIST || ::fstatat(dfd_, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return write_error("cannot create directory", rel, err);
        if (S_ISLNK(st.st_mode)) return refuse(entry, "is a directory where the archive put a symlink");
        if (!S_ISDIR(st.st_mode)) return refuse(entry, "is a directory where the archive put a file");
    }
    note_dir(rel);
    return {};
}

base::Result<void> EntryWriter::write_symlink(struct archive_entry* e, const std::string& rel,
                                              std::string_view entry, std::string_view target) {
    // The link itself may point anywhere (the linker applies the prefix policy); what
    // matters here is that no later entry is written through it (symlinks_).
    if (target.find('\0') != std::string_view::npos) return refuse(entry, "has a symlink target with a NUL byte");
    std::string t(target);
    if (::symlinkat(t.c_str(), dfd_, rel.c_str()) != 0) {
        if (errno != EEXIST) return write_error("cannot create symlink", rel, errno);
        PI_TRY_VOID(clear_existing(rel, entry));
        if (::symlinkat(t.c_str(), dfd_, rel.c_str()) != 0) return write_error("cannot create symlink", rel, errno);
    }
    symlinks_.insert(rel);
    struct timespec times[2] = {{0, UTIME_OMIT}, entry_mtime(e)};
    if (times[1].tv_nsec != UTIME_OMIT) (void)::utimensat(dfd_, rel.c_str(), times, AT_SYMLINK_NOFOLLOW);
    ++stats_.files;
    return {};
}

base::Result<void> EntryWriter::write_hardlink(const std::string& rel, std::string_view entry,
                                               std::string_view target) {
    auto t = base::safe_relative(target);
    if (!t)
        return refuse(entry, "is a hardlink to the unsafe path '" + std::string(target) + "' (" +
                                 std::string(base::path_problem(target)) + ")");
    const std::string trel = t->native();
    PI_TRY_VOID(check_no_symlink_prefix(trel, entry));
    if (trel == rel) return refuse(entry, "is a hardlink to itself");
    struct stat st {};
    if (::fstatat(dfd_, trel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return refuse(entry, "is a hardlink to '" + trel + "', which the archive did not contain before it");
    if (S_ISDIR(st.st_mode)) return refuse(entry, "is a hardlink to a directory");
    // A hard link to a symlink is that symlink again, elsewhere: its target would be read
    // from another directory than the one it was checked for.
    if (S_ISLNK(st.st_mode) && policy_.contained_symlinks)
        return refuse(entry, "is a hardlink to the symlink '" + trel + "'");
    PI_TRY_VOID(clear_existing(rel, entry));
    if (::linkat(dfd_, trel.c_str(), dfd_, rel.c_str(), 0) != 0) return write_error("cannot create hardlink", rel, errno);
    ++stats_.files;
    return {};
}

}  // namespace pixi_install::archive::detail
