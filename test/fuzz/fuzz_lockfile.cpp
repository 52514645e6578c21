// libFuzzer target: the input is pixi.lock text. Parsing and selecting every
// environment/platform must end in a value or an ordinary error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pixi_install/lockfile/lockfile.hpp"

using namespace pixi_install;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto lock = lockfile::parse_lockfile(text, "<fuzz>", "/nonexistent");
    if (!lock.ok()) return 0;
    for (const auto& [env_name, env] : lock->environments)
        for (const auto& [platform, packages] : env.packages) {
            auto sel = lockfile::select(*lock, env_name, platform);
            (void)sel;
        }
    return 0;
}
