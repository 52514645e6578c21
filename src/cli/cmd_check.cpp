// `pixi-install check`: can this machine run the lock's environments, and would `install`
// accept them? Exit 0, 3 (host), 1 (what install refuses before fetching) or 7 (--locked).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "common.hpp"
#include "pixi_install/install/preflight.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/satisfy/satisfy.hpp"

namespace pixi_install::cli {

namespace {

struct CheckFlags {
    std::string lock = "pixi.lock";
    std::vector<std::string> environments;
    std::string platform;
    std::string manifest;
    bool locked = false;
    bool frozen = false;
    bool json = false;
};

nlohmann::json requirement_json(const host::Requirement& r) {
    nlohmann::json j;
    j["spec"] = r.spec;
    j["name"] = r.name;
    j["satisfied"] = r.satisfied;
    j["enforced"] = r.enforced;
    j["required_by"] = r.required_by;
    j["host"] = r.host ? nlohmann::json(*r.host) : nlohmann::json();
    j["override"] = r.override_variable.empty() ? nlohmann::json() : nlohmann::json(r.override_variable);
    j["suggestion"] = r.suggested_override.empty() ? nlohmann::json() : nlohmann::json(r.suggested_override);
    return j;
}

nlohmann::json environment_json(const EnvironmentCheck& c) {
    nlohmann::json j;
    j["environment"] = c.environment;
    j["platform"] = c.platform;
    j["subdir"] = c.subdir;
    j["ok"] = c.ok();
    j["skipped"] = c.skipped;
    j["warnings"] = c.warnings;
    nlohmann::json reqs = nlohmann::json::array();
    for (const auto& r : c.report.requirements) reqs.push_back(requirement_json(r));
    j["requirements"] = std::move(reqs);
    j["wheels"] = c.wheel_problems;
    return j;
}

std::string by_list(const std::vector<std::string>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < 4; ++i) out += (i ? ", " : "") + v[i];
    if (v.size() > 4) out += ", +" + std::to_string(v.size() - 4) + " more";
    return out;
}

std::string render_text(const EnvironmentCheck& c) {
    std::ostringstream out;
    out << "environment '" << c.environment << "' on " << c.platform;
    if (c.subdir != c.platform) out << " (" << c.subdir << ")";
    if (c.skipped) {
        out << ": not checked\n";
        return out.str();
    }
    auto unmet = c.report.unmet().size();
    out << ": " << (unmet == 0 ? "ok" : "cannot run here") << " (" << c.report.requirements.size()
        << " requirement" << (c.report.requirements.size() == 1 ? "" : "s");
    if (unmet) out << ", " << unmet << " not met";
    out << ")\n";
    for (const auto& r : c.report.requirements) {
        const char* mark = r.satisfied ? "ok  " : r.enforced ? "FAIL" : "info";
        out << "  " << mark << "  " << r.spec << "  [host: " << (r.host ? *r.host : "none") << "]  needed by "
            << by_list(r.required_by) << "\n";
        if (!r.satisfied && r.enforced && !r.suggested_override.empty())
            out << "        to mock it: " << r.suggested_override << "\n";
    }
    for (const auto& w : c.wheel_problems) out << "  FAIL  " << w << "\n";
    return out.str();
}

}  // namespace

