#include "zip_index.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

namespace pixi_install::archive::detail {

namespace {

constexpr std::uint32_t kEocdSig = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::uint32_t kZip64EocdSig = 0x06064b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::size_t kEocdSize = 22;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;

std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t u32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t u64(const unsigned char* p) {
    return static_cast<std::uint64_t>(u32(p)) | (static_cast<std::uint64_t>(u32(p + 4)) << 32);
}

base::Error bad(std::string_view label, const std::string& what) {
    return base::fail(base::ErrorKind::integrity,
                      "corrupt zip archive " + std::string(label) + ": " + what +
                          " (the file is damaged, truncated or crafted; download it again)");
}

/// Where the zip's bytes come from: a file descriptor (pread) or a mapping of the whole file.
struct Source {
    int fd = -1;
    const unsigned char* map = nullptr;
    std::uint64_t size = 0;
};

base::Result<void> read_at(const Source& src, void* buf, std::size_t n, std::uint64_t off, std::string_view label) {
    if (n == 0) return {};
    if (src.map) {
        if (off > src.size || n > src.size - off) return bad(label, "unexpected end of file");
        std::memcpy(buf, src.map + off, n);
        return {};
    }
    auto* p = static_cast<char*>(buf);
    while (n) {
        ssize_t r = ::pread(src.fd, p, n, static_cast<off_t>(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            return base::fail_errno("cannot read", std::string(label), errno);
        }
        if (r == 0) return bad(label, "unexpected end of file");
        p += r;
        off += static_cast<std::uint64_t>(r);
        n -= static_cast<std::size_t>(r);
    }
    return {};
}

base::Result<ZipIndex> read_index(const Source& fd, std::uint64_t size, std::string_view label);

}  // namespace

ZipType zip_member_type(const ZipMember& m) {
    if (!m.name.empty() && m.name.back() == '/') return ZipType::directory;
    switch ((m.external_attr >> 16) & 0170000) {
        case 0:
        case 0100000: return ZipType::file;
        case 0040000: return ZipType::directory;
        case 0120000: return ZipType::symlink;
        default: return ZipType::other;
    }
}

std::uint32_t zip_member_perm(const ZipMember& m) {
    const std::uint32_t attr = m.external_attr >> 16;
    const bool regular = (attr & 0170000) == 0100000;
    const bool unix_untyped = (m.made_by >> 8) == 3 && (attr & 0170000) == 0;
    return regular || unix_untyped ? attr & 0777 : 0;
}

base::Result<ZipIndex> read_zip_index(int fd, std::uint64_t size, std::string_view label) {
    return read_index(Source{fd, nullptr, size}, size, label);
}

base::Result<ZipIndex> read_zip_index_mapped(const unsigned char* data, std::uint64_t size, std::string_view label) {
    return read_index(Source{-1, data, size}, size, label);
}

namespace {

base::Result<ZipIndex> read_index(const Source& fd, std::uint64_t size, std::string_view label) {
    if (size < kEocdSize) return bad(label, "too short to be a zip file");
    // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    const std::uint64_t tail_len = std::min<std::uint64_t>(size, kEocdSize + 0xFFFF);
    std::vector<unsigned char> tail(tail_len);
    PI_TRY_VOID(read_at(fd, tail.data(), tail.size(), size - tail_len, label));
    std::int64_t at = -1;
    for (std::int64_t i = static_cast<std::int64_t>(tail_len - kEocdSize); i >= 0; --i) {
        const unsigned char* p = tail.data() + i;
        if (u32(p) == kEocdSig && static_cast<std::uint64_t>(i) + kEocdSize + u16(p + 20) == tail_len) {
            at = i;
            break;
        }
    }
    if (at < 0) return bad(label, "no end-of-central-directory record (not a zip, or truncated)");
    const unsigned char* eocd = tail.data() + at;
    std::uint64_t eocd_pos = size - tail_len + static_cast<std::uint64_t>(at);
    if (u16(eocd + 4) != 0 || u16(eocd + 6) != 0) return bad(label, "multi-disk archives are not supported");
    std::uint64_t count = u16(eocd + 10);
    std::uint64_t cd_size = u32(eocd + 12);
    std::uint64_t cd_offset = u32(eocd + 16);
    std::uint64_t cd_limit = eocd_pos;

    if (eocd_pos >= 20) {  // a zip64 locator just before the record?
        unsigned char loc[20];
        PI_TRY_VOID(read_at(fd, loc, sizeof loc, eocd_pos - 20, label));
        if (u32(loc) == kZip64LocatorSig) {
            std::uint64_t z64_pos = u64(loc + 8);
            if (z64_pos + 56 > eocd_pos - 20) return bad(label, "bad zip64 end-of-central-directory locator");
            unsigned char z[56];
            PI_TRY_VOID(read_at(fd, z, sizeof z, z64_pos, label));
            if (u32(z) != kZip64EocdSig) return bad(label, "bad zip64 end-of-central-directory record");
            count = u64(z + 32);
            cd_size = u64(z + 40);
            cd_offset = u64(z + 48);
            cd_limit = z64_pos;
        }
    }
    if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
        return bad(label, "central directory lies outside the file (truncated?)");
    if (count > cd_size / kCentralSize) return bad(label, "central directory is too small for its member count");

    std::vector<unsigned char> cd(cd_size);
    PI_TRY_VOID(read_at(fd, cd.data(), cd.size(), cd_offset, label));
    ZipIndex index;
    index.members.reserve(count);
    std::unordered_set<std::string> names;
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (pos + kCentralSize > cd.size() || u32(cd.data() + pos) != kCentralSig)
            return bad(label, "central directory entry " + std::to_string(i) + " is damaged");
        const unsigned char* c = cd.data() + pos;
        ZipMember m;
        m.made_by = u16(c + 4);
        m.flags = u16(c + 8);
        m.crc32 = u32(c + 16);
        m.external_attr = u32(c + 38);
        m.method = u16(c + 10);
        m.compressed_size = u32(c + 20);
        m.uncompressed_size = u32(c + 24);
        std::size_t name_len = u16(c + 28), extra_len = u16(c + 30), comment_len = u16(c + 32);
        std::uint16_t disk = u16(c + 34);
        m.local_offset = u32(c + 42);
        if (pos + kCentralSize + name_len + extra_len + comment_len > cd.size())
            return bad(label, "central directory entry " + std::to_string(i) + " is damaged");
        m.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
        // zip64 extra field: the 64-bit values present for each 32-bit field that is 0xFFFFFFFF.
        const unsigned char* x = c + kCentralSize + name_len;
        for (std::size_t xp = 0; xp + 4 <= extra_len;) {
            std::uint16_t id = u16(x + xp), len = u16(x + xp + 2);
            if (xp + 4 + len > extra_len) break;
            if (id == 0x0001) {
                const unsigned char* v = x + xp + 4;
                std::size_t left = len;
                auto take = [&](std::uint64_t& field) -> bool {
                    if (left < 8) return false;
                    field = u64(v);
                    v += 8;
                    left -= 8;
                    return true;
                };
                if (m.uncompressed_size == 0xFFFFFFFF && !take(m.uncompressed_size)) return bad(label, "bad zip64 field of '" + m.name + "'");
                if (m.compressed_size == 0xFFFFFFFF && !take(m.compressed_size)) return bad(label, "bad zip64 field of '" + m.name + "'");
                if (m.local_offset == 0xFFFFFFFF && !take(m.local_offset)) return bad(label, "bad zip64 field of '" + m.name + "'");
            }
            xp += 4 + len;
        }
        pos += kCentralSize + name_len + extra_len + comment_len;
        if (disk != 0) return bad(label, "member '" + m.name + "' is on another disk");
        if (m.flags & 0x1) return bad(label, "member '" + m.name + "' is encrypted");
        if (!names.insert(m.name).second) return bad(label, "member '" + m.name + "' appears twice");
        index.total_uncompressed += m.uncompressed_size;
        index.members.push_back(std::move(m));
    }

