// Format version 6: records tagged by their location (`conda:` / `pypi:`),
// derivable fields omitted; selectors may carry name/version/build/subdir to
// pick one of several records sharing a location.
#include <unordered_map>

#include "pixi_install/spec/archive_name.hpp"
#include "records.hpp"

namespace pixi_install::lockfile::detail {

using base::Result;

namespace {

/// A conda record of either kind, with the values selectors compare against.
struct CondaEntry {
    std::shared_ptr<const CondaRecord> binary;
    std::shared_ptr<const SourceRecord> source;
    std::string name, version, build, subdir;
};

bool matches(const CondaEntry& e, const Selector& s) {
    return (!s.name || *s.name == e.name) && (!s.version || *s.version == e.version) &&
           (!s.build || *s.build == e.build) && (!s.subdir || *s.subdir == e.subdir);
}

}  // namespace

Result<void> read_v6(const Context& cx, const Document& doc, LockFile& lock) {
    std::vector<CondaEntry> conda;
    std::unordered_map<std::string, std::vector<std::size_t>> conda_by_location;
    PypiByLocation pypi_by_location;
    for (const RawRecord& r : doc.records) {
        if (r.conda) {
            CondaEntry e;
            if (spec::ArchiveName::parse(file_name_of(*r.conda))) {
                PI_TRY(CondaRecord c, make_conda(cx, r, *r.conda, Derive::from_location));
                e.name = c.name;
                e.version = c.version;
                e.build = c.build;
                e.subdir = c.subdir;
                e.binary = std::make_shared<const CondaRecord>(std::move(c));
            } else {
                if (!r.name || !r.version || !r.build) {
                    return yaml_error(cx.origin, r.line, r.col,
                                      "conda package `" + *r.conda +
                                          "` is not an archive and has no name, version or build");
                }
                PI_TRY(SourceRecord s, make_source(cx, r, *r.conda, *r.name));
                e.name = s.name;
                e.version = *r.version;
                e.build = *r.build;
                e.subdir = s.subdir;
                e.source = std::make_shared<const SourceRecord>(std::move(s));
            }
            conda_by_location[normalize_location(*r.conda)].push_back(conda.size());
            conda.push_back(std::move(e));
        } else if (r.pypi) {
            if (!r.version)
                return yaml_error(cx.origin, r.line, r.col, "pypi package `" + *r.pypi + "` has no `version`");
            PI_TRY(PypiRecord p, make_pypi(cx, r, *r.pypi));
            pypi_by_location[normalize_location(*r.pypi)] = std::make_shared<const PypiRecord>(std::move(p));
        } else {
            return yaml_error(cx.origin, r.line, r.col, "package record has neither `conda` nor `pypi`");
        }
    }

    auto read_list = [&](const std::string& platform, const YNode& list, std::vector<Package>& out,
                         const std::string& env) -> Result<void> {
        for (const YNode& item : list.items) {
            PI_TRY(Selector s, read_selector(cx, item));
            Package p;
            if (s.kind == Selector::Kind::conda) {
                auto it = conda_by_location.find(normalize_location(s.location));
                const CondaEntry* hit = nullptr;
                if (it != conda_by_location.end()) {
                    for (std::size_t i : it->second) {
                        if (matches(conda[i], s)) {
                            hit = &conda[i];
                            break;
                        }
                    }
                }
                if (!hit) return missing_package(cx, item, env, platform, s.location);
                if (hit->binary) {
                    p.kind = PackageKind::conda;
                    p.conda = hit->binary;
                } else {
                    p.kind = PackageKind::conda_source;
                    p.source = hit->source;
                }
            } else if (s.kind == Selector::Kind::pypi) {
                PI_TRY_VOID(resolve_pypi_selector(cx, item, env, platform, s, pypi_by_location, p));
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
