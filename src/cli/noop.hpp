// Private to cli: the no-op fast path of `install`. Before the lock is parsed, a key
// over the lock's raw bytes and every other input that changes what an install
// produces (options, the manifest's bytes, the host's virtual packages) is compared
// with the memo the last full run left in the cache; a match on an untouched prefix
// (install::noop_memo_holds) means there is nothing to do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "pixi_install/base/result.hpp"

namespace pixi_install::cli {

/// Everything besides the lock's bytes that goes into the key.
struct NoopInputs {
    std::filesystem::path lock;          ///< absolute
    std::string environment;
    std::string platform_arg;
    std::filesystem::path prefix;        ///< absolute
    std::filesystem::path project_root;  ///< when the prefix is the default one
    std::string link_mode;
    std::vector<std::string> skip;
    std::vector<std::string> only;
    bool no_pypi = false;
    bool run_post_link_scripts = false;
    bool no_host_check = false;
    bool compile_bytecode = false;
    std::optional<std::int64_t> source_date_epoch;
    std::string manifest_flag;           ///< --manifest as given
    std::vector<std::string> find_links;  ///< --find-links as given
    bool no_install_local = false;
};

/// xxh3 of the lock file's bytes; nullopt when it cannot be read (the full path reports it).
std::optional<std::string> lock_digest(const std::filesystem::path& lock);

/// The key, or nullopt when an input cannot be read (then the full path runs and reports).
/// Probes the host for its virtual packages, but not the NVIDIA driver when
/// /proc/driver/nvidia/version identifies it (or CONDA_OVERRIDE_CUDA replaces it).
std::optional<std::string> noop_key(const Globals& g, const NoopInputs& in, const std::string& lock_digest);

/// SOURCE_DATE_EPOCH (decimal seconds, ErrorKind::usage when malformed), else 0 when
/// `reproducible_flag`, else nullopt.
base::Result<std::optional<std::int64_t>> source_date_epoch(const Globals& g, bool reproducible_flag);

/// The boolean variable `name`: 1/true/yes/on, 0/false/no/off or empty (any case), unset = false;
/// anything else is ErrorKind::usage.
base::Result<bool> env_flag(const Globals& g, const std::string& name);

}  // namespace pixi_install::cli
