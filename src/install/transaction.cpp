#include "transaction.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_set>

#include <unistd.h>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/install/wheel_check.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/link_scripts.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "repair.hpp"
#include "transaction_rollback.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

// Removes a prefix this run created and never modified. conda-meta/ goes last, so that another
// install checking the directory meanwhile (preflight) sees an environment or an empty
// directory, never a directory that is neither.
// When anything else could not be removed, conda-meta/ stays: the directory is then still an
// environment (unfinished, which verify and the next install report), not a stranger's folder.
void remove_fresh_prefix(const fs::path& prefix) {
    std::error_code ec;
    bool rest_removed = true;
    for (fs::directory_iterator it(prefix, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename() != "conda-meta") rest_removed &= base::remove_tree(it->path()).ok();
    if (ec || !rest_removed) return;
    (void)base::remove_tree(prefix / "conda-meta");
    (void)::rmdir(prefix.c_str());  // fails when another install has started here: it is theirs
}

// An existing directory this run only added conda-meta/ to (for its lock): that goes again.
void remove_fresh_conda_meta(const fs::path& prefix) {
    const fs::path meta = prefix / "conda-meta";
    (void)::unlink((meta / "pixi-install.lock").c_str());
    (void)::rmdir(meta.c_str());  // anything else in it (another install's files) keeps it
}

std::string dir_name_of(const lockfile::CondaRecord& r) { return r.name + "-" + r.version + "-" + r.build; }

fetch::Artifact artifact_of(const std::string& file_name, const std::string& url, const fs::path& path,
                            const std::optional<std::string>& sha256, const std::optional<std::string>& md5,
                            std::optional<std::uint64_t> size) {
    fetch::Artifact a;
    a.name = file_name;
    a.url = url;
    a.path = path;
    a.sha256 = sha256.value_or("");
    a.md5 = md5.value_or("");
    a.size = size;
    return a;
}

/// The sha256 recorded in a direct_url.json ("sha256=<hex>" or {"sha256": "<hex>"}).
std::optional<std::string> sha256_from_direct_url(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    for (const char* key : {"sha256=", "\"sha256\":\""}) {
        auto p = text->find(key);
        if (p == std::string::npos) continue;
        std::string hex = text->substr(p + std::strlen(key), 64);
        if (base::is_hex_digest(hex, 32)) return base::normalize_hex(hex);
    }
    return std::nullopt;
}

}  // namespace

Transaction::Transaction(const lockfile::Selection& selection, const InstallOptions& options,
                         base::Reporter& reporter)
    : sel_(selection), opt_(options), rep_(reporter), cache_(options.cache_dir) {
    (void)base::current_umask();  // read once, before any worker thread creates files
}

bool Transaction::cancelled() const { return opt_.cancel && opt_.cancel->load(); }

Result<void> Transaction::for_all(std::size_t n, const std::function<Result<void>(std::size_t)>& f,
                                  const std::string& what) {
    std::vector<base::Error> errors = pool_->try_each(n, [&](std::size_t i) -> Result<void> {
        if (cancelled()) return {};
        return f(i);
    });
    if (cancelled()) return base::fail(ErrorKind::interrupted, "interrupted while " + what);
    if (errors.empty()) return {};
    base::Error first = errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) first.message += "\n" + errors[i].message;
    return first;
}

