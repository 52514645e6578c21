// The table of subcommands, in --help order.
#include "command.hpp"

namespace pixi_install::cli {

std::vector<Command> all_commands() {
    std::vector<Command> c;
    return c;
}

}  // namespace pixi_install::cli
