// The part of the transaction that changes the prefix: everything before it
// only read the prefix and filled the caches.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <unordered_set>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "pixi_install/prefix/bytecode.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/link_scripts.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "transaction.hpp"
#include "transaction_rollback.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

prefix::PackageRecord package_record_of(const lockfile::CondaRecord& r) {
    prefix::PackageRecord p;
    p.name = r.name;
    p.version = r.version;
    p.build = r.build;
    p.build_number = r.build_number;
    p.subdir = r.subdir;
    p.noarch = r.noarch;
    p.url = !r.url.empty() ? r.url : ("file://" + r.path.string());
    p.channel = r.channel;
    p.fn = r.file_name;
    p.sha256 = r.sha256.value_or("");
    p.md5 = r.md5.value_or("");
    p.size = r.size;
    p.depends = r.depends;
    p.constrains = r.constrains;
    p.track_features = r.track_features;
    p.timestamp = r.timestamp;
    p.license = r.license.value_or("");
    p.license_family = r.license_family.value_or("");
    p.python_site_packages_path = r.python_site_packages_path;
    return p;
}

}  // namespace

bool is_registry_url(const std::string& url, const std::vector<std::string>& indexes) {
    auto host_of = [](std::string_view u) {
        auto p = u.find("://");
        if (p == std::string_view::npos) return std::string();
        u.remove_prefix(p + 3);
        u = u.substr(0, u.find_first_of("/?#"));
        if (auto at = u.rfind('@'); at != std::string_view::npos) u.remove_prefix(at + 1);
        return std::string(u);
    };
    std::string host = host_of(url);
    if (host.empty()) return false;
    if (host == "files.pythonhosted.org" || host == "pypi.org") return true;
    for (const auto& i : indexes)
        if (host_of(i) == host) return true;
    return false;
}

Result<void> Transaction::apply() {
    if (cancelled()) return base::fail(ErrorKind::interrupted, "interrupted before changing the prefix");
    PI_TRY_VOID(prefix::prepare_conda_meta(opt_.prefix));
    PI_TRY_VOID(check_before_change());
    // The previous environment is kept (hard links) until the new one is complete; from
    // here on the prefix changes, and any failure, or the next run after a crash, puts it back.
    PI_TRY_VOID(take_snapshot(opt_.prefix, pool_.get()));
    snapshot_ = true;
    PI_TRY_VOID(fault("snapshot"));
    PI_TRY_VOID(write_state(opt_.prefix, {PrefixState::installing, fingerprint_}));
    modified_ = true;
    PI_TRY_VOID(fault("installing"));

    std::map<std::string, prefix::PrefixRecord> records;  // name -> full record of what is installed
    {
        PI_TRY(auto all, prefix::read_prefix_records(opt_.prefix, prefix::ReadDepth::full, pool_.get()));
        for (auto& r : all) records.emplace(r.package.name, std::move(r));
    }
    PI_TRY_VOID(unlink_old(records));
    PI_TRY_VOID(fault("unlinked"));
    PI_TRY_VOID(link_new(records));
    PI_TRY_VOID(fault("linked"));
    PI_TRY_VOID(build_isolated_sources());
    PI_TRY_VOID(fault("built"));
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < report_.plan.wheel_install.size(); ++i)
        if (!sources_[i] || sources_[i]->request.isolated) ready.push_back(i);
    PI_TRY_VOID(install_wheels(records, ready));
    PI_TRY_VOID(install_unisolated_sources(records));
    return fault("wheels");
}

