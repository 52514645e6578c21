#include "pixi_install/prefix/clobber.hpp"

#include <cstdio>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/unlink.hpp"

namespace pixi_install::prefix {

using base::Result;
namespace fs = std::filesystem;

PackagePaths from_record(PrefixRecord& record) {
    PackagePaths p;
    p.name = record.package.name;
    p.depends = record.package.depends;
    p.installed = &record;
    for (const auto& e : record.paths) {
        if (e.type == PathType::directory || e.type == PathType::pyc_file) continue;
        p.paths.push_back(e.owned_path());
    }
    return p;
}

PackagePaths from_package(const PackageInfo& info, const std::vector<std::string>& targets) {
    PackagePaths p;
    p.name = info.index.name;
    p.depends = info.index.depends;
    for (std::size_t i = 0; i < targets.size() && i < info.paths.size(); ++i)
        if (info.paths[i].type != PathType::directory) p.paths.push_back(targets[i]);
    return p;
}

const std::unordered_set<std::string>* ClobberPlan::redirects_for(const std::string& name) const {
    auto it = redirected.find(name);
    return it == redirected.end() ? nullptr : &it->second;
}

namespace {

std::string spec_name(const std::string& spec) {
    std::size_t e = spec.find_first_of(" =<>!~[");
    return spec.substr(0, e);
}

std::string clobber_path(const std::string& pkg, const std::string& path) {
    return std::string(clobbers_dir) + "/" + pkg + "/" + path;
}

}  // namespace

std::vector<std::size_t> topological_order(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& packages) {
    std::unordered_map<std::string, std::size_t> by_name;
    for (std::size_t i = 0; i < packages.size(); ++i) by_name.emplace(packages[i].first, i);
    std::unordered_set<std::string> depended;
    for (const auto& p : packages)
        for (const auto& d : p.second) depended.insert(spec_name(d));
    std::vector<std::string> roots;
    for (const auto& p : packages)
        if (!depended.count(p.first)) roots.push_back(p.first);
    std::sort(roots.begin(), roots.end());

    struct Action {
        bool install;
        std::string name;
    };
    std::vector<Action> stack;
    for (auto& r : roots) stack.push_back({false, r});
    std::vector<std::size_t> order;
    std::unordered_set<std::string> visited;
    auto drain = [&] {
        while (!stack.empty()) {
            Action a = std::move(stack.back());
            stack.pop_back();
            if (a.install) {
                order.push_back(by_name.at(a.name));
                continue;
            }
            if (!visited.insert(a.name).second) continue;
            auto it = by_name.find(a.name);
            if (it == by_name.end()) continue;  // virtual or absent package
            std::vector<std::string> deps;
            for (const auto& d : packages[it->second].second) deps.push_back(spec_name(d));
            std::sort(deps.begin(), deps.end());
            stack.push_back({true, a.name});
            for (auto& d : deps) stack.push_back({false, std::move(d)});
        }
    };
    drain();
    // Packages only reachable through a cycle have no root: add them by name.
    if (order.size() < packages.size()) {
        std::vector<std::string> rest;
        for (const auto& p : packages)
            if (!visited.count(p.first)) rest.push_back(p.first);
        std::sort(rest.begin(), rest.end());
        for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
            if (visited.count(*it)) continue;
            stack.push_back({false, *it});
            drain();
        }
    }
    return order;
}

