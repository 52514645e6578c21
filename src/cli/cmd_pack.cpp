// `pixi-install pack`: write an offline bundle (directory or .tar) of every artifact
// of the chosen environments/platforms, verified, with the lock and a manifest.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "common.hpp"
#include "fetch_options.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/install/pack.hpp"
#include "progress.hpp"

namespace pixi_install::cli {

namespace {

struct PackFlags {
    std::string lock = "pixi.lock";
    std::vector<std::string> environments;
    std::vector<std::string> platforms;
    std::string output;
    bool ignore_non_wheels = false;
    std::vector<std::string> find_links;
    std::vector<std::string> inject;
    FetchFlags fetch;
};

}  // namespace

Command make_pack_command() {
    auto f = std::make_shared<PackFlags>();
    Command c;
    c.name = "pack";
    c.setup = [f](CLI::App& sub, Globals&) {
        sub.description("Bundle every artifact of the chosen environments for offline installs "
                        "(`pixi-install --offline --bundle OUT`)");
        sub.add_option("-l,--lock", f->lock, "The lock file, or a directory holding pixi.lock")->capture_default_str();
        sub.add_option("-e,--environment", f->environments, "Environment to bundle (repeatable; default: default)");
        sub.add_option("--platform", f->platforms,
                       "Platform to bundle, as named in the lock (repeatable; default: all the environment has)");
        sub.add_option("-o,--output", f->output, "Output: a directory, or a file ending in .tar")->required();
        sub.add_flag("--ignore-pypi-non-wheel", f->ignore_non_wheels,
                     "Leave out (with a warning) PyPI entries that are not wheels, instead of failing");
        sub.add_option("--find-links", f->find_links,
                       "A directory of wheels to bundle as build dependencies of the lock's source packages "
                       "(repeatable); `install --bundle` builds with them, offline");
        sub.add_option("--inject", f->inject,
                       "Bundle this .conda/.tar.bz2 or .whl in place of the lock's record of that package (a "
                       "conda_source record, or a PyPI source entry); installs from the bundle use it (repeatable)");
        add_fetch_flags(sub, f->fetch, /*with_bundle=*/true);
    };
    c.run = [f](Globals& g) -> RunResult {
        install::PackOptions o;
        o.lock = f->lock;
        o.environments = f->environments;
        o.platforms = f->platforms;
        o.output = f->output;
        o.ignore_non_wheels = f->ignore_non_wheels;
        for (const auto& d : f->find_links) o.find_links.push_back(base::absolute_normal(d));
        for (const auto& d : f->inject) o.inject.push_back(base::absolute_normal(d));
        PI_TRY(o.fetch, make_fetch_options(g, f->fetch, resolve_lock_path(f->lock).parent_path()));
        OutputStyle style = output_style(g);
        LinePrinter printer(stderr, style.interactive, style.width);
        StatusPrinter status(style, printer);
        auto r = status.drive([&] { return install::pack(o, status); });
        status.finish();
        if (!r) return std::move(r).error();
        if (!g.quiet)
            std::cerr << "packed " << r->artifacts << " artifact" << (r->artifacts == 1 ? "" : "s") << " ("
                      << format_bytes(r->bytes) << ") into " << f->output << "\n";
        return 0;
    };
    c.wants_json = [] { return false; };
    return c;
}

}  // namespace pixi_install::cli
