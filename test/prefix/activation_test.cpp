#include "pixi_install/prefix/activation.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/shell_quote.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;
using prefix::ActivationInfo;
using prefix::Shell;

namespace {

/// A small prefix: bin/demo-tool (prints a marker and $DEMO_ACTIVATED), two
/// activate.d scripts (sorted order is observable through DEMO_ORDER), and
/// one fish script that must not be sourced by sh.
fs::path make_prefix(const fs::path& root) {
    const fs::path p = root / "env with space";
    REQUIRE(base::make_dirs(p / "bin").ok());
    REQUIRE(base::make_dirs(p / "conda-meta").ok());
    REQUIRE(base::make_dirs(p / "etc/conda/activate.d").ok());
    REQUIRE(base::write_file_atomic(p / "bin/demo-tool",
                                    "#!/bin/sh\necho \"demo-tool ran, activated=$DEMO_ACTIVATED order=$DEMO_ORDER\"\n",
                                    false, 0755)
                .ok());
    REQUIRE(base::write_file_atomic(p / "etc/conda/activate.d/20-second.sh",
                                    "DEMO_ORDER=\"${DEMO_ORDER}b\"\nexport DEMO_ORDER\n")
                .ok());
    REQUIRE(base::write_file_atomic(p / "etc/conda/activate.d/10-first.sh",
                                    "export DEMO_ACTIVATED=1\nDEMO_ORDER=\"${DEMO_ORDER}a\"\n")
                .ok());
    REQUIRE(base::write_file_atomic(p / "etc/conda/activate.d/30-fish.fish", "set -gx DEMO_FISH 1\n").ok());
    return p;
}

/// Runs `cmd` through /bin/sh, returns its stdout; `status` gets the exit status.
std::string capture(const std::string& cmd, int& status) {
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    int st = ::pclose(f);
    status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

}  // namespace

TEST_CASE("activation: shell names") {
    CHECK(*prefix::parse_shell("bash") == Shell::bash);
    CHECK(*prefix::parse_shell("/usr/bin/zsh") == Shell::zsh);
    CHECK(*prefix::parse_shell("-bash") == Shell::bash);
    CHECK(*prefix::parse_shell("/bin/dash") == Shell::sh);
    CHECK(*prefix::parse_shell("fish") == Shell::fish);
    auto bad = prefix::parse_shell("tcsh");
    REQUIRE(!bad.ok());
    CHECK(bad.error().kind == base::ErrorKind::usage);
    CHECK(bad.error().message.find("tcsh") != std::string::npos);
}

TEST_CASE("activation: names from a pixi project layout") {
    auto info = ActivationInfo::for_prefix("/work/proj/.pixi/envs/prod");
    CHECK(info.prefix == fs::path("/work/proj/.pixi/envs/prod"));
    CHECK(info.environment_name == "prod");
    CHECK(info.project_root == fs::path("/work/proj"));

    auto plain = ActivationInfo::for_prefix("/opt/env/");
    CHECK(plain.environment_name == "env");
    CHECK(plain.project_root.empty());
}

TEST_CASE("activation: variables and environment") {
    ActivationInfo info;
    info.prefix = "/opt/env";
    info.environment_name = "prod";
    info.project_name = "shop";
    auto vars = prefix::activation_variables(info);
    REQUIRE(vars.size() == 4);
    CHECK(vars[0] == std::pair<std::string, std::string>{"CONDA_PREFIX", "/opt/env"});
    CHECK(vars[1] == std::pair<std::string, std::string>{"CONDA_DEFAULT_ENV", "prod"});
    CHECK(vars[2] == std::pair<std::string, std::string>{"PIXI_ENVIRONMENT_NAME", "prod"});
    CHECK(vars[3] == std::pair<std::string, std::string>{"PIXI_PROJECT_NAME", "shop"});

    auto env = prefix::activation_environment(info, {{"PATH", "/usr/bin:/bin"}, {"HOME", "/root"}});
    CHECK(env["PATH"] == "/opt/env/bin:/usr/bin:/bin");
    CHECK(env["HOME"] == "/root");
    CHECK(env["CONDA_PREFIX"] == "/opt/env");

    // No PATH at all: no empty entry (which would put the working directory on PATH).
    auto bare = prefix::activation_environment(info, {});
    CHECK(bare["PATH"] == "/opt/env/bin");
}

TEST_CASE("activation: a prefix or name holding a line feed is refused, comments stay comments") {
    ActivationInfo bad;
    bad.prefix = "/opt/a\ntouch pwned";
    auto r = prefix::activation_script(bad, Shell::sh, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::usage);
    ActivationInfo named;
    named.prefix = "/opt/env";
    named.environment_name = "x\recho pwned";
    CHECK_FALSE(prefix::activation_script(named, Shell::fish, {}).ok());
    ActivationInfo odd;
    odd.prefix = "/opt/$(touch c) `x`";
    auto sh = prefix::activation_script(odd, Shell::sh, {});
    REQUIRE(sh.ok());
    CHECK(sh->rfind("# Activates the environment '$(touch c) `x`' at '/opt/$(touch c) `x`' in", 0) == 0);
}

TEST_CASE("activation: script text lists activate.d scripts in byte order per shell") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path p = make_prefix(tmp->path());
    auto sh_scripts = prefix::activate_d_scripts(p, Shell::sh);
    REQUIRE(sh_scripts.ok());
    REQUIRE(sh_scripts->size() == 2);
    CHECK((*sh_scripts)[0].filename() == "10-first.sh");
    CHECK((*sh_scripts)[1].filename() == "20-second.sh");
    auto fish_scripts = prefix::activate_d_scripts(p, Shell::fish);
    REQUIRE(fish_scripts.ok());
    REQUIRE(fish_scripts->size() == 1);

