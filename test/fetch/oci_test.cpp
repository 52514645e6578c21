// OCI mirror naming and the registry protocol's pure parts (rattler's rules).
#include <doctest/doctest.h>

#include "pixi_install/fetch/oci.hpp"

using namespace pixi_install::fetch;

TEST_CASE("a package maps to repository <path>/<subdir>/<name> and tag <version>-<build>") {
    auto r = parse_oci_url("oci://ghcr.io/channel-mirrors/conda-forge/linux-64/xtensor-0.25.0-h2ffa867_0.conda");
    REQUIRE(r.ok());
    CHECK(r->scheme == "https");
    CHECK(r->registry == "ghcr.io");
    CHECK(r->repository == "channel-mirrors/conda-forge/linux-64/xtensor");
    CHECK(r->tag == "0.25.0-h2ffa867_0");
    CHECK(r->media_type == "application/vnd.conda.package.v2");
    CHECK(r->manifest_url() == "https://ghcr.io/v2/channel-mirrors/conda-forge/linux-64/xtensor/manifests/0.25.0-h2ffa867_0");
    CHECK(r->blob_url("sha256:ab") == "https://ghcr.io/v2/channel-mirrors/conda-forge/linux-64/xtensor/blobs/sha256:ab");

    auto bz2 = parse_oci_url("oci://ghcr.io/m/noarch/six-1.16.0-pyh6c4a22f_0.tar.bz2");
    REQUIRE(bz2.ok());
    CHECK(bz2->media_type == "application/vnd.conda.package.v1");
    CHECK(bz2->repository == "m/noarch/six");
}

TEST_CASE("names starting with '_' get zzz; '+', '!' and '=' in tags are spelled out") {
    auto r = parse_oci_url("oci://ghcr.io/m/linux-64/_openmp_mutex-4.5-2_gnu.conda");
    REQUIRE(r.ok());
    CHECK(r->repository == "m/linux-64/zzz_openmp_mutex");
    CHECK(r->tag == "4.5-2_gnu");
    auto e = parse_oci_url("oci://ghcr.io/m/linux-64/pkg-1!2.0+local-h1=2_0.conda");
    REQUIRE(e.ok());
    CHECK(e->tag == "1__e__2.0__p__local-h1__eq__2_0");
    CHECK(oci_tag("1.0+cuda-0") == "1.0__p__cuda-0");
    // Names with dashes: version and build are the last two fields.
    auto d = parse_oci_url("oci://r.example/c/noarch/typing-extensions-4.12.2-pyha770c72_0.conda");
    REQUIRE(d.ok());
    CHECK(d->repository == "c/noarch/typing-extensions");
    CHECK(d->tag == "4.12.2-pyha770c72_0");
}

TEST_CASE("registries on loopback are spoken to over plain http; ports are kept") {
    auto r = parse_oci_url("oci://127.0.0.1:5000/mirror/noarch/a-1-0.conda");
    REQUIRE(r.ok());
    CHECK(r->scheme == "http");
    CHECK(r->registry == "127.0.0.1:5000");
    CHECK(parse_oci_url("oci://localhost:5000/m/noarch/a-1-0.conda")->scheme == "http");
    CHECK(parse_oci_url("oci://registry.internal:5000/m/noarch/a-1-0.conda")->scheme == "https");
}

TEST_CASE("what is not a package in a registry is refused with the reason") {
    CHECK_FALSE(parse_oci_url("oci://ghcr.io/m/pypi/a-1.0-py3-none-any.whl").ok());
    CHECK_FALSE(parse_oci_url("oci://ghcr.io/m/noarch/nodashes.conda").ok());
    CHECK_FALSE(parse_oci_url("oci://ghcr.io/a-1-0.conda").ok());
    CHECK_FALSE(parse_oci_url("oci:///m/noarch/a-1-0.conda").ok());
    auto no_repo = parse_oci_url("oci://ghcr.io/a-1-0.conda");
    CHECK(no_repo.error().message.find("oci://ghcr.io/a-1-0.conda") != std::string::npos);
}

TEST_CASE("Bearer challenges and token URLs") {
    auto c = parse_bearer_challenge(
        R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:m/noarch/a:pull")");
    REQUIRE(c);
    CHECK(c->realm == "https://ghcr.io/token");
    CHECK(c->service == "ghcr.io");
    CHECK(c->scope == "repository:m/noarch/a:pull");
    CHECK(token_url(*c, "ignored") == "https://ghcr.io/token?service=ghcr.io&scope=repository:m/noarch/a:pull");
    auto bare = parse_bearer_challenge(R"(bearer realm="http://127.0.0.1:1/auth?x=1", service="my registry")");
    REQUIRE(bare);
    CHECK(token_url(*bare, "m/linux-64/b") == "http://127.0.0.1:1/auth?x=1&service=my%20registry&scope=repository:m/linux-64/b:pull");
    CHECK_FALSE(parse_bearer_challenge(R"(Basic realm="registry")"));
    CHECK_FALSE(parse_bearer_challenge("Bearer service=\"x\""));
    CHECK(*parse_token_response(R"({"token":"abc","expires_in":300})") == "abc");
    CHECK(*parse_token_response(R"({"access_token":"xyz"})") == "xyz");
    CHECK_FALSE(parse_token_response("<html>").ok());
}

TEST_CASE("the package's layer is found by media type and its digest checked") {
    std::string sha(64, 'a');
    std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
      "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" + std::string(64, 'b') +
                           R"(","size":2},
      "layers":[{"mediaType":"application/vnd.conda.package.v1","digest":"sha256:)" + std::string(64, 'c') +
                           R"(","size":10},
                {"mediaType":"application/vnd.conda.package.v2","digest":"sha256:)" + std::string(64, 'A') +
                           R"(","size":1234}]})";
    auto l = find_oci_layer(manifest, kCondaLayerType);
    REQUIRE(l.ok());
    CHECK(l->digest == "sha256:" + sha);
    CHECK(l->size == 1234);
    auto none = find_oci_layer(R"({"layers":[{"mediaType":"application/octet-stream","digest":"sha256:x"}]})",
                               kCondaLayerType);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("application/octet-stream") != std::string::npos);
    CHECK_FALSE(find_oci_layer(R"({"layers":[{"mediaType":"application/vnd.conda.package.v2","digest":"md5:00"}]})",
                               kCondaLayerType).ok());
    CHECK_FALSE(find_oci_layer("not json", kCondaLayerType).ok());
}
