#include "pixi_install/install/pack.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;

namespace {

/// The last path segment of a location, without query or fragment.
std::string last_segment(std::string_view location) {
    std::string_view s = location.substr(0, location.find_first_of("?#"));
    while (!s.empty() && (s.back() == '/' || s.back() == '\\')) s.remove_suffix(1);
    auto slash = s.find_last_of("/\\");
    return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Collector {
    PackPlan plan;
    std::map<std::string, std::size_t> seen;  // digest or location -> artifact index

    void add(fetch::Artifact a, const std::string& location) {
        std::string key = !a.sha256.empty() ? "sha256:" + a.sha256
                          : !a.md5.empty()  ? "md5:" + a.md5
                                            : "loc:" + location;
        auto [it, fresh] = seen.emplace(key, plan.artifacts.size());
        if (fresh) {
            plan.artifacts.push_back(std::move(a));
            plan.locations.push_back({location});
            return;
        }
        auto& locs = plan.locations[it->second];
        if (std::find(locs.begin(), locs.end(), location) == locs.end()) locs.push_back(location);
    }
};

}  // namespace

base::Result<PackPlan> plan_pack(const lockfile::LockFile& lock, const std::vector<std::string>& environments,
                                 const std::vector<std::string>& platforms, bool ignore_non_wheels,
                                 const std::vector<Injection>& injections) {
    std::vector<std::string> envs = environments.empty() ? std::vector<std::string>{"default"} : environments;
    Collector c;
    std::vector<std::string> refused;
    std::vector<std::size_t> used(injections.size(), 0);
    for (const auto& env_name : envs) {
        std::vector<std::string> plats = platforms;
        if (plats.empty()) {
            auto env = lock.environments.find(env_name);
            if (env != lock.environments.end())
                for (const auto& [p, _] : env->second.packages) plats.push_back(p);
        }
        if (plats.empty()) {
            // Let select() produce its error listing what exists.
            PI_TRY(lockfile::Selection unused, lockfile::select(lock, env_name, ""));
            (void)unused;
        }
        for (const auto& plat : plats) {
            PI_TRY(lockfile::Selection sel, lockfile::select(lock, env_name, plat));
            for (std::size_t k = 0; k < injections.size(); ++k) {
                PI_TRY(std::size_t n, inject(sel, {injections[k]}));
                used[k] += n;
            }
            for (const auto& r : sel.conda) {
                fetch::Artifact a;
                a.name = r->file_name.empty() ? last_segment(r->location) : r->file_name;
                a.url = r->url;
                a.path = r->path;
                a.sha256 = base::normalize_hex(r->sha256.value_or(""));
                a.md5 = base::normalize_hex(r->md5.value_or(""));
                a.size = r->size;
                c.add(std::move(a), r->location);
            }
            for (const auto& r : sel.pypi) {
                std::string file = last_segment(r->location);
                const auto kind = spec::classify_pypi_location(r->location, r->editable);
                if (kind == spec::PypiSourceKind::directory || kind == spec::PypiSourceKind::editable) {
                    // The project itself: it travels with the lock and is built where it is installed.
                    c.plan.notes.push_back(r->name + " (" + r->location + "): a local source directory, built from "
                                           "the project next to the lock at install time");
                    continue;
                }
                if (kind == spec::PypiSourceKind::sdist && ignore_non_wheels) {
                    refused.push_back(r->name + " (" + r->location + "): a source distribution");
                    continue;
                }
                if (kind != spec::PypiSourceKind::wheel && kind != spec::PypiSourceKind::sdist) {
                    refused.push_back(r->name + " (" + r->location + "): " + spec::pypi_source_kind_name(kind));
                    continue;
                }
                fetch::Artifact a;
                a.name = file;
                a.url = r->url;
                a.path = r->path;
                a.sha256 = base::normalize_hex(r->sha256.value_or(""));
                a.md5 = base::normalize_hex(r->md5.value_or(""));
                if (kind == spec::PypiSourceKind::sdist && !a.sha256.empty()) c.plan.sdists.push_back(a.sha256);
                c.add(std::move(a), r->location);
            }
            for (const auto& s : sel.sources)
                refused.push_back(s->name + " (" + s->location + "): a conda package built from source");
        }
    }
    std::sort(refused.begin(), refused.end());
    refused.erase(std::unique(refused.begin(), refused.end()), refused.end());
    if (!refused.empty() && !ignore_non_wheels) {
        std::string msg = std::to_string(refused.size()) +
                          " locked package(s) cannot be bundled (conda archives, wheels and sdists can):";
        for (const auto& r : refused) msg += "\n  " + r;
        msg += "\n(build them into .conda or .whl files and lock those, or pass --ignore-pypi-non-wheel to leave "
               "them out)";
        return base::fail(base::ErrorKind::usage, std::move(msg));
    }
    for (std::size_t k = 0; k < injections.size(); ++k)
        if (!used[k])
            return base::fail(base::ErrorKind::usage, "--inject " + injections[k].file_name +
                                                          ": no bundled environment has a package named " +
                                                          injections[k].name + " to put it in place of");
    c.plan.left_out = std::move(refused);
    std::sort(c.plan.notes.begin(), c.plan.notes.end());
    c.plan.notes.erase(std::unique(c.plan.notes.begin(), c.plan.notes.end()), c.plan.notes.end());
    return std::move(c.plan);
}

base::Result<PackSummary> pack(const PackOptions& o, base::Reporter& reporter) {
    if (o.output.empty()) return base::fail(base::ErrorKind::usage, "pack needs an output (-o DIR or -o FILE.tar)");
    PI_TRY_VOID(fetch::check_bundle_output(o.output));  // before anything is fetched
    PI_TRY(lockfile::LockFile lock, lockfile::load_lockfile(o.lock));
    fs::path lock_file = lock.path.empty() ? o.lock : lock.path;
    PI_TRY(std::string lock_text, base::read_file(lock_file));
    PI_TRY(auto injections, read_injections(o.inject));
    PI_TRY(PackPlan plan, plan_pack(lock, o.environments, o.platforms, o.ignore_non_wheels, injections));
    for (const auto& l : plan.left_out) reporter.warning("not bundled: " + l);
    for (const auto& l : plan.notes) reporter.warning("not bundled: " + l);
    // Build dependencies: every wheel of the given wheel directories, verified by its own hash.
    std::string build_list;
    std::size_t build_wheels = 0;
    for (const auto& dir : o.find_links) {
        std::error_code ec;
        std::vector<fs::path> found;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".whl" && e.is_regular_file(ec)) found.push_back(e.path());
        if (ec) return base::fail_errno("cannot read the wheel directory", dir.string(), ec.value());
        std::sort(found.begin(), found.end());
        for (const auto& w : found) {
            const std::string name = w.filename().string();
            if (!spec::WheelName::parse(name).ok()) continue;
            PI_TRY(auto sha, base::hash_file(w, base::HashAlgo::sha256));
            auto same = std::find_if(plan.artifacts.begin(), plan.artifacts.end(),
                                     [&](const fetch::Artifact& x) { return x.sha256 == sha; });
            if (same != plan.artifacts.end()) {
                plan.locations[same - plan.artifacts.begin()].push_back("build-wheel:" + name);
            } else {
                fetch::Artifact a;
                a.name = name;
                a.path = w;
                a.sha256 = sha;
                plan.artifacts.push_back(a);
                plan.locations.push_back({"build-wheel:" + name});
            }
            build_list += sha + "\t" + name + "\n";
            ++build_wheels;
        }
    }

