#include "pixi_install/install/wheel_check.hpp"

#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::install {

std::optional<spec::PythonInfo> environment_python(const lockfile::Selection& selection) {
    for (const auto& r : selection.conda)
        if (r->name == "python") {
            auto p = spec::PythonInfo::from_record(r->version, r->python_site_packages_path);
            if (p.ok()) return *p;
        }
    return std::nullopt;
}

base::Result<std::vector<WheelIncompatibility>> incompatible_wheels(const lockfile::Selection& selection,
                                                                    const spec::TagPlatform& platform,
                                                                    const spec::PythonInfo& python) {
    std::vector<WheelIncompatibility> out;
    if (selection.pypi.empty()) return out;
    spec::TagPython py;
    py.major = python.major;
    py.minor = python.minor;
    py.free_threaded = python.site_packages.find("t/site-packages") != std::string::npos;
    PI_TRY(auto tags, spec::TagSet::from_env(platform, py));
    for (const auto& r : selection.pypi) {
        if (spec::classify_pypi_location(r->location, r->editable) != spec::PypiSourceKind::wheel) continue;
        auto name = spec::WheelName::from_location(r->location);
        if (!name.ok()) continue;  // reported when it is installed
        if (tags.compatible(*name)) continue;
        WheelIncompatibility w;
        w.name = r->name;
        w.file_name = name->file_name;
        for (const auto& t : name->expanded_tags()) w.wheel_tags.push_back(t.to_string());
        for (std::size_t i = 0; i < tags.tags().size() && w.best_tags.size() < 3; ++i)
            w.best_tags.push_back(tags.tags()[i].to_string());
        out.push_back(std::move(w));
    }
    return out;
}

std::string describe(const WheelIncompatibility& w) {
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    return "wheel " + w.file_name + " (" + w.name + ") has tags " + join(w.wheel_tags) +
           ", but this environment supports " + join(w.best_tags) + ", ...";
}

}  // namespace pixi_install::install
