#include "signals.hpp"

#include <csignal>

namespace pixi_install::cli {

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }
}  // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // A closed terminal or a dropped ssh session stops the run the same way: rolled back,
    // builds killed, not cut off halfway.
    sigaction(SIGHUP, &sa, nullptr);
}

const std::atomic<bool>& interrupted_flag() { return g_interrupted; }

}  // namespace pixi_install::cli
