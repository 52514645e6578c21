#include <doctest/doctest.h>

#include "pixi_install/fetch/mirrors.hpp"

using namespace pixi_install;
using namespace pixi_install::fetch;

TEST_CASE("parse_mirror splits FROM=TO and rejects malformed text") {
    auto m = parse_mirror("https://conda.anaconda.org/conda-forge=https://mirror.example/cf");
    REQUIRE(m.ok());
    CHECK(m->from == "https://conda.anaconda.org/conda-forge");
    CHECK(m->to == "https://mirror.example/cf");
    for (const char* bad : {"no-equals", "=https://x", "https://x="}) {
        auto r = parse_mirror(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::usage);
    }
}

TEST_CASE("apply_mirrors rewrites the longest matching prefix on a segment boundary") {
    std::vector<Mirror> ms = {{"https://conda.anaconda.org/", "https://m.example/all"},
                              {"https://conda.anaconda.org/conda-forge/", "/srv/cf"},
                              {"https://pypi.org/simple", "file:///srv/pypi"}};
    CHECK(apply_mirrors("https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-h_0.conda", ms) ==
          "/srv/cf/linux-64/zlib-1.3.1-h_0.conda");
    CHECK(apply_mirrors("https://conda.anaconda.org/bioconda/noarch/x-1-0.tar.bz2", ms) ==
          "https://m.example/all/bioconda/noarch/x-1-0.tar.bz2");
    // "conda-forge" must not capture "conda-forge-extra".
    std::vector<Mirror> cf = {{"https://c.org/conda-forge", "https://m/cf"}};
    CHECK(apply_mirrors("https://c.org/conda-forge-extra/a.conda", cf) == "https://c.org/conda-forge-extra/a.conda");
    CHECK(apply_mirrors("https://c.org/conda-forge/a.conda", cf) == "https://m/cf/a.conda");
    CHECK(apply_mirrors("https://other.org/a.conda", ms) == "https://other.org/a.conda");
}

TEST_CASE("location helpers") {
    CHECK(is_http_url("HTTPS://x/y"));
    CHECK_FALSE(is_http_url("file:///x"));
    CHECK(file_url_path("file:///srv/a%20b.conda") == "/srv/a b.conda");
    CHECK(file_url_path("file://localhost/srv/a.conda") == "/srv/a.conda");
    CHECK(file_url_path("https://x/a") == "");
    CHECK(is_plain_path("/abs/a.conda"));
    CHECK(is_plain_path("rel/a.conda"));
    CHECK_FALSE(is_plain_path("s3://b/k"));
    CHECK(url_host("https://user:pw@Repo.Example.com:8443/a/b") == "repo.example.com");
    CHECK(url_host("http://127.0.0.1:80/x") == "127.0.0.1");
    CHECK(url_host("http://[::1]:80/x") == "[::1]");
}

TEST_CASE("s3 locations map to AWS or a custom endpoint") {
    auto aws = s3_to_https("s3://bucket/channel/linux-64/a.conda", "eu-west-1", "");
    REQUIRE(aws.ok());
    CHECK(*aws == "https://bucket.s3.eu-west-1.amazonaws.com/channel/linux-64/a.conda");
    auto minio = s3_to_https("s3://bucket/a.conda", "us-east-1", "http://127.0.0.1:9000/");
    REQUIRE(minio.ok());
    CHECK(*minio == "http://127.0.0.1:9000/bucket/a.conda");
    CHECK_FALSE(s3_to_https("s3://bucket", "", "").ok());
    // pixi's s3-options without force-path-style: the bucket goes in front of the endpoint's host.
    auto vhost = s3_to_https("s3://bucket/a.conda", "us-east-1", "https://s3.internal:9000", false);
    REQUIRE(vhost.ok());
    CHECK(*vhost == "https://bucket.s3.internal:9000/a.conda");
    // Keys are encoded the AWS way: '+' and spaces escaped, escapes not doubled.
    auto special = s3_to_https("s3://b/dir/a b+c%3D.conda", "us-east-1", "http://127.0.0.1:1");
    REQUIRE(special.ok());
    CHECK(*special == "http://127.0.0.1:1/b/dir/a%20b%2Bc%3D.conda");
    CHECK(s3_bucket("s3://my-bucket/k/x.conda") == "my-bucket");
    CHECK(s3_bucket("https://x/y") == "");
}