Result<InstallReport> Transaction::run() {
    FingerprintInputs in;
    in.prefix = opt_.prefix.string();
    in.link_mode = prefix::link_mode_name(opt_.link_mode);
    in.skip = opt_.skip;
    in.only = opt_.only;
    in.no_pypi = opt_.no_pypi;
    in.run_post_link_scripts = opt_.run_post_link_scripts;
    in.compile_bytecode = opt_.compile_bytecode;
    in.source_date_epoch = opt_.source_date_epoch;
    new_python_ = environment_python(sel_);  // preflight() refused PyPI packages without one
    // Local source directories change without the lock: their digests are inputs too.
    if (auto ids = prepare_source_ids(); !ids.ok())
        return std::move(ids).error().with_context("while installing environment '" + sel_.environment + "' into " +
                                                   opt_.prefix.string());
    for (const auto& [n, id] : source_ids_) in.source_identities.push_back(n + "=" + id);
    if (!source_ids_.empty()) in.build_settings = build_settings_text(opt_);
    fingerprint_ = fingerprint(sel_, in);

    // Fast path: the prefix says it completed exactly this. No lock, no conda-meta.
    StateMarker state = read_state(opt_.prefix);
    // (A snapshot left by a killed run is discarded under the lock, below.)
    const bool reinstall = opt_.reinstall || !opt_.reinstall_packages.empty();
    if (state.state == PrefixState::complete && state.fingerprint == fingerprint_ && !reinstall &&
        !has_snapshot_dir(opt_.prefix)) {
        report_.up_to_date = true;
        return report_;
    }

    if (opt_.dry_run) {
        PI_TRY_VOID(make_plan_now(state.state == PrefixState::installing));
        return report_;
    }

    auto result = [&]() -> Result<void> {
        PI_TRY_VOID(lock_prefix());
        // Another install may have made or used this directory between our mkdir and the lock:
        // then what is here is not ours to remove, whatever happens next.
        if (read_state(opt_.prefix).state != PrefixState::absent || has_snapshot_dir(opt_.prefix))
            created_prefix_ = created_conda_meta_ = false;
        // A killed install is rolled back first: the prefix is then what it was before it.
        PI_TRY(const bool restored, recover_interrupted());
        // Another process may have finished the same install while we waited.
        StateMarker now = read_state(opt_.prefix);
        if (now.state == PrefixState::complete && now.fingerprint == fingerprint_ && !reinstall) {
            report_.up_to_date = !restored;
            report_.repaired = restored;
            return {};
        }
        report_.repaired = now.state == PrefixState::installing;
        // A killed run leaves temporaries of its atomic writes; we hold the lock, so they are stale.
        PI_TRY(auto swept, remove_stale_temporaries(opt_.prefix, report_.repaired));
        (void)swept;
        PI_TRY_VOID(make_plan_now(report_.repaired));
        report_.repaired = report_.repaired || restored;
        if (report_.plan.empty() && !report_.repaired) {
            // Same packages, other inputs (e.g. link mode): refresh scripts and marker only.
            return finish();
        }
        PI_TRY_VOID(acquire_artifacts());
        PI_TRY_VOID(apply());
        return finish();
    }();
    if (!result.ok()) {
        base::Error error = std::move(result).error();
        if (snapshot_) {
            // Whatever failed (disk full, I/O error, a signal), the previous environment comes back.
            auto restored = restore_snapshot(opt_.prefix, pool_.get());
            if (restored.ok()) {
                modified_ = false;
                error.message += " (the previous environment was restored)";
            } else {
                error.message += " (restoring the previous environment failed too: " + restored.error().message +
                                 "; the next install finishes the rollback)";
            }
        }
        // Only under the lock (another install may be at work here otherwise), and only what
        // this run made.
        if (lock_.is_open() && !modified_ && (created_prefix_ || created_conda_meta_)) {
            if (created_prefix_) remove_fresh_prefix(opt_.prefix);  // still locked: see lock_prefix()
            else remove_fresh_conda_meta(opt_.prefix);
            lock_ = base::FileLock();
        }
        return std::move(error).with_context("while installing environment '" + sel_.environment +
                                                      "' into " + opt_.prefix.string());
    }
    return report_;
}

