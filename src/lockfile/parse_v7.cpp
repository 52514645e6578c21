// Format version 7: top-level `platforms` (names such as `p1` mapped to a
// subdir and virtual packages), binary `conda:` records unique by URL,
// `conda_source: name[hash] @ location` records, pypi keyed by the verbatim string.
#include <set>
#include <unordered_map>

#include "pixi_install/spec/archive_name.hpp"
#include "pixi_install/spec/platform.hpp"
#include "records.hpp"

namespace pixi_install::lockfile::detail {

using base::Result;

namespace {

Result<void> read_platforms(const Context& cx, const Document& doc, LockFile& lock) {
    const YNode* pl = doc.top.find("platforms");
    if (!pl || pl->is_null()) return {};
    if (!pl->is_seq()) return node_error(cx.origin, *pl, "`platforms` must be a list");
    std::set<std::string> names;
    for (const YNode& e : pl->items) {
        if (!e.is_map()) return node_error(cx.origin, e, "a `platforms` entry must be a mapping");
        PlatformEntry p;
        const YNode* name = e.find("name");
        if (!name) return node_error(cx.origin, e, "a `platforms` entry has no `name`");
        PI_TRY(p.name, scalar_of(*name, cx.origin, "name"));
        if (const YNode* sd = e.find("subdir")) {
            PI_TRY(p.subdir, scalar_of(*sd, cx.origin, "subdir"));
        } else {
            p.subdir = p.name;
        }
        if (!spec::is_known_subdir(p.subdir))
            return node_error(cx.origin, e, "platform `" + p.name + "` has no known conda `subdir` (`" + p.subdir + "`)");
        if (const YNode* vp = e.find("virtual-packages")) {
            PI_TRY(p.virtual_packages, strings_of(*vp, cx.origin, "virtual-packages"));
        }
        if (!names.insert(p.name).second) return node_error(cx.origin, e, "duplicate platform name `" + p.name + "`");
        lock.platforms.push_back(std::move(p));
    }
    return {};
}

/// `name[hash] @ location` -> name.
std::string source_name(std::string_view id) {
    std::size_t b = id.find('[');
    if (b == std::string_view::npos) b = id.find(" @ ");
    if (b == std::string_view::npos) return {};
    std::string_view n = id.substr(0, b);
    while (!n.empty() && n.back() == ' ') n.remove_suffix(1);
    return std::string(n);
}

}  // namespace

Result<void> read_v7(const Context& cx, const Document& doc, LockFile& lock) {
    PI_TRY_VOID(read_platforms(cx, doc, lock));
    std::unordered_map<std::string, std::shared_ptr<const CondaRecord>> conda;
    std::unordered_map<std::string, std::shared_ptr<const SourceRecord>> sources;
    std::unordered_map<std::string, std::shared_ptr<const PypiRecord>> pypi;
    for (const RawRecord& r : doc.records) {
        if (r.conda) {
            if (!spec::ArchiveName::parse(file_name_of(*r.conda)) && !(r.name && r.version && r.build))
                return yaml_error(cx.origin, r.line, r.col,
                                  "conda package `" + *r.conda +
                                      "` is not a conda archive (.conda/.tar.bz2) and has no name, version or build");
            PI_TRY(CondaRecord c, make_conda(cx, r, *r.conda, Derive::from_location));
            conda.try_emplace(*r.conda, std::make_shared<const CondaRecord>(std::move(c)));
        } else if (r.conda_source) {
            std::string name = r.name ? *r.name : source_name(*r.conda_source);
            PI_TRY(SourceRecord s, make_source(cx, r, *r.conda_source, std::move(name)));
            sources.try_emplace(*r.conda_source, std::make_shared<const SourceRecord>(std::move(s)));
        } else if (r.pypi) {
            PI_TRY(PypiRecord p, make_pypi(cx, r, *r.pypi));
            pypi[*r.pypi] = std::make_shared<const PypiRecord>(std::move(p));
        } else {
            return yaml_error(cx.origin, r.line, r.col,
                              "package record has none of `conda`, `conda_source`, `pypi`");
        }
    }

    auto read_list = [&](const std::string& platform, const YNode& list, std::vector<Package>& out,
                         const std::string& env) -> Result<void> {
        if (!lock.platform(platform)) {
            std::string known;
            for (const auto& p : lock.platforms) known += (known.empty() ? "" : ", ") + p.name;
            return node_error(cx.origin, list,
                              "environment `" + env + "` uses platform `" + platform +
                                  "`, which is not listed under `platforms` (listed: " +
                                  (known.empty() ? "none" : known) + ")");
        }
        for (const YNode& item : list.items) {
            PI_TRY(Selector s, read_selector(cx, item));
            Package p;
            if (s.kind == Selector::Kind::conda) {
                auto it = conda.find(s.location);
                if (it == conda.end()) return missing_package(cx, item, env, platform, s.location);
                p.kind = PackageKind::conda;
                p.conda = it->second;
            } else if (s.kind == Selector::Kind::conda_source) {
                auto it = sources.find(s.location);
                if (it == sources.end()) return missing_package(cx, item, env, platform, s.location);
                p.kind = PackageKind::conda_source;
                p.source = it->second;
            } else {
                auto it = pypi.find(s.location);
                if (it == pypi.end()) return missing_package(cx, item, env, platform, s.location);
                p.kind = PackageKind::pypi;
                p.pypi = it->second;
            }
            out.push_back(std::move(p));
        }
        return {};
    };
    return read_environments(cx, doc, lock, read_list);
}

}  // namespace pixi_install::lockfile::detail
