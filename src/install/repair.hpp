// Private to install: taking the prefix lock, and cleaning up what a killed run left
// in a prefix (Transaction::lock_prefix is defined in repair.cpp).
#pragma once

#include <filesystem>
#include <string>

#include "pixi_install/base/result.hpp"

namespace pixi_install::install {

/// True for names of temporaries that atomic writes and wheel installs create next to
/// their target: ".<name>.<tag>-<pid>-<counter>-<random>" and ".pixi-install-wheel-XXXXXX".
bool is_stale_temporary_name(const std::string& file_name);

/// Removes such temporaries. Must be called with the prefix lock held (no other
/// install is writing there). `deep`: the whole prefix (after an interrupted install);
/// otherwise only the prefix root and conda-meta, where writes happen outside the
/// "installing" window. Returns how many entries were removed.
base::Result<std::size_t> remove_stale_temporaries(const std::filesystem::path& prefix, bool deep);

}  // namespace pixi_install::install