Result<void> Transaction::make_plan_now(bool repair) {
    rep_.phase(base::Phase::plan, 0);
    PI_TRY(auto records, prefix::read_prefix_records(opt_.prefix, prefix::ReadDepth::identity));
    std::vector<InstalledConda> installed;
    installed.reserve(records.size());
    for (const auto& r : records) {
        InstalledConda i;
        i.name = r.package.name;
        i.version = r.package.version;
        i.build = r.package.build;
        if (!r.package.sha256.empty()) i.sha256 = r.package.sha256;
        if (!r.package.md5.empty()) i.md5 = r.package.md5;
        i.size = r.package.size;
        i.noarch_python = r.package.noarch == "python";
        installed.push_back(std::move(i));
        if (r.package.name == "python") {
            auto p = spec::PythonInfo::from_record(r.package.version, r.package.python_site_packages_path);
            if (p.ok()) old_python_ = *p;
        }
    }
    std::vector<InstalledWheel> wheels;
    if (old_python_) {
        PI_TRY(auto dists, prefix::list_installed_dists(opt_.prefix, *old_python_));
        for (const auto& d : dists) {
            InstalledWheel w;
            w.name = d.normalized_name;
            w.version = d.version;
            w.dist_info = d.dist_info.string();
            w.installer = d.installer;
            w.sha256 = sha256_from_direct_url(d.direct_url);
            w.source_identity = d.source_identity;
            // Only distributions this tool installed are managed; others (pip, uv) are left alone.
            if (w.installer != prefix::kWheelInstaller) continue;
            wheels.push_back(std::move(w));
        }
    }
    // Relinked although unchanged: everything when repairing or with --reinstall, else
    // the packages named by --reinstall-package (conda names, or PyPI names normalized).
    const bool all = repair || opt_.reinstall;
    std::set<std::string> named;
    for (const auto& n : opt_.reinstall_packages) {
        named.insert(n);
        named.insert(spec::normalize_pypi_name(n));
    }
    std::vector<std::string> forced;
    for (const auto& r : sel_.conda)
        if (all || named.count(r->name)) forced.push_back(r->name);
    report_.plan = make_plan(installed, wheels, sel_.conda, sel_.pypi,
                             old_python_ ? old_python_->short_version : "",
                             new_python_ ? new_python_->short_version : "", forced, source_ids_);
    // An interrupted install may have left half-written wheels: reinstall them too.
    auto reinstalled = [&](const std::string& name) { return all || named.count(spec::normalize_pypi_name(name)); };
    for (auto& w : wheels) {
        if (!reinstalled(w.name)) continue;
        bool listed = false;
        for (const auto& r : report_.plan.wheel_remove) listed |= r.dist_info == w.dist_info;
        if (!listed) report_.plan.wheel_remove.push_back(w);
    }
    std::vector<PypiPtr> keep;
    for (const auto& p : report_.plan.wheel_unchanged)
        (reinstalled(p->name) ? report_.plan.wheel_install : keep).push_back(p);
    report_.plan.wheel_unchanged = std::move(keep);
    return {};
}

