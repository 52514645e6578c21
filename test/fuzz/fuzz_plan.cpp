// libFuzzer target: the input is pixi.lock text, taken through the path an install takes
// before it touches a disk: parse, select every environment/platform, derive python's
// layout, fingerprint, and plan against the previous selection as the installed state.
// Besides never crashing, every name that becomes a path (environment names, file names,
// package name/version/build, the site-packages path) must be one the choke point accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/install/plan.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/spec/python_info.hpp"

using namespace pixi_install;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

void check_record(const lockfile::CondaRecord& r) {
    require(base::segment_problem(r.name).empty());
    require(base::segment_problem(r.version).empty());
    require(base::segment_problem(r.build).empty());
    require(r.file_name.empty() || base::segment_problem(r.file_name).empty());
    if (r.python_site_packages_path && !r.python_site_packages_path->empty())
        require(base::relative_name_problem(*r.python_site_packages_path).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto lock = lockfile::parse_lockfile(text, "<fuzz>", "/nonexistent");
    if (!lock.ok()) return 0;
    std::vector<install::InstalledConda> installed;
    std::string old_python;
    for (const auto& [env_name, env] : lock->environments) {
        require(base::env_name_problem(env_name).empty());
        for (const auto& [platform, packages] : env.packages) {
            auto sel = lockfile::select(*lock, env_name, platform);
            if (!sel.ok()) continue;
            std::string new_python;
            for (const auto& r : sel->conda) {
                check_record(*r);
                if (r->name != "python") continue;
                auto py = spec::PythonInfo::from_record(r->version, r->python_site_packages_path);
                if (py.ok()) {
                    require(base::relative_name_problem(py->site_packages).empty());
                    new_python = py->short_version;
                }
            }
            for (const auto& w : sel->pypi) require(base::segment_problem(w->name).empty());
            install::FingerprintInputs inputs;
            inputs.prefix = "/prefix";
            inputs.link_mode = "auto";
            (void)install::fingerprint(*sel, inputs);
            auto plan = install::make_plan(installed, {}, sel->conda, sel->pypi, old_python, new_python);
            require(plan.install.size() + plan.change.size() + plan.unchanged.size() == sel->conda.size());
            installed.clear();
            for (const auto& r : sel->conda)
                installed.push_back({r->name, r->version, r->build, r->sha256, r->md5, r->size,
                                     r->noarch == "python"});
            old_python = new_python;
        }
    }
    return 0;
}
