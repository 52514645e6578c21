// MatchSpec forms used in `depends`.
#include <doctest/doctest.h>

#include "pixi_install/spec/match_spec.hpp"

using pixi_install::spec::MatchSpec;
using pixi_install::spec::Version;

namespace {

bool m(const char* spec, const char* version, const char* build = "0") {
    auto s = MatchSpec::parse(spec);
    REQUIRE_MESSAGE(s.ok(), spec);
    return s->matches(s->name(), Version::parse(version).value(), build);
}

}  // namespace

TEST_CASE("name, version spec, build") {
    auto s = MatchSpec::parse("__glibc >=2.17,<3.0.a0").value();
    CHECK(s.name() == "__glibc");
    REQUIRE(s.version());
    CHECK(s.version()->str() == ">=2.17,<3.0.a0");
    CHECK_FALSE(s.build());
    CHECK(m("__glibc >=2.17,<3.0.a0", "2.35"));
    CHECK_FALSE(m("__glibc >=2.17,<3.0.a0", "3.0"));
    CHECK(m("__cuda", "11.2"));
    CHECK_FALSE(s.matches("__cuda", Version::parse("2.35").value(), "0"));
}

TEST_CASE("positional forms") {
    CHECK(m("__glibc 2.28", "2.28.0"));
    CHECK_FALSE(m("__glibc 2.28", "2.28.1"));
    CHECK(m("__glibc=2.28", "2.28.1"));
    CHECK(m("__glibc =2", "2.28"));
    CHECK(m("__glibc =2 0", "2.28"));  // CEP 29: fuzzy
    CHECK(m("__glibc=2.28=0", "2.28"));
    CHECK_FALSE(m("__glibc=2.28=0", "2.28.1"));
    CHECK(m("__glibc >= 2.17", "2.28"));
    CHECK(m("conda-forge::__glibc >=2.17", "2.28"));
}

TEST_CASE("archspec builds: exact, V=B, globs, regexes, brackets") {
    CHECK(m("__archspec 1 x86_64_v3", "1", "x86_64_v3"));
    CHECK_FALSE(m("__archspec 1 x86_64_v3", "1", "skylake"));
    CHECK(m("__archspec 1=skylake", "1", "skylake"));
    CHECK(m("__archspec 1 X86_64", "1", "x86_64"));  // exact build strings ignore case
    CHECK(m("__archspec 1.* x86_64*", "1", "x86_64_v4"));
    CHECK(m("__archspec[version='1.*', build='^(haswell|skylake)$']", "1", "skylake"));
    CHECK_FALSE(m("__archspec[version='1.*', build='^(haswell|skylake)$']", "1", "zen2"));
    CHECK_FALSE(m("__glibc >=2.17 0 extra", "2.28"));
}

TEST_CASE("rejected match specs") {
    for (const char* bad : {"", ">=1.0", "__glibc[foo=bar]", "__glibc 2.*.1", "__glibc[version='1.0'", "__glibc >=1,<<2"}) {
        INFO(std::string(bad));
        CHECK_FALSE(MatchSpec::parse(bad).ok());
    }
}

TEST_CASE("repeated trailing globs: `1.*.*` is accepted in a match spec, read by conda's rule") {
    CHECK(m("numpy 1.*.*", "1.26.4"));
    CHECK_FALSE(m("numpy 1.*.*", "1"));  // conda: a glob over the text, two more dots needed
    CHECK_FALSE(m("numpy 1.*.*", "2.0.0"));
    CHECK(m("numpy >=1.20,1.*.*", "1.26.4"));
    CHECK(m("numpy[version='1.2.*.*']", "1.2.3.4"));
    CHECK_FALSE(m("numpy 1.2.*.*", "1.3.0.0"));
    // a glob inside a version is still refused in a match spec
    CHECK_FALSE(MatchSpec::parse("numpy 1.*.3").ok());
}