ClobberPlan resolve_clobbers(const std::vector<PackagePaths>& packages) {
    ClobberPlan plan;
    std::vector<std::pair<std::string, std::vector<std::string>>> deps;
    deps.reserve(packages.size());
    for (const auto& p : packages) deps.emplace_back(p.name, p.depends);
    std::vector<std::size_t> order = topological_order(deps);

    // Highest priority (last in the order) claims first.
    std::unordered_map<std::string, std::size_t> files;  // path -> package index
    std::unordered_map<std::string, std::size_t> dirs;   // ancestor dir -> a package with a file below
    std::map<std::string, ClobberedPath> clobbered;
    auto lose = [&](std::size_t pkg, const std::string& path, std::size_t winner) {
        auto& c = clobbered[path];
        c.path = path;
        if (c.winner.empty()) c.winner = packages[winner].name;
        c.losers.push_back(packages[pkg].name);
        if (!packages[pkg].installed) plan.redirected[packages[pkg].name].insert(path);
    };
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const std::size_t i = *it;
        for (const auto& path : packages[i].paths) {
            if (auto f = files.find(path); f != files.end()) {
                if (f->second != i) lose(i, path, f->second);
                continue;
            }
            bool conflict = false;
            for (std::size_t s = path.find('/'); s != std::string::npos && !conflict; s = path.find('/', s + 1)) {
                if (auto f = files.find(path.substr(0, s)); f != files.end() && f->second != i) {
                    lose(i, path, f->second);
                    conflict = true;
                }
            }
            if (conflict) continue;
            if (auto d = dirs.find(path); d != dirs.end() && d->second != i) {
                lose(i, path, d->second);
                continue;
            }
            files.emplace(path, i);
            for (std::size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1))
                dirs.emplace(path.substr(0, s), i);
        }
    }
    for (auto& [path, c] : clobbered) {
        std::sort(c.losers.begin(), c.losers.end());
        plan.clobbers.push_back(std::move(c));
    }

    // Installed packages whose files must change place.
    std::vector<ClobberMove> to_clobbers, to_real;
    for (std::size_t i = 0; i < packages.size(); ++i) {
        const PrefixRecord* rec = packages[i].installed;
        if (!rec) continue;
        for (const auto& e : rec->paths) {
            if (e.type == PathType::directory || e.type == PathType::pyc_file) continue;
            const std::string& owned = e.owned_path();
            auto f = files.find(owned);
            bool wins = f != files.end() && f->second == i;
            bool at_real = e.original_path.empty();
            if (wins && !at_real) to_real.push_back({packages[i].name, e.path, owned});
            if (!wins && at_real) to_clobbers.push_back({packages[i].name, e.path, clobber_path(packages[i].name, owned)});
        }
    }
    plan.moves = std::move(to_clobbers);
    plan.moves.insert(plan.moves.end(), to_real.begin(), to_real.end());
    return plan;
}

Result<void> apply_clobber_moves(const fs::path& prefix, const ClobberPlan& plan,
                                 const std::vector<PackagePaths>& packages) {
    if (plan.moves.empty()) return {};
    std::unordered_map<std::string, PrefixRecord*> recs;
    for (const auto& p : packages)
        if (p.installed) recs.emplace(p.name, p.installed);
    std::unordered_set<std::string> touched;
    std::vector<std::string> emptied;
    const std::string clobbers_prefix = std::string(clobbers_dir) + "/";
    for (const auto& m : plan.moves) {
        if (m.from.rfind(clobbers_prefix, 0) == 0) emptied.push_back(m.from.substr(0, m.from.rfind('/')));
        fs::path from = prefix / m.from;
        fs::path to = prefix / m.to;
        PI_TRY_VOID(base::make_dirs(to.parent_path()));
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
            return base::fail_errno("cannot move clobbered file", from.string(), errno);
        auto it = recs.find(m.package);
        if (it == recs.end()) continue;
        PrefixRecord& r = *it->second;
        const bool into_clobbers = m.to.rfind(clobbers_prefix, 0) == 0;
        for (auto& e : r.paths) {
            if (e.path != m.from) continue;
            e.original_path = into_clobbers ? m.from : std::string();
            e.path = m.to;
        }
        for (auto& f : r.files)
            if (f == m.from) f = m.to;
        touched.insert(m.package);
    }
    for (const auto& name : touched) {
        PrefixRecord& r = *recs.at(name);
        std::sort(r.paths.begin(), r.paths.end(), [](const PrefixPath& a, const PrefixPath& b) { return a.path < b.path; });
        std::sort(r.files.begin(), r.files.end());
        PI_TRY_VOID(write_prefix_record(prefix, r));
    }
    prune_empty_dirs(prefix, std::move(emptied));
    return {};
}

}  // namespace pixi_install::prefix
