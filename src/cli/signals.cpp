#include "signals.hpp"

#include <csignal>
#include <initializer_list>

namespace pixi_install::cli {

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }
}  // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // A closed terminal or a dropped ssh session (SIGHUP) stops the run as Ctrl-C does:
    // rolled back, builds killed, not cut off halfway; under `nohup` (SIGHUP ignored) it
    // stays ignored. SIGINT and SIGTERM always stop the run cleanly.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction old {};
        if (sig == SIGHUP && sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sig, &sa, nullptr);
    }
}

const std::atomic<bool>& interrupted_flag() { return g_interrupted; }

}  // namespace pixi_install::cli
