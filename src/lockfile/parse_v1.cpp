// Format versions 1-3: conda-lock style, one environment `default`, a flat
// `package:` list whose entries name their platform.
#include <map>
#include <set>

#include "records.hpp"

namespace pixi_install::lockfile::detail {

using base::Result;

Result<void> read_v1(const Context& cx, const Document& doc, LockFile& lock) {
    Environment env;
    env.name = "default";
    if (const YNode* meta = doc.top.find("metadata"); meta && meta->is_map()) {
        if (const YNode* ch = meta->find("channels")) {
            PI_TRY(env.channels, read_channels(cx, *ch));
        }
        if (const YNode* pl = meta->find("platforms")) {
            PI_TRY(auto platforms, strings_of(*pl, cx.origin, "metadata.platforms"));
            for (auto& p : platforms) env.packages[p];
        }
    } else if (meta && !meta->is_null()) {
        return node_error(cx.origin, *meta, "`metadata` must be a mapping");
    }
    if (!doc.top.find("package")) return yaml_error(cx.origin, 0, 0, "missing `package`");

    // Identical entries (a noarch package listed once per platform) are kept once per platform.
    std::map<std::string, std::set<std::string>> seen;  // platform -> kind+location
    for (const RawRecord& r : doc.records) {
        if (!r.platform)
            return yaml_error(cx.origin, r.line, r.col, "package entry has no `platform`");
        std::string manager = r.manager.value_or("conda");
        if (!r.url) return yaml_error(cx.origin, r.line, r.col, "package entry has no `url`");
        const std::string& loc = *r.url;
        auto& pkgs = env.packages[*r.platform];
        Package p;
        if (manager == "conda") {
            if (!seen[*r.platform].insert("c" + loc).second) continue;
            PI_TRY(CondaRecord c, make_conda(cx, r, loc, Derive::from_location));
            p.kind = PackageKind::conda;
            p.conda = std::make_shared<const CondaRecord>(std::move(c));
        } else if (manager == "pypi" || manager == "pip") {
            if (!seen[*r.platform].insert("p" + loc).second) continue;
            PI_TRY(PypiRecord y, make_pypi(cx, r, loc));
            p.kind = PackageKind::pypi;
            p.pypi = std::make_shared<const PypiRecord>(std::move(y));
        } else {
            return yaml_error(cx.origin, r.line, r.col, "unknown package manager `" + manager + "`");
        }
        pkgs.push_back(std::move(p));
    }
    lock.environments.emplace(env.name, std::move(env));
    return synthesize_platforms(cx, doc, lock);
}

}  // namespace pixi_install::lockfile::detail
