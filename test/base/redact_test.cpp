#include <doctest/doctest.h>

#include "pixi_install/base/redact.hpp"

using namespace pixi_install;

TEST_CASE("redact masks user-info, conda tokens and secret parameters") {
    CHECK(base::redact("https://user:pa55@host.example/conda-forge/x.conda") ==
          "https://user:***@host.example/conda-forge/x.conda");
    CHECK(base::redact("https://ghp_abc@host/x") == "https://***@host/x");
    CHECK(base::redact("https://conda.anaconda.org/t/xy-12345678-abcd/channel/noarch/a.conda") ==
          "https://conda.anaconda.org/t/*****/channel/noarch/a.conda");
    CHECK(base::redact("https://b.s3.amazonaws.com/a.conda?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&"
                       "X-Amz-Signature=deadbeef&x-id=GetObject") ==
          "https://b.s3.amazonaws.com/a.conda?X-Amz-Algorithm=AWS4&X-Amz-Credential=*****&"
          "X-Amz-Signature=*****&x-id=GetObject");
    CHECK(base::redact("https://h/f?token=abc&sig=def&signature=g&access_token=h#frag") ==
          "https://h/f?token=*****&sig=*****&signature=*****&access_token=*****#frag");
}

TEST_CASE("redact works on free text and leaves text without secrets alone") {
    CHECK(base::redact("cannot download https://u:p@h/a (HTTP 404: no such file /t/tok123/a.conda)") ==
          "cannot download https://u:***@h/a (HTTP 404: no such file /t/*****/a.conda)");
    CHECK(base::redact("redirected from 'https://u:p@a/x' to 'http://b/y?token=z'") ==
          "redirected from 'https://u:***@a/x' to 'http://b/y?token=*****'");
    for (const char* same : {"https://conda.anaconda.org/conda-forge/noarch/a.conda", "plain text, no URL",
                             "file:///tmp/a b/c", "/t/", "a/t/b", "https://h/x?tokens=1&mytoken=2", "user@host",
                             "prefix /home/u/t/proj/.pixi/envs/default/", "file:///srv/t/x/a.conda"})
        CHECK(base::redact(same) == same);
}

TEST_CASE("strip_url_secrets removes the secrets for writing to disk") {
    CHECK(base::strip_url_secrets("https://user:pa55@host/conda-forge/x.conda") == "https://host/conda-forge/x.conda");
    CHECK(base::strip_url_secrets("https://conda.anaconda.org/t/xy-1234/channel/noarch/a.conda") ==
          "https://conda.anaconda.org/channel/noarch/a.conda");
    CHECK(base::strip_url_secrets("https://h/a.whl?X-Amz-Signature=1&v=2&token=3#sha256=ab") ==
          "https://h/a.whl?v=2#sha256=ab");
    CHECK(base::strip_url_secrets("https://h/a.whl?sig=1") == "https://h/a.whl");
    CHECK(base::strip_url_secrets("https://h/a.whl") == "https://h/a.whl");
    CHECK(base::strip_url_secrets("file:///tmp/t/x/a.conda") == "file:///tmp/t/x/a.conda");
    CHECK(base::strip_url_secrets("https://h/a.whl?sig=1&v=2") == "https://h/a.whl?v=2");
    // Text holding URLs (a lock): each loses its secrets, the rest stays.
    CHECK(base::strip_url_secrets("- conda: https://u:p@h/t/tok/c/a.conda\n  sha256: ab\n- pypi: /t/x/y\n") ==
          "- conda: https://h/c/a.conda\n  sha256: ab\n- pypi: /t/x/y\n");
}
