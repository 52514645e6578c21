// Times extract_conda_package / extract_zip over archives given on the command line:
//   archive_bench SCRATCH_DIR REPEAT ARCHIVE...
// prints, per archive, the best wall time of REPEAT runs, then the total of the bests.
// The last extraction of each archive stays in SCRATCH_DIR/bench-N (removing it is
// not part of the measurement).
// Not a test: timings go to a human (see scripts in the report), never to an assertion.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SCRATCH_DIR REPEAT ARCHIVE...\n", argv[0]);
        return 2;
    }
    fs::path scratch = argv[1];
    int repeat = std::max(1, std::atoi(argv[2]));
    double total = 0;
    for (int i = 3; i < argc; ++i) {
        fs::path a = argv[i];
        double best = 1e100;
        for (int r = 0; r < repeat; ++r) {
            fs::path dest = scratch / ("bench-" + std::to_string(i));
            (void)base::remove_tree(dest);
            auto t0 = std::chrono::steady_clock::now();
            auto fmt = archive::format_from_name(a.filename().string());
            auto res = fmt && *fmt == archive::Format::wheel ? archive::extract_zip(a, dest)
                                                             : archive::extract_conda_package(a, dest);
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (!res) {
                std::fprintf(stderr, "%s: %s\n", a.filename().c_str(), res.error().to_string().c_str());
                break;
            }
            best = std::min(best, s);
        }
        if (best < 1e100) {
            std::printf("%-60s %9.2f ms\n", a.filename().c_str(), best * 1e3);
            total += best;
        }
    }
    std::printf("%-60s %9.2f ms\n", "TOTAL (sum of best)", total * 1e3);
    return 0;
}
