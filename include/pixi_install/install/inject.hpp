// `--inject FILE`: an artifact built elsewhere takes the place of the lock's record
// of the same package: a .conda/.tar.bz2 for a conda_source (pixi-build) record, a
// wheel for a PyPI entry (a source one, typically). Checked against the record's
// name and version, hashed, then installed like any locked artifact.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

/// One file to inject, as read before any selection uses it.
struct Injection {
    std::filesystem::path file;      ///< absolute
    std::string file_name;           ///< its name (a conda archive or wheel name)
    std::string sha256;
    bool wheel = false;
    std::string name;                ///< conda name, or the wheel's normalized name
    std::string version;
    std::shared_ptr<const lockfile::CondaRecord> conda;  ///< the record it becomes (conda files)
    /// From a bundle's injected.tsv: replaces only entries the lock gives no hash for
    /// (conda_source records, directories, git, hashless URLs), never a hashed sdist.
    bool from_bundle = false;
};

/// Reads and checks the files (names, hashes; a conda archive's info/index.json, which
/// must agree with its file name). ErrorKind::usage for a file that is neither kind.
base::Result<std::vector<Injection>> read_injections(const std::vector<std::filesystem::path>& files);
/// The same for files stored under other names (a bundle's, by hash): (file, its name).
base::Result<std::vector<Injection>> read_injections(
    const std::vector<std::pair<std::filesystem::path, std::string>>& files);

/// The top-level bundle file listing injected artifacts: "sha256 TAB file name" lines;
/// `install --bundle` injects them as if given with --inject.
inline constexpr const char* kInjectedFile = "injected.tsv";

/// Puts the injections into `selection` in place of the records they match (by name;
/// by version too when the record has one: another version is ErrorKind::usage): only
/// conda_source records and PyPI source entries (a bundle's: only those without a hash); a
/// record the lock pins as a binary (a conda package, a wheel) is ErrorKind::usage, a conda
/// archive of another platform too. Returns how many records were replaced.
base::Result<std::size_t> inject(lockfile::Selection& selection, const std::vector<Injection>& injections);

}  // namespace pixi_install::install
