// .conda, .tar.bz2 and .whl extraction with libarchive. Each call owns its
// archive objects and works relative to a directory descriptor, so many
// extractions run in parallel on the pool.
#include "pixi_install/archive/extract.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <unordered_map>

#include "entry_writer.hpp"
#include "libarchive_util.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/strings.hpp"
#include "zip_index.hpp"

namespace pixi_install::archive {

namespace fs = std::filesystem;
using base::ErrorKind;
using namespace detail;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

struct OpenedArchive {
    UniqueFd fd;
    std::uint64_t size = 0;
};

base::Result<OpenedArchive> open_archive(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open archive", path.string(), errno);
    OpenedArchive out{UniqueFd(fd), 0};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return base::fail_errno("cannot inspect archive", path.string(), errno);
    if (!S_ISREG(st.st_mode))
        return base::fail(ErrorKind::failure, "archive " + path.string() + " is not a regular file");
    out.size = static_cast<std::uint64_t>(st.st_size);
    return out;
}

/// Creates `dest` when missing, requires it to be empty, and opens it.
base::Result<UniqueFd> open_dest(const fs::path& dest) {
    PI_TRY_VOID(base::make_dirs(dest));
    std::error_code ec;
    fs::directory_iterator it(dest, ec);
    if (ec) return base::fail_errno("cannot read directory", dest.string(), ec.value());
    if (it != fs::directory_iterator())
        return base::fail(ErrorKind::failure, "extraction destination " + dest.string() +
                                                  " is not empty (remove it first)");
    int fd = ::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open directory", dest.string(), errno);
    return UniqueFd(fd);
}


/// Writes every entry of an opened tar stream; `on_first` checks the stream once its first
/// header is read (the filter is known then). An archive without entries is corrupt.
template <class F>
base::Result<void> write_entries(struct archive* a, EntryWriter& writer, const std::string& label, F&& on_first) {
    bool first = true;
    for (;;) {
        PI_TRY_VOID(writer.check_cancel());
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return corrupt(label, archive_message(a));
        if (first) {
            PI_TRY_VOID(on_first());
            first = false;
        }
        PI_TRY_VOID(writer.write_entry(a, e));
    }
    if (first) return corrupt(label, "the archive holds no entries");
    return {};
}

// ---- .tar.bz2 ---------------------------------------------------------------

base::Result<ExtractStats> extract_tar_bz2(int fd, const std::string& label, int dest_fd,
                                           const ExtractOptions& options) {
    ReadArchive a = new_reader();
    if (!a) return base::fail(ErrorKind::failure, "out of memory opening " + label);
    if (archive_read_support_filter_bzip2(a.get()) != ARCHIVE_OK ||
        archive_read_support_format_tar(a.get()) != ARCHIVE_OK)
        return base::fail(ErrorKind::failure, "libarchive lacks bzip2/tar support: " + archive_message(a.get()));
    if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK) return corrupt(label, archive_message(a.get()));
    EntryWriter writer(dest_fd, label, options, WriterPolicy{});
    PI_TRY_VOID(write_entries(a.get(), writer, label, [&]() -> base::Result<void> {
        if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_BZIP2) return corrupt(label, "not bzip2-compressed");
        return {};
    }));
    PI_TRY_VOID(writer.finish());
    return writer.stats();
}

// ---- .conda -----------------------------------------------------------------

/// Feeds the data of the current zip member to an inner reader without copying it.
struct InnerSource {
    struct archive* outer;
    std::string error;
};

la_ssize_t inner_read(struct archive*, void* client, const void** buf) {
    auto* src = static_cast<InnerSource*>(client);
    std::size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(src->outer, buf, &size, &offset);
    if (r == ARCHIVE_EOF) return 0;
    if (r < ARCHIVE_WARN) {
        src->error = archive_message(src->outer);
        return -1;
    }
    return static_cast<la_ssize_t>(size);
}