Result<void> Transaction::unlink_old(std::map<std::string, prefix::PrefixRecord>& records) {
    const Plan& plan = report_.plan;
    std::vector<const prefix::PrefixRecord*> gone;
    for (const auto& r : plan.remove)
        if (auto it = records.find(r.name); it != records.end()) gone.push_back(&it->second);
    for (const auto& c : plan.change)
        if (auto it = records.find(c.old.name); it != records.end()) gone.push_back(&it->second);

    // Directories that staying packages list must survive pruning.
    std::set<std::string> leaving;
    for (auto* g : gone) leaving.insert(g->package.name);
    // Nor may a file that a staying package (conda or wheel) also owns go with the leaving one.
    std::unordered_set<std::string> keep_dirs, keep_files;
    for (const auto& [name, rec] : records) {
        if (leaving.count(name)) continue;
        for (const auto& p : rec.paths) {
            if (p.type == prefix::PathType::directory) keep_dirs.insert(p.path);
            else keep_files.insert(p.path);
        }
    }

    rep_.phase(base::Phase::link, gone.size() + staged_.size() + plan.wheel_install.size());
    // Wheels go first: a wheel may sit on top of files of a conda package being removed.
    for (const auto& w : plan.wheel_remove) {
        auto r = prefix::uninstall_wheel(opt_.prefix, w.dist_info, &keep_files);
        if (!r.ok()) return std::move(r).error().with_context("while removing the wheel " + w.name);
        rep_.removed(w.name);
    }
    if (!gone.empty() && old_python_) PI_TRY_VOID(add_wheel_files(keep_files));
    PI_TRY_VOID(for_all(gone.size(), [&](std::size_t i) -> Result<void> {
        prefix::UnlinkOptions uo;
        uo.keep_dirs = &keep_dirs;
        uo.keep_files = &keep_files;
        auto r = prefix::unlink_package(opt_.prefix, *gone[i], uo);
        if (!r.ok()) return std::move(r).error().with_context("while removing " + gone[i]->package.name);
        rep_.removed(gone[i]->package.name);
        return {};
    }, "removing packages"));
    for (const auto& name : leaving) records.erase(name);
    return {};
}

Result<void> Transaction::add_wheel_files(std::unordered_set<std::string>& files) const {
    // The wheels still installed (after this run's removals), whoever installed them.
    auto dists = prefix::list_installed_dists(opt_.prefix, *old_python_);
    if (!dists.ok()) return std::move(dists).error().with_context("while listing the installed wheels");
    for (const auto& d : *dists) {
        auto owned = prefix::installed_dist_files(opt_.prefix, d.dist_info);
        if (!owned.ok()) continue;  // an unreadable RECORD owns nothing we can tell
        for (auto& f : *owned) files.insert(std::move(f));
    }
    return {};
}

Result<void> Transaction::place_in_parts(
    const std::vector<std::vector<std::uint64_t>>& weights, const std::vector<bool>& splittable,
    const std::function<Result<void>(std::size_t, std::size_t, std::size_t)>& place,
    const std::function<Result<void>(std::size_t)>& finish, const std::string& what) {
    const auto parts = prefix::plan_link_parts(weights, splittable, pool_->size());
    std::vector<std::atomic<std::size_t>> unplaced(weights.size());  // parts still to place, per package
    for (const auto& p : parts) unplaced[p.package].fetch_add(1, std::memory_order_relaxed);
    return for_all(parts.size(), [&](std::size_t k) -> Result<void> {
        const prefix::LinkPart& p = parts[k];
        PI_TRY_VOID(place(p.package, p.begin, p.end));
        // Half a package is placed while other parts of it are not: a step of its own for the tests.
        if (unplaced[p.package].fetch_sub(1, std::memory_order_acq_rel) != 1) return fault("placed-part");
        return finish(p.package);
    }, what);
}

