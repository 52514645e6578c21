#include "pixi_install/install/pipeline.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/cache/package_cache.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link_scripts.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "transaction.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

bool wanted(const std::string& name, const InstallOptions& o) {
    if (std::find(o.skip.begin(), o.skip.end(), name) != o.skip.end()) return false;
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end();
}

}  // namespace

lockfile::Selection filter_selection(const lockfile::Selection& s, const InstallOptions& o) {
    lockfile::Selection out = s;
    out.conda.clear();
    out.pypi.clear();
    out.sources.clear();
    for (const auto& r : s.conda)
        if (wanted(r->name, o)) out.conda.push_back(r);
    if (!o.no_pypi)
        for (const auto& r : s.pypi)
            if (wanted(r->name, o)) out.pypi.push_back(r);
    for (const auto& r : s.sources)
        if (wanted(r->name, o)) out.sources.push_back(r);
    return out;
}

std::vector<std::string> not_installable(const lockfile::Selection& s, const InstallOptions& o) {
    std::vector<std::string> out;
    for (const auto& r : s.sources) {
        if (!wanted(r->name, o)) continue;
        out.push_back(r->name + " (conda source package at " + r->location +
                      "): built from source by pixi; build it into a .conda archive, or pass --skip " +
                      r->name);
    }
    if (o.no_pypi) return out;
    for (const auto& r : s.pypi) {
        if (!wanted(r->name, o)) continue;
        auto kind = spec::classify_pypi_location(r->location, r->editable);
        if (kind == spec::PypiSourceKind::wheel) continue;
        out.push_back(r->name + " (" + spec::pypi_source_kind_name(kind) + " at " + r->location +
                      "): " + spec::pypi_source_remedy(kind, r->name));
    }
    return out;
}

Result<InstallReport> install_environment(const lockfile::Selection& selection, const InstallOptions& options,
                                          base::Reporter& reporter) {
    auto bad = not_installable(selection, options);
    if (!bad.empty()) {
        std::string msg = std::to_string(bad.size()) + " package(s) of environment '" + selection.environment +
                          "' cannot be installed from the lock (nothing was changed):";
        for (const auto& b : bad) msg += "\n  - " + b;
        msg += "\n  (--no-pypi leaves out every PyPI package)";
        return base::fail(ErrorKind::failure, msg);
    }
    Transaction t(selection, options, reporter);
    return t.run();
}

}  // namespace pixi_install::install
