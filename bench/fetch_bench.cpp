// Times fetch::fetch_all alone (bench/fetch.sh).
//   fetch_bench CACHE_DIR LIST [JOBS]
// LIST: one artifact a line, "URL<TAB>SHA256<TAB>SIZE". Prints "bytes=B seconds=S files=N".
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "pixi_install/fetch/fetch.hpp"

using namespace pixi_install;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: fetch_bench CACHE_DIR LIST [JOBS]\n";
        return 2;
    }
    std::vector<fetch::Artifact> arts;
    std::ifstream in(argv[2]);
    std::string line;
    std::uint64_t total = 0;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        fetch::Artifact a;
        std::uint64_t size = 0;
        if (!(f >> a.url >> a.sha256 >> size)) continue;
        a.name = a.url.substr(a.url.rfind('/') + 1);
        a.size = size;
        total += size;
        arts.push_back(std::move(a));
    }
    fetch::FetchOptions o;
    o.cache_dir = argv[1];
    o.max_parallel = argc > 3 ? static_cast<unsigned>(std::stoul(argv[3])) : 16;
    auto t0 = std::chrono::steady_clock::now();
    auto r = fetch::fetch_all(arts, o, base::null_reporter());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
        std::cerr << "fetch_bench: " << r.error().to_string() << "\n";
        return 1;
    }
    std::printf("bytes=%llu seconds=%.3f files=%zu\n", static_cast<unsigned long long>(total), s, arts.size());
    return 0;
}
