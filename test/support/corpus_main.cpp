// main() for the corpus test executables: they read PIXI_INSTALL_CORPUS (the sample in
// fixtures/corpus, or the full corpus for the corpus-full suite) and fail, never skip,
// when it is not there.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "support.hpp"

int main(int argc, char** argv) {
    auto corpus = pixi_install::test::corpus_dir();
    if (!std::filesystem::is_directory(corpus / "locks")) {
        std::fprintf(stderr, "the corpus %s has no locks/ directory\n", corpus.c_str());
        return 1;
    }
    std::printf("corpus: %s\n", corpus.c_str());
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
