// Conda version parsing and ordering (CEP 33).
#include <doctest/doctest.h>

#include <vector>

#include "pixi_install/spec/version.hpp"

using pixi_install::spec::Version;

namespace {

Version v(const char* s) {
    auto r = Version::parse(s);
    REQUIRE_MESSAGE(r.ok(), s);
    return std::move(r).value();
}

}  // namespace

TEST_CASE("the CEP 33 ordering chain") {
    const std::vector<const char*> chain = {"0.4",        "0.4.1.rc",    "0.4.1+local", "0.4.1",
                                            "0.4.2",      "0.5a1",       "0.5b3",       "0.5C1",
                                            "0.5",        "0.9.6",       "0.960923",    "1.0",
                                            "1.1dev1",    "1.1a1",       "1.1.0dev1",   "1.1.a1",
                                            "1.1.0rc1",   "1.1.0",       "1.1.0post1",  "1.1post1",
                                            "1996.07.12", "1!0.4.1",     "1!3.1.1.6",   "2!0.4.1"};
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        INFO(chain[i] << " < " << chain[i + 1]);
        CHECK(v(chain[i]) < v(chain[i + 1]));
    }
}

TEST_CASE("zero padding, case, separators and leading zeros") {
    CHECK(v("1.1") == v("1.1.0"));
    CHECK(v("1.1") == v("1.1.0.0"));
    CHECK(v("0.4.1") == v("0.4.1+0"));
    CHECK(v("1.01") == v("1.1"));
    CHECK(v("0.4.1.RC") == v("0.4.1.rc"));
    CHECK(v("1.2.3-1") == v("1.2.3_1"));
    CHECK(v("1.2.3-") == v("1.2.3_"));
    CHECK(v("1.0.1_") < v("1.0.1a"));
    CHECK(v("1.0.1a") < v("1.0.1"));
    CHECK(v("1.2.3__") > v("1.2.3_"));
    CHECK(v(" 2.28 ").str() == "2.28");
}

TEST_CASE("the a0 idiom and dev/post") {
    CHECK(v("3.0") > v("3.0.a0"));
    CHECK(v("3.0.0rc1") > v("3.0.a0"));
    CHECK(v("3.0.0dev0") < v("3.0.a0"));
    CHECK(v("1.1") < v("1.1.post1"));
    CHECK(v("1.1.post1") == v("1.1.0post1"));
    CHECK(v("1.0devel") > v("1.0a"));  // only an exact `dev` is special
}

TEST_CASE("big numbers compare numerically without overflow") {
    CHECK(v("1.99999999999999999999") > v("1.18446744073709551616"));
    CHECK(v("18446744073709551616") > v("18446744073709551615"));
}

TEST_CASE("starts_with: prefix matching for V.* and =V") {
    CHECK(v("1.2.3").starts_with(v("1.2")));
    CHECK(v("1.0").starts_with(v("1.0.0")));
    CHECK(v("1.0rc1").starts_with(v("1.0")));
    CHECK_FALSE(v("1.20").starts_with(v("1.2")));
    CHECK_FALSE(v("2.2").starts_with(v("2.28")));
    CHECK_FALSE(v("1!1.0").starts_with(v("1.0")));
    CHECK(v("1.0+abc1").starts_with(v("1.0+abc")));
    CHECK_FALSE(v("1.0.1+abc").starts_with(v("1.0+abc")));
}

TEST_CASE("invalid versions are errors naming the text") {
    for (const char* bad : {"", "1..0", "1.0.", "1_2-3", "1!2!3", "1+2+3", "a!1.0", "1.0+", "1.0*", "1 0", "+1"}) {
        INFO(std::string(bad));
        auto r = Version::parse(bad);
        CHECK_FALSE(r.ok());
    }
    CHECK(Version::parse("1_2-3").error().message.find("'1_2-3'") != std::string::npos);
}
