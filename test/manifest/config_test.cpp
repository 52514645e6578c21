#include <doctest/doctest.h>

#include "pixi_install/manifest/config.hpp"

using namespace pixi_install;

TEST_CASE("config: mirrors (string or pixi's list form), tokens, downloads") {
    auto c = manifest::parse_config(R"(
concurrent-downloads = 8
[mirrors]
"https://conda.anaconda.org/conda-forge" = "https://mirror.example.org/cf"
"https://pypi.org/simple" = ["file:///srv/pypi", "https://other"]
[bearer-tokens]
"Prefix.DEV" = "pfx_123"
)", "config.toml");
    REQUIRE(c.ok());
    REQUIRE(c->mirrors.size() == 2);
    CHECK(c->mirrors[0].first == "https://conda.anaconda.org/conda-forge");
    CHECK(c->mirrors[0].second == "https://mirror.example.org/cf");
    CHECK(c->mirrors[1].second == "file:///srv/pypi");
    CHECK(c->bearer_tokens.at("prefix.dev") == "pfx_123");
    CHECK(*c->concurrent_downloads == 8);
}

TEST_CASE("config: errors name the file, the line and the key") {
    auto c = manifest::parse_config("[mirrors]\n\"https://a\" = 3\n", "cfg.toml");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().kind == base::ErrorKind::usage);
    CHECK(c.error().message.find("cfg.toml:2") == 0);
    CHECK(c.error().message.find("https://a") != std::string::npos);
    auto unknown = manifest::parse_config("mirror = 1\n", "cfg.toml");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("unknown key `mirror`") != std::string::npos);
    auto syntax = manifest::parse_config("[mirrors\n", "cfg.toml");
    REQUIRE_FALSE(syntax.ok());
    CHECK(syntax.error().message.find("cfg.toml:1") == 0);
    CHECK_FALSE(manifest::parse_config("concurrent-downloads = 0\n", "c").ok());
}
