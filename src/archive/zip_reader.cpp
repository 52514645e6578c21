// Zip members read in place from a mapping of the archive, inflated with
// libdeflate in one call when they fit a bounded buffer (most members of most
// wheels), else streamed through zlib; hashed and CRC-checked as they are written.
#include "pixi_install/archive/zip_reader.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include "libarchive_util.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "zip_index.hpp"

namespace pixi_install::archive {

namespace fs = std::filesystem;
using base::ErrorKind;
using namespace detail;

namespace {

constexpr std::size_t kChunk = 1 << 16;
/// Members up to this size are inflated whole into one buffer per thread (at most this
/// big); larger ones (the shared libraries of big binary wheels) are inflated straight
/// into a mapping of their file by write_to_fd(), or streamed in kChunk pieces by stream().
constexpr std::uint64_t kWholeMemberLimit = 16u << 20;

base::Error bad_member(std::string_view label, std::string_view name, std::string_view what) {
    return base::fail(ErrorKind::integrity, "corrupt zip archive " + std::string(label) + ": member '" +
                                                std::string(name) + "' " + std::string(what) +
                                                " (the file is damaged or crafted; download it again)");
}

/// Deflate cannot expand data by more than about 1032:1; a member declaring more is
/// refused before any space is reserved or allocated for it.
bool declares_impossible_size(const ZipMember& m) {
    return m.method == 8 && m.uncompressed_size / 1100 > m.compressed_size + 4;
}

ZipEntryType to_public(ZipType t) {
    switch (t) {
        case ZipType::file: return ZipEntryType::file;
        case ZipType::directory: return ZipEntryType::directory;
        case ZipType::symlink: return ZipEntryType::symlink;
        default: return ZipEntryType::other;
    }
}

/// One raw-deflate inflater per thread, reset between members (no allocation per member).
struct Inflater {
    z_stream z{};
    bool ready = false;
    ~Inflater() {
        if (ready) inflateEnd(&z);
    }
    bool start() {
        if (ready) return inflateReset(&z) == Z_OK;
        z = z_stream{};
        ready = inflateInit2(&z, -MAX_WBITS) == Z_OK;
        return ready;
    }
};

/// One libdeflate decompressor per thread (it holds no state between calls).
struct WholeInflater {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    std::vector<char> out;
    WholeInflater() = default;
    WholeInflater(const WholeInflater&) = delete;
    WholeInflater& operator=(const WholeInflater&) = delete;
    ~WholeInflater() {
        if (d) libdeflate_free_decompressor(d);
    }
};

/// A read-only mapping of the whole archive.
struct Mapping {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() {
        if (data) ::munmap(const_cast<unsigned char*>(data), size);
    }
};

}  // namespace

struct ZipReader::Impl {
    UniqueFd fd;
    std::uint64_t file_size = 0;
    Mapping map;
    std::string label;
    ZipIndex index;
    std::vector<ZipEntry> entries;
    std::unordered_map<std::string_view, std::size_t> by_name;
};

void ZipReader::map_file(Impl& impl) {
    const std::uint64_t size = impl.file_size;
    if (impl.map.data || size == 0 || size > SIZE_MAX) return;
    void* m = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, impl.fd.get(), 0);
    if (m == MAP_FAILED) return;
    impl.map.data = static_cast<const unsigned char*>(m);
    impl.map.size = static_cast<std::size_t>(size);
}

void ZipReader::unmap() {
    if (!impl_->map.data) return;
    ::munmap(const_cast<unsigned char*>(impl_->map.data), impl_->map.size);
    impl_->map.data = nullptr;
    impl_->map.size = 0;
}

void ZipReader::map_again() { map_file(*impl_); }

ZipReader::ZipReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZipReader::ZipReader(ZipReader&&) noexcept = default;
ZipReader& ZipReader::operator=(ZipReader&&) noexcept = default;
ZipReader::~ZipReader() = default;