    auto info = ActivationInfo::for_prefix(p);
    auto fish = prefix::activation_script(info, Shell::fish);
    REQUIRE(fish.ok());
    CHECK(fish->find("set -gx CONDA_PREFIX '" + p.string() + "'") != std::string::npos);
    CHECK(fish->find("30-fish.fish") != std::string::npos);
    CHECK(fish->find("10-first.sh") == std::string::npos);

    // A prefix without etc/conda/activate.d is fine.
    auto none = prefix::activate_d_scripts(tmp->path() / "missing", Shell::sh);
    REQUIRE(none.ok());
    CHECK(none->empty());
}

TEST_CASE("activation: activate.sh sourced by bash and sh runs the prefix's tools and activate.d") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path p = make_prefix(tmp->path());
    REQUIRE(prefix::write_activation_scripts(ActivationInfo::for_prefix(p)).ok());
    REQUIRE(fs::exists(p / "activate.sh"));
    REQUIRE(fs::exists(p / "activate.fish"));

    const std::string script = base::sh_quote((p / "activate.sh").string()).value();
    for (const char* shell : {"bash", "sh"}) {
        CAPTURE(shell);
        int status = -1;
        std::string out = capture(std::string("env -i PATH=/usr/bin:/bin ") + shell + " -c " +
                                      base::sh_quote(". " + script +
                                                       " && demo-tool && echo \"prefix=$CONDA_PREFIX\" && "
                                                       "echo \"env=$CONDA_DEFAULT_ENV\" && echo \"path=$PATH\"").value(),
                                  status);
        CHECK(status == 0);
        CHECK(out.find("demo-tool ran, activated=1 order=ab\n") != std::string::npos);
        CHECK(out.find("prefix=" + p.string() + "\n") != std::string::npos);
        CHECK(out.find("env=env with space\n") != std::string::npos);
        CHECK(out.find("path=" + p.string() + "/bin:/usr/bin:/bin\n") != std::string::npos);
    }
}

TEST_CASE("activation: the names install recorded are read back, whatever the prefix is called") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path p = make_prefix(tmp->path());
    // Nothing recorded: the directory's name.
    CHECK(ActivationInfo::recorded(p).environment_name == "env with space");

    ActivationInfo info = ActivationInfo::for_prefix(p);
    info.environment_name = "prod";
    info.project_name = "demo";
    REQUIRE(prefix::write_activation_scripts(info).ok());
    ActivationInfo back = ActivationInfo::recorded(p);
    CHECK(back.environment_name == "prod");
    CHECK(back.project_name == "demo");
    CHECK(back.prefix == p);
    auto vars = prefix::activation_variables(back);
    CHECK(std::find(vars.begin(), vars.end(), std::pair<std::string, std::string>{"PIXI_ENVIRONMENT_NAME", "prod"}) !=
          vars.end());

    // A garbled record, or one with a control character in a name, is not trusted.
    REQUIRE(base::write_file_atomic(prefix::activation_record_path(p), "{not json").ok());
    CHECK(ActivationInfo::recorded(p).environment_name == "env with space");
    REQUIRE(base::write_file_atomic(prefix::activation_record_path(p), "{\"environment\": \"a\\nb\"}").ok());
    CHECK(ActivationInfo::recorded(p).environment_name == "env with space");
}
