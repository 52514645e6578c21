#include <doctest/doctest.h>

#include "pixi_install/prefix/package_info.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;

TEST_CASE("paths.json entries: types, placeholders, no_link, hashes") {
    auto r = parse_paths_json(R"({"paths_version": 1, "paths": [
      {"_path": "bin/tool", "path_type": "hardlink", "sha256": "AB12", "size_in_bytes": 3,
       "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3", "file_mode": "text"},
      {"_path": "lib/libz.so", "path_type": "softlink"},
      {"_path": "share/empty", "path_type": "directory"},
      {"_path": "lib/libz.so.1", "path_type": "hardlink", "no_link": true, "file_mode": "binary",
       "prefix_placeholder": "/ph"}]})");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 4);
    CHECK((*r)[0].path == "bin/tool");
    CHECK((*r)[0].has_placeholder());
    CHECK((*r)[0].file_mode == FileMode::text);
    CHECK((*r)[0].sha256 == "ab12");
    CHECK((*r)[0].size == 3u);
    CHECK((*r)[1].type == PathType::softlink);
    CHECK(!(*r)[1].size);
    CHECK((*r)[2].type == PathType::directory);
    CHECK((*r)[3].no_link);
    CHECK((*r)[3].file_mode == FileMode::binary);
}

TEST_CASE("paths.json refuses escaping paths and unknown types") {
    CHECK(!parse_paths_json(R"({"paths": [{"_path": "../etc/passwd", "path_type": "hardlink"}]})").ok());
    CHECK(!parse_paths_json(R"({"paths": [{"_path": "/etc/passwd", "path_type": "hardlink"}]})").ok());
    CHECK(!parse_paths_json(R"({"paths": [{"_path": "a", "path_type": "pipe"}]})").ok());
    CHECK(!parse_paths_json("{not json").ok());
    auto e = parse_paths_json(R"({"paths": [{"_path": "a/../../b"}]})");
    REQUIRE(!e.ok());
    CHECK(e.error().kind == base::ErrorKind::integrity);
}

TEST_CASE("index.json: noarch kinds, legacy noarch true, timestamps in seconds") {
    auto a = parse_index_json(R"({"name": "a", "version": "1", "build": "0", "build_number": 2,
        "noarch": "python", "timestamp": 1508520204768, "depends": ["python"]})");
    REQUIRE(a.ok());
    CHECK(a->noarch == NoArch::python);
    CHECK(a->timestamp == 1508520204768LL);
    CHECK(a->build_number == 2u);
    CHECK(a->depends == std::vector<std::string>{"python"});
    auto b = parse_index_json(R"({"name": "b", "version": "1", "build": "0", "noarch": true, "timestamp": 1508520204})");
    REQUIRE(b.ok());
    CHECK(b->noarch == NoArch::generic);
    CHECK(b->noarch_legacy_true);
    CHECK(b->timestamp == 1508520204000LL);
    auto c = parse_index_json(R"({"name": "c", "version": "1", "build": "0", "noarch": null, "track_features": "x y"})");
    REQUIRE(c.ok());
    CHECK(c->noarch == NoArch::none);
    CHECK(c->track_features == std::vector<std::string>{"x", "y"});
    CHECK(!parse_index_json(R"({"version": "1"})").ok());
}

TEST_CASE("index.json names and the site-packages path are checked where they enter") {
    auto sp = parse_index_json(R"({"name": "python", "version": "3.13.1", "build": "h0_0",
                                  "python_site_packages_path": "lib/python3.13t/site-packages"})");
    REQUIRE(sp.ok());
    CHECK(sp->python_site_packages_path == "lib/python3.13t/site-packages");
    for (const char* bad : {R"({"name": "python", "version": "3.11", "build": "0", "python_site_packages_path": "../../../canary"})",
                            R"({"name": "python", "version": "3.11", "build": "0", "python_site_packages_path": "/usr/lib/x"})",
                            R"({"name": "../x", "version": "1", "build": "0"})",
                            R"({"name": "x", "version": "1/2", "build": "0"})",
                            "{\"name\": \"x\", \"version\": \"1\", \"build\": \"h\\u001b[2J\\n\"}",
                            R"({"name": "..", "version": "1", "build": "0"})"}) {
        auto r = parse_index_json(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK_MESSAGE(r.error().message.find("unsafe") != std::string::npos, r.error().message);
        CHECK(r.error().message.find('\x1b') == std::string::npos);
    }
}

TEST_CASE("link.json entry points are parsed and validated") {
    auto r = parse_link_json(R"({"noarch": {"type": "python", "entry_points": [
        "conda-index-pkg-a = conda_index_pkg_a:main", " tool=pkg.sub : cli.run "]}, "package_metadata_version": 1})");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].command == "conda-index-pkg-a");
    CHECK((*r)[0].module == "conda_index_pkg_a");
    CHECK((*r)[0].function == "main");
    CHECK((*r)[1].command == "tool");
    CHECK((*r)[1].module == "pkg.sub");
    CHECK((*r)[1].function == "cli.run");
    auto generic = parse_link_json(R"({"noarch": {"type": "generic"}})");
    REQUIRE(generic.ok());
    CHECK(generic->empty());
    CHECK(!parse_entry_point("../evil = a:b").ok());
    CHECK(!parse_entry_point(".hidden = a:b").ok());
    CHECK(!parse_entry_point("x = a-b:c").ok());
    CHECK(!parse_entry_point("x = a:").ok());
    CHECK(!parse_entry_point("x = a").ok());
    // The command becomes a file name in bin/: control characters and separators are refused.
    for (const char* bad : {"x\ny = a:b", "x\x1b[31m = a:b", "a\\b = a:b", "x\ty = a:b"}) {
        auto r = parse_entry_point(bad);
        CAPTURE(bad);
        REQUIRE(!r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK(r.error().message.find("plain file name") != std::string::npos);
    }
}

TEST_CASE("legacy has_prefix lines: three tokens, quoted tokens, bare paths") {
    auto r = parse_has_prefix(
        "/opt/anaconda1anaconda2anaconda3 text bin/testfile\n"
        "\"/p with space\" binary \"lib/a b.so\"\n"
        "\n"
        "share/plain.txt\n");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].placeholder == "/opt/anaconda1anaconda2anaconda3");
    CHECK((*r)[0].path == "bin/testfile");
    CHECK((*r)[1].placeholder == "/p with space");
    CHECK((*r)[1].mode == FileMode::binary);
    CHECK((*r)[1].path == "lib/a b.so");
    CHECK((*r)[2].placeholder == "/opt/anaconda1anaconda2anaconda3");
    CHECK((*r)[2].mode == FileMode::text);
    CHECK(!parse_has_prefix("a weird mode path\n").ok());
}
