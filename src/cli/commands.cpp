// The table of subcommands, in --help order.
#include "command.hpp"

namespace pixi_install::cli {

std::vector<Command> all_commands() {
    std::vector<Command> c;
    c.push_back(make_install_command());
    c.push_back(make_pack_command());
    c.push_back(make_list_command());
    c.push_back(make_check_command());
    c.push_back(make_info_command());
    c.push_back(make_verify_command());
    c.push_back(make_shell_hook_command());
    c.push_back(make_run_command());
    return c;
}

}  // namespace pixi_install::cli
