// The PEP 517 / PEP 660 frontend: source tree → build environment → hooks → wheel.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "build_internal.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/manifest/workspace.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::build {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

/// The last `n` lines of a log, indented, for an error message.
std::string tail_of(const fs::path& log, std::size_t n) {
    auto text = base::read_file(log);
    if (!text.ok()) return {};
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text->size()) {
        auto nl = text->find('\n', pos);
        lines.push_back(text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? text->size() : nl + 1;
    }
    while (!lines.empty() && base::trim(lines.back()).empty()) lines.pop_back();
    std::string out;
    for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
        out += "\n  | " + base::printable(lines[i]);
    return out;
}

/// One build: its directories and how hooks are run.
class Build {
public:
    Build(const BuildRequest& r, fs::path work, fs::path log) : r_(r), work_(std::move(work)), log_(std::move(log)) {}

    Result<void> prepare_source() {
        if (r_.kind == SourceKind::directory) {
            src_ = r_.source;
            return {};
        }
        const fs::path dest = work_ / "src";
        archive::ExtractOptions eo;
        eo.cancel = r_.cancel;
        std::error_code ec;
        const auto size = fs::file_size(r_.source, ec);
        eo.max_unpacked_bytes = std::max<std::uint64_t>(ec ? 0 : size * 200, 4ULL << 30);
        auto x = archive::extract_source_archive(r_.source, r_.sdist_file_name, dest, eo);
        if (!x.ok()) return std::move(x).error().with_context("while unpacking the source distribution " + r_.sdist_file_name);
        // An sdist holds one top-level directory, `<name>-<version>/`.
        std::vector<fs::path> top;
        for (const auto& e : fs::directory_iterator(dest, ec)) top.push_back(e.path());
        if (top.size() == 1 && fs::is_directory(fs::symlink_status(top.front(), ec))) src_ = top.front();
        else src_ = dest;
        return {};
    }

    Result<void> read_build_system() {
        PI_TRY(bs_, manifest::load_build_system(src_));
        for (const auto& p : bs_.backend_path) {
            if (!base::path_problem(p).empty() && p != ".")
                return base::fail(ErrorKind::build, "the backend-path entry `" + base::printable(p) + "` of " +
                                                        r_.name + " is not a relative path inside the project");
            backend_path_.push_back((src_ / p).lexically_normal().string());
        }
        if (bs_.backend.empty() || bs_.backend.find_first_of("\n\r\0", 0, 3) != std::string::npos)
            return base::fail(ErrorKind::build, "the build backend of " + r_.name + " is not a module name");
        if (r_.on_start) r_.on_start(bs_.backend);
        return {};
    }

    /// The environment and interpreter every hook runs with.
    Result<void> prepare_runner() {
        PI_TRY_VOID(base::write_file_atomic(work_ / "runner.py", std::string(hook_runner_source())));
        prefix::ActivationInfo info = prefix::ActivationInfo::recorded(r_.prefix);
        if (!r_.environment_name.empty()) info.environment_name = r_.environment_name;
        std::map<std::string, std::string> base_env;
        for (const auto& kv : r_.env) {
            auto eq = kv.find('=');
            if (eq == std::string::npos) continue;
            const std::string k = kv.substr(0, eq);
            // The interpreter and its packages are the environment's, not the caller's.
            if (k == "PYTHONPATH" || k == "PYTHONHOME" || k == "PYTHONSTARTUP" || k == "PYTHONUSERBASE" ||
                k == "PIP_REQUIRE_VIRTUALENV" || k == "VIRTUAL_ENV" || k == "__PYVENV_LAUNCHER__")
                continue;
            base_env[k] = kv.substr(eq + 1);
        }
        auto env = prefix::activation_environment(info, base_env);
        const fs::path tmp = work_ / "tmp";
        PI_TRY_VOID(base::make_dirs(tmp));
        env["TMPDIR"] = tmp.string();
        env["PYTHONNOUSERSITE"] = "1";
        env["PYTHONDONTWRITEBYTECODE"] = "1";
        if (r_.isolated) {
            // What the build requirements install (meson, ninja, cython) is found on PATH, and
            // interpreters the backend starts see the requirements too, as with pip and uv.
            const fs::path env_prefix = work_ / "env";
            env["PATH"] = (env_prefix / r_.python.bin_dir).string() + ":" + env["PATH"];
            env["PYTHONPATH"] = (env_prefix / r_.python.site_packages).string();
        }
        if (r_.source_date_epoch) env["SOURCE_DATE_EPOCH"] = std::to_string(*r_.source_date_epoch);
        for (const auto& [k, v] : env) env_.push_back(k + "=" + v);
        PI_TRY(scripts_, prefix::activate_d_scripts(r_.prefix, prefix::Shell::sh));
        if (!scripts_.empty()) {
            PI_TRY(activation_, prefix::activation_script(info, prefix::Shell::sh, scripts_));
        }
        return {};
    }

