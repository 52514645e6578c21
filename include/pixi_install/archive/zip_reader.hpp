// Random access to the members of a zip (a wheel) without unpacking it first:
// the central directory is read and checked once (no overlapping, duplicate,
// encrypted or out-of-bounds members), then any member is read into memory or
// streamed to a caller-chosen place, hashed (sha256) on the way, its size and
// CRC-32 checked against the directory. Members are stored or deflated (the
// methods of every wheel builder); other methods are refused.
//
// Names are returned as the archive has them; a caller turning them into paths
// goes through safe_relative()/safe_join() (safe_path.hpp) or
// extract_zip_members() below, which does.
//
// The const members of one reader may be called from several threads at once (the
// mapping is read-only, reads use pread, inflate buffers are per thread); any number
// of readers (on the same file or not) may run in parallel. unmap() and map_again()
// only while no other thread uses the reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::archive {

enum class ZipEntryType { file, directory, symlink, other };

struct ZipEntry {
    std::string name;           ///< as in the central directory ('/' separated)
    std::uint64_t size = 0;     ///< declared unpacked size
    ZipEntryType type = ZipEntryType::file;
    /// Permission bits for the file made from this member: the rwx bits of
    /// `external_attr >> 16` when the zip records them (whatever system made it,
    /// as pip and pypa/installer read them), owner read/write added, never
    /// setuid/setgid/sticky; 0644 when the zip records none; a symlink member
    /// (which becomes a file holding the link text) is never executable.
    std::uint32_t mode = 0644;
};

/// What streaming one member produced.
struct MemberDigest {
    std::string sha256;         ///< raw 32-byte digest of the unpacked bytes
    std::uint64_t size = 0;
};

class ZipReader {
public:
    /// Opens `archive` and checks its central directory; ErrorKind::integrity names
    /// `label` (default: the file name) when it is not a sound zip.
    static base::Result<ZipReader> open(const std::filesystem::path& archive, std::string label = {});

    ZipReader(ZipReader&&) noexcept;
    ZipReader& operator=(ZipReader&&) noexcept;
    ~ZipReader();

    /// Gives back the mapping of the archive, keeping the file open and its member list:
    /// reads still work (from the file, more slowly) until map_again(). For a reader kept
    /// for later while others are used, so that its pages are not held meanwhile.
    void unmap();
    /// Maps the same open file again (a failure to map leaves reads on the file).
    void map_again();

    const std::string& label() const;
    /// Every member, in central-directory order.
    const std::vector<ZipEntry>& entries() const;
    /// The sum of the declared unpacked sizes.
    std::uint64_t total_size() const;
    /// The index of the member named `name`, or nullopt.
    std::optional<std::size_t> find(std::string_view name) const;

    /// Member `index` unpacked into memory (size and CRC-32 checked).
    base::Result<std::string> read(std::size_t index) const;
    /// Streams member `index` unpacked to `sink` in chunks, hashing it; a member
    /// unpacking to more or fewer bytes than declared, or with a wrong CRC-32, is
    /// ErrorKind::integrity. A sink error stops the stream and is returned.
    base::Result<MemberDigest> stream(std::size_t index,
                                      const std::function<base::Result<void>(const char*, std::size_t)>& sink) const;
    /// Writes member `index` into `fd`, a new empty regular file (opened for reading
    /// and writing: a large member is inflated straight into a mapping of the file,
    /// its space reserved first); `what` names the file in write errors.
    base::Result<MemberDigest> write_to_fd(std::size_t index, int fd, std::string_view what) const;

private:
    /// write_to_fd() for a large deflated member; nullopt when the file system cannot
    /// reserve space or map the file (the caller then streams).
    base::Result<std::optional<MemberDigest>> inflate_into_file(std::size_t index, int fd, std::string_view what) const;

    struct Impl;
    explicit ZipReader(std::unique_ptr<Impl> impl);
    /// Maps the whole archive, read-only (left unmapped where that fails).
    static void map_file(Impl& impl);
    std::unique_ptr<Impl> impl_;
};

/// Writes files below a root directory the way an installer needs: each directory
/// is checked once with safe_join() (no symlink component leading outside the root)
/// and created as needed; a file is created with O_EXCL|O_NOFOLLOW, or, when one is
/// already there, written to a temporary sibling and renamed over it (never written
/// through a symlink, a directory in the way refused). No fsync, no per-file stat
/// in the usual case. roll_back() removes every file this placer created.
class FilePlacer {
public:
    struct Placed {
        MemberDigest digest;
        bool replaced = false;  ///< a file (or symlink) was there before
    };

    explicit FilePlacer(std::filesystem::path root);
    FilePlacer(const FilePlacer&) = delete;
    FilePlacer& operator=(const FilePlacer&) = delete;
    ~FilePlacer();

    /// Streams zip member `index` to `rel` (root-relative, '/' separated) with `mode`
    /// (the process umask applies, as for any created file).
    base::Result<Placed> place_member(const ZipReader& zip, std::size_t index, std::string_view rel,
                                      std::uint32_t mode);
    /// Writes `content` to `rel` with exactly `mode` (umask not applied).
    base::Result<Placed> place_content(std::string_view rel, std::string_view content, std::uint32_t mode);
    /// Removes the files created so far (in reverse order) and forgets them.
    void roll_back();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Where one member goes, chosen by the caller of extract_zip_members().
struct MemberTarget {
    /// Path relative to the destination root; checked with safe_relative(), and no
    /// component may be a symlink leading outside the root (safe_join()).
    std::string path;
    std::uint32_t mode = 0644;  ///< permission bits of the created file
};

/// The caller's choice for each file member: a target, or nullopt to skip it.
using MemberChooser = std::function<base::Result<std::optional<MemberTarget>>(const ZipEntry&)>;

struct MemberWritten {
    std::size_t index = 0;      ///< in ZipReader::entries()
    std::string path;           ///< the target path, as chosen
    MemberDigest digest;
    bool replaced = false;      ///< a file was there before (replaced atomically)
};

struct MemberExtractOptions {
    /// Polled between members; stops with ErrorKind::interrupted when set.
    const std::atomic<bool>* cancel = nullptr;
};

/// Streams every file member that `choose` gives a target to that place below
/// `root` (directories created as needed, an existing file replaced atomically
/// through a temporary sibling, nothing written through a symlink), hashing as it
/// writes. Directory members are skipped; the chooser sees files and symlink
/// members (a symlink member becomes a file holding its link text). On an error
/// the files created so far are removed (replaced ones cannot come back).
base::Result<std::vector<MemberWritten>> extract_zip_members(const ZipReader& zip,
                                                             const std::filesystem::path& root,
                                                             const MemberChooser& choose,
                                                             const MemberExtractOptions& options = {});

}  // namespace pixi_install::archive
