// Wheel file names ({name}-{version}(-{build})?-{python}-{abi}-{platform}.whl),
// PyPI name normalization, and the classification of a locked PyPI location
// (wheel, sdist, git, directory, editable) for deciding what can be installed
// without building. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::spec {

/// One expanded compatibility tag triple ("cp312", "cp312", "manylinux_2_17_x86_64").
struct WheelTag {
    std::string python;
    std::string abi;
    std::string platform;

    std::string to_string() const { return python + "-" + abi + "-" + platform; }
    friend bool operator==(const WheelTag&, const WheelTag&) = default;
};

struct WheelName {
    std::string file_name;     ///< "torch-2.5.1+cu124-cp312-cp312-linux_x86_64.whl" (decoded)
    std::string distribution;  ///< as written in the file name: "torch", "simple_namespace"
    std::string version;       ///< "2.5.1+cu124"
    std::string build_tag;     ///< "" or "1" (starts with a digit)
    std::vector<std::string> python_tags;    ///< "py2.py3" -> {"py2", "py3"}
    std::vector<std::string> abi_tags;
    std::vector<std::string> platform_tags;

    /// PEP 503 normalized distribution name ("simple-namespace").
    std::string normalized_name() const;
    /// The version without its local part ("2.5.1").
    std::string public_version() const;
    /// The cartesian product of the compressed tag sets, in file-name order.
    std::vector<WheelTag> expanded_tags() const;

    /// Parses a bare file name. ErrorKind::integrity when it is not a wheel name.
    static base::Result<WheelName> parse(std::string_view file_name);
    /// Parses the last path segment of a URL or path, percent-decoded, without
    /// query or fragment (PyTorch's index: "torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl").
    static base::Result<WheelName> from_location(std::string_view location);
};

/// PEP 503: lower case, runs of '-', '_', '.' become one '-'.
std::string normalize_pypi_name(std::string_view name);
/// Decodes %XX escapes; malformed escapes are kept as written.
std::string percent_decode(std::string_view s);
/// The last path segment of a URL or path, without query and fragment, percent-decoded.
std::string location_file_name(std::string_view location);

/// What a locked PyPI location is, for deciding whether it can be installed
/// as it is (only `wheel` can; the rest need a build this tool does not do).
enum class PypiSourceKind { wheel, sdist, git, directory, editable, unknown };

const char* pypi_source_kind_name(PypiSourceKind kind) noexcept;

/// Classifies a lock location (URL, `direct+URL`, `git+URL`, file path) and the
/// manifest's editable flag. Pure: a path without an archive extension is taken
/// to be a directory.
PypiSourceKind classify_pypi_location(std::string_view location, bool editable);

/// The sentence telling the user how to get past a package that cannot be
/// installed without a build ("build a wheel ... or pass --skip NAME or --no-pypi").
std::string pypi_source_remedy(PypiSourceKind kind, std::string_view name);

}  // namespace pixi_install::spec