    /// Calls `hook` with `kwargs`; its return value.
    Result<nlohmann::json> call(const std::string& hook, const nlohmann::json& kwargs) {
        const fs::path dir = work_ / ("hook-" + std::to_string(++calls_));
        PI_TRY_VOID(base::make_dirs(dir));
        nlohmann::json in;
        in["backend"] = bs_.backend;
        in["backend_path"] = backend_path_;
        in["kwargs"] = kwargs;
        in["site_dirs"] = site_dirs_;
        PI_TRY_VOID(base::write_file_atomic(dir / "input.json", in.dump()));
        const fs::path python = r_.prefix / r_.python.interpreter;
        // -I: no PYTHON* variables, no user site, not the script's directory on sys.path;
        // -S as well for an isolated build, so the environment's own site-packages stay out.
        // -B: no bytecode written (-I ignores PYTHONDONTWRITEBYTECODE); without isolation the
        // backend imports from the environment, whose files are all recorded.
        std::vector<std::string> cmd{python.string(), "-I", "-B"};
        if (r_.isolated) cmd.push_back("-S");
        cmd.push_back((work_ / "runner.py").string());
        cmd.push_back(hook);
        cmd.push_back(dir.string());
        std::vector<std::string> argv;
        if (scripts_.empty()) {
            argv = cmd;
        } else {
            // activate.d scripts (compilers' CC, CFLAGS, ...) are sourced by a shell first.
            argv = {"/bin/sh", "-c", activation_ + "exec \"$@\"\n", "pixi-install-build"};
            argv.insert(argv.end(), cmd.begin(), cmd.end());
        }
        {
            auto f = base::read_file(log_);
            std::string head = std::string(f.ok() && !f->empty() ? "\n" : "") + "== " + hook + " (" + bs_.backend +
                               ") in " + src_.string() + "\n";
            PI_TRY_VOID(append(head));
        }
        std::error_code ec;
        if (!fs::exists(python, ec))
            return base::fail(ErrorKind::build, "building " + r_.name + " needs the environment's interpreter, but " +
                                                    python.string() + " does not exist");
        PI_TRY(ProcessResult pr, run_logged(argv, env_, src_, log_, r_.cancel));
        auto out_text = base::read_file(dir / "output.json");
        nlohmann::json out = out_text.ok() ? nlohmann::json::parse(*out_text, nullptr, false) : nlohmann::json();
        std::string why;
        if (!out.is_object()) {
            why = "the hook runner ended with exit code " + std::to_string(pr.exit_code) + " and no result";
        } else if (out.value("no_backend", false)) {
            why = "the backend " + bs_.backend + " could not be imported" +
                  (r_.isolated ? " (is it among the build requirements?)" : " (is it installed in the environment?)");
            PI_TRY_VOID(append(out.value("traceback", "")));
        } else if (out.value("hook_missing", false)) {
            why = "the backend " + bs_.backend + " has no " + hook + " hook" +
                  (hook == "build_editable" ? " (it does not support editable installs, PEP 660)" : "");
        } else if (out.value("backend_error", false)) {
            PI_TRY_VOID(append(out.value("traceback", "")));
            why = "the backend's " + hook + " failed";
        } else if (!out.contains("return_val")) {
            why = "the hook runner gave no result";
        }
        if (why.empty() && pr.exit_code != 0) why = "the hook runner ended with exit code " + std::to_string(pr.exit_code);
        if (!why.empty())
            return base::fail(ErrorKind::build, "building " + r_.name + " failed: " + why + "; its last lines:" +
                                                    tail_of(log_, 15) + "\nthe full log: " + log_.string());
        return out["return_val"];
    }

    /// Installs what an isolated build needs into its own prefix.
    Result<void> install_requirements(const std::vector<std::string>& reqs, const std::string& why) {
        if (!r_.isolated || reqs.empty()) return {};
        spec::TagPython py;
        py.major = r_.python.major;
        py.minor = r_.python.minor;
        py.free_threaded = r_.python.site_packages.find("t/site-packages") != std::string::npos;
        PI_TRY(auto tags, spec::TagSet::from_env(r_.platform, py));
        auto markers = spec::pep508::MarkerEnvironment::for_platform(r_.subdir, r_.python_version);
        if (!markers) return base::fail(ErrorKind::build, "no marker environment for platform " + r_.subdir);
        const std::size_t before = chosen_.size();
        PI_TRY_VOID(choose_build_set(reqs, r_.find_links, r_.index, tags, *markers, r_.name + " (" + why + ")",
                                     chosen_));
        const fs::path env_prefix = work_ / "env";
        // The build environment's interpreter is the target's, so that its console scripts run.
        std::error_code lec;
        PI_TRY_VOID(base::make_dirs(env_prefix / r_.python.bin_dir));
        if (!fs::exists(fs::symlink_status(env_prefix / r_.python.interpreter, lec)))
            fs::create_symlink(r_.prefix / r_.python.interpreter, env_prefix / r_.python.interpreter, lec);
        for (std::size_t i = before; i < chosen_.size(); ++i) {
            prefix::WheelInstallOptions wo;
            wo.requested = false;
            wo.cancel = r_.cancel;
            wo.file_name = chosen_[i].dep.file_name;  // an index download is stored by its hash
            auto res = prefix::install_wheel(chosen_[i].path, env_prefix, r_.python, wo);
            if (!res.ok())
                return std::move(res).error().with_context("while installing the build dependency " +
                                                           chosen_[i].dep.file_name + " for " + r_.name);
        }
        site_dirs_ = {(env_prefix / r_.python.site_packages).string()};
        return {};
    }