base::Result<void> extract_inner_tar_zst(struct archive* outer, std::string_view member,
                                         const std::string& label, EntryWriter& writer) {
    const std::string inner_label = label + " (member " + std::string(member) + ")";
    ReadArchive in = new_reader();
    if (!in) return base::fail(ErrorKind::failure, "out of memory opening " + inner_label);
    if (archive_read_support_filter_zstd(in.get()) != ARCHIVE_OK ||
        archive_read_support_format_tar(in.get()) != ARCHIVE_OK)
        return base::fail(ErrorKind::failure, "libarchive lacks zstd/tar support: " + archive_message(in.get()));
    InnerSource src{outer, {}};
    auto inner_error = [&]() {
        return corrupt(inner_label, src.error.empty() ? archive_message(in.get()) : src.error);
    };
    if (archive_read_open(in.get(), &src, nullptr, inner_read, nullptr) != ARCHIVE_OK) return inner_error();
    bool first = true;
    for (;;) {
        PI_TRY_VOID(writer.check_cancel());
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(in.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return inner_error();
        if (first) {
            if (archive_filter_code(in.get(), 0) != ARCHIVE_FILTER_ZSTD)
                return corrupt(inner_label, "not zstd-compressed");
            first = false;
        }
        auto w = writer.write_entry(in.get(), e);
        if (!w) {
            if (!src.error.empty()) return inner_error();
            return std::move(w).error();
        }
    }
    if (!src.error.empty()) return inner_error();
    return {};
}

base::Result<ExtractStats> extract_conda_v2(int fd, std::uint64_t size, const std::string& label,
                                            int dest_fd, const ExtractOptions& options) {
    PI_TRY(ZipIndex index, read_zip_index(fd, size, label));
    bool has_info = false, has_pkg = false;
    for (const auto& m : index.members) {
        std::string_view name(m.name);
        std::string_view base = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
        if (!ends_with(base, ".tar.zst")) continue;
        has_info |= starts_with(base, "info-");
        has_pkg |= starts_with(base, "pkg-");
    }
    if (!has_info || !has_pkg)
        return corrupt(label, std::string("no ") + (has_info ? "pkg-" : "info-") +
                                  "*.tar.zst member (not a conda package, or truncated)");

    ReadArchive a = new_reader();
    if (!a) return base::fail(ErrorKind::failure, "out of memory opening " + label);
    if (archive_read_support_format_zip_seekable(a.get()) != ARCHIVE_OK)
        return base::fail(ErrorKind::failure, "libarchive lacks zip support: " + archive_message(a.get()));
    if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK) return corrupt(label, archive_message(a.get()));
    EntryWriter writer(dest_fd, label, options, WriterPolicy{});
    for (;;) {
        PI_TRY_VOID(writer.check_cancel());
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return corrupt(label, archive_message(a.get()));
        const char* raw = entry_pathname(e);
        std::string_view name = raw ? raw : "";
        std::string_view base = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
        // Inner archives are matched by base name: re-zipped packages carry a directory prefix.
        if (archive_entry_filetype(e) != AE_IFREG || !ends_with(base, ".tar.zst")) continue;
        PI_TRY_VOID(extract_inner_tar_zst(a.get(), base, label, writer));
    }
    PI_TRY_VOID(writer.finish());
    return writer.stats();
}

base::Result<void> require_index_json(int dest_fd, const std::string& label) {
    struct stat st {};
    if (::fstatat(dest_fd, "info/index.json", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return base::fail(ErrorKind::integrity, "archive " + label +
                                                    " has no info/index.json, so it is not a conda package "
                                                    "(the file is damaged or not what its name says)");
    return {};
}

}  // namespace

std::optional<Format> format_from_name(std::string_view file_name) {
    if (ends_with(file_name, ".conda")) return Format::conda;
    if (ends_with(file_name, ".tar.bz2")) return Format::tar_bz2;
    if (ends_with(file_name, ".whl")) return Format::wheel;
    return std::nullopt;
}

base::Result<ExtractStats> extract_conda_package(const fs::path& archive, const fs::path& dest,
                                                 const ExtractOptions& options) {
    ScopedUtf8Names utf8_names;
    const std::string label = archive.filename().string();
    auto format = format_from_name(label);
    if (!format || *format == Format::wheel)
        return base::fail(ErrorKind::failure, "cannot extract " + archive.string() +
                                                  ": a conda package ends in .conda or .tar.bz2");
    PI_TRY(OpenedArchive in, open_archive(archive));
    PI_TRY(UniqueFd dest_fd, open_dest(dest));
    base::Result<ExtractStats> r = *format == Format::conda
                                       ? extract_conda_v2(in.fd.get(), in.size, label, dest_fd.get(), options)
                                       : extract_tar_bz2(in.fd.get(), label, dest_fd.get(), options);
    if (!r) return std::move(r).error();
    PI_TRY_VOID(require_index_json(dest_fd.get(), label));
    return r;
}

base::Result<ExtractStats> extract_zip(const fs::path& archive, const fs::path& dest,
                                       const ExtractOptions& options) {
    ScopedUtf8Names utf8_names;
    const std::string label = archive.filename().string();
    PI_TRY(OpenedArchive in, open_archive(archive));
    PI_TRY(ZipIndex index, read_zip_index(in.fd.get(), in.size, label));
    PI_TRY(UniqueFd dest_fd, open_dest(dest));
    std::unordered_map<std::string, std::uint32_t> perms;
    for (const auto& m : index.members)
        if (zip_member_type(m) == ZipType::file)
            if (std::uint32_t perm = zip_member_perm(m)) perms.emplace(m.name, perm);
    EntryWriter writer(dest_fd.get(), label, options,
                       WriterPolicy{.symlinks_as_files = true, .zip_perms = &perms});
    if (options.max_unpacked_bytes != 0 && index.total_uncompressed > options.max_unpacked_bytes)
        return writer.refuse(index.members.empty() ? "" : index.members.front().name,
                             "is part of an archive whose declared unpacked size of " +
                                 std::to_string(index.total_uncompressed) + " bytes exceeds the limit of " +
                                 std::to_string(options.max_unpacked_bytes) + " bytes");
    ReadArchive a = new_reader();
    if (!a) return base::fail(ErrorKind::failure, "out of memory opening " + label);
    if (archive_read_support_format_zip_seekable(a.get()) != ARCHIVE_OK)
        return base::fail(ErrorKind::failure, "libarchive lacks zip support: " + archive_message(a.get()));
    if (archive_read_open_fd(a.get(), in.fd.get(), kReadBlock) != ARCHIVE_OK)
        return corrupt(label, archive_message(a.get()));
    PI_TRY_VOID(writer.write_all(a.get()));
    PI_TRY_VOID(writer.finish());
    return writer.stats();
}

namespace {

/// Whether the symlink `link` (below `root`, whose directories are real) resolves inside
/// `root`, following every symlink on the way, a dangling last one included: each step is
/// checked, so a chain that leaves and comes back is refused too.
bool resolves_inside(const fs::path& root, const fs::path& link) {
    const std::string base = root.string();
    auto inside = [&](const fs::path& p) {
        const std::string s = p.string();
        return s == base || (s.size() > base.size() && s.compare(0, base.size(), base) == 0 && s[base.size()] == '/');
    };
    fs::path cur = link.parent_path();
    std::vector<std::string> todo;
    std::error_code ec;
    auto push_front = [&](const fs::path& target) {
        std::vector<std::string> parts;
        for (const auto& c : target) parts.push_back(c.string());
        todo.insert(todo.begin(), parts.begin(), parts.end());
    };
    push_front(fs::read_symlink(link, ec));
    if (ec || fs::read_symlink(link, ec).is_absolute()) return false;
    int hops = 0;
    while (!todo.empty()) {
        const std::string c = todo.front();
        todo.erase(todo.begin());
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            cur = cur.parent_path();
        } else {
            const fs::path next = cur / c;
            if (fs::is_symlink(fs::symlink_status(next, ec))) {
                if (++hops > 40) return false;
                const fs::path t = fs::read_symlink(next, ec);
                if (ec || t.is_absolute()) return false;
                push_front(t);
                continue;  // resolved relative to `cur`
            }
            cur = next;
        }
        if (!inside(cur)) return false;
    }
    return inside(cur);
}

}  // namespace