base::Result<ZipReader> ZipReader::open(const fs::path& archive, std::string label) {
    auto impl = std::make_unique<Impl>();
    impl->label = label.empty() ? archive.filename().string() : std::move(label);
    int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open archive", archive.string(), errno);
    impl->fd = UniqueFd(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return base::fail_errno("cannot inspect archive", archive.string(), errno);
    if (!S_ISREG(st.st_mode))
        return base::fail(ErrorKind::failure, "archive " + archive.string() + " is not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    impl->file_size = size;
    map_file(*impl);
    if (impl->map.data) {
        PI_TRY(impl->index, read_zip_index_mapped(impl->map.data, size, impl->label));
    } else {
        PI_TRY(impl->index, read_zip_index(fd, size, impl->label));
    }
    impl->entries.reserve(impl->index.members.size());
    for (const auto& m : impl->index.members) {
        ZipEntry e;
        e.name = m.name;
        e.size = m.uncompressed_size;
        e.type = to_public(zip_member_type(m));
        std::uint32_t perm = zip_member_perm(m);
        e.mode = perm == 0 ? 0644 : ((perm & 0777) | 0600);
        if (e.type == ZipEntryType::symlink) e.mode = (e.mode & 0666) | 0600;
        impl->entries.push_back(std::move(e));
    }
    impl->by_name.reserve(impl->entries.size());
    for (std::size_t i = 0; i < impl->entries.size(); ++i) impl->by_name.emplace(impl->entries[i].name, i);
    return ZipReader(std::move(impl));
}

const std::string& ZipReader::label() const { return impl_->label; }
const std::vector<ZipEntry>& ZipReader::entries() const { return impl_->entries; }
std::uint64_t ZipReader::total_size() const { return impl_->index.total_uncompressed; }

std::optional<std::size_t> ZipReader::find(std::string_view name) const {
    auto it = impl_->by_name.find(name);
    if (it == impl_->by_name.end()) return std::nullopt;
    return it->second;
}

base::Result<MemberDigest> ZipReader::stream(
    std::size_t index, const std::function<base::Result<void>(const char*, std::size_t)>& sink) const {
    const ZipMember& m = impl_->index.members.at(index);
    const std::string& label = impl_->label;
    if (m.method != 0 && m.method != 8)
        return bad_member(label, m.name, "uses compression method " + std::to_string(m.method) +
                                             " (only stored and deflated members are supported)");
    if (declares_impossible_size(m)) return bad_member(label, m.name, "declares more bytes than its data can hold");
    base::Hasher hasher(base::HashAlgo::sha256);
    std::uint32_t crc = 0;
    std::uint64_t produced = 0;
    auto emit = [&](const char* p, std::size_t n) -> base::Result<void> {
        produced += n;
        if (produced > m.uncompressed_size) return bad_member(label, m.name, "unpacks to more bytes than declared");
        hasher.update(p, n);
        crc = libdeflate_crc32(crc, p, n);
        return sink(p, n);
    };
    auto finish = [&]() -> base::Result<MemberDigest> {
        if (produced != m.uncompressed_size) return bad_member(label, m.name, "unpacks to fewer bytes than declared");
        if (crc != m.crc32) return bad_member(label, m.name, "fails its CRC-32 check");
        return MemberDigest{hasher.finish_raw(), produced};
    };

    const unsigned char* mapped = impl_->map.data;
    if (m.method == 8 && mapped && m.uncompressed_size <= kWholeMemberLimit) {
        // The common case: the whole member in one call, from the mapping into a per-thread buffer.
        thread_local WholeInflater whole;
        if (!whole.d) return base::fail(ErrorKind::failure, "cannot start libdeflate (out of memory)");
        const auto want = static_cast<std::size_t>(m.uncompressed_size);
        if (whole.out.size() < want + 1) whole.out.resize(std::max<std::size_t>(want + 1, kChunk));
        std::size_t got = 0;
        // One spare byte of room: a stream that unpacks to more than declared fills it.
        auto r = libdeflate_deflate_decompress(whole.d, mapped + m.data_offset, static_cast<std::size_t>(m.compressed_size),
                                               whole.out.data(), want + 1, &got);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE || (r == LIBDEFLATE_SUCCESS && got > want))
            return bad_member(label, m.name, "unpacks to more bytes than declared");
        if (r != LIBDEFLATE_SUCCESS) return bad_member(label, m.name, "has corrupt deflate data");
        if (got) PI_TRY_VOID(emit(whole.out.data(), got));
        return finish();
    }

    thread_local std::vector<char> in(kChunk), out(kChunk);
    std::uint64_t pos = m.data_offset, left = m.compressed_size;
    auto read_chunk = [&]() -> base::Result<std::size_t> {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, in.size()));
        std::size_t got = 0;
        while (got < want) {
            ssize_t r = ::pread(impl_->fd.get(), in.data() + got, want - got, static_cast<off_t>(pos + got));
            if (r < 0) {
                if (errno == EINTR) continue;
                return base::fail_errno("cannot read", label, errno);
            }
            if (r == 0) return bad_member(label, m.name, "is truncated");
            got += static_cast<std::size_t>(r);
        }
        pos += got;
        left -= got;
        return got;
    };

    // The next piece of compressed data: straight from the mapping, else read into `in`.
    auto next_input = [&](const char*& at) -> base::Result<std::size_t> {
        if (mapped) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30));
            at = reinterpret_cast<const char*>(mapped + pos);
            pos += n;
            left -= n;
            return n;
        }
        PI_TRY(std::size_t n, read_chunk());
        at = in.data();
        return n;
    };

    if (m.method == 0) {
        if (m.compressed_size != m.uncompressed_size)
            return bad_member(label, m.name, "is stored with differing sizes");
        while (left) {
            const char* at = nullptr;
            PI_TRY(std::size_t n, next_input(at));
            for (std::size_t off = 0; off < n; off += kChunk)
                PI_TRY_VOID(emit(at + off, std::min(kChunk, n - off)));
        }
    } else {
        thread_local Inflater inflater;
        if (!inflater.start()) return base::fail(ErrorKind::failure, "cannot start zlib inflate");
        z_stream& z = inflater.z;
        z.avail_in = 0;
        int zr = Z_OK;
        while (zr != Z_STREAM_END) {
            if (z.avail_in == 0) {
                if (left == 0) return bad_member(label, m.name, "has a truncated deflate stream");
                const char* at = nullptr;
                PI_TRY(std::size_t n, next_input(at));
                z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(at));
                z.avail_in = static_cast<uInt>(n);
            }
            z.next_out = reinterpret_cast<Bytef*>(out.data());
            z.avail_out = static_cast<uInt>(out.size());
            zr = inflate(&z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && z.avail_in == 0))
                return bad_member(label, m.name, std::string("has corrupt deflate data (") + (z.msg ? z.msg : "zlib error") + ")");
            std::size_t n = out.size() - z.avail_out;
            if (n) PI_TRY_VOID(emit(out.data(), n));
        }
    }
    return finish();
}

