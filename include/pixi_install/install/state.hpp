// The prefix's install-state marker (conda-meta/pixi-install-state): whether
// the last install completed, and the fingerprint of what it installed.
// Lets an up-to-date prefix be detected without parsing conda-meta, and an
// interrupted install be detected (state "installing") and repaired.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

enum class PrefixState { absent, installing, complete };

struct StateMarker {
    PrefixState state = PrefixState::absent;
    std::string fingerprint;  ///< 16 hex digits (xxh3-64)
};

/// Everything besides the records that changes what an install produces.
struct FingerprintInputs {
    std::string prefix;      ///< absolute prefix path (placeholders depend on it)
    std::string link_mode;
    std::vector<std::string> skip;
    std::vector<std::string> only;
    bool no_pypi = false;
};

/// xxh3 over the tool version, the platform, the selected records (identity,
/// hashes, locations) and the inputs. Pure.
std::string fingerprint(const lockfile::Selection& selection, const FingerprintInputs& inputs);

std::filesystem::path state_path(const std::filesystem::path& prefix);

/// Reads the marker; a missing file is `absent`, an unreadable/garbled one is
/// treated as `installing` (so the next run repairs rather than trusts it).
StateMarker read_state(const std::filesystem::path& prefix);
base::Result<void> write_state(const std::filesystem::path& prefix, const StateMarker& marker);

}  // namespace pixi_install::install
