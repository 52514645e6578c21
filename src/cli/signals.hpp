// Private to cli: SIGINT/SIGTERM only set a flag; long operations poll it.
#pragma once

#include <atomic>

namespace pixi_install::cli {

void install_signal_handlers();
/// The flag the handlers set; pass it down as the cancellation token.
const std::atomic<bool>& interrupted_flag();

}  // namespace pixi_install::cli
