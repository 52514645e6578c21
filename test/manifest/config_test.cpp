#include <doctest/doctest.h>

#include "pixi_install/manifest/auth_file.hpp"
#include "pixi_install/manifest/config.hpp"

using namespace pixi_install;
using namespace pixi_install::manifest;

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

TEST_CASE("config: TLS and proxy keys") {
    auto c = parse_config("tls-ca-cert = \"/etc/ca.pem\"\ntls-no-verify = true\n[proxy-config]\n"
                          "https = \"http://p:3128\"\nnon-proxy-hosts = [\"a\", \".b\"]\n",
                          "c.toml");
    REQUIRE(c.ok());
    CHECK(*c->tls_ca_cert == "/etc/ca.pem");
    CHECK(*c->tls_no_verify);
    CHECK(*c->proxy.https == "http://p:3128");
    CHECK_FALSE(c->proxy.http);
    CHECK(c->proxy.non_proxy_hosts == std::vector<std::string>{"a", ".b"});
    auto bad = parse_config("[proxy-config]\nhttps = \"p:3128\"\n", "c.toml");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("c.toml:2") != std::string::npos);
    CHECK(bad.error().message.find("proxy-config.https") != std::string::npos);
    CHECK_FALSE(parse_config("tls-no-verify = \"yes\"\n", "c.toml").ok());
}

TEST_CASE("pixi's config: the download keys are read, pixi's other keys are left alone") {
    auto c = parse_pixi_config(R"(
default-channels = ["conda-forge"]
tls-no-verify = false
authentication-override-file = "/auth.json"
concurrent-downloads = 5
[concurrency]
downloads = 7
solves = 2
[mirrors]
"https://conda.anaconda.org/conda-forge" = ["https://prefix.dev/conda-forge", "https://mirror.example/cf"]
[proxy-config]
http = "http://proxy:8080"
[s3-options.my-bucket]
endpoint-url = "http://127.0.0.1:9000"
region = "eu-west-1"
force-path-style = true
[shell]
change-ps1 = false
[pypi-config]
index-url = "https://pypi.example/simple"
)",
                               "pixi.toml");
    REQUIRE(c.ok());
    CHECK(*c->concurrent_downloads == 7);  // concurrency.downloads wins over the deprecated key
    CHECK_FALSE(*c->tls_no_verify);
    CHECK(*c->authentication_override_file == "/auth.json");
    REQUIRE(c->mirrors.size() == 1);
    CHECK(c->mirrors[0].second == "https://prefix.dev/conda-forge");
    CHECK(*c->proxy.http == "http://proxy:8080");
    REQUIRE(c->s3_options.count("my-bucket"));
    CHECK(c->s3_options.at("my-bucket").endpoint_url == "http://127.0.0.1:9000");
    CHECK(c->s3_options.at("my-bucket").region == "eu-west-1");
    CHECK(c->s3_options.at("my-bucket").force_path_style);

    auto bad = parse_pixi_config("[s3-options.b]\nregion = \"x\"\n", "p.toml");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("endpoint-url") != std::string::npos);
    auto bad2 = parse_pixi_config("[concurrency]\ndownloads = 0\n", "p.toml");
    REQUIRE_FALSE(bad2.ok());
    CHECK(bad2.error().message.find("p.toml:2") != std::string::npos);
}

TEST_CASE("rattler's auth file: the four kinds, OAuth skipped, errors never show secrets") {
    auto a = parse_auth_file(R"({
  "Prefix.dev": {"BearerToken": "tok"},
  "*.example.org": {"BasicHTTP": {"username": "u", "password": "p"}},
  "conda.example.org": {"CondaToken": "ct"},
  "s3://bucket/x": {"S3Credentials": {"access_key_id": "AK", "secret_access_key": "SK", "session_token": null}},
  "oauth.example": {"OAuth": {"access_token": "a", "token_endpoint": "https://t", "client_id": "c"}}
})",
                             "creds.json");
    REQUIRE(a.ok());
    CHECK(a->size() == 4);
    CHECK(a->at("prefix.dev").kind == AuthEntry::Kind::bearer);  // hosts are lower-cased
    CHECK(a->at("*.example.org").password == "p");
    CHECK(a->at("conda.example.org").token == "ct");
    CHECK(a->at("s3://bucket/x").secret_access_key == "SK");
    CHECK(a->at("s3://bucket/x").session_token.empty());
    auto bad = parse_auth_file(R"({"h": {"BasicHTTP": {"username": "u", "password": 5}}, "k": {"BearerToken": "sekrit"}})",
                               "creds.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("creds.json") != std::string::npos);
    CHECK(bad.error().message.find("sekrit") == std::string::npos);
    CHECK_FALSE(parse_auth_file("[1, 2]", "creds.json").ok());
    CHECK_FALSE(parse_auth_file("{not json", "creds.json").ok());
}
