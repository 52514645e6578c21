// main() for test executables that read ../shared (the real-world corpus):
// when it is missing the whole executable reports "skipped" (exit 77), so it
// never passes vacuously.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "support.hpp"

int main(int argc, char** argv) {
    auto shared = pixi_install::test::shared_dir();
    if (shared.empty() || !std::filesystem::is_directory(shared / "corpus")) {
        std::fprintf(stderr, "skipped: ../shared (the corpus) is not present\n");
        return 77;
    }
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
