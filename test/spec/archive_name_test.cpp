#include <doctest/doctest.h>

#include "pixi_install/spec/archive_name.hpp"

using pixi_install::spec::ArchiveExt;
using pixi_install::spec::ArchiveName;
using pixi_install::spec::build_number_from_build;

TEST_CASE("archive names split from the right into name, version, build") {
    auto a = ArchiveName::parse("zlib-1.3.1-hb9d3cd8_2.conda");
    REQUIRE(a);
    CHECK(a->name == "zlib");
    CHECK(a->version == "1.3.1");
    CHECK(a->build == "hb9d3cd8_2");
    CHECK(a->ext == ArchiveExt::conda);
    CHECK(a->file_name() == "zlib-1.3.1-hb9d3cd8_2.conda");

    auto b = ArchiveName::parse("ld_impl_linux-64-2.43-h712a8e2_4.tar.bz2");
    REQUIRE(b);
    CHECK(b->name == "ld_impl_linux-64");  // names may contain '-'
    CHECK(b->version == "2.43");
    CHECK(b->build == "h712a8e2_4");
    CHECK(b->ext == ArchiveExt::tar_bz2);
    CHECK(b->stem() == "ld_impl_linux-64-2.43-h712a8e2_4");
}

TEST_CASE("non-archive names are refused") {
    CHECK_FALSE(ArchiveName::parse("zlib-1.3.1-hb9d3cd8_2.whl"));
    CHECK_FALSE(ArchiveName::parse("zlib-1.3.1.conda"));        // two parts
    CHECK_FALSE(ArchiveName::parse("-1.3.1-h0.conda"));         // empty name
    CHECK_FALSE(ArchiveName::parse("zlib--h0.conda"));          // empty version
    CHECK_FALSE(ArchiveName::parse("zlib-1.0-.conda"));         // empty build
    CHECK_FALSE(ArchiveName::parse(".conda"));
    CHECK_FALSE(ArchiveName::parse("dir/zlib-1.3.1-h0.conda"));  // not a bare file name
    CHECK_FALSE(ArchiveName::parse(""));
}

TEST_CASE("build numbers come from the trailing digits of the build string") {
    CHECK(build_number_from_build("py313hb6a6212_1") == 1u);
    CHECK(build_number_from_build("pyhd8ed1ab_100") == 100u);
    CHECK(build_number_from_build("conda_forge") == std::nullopt);
    CHECK(build_number_from_build("h2628c8c_0_cpython") == std::nullopt);
    CHECK(build_number_from_build("0") == 0u);
    CHECK(build_number_from_build("") == std::nullopt);
    CHECK(build_number_from_build("h_99999999999999999999999") == std::nullopt);  // overflow refused
}
