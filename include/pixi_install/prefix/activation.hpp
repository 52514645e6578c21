// Activation of an installed prefix without pixi and without network: the
// variables an activated environment has, the shell scripts that set them
// (PREFIX/activate.sh, PREFIX/activate.fish), and the environment a command
// run inside the prefix gets.
//
// What activation means here (as conda and pixi do it on unix):
//   - CONDA_PREFIX is the prefix, CONDA_DEFAULT_ENV the environment's name,
//     PATH starts with PREFIX/bin;
//   - PIXI_ENVIRONMENT_NAME, PIXI_PROJECT_NAME, PIXI_PROJECT_ROOT are set when
//     the caller knows them (a prefix under <root>/.pixi/envs/<env>);
//   - the packages' PREFIX/etc/conda/activate.d scripts are sourced, in byte
//     order of their file names: `*.sh` for sh/bash/zsh, `*.fish` for fish.
// The script list is fixed when the script text is made (the prefix is not
// relocatable, and a fixed list makes the script reviewable); install rewrites
// the scripts after every change to the prefix.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix {

enum class Shell { sh, bash, zsh, fish };

/// "sh", "bash", "zsh", "fish".
const char* shell_name(Shell s) noexcept;
/// Parses a shell name, or the path of a shell ("/usr/bin/zsh"); usage error otherwise.
base::Result<Shell> parse_shell(std::string_view name_or_path);

/// What the caller knows about the environment; only `prefix` is required.
struct ActivationInfo {
    std::filesystem::path prefix;       ///< absolute
    std::string environment_name;       ///< CONDA_DEFAULT_ENV / PIXI_ENVIRONMENT_NAME; empty: the prefix's file name
    std::string project_name;           ///< PIXI_PROJECT_NAME; omitted when empty
    std::filesystem::path project_root; ///< PIXI_PROJECT_ROOT; omitted when empty

    /// Fills the names from the prefix's location: `<root>/.pixi/envs/<env>`
    /// gives environment `<env>` and project root `<root>`; any other prefix
    /// gives only the environment name (its file name).
    static ActivationInfo for_prefix(const std::filesystem::path& prefix);

    /// What install recorded with the activation scripts (`record_path`): the
    /// environment's name, project name and root as `install -e ENV` saw them,
    /// whatever the prefix is called. Where nothing readable is recorded (a prefix
    /// made by conda, pixi or an older pixi-install), `for_prefix`.
    static ActivationInfo recorded(const std::filesystem::path& prefix);
};

/// PREFIX/conda-meta/pixi-install-environment: the names activation uses (JSON).
std::filesystem::path activation_record_path(const std::filesystem::path& prefix);

/// The variables activation sets, in the order the scripts set them (PATH is
/// not among them: it is prepended to, see `activation_environment`).
std::vector<std::pair<std::string, std::string>> activation_variables(const ActivationInfo& info);

/// The package activation scripts for `shell` in PREFIX/etc/conda/activate.d,
/// absolute, sorted by file name (bytes). A missing directory gives none.
base::Result<std::vector<std::filesystem::path>> activate_d_scripts(const std::filesystem::path& prefix,
                                                                    Shell shell);

/// The activation script text for `shell`, sourcing `scripts` (normally
/// `activate_d_scripts(prefix, shell)`). Every value is quoted by
/// `base/shell_quote`; a prefix, name or script path holding NUL, LF or CR is
/// refused (ErrorKind::usage). Pure.
base::Result<std::string> activation_script(const ActivationInfo& info, Shell shell,
                                            const std::vector<std::filesystem::path>& scripts);
/// The same, listing the prefix's activate.d scripts itself.
base::Result<std::string> activation_script(const ActivationInfo& info, Shell shell);

/// Writes PREFIX/activate.sh (POSIX sh; works when sourced by sh, bash and zsh)
/// and PREFIX/activate.fish, and the names to `activation_record_path`, atomically.
base::Result<void> write_activation_scripts(const ActivationInfo& info);

/// The environment of a process activated in the prefix: `base_env` plus the
/// activation variables, with PREFIX/bin first in PATH. It does not include
/// what activate.d scripts would set; a caller that must honour them runs the
/// command through a shell that sources the activation script (see
/// `pixi-install run`). Pure.
std::map<std::string, std::string> activation_environment(const ActivationInfo& info,
                                                          const std::map<std::string, std::string>& base_env);

}  // namespace pixi_install::prefix
