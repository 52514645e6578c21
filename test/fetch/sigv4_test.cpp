// SigV4 against published vectors: the AWS SigV4 test suite's requests (service
// "service", key AKIDEXAMPLE) and the S3 API reference's GET Object example, plus S3
// keys with spaces, '+', '=', non-ASCII bytes and a session token. The vectors are
// in test/fetch/data/sigv4_vectors.json; test/e2e/sigv4_vectors_test.py checks every
// one against botocore's signer.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pixi_install/fetch/sigv4.hpp"
#include "support.hpp"

using namespace pixi_install::fetch;

namespace {

nlohmann::json load_vectors() {
    std::string path = (pixi_install::test::source_dir() / "test" / "fetch" / "data" / "sigv4_vectors.json").string();
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

}  // namespace

TEST_CASE("every published vector: canonical request, signature and Authorization header") {
    auto vectors = load_vectors();
    REQUIRE(vectors.size() >= 25);
    for (const auto& v : vectors) {
        CAPTURE(v["name"].get<std::string>());
        SigV4Request r;
        r.method = v["method"];
        r.path = v["path"];
        r.query = v["query"];
        for (const auto& h : v["headers"]) r.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
        r.payload_sha256 = v["payload_sha256"];
        SigV4Key key{v["access_key_id"], v["secret_access_key"], v["region"], v["service"]};
        SigV4Signature s = sigv4_sign(r, key, v["date"].get<std::string>(), v["s3"].get<bool>());
        CHECK(s.canonical_request == v["canonical_request"].get<std::string>());
        CHECK(s.signature == v["signature"].get<std::string>());
        std::string day = v["date"].get<std::string>().substr(0, 8);
        CHECK(s.authorization == "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" + day + "/" + key.region +
                                     "/" + key.service + "/aws4_request, SignedHeaders=" + s.signed_headers +
                                     ", Signature=" + s.signature);
    }
}

TEST_CASE("get-vanilla, written out") {
    SigV4Request r;
    r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    r.payload_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    SigV4Key key{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
    auto s = sigv4_sign(r, key, "20150830T123600Z", false);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("S3 paths are encoded the AWS way and signed as sent") {
    CHECK(aws_uri_encode("a b+c=d/é~_.-", true) == "a%20b%2Bc%3Dd/%C3%A9~_.-");
    CHECK(aws_uri_encode("a/b", false) == "a%2Fb");
    // Already-encoded keys are not encoded twice; '+' is a plus, not a space.
    CHECK(s3_request_path("dir/a%20b+c.conda") == "dir/a%20b%2Bc.conda");
    CHECK(s3_request_path("noarch/pkg-1.0-py_0.conda") == "noarch/pkg-1.0-py_0.conda");
    CHECK(amz_date(0) == "19700101T000000Z");
    CHECK(amz_date(1440938160) == "20150830T123600Z");
}

TEST_CASE("s3_signed_headers: what a GET carries, the host as curl sends it") {
    SigV4Key key{"AKID", "secret", "eu-central-1", "s3"};
    auto h = s3_signed_headers("http://127.0.0.1:9000/bucket/k%2Bey", key, "", "20240101T000000Z");
    REQUIRE(h.size() == 3);
    CHECK(h[0] == "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    CHECK(h[1] == "x-amz-date: 20240101T000000Z");
    SigV4Request r;
    r.path = "/bucket/k%2Bey";
    r.headers = {{"host", "127.0.0.1:9000"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}, {"x-amz-date", "20240101T000000Z"}};
    r.payload_sha256 = "UNSIGNED-PAYLOAD";
    CHECK(h[2] == "Authorization: " + sigv4_sign(r, key, "20240101T000000Z").authorization);
    // The default port is not part of the host; a session token is signed.
    auto t = s3_signed_headers("https://b.s3.amazonaws.com:443/k", key, "TOKEN", "20240101T000000Z");
    REQUIRE(t.size() == 4);
    CHECK(t[2] == "x-amz-security-token: TOKEN");
    CHECK(t[3].find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") != std::string::npos);
    r.path = "/k";
    r.headers = {{"host", "b.s3.amazonaws.com"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                 {"x-amz-date", "20240101T000000Z"}, {"x-amz-security-token", "TOKEN"}};
    CHECK(t[3] == "Authorization: " + sigv4_sign(r, key, "20240101T000000Z").authorization);
}
