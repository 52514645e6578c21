// Times install_wheel alone: installs the given wheels into a prefix, one
// after the other (or on N workers with -j N), and prints the elapsed time.
//
// usage: wheels_bench [-j N] PREFIX PYTHON_VERSION WHEEL...
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/wheel.hpp"

using namespace pixi_install;

int main(int argc, char** argv) {
    std::size_t jobs = 1;
    int i = 1;
    if (argc > 2 && std::string(argv[1]) == "-j") {
        jobs = static_cast<std::size_t>(std::atoi(argv[2]));
        i = 3;
    }
    if (argc - i < 3) {
        std::fprintf(stderr, "usage: wheels_bench [-j N] PREFIX PYTHON_VERSION WHEEL...\n");
        return 2;
    }
    const std::filesystem::path prefix = argv[i];
    auto python = spec::PythonInfo::from_record(argv[i + 1], std::nullopt);
    if (!python) {
        std::fprintf(stderr, "%s\n", python.error().to_string().c_str());
        return 2;
    }
    std::vector<std::filesystem::path> wheels(argv + i + 2, argv + argc);
    std::atomic<std::size_t> files{0};
    std::atomic<int> failures{0};
    auto one = [&](std::size_t k) {
        auto r = prefix::install_wheel(wheels[k], prefix, *python);
        if (!r) {
            std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
            ++failures;
            return;
        }
        files += r->files.size();
    };
    const auto t0 = std::chrono::steady_clock::now();
    if (jobs <= 1) {
        for (std::size_t k = 0; k < wheels.size(); ++k) one(k);
    } else {
        base::ThreadPool pool(jobs);
        pool.parallel_for(wheels.size(), one);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("installed %zu wheels, %zu files in %.4f s\n", wheels.size(), files.load(), s);
    std::printf("seconds: %.6f\n", s);
    return failures ? 1 : 0;
}
