#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "fake_package.hpp"
#include "link_helpers.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/verify.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using namespace pixi_install::test;
using namespace std::string_literals;
namespace fs = std::filesystem;

TEST_CASE("verify: passes on a fresh link, finds deleted, modified and binary-modified files") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    fs::path prefix = tmp.path() / "env";
    LinkOptions o;
    o.mode = LinkMode::copy;
    link_and_record(pkg, prefix, o);
    base::ThreadPool pool(2);
    auto fresh = verify_prefix(prefix, {}, pool);
    REQUIRE(fresh.ok());
    CHECK(fresh->ok());
    CHECK(fresh->packages == 1);
    CHECK(fresh->files == 7);

    fs::remove(prefix / "bin/tool");
    (void)base::write_file_atomic(prefix / "etc/foo.conf", "root=/elsewhere\n");
    std::string bin = read(prefix / "lib/libbar.so");
    bin[bin.size() - 1] = 'X';
    (void)base::write_file_atomic(prefix / "lib/libbar.so", bin);
    (void)base::write_file_atomic(prefix / "stray.txt", "?");
    VerifyOptions vo;
    vo.extra = true;
    auto drift = verify_prefix(prefix, vo, pool);
    REQUIRE(drift.ok());
    REQUIRE(drift->issues.size() == 4);
    CHECK(drift->issues[0].path == "bin/tool");
    CHECK(drift->issues[0].kind == IssueKind::missing);
    CHECK(drift->issues[0].package == "foo-1.0-h0");
    CHECK(drift->issues[1].path == "etc/foo.conf");
    CHECK(drift->issues[1].kind == IssueKind::modified);
    CHECK(drift->issues[2].path == "lib/libbar.so");
    CHECK(drift->issues[2].kind == IssueKind::modified);
    CHECK(drift->issues[3].path == "stray.txt");
    CHECK(drift->issues[3].kind == IssueKind::unrecorded);
}

TEST_CASE("verify checks RECORD of wheels that no conda package owns") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    REQUIRE(prepare_conda_meta(prefix).ok());
    fs::path sp = prefix / "lib/python3.12/site-packages";
    fs::create_directories(sp / "w-1.0.dist-info");
    fs::create_directories(prefix / "bin");
    (void)base::write_file_atomic(sp / "w.py", "x = 1\n");
    (void)base::write_file_atomic(prefix / "bin/wtool", "#!python\n");
    auto rec_hash = [](const std::string& s) {
        base::Hasher h(base::HashAlgo::sha256);
        h.update(s);
        return "sha256=" + base::base64_urlsafe_nopad(h.finish_raw());
    };
    (void)base::write_file_atomic(sp / "w-1.0.dist-info/RECORD",
                                  "w.py," + rec_hash("x = 1\n") + ",6\n../../../bin/wtool," + rec_hash("#!python\n") +
                                      ",9\nw-1.0.dist-info/RECORD,,\n");
    base::ThreadPool pool(2);
    auto ok = verify_prefix(prefix, {}, pool);
    REQUIRE(ok.ok());
    CHECK(ok->wheels == 1);
    CHECK(ok->ok());
    (void)base::write_file_atomic(sp / "w.py", "x = 2\n");
    fs::remove(prefix / "bin/wtool");
    auto bad = verify_prefix(prefix, {}, pool);
    REQUIRE(bad.ok());
    REQUIRE(bad->issues.size() == 2);
    CHECK(bad->issues[0].path == "bin/wtool");
    CHECK(bad->issues[0].kind == IssueKind::missing);
    CHECK(bad->issues[1].path == "lib/python3.12/site-packages/w.py");
    CHECK(bad->issues[1].kind == IssueKind::modified);
}