Command make_check_command() {
    auto f = std::make_shared<CheckFlags>();
    Command c;
    c.name = "check";
    c.setup = [f](CLI::App& sub, Globals&) {
        sub.description("Check that `install` would succeed here: this machine meets the environment's "
                        "requirements (__glibc, __cuda, ...) and every package can be installed from the lock");
        sub.add_option("-l,--lock", f->lock, "The lock file, or a directory holding pixi.lock")->capture_default_str();
        sub.add_option("-e,--environment", f->environments, "Environment to check (repeatable; default: default)");
        sub.add_option("--platform", f->platform, "Platform of the lock to check (default: the one this host runs)");
        sub.add_option("--manifest", f->manifest,
                       "Manifest with [system-requirements] (default: pixi.toml or pyproject.toml next to the lock)");
        sub.add_flag("--locked", f->locked,
                     "Also check that the lock satisfies its manifest, as `pixi install --locked` does (exit 7 when it "
                     "is out of date); needs no artifacts and no network");
        sub.add_flag("--frozen", f->frozen, "Accepted for pixi compatibility: the lock is used as it is");
        sub.add_flag("--json", f->json, "Write a JSON report");
    };
    c.run = [f](Globals& g) -> RunResult {
        auto lock_path = resolve_lock_path(f->lock);
        PI_TRY(lockfile::LockFile lock, lockfile::load_lockfile(lock_path));
        std::vector<std::string> warnings;
        PI_TRY(auto manifest, load_manifest_for(lock_path, f->manifest, warnings));
        PI_TRY(HostView host, probe_and_detect(g));
        for (const auto& w : host.packages.warnings) warnings.push_back(w);

        if (f->locked && f->frozen) return base::fail(base::ErrorKind::usage, "--locked and --frozen exclude each other");
        std::optional<satisfy::Report> stale;
        if (f->locked) {
            PI_TRY(satisfy::Report r, check_locked(lock, lock_path, f->manifest));
            stale = std::move(r);
        }
        std::vector<std::string> envs = f->environments;
        if (envs.empty()) envs.push_back("default");
        std::vector<EnvironmentCheck> results;
        std::vector<std::string> skipped_host;  // --locked: host checks that could not run here
        for (const auto& e : envs) {
            auto r = check_environment(lock, e, f->platform, manifest, host.packages, false);
            if (!r && f->locked && r.error().kind == base::ErrorKind::host) {
                // no platform of the lock runs here: the staleness answer stands on its own
                skipped_host.push_back("host check of environment '" + e + "' skipped: " + r.error().message);
                continue;
            }
            if (!r) return std::move(r).error();
            results.push_back(std::move(r).value());
        }
        bool ok = true;
        for (const auto& r : results) ok = ok && r.ok();
        // What `install` refuses before fetching (sources it cannot build, unmet python needs),
        // refused here with the same words and exit code.
        for (const auto& r : results) {
            if (!r.ok()) continue;
            PI_TRY(lockfile::Selection sel, lockfile::select(lock, r.environment, r.platform));
            install::InstallOptions io;
            PI_TRY_VOID(install::check_installable(install::filter_selection(sel, io), io));
        }
        bool is_stale = stale && !stale->ok();

        if (!g.quiet)
            for (const auto& w : warnings) std::cerr << "warning: " << base::redact(w) << "\n";
        for (const auto& r : results)
            if (!g.quiet)
                for (const auto& w : r.warnings) std::cerr << "warning: " << base::redact(w) << "\n";
        if (f->json) {
            nlohmann::json j;
            j["ok"] = ok;
            j["lock_file"] = lock_path.string();
            j["manifest"] = manifest ? nlohmann::json(manifest->path.string()) : nlohmann::json();
            j["host_platform"] = host.packages.subdir;
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& r : results) arr.push_back(environment_json(r));
            j["environments"] = std::move(arr);
            if (stale) {
                j["stale"] = stale_json(*stale);
                j["host_check_skipped"] = skipped_host;
            }
            if (is_stale) {
                j["ok"] = false;
                j["exit_code"] = base::exit_code(base::ErrorKind::stale);
                base::Error e = stale_error(*stale);
                j["error"] = {{"kind", base::kind_name(e.kind)}, {"exit_code", 7}, {"message", e.message}, {"context", e.context}};
            } else if (!ok) {
                j["exit_code"] = base::exit_code(base::ErrorKind::host);
            }
            std::cout << base::redact(j.dump(2)) << "\n";
            if (is_stale) {
                std::cerr << "error: " << base::redact(stale_error(*stale).message) << "\n";
                return base::exit_code(base::ErrorKind::stale);
            }
            return ok ? 0 : base::exit_code(base::ErrorKind::host);
        }
        if (!g.quiet) {
            for (const auto& r : results) std::cout << render_text(r);
            for (const auto& s : skipped_host) std::cout << s << "\n";
            if (stale && stale->ok()) std::cout << "the lock file satisfies the manifest (--locked)\n";
        }
        std::cout << std::flush;
        if (is_stale) return stale_error(*stale);
        if (ok) return 0;
        base::Error err;
        for (const auto& r : results) {
            if (r.ok()) continue;
            base::Error e = environment_error(r);
            if (err.message.empty()) err = std::move(e);
            else err.message += "\n" + e.message;
        }
        return err;
    };
    c.wants_json = [f] { return f->json; };
    return c;
}

}  // namespace pixi_install::cli
