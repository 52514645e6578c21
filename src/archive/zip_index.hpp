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
};

struct ZipIndex {
    std::vector<ZipMember> members;  // in central-directory order
    std::uint64_t total_uncompressed = 0;
};

/// Reads the central directory of the zip open on `fd` (`size` bytes long) and
/// checks every member's extent. Errors are ErrorKind::integrity naming `label`.
base::Result<ZipIndex> read_zip_index(int fd, std::uint64_t size, std::string_view label);

}  // namespace pixi_install::archive::detail
