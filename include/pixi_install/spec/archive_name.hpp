// Conda archive file names: `<name>-<version>-<build>.conda` / `.tar.bz2`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pixi_install::spec {

enum class ArchiveExt { conda, tar_bz2 };

/// The extension including its dot (".conda", ".tar.bz2").
std::string_view archive_ext_suffix(ArchiveExt ext) noexcept;

/// The build number encoded in a build string: the digits after its last
/// non-digit (`py313hb6a6212_1` -> 1, `pyhd8ed1ab_100` -> 100); nullopt when
/// the build string does not end in a digit (`h1234_0_cpython` -> nullopt).
std::optional<std::uint64_t> build_number_from_build(std::string_view build) noexcept;

struct ArchiveName {
    std::string name;
    std::string version;
    std::string build;
    ArchiveExt ext = ArchiveExt::conda;

    /// Parses a file name (no directory). The stem is split from the right on
    /// `-` twice: names may contain `-`, versions and builds may not. nullopt
    /// when the extension is not a conda archive's or a part is empty.
    static std::optional<ArchiveName> parse(std::string_view file_name);

    /// `name-version-build` without the extension.
    std::string stem() const;
    /// `name-version-build.conda` / `.tar.bz2`.
    std::string file_name() const;
};

}  // namespace pixi_install::spec