Result<void> Transaction::link_new(std::map<std::string, prefix::PrefixRecord>& records) {
    // Clobbers are decided centrally before any link, so links can run in parallel.
    std::vector<prefix::PackagePaths> claims;
    claims.reserve(records.size() + staged_.size());
    for (auto& [name, rec] : records) claims.push_back(prefix::from_record(rec));
    for (const auto& s : staged_) {
        std::optional<spec::PythonInfo> py = new_python_;
        PI_TRY(auto targets, prefix::target_paths(s.info, py));
        prefix::PackagePaths p;
        p.name = s.record->name;
        p.depends = s.record->depends;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            auto t = s.info.paths[i].type;
            if (t == prefix::PathType::hardlink || t == prefix::PathType::softlink) p.paths.push_back(targets[i]);
        }
        // Entry points are files like any other: one landing on another package's file is a clobber.
        if (py)
            for (const auto& ep : s.info.entry_points) p.paths.push_back(py->bin_dir + "/" + ep.command);
        claims.push_back(std::move(p));
    }
    prefix::ClobberPlan clobbers = prefix::resolve_clobbers(claims);
    PI_TRY_VOID(prefix::apply_clobber_moves(opt_.prefix, clobbers, claims));
    for (auto& [name, rec] : records) (void)name, (void)rec;  // records were rewritten in place
    report_.clobbers = clobbers.clobbers;

    prefix::LinkProbe probe;
    std::mutex mu;
    std::vector<prefix::PrefixRecord> linked(staged_.size());
    std::vector<std::string> scripts(staged_.size());
    std::size_t untrusted = 0;
    for (const auto& s : staged_) untrusted += s.trusted ? 0 : 1;
    if (untrusted > 0)
        report_.warnings.push_back(std::to_string(untrusted) + " package(s) were copied, not linked: their entries in "
                                   "the package cache " + cache_.pkgs_dir().string() + " belong to another user or "
                                   "are writable by others");
    // Each package is checked and its directories made, then the entries are placed in parts
    // (a package with most of the files is placed by every worker, not one), then each
    // package's entry points and record are written.
    std::vector<std::optional<prefix::PackageLink>> links(staged_.size());
    PI_TRY_VOID(for_all(staged_.size(), [&](std::size_t i) -> Result<void> {
        const Staged& s = staged_[i];
        prefix::LinkOptions lo;
        // Never share an inode with a cache entry another user could change.
        lo.mode = s.trusted ? opt_.link_mode : prefix::LinkMode::copy;
        lo.python = new_python_;
        lo.clobbered = clobbers.redirects_for(s.record->name);
        lo.probe = &probe;
        auto l = prefix::PackageLink::prepare(s.package_dir, s.info, opt_.prefix, lo);
        if (!l.ok()) return std::move(l).error().with_context("while linking " + s.dir_name);
        links[i].emplace(std::move(*l));
        return {};
    }, "linking packages"));
    std::vector<std::vector<std::uint64_t>> weights;
    std::vector<bool> splittable;
    for (const auto& l : links) {
        weights.push_back(l->weights());
        splittable.push_back(l->splittable());
    }
    auto finish = [&](std::size_t i) -> Result<void> {
        const Staged& s = staged_[i];
        auto res = links[i]->finish();
        if (!res.ok()) return std::move(res).error().with_context("while linking " + s.dir_name);
        links[i].reset();
        prefix::PackageRecord pr = package_record_of(*s.record);
        prefix::complete_from_index(pr, s.info.index);
        // A reproducible record does not name the package cache (its place is the machine's business).
        prefix::PrefixRecord rec = prefix::make_prefix_record(
            std::move(pr), std::move(res->paths), res->link_type,
            opt_.source_date_epoch ? std::string() : s.package_dir.string());
        PI_TRY_VOID(prefix::write_prefix_record(opt_.prefix, rec));
        scripts[i] = res->post_link_script;
        if (!res->warnings.empty()) {
            std::lock_guard lk(mu);
            for (auto& w : res->warnings) report_.warnings.push_back(s.dir_name + ": " + w);
        }
        linked[i] = std::move(rec);
        rep_.linked(s.record->name);
        return i == 0 ? fault("linked-one") : Result<void>();
    };
    PI_TRY_VOID(place_in_parts(weights, splittable, [&](std::size_t i, std::size_t begin, std::size_t end) -> Result<void> {
        auto r = links[i]->link(begin, end);
        if (!r.ok()) return std::move(r).error().with_context("while linking " + staged_[i].dir_name);
        return {};
    }, finish, "linking packages"));

    // Post-link scripts run after everything is linked, dependencies first (as rattler does).
    std::vector<std::pair<std::string, std::vector<std::string>>> graph;
    graph.reserve(staged_.size());
    for (const auto& s : staged_) graph.emplace_back(s.record->name, s.record->depends);
    for (std::size_t i : prefix::topological_order(graph)) {
        if (scripts[i].empty()) continue;
        const auto& r = *staged_[i].record;
        if (!opt_.run_post_link_scripts) {
            report_.post_link_skipped.push_back(r.name);
            continue;
        }
        prefix::ScriptPackage sp{r.name, r.version, std::to_string(r.build_number)};
        auto out = prefix::run_link_script(opt_.prefix, scripts[i], sp, opt_.script_env);
        if (!out.ok()) {
            report_.warnings.push_back("post-link script of " + r.name + " could not run: " + out.error().message);
        } else if (out->exit_code != 0) {
            report_.warnings.push_back("post-link script of " + r.name + " failed with exit code " +
                                       std::to_string(out->exit_code) + ": " + out->output);
        }
    }
    for (auto& rec : linked) records[rec.package.name] = std::move(rec);
    return {};
}

