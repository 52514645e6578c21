// `pixi-install [install]`: materialize environments of a lock into prefixes.
#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <nlohmann/json.hpp>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "common.hpp"
#include "env_location.hpp"
#include "fetch_options.hpp"
#include "noop.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/shell_quote.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/install/inject.hpp"
#include "pixi_install/install/wheel_check.hpp"
#include "pixi_install/install/pipeline.hpp"
#include "pixi_install/install/preflight.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/spec/archive_name.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "progress.hpp"
#include "signals.hpp"
#include "usage.hpp"

namespace pixi_install::cli {

namespace {

struct InstallFlags {
    std::string lock = "pixi.lock";
    std::vector<std::string> environments;
    bool all = false;
    std::string prefix;
    std::string platform;
    std::string manifest;
    std::string manifest_path;
    CLI::Option* lock_option = nullptr;
    bool frozen = false;
    bool locked = false;
    std::string link_mode = "auto";
    std::vector<std::string> skip;
    std::vector<std::string> only;
    bool allow_non_env_prefix = false;
    bool reinstall = false;
    std::vector<std::string> reinstall_packages;
    bool no_pypi = false;
    std::vector<std::string> find_links;
    bool no_install_local = false;
    std::vector<std::string> inject;
    bool run_post_link_scripts = false;
    bool no_host_check = false;
    bool dry_run = false;
    bool json = false;
    bool compile_bytecode = false;
    bool reproducible = false;
    FetchFlags fetch;
};

std::string record_id(const lockfile::CondaRecord& r) { return r.name + "-" + r.version + "-" + r.build; }

nlohmann::json report_json(const std::string& env, const std::string& platform, const std::filesystem::path& prefix,
                           const install::InstallReport& r, double seconds, bool dry_run) {
    nlohmann::json j;
    j["environment"] = env;
    j["platform"] = platform;
    j["prefix"] = prefix.string();
    j["dry_run"] = dry_run;
    j["up_to_date"] = r.up_to_date;
    j["repaired"] = r.repaired;
    j["waited_for_lock"] = r.waited;
    auto names = nlohmann::json::array();
    for (const auto& p : r.plan.install) names.push_back(record_id(*p));
    j["installed"] = names;
    auto changed = nlohmann::json::array();
    for (const auto& c : r.plan.change)
        changed.push_back({{"name", c.desired->name},
                           {"from", c.old.name + "-" + c.old.version + "-" + c.old.build},
                           {"to", record_id(*c.desired)},
                           {"python_relink", c.python_relink}});
    j["changed"] = changed;
    auto removed = nlohmann::json::array();
    for (const auto& p : r.plan.remove) removed.push_back(p.name + "-" + p.version + "-" + p.build);
    j["removed"] = removed;
    j["unchanged"] = r.plan.unchanged.size() + r.plan.wheel_unchanged.size();
    auto wi = nlohmann::json::array();
    for (const auto& w : r.plan.wheel_install) wi.push_back(w->name + "-" + w->version.value_or(""));
    j["wheels_installed"] = wi;
    auto wr = nlohmann::json::array();
    for (const auto& w : r.plan.wheel_remove) wr.push_back(w.name + "-" + w.version);
    j["wheels_removed"] = wr;
    auto cl = nlohmann::json::array();
    for (const auto& c : r.clobbers) cl.push_back({{"path", c.path}, {"winner", c.winner}, {"losers", c.losers}});
    j["clobbers"] = cl;
    j["post_link_scripts_skipped"] = r.post_link_skipped;
    j["wheel_conda_overwrites"] = r.wheel_conda_overwrites;
    j["source_packages_built"] = r.built;
    j["warnings"] = r.warnings;
    j["bytes_downloaded"] = r.bytes_downloaded;
    j["seconds"] = seconds;
    return j;
}

void print_plan(const install::InstallReport& r) {
    const auto& p = r.plan;
    for (const auto& x : p.install) std::cout << "  + " << record_id(*x) << "\n";
    for (const auto& c : p.change)
        std::cout << "  ~ " << c.old.name << "-" << c.old.version << "-" << c.old.build << " -> "
                  << record_id(*c.desired) << (c.python_relink ? " (relink for the new python)" : "") << "\n";
    for (const auto& x : p.remove) std::cout << "  - " << x.name << "-" << x.version << "-" << x.build << "\n";
    for (const auto& w : p.wheel_install) std::cout << "  + " << w->name << " " << w->version.value_or("") << " (wheel)\n";
    for (const auto& w : p.wheel_remove) std::cout << "  - " << w.name << " " << w.version << " (wheel)\n";
    std::cout << "  " << p.unchanged.size() + p.wheel_unchanged.size() << " unchanged\n";
}

}  // namespace

namespace {

/// The artifacts bundles were packed with by `pack --inject` (their injected.tsv),
/// fetched from the bundles into the store and read as injections.
base::Result<std::vector<install::Injection>> bundle_injections(const fetch::FetchOptions& fo,
                                                               const std::filesystem::path& cache_dir,
                                                               base::Reporter& rep) {
    std::vector<fetch::Artifact> artifacts;
    std::vector<std::string> names;
    PI_TRY(auto lines, fetch::bundle_lists(fo.bundles, install::kInjectedFile));
    for (const auto& l : lines) {
        if (l.fields.size() < 2) continue;
        fetch::Artifact a;
        a.sha256 = l.fields[0];
        a.name = l.text.substr(a.sha256.size() + 1);
        if (!base::is_hex_digest(a.sha256, 32) || !base::segment_problem(a.name).empty() ||
            (!spec::WheelName::parse(a.name).ok() && !spec::ArchiveName::parse(a.name)))
            return base::fail(base::ErrorKind::integrity, "the bundle " + l.bundle.string() + " lists `" +
                                                              base::printable(l.text) +
                                                              "` in injected.tsv, which is not a digest and a "
                                                              "package file name");
        names.push_back(a.name);
        artifacts.push_back(std::move(a));
    }
    if (artifacts.empty()) return std::vector<install::Injection>();
    fetch::FetchOptions o = fo;
    o.on_ready = nullptr;
    o.cache_dir = cache_dir;
    PI_TRY(auto files, fetch::fetch_all(artifacts, o, rep));
    std::vector<std::pair<std::filesystem::path, std::string>> named;
    for (std::size_t i = 0; i < files.size(); ++i) named.emplace_back(files[i], names[i]);
    return install::read_injections(named);
}

}  // namespace

Command make_install_command() {
    auto f = std::make_shared<InstallFlags>();
    Command c;
    c.name = "install";
    c.setup = [f](CLI::App& sub, Globals&) {
        sub.description("Install environments of a pixi.lock into prefixes (the default command)");
        f->lock_option = sub.add_option("-l,--lock", f->lock, "The lock file, or a directory holding pixi.lock")
                             ->capture_default_str();
        sub.add_option("-e,--environment", f->environments, "Environment to install (repeatable; default: default)");
        sub.add_flag("-a,--all", f->all, "Install every environment of the lock");
        sub.add_option("-p,--prefix", f->prefix,
                       "Where to install (one environment); default: .pixi/envs/<env> next to the lock");
        sub.add_option("--platform", f->platform,
                       "Platform of the lock to install (default: the one this host runs; another skips the host check)");
        sub.add_option("--manifest", f->manifest,
                       "Manifest with [system-requirements] (default: pixi.toml or pyproject.toml next to the lock)");
        sub.add_option("--manifest-path", f->manifest_path,
                       "pixi's manifest (pixi.toml, pyproject.toml) or its directory: the lock is the pixi.lock "
                       "beside it, and it is the manifest");
        sub.add_flag("--frozen", f->frozen, "Install the lock as it is, without checking it against the manifest (the default)");
        sub.add_flag("--locked", f->locked,
                     "Refuse (exit 7) when the lock no longer satisfies its manifest, as `pixi install --locked` does; "
                     "checked before anything is downloaded or changed");
        sub.add_option("--link-mode", f->link_mode, "How files get into the prefix")
            ->check(one_of({"auto", "reflink", "hardlink", "copy"}))
            ->capture_default_str();
        sub.add_option("--skip", f->skip, "Leave out this package (repeatable)");
        sub.add_option("--only", f->only, "Install only this package and its dependencies (repeatable)");
        sub.add_flag("--allow-non-env-prefix", f->allow_non_env_prefix,
                     "Install into an existing directory that is neither empty nor an environment (refused "
                     "by default: files the packages also ship would be replaced)");
        sub.add_flag("--reinstall", f->reinstall,
                     "Relink every package and reinstall every wheel, even when up to date (repairs a prefix "
                     "that `verify` finds changed); cached packages that fail their hash are fetched again");
        sub.add_option("--reinstall-package", f->reinstall_packages,
                       "Relink this package (conda or PyPI) even when up to date (repeatable)");
        sub.add_flag("--no-pypi", f->no_pypi, "Leave out every PyPI package");
        sub.add_option("--find-links", f->find_links,
                       "A directory of wheels to take build dependencies of source packages from (repeatable; "
                       "before the lock's and the manifest's find-links)");
        sub.add_option("--inject", f->inject,
                       "Install this .conda/.tar.bz2 or .whl in place of the lock's record of that package (a "
                       "conda_source record, or a PyPI source entry), checked against its name and version "
                       "(repeatable)");
        sub.add_flag("--no-install-local", f->no_install_local,
                     "Leave out the local PyPI packages (path entries: the project itself, editables): install only "
                     "their dependencies, e.g. for a Docker layer made before the sources are copied in");
        sub.add_flag("--run-post-link-scripts", f->run_post_link_scripts,
                     "Run the packages' post-link scripts (not run by default, as in pixi)");
        sub.add_flag("--no-host-check", f->no_host_check, "Install even if this machine lacks what the packages need");
        sub.add_flag("--dry-run", f->dry_run, "Print what would change, change nothing");
        sub.add_flag("--json", f->json, "Write the outcome as one JSON document on stdout");
        sub.add_flag("--compile-bytecode", f->compile_bytecode,
                     "Compile the .py files of noarch: python packages and wheels with the environment's python "
                     "(also PIXI_INSTALL_COMPILE_BYTECODE=1); only for this machine's platform");
        sub.add_flag("--reproducible", f->reproducible,
                     "Byte-identical prefixes: every file gets the time SOURCE_DATE_EPOCH (0 when unset), nothing "
                     "machine-specific is recorded (also implied by SOURCE_DATE_EPOCH)");
        add_fetch_flags(sub, f->fetch, true);
        // Every option can come from the environment: PIXI_INSTALL_<LONG NAME> (upper case, '-' as
        // '_'); the command line wins. --compile-bytecode's variable is read by the command itself.
        for (CLI::Option* o : sub.get_options()) {
            if (o == sub.get_help_ptr() || o->get_lnames().empty() || o->get_lnames().front() == "compile-bytecode")
                continue;
            std::string var = "PIXI_INSTALL_";
            for (char ch : o->get_lnames().front()) var += ch == '-' ? '_' : static_cast<char>(std::toupper(ch));
            o->envname(var);
        }
        for (const char* list : {"--environment", "--skip", "--only"}) sub.get_option(list)->delimiter(',');
        sub.footer(
            "Environment: every option above can also be set as PIXI_INSTALL_<OPTION>, upper case with '_' for '-'\n"
            "(PIXI_INSTALL_OFFLINE=1, PIXI_INSTALL_CACHE_DIR=DIR, PIXI_INSTALL_LINK_MODE=copy, PIXI_INSTALL_JOBS=8,\n"
            "PIXI_INSTALL_SKIP=a,b); -e, --skip and --only take comma-separated lists; the command line wins.\n"
            "pixi's PIXI_FROZEN=true and PIXI_LOCKED=true act as --frozen and --locked.");
    };
    c.run = [f](Globals& g) -> RunResult {
        auto t0 = std::chrono::steady_clock::now();
        if (!f->frozen && !f->locked) {
            // pixi's variables, as pixi reads them (CI jobs set them for every pixi command).
            PI_TRY(bool env_locked, env_flag(g, "PIXI_LOCKED"));
            PI_TRY(bool env_frozen, env_flag(g, "PIXI_FROZEN"));
            if (env_locked && env_frozen)
                return base::fail(base::ErrorKind::usage, "PIXI_LOCKED and PIXI_FROZEN are both set; they exclude each other");
            f->locked = env_locked;
            f->frozen = env_frozen;
        }
        if (!f->manifest_path.empty() && f->manifest.empty()) {
            f->manifest = located_manifest(f->manifest_path);
            if (f->manifest.empty())
                return base::fail(base::ErrorKind::usage, "--manifest-path " + f->manifest_path +
                                                              " holds no pixi.toml or pyproject.toml");
        }
        auto lock_path = f->lock_option->count() > 0 || f->manifest_path.empty()
                             ? resolve_lock_path(f->lock)
                             : located_lock("", f->manifest_path);
        PI_TRY(auto link_mode, prefix::parse_link_mode(f->link_mode));
        // The prefix is written into scripts (activation, entry points): refused before anything runs.
        if (!f->prefix.empty()) PI_TRY_VOID(base::check_script_value(f->prefix, "the prefix"));
        if (f->locked && f->frozen) return base::fail(base::ErrorKind::usage, "--locked and --frozen exclude each other");
        PI_TRY(std::optional<std::int64_t> epoch, source_date_epoch(g, f->reproducible));
        PI_TRY(bool compile_env, env_flag(g, "PIXI_INSTALL_COMPILE_BYTECODE"));
        const bool compile = f->compile_bytecode || compile_env;
        std::string cache_dir = resolve_cache_dir(g, f->fetch.cache_dir);
        auto prefix_of = [&](const std::string& env) {
            return base::absolute_normal(f->prefix.empty() ? lock_path.parent_path() / ".pixi" / "envs" / env
                                                           : std::filesystem::path(f->prefix));
        };

        // The no-op fast path: one environment, nothing parsed unless the memo misses.
        struct Noop {
            std::string digest, key;
            std::filesystem::path memo;
        };
        std::optional<Noop> noop;
        // Not with --locked: the satisfiability check also reads files the key does not cover (the
        // static metadata of local PyPI projects), so it runs every time.
        const bool reinstall = f->reinstall || !f->reinstall_packages.empty();
        // Nor with injections or bundles: what they put in place of lock records is not in the key.
        if (!f->all && f->environments.size() <= 1 && !f->dry_run && !f->locked && !reinstall && f->inject.empty() &&
            f->fetch.bundles.empty()) {
            NoopInputs in;
            in.lock = base::absolute_normal(lock_path);
            in.environment = f->environments.empty() ? "default" : f->environments.front();
            in.platform_arg = f->platform;
            in.prefix = prefix_of(in.environment);
            if (f->prefix.empty()) in.project_root = base::absolute_normal(lock_path.parent_path());
            in.link_mode = prefix::link_mode_name(link_mode);
            in.skip = f->skip;
            in.only = f->only;
            in.no_pypi = f->no_pypi;
            in.run_post_link_scripts = f->run_post_link_scripts;
            in.no_host_check = f->no_host_check;
            in.compile_bytecode = compile;
            in.source_date_epoch = epoch;
            in.manifest_flag = f->manifest;
            in.find_links = f->find_links;
            in.no_install_local = f->no_install_local;
            auto digest = lock_digest(lock_path);
            auto key = digest ? noop_key(g, in, *digest) : std::nullopt;
            if (key) {
                noop = Noop{*digest, *key,
                            install::noop_memo_path(base::absolute_normal(std::filesystem::path(cache_dir)), in.prefix)};
                auto memo = install::read_noop_memo(noop->memo);
                if (memo && install::noop_memo_holds(*memo, noop->key, in.prefix)) {
                    OutputStyle style = output_style(g);
                    if (f->json) style.interactive = false;
                    LinePrinter printer(stderr, style.interactive, style.width);
                    StatusPrinter status(style, printer);
                    for (const auto& w : memo->warnings) status.warning(w);
                    status.info("nothing to do: the lock, the options and this machine are as at the last "
                                "install of " + in.prefix.string() + " (the lock was not read)");
                    Summary last;
                    last.environment = in.environment;
                    last.prefix = in.prefix.string();
                    last.platform = memo->platform;
                    last.unchanged = memo->packages;
                    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    last.seconds = secs;
                    status.finish(f->json ? nullptr : &last);
                    if (f->json) {
                        install::InstallReport rep;
                        rep.up_to_date = true;
                        nlohmann::json j;
                        j["ok"] = true;
                        j["lock_file"] = lock_path.string();
                        j["environments"] = nlohmann::json::array(
                            {report_json(in.environment, memo->platform, in.prefix, rep, secs, false)});
                        j["environments"][0]["bytes_downloaded"] = 0;
                        j["seconds"] = secs;
                        std::cout << base::redact(j.dump(2)) << "\n";
                    }
                    return 0;
                }
            }
        }

        PI_TRY(lockfile::LockFile lock, lockfile::load_lockfile(lock_path));
        std::vector<std::string> envs = f->environments;
        if (f->all)
            for (const auto& [name, env] : lock.environments) envs.push_back(name);
        if (envs.empty()) envs.push_back("default");
        if (!f->prefix.empty() && envs.size() > 1)
            return base::fail(base::ErrorKind::usage,
                              "-p/--prefix installs one environment, but " + std::to_string(envs.size()) +
                                  " were selected; run once per environment");
        if (f->locked) {
            PI_TRY(satisfy::Report report, check_locked(lock, lock_path, f->manifest));
            if (!report.ok()) {
                if (f->json) {
                    base::Error e = stale_error(report);
                    nlohmann::json j;
                    j["ok"] = false;
                    j["exit_code"] = base::exit_code(e.kind);
                    j["stale"] = stale_json(report);
                    j["error"] = {{"kind", base::kind_name(e.kind)}, {"exit_code", base::exit_code(e.kind)},
                                  {"message", e.message}, {"context", e.context}};
                    std::cout << base::redact(j.dump(2)) << "\n";
                    std::cerr << "error: " << base::redact(e.message) << "\n";
                    return base::exit_code(e.kind);
                }
                return stale_error(report);
            }
        }
        std::vector<std::string> warnings;
        PI_TRY(auto manifest, load_manifest_for(lock_path, f->manifest, warnings));
        PI_TRY(HostView host, probe_and_detect(g));
        for (const auto& w : host.packages.warnings) warnings.push_back(w);

        // Check every environment before installing any: refuse before touching anything.
        std::vector<EnvironmentCheck> checks;
        for (const auto& e : envs) {
            PI_TRY(EnvironmentCheck r, check_environment(lock, e, f->platform, manifest, host.packages,
                                                         f->no_host_check));
            checks.push_back(std::move(r));
        }
        for (const auto& r : checks) {
            for (const auto& w : r.warnings) warnings.push_back(w);
            if (!r.ok()) return environment_error(r);
            if (compile && r.subdir != host.packages.subdir)
                return base::fail(base::ErrorKind::usage,
                                  "--compile-bytecode runs the environment's own python, which cannot run here: "
                                  "environment '" + r.environment + "' is installed for " + r.subdir +
                                  " and this machine is " + host.packages.subdir +
                                  " (compile when the image first runs on its platform, or leave the option out)");
        }

        OutputStyle style = output_style(g);
        if (f->json) style.interactive = false;
        LinePrinter printer(stderr, style.interactive, style.width);
        StatusPrinter status(style, printer);
        for (const auto& w : warnings) status.warning(w);

        PI_TRY(fetch::FetchOptions fo, make_fetch_options(g, f->fetch, lock_path.parent_path()));
        for (const auto& check : checks)
            PI_TRY_VOID(base::check_script_value(prefix_of(check.environment).string(), "the prefix"));
        // How source entries are built, per environment (the manifest is read only for
        // environments that have some).
        std::map<std::string, install::InstallOptions::SourceBuilds> builds;
        auto builds_for = [&](const std::string& environment) -> install::InstallOptions::SourceBuilds {
            if (auto it = builds.find(environment); it != builds.end()) return it->second;
            bool sources = false;
            if (auto it = lock.environments.find(environment); it != lock.environments.end())
                for (const auto& [plat, pkgs] : it->second.packages)
                    for (const auto& p : pkgs)
                        if (p.pypi && spec::classify_pypi_location(p.pypi->location, p.pypi->editable) !=
                                          spec::PypiSourceKind::wheel)
                            sources = true;
            install::InstallOptions::SourceBuilds b;
            if (sources) {
                std::vector<std::string> w;
                std::optional<std::filesystem::path> mp;
                if (!f->manifest.empty()) mp = std::filesystem::path(f->manifest);
                b = source_builds_for(lock, environment, lock_path, mp, f->find_links, host.packages, g.env, w);
                for (const auto& x : w) status.warning(x);
            }
            return builds[environment] = b;
        };
        auto options_for = [&](const EnvironmentCheck& check) {
            install::InstallOptions io;
            io.prefix = prefix_of(check.environment);
            // Absolute: conda-meta records the extracted package directory.
            io.cache_dir = base::absolute_normal(std::filesystem::path(cache_dir));
            io.link_mode = link_mode;
            io.dry_run = f->dry_run;
            io.run_post_link_scripts = f->run_post_link_scripts;
            io.no_pypi = f->no_pypi;
            io.skip = f->skip;
            io.only = f->only;
            io.allow_non_env_prefix = f->allow_non_env_prefix;
            io.reinstall = f->reinstall;
            io.reinstall_packages = f->reinstall_packages;
            io.compile_bytecode = compile;
            io.source_date_epoch = epoch;
            io.fetch = fo;
            io.cancel = &interrupted_flag();
            for (const auto& [k, v] : g.env) io.script_env.push_back(k + "=" + v);
            if (auto f = g.env.find("PIXI_INSTALL_FAULT"); f != g.env.end()) io.fault = f->second;
            io.environment_name = check.environment;
            io.builds = builds_for(check.environment);
            io.builds.no_install_local = f->no_install_local;
            if (f->prefix.empty()) io.project_root = base::absolute_normal(lock_path.parent_path());
            if (manifest) io.project_name = manifest->workspace_name;
            io.on_wait = [&status, p = io.prefix] {
                status.info("waiting for another pixi-install to finish with " + p.string());
            };
            return io;
        };
        // Plan, then touch: every environment's selection is checked before any prefix changes.
        std::vector<lockfile::Selection> selections;
        auto refused = [&]() -> base::Result<void> {
            std::vector<std::filesystem::path> inject_files(f->inject.begin(), f->inject.end());
            PI_TRY(auto injections, install::read_injections(inject_files));
            std::vector<std::size_t> used(injections.size(), 0);
            // What a bundle was packed with --inject applies as if given here.
            PI_TRY(auto from_bundles,
                   bundle_injections(fo, base::absolute_normal(std::filesystem::path(cache_dir)), status));
            const std::size_t given = injections.size();
            for (auto& in : from_bundles) {
                // The same file given with --inject, or another file for the same package: the flag wins.
                if (std::any_of(injections.begin(), injections.end(), [&](const install::Injection& x) {
                        return x.sha256 == in.sha256 || (x.wheel == in.wheel && x.name == in.name);
                    }))
                    continue;
                in.from_bundle = true;
                status.building("taking " + in.file_name + " from the bundle in place of building " + in.name);
                injections.push_back(std::move(in));
            }
            used.resize(injections.size(), 1);
            for (const auto& check : checks) {
                PI_TRY(lockfile::Selection sel, lockfile::select(lock, check.environment, check.platform));
                for (std::size_t k = 0; k < injections.size(); ++k) {
                    PI_TRY(std::size_t n, install::inject(sel, {injections[k]}));
                    used[k] += n;
                }
                selections.push_back(std::move(sel));
            }
            for (std::size_t k = 0; k < given; ++k)
                if (!used[k])
                    return base::fail(base::ErrorKind::usage,
                                      "--inject " + f->inject[k] + ": no selected environment has a package named " +
                                          injections[k].name + " to put it in place of");
            // An injected wheel must run here, as the lock's wheels were checked to.
            if (!injections.empty() && !f->no_host_check)
                for (std::size_t i = 0; i < checks.size(); ++i) {
                    if (checks[i].skipped) continue;
                    auto python = install::environment_python(selections[i]);
                    auto platform = tag_platform(host.packages);
                    if (!python || !platform) continue;
                    auto bad = install::incompatible_wheels(selections[i], *platform, *python);
                    if (!bad.ok()) continue;
                    for (const auto& w : *bad)
                        for (const auto& in : injections)
                            if (in.wheel && in.file_name == w.file_name)
                                return base::fail(base::ErrorKind::host,
                                                  "the injected " + in.file_name + " cannot run in environment '" +
                                                      checks[i].environment + "': " + install::describe(w));
                }
            std::vector<const lockfile::Selection*> selected;
            for (const auto& sel : selections) selected.push_back(&sel);
            PI_TRY_VOID(install::check_package_names(selected, f->skip, f->only));
            PI_TRY_VOID(install::check_known_names(selected, f->reinstall_packages, "--reinstall-package"));
            for (std::size_t i = 0; i < checks.size(); ++i) {
                install::InstallOptions io = options_for(checks[i]);
                PI_TRY_VOID(install::preflight(install::filter_selection(selections[i], io), io));
            }
            return {};
        }();
        if (!refused.ok()) {
            status.finish(nullptr);
            return std::move(refused).error();
        }

        nlohmann::json out_envs = nlohmann::json::array();
        Summary last;
        for (std::size_t env_index = 0; env_index < checks.size(); ++env_index) {
            const EnvironmentCheck& check = checks[env_index];
            const lockfile::Selection& sel = selections[env_index];
            install::InstallOptions io = options_for(check);
            lockfile::Selection filtered = install::filter_selection(sel, io);
            auto started = std::chrono::steady_clock::now();
            auto result = status.drive([&] { return install::install_environment(filtered, io, status); });
            if (!result.ok()) {
                status.finish(nullptr);
                base::Error e = std::move(result).error();
                std::vector<std::string> lost = status.given_up();
                if (!f->json || lost.empty()) return e;
                // The error counts the artifacts of each host it gave up; the document names them.
                nlohmann::json j;
                j["ok"] = false;
                j["exit_code"] = base::exit_code(e.kind);
                j["error"] = {{"kind", base::kind_name(e.kind)}, {"exit_code", base::exit_code(e.kind)},
                              {"message", e.message}, {"context", e.context}, {"not_downloaded", lost}};
                std::cout << j.dump(2) << "\n";
                std::cerr << "error: " << e.to_string() << "\n";
                return base::exit_code(e.kind);
            }
            const install::InstallReport& rep = *result;
            if (noop && !f->dry_run) {
                // Remember this outcome for the fast path, if the lock is still what was hashed.
                install::StateMarker st = install::read_state(io.prefix);
                auto now = lock_digest(lock_path);
                std::string stamp = install::prefix_stamp(io.prefix);
                if (st.state == install::PrefixState::complete && now && *now == noop->digest && !stamp.empty()) {
                    install::NoopMemo m;
                    m.key = noop->key;
                    m.fingerprint = st.fingerprint;
                    m.stamp = stamp;
                    m.platform = check.platform;
                    m.packages = sel.conda.size() + sel.pypi.size();
                    m.warnings = warnings;
                    m.sources = rep.local_sources;  // checked again by every later no-op
                    (void)install::write_noop_memo(noop->memo, m);  // best effort: a read-only cache only costs speed
                }
            }
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (!rep.post_link_skipped.empty()) {
                std::string names;
                for (const auto& n : rep.post_link_skipped) names += (names.empty() ? "" : ", ") + n;
                status.warning("post-link scripts were not run for: " + names +
                               " (pass --run-post-link-scripts to run them)");
            }
            for (const auto& cl : rep.clobbers) {
                std::string losers;
                for (const auto& l : cl.losers) losers += (losers.empty() ? "" : ", ") + l;
                status.warning(cl.path + " is provided by several packages; " + cl.winner + "'s copy is used (" +
                               losers + " moved to __clobbers__/)");
            }
            for (const auto& w : rep.wheel_conda_overwrites)
                status.warning("wheel file replaces a conda package's file: " + w);
            for (const auto& w : rep.warnings) status.warning(w);
            if (rep.repaired) status.info("repaired an interrupted install in " + io.prefix.string());
            if (f->dry_run && !f->json) {
                std::cout << "environment '" << check.environment << "' in " << io.prefix.string()
                          << (rep.up_to_date ? ": up to date\n" : ": would change\n");
                if (!rep.up_to_date) print_plan(rep);
            }
            last.environment = check.environment;
            last.prefix = io.prefix.string();
            last.platform = check.platform;
            last.installed = rep.plan.install.size() + rep.plan.change.size() + rep.plan.wheel_install.size();
            last.removed = rep.plan.remove.size() + rep.plan.wheel_remove.size();
            last.unchanged = rep.plan.unchanged.size() + rep.plan.wheel_unchanged.size();
            if (rep.up_to_date) {
                last.installed = last.removed = 0;
                last.unchanged = sel.conda.size() + sel.pypi.size();
            }
            last.bytes_downloaded = status.snapshot().bytes_downloaded;
            last.seconds = secs;
            last.dry_run = f->dry_run;
            if (&check != &checks.back() && !f->json)
                for (const auto& line : format_summary(last, style)) status.info(line);
            out_envs.push_back(report_json(check.environment, check.platform, io.prefix, rep, secs, f->dry_run));
            out_envs.back()["bytes_downloaded"] = last.bytes_downloaded;
        }
        status.finish(f->json ? nullptr : &last);
        if (f->json) {
            nlohmann::json j;
            j["ok"] = true;
            j["lock_file"] = lock_path.string();
            j["environments"] = out_envs;
            j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::cout << base::redact(j.dump(2)) << "\n";
        }
        return 0;
    };
    c.wants_json = [f] { return f->json; };
    return c;
}

}  // namespace pixi_install::cli
