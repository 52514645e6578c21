// Offline bundles: a directory or an uncompressed .tar holding verified artifacts,
// the lock and a manifest. `pixi-install pack` writes them; fetch reads them as a source.
//
// Layout (the same inside the tar):
//   artifacts/<sha256>/<file name>   one file per distinct artifact
//   manifest.tsv                     "# pixi-install bundle 1", a column header line, then one
//                                    line per (artifact, lock location):
//                                    sha256 TAB md5 TAB size TAB path-in-bundle TAB location
//   <extra files>                    e.g. pixi.lock
// The tar is byte-for-byte reproducible: entries sorted by name, mtime 0, owner 0/0,
// no user/group names, modes 0644/0755; names over 100 bytes use a pax `path` record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::fetch {

inline constexpr const char* kBundleManifest = "manifest.tsv";

/// One artifact to write into a bundle.
struct BundleItem {
    std::string file_name;               ///< archive file name; no '/'
    std::string sha256;                  ///< lower-case hex, required
    std::string md5;                     ///< lower-case hex or empty
    std::filesystem::path source;        ///< a verified file with that content
    std::vector<std::string> locations;  ///< the lock locations it serves
};

/// A small extra file (the lock) stored at the bundle's top level under `name`.
struct BundleFile {
    std::string name;
    std::string content;
};

/// Whether `out` may receive a bundle: absent, an empty directory, or a previous bundle
/// (a directory holding manifest.tsv, or a tar file whose members include it); a name
/// of a compressed archive (.tar.gz, .tar.zst, ...) is refused too, since bundles are
/// read in place. A usage error otherwise; `pack` asks before it fetches anything.
base::Result<void> check_bundle_output(const std::filesystem::path& out);

/// Writes the bundle to `out`: a `.tar` file when the name ends in ".tar", else a
/// directory, after `check_bundle_output`.
base::Result<void> write_bundle(const std::filesystem::path& out, const std::vector<BundleItem>& items,
                                const std::vector<BundleFile>& files);

/// Where one artifact's bytes are inside a bundle.
struct BundleEntry {
    std::string sha256;
    std::string md5;
    std::uint64_t size = 0;
    std::string name;              ///< path inside the bundle, for messages
    std::filesystem::path file;    ///< the file holding the bytes (the tar itself, or the artifact)
    std::uint64_t offset = 0;      ///< where the bytes start in `file`
};

/// An opened bundle: its manifest, indexed by digest. Nothing is trusted: every
/// read goes through hash verification by the fetcher, and names from the manifest
/// or tar headers are only used as lookup keys, never as paths outside the bundle.
class Bundle {
public:
    static base::Result<Bundle> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return path_; }
    const BundleEntry* find_sha256(const std::string& hex) const;
    const BundleEntry* find_md5(const std::string& hex) const;
    /// Reads a top-level file of the bundle (e.g. "pixi.lock").
    base::Result<std::string> read_file(const std::string& name) const;
    std::size_t size() const { return entries_.size(); }

private:
    std::filesystem::path path_;
    bool is_tar_ = false;
    std::vector<BundleEntry> entries_;
    std::map<std::string, std::size_t> by_sha256_;
    std::map<std::string, std::size_t> by_md5_;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> tar_files_;  ///< name -> offset, size
};

/// One line of a tab-separated list a bundle carries at its top level.
struct BundleLine {
    std::filesystem::path bundle;     ///< the bundle it came from, for messages
    std::string text;                 ///< the whole line
    std::vector<std::string> fields;  ///< split at tabs
};

/// Every non-empty line of the top-level file `name` of each bundle that has one, in
/// bundle order. Nothing is checked here: the fields are untrusted.
base::Result<std::vector<BundleLine>> bundle_lists(const std::vector<std::filesystem::path>& bundles,
                                                   const std::string& name);

}  // namespace pixi_install::fetch