Result<void> Transaction::install_wheels(const std::map<std::string, prefix::PrefixRecord>& records,
                                         const std::vector<std::size_t>& which) {
    const auto& wheels = report_.plan.wheel_install;
    if (which.empty()) return {};
    if (!new_python_) return base::fail(ErrorKind::failure, "no python in the environment to install wheels into");
    std::unordered_set<std::string> conda_owned;
    for (const auto& [name, rec] : records)
        for (const auto& f : rec.files) conda_owned.insert(f);

    // Largest first, so that one big wheel (torch) does not start last and run alone.
    std::vector<std::pair<std::uintmax_t, std::size_t>> order;
    order.reserve(which.size());
    for (std::size_t i : which) {
        std::error_code size_ec;
        const auto size = fs::file_size(wheel_files_[i], size_ec);
        order.emplace_back(size_ec ? 0 : size, i);
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });

    std::mutex mu;
    std::vector<std::vector<std::string>> placed(wheels.size());  // files each wheel wrote
    auto options_for = [&](std::size_t i) {
        const auto& w = *wheels[i];
        prefix::WheelInstallOptions wo;
        // The verified store file has no wheel name of its own: pass the lock's (or the
        // built wheel's).
        wo.file_name = wheel_names_[i];
        wo.conda_owned = &conda_owned;
        // Like uv, direct_url.json only for direct references (paths, URLs outside the
        // indexes); tools read its presence as "not installed from an index".
        if (sources_[i]) {
            wo.direct_url = sources_[i]->direct_url;
            wo.source_identity = sources_[i]->recorded;
        } else if (w.location.rfind("direct+", 0) == 0 || !is_registry_url(w.url, sel_.indexes)) {
            prefix::DirectUrl du;
            du.kind = prefix::DirectUrl::Kind::archive;
            du.url = !w.url.empty() ? w.url : ("file://" + w.path.string());
            if (w.sha256) du.sha256 = *w.sha256;
            wo.direct_url = du;
        }
        return wo;
    };
    auto installed = [&](std::size_t i, prefix::WheelInstallResult&& res) {
        std::lock_guard lk(mu);
        if (placed[i].empty())
            for (const auto& f : res.conda_overwritten) report_.wheel_conda_overwrites.push_back(wheels[i]->name + ": " + f);
        placed[i] = std::move(res.files);
    };
    auto install_one = [&](std::size_t i) -> Result<void> {
        auto res = prefix::install_wheel(wheel_files_[i], opt_.prefix, *new_python_, options_for(i));
        if (!res.ok()) return std::move(res).error().with_context("while installing the wheel " + wheels[i]->name);
        installed(i, std::move(*res));
        return {};
    };

    // Every wheel is read and checked, then its files are written in parts, heaviest first, so
    // that a wheel with most of the files (torch's) is written by every worker, not one; the
    // part that writes a wheel's last files writes its RECORD.
    std::vector<std::optional<prefix::WheelInstall>> installs(wheels.size());
    PI_TRY_VOID(for_all(order.size(), [&](std::size_t k) -> Result<void> {
        const std::size_t i = order[k].second;
        auto wi = prefix::WheelInstall::prepare(wheel_files_[i], opt_.prefix, *new_python_, options_for(i));
        if (!wi.ok()) return std::move(wi).error().with_context("while installing the wheel " + wheels[i]->name);
        wi->set_aside();  // mapped again by its first part: not every wheel's pages at once
        installs[i].emplace(std::move(*wi));
        return {};
    }, "installing wheels"));
    std::vector<std::vector<std::uint64_t>> weights;  // in `order`
    for (const auto& [size, i] : order) weights.push_back(installs[i]->weights());
    auto written = place_in_parts(weights, std::vector<bool>(weights.size(), true),
                                  [&](std::size_t k, std::size_t begin, std::size_t end) -> Result<void> {
        const std::size_t i = order[k].second;
        auto r = installs[i]->place(begin, end);
        if (!r.ok()) return std::move(r).error().with_context("while installing the wheel " + wheels[i]->name);
        return {};
    }, [&](std::size_t k) -> Result<void> {
        const std::size_t i = order[k].second;
        auto res = installs[i]->finish();
        if (!res.ok()) return std::move(res).error().with_context("while installing the wheel " + wheels[i]->name);
        installed(i, std::move(*res));
        installs[i].reset();
        rep_.linked(wheels[i]->name);
        return {};
    }, "installing wheels");
    if (!written.ok()) {
        // What the unfinished wheels wrote goes; the transaction's rollback puts back the rest.
        for (auto& wi : installs)
            if (wi) wi->roll_back();
        return written;
    }
    std::sort(report_.wheel_conda_overwrites.begin(), report_.wheel_conda_overwrites.end());  // workers finish in any order

    // Wheels that write the same file ran in parallel, so which copy stayed depends on the
    // schedule. Make it the lock's order: the last claimant wins, as if installed one by one.
    std::map<std::string, std::size_t> last_claimant;
    std::set<std::size_t> rewrite;
    for (std::size_t i : which)
        for (const auto& f : placed[i]) {
            auto [it, fresh] = last_claimant.emplace(f, i);
            if (!fresh) {
                rewrite.insert(i);  // i > it->second: i is the later claimant
                it->second = i;
            }
        }
    for (std::size_t i : rewrite) PI_TRY_VOID(install_one(i));  // ascending: the last claimant writes last
    return {};
}

