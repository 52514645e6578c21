// Conda version specs: operators, globs, fuzzy, ~=, and/or precedence.
#include <doctest/doctest.h>

#include "pixi_install/spec/match_spec.hpp"
#include "pixi_install/spec/version_spec.hpp"

using pixi_install::spec::Version;
using pixi_install::spec::VersionSpec;
namespace spec = pixi_install::spec;

namespace {

bool m(const char* spec, const char* version) {
    auto s = VersionSpec::parse(spec);
    REQUIRE_MESSAGE(s.ok(), spec);
    return s->matches(Version::parse(version).value());
}

}  // namespace

TEST_CASE("the glibc and cuda requirements found in locks") {
    CHECK(m(">=2.17,<3.0.a0", "2.35"));
    CHECK_FALSE(m(">=2.17,<3.0.a0", "2.12"));
    CHECK_FALSE(m(">=2.17,<3.0.a0", "3.0"));
    CHECK(m(">=12", "12.4"));
    CHECK_FALSE(m(">=12", "11.8"));
}

TEST_CASE("operators") {
    CHECK(m("==2.28", "2.28.0"));
    CHECK_FALSE(m("!=1.2.0", "1.2"));
    CHECK(m("<1.0", "0.9"));
    CHECK(m("<=1.0", "1.0.0"));
    CHECK(m(">1.0", "1.0.1"));
    CHECK(m("1.2", "1.2.0"));
    CHECK_FALSE(m("1.2", "1.2.3"));
}

TEST_CASE("prefix forms: V.*, V*, =V, !=V.*, ~=") {
    CHECK(m("1.2.*", "1.2.3"));
    CHECK(m("=1.2", "1.2.3"));
    CHECK(m("2.28.*", "2.28"));
    CHECK_FALSE(m("2.28.*", "2.2"));
    CHECK(m("1.0*", "1.0rc1"));
    CHECK_FALSE(m("!=1.0.*", "1.0.5"));
    CHECK(m("!=1.0.*", "1.1"));
    CHECK(m("~=0.5.3", "0.5.4"));
    CHECK_FALSE(m("~=0.5.3", "0.6"));
    CHECK_FALSE(m("~=0.5.3", "0.5.2"));
    CHECK(m("*", "0.0.1"));
    CHECK(VersionSpec::parse("*")->is_any());
}

TEST_CASE("and binds tighter than or; parentheses group") {
    CHECK(m(">=1,<2|>=3", "3.5"));
    CHECK_FALSE(m(">=1,<2|>=3", "2.5"));
    CHECK(m("(>=1|<0.5),<2", "1.5"));
    CHECK_FALSE(m("(>=1|<0.5),<2", "2.5"));
    CHECK(m(" >=1 , <2 ", "1.5"));
}

TEST_CASE("conda's string globs and regexes") {
    CHECK(m("1.*.3", "1.2.3"));
    CHECK_FALSE(m("1.*.3", "1.2.4"));
    CHECK(m("^1\\.0$", "1.0"));
    CHECK_FALSE(m("^2.*$", "1.0"));
}

TEST_CASE("rejected specs") {
    for (const char* bad : {"", ">= 1.0", "> =1.0", "~=1.*", ">=1,", "(>=1", "@1.0", "1.0.*.4,"}) {
        INFO(std::string(bad));
        CHECK_FALSE(VersionSpec::parse(bad).ok());
    }
}

TEST_CASE("lower bounds, for suggesting an override value") {
    CHECK(VersionSpec::parse(">=2.17,<3.0.a0")->lower_bound()->str() == "2.17");
    CHECK(VersionSpec::parse("12.*")->lower_bound()->str() == "12");
    CHECK(VersionSpec::parse(">=1|>=3")->lower_bound()->str() == "1");
    CHECK_FALSE(VersionSpec::parse("<3")->lower_bound().has_value());
    CHECK_FALSE(VersionSpec::parse("*")->lower_bound().has_value());
}

TEST_CASE("hostile specs stay fast: many-star globs, exponential regexes refused") {
    // Found by fuzz_spec: a glob with many stars used to become a backtracking regex.
    auto spec = spec::VersionSpec::parse("**.**,***.**,***********lic**");
    REQUIRE(spec.ok());
    auto v = spec::Version::parse("5.epna1l" + std::string(200, 'q') + "0");
    REQUIRE(v.ok());
    CHECK_FALSE(spec->matches(*v));
    CHECK(spec::VersionSpec::parse("1.*.3")->matches(*spec::Version::parse("1.2.3")));
    CHECK_FALSE(spec::VersionSpec::parse("^(1*)*$").ok());
    CHECK_FALSE(spec::MatchSpec::parse("pkg * ^(a+)+$").ok());
    CHECK(spec::VersionSpec::parse("^1\\.2.*$").ok());
    CHECK(spec::glob_match("py*_cpython", "py312h1_0_cpython"));
    CHECK_FALSE(spec::glob_match("py*_cpython", "py312"));
}

TEST_CASE("regular expressions outside the safe subset are refused, not compiled") {
    // Found by fuzz_spec: a huge back-reference number is undefined behaviour inside std::regex.
    CHECK_FALSE(spec::MatchSpec::parse("x * ^(1\\666666666666666666666666666666$").ok());
    CHECK_FALSE(spec::VersionSpec::parse("^1{2,3}$").ok());
    CHECK(spec::MatchSpec::parse("__archspec 1 ^x86_64.*$").ok());
    CHECK(spec::MatchSpec::parse("__archspec[build='^x86_64_v[34]$']").ok());
    CHECK(spec::MatchSpec::parse("__archspec[build='^(haswell|broadwell|skylake)$']").ok());
}

TEST_CASE("regular expressions with many quantifiers are refused (fuzzer-found hang)") {
    CHECK_FALSE(spec::VersionSpec::parse("^3***versi]io**|>|$").ok());
    CHECK_FALSE(spec::MatchSpec::parse("x * ^a*b*c*$").ok());
    CHECK(spec::MatchSpec::parse("x * ^a*b*$").ok());
    CHECK_FALSE(spec::MatchSpec::parse("x * ^.**o3 .$").ok());
}

TEST_CASE("deeply nested parentheses are refused, not recursed into (fuzzer-found stack overflow)") {
    CHECK_FALSE(spec::VersionSpec::parse(std::string(5000, '(') + "1.0" + std::string(5000, ')')).ok());
    CHECK(spec::VersionSpec::parse("((>=1,<2)|3.*)")->matches(*spec::Version::parse("1.5")));
}