    // Every member's local header and data must lie before the central directory,
    // and no two members may share bytes (the overlapping-member zip bomb).
    struct Extent {
        std::uint64_t begin, end;
        const std::string* name;
    };
    std::vector<Extent> extents;
    extents.reserve(index.members.size());
    for (auto& m : index.members) {
        if (m.local_offset > cd_offset || cd_offset - m.local_offset < kLocalSize)
            return bad(label, "member '" + m.name + "' starts outside the archive data");
        unsigned char lh[kLocalSize];
        PI_TRY_VOID(read_at(fd, lh, sizeof lh, m.local_offset, label));
        if (u32(lh) != kLocalSig) return bad(label, "member '" + m.name + "' has no local header");
        std::uint64_t data = m.local_offset + kLocalSize + u16(lh + 26) + u16(lh + 28);
        if (data > cd_offset || m.compressed_size > cd_offset - data)
            return bad(label, "member '" + m.name + "' extends past the archive data (truncated?)");
        m.data_offset = data;
        extents.push_back({m.local_offset, data + m.compressed_size, &m.name});
    }
    std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < extents.size(); ++i)
        if (extents[i].begin < extents[i - 1].end)
            return bad(label, "members '" + *extents[i - 1].name + "' and '" + *extents[i].name + "' overlap");
    return index;
}

}  // namespace

}  // namespace pixi_install::archive::detail
