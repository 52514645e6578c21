// PEP 440 / PEP 508 against the tables in pep440_cases.tsv and pep508_markers.tsv
// (whose expectations check_pep_tables.py verifies with python3-packaging).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pixi_install/spec/pep440.hpp"
#include "pixi_install/spec/pep508.hpp"
#include "support.hpp"

using namespace pixi_install::spec;

namespace {

std::vector<std::vector<std::string>> table(const char* name) {
    std::string path = (pixi_install::test::source_dir() / "test" / "spec" / name).string();
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::vector<std::vector<std::string>> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        std::string c;
        while (std::getline(ss, c, '\t')) cols.push_back(c);
        out.push_back(cols);
    }
    return out;
}

}  // namespace

TEST_CASE("pep440: the specifier table") {
    auto rows = table("pep440_cases.tsv");
    CHECK(rows.size() > 30);
    for (const auto& r : rows) {
        REQUIRE(r.size() == 3);
        auto v = pep440::Version::parse(r[0]);
        auto s = pep440::Specifiers::parse(r[1]);
        REQUIRE_MESSAGE(v.ok(), r[0]);
        REQUIRE_MESSAGE(s.ok(), r[1]);
        CHECK_MESSAGE(s->contains(*v) == (r[2] == "1"), r[0] << " in " << r[1]);
    }
}

TEST_CASE("pep440: normalisation and order") {
    CHECK(pep440::Version::parse("1.0-RC1")->str() == "1.0rc1");
    CHECK(pep440::Version::parse("v1!2.0.post3.dev4+Ubuntu-1")->str() == "1!2.0.post3.dev4+ubuntu.1");
    CHECK(pep440::Version::min().str() == "0a0.dev0");
    const char* order[] = {"1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+abc", "1.0+5", "1.0.post1.dev1", "1.0.post1", "1.1"};
    for (std::size_t i = 0; i + 1 < std::size(order); ++i)
        CHECK_MESSAGE(pep440::Version::parse(order[i])->compare(*pep440::Version::parse(order[i + 1])) < 0, order[i]);
    CHECK(pep440::Version::parse("1.0")->compare(*pep440::Version::parse("1.0.0")) == 0);
    CHECK_FALSE(pep440::Version::parse("1.0+").ok());
    CHECK_FALSE(pep440::Version::parse("abc").ok());
    CHECK_FALSE(pep440::Specifier::parse("~=1").ok());
    CHECK_FALSE(pep440::Specifier::parse(">=1.*").ok());
    CHECK(pep440::Specifiers::parse(">=1.0,<2")->str() == ">=1.0, <2");
    CHECK(pep440::normalize_name("Foo.Bar__baz") == "foo-bar-baz");
}

TEST_CASE("pep508: the marker table") {
    auto rows = table("pep508_markers.tsv");
    CHECK(rows.size() > 15);
    for (const auto& r : rows) {
        REQUIRE(r.size() == 5);
        auto m = pep508::Marker::parse(r[0]);
        REQUIRE_MESSAGE(m.ok(), r[0]);
        auto env = pep508::MarkerEnvironment::for_platform(r[1], r[2]);
        REQUIRE(env);
        std::vector<std::string> extras;
        if (r[3] != "-") {
            std::stringstream ss(r[3]);
            std::string e;
            while (std::getline(ss, e, ',')) extras.push_back(pep440::normalize_name(e));
        }
        CHECK_MESSAGE(m->evaluate(*env, extras) == (r[4] == "1"), r[0] << " on " << r[1]);
    }
}

TEST_CASE("pep508: requirements parse and print as uv does") {
    auto r = pep508::Requirement::parse("ipython >=7.8.0 ; extra == 'jupyter'");
    REQUIRE(r.ok());
    CHECK(r->str() == "ipython>=7.8.0 ; extra == 'jupyter'");
    auto u = pep508::Requirement::parse("sniffio @ git+https://github.com/python-trio/sniffio.git@v1.3.1");
    REQUIRE(u.ok());
    REQUIRE(u->url);
    CHECK(*u->url == "git+https://github.com/python-trio/sniffio.git@v1.3.1");
    auto e = pep508::Requirement::parse("Black[Jupyter,d] (>=22.0, <25) ; python_version >= \"3.8\"");
    REQUIRE(e.ok());
    CHECK(e->normalized_name == "black");
    CHECK(e->extras == std::vector<std::string>{"jupyter", "d"});
    CHECK(e->str() == "Black[jupyter,d]>=22.0, <25 ; python_version >= '3.8'");
    CHECK_FALSE(pep508::Requirement::parse("foo ; bogus_var == '1'").ok());
    CHECK_FALSE(pep508::Requirement::parse("[x]").ok());
    CHECK_FALSE(pep508::Marker::parse("python_version <").ok());
    CHECK(pep508::MarkerEnvironment::for_platform("wasi-wasm32", "3.12.0") == std::nullopt);
}