base::Result<ExtractStats> extract_source_archive(const fs::path& archive, std::string_view file_name,
                                                  const fs::path& dest, const ExtractOptions& options) {
    ScopedUtf8Names utf8_names;
    const std::string label(file_name);
    std::string lower;
    for (char c : label) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool zip = ends_with(lower, ".zip");
    if (!zip && !ends_with(lower, ".tar.gz") && !ends_with(lower, ".tgz") && !ends_with(lower, ".tar.bz2") &&
        !ends_with(lower, ".tar.xz") && !ends_with(lower, ".tar"))
        return base::fail(ErrorKind::failure, "cannot unpack " + base::printable(label) +
                                                  ": a source distribution ends in .tar.gz, .tgz, .tar.bz2, "
                                                  ".tar.xz, .tar or .zip");
    PI_TRY(OpenedArchive in, open_archive(archive));
    PI_TRY(UniqueFd dest_fd, open_dest(dest));
    ReadArchive a = new_reader();
    if (!a) return base::fail(ErrorKind::failure, "out of memory opening " + label);
    if (zip) {
        if (archive_read_support_format_zip_seekable(a.get()) != ARCHIVE_OK)
            return base::fail(ErrorKind::failure, "libarchive lacks zip support: " + archive_message(a.get()));
    } else {
        if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
            archive_read_support_filter_gzip(a.get()) < ARCHIVE_WARN ||
            archive_read_support_filter_bzip2(a.get()) < ARCHIVE_WARN)
            return base::fail(ErrorKind::failure, "libarchive lacks tar/gzip/bzip2 support: " + archive_message(a.get()));
        (void)archive_read_support_filter_xz(a.get());  // where the library has it
    }
    if (archive_read_open_fd(a.get(), in.fd.get(), kReadBlock) != ARCHIVE_OK)
        return corrupt(label, archive_message(a.get()));
    EntryWriter writer(dest_fd.get(), label, options, WriterPolicy{.contained_symlinks = true});
    PI_TRY_VOID(write_entries(a.get(), writer, label, [] { return base::Result<void>(); }));
    PI_TRY_VOID(writer.finish());
    // Each symlink was checked alone; a chain of them may still leave the tree. Resolve
    // every one as a whole.
    std::error_code ec;
    const fs::path root = fs::canonical(dest, ec);
    if (ec) return base::fail_errno("cannot resolve", dest.string(), ec.value());
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code sec;
        if (!it->is_symlink(sec)) continue;
        if (!resolves_inside(root, it->path()))
            return base::fail(ErrorKind::integrity,
                              label + ": the symlink '" + base::printable(fs::relative(it->path(), root, sec).string()) +
                                  "' leads outside the source tree (through other symlinks); refusing the archive");
    }
    if (ec) return base::fail_errno("cannot read", dest.string(), ec.value());
    return writer.stats();
}

std::string archive_library_versions() { return archive_version_details(); }

}  // namespace pixi_install::archive
