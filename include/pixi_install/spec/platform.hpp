// Conda platforms ("subdirs"): the known names and the one this binary runs on.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pixi_install::spec {

/// Every conda subdir this tool knows, `noarch` included.
std::span<const std::string_view> known_subdirs() noexcept;

bool is_known_subdir(std::string_view subdir) noexcept;

/// The subdir of the machine this binary was compiled for ("linux-64",
/// "linux-aarch64", "osx-arm64", "win-64", ...).
std::string host_subdir();

/// The operating-system part of a subdir ("linux", "osx", "win", ...); nullopt
/// for `noarch` and unknown names.
std::optional<std::string_view> subdir_os(std::string_view subdir) noexcept;

/// The machine architecture of a subdir as conda spells it in records
/// ("x86_64", "aarch64", "arm64", "ppc64le", ...); nullopt for `noarch`/unknown.
std::optional<std::string_view> subdir_arch(std::string_view subdir) noexcept;

}  // namespace pixi_install::spec
