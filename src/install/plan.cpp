#include "pixi_install/install/plan.hpp"

#include "pixi_install/spec/wheel_name.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace pixi_install::install {

bool same_content(const InstalledConda& a, const lockfile::CondaRecord& b) {
    bool same_identity = a.name == b.name && a.version == b.version && a.build == b.build;
    if (a.sha256 || b.sha256) return a.sha256 == b.sha256 && same_identity;  // one-sided: different
    if (a.md5 || b.md5) return a.md5 == b.md5 && same_identity;
    if (a.size && b.size && *a.size != *b.size) return false;
    return same_identity;
}

Plan make_plan(const std::vector<InstalledConda>& installed,
               const std::vector<InstalledWheel>& installed_wheels,
               const std::vector<CondaPtr>& desired, const std::vector<PypiPtr>& desired_wheels,
               const std::string& old_python, const std::string& new_python,
               const std::vector<std::string>& force_reinstall,
               const std::map<std::string, std::string>& source_identities) {
    Plan plan;
    std::unordered_map<std::string, const InstalledConda*> by_name;
    for (const auto& i : installed) by_name.emplace(i.name, &i);
    std::set<std::string> forced(force_reinstall.begin(), force_reinstall.end());
    const bool python_changed = old_python != new_python && !old_python.empty();

    std::set<std::string> desired_names;
    for (const auto& d : desired) {
        desired_names.insert(d->name);
        auto it = by_name.find(d->name);
        if (it == by_name.end()) {
            plan.install.push_back(d);
            continue;
        }
        const InstalledConda& old = *it->second;
        if (!same_content(old, *d) || forced.count(d->name)) {
            plan.change.push_back({old, d, false});
        } else if (python_changed && d->noarch == "python") {
            plan.change.push_back({old, d, true});
        } else {
            plan.unchanged.push_back(d);
        }
    }
    // Removals in reverse of the installed listing (last in, first out).
    for (auto it = installed.rbegin(); it != installed.rend(); ++it)
        if (!desired_names.count(it->name)) plan.remove.push_back(*it);

    std::unordered_map<std::string, const InstalledWheel*> wheels;
    for (const auto& w : installed_wheels) wheels.emplace(spec::normalize_pypi_name(w.name), &w);
    std::set<std::string> wanted;
    for (const auto& d : desired_wheels) {
        std::string n = spec::normalize_pypi_name(d->name);
        wanted.insert(n);
        auto it = wheels.find(n);
        bool same = false;
        if (auto src = source_identities.find(n); src != source_identities.end()) {
            // Built from source: the same source (and version, when the lock has one).
            same = it != wheels.end() && !python_changed && it->second->source_identity == src->second &&
                   (!d->version || it->second->version == *d->version);
        } else {
            // A distribution built from source is not the wheel the lock now pins.
            same = it != wheels.end() && d->version && it->second->version == *d->version && !python_changed &&
                   !it->second->source_identity &&
                   (!d->sha256 || !it->second->sha256 || *d->sha256 == *it->second->sha256);
        }
        if (same) {
            plan.wheel_unchanged.push_back(d);
        } else {
            if (it != wheels.end()) plan.wheel_remove.push_back(*it->second);
            plan.wheel_install.push_back(d);
        }
    }
    for (const auto& w : installed_wheels)
        if (!wanted.count(spec::normalize_pypi_name(w.name))) plan.wheel_remove.push_back(w);

    // Largest first: the long tail of a big package should start early.
    auto size_of = [](const CondaPtr& r) { return r->size.value_or(0); };
    std::stable_sort(plan.install.begin(), plan.install.end(),
                     [&](const CondaPtr& a, const CondaPtr& b) { return size_of(a) > size_of(b); });
    return plan;
}

}  // namespace pixi_install::install
