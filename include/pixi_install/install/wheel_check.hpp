// Whether the lock's wheels can run on the target: each wheel's tags against
// the tags the platform and the environment's python support. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::install {

struct WheelIncompatibility {
    std::string name;        ///< distribution
    std::string file_name;   ///< decoded wheel file name
    std::vector<std::string> wheel_tags;  ///< what the wheel offers
    std::vector<std::string> best_tags;   ///< the environment's best tags (a few, for the message)
};

/// Where the selection's python puts things (from its `python` conda record), or
/// nullopt when the environment has no (readable) python.
std::optional<spec::PythonInfo> environment_python(const lockfile::Selection& selection);

/// The wheels of `selection` that `platform` + `python` cannot use. Locations
/// that are not wheels are not judged here (see install::not_installable).
base::Result<std::vector<WheelIncompatibility>> incompatible_wheels(const lockfile::Selection& selection,
                                                                    const spec::TagPlatform& platform,
                                                                    const spec::PythonInfo& python);

/// One line per incompatible wheel, for the host-check error.
std::string describe(const WheelIncompatibility& w);

}  // namespace pixi_install::install