Result<void> Transaction::finish() {
    rep_.phase(base::Phase::record, 0);
    PI_TRY_VOID(prefix::prepare_conda_meta(opt_.prefix));
    // Backup and indexing tools skip directories tagged like this.
    fs::path tag = opt_.prefix / "CACHEDIR.TAG";
    std::error_code ec;
    if (!fs::exists(tag, ec))
        PI_TRY_VOID(base::write_file_atomic(tag, "Signature: 8a477f597d28d172789f06886806bc55\n"
                                                 "# This file is a cache directory tag created by pixi-install.\n"));
    prefix::ActivationInfo ai = prefix::ActivationInfo::for_prefix(opt_.prefix);
    if (!opt_.environment_name.empty()) ai.environment_name = opt_.environment_name;
    if (!opt_.project_name.empty()) ai.project_name = opt_.project_name;
    if (!opt_.project_root.empty()) ai.project_root = opt_.project_root;
    PI_TRY_VOID(prefix::write_activation_scripts(ai));
    if (opt_.compile_bytecode) PI_TRY_VOID(compile_bytecode());
    if (opt_.source_date_epoch) {
        // Everything in the prefix gets the one time, directories after their content; the
        // state file written next is then set too, with conda-meta, whose entry it changed.
        PI_TRY_VOID(base::set_tree_time(opt_.prefix, *opt_.source_date_epoch));
    }
    PI_TRY_VOID(fault("activation"));
    PI_TRY_VOID(write_state(opt_.prefix, {PrefixState::complete, fingerprint_}));
    // The new state is complete: the kept previous environment goes (a crash before this
    // line leaves it to the next run, which sees "complete" and discards it).
    snapshot_ = false;
    PI_TRY_VOID(fault("complete"));
    PI_TRY_VOID(discard_snapshot(opt_.prefix, pool_.get()));
    if (opt_.source_date_epoch) {
        PI_TRY_VOID(base::set_path_time(state_path(opt_.prefix), *opt_.source_date_epoch));
        PI_TRY_VOID(base::set_path_time(opt_.prefix / "conda-meta", *opt_.source_date_epoch));
        PI_TRY_VOID(base::set_path_time(opt_.prefix, *opt_.source_date_epoch));  // the snapshot left it
    }
    rep_.phase(base::Phase::done, 0);
    return {};
}

Result<void> Transaction::compile_bytecode() {
    if (!new_python_) return {};  // no python: nothing is python code
    if (!pool_) pool_ = std::make_unique<base::ThreadPool>(opt_.jobs);
    prefix::BytecodeOptions bo;
    bo.checked_hash = opt_.source_date_epoch.has_value();
    bo.env = opt_.script_env;
    bo.cancel = opt_.cancel;
    PI_TRY(auto r, prefix::compile_environment(opt_.prefix, *new_python_, bo, *pool_));
    if (!r.failed.empty()) {
        std::string list;
        for (std::size_t i = 0; i < r.failed.size() && i < 5; ++i) list += (i ? ", " : "") + r.failed[i];
        if (r.failed.size() > 5) list += ", ...";
        report_.warnings.push_back(std::to_string(r.failed.size()) +
                                   " .py file(s) do not compile with the environment's python and were left "
                                   "without bytecode: " + list);
    }
    report_.bytecode_compiled = r.compiled;
    return {};
}

}  // namespace pixi_install::install