base::Result<std::string> ZipReader::read(std::size_t index) const {
    std::string out;
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(impl_->index.members.at(index).uncompressed_size, 1 << 26)));
    auto r = stream(index, [&](const char* p, std::size_t n) -> base::Result<void> {
        out.append(p, n);
        return {};
    });
    if (!r) return std::move(r).error();
    return out;
}

base::Result<std::optional<MemberDigest>> ZipReader::inflate_into_file(std::size_t index, int fd,
                                                                       std::string_view what) const {
    const ZipMember& m = impl_->index.members.at(index);
    const std::string& label = impl_->label;
    if (declares_impossible_size(m)) return bad_member(label, m.name, "declares more bytes than its data can hold");
    if (m.uncompressed_size > SIZE_MAX / 2) return std::optional<MemberDigest>();
    const auto size = static_cast<std::size_t>(m.uncompressed_size);
    // Reserve the space first: a full disk is an error here, not a SIGBUS while writing the mapping.
    if (int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); rc != 0) {
        if (rc == EOPNOTSUPP || rc == EINVAL) return std::optional<MemberDigest>();  // stream instead
        return base::fail_errno("cannot write", std::string(what), rc);
    }
    void* at = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (at == MAP_FAILED) {
        if (::ftruncate(fd, 0) != 0) return base::fail_errno("cannot write", std::string(what), errno);
        return std::optional<MemberDigest>();
    }
    struct Unmap {
        void* p;
        std::size_t n;
        ~Unmap() { ::munmap(p, n); }
    } unmap{at, size};
    ::madvise(at, size, MADV_SEQUENTIAL);
    thread_local WholeInflater whole;
    if (!whole.d) return base::fail(ErrorKind::failure, "cannot start libdeflate (out of memory)");
    std::size_t got = 0;
    auto r = libdeflate_deflate_decompress(whole.d, impl_->map.data + m.data_offset,
                                           static_cast<std::size_t>(m.compressed_size), at, size, &got);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return bad_member(label, m.name, "unpacks to more bytes than declared");
    if (r != LIBDEFLATE_SUCCESS) return bad_member(label, m.name, "has corrupt deflate data");
    if (got != size) return bad_member(label, m.name, "unpacks to fewer bytes than declared");
    const char* out = static_cast<const char*>(at);
    if (libdeflate_crc32(0, out, size) != m.crc32) return bad_member(label, m.name, "fails its CRC-32 check");
    base::Hasher hasher(base::HashAlgo::sha256);
    hasher.update(out, size);
    return std::optional<MemberDigest>(MemberDigest{hasher.finish_raw(), size});
}

base::Result<MemberDigest> ZipReader::write_to_fd(std::size_t index, int fd, std::string_view what) const {
    const ZipMember& m = impl_->index.members.at(index);
    if (m.method == 8 && impl_->map.data && m.uncompressed_size > kWholeMemberLimit) {
        // Too big for the per-thread buffer: inflate into the file's own pages.
        PI_TRY(std::optional<MemberDigest> d, inflate_into_file(index, fd, what));
        if (d) return std::move(*d);
    }
    return stream(index, [&](const char* p, std::size_t n) { return base::write_all(fd, {p, n}, what); });
}

}  // namespace pixi_install::archive
