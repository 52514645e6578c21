#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/process.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

/// Runs `script` with /bin/sh as `spec` says (argv and output filled in) and returns its exit code.
int run_sh(base::ChildSpec spec, const std::string& script) {
    spec.argv = {"/bin/sh", "-c", script};
    auto pid = base::spawn_child(spec, "the test shell");
    REQUIRE(pid.ok());
    int status = 0;
    while (::waitpid(*pid, &status, 0) < 0) REQUIRE(errno == EINTR);
    return base::exit_code_of(status);
}

/// The classic signals (1 to 31) of the set `field` ("SigBlk", "SigIgn") in `status` lines; the
/// real-time signals above them include the C library's own, which no program may change.
unsigned long long classic_signals(const std::string& status, const std::string& field) {
    auto at = status.find(field + ":");
    REQUIRE(at != std::string::npos);
    at = status.find_first_not_of(" \t", at + field.size() + 1);  // a tab in /proc, a space from the shell
    REQUIRE(at != std::string::npos);
    return std::stoull(status.substr(at, 16), nullptr, 16) & 0x7fffffffULL;
}

std::string read(const fs::path& p) {
    auto r = base::read_file(p);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("a child runs with exactly its environment, in its directory, output and errors in one file") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ChildSpec spec;
    spec.env = {"ONLY=this"};
    spec.cwd = tmp->path();
    spec.output = tmp->path() / "out";
    // No HOME or PATH of ours reaches it; stdin is /dev/null (read gives end of file at once).
    CHECK(run_sh(spec, "echo \"$ONLY:${HOME-unset}:$(pwd)\"; echo err >&2; read x || echo eof; exit 3") == 3);
    CHECK(read(spec.output) == "this:unset:" + fs::canonical(tmp->path()).string() + "\nerr\neof\n");

    // Replaced, or added to.
    CHECK(run_sh(spec, "echo second") == 0);
    CHECK(read(spec.output) == "second\n");
    spec.append = true;
    CHECK(run_sh(spec, "echo third") == 0);
    CHECK(read(spec.output) == "second\nthird\n");
}

TEST_CASE("a child of its own group is the group's leader, with no signal blocked or ignored") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ChildSpec spec;
    spec.output = tmp->path() / "out";
    // What this process blocks and ignores would otherwise be inherited.
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &usr1, &old) == 0);
    struct sigaction ign {}, old_act {};
    ign.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGUSR2, &ign, &old_act) == 0);
    // /proc/PID/stat of the shell: pid, then (comm), state, ppid, pgrp. Only shell built-ins:
    // the child's environment has no PATH.
    const std::string script =
        "read -r pid comm state ppid pgrp rest < /proc/$$/stat; [ \"$pid\" = \"$pgrp\" ] && echo leader; "
        "while read -r k v; do case $k in SigBlk:|SigIgn:) echo \"$k $v\";; esac; done < /proc/$$/status";
    spec.own_group = true;
    CHECK(run_sh(spec, script) == 0);
    const std::string own = read(spec.output);
    spec.own_group = false;
    CHECK(run_sh(spec, script) == 0);
    const std::string shared = read(spec.output);
    // This thread's own sets (it may have been started with more ignored: a background job
    // ignores SIGINT and SIGQUIT).
    const std::string mine = read("/proc/thread-self/status");
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::sigaction(SIGUSR2, &old_act, nullptr);

    INFO(own, shared, mine);
    CHECK(own.rfind("leader\n", 0) == 0);
    CHECK(classic_signals(own, "SigBlk") == 0);
    CHECK(classic_signals(own, "SigIgn") == 0);
    CHECK(shared.find("leader") == std::string::npos);
    // Otherwise the child has this thread's sets: signal N is bit N - 1, SIGUSR1 (10) blocked and
    // SIGUSR2 (12) ignored among them.
    CHECK((classic_signals(mine, "SigBlk") & (1ULL << (SIGUSR1 - 1))) != 0);
    CHECK((classic_signals(mine, "SigIgn") & (1ULL << (SIGUSR2 - 1))) != 0);
    CHECK(classic_signals(shared, "SigBlk") == classic_signals(mine, "SigBlk"));
    CHECK(classic_signals(shared, "SigIgn") == classic_signals(mine, "SigIgn"));
}

TEST_CASE("a child's end: its exit code, or 128 + the signal that ended it") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ChildSpec spec;
    spec.output = tmp->path() / "out";
    CHECK(run_sh(spec, "exit 0") == 0);
    CHECK(run_sh(spec, "exit 42") == 42);
    CHECK(run_sh(spec, "kill -TERM $$") == 128 + SIGTERM);
}

TEST_CASE("a program that cannot be started is an error that names it") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    base::ChildSpec spec;
    spec.output = tmp->path() / "out";
    spec.argv = {(tmp->path() / "missing").string()};
    auto r = base::spawn_child(spec, "the post-link script");
    REQUIRE(!r.ok());
    CHECK(r.error().message.find("cannot run the post-link script") != std::string::npos);
    CHECK(r.error().message.find("missing") != std::string::npos);
    spec.argv.clear();
    auto none = base::spawn_child(spec, "");
    REQUIRE(!none.ok());
    CHECK(none.error().message.find("no program") != std::string::npos);
}
