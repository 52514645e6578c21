// Where an environment's python puts things, derived from its `python` conda
// record (version and optional python_site_packages_path). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::spec {

struct PythonInfo {
    int major = 3;
    int minor = 0;
    std::string short_version;   ///< "3.12"
    std::string site_packages;   ///< relative to the prefix: "lib/python3.12/site-packages"
    std::string interpreter;     ///< relative: "bin/python3.12"
    std::string include_dir;     ///< relative: "include/python3.12"
    std::string bin_dir = "bin";

    /// From the python record's version ("3.12.3") and its python_site_packages_path
    /// when the lock has one (free-threaded builds: "lib/python3.13t/site-packages").
    static base::Result<PythonInfo> from_record(std::string_view version,
                                                const std::optional<std::string>& site_packages_path);
};

}  // namespace pixi_install::spec
