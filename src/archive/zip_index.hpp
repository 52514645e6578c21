// Private: reads and checks a zip's central directory before libarchive
// extracts it. libarchive trusts the directory; this refuses the ambiguous
// or hostile layouts it would accept (overlapping members, members past the
// directory, duplicate names, encryption, multi-disk archives).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::archive::detail {

struct ZipMember {
    std::string name;
    std::uint64_t local_offset = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint16_t method = 0;
    std::uint16_t flags = 0;
    std::uint16_t made_by = 0;        ///< "version made by": the high byte names the system
    std::uint32_t external_attr = 0;  ///< on unix-made zips, st_mode << 16
    std::uint32_t crc32 = 0;
    std::uint64_t data_offset = 0;    ///< where the member's (compressed) data starts
};

struct ZipIndex {
    std::vector<ZipMember> members;  // in central-directory order
    std::uint64_t total_uncompressed = 0;
};

enum class ZipType { file, directory, symlink, other };

/// What a member is, from its name (a trailing '/') and the file-type bits of
/// `external_attr >> 16`, whatever system made the zip.
ZipType zip_member_type(const ZipMember& m);

/// The rwx bits a file member records (from `external_attr >> 16` when its type
/// bits say "regular file", or when a unix zip records bits without a type), or 0
/// when the zip records none (DOS/Windows zips). Never setuid/setgid/sticky.
std::uint32_t zip_member_perm(const ZipMember& m);

/// Reads the central directory of the zip open on `fd` (`size` bytes long) and
/// checks every member's extent. Errors are ErrorKind::integrity naming `label`.
base::Result<ZipIndex> read_zip_index(int fd, std::uint64_t size, std::string_view label);
/// The same for a zip already in memory (a mapping of the whole file).
base::Result<ZipIndex> read_zip_index_mapped(const unsigned char* data, std::uint64_t size, std::string_view label);

}  // namespace pixi_install::archive::detail