Result<void> Transaction::acquire_artifacts() {
    pool_ = std::make_unique<base::ThreadPool>(opt_.jobs);
    base::raise_open_file_limit();  // one cache-entry lock per package stays open until the end
    const Plan& plan = report_.plan;
    for (const auto& r : plan.install) staged_.push_back({r, dir_name_of(*r), {}, {}, {}, true});
    for (const auto& c : plan.change) staged_.push_back({c.desired, dir_name_of(*c.desired), {}, {}, {}, true});

    // Packages already extracted in the cache need no archive at all (warm installs).
    std::vector<fetch::Artifact> artifacts;
    std::vector<std::size_t> artifact_of_staged;  // artifact index -> staged index (or wheel)
    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < staged_.size(); ++i) {
        PI_TRY_VOID(cache::PackageCache::validate_dir_name(staged_[i].dir_name));
        const auto& r = *staged_[i].record;
        if (r.sha256) {
            auto hit = cache_.lookup(staged_[i].dir_name, *r.sha256);
            // A repair trusts no cache entry blindly: one whose files changed is extracted anew
            // (from the verified archive, fetched again when the store lacks it).
            if (hit && (opt_.reinstall || !opt_.reinstall_packages.empty()) && !cache_entry_intact(hit->dir)) {
                rep_.warning("the cached " + staged_[i].dir_name + " differs from its archive; extracting it again");
                hit.reset();  // lets go of the entry's shared lock before it is replaced
                std::error_code ec;
                fs::remove(cache_.marker_path(staged_[i].dir_name, *r.sha256), ec);
            }
            if (hit) {
                staged_[i].package_dir = hit->dir;
                staged_[i].trusted = hit->trusted;
                staged_[i].entry_lock = std::move(hit->lock);
                continue;
            }
        }
        missing.push_back(i);
        artifacts.push_back(artifact_of(r.file_name, r.url, r.path, r.sha256, r.md5, r.size));
    }
    const std::size_t conda_artifacts = artifacts.size();
    std::vector<std::size_t> artifact_wheels;  // artifact index - conda_artifacts -> wheel_install index
    PI_TRY_VOID(plan_sources(artifact_wheels));
    for (std::size_t wi : artifact_wheels) {
        const auto& w = plan.wheel_install[wi];
        std::string file = spec::location_file_name(w->location);
        artifacts.push_back(artifact_of(file, w->url, w->path, w->sha256, w->md5, std::nullopt));
    }
    wheel_files_.resize(plan.wheel_install.size());

    // Extraction starts as soon as each archive is verified, on the pool,
    // while the network loop keeps downloading.
    std::mutex mu;
    std::vector<base::Error> errors;
    fetch::FetchOptions fo = opt_.fetch;
    fo.cache_dir = opt_.cache_dir;
    fo.cancel = opt_.cancel;
    fo.on_ready = [&](std::size_t index, const fs::path& path) {
        if (index >= conda_artifacts) {
            wheel_files_[artifact_wheels[index - conda_artifacts]] = path;
            return;
        }
        Staged& s = staged_[missing[index]];
        pool_->submit([&, path] {
            if (cancelled()) return;
            const auto& r = *s.record;
            std::string sha = r.sha256.value_or("");
            if (sha.empty()) {
                auto h = base::hash_file(path, base::HashAlgo::sha256);
                if (!h.ok()) {
                    std::lock_guard lk(mu);
                    errors.push_back(std::move(h).error());
                    return;
                }
                sha = *h;
            }
            archive::ExtractOptions eo;
            eo.cancel = opt_.cancel;
            // Workers with nothing else to do write the package's small files meanwhile
            // (one archive is one stream: a package with most of the files would leave them idle).
            eo.helpers = pool_.get();
            // A package unpacks to a few times its archive size; far more is a decompression bomb.
            if (r.size && *r.size > 0) eo.max_unpacked_bytes = std::max<std::uint64_t>(*r.size * 200, 1ULL << 30);
            auto entry = cache_.ensure(path, sha, s.dir_name, eo);
            if (!entry.ok()) {
                std::lock_guard lk(mu);
                errors.push_back(std::move(entry).error().with_context("while extracting " + r.file_name));
                return;
            }
            s.package_dir = entry->dir;
            s.trusted = entry->trusted;
            s.entry_lock = std::move(entry->lock);
            rep_.extracted(r.name);
        });
    };
    rep_.phase(base::Phase::fetch, artifacts.size());
    auto fetched = fetch::fetch_all(artifacts, fo, rep_);
    pool_->wait_idle();
    if (!fetched.ok()) return std::move(fetched).error();
    if (cancelled()) return base::fail(ErrorKind::interrupted, "interrupted while fetching");
    if (!errors.empty()) {
        // A full disk fails every extraction alike: one line, with the count, not one per package.
        std::size_t full = 0;
        for (const auto& e : errors) full += e.is_disk_full() ? 1 : 0;
        if (full > 1) {
            base::Error e = *std::find_if(errors.begin(), errors.end(),
                                          [](const base::Error& x) { return x.is_disk_full(); });
            e.message += "\n(and " + std::to_string(full - 1) + " more package(s) for the same reason: the file "
                         "system of the package cache " + cache_.pkgs_dir().string() + " is full)";
            return e;
        }
        base::Error e = errors.front();
        for (std::size_t i = 1; i < errors.size(); ++i) e.message += "\n" + errors[i].message;
        return e;
    }
    for (std::size_t k = 0; k < artifact_wheels.size(); ++k)
        if (wheel_files_[artifact_wheels[k]].empty()) wheel_files_[artifact_wheels[k]] = (*fetched)[conda_artifacts + k];
    PI_TRY_VOID(find_built_sources());

    // What each package contains (paths.json / legacy files), read in parallel.
    rep_.phase(base::Phase::extract, staged_.size());
    return for_all(staged_.size(), [&](std::size_t i) -> Result<void> {
        Staged& s = staged_[i];
        if (s.package_dir.empty())
            return base::fail(ErrorKind::failure, "package " + s.dir_name + " was not extracted");
        PI_TRY(auto info, prefix::read_package_info(s.package_dir));
        if (info.index.name != s.record->name)
            return base::fail(ErrorKind::integrity, "archive " + s.record->file_name + " contains package '" +
                                                        info.index.name + "', but the lock says '" +
                                                        s.record->name + "'");
        // Where each file goes is known now: refuse before the prefix changes, not halfway.
        PI_TRY(auto targets, prefix::target_paths(info, new_python_));
        (void)targets;
        s.info = std::move(info);
        return {};
    }, "reading packages");
}

}  // namespace pixi_install::install
