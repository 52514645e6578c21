// The AWS CLI's credentials and config files, read as botocore reads them.
#include <doctest/doctest.h>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/manifest/aws_config.hpp"

using namespace pixi_install;
using namespace pixi_install::manifest;

namespace {
void write(const std::filesystem::path& p, const std::string& s) { REQUIRE(base::write_file_atomic(p, s).ok()); }
}  // namespace

TEST_CASE("sections, comments, both separators, continuation lines and long values") {
    std::string token(1200, 'T');
    auto s = parse_aws_ini("# comment\n; another\n[default]\naws_access_key_id = AKID\r\nAWS_Secret_Access_Key=a b+c=/d\n"
                           "[profile   ci ]\nregion: eu-central-1\ns3 =\n  addressing_style = path\n"
                           "aws_session_token = " + token + "\n",
                           "cfg");
    REQUIRE_MESSAGE(s.ok(), s.error().to_string());
    CHECK(s->at("default").at("aws_access_key_id") == "AKID");
    CHECK(s->at("default").at("aws_secret_access_key") == "a b+c=/d");
    CHECK(s->at("profile ci").at("region") == "eu-central-1");
    CHECK(s->at("profile ci").at("s3") == "addressing_style = path");
    CHECK(s->at("profile ci").at("aws_session_token") == token);
}

TEST_CASE("broken lines are errors naming the file and the line") {
    auto outside = parse_aws_ini("aws_access_key_id = x\n", "/h/.aws/credentials");
    REQUIRE_FALSE(outside.ok());
    CHECK(outside.error().message.find("/h/.aws/credentials:1") != std::string::npos);
    auto junk = parse_aws_ini("[a]\nnot a setting\n", "f");
    REQUIRE_FALSE(junk.ok());
    CHECK(junk.error().message.find("f:2") != std::string::npos);
    CHECK_FALSE(parse_aws_ini("[a\nx=1\n", "f").ok());
}

TEST_CASE("a profile: keys from the credentials file first, region and endpoint from the config") {
    auto dir = base::TempDir::create().value();
    auto creds = dir.path() / "credentials", config = dir.path() / "config";
    write(creds, "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n"
                 "[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = cisecret\naws_session_token = tok\n");
    write(config, "[default]\nregion = us-west-2\n[profile ci]\nregion = eu-central-1\nendpoint_url = http://127.0.0.1:9\n"
                  "[profile only-config]\naws_access_key_id = CFG\naws_secret_access_key = cfgsecret\n");
    auto ci = load_aws_profile("ci", creds, config);
    REQUIRE(ci.ok());
    REQUIRE(ci->has_value());
    CHECK((*ci)->access_key_id == "CIKEY");
    CHECK((*ci)->secret_access_key == "cisecret");
    CHECK((*ci)->session_token == "tok");
    CHECK((*ci)->region == "eu-central-1");
    CHECK((*ci)->endpoint_url == "http://127.0.0.1:9");
    CHECK((*ci)->credentials_origin == "profile ci in " + creds.string());
    auto def = load_aws_profile("default", creds, config);
    REQUIRE(def->has_value());
    CHECK((*def)->access_key_id == "DEF");
    CHECK((*def)->region == "us-west-2");  // [default] in the config, without "profile"
    auto cfg = load_aws_profile("only-config", creds, config);
    REQUIRE(cfg->has_value());
    CHECK((*cfg)->access_key_id == "CFG");
    CHECK((*cfg)->credentials_origin == "profile only-config in " + config.string());
    CHECK_FALSE(load_aws_profile("missing", creds, config)->has_value());
    CHECK_FALSE(load_aws_profile("ci", dir.path() / "nope", dir.path() / "nope2")->has_value());
}
