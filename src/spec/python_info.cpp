#include "pixi_install/spec/python_info.hpp"

#include <charconv>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::spec {

base::Result<PythonInfo> PythonInfo::from_record(std::string_view version,
                                                 const std::optional<std::string>& site_packages_path) {
    auto bad = [&] {
        return base::fail(base::ErrorKind::lockfile,
                          "cannot read a python version from '" + std::string(version) +
                              "' (expected MAJOR.MINOR...)");
    };
    PythonInfo p;
    const char* b = version.data();
    const char* e = b + version.size();
    auto r1 = std::from_chars(b, e, p.major);
    if (r1.ec != std::errc() || r1.ptr == e || *r1.ptr != '.') return bad();
    auto r2 = std::from_chars(r1.ptr + 1, e, p.minor);
    if (r2.ec != std::errc()) return bad();
    p.short_version = std::to_string(p.major) + "." + std::to_string(p.minor);
    p.site_packages = site_packages_path && !site_packages_path->empty()
                          ? *site_packages_path
                          : "lib/python" + p.short_version + "/site-packages";
    while (!p.site_packages.empty() && p.site_packages.back() == '/') p.site_packages.pop_back();
    // Checked when the lock is read; checked again here because every noarch: python file
    // and every wheel file is placed below it.
    if (auto problem = base::relative_name_problem(p.site_packages); !problem.empty())
        return base::fail(base::ErrorKind::lockfile, "unsafe python site-packages path '" +
                                                         base::printable(p.site_packages) + "' (" +
                                                         std::string(problem) + ")");
    p.interpreter = "bin/python" + p.short_version;
    p.include_dir = "include/python" + p.short_version;
    return p;
}

}  // namespace pixi_install::spec
