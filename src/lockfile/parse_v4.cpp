// Format versions 4 and 5: `kind: conda|pypi` records with `url:`/`path:`,
// referenced from environments by URL. noarch records may be repeated once per
// target platform; the copy whose `subdir` equals the platform is preferred and
// missing hashes are filled from the other copies.
#include <unordered_map>

#include "records.hpp"

namespace pixi_install::lockfile::detail {

using base::Result;

namespace {

struct Tables {
    std::vector<std::shared_ptr<const CondaRecord>> conda;  // in record order
    std::unordered_map<std::string, std::vector<std::size_t>> conda_by_url;
    PypiByLocation pypi_by_location;
};

Result<Tables> build_tables(const Context& cx, const Document& doc) {
    Tables t;
    std::vector<CondaRecord> conda;
    for (const RawRecord& r : doc.records) {
        if (!r.kind) return yaml_error(cx.origin, r.line, r.col, "package record has no `kind`");
        const std::optional<std::string>& loc = r.url ? r.url : r.path;
        if (!loc) return yaml_error(cx.origin, r.line, r.col, "package record has neither `url` nor `path`");
        if (*r.kind == "conda") {
            PI_TRY(CondaRecord c, make_conda(cx, r, *loc, Derive::explicit_only));
            t.conda_by_url[*loc].push_back(conda.size());
            conda.push_back(std::move(c));
        } else if (*r.kind == "pypi") {
            if (!r.version)
                return yaml_error(cx.origin, r.line, r.col, "pypi package `" + *loc + "` has no `version`");
            PI_TRY(PypiRecord p, make_pypi(cx, r, *loc));
            t.pypi_by_location[normalize_location(*loc)] = std::make_shared<const PypiRecord>(std::move(p));
        } else {
            return yaml_error(cx.origin, r.line, r.col, "unknown package kind `" + *r.kind + "`");
        }
    }
    // Fill hashes missing from one copy of a URL from the others.
    for (auto& [url, idx] : t.conda_by_url) {
        if (idx.size() < 2) continue;
        for (std::size_t i : idx) {
            for (std::size_t j : idx) {
                if (!conda[i].sha256 && conda[j].sha256) conda[i].sha256 = conda[j].sha256;
                if (!conda[i].md5 && conda[j].md5) conda[i].md5 = conda[j].md5;
                if (!conda[i].run_exports && conda[j].run_exports) conda[i].run_exports = conda[j].run_exports;
            }
        }
    }
    t.conda.reserve(conda.size());
    for (auto& c : conda) t.conda.push_back(std::make_shared<const CondaRecord>(std::move(c)));
    return t;
}

}  // namespace

Result<void> read_v4(const Context& cx, const Document& doc, LockFile& lock) {
    PI_TRY(Tables t, build_tables(cx, doc));
    auto read_list = [&](const std::string& platform, const YNode& list, std::vector<Package>& out,
                         const std::string& env) -> Result<void> {
        for (const YNode& item : list.items) {
            PI_TRY(Selector s, read_selector(cx, item));
            Package p;
            if (s.kind == Selector::Kind::conda) {
                auto it = t.conda_by_url.find(s.location);
                if (it == t.conda_by_url.end()) return missing_package(cx, item, env, platform, s.location);
                std::size_t pick = it->second.front();
                for (std::size_t i : it->second) {
                    if (t.conda[i]->subdir == platform) {
                        pick = i;
                        break;
                    }
                }
                p.kind = PackageKind::conda;
                p.conda = t.conda[pick];
            } else if (s.kind == Selector::Kind::pypi) {
                PI_TRY_VOID(resolve_pypi_selector(cx, item, env, platform, s, t.pypi_by_location, p));
            } else {
                return node_error(cx.origin, item, "`conda_source` selectors need format version 7");
            }
            out.push_back(std::move(p));
        }
        return {};
    };
    PI_TRY_VOID(read_environments(cx, doc, lock, read_list));
    return synthesize_platforms(cx, doc, lock);
}

}  // namespace pixi_install::lockfile::detail
