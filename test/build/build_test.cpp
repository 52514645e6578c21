#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/build/build.hpp"

using namespace pixi_install;
namespace fs = std::filesystem;

TEST_CASE("PEP 503 HTML pages: relative links, sha256 fragments, requires-python, yanked") {
    build::IndexPage page;
    page.url = "https://example.org/simple/flit-core/";
    page.content_type = "text/html";
    page.body = R"(<!DOCTYPE html><html><body>
<a href="../../packages/flit_core-3.8.0-py3-none-any.whl#sha256=ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789" data-requires-python="&gt;=3.6">flit_core-3.8.0-py3-none-any.whl</a><br/>
<A HREF='https://files.example.org/f/flit_core-3.9.0.tar.gz#md5=00'>flit_core-3.9.0.tar.gz</A>
<a href="/x/flit_core-4.0-py3-none-any.whl" data-yanked="">y</a>
<abbr>not a link</abbr>
</body></html>)";
    auto files = build::parse_index_page(page);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 3);
    CHECK((*files)[0].file_name == "flit_core-3.8.0-py3-none-any.whl");
    CHECK((*files)[0].url == "https://example.org/packages/flit_core-3.8.0-py3-none-any.whl");
    CHECK((*files)[0].sha256 == "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    CHECK((*files)[0].requires_python == std::optional<std::string>(">=3.6"));
    CHECK_FALSE((*files)[0].yanked);
    CHECK((*files)[1].url == "https://files.example.org/f/flit_core-3.9.0.tar.gz");
    CHECK((*files)[1].sha256.empty());  // an md5 fragment pins nothing here
    CHECK((*files)[2].url == "https://example.org/x/flit_core-4.0-py3-none-any.whl");
    CHECK((*files)[2].yanked);
}

TEST_CASE("PEP 691 JSON pages: hashes, requires-python, yanked as a reason, relative URLs") {
    build::IndexPage page;
    page.url = "http://127.0.0.1:9/simple/six/";
    page.content_type = "application/vnd.pypi.simple.v1+json";
    page.body = R"({"meta":{"api-version":"1.1"},"name":"six","files":[
      {"filename":"six-1.16.0-py2.py3-none-any.whl","url":"../../files/six-1.16.0-py2.py3-none-any.whl",
       "hashes":{"sha256":"8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"},"requires-python":">=2.7"},
      {"filename":"six-1.17.0-py2.py3-none-any.whl","url":"https://h/six-1.17.0-py2.py3-none-any.whl",
       "hashes":{},"yanked":"broken"}]})";
    auto files = build::parse_index_page(page);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 2);
    CHECK((*files)[0].url == "http://127.0.0.1:9/files/six-1.16.0-py2.py3-none-any.whl");
    CHECK((*files)[0].sha256.size() == 64);
    CHECK((*files)[0].requires_python == std::optional<std::string>(">=2.7"));
    CHECK((*files)[1].yanked);
    CHECK((*files)[1].sha256.empty());

    page.body = "{\"not\": \"a project page\"}";
    CHECK_FALSE(build::parse_index_page(page).ok());
}

TEST_CASE("source identities: an editable directory follows its metadata files, a built one every file") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path dir = tmp->path() / "proj";
    fs::create_directories(dir / "proj");
    fs::create_directories(dir / "build" / "lib");
    auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
    write(dir / "pyproject.toml", "[project]\nname='proj'\n");
    write(dir / "proj" / "__init__.py", "A = 1\n");
    build::BuildRequest r;
    r.name = "proj";
    r.kind = build::SourceKind::directory;
    r.source = dir;
    r.editable = true;
    auto e1 = build::source_identity(r, "");
    r.editable = false;
    auto d1 = build::source_identity(r, "");
    REQUIRE(e1.ok());
    REQUIRE(d1.ok());
    CHECK(*e1 != *d1);

    write(dir / "proj" / "__init__.py", "A = 2\n");
    write(dir / "build" / "lib" / "out.py", "written by a build\n");  // build output is not an input
    r.editable = true;
    CHECK(*build::source_identity(r, "") == *e1);
    r.editable = false;
    auto d2 = build::source_identity(r, "");
    CHECK(*d2 != *d1);
    write(dir / "build" / "lib" / "out.py", "written again\n");
    CHECK(*build::source_identity(r, "") == *d2);

    write(dir / "pyproject.toml", "[project]\nname='proj'\nversion='2'\n");
    r.editable = true;
    CHECK(*build::source_identity(r, "") != *e1);

    r.source = tmp->path() / "missing";
    auto missing = build::source_identity(r, "");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == base::ErrorKind::unavailable);

    build::BuildRequest s;
    s.name = "x";
    s.kind = build::SourceKind::sdist;
    CHECK(*build::source_identity(s, std::string(64, 'a')) == "sha256:" + std::string(64, 'a'));
    CHECK(build::cache_key(s, "sha256:1") != build::cache_key(s, "sha256:2"));
    const std::string isolated = build::cache_key(s, "sha256:1");
    s.isolated = false;
    CHECK(build::cache_key(s, "sha256:1") != isolated);
}

TEST_CASE("the built-wheel cache: a hit only when the recorded wheel is intact") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path cache = tmp->path() / "cache";
    CHECK_FALSE(build::cached_wheel(cache, "k").has_value());
    const fs::path entry = cache / "built-wheels" / "v1" / "k";
    fs::create_directories(entry);
    std::ofstream(entry / "proj-1.0-py3-none-any.whl") << "wheel bytes";
    std::ofstream(entry / "build.json")
        << R"({"wheel": "proj-1.0-py3-none-any.whl", "sha256": ")" + std::string(64, '0') + R"(", "build_set": []})";
    CHECK_FALSE(build::cached_wheel(cache, "k").has_value());  // sha256 mismatch
    std::ofstream(entry / "build.json") << R"({"wheel": "../../evil-1.0-py3-none-any.whl"})";
    CHECK_FALSE(build::cached_wheel(cache, "k").has_value());  // not a file name
    std::ofstream(entry / "build.json") << R"({"wheel": "proj-1.0-py3-none-any.whl", "backend": "b",
        "build_set": [{"name": "setuptools", "version": "66", "file_name": "f", "location": "l", "sha256": "s"}]})";
    auto hit = build::cached_wheel(cache, "k");
    REQUIRE(hit.has_value());
    CHECK(hit->from_cache);
    CHECK(hit->backend == "b");
    REQUIRE(hit->build_set.size() == 1);
    CHECK(hit->build_set[0].name == "setuptools");
}