    // The wheels this machine built from the bundled sdists, and the exact build set each was
    // built with (recorded in the built-wheel cache), so an offline rebuild elsewhere uses
    // the same build dependencies.
    std::vector<std::pair<std::string, build::BuiltWheel>> built;
    std::sort(plan.sdists.begin(), plan.sdists.end());
    plan.sdists.erase(std::unique(plan.sdists.begin(), plan.sdists.end()), plan.sdists.end());
    for (const auto& sdist : plan.sdists)
        for (auto& w : build::built_from_sdist(o.fetch.cache_dir, sdist)) {
            for (const auto& d : w.build_set) {
                if (!base::is_hex_digest(d.sha256, 32) || !spec::WheelName::parse(d.file_name).ok()) continue;
                auto same = std::find_if(plan.artifacts.begin(), plan.artifacts.end(),
                                         [&](const fetch::Artifact& x) { return x.sha256 == d.sha256; });
                if (same != plan.artifacts.end()) {
                    auto& locs = plan.locations[same - plan.artifacts.begin()];
                    if (std::find(locs.begin(), locs.end(), "build-wheel:" + d.file_name) != locs.end()) continue;
                    locs.push_back("build-wheel:" + d.file_name);
                } else {
                    fetch::Artifact a;
                    a.name = d.file_name;
                    a.sha256 = d.sha256;
                    if (d.location.find("://") != std::string::npos) a.url = d.location;
                    else a.path = d.location;
                    plan.artifacts.push_back(a);
                    plan.locations.push_back({"build-wheel:" + d.file_name});
                }
                if (build_list.find(d.sha256) == std::string::npos) {
                    build_list += d.sha256 + "\t" + d.file_name + "\n";
                    ++build_wheels;
                }
            }
            built.emplace_back(sdist, std::move(w));
        }
    reporter.phase(base::Phase::fetch, plan.artifacts.size());
    PI_TRY(std::vector<fs::path> files, fetch::fetch_all(plan.artifacts, o.fetch, reporter));
    PackSummary summary;
    std::vector<fetch::BundleItem> items;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const fetch::Artifact& a = plan.artifacts[i];
        std::string sha = a.sha256;
        if (sha.empty()) {
            // The lock gave only an md5 (or nothing): the bundle is keyed by sha256.
            PI_TRY(sha, base::hash_file(files[i], base::HashAlgo::sha256));
        }
        std::error_code ec;
        summary.bytes += fs::file_size(files[i], ec);
        items.push_back({a.name, sha, a.md5, files[i], plan.locations[i]});
    }
    // A bundle travels: the credentials in the lock's URLs stay here (its artifacts are found by hash).
    // Wheels this machine built from the bundled sdists: an install whose interpreter and
    // platform they fit takes them instead of building.
    std::string built_list;
    std::size_t built_wheels = 0;
    for (const auto& [sdist, w] : built) {
        {
            PI_TRY(auto sha, base::hash_file(w.wheel, base::HashAlgo::sha256));
            if (std::none_of(items.begin(), items.end(), [&](const fetch::BundleItem& x) { return x.sha256 == sha; }))
                items.push_back({w.file_name, sha, "", w.wheel, {"built-wheel:" + sdist}});
            built_list += sha + "\t" + w.file_name + "\t" + sdist + "\n";
            ++built_wheels;
        }
    }
    std::vector<fetch::BundleFile> extra{{"pixi.lock", base::strip_url_secrets(lock_text)}};
    if (built_wheels) extra.push_back({kBuiltWheelsFile, built_list});
    if (build_wheels) extra.push_back({kBuildWheelsFile, build_list});
    if (!injections.empty()) {
        std::string list;
        for (const auto& in : injections) list += in.sha256 + "\t" + in.file_name + "\n";
        extra.push_back({kInjectedFile, list});
    }
    PI_TRY_VOID(fetch::write_bundle(o.output, items, extra));
    summary.artifacts = items.size();
    summary.build_wheels = build_wheels;
    summary.built_wheels = built_wheels;
    summary.left_out = plan.left_out;
    return summary;
}

}  // namespace pixi_install::install