    Result<BuiltWheel> run(const std::string& key, const std::string& identity) {
        identity_ = identity;
        PI_TRY_VOID(prepare_source());
        PI_TRY_VOID(read_build_system());
        PI_TRY_VOID(prepare_runner());
        if (r_.isolated) {
            PI_TRY_VOID(install_requirements(bs_.requirements, "build-system.requires"));
        } else {
            site_dirs_ = {(r_.prefix / r_.python.site_packages).string()};
        }
        const std::string kind = r_.editable ? "editable" : "wheel";
        PI_TRY(auto extra, call("get_requires_for_build_" + kind, nlohmann::json{{"config_settings", nullptr}}));
        std::vector<std::string> more;
        if (extra.is_array())
            for (const auto& e : extra)
                if (e.is_string()) more.push_back(e.get<std::string>());
        if (r_.isolated) {
            PI_TRY_VOID(install_requirements(more, "get_requires_for_build_" + kind));
        }
        const fs::path out_dir = work_ / "out";
        PI_TRY_VOID(base::make_dirs(out_dir));
        PI_TRY(auto ret, call("build_" + kind, nlohmann::json{{"wheel_directory", out_dir.string()},
                                                              {"config_settings", nullptr},
                                                              {"metadata_directory", nullptr}}));
        if (!ret.is_string())
            return base::fail(ErrorKind::build, "building " + r_.name + ": build_" + kind +
                                                    " did not return a file name; the full log: " + log_.string());
        const std::string file = ret.get<std::string>();
        if (!base::segment_problem(file).empty())
            return base::fail(ErrorKind::build, "building " + r_.name + ": the backend named its wheel `" +
                                                    base::printable(file) + "`, which is not a file name");
        PI_TRY(auto wn, spec::WheelName::parse(file));
        if (wn.normalized_name() != spec::normalize_pypi_name(r_.name))
            return base::fail(ErrorKind::integrity, "building " + r_.name + " gave a wheel of another package: " +
                                                        base::printable(file));
        std::error_code ec;
        if (!fs::is_regular_file(fs::symlink_status(out_dir / file, ec)))
            return base::fail(ErrorKind::build, "building " + r_.name + ": the backend's wheel " + file +
                                                    " is not in " + out_dir.string());
        std::vector<BuildDependency> set;
        for (const auto& c : chosen_) set.push_back(c.dep);
        return store_built(r_.cache_dir, key, out_dir / file, bs_.backend, set, r_.name, identity_);
    }

private:
    Result<void> append(const std::string& text) {
        int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) return base::fail_errno("cannot write the build log", log_.string(), errno);
        auto r = base::write_all(fd, text + (text.empty() || text.back() == '\n' ? "" : "\n"), log_.string());
        ::close(fd);
        return r;
    }

    const BuildRequest& r_;
    fs::path work_, log_, src_;
    manifest::BuildSystem bs_;
    std::vector<std::string> backend_path_, site_dirs_, env_;
    std::vector<fs::path> scripts_;
    std::string activation_;
    std::vector<ChosenWheel> chosen_;
    std::string identity_;
    int calls_ = 0;
};

}  // namespace

Result<BuiltWheel> build_wheel(const BuildRequest& r, const std::string& identity, bool ignore_cache) {
    const std::string key = cache_key(r, identity);
    if (!ignore_cache)
        if (auto hit = cached_wheel(r.cache_dir, key)) return *hit;
    const fs::path logs = r.cache_dir / "build-logs";
    PI_TRY_VOID(base::make_dirs(logs));
    PI_TRY_VOID(base::make_dirs(r.cache_dir / "build-tmp"));
    PI_TRY(base::TempDir work, base::TempDir::create(r.cache_dir / "build-tmp", "build-"));
    std::string safe_name = spec::normalize_pypi_name(r.name);
    if (!base::segment_problem(safe_name).empty()) safe_name = "package";
    const fs::path log = logs / (safe_name + "-" + key.substr(0, 12) + ".log");
    std::error_code ec;
    fs::remove(log, ec);
    Build b(r, work.path(), log);
    return b.run(key, identity);
}

}  // namespace pixi_install::build
