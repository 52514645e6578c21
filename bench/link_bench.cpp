// Times linking extracted conda packages into a prefix the way the install
// pipeline does (read info, link, write the conda-meta record), packages in
// parallel on N workers, and prints the elapsed time. Compare with
// `cp -al` of the same payload (bench/link.sh).
//
// usage: link_bench [-j N] [-m auto|reflink|hardlink|copy] PREFIX PKG_DIR...
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"

using namespace pixi_install;

int main(int argc, char** argv) {
    std::size_t jobs = 1;
    prefix::LinkMode mode = prefix::LinkMode::automatic;
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "-j") jobs = static_cast<std::size_t>(std::atoi(argv[i + 1]));
        else if (a == "-m") mode = *prefix::parse_link_mode(argv[i + 1]);
        else break;
    }
    if (argc - i < 2) {
        std::fprintf(stderr, "usage: link_bench [-j N] [-m MODE] PREFIX PKG_DIR...\n");
        return 2;
    }
    const std::filesystem::path target = argv[i];
    std::vector<std::filesystem::path> pkgs(argv + i + 1, argv + argc);
    auto python = *spec::PythonInfo::from_record("3.12.0", std::nullopt);
    if (!prefix::prepare_conda_meta(target).ok()) return 1;
    prefix::LinkProbe probe;
    std::atomic<std::size_t> files{0};
    std::atomic<int> failures{0};
    auto t0 = std::chrono::steady_clock::now();
    base::ThreadPool pool(jobs);
    pool.parallel_for(pkgs.size(), [&](std::size_t k) {
        auto info = prefix::read_package_info(pkgs[k]);
        if (!info) {
            std::fprintf(stderr, "%s\n", info.error().to_string().c_str());
            ++failures;
            return;
        }
        prefix::LinkOptions o;
        o.mode = mode;
        o.python = python;
        o.probe = &probe;
        auto r = prefix::link_package(pkgs[k], *info, target, o);
        if (!r) {
            std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
            ++failures;
            return;
        }
        prefix::PackageRecord pr;
        prefix::complete_from_index(pr, info->index);
        auto rec = prefix::make_prefix_record(pr, std::move(r->paths), r->link_type, pkgs[k].string());
        if (!prefix::write_prefix_record(target, rec).ok()) ++failures;
        files += rec.files.size();
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("linked %zu packages, %zu files in %.3f s (mode %s, -j %zu)\n", pkgs.size(), files.load(), s,
                prefix::link_mode_name(mode), jobs);
    return failures ? 1 : 0;
}
