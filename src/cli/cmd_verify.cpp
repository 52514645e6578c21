// `pixi-install verify -p PREFIX [--json] [--extra] [-j N]`: every file recorded in
// conda-meta (and in the RECORD of installed wheels) present with its recorded
// hash. Drift exits with 4 (integrity).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "pixi_install/base/fs.hpp"
#include "env_location.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/verify.hpp"
#include "usage.hpp"

namespace pixi_install::cli {

namespace {

struct VerifyCliOptions {
    LocationFlags where;
    bool json = false;
    bool extra = false;
    std::size_t jobs = 0;
};

/// The command that repairs what verify found: the packages it names relinked from the cache.
std::string repair_advice(const std::string& prefix, const prefix::VerifyReport& r) {
    std::set<std::string> names;
    for (const auto& i : r.issues) {
        if (i.package.empty()) continue;
        // "<name>-<version>-<build>" for conda packages, "<name>-<version>.dist-info" for wheels.
        std::string n = i.package;
        const std::string di = ".dist-info";
        if (n.size() > di.size() && n.compare(n.size() - di.size(), di.size(), di) == 0) {
            n.resize(n.find('-'));
        } else {
            for (int dashes = 0; dashes < 2; ++dashes) {
                auto d = n.rfind('-');
                if (d == std::string::npos || d == 0) break;
                n.resize(d);
            }
        }
        names.insert(n);
    }
    std::string cmd = "pixi-install install -l <lock> -p " + prefix;
    if (names.empty() || names.size() > 5) return cmd + " --reinstall";
    for (const auto& n : names) cmd += " --reinstall-package " + n;
    return cmd;
}

std::string render_json(const std::string& prefix, const prefix::VerifyReport& r) {
    nlohmann::ordered_json j;
    j["ok"] = r.ok();
    j["prefix"] = prefix;
    j["packages"] = r.packages;
    j["wheels"] = r.wheels;
    j["files_checked"] = r.files;
    j["bytes_hashed"] = r.bytes_hashed;
    nlohmann::ordered_json issues = nlohmann::ordered_json::array();
    for (const auto& i : r.issues) {
        nlohmann::ordered_json e;
        e["kind"] = prefix::issue_kind_name(i.kind);
        e["path"] = i.path;
        e["package"] = i.package.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(i.package);
        e["expected"] = i.expected.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(i.expected);
        e["actual"] = i.actual.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(i.actual);
        issues.push_back(std::move(e));
    }
    j["issues"] = std::move(issues);
    if (!r.ok()) {
        j["error"] = {{"kind", base::kind_name(base::ErrorKind::integrity)},
                      {"exit_code", base::exit_code(base::ErrorKind::integrity)},
                      {"message", std::to_string(r.issues.size()) + " file(s) differ from what was installed"},
                      {"repair", repair_advice(prefix, r)}};
    }
    return base::redact(j.dump(2)) + "\n";
}

void render_text(const std::string& prefix, const prefix::VerifyReport& r, const Globals& g) {
    for (const auto& i : r.issues) {
        std::cout << prefix::issue_kind_name(i.kind) << ": " << i.path;
        if (!i.package.empty()) std::cout << " (" << i.package << ")";
        if (i.kind == prefix::IssueKind::modified && !i.actual.empty()) {
            std::cout << ": ";
            if (!i.expected.empty()) std::cout << "expected " << i.expected << ", ";
            std::cout << "got " << i.actual;
        }
        std::cout << "\n";
    }
    if (g.quiet && r.ok()) return;
    if (r.ok()) {
        std::cerr << "verified " << r.files << " files of " << r.packages << " conda package(s)"
                  << (r.wheels ? " and " + std::to_string(r.wheels) + " wheel(s)" : std::string()) << " in "
                  << prefix << ": all match\n";
    } else {
        std::cerr << "error: " << r.issues.size() << " of " << r.files << " recorded files in " << prefix
                  << " differ from what was installed; repair with: " << repair_advice(prefix, r) << "\n";
    }
}

}  // namespace

Command make_verify_command() {
    auto o = std::make_shared<VerifyCliOptions>();
    Command c;
    c.name = "verify";
    c.setup = [o](CLI::App& sub, Globals&) {
        sub.description("Check that every recorded file of a prefix is present with its recorded hash");
        add_location_flags(sub, o->where, "The environment prefix to verify");
        sub.add_flag("--json", o->json, "Write a JSON document");
        sub.add_flag("--extra", o->extra, "Also report files that no package recorded");
        sub.add_option("-j,--jobs", o->jobs, "Hashing threads (default: all cores)")->check(whole_number_at_least(0, 4096));
    };
    c.run = [o](Globals& g) -> RunResult {
        base::ThreadPool pool(o->jobs);
        prefix::VerifyOptions vo;
        vo.extra = o->extra;
        const std::string prefix = o->where.prefix.empty() ? located_prefix(o->where).string() : o->where.prefix;
        PI_TRY_VOID(install::require_finished(base::absolute_normal(std::filesystem::path(prefix))));
        PI_TRY(prefix::VerifyReport report, prefix::verify_prefix(prefix, vo, pool));
        if (o->json) std::cout << render_json(prefix, report) << std::flush;
        else render_text(prefix, report, g);
        return report.ok() ? 0 : base::exit_code(base::ErrorKind::integrity);
    };
    c.wants_json = [o] { return o->json; };
    return c;
}

}  // namespace pixi_install::cli
