#include <doctest/doctest.h>

#include <algorithm>

#include "pixi_install/spec/wheel_name.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

using namespace pixi_install;
using spec::OsVersion;
using spec::TagOs;
using spec::TagPlatform;
using spec::TagPython;
using spec::TagSet;
using spec::WheelName;

namespace {

TagSet tags_for(TagPlatform plat, int minor, bool free_threaded = false) {
    TagPython py;
    py.minor = minor;
    py.free_threaded = free_threaded;
    auto s = TagSet::from_env(plat, py);
    REQUIRE(s.ok());
    return std::move(s).value();
}

TagPlatform linux_glibc(int minor, std::string arch = "x86_64") {
    TagPlatform p;
    p.os = TagOs::linux;
    p.arch = std::move(arch);
    p.glibc = OsVersion{2, minor};
    return p;
}

std::optional<std::size_t> check(const TagSet& s, std::string_view file) {
    auto w = WheelName::parse(file);
    REQUIRE(w.ok());
    return s.compatible(*w);
}

}  // namespace

TEST_CASE("wheel names: plain, build tag, compressed tag sets") {
    auto w = WheelName::parse("simple_namespace-1.0-py2.py3-none-any.whl");
    REQUIRE(w.ok());
    CHECK(w->distribution == "simple_namespace");
    CHECK(w->normalized_name() == "simple-namespace");
    CHECK(w->version == "1.0");
    CHECK(w->build_tag.empty());
    CHECK(w->python_tags == std::vector<std::string>{"py2", "py3"});
    CHECK(w->expanded_tags().size() == 2);
    CHECK(w->expanded_tags()[1].to_string() == "py3-none-any");

    auto b = WheelName::parse("build_tag-1.0.0-1-py2.py3-none-any.whl");
    REQUIRE(b.ok());
    CHECK(b->build_tag == "1");
    CHECK(b->version == "1.0.0");

    auto m = WheelName::parse("uv_build-0.8.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    REQUIRE(m.ok());
    CHECK(m->platform_tags == std::vector<std::string>{"manylinux_2_17_x86_64", "manylinux2014_x86_64"});
}

TEST_CASE("wheel names: invalid ones are refused") {
    CHECK_FALSE(WheelName::parse("invalid.whl").ok());
    CHECK_FALSE(WheelName::parse("foo-1.0.tar.gz").ok());
    CHECK_FALSE(WheelName::parse("foo-1.0-x-py3-none-any.whl").ok());  // build tag must start with a digit
    CHECK_FALSE(WheelName::parse("foo-1.0-py3-none.whl").ok());
    CHECK_FALSE(WheelName::parse("foo-1.0-py3..py2-none-any.whl").ok());
    auto e = WheelName::parse("invalid.whl");
    CHECK(e.error().kind == base::ErrorKind::integrity);
    CHECK(e.error().message.find("invalid.whl") != std::string::npos);
}

TEST_CASE("wheel names: the torch %2B location from PyTorch's index") {
    auto w = WheelName::from_location(
        "https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl#sha256=abc");
    REQUIRE(w.ok());
    CHECK(w->distribution == "torch");
    CHECK(w->version == "2.5.1+cu124");
    CHECK(w->public_version() == "2.5.1");
    CHECK(w->file_name == "torch-2.5.1+cu124-cp312-cp312-linux_x86_64.whl");
    // The plain linux_x86_64 platform tag is accepted on Linux, like pip and uv do.
    auto s = tags_for(linux_glibc(28), 12);
    CHECK(s.compatible(*w).has_value());
    // ... but not for another python
    CHECK_FALSE(tags_for(linux_glibc(28), 11).compatible(*w).has_value());
}

TEST_CASE("percent decoding and location file names") {
    CHECK(spec::percent_decode("a%2Bb%2bc%zz%4") == "a+b+c%zz%4");
    CHECK(spec::location_file_name("file:///x/y/pkg-1.0-py3-none-any.whl?x=1") == "pkg-1.0-py3-none-any.whl");
    CHECK(spec::location_file_name("../wheels/a%20b.whl") == "a b.whl");
    CHECK(spec::normalize_pypi_name("Foo.Bar__baz-") == "foo-bar-baz-");
}

TEST_CASE("manylinux tags follow the declared glibc") {
    auto s = tags_for(linux_glibc(28), 12);
    CHECK(check(s, "numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-manylinux_2_34_x86_64.whl").has_value());
    CHECK(check(s, "x-1.0-cp312-cp312-manylinux1_x86_64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-manylinux_2_17_aarch64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-musllinux_1_1_x86_64.whl").has_value());
    // the order of the platform list: newest glibc first, legacy aliases after their minor, linux_ last
    const auto& p = s.platform_tags();
    REQUIRE(p.size() >= 4);
    CHECK(p.front() == "manylinux_2_28_x86_64");
    CHECK(p.back() == "linux_x86_64");
    auto at = [&](std::string_view t) { return std::find(p.begin(), p.end(), t) - p.begin(); };
    CHECK(at("manylinux2014_x86_64") == at("manylinux_2_17_x86_64") + 1);
    CHECK(at("manylinux2010_x86_64") == at("manylinux_2_12_x86_64") + 1);
    CHECK(at("manylinux1_x86_64") == at("manylinux_2_5_x86_64") + 1);
    // aarch64 starts at 2.17
    auto a = tags_for(linux_glibc(28, "aarch64"), 12);
    CHECK(a.platform_tags().size() == 28 - 17 + 1 + 1 + 1);
}

TEST_CASE("musllinux tags") {
    TagPlatform p;
    p.arch = "x86_64";
    p.musl = OsVersion{1, 2};
    auto s = tags_for(p, 12);
    CHECK(check(s, "x-1.0-cp312-cp312-musllinux_1_1_x86_64.whl").has_value());
    CHECK(check(s, "x-1.0-cp312-cp312-musllinux_1_2_x86_64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-musllinux_1_3_x86_64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl").has_value());
    CHECK(s.platform_tags() == std::vector<std::string>{"musllinux_1_2_x86_64", "musllinux_1_1_x86_64",
                                                         "musllinux_1_0_x86_64", "linux_x86_64"});
}

TEST_CASE("macOS tags") {
    TagPlatform p;
    p.os = TagOs::macos;
    p.arch = "arm64";
    p.macos = OsVersion{14, 0};
    auto s = tags_for(p, 12);
    CHECK(check(s, "x-1.0-cp312-cp312-macosx_11_0_arm64.whl").has_value());
    CHECK(check(s, "x-1.0-cp312-cp312-macosx_14_0_arm64.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-macosx_15_0_arm64.whl").has_value());
    CHECK(check(s, "x-1.0-cp36-abi3-macosx_10_9_universal2.whl").has_value());
    CHECK_FALSE(check(s, "x-1.0-cp312-cp312-macosx_10_9_x86_64.whl").has_value());
    CHECK(s.platform_tags().front() == "macosx_14_0_arm64");

    p.arch = "x86_64";
    p.macos = OsVersion{10, 15};
    auto x = tags_for(p, 12);
    CHECK(check(x, "x-1.0-cp312-cp312-macosx_10_9_x86_64.whl").has_value());
    CHECK_FALSE(check(x, "x-1.0-cp312-cp312-macosx_11_0_x86_64.whl").has_value());
    CHECK(x.platform_tags().front() == "macosx_10_15_x86_64");
}

TEST_CASE("python and ABI tags") {
    auto s311 = tags_for(linux_glibc(28), 11);
    CHECK_FALSE(check(s311, "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl").has_value());
    CHECK(check(s311, "x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl").has_value());

    auto s312 = tags_for(linux_glibc(28), 12);
    CHECK(check(s312, "abi3_package-1.0.0-cp38-abi3-manylinux_2_17_x86_64.whl").has_value());
    CHECK_FALSE(check(s312, "x-1.0-cp313-abi3-manylinux_2_17_x86_64.whl").has_value());
    CHECK(check(s312, "x-1.0-py3-none-any.whl").has_value());
    CHECK(check(s312, "x-1.0-py2.py3-none-any.whl").has_value());
    CHECK_FALSE(check(s312, "x-1.0-py2-none-any.whl").has_value());
    CHECK_FALSE(check(s312, "test-1.0-py2.py3-none-win32.whl").has_value());

    // priorities: exact ABI beats abi3 beats pure python
    auto exact = check(s312, "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl");
    auto abi3 = check(s312, "x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl");
    auto pure = check(s312, "x-1.0-py3-none-any.whl");
    REQUIRE((exact && abi3 && pure));
    CHECK(*exact < *abi3);
    CHECK(*abi3 < *pure);
    CHECK(s312.tags().front().to_string() == "cp312-cp312-manylinux_2_28_x86_64");
    CHECK(s312.tags().back().to_string() == "py30-none-any");

    // free-threaded python: its own ABI, no abi3
    auto ft = tags_for(linux_glibc(28), 13, true);
    CHECK(check(ft, "x-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl").has_value());
    CHECK_FALSE(check(ft, "x-1.0-cp313-cp313-manylinux_2_17_x86_64.whl").has_value());
    CHECK_FALSE(check(ft, "x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl").has_value());
}

TEST_CASE("platform descriptions that cannot produce tags are refused") {
    TagPlatform p;
    p.arch = "x86_64";  // linux without libc version
    CHECK(TagSet::from_env(p, TagPython{}).error().kind == base::ErrorKind::host);
    TagPlatform w;
    w.os = TagOs::windows;
    w.arch = "x86_64";
    TagPython py;
    py.minor = 12;
    auto s = TagSet::from_env(w, py);
    REQUIRE(s.ok());
    CHECK(check(*s, "x-1.0-cp312-cp312-win_amd64.whl").has_value());
}

TEST_CASE("classifying locked PyPI locations") {
    using K = spec::PypiSourceKind;
    CHECK(spec::classify_pypi_location("https://files.pythonhosted.org/x/numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", false) == K::wheel);
    CHECK(spec::classify_pypi_location("https://files.pythonhosted.org/x/foo-1.0.tar.gz", false) == K::sdist);
    CHECK(spec::classify_pypi_location("direct+https://example.com/foo-1.0.zip", false) == K::sdist);
    CHECK(spec::classify_pypi_location("git+https://github.com/o/r.git?rev=main#abc123", false) == K::git);
    CHECK(spec::classify_pypi_location("./libs/mypkg", false) == K::directory);
    CHECK(spec::classify_pypi_location("./libs/mypkg", true) == K::editable);
    CHECK(spec::classify_pypi_location("file:///work/mypkg", false) == K::directory);
    CHECK(spec::classify_pypi_location("../wheels/foo-1.0-py3-none-any.whl", false) == K::wheel);
    CHECK(spec::classify_pypi_location("https://example.com/simple/foo/", false) == K::unknown);
    CHECK(spec::classify_pypi_location("", false) == K::unknown);
    auto r = spec::pypi_source_remedy(K::sdist, "foo");
    CHECK(r.find("--skip foo") != std::string::npos);
    CHECK(r.find("--no-pypi") != std::string::npos);
    CHECK(spec::pypi_source_remedy(K::wheel, "foo").empty());
}
