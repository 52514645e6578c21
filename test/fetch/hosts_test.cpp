// no_proxy matching and rattler's credential lookup keys.
#include <doctest/doctest.h>

#include "pixi_install/fetch/hosts.hpp"

using namespace pixi_install;
using namespace pixi_install::fetch;

TEST_CASE("bypasses_proxy reads no_proxy as curl does") {
    CHECK(bypasses_proxy("*", "anything.example"));
    CHECK(bypasses_proxy("example.org", "example.org"));
    CHECK(bypasses_proxy("example.org", "a.b.example.org"));
    CHECK(bypasses_proxy(".example.org", "a.example.org"));
    CHECK(bypasses_proxy(".example.org", "example.org"));
    CHECK_FALSE(bypasses_proxy("example.org", "badexample.org"));
    CHECK(bypasses_proxy("localhost, 127.0.0.1", "127.0.0.1"));
    CHECK(bypasses_proxy("a.com,B.Example.ORG", "x.b.example.org"));
    CHECK(bypasses_proxy("[::1]", "[::1]"));
    CHECK_FALSE(bypasses_proxy("", "example.org"));
    CHECK_FALSE(bypasses_proxy("127.0.0.1", "127.0.0.10"));
}

TEST_CASE("credential_keys: host, then s3 prefixes, then wildcards, as rattler looks them up") {
    CHECK(credential_keys("https://repo.prefix.dev/conda-forge/x.conda") ==
          std::vector<std::string>{"repo.prefix.dev", "*.repo.prefix.dev", "*.prefix.dev", "*.dev"});
    CHECK(credential_keys("https://User@Example.ORG:8443/a") ==
          std::vector<std::string>{"example.org", "*.example.org", "*.org"});
    CHECK(credential_keys("s3://bucket/ch/noarch/a.conda") ==
          std::vector<std::string>{"bucket", "s3://bucket/ch/noarch/a.conda", "s3://bucket/ch/noarch", "s3://bucket/ch",
                                   "s3://bucket"});
    CHECK(credential_keys("http://[::1]:80/x") == std::vector<std::string>{"[::1]"});
    CHECK(credential_keys("not a url").empty());
}

TEST_CASE("credential_keys: an IPv4 address has no wildcard domains") {
    CHECK(credential_keys("http://127.0.0.1:8080/x") == std::vector<std::string>{"127.0.0.1"});
}
