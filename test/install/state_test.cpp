#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/install/state.hpp"

using namespace pixi_install;
namespace fs = std::filesystem;

namespace {
lockfile::Selection one_package() {
    lockfile::Selection s;
    s.environment = "default";
    s.platform = s.subdir = "linux-64";
    auto r = std::make_shared<lockfile::CondaRecord>();
    r->name = "zlib";
    r->version = "1.3";
    r->build = "h0_0";
    r->sha256 = std::string(64, 'a');
    r->location = "https://example.invalid/zlib-1.3-h0_0.conda";
    s.conda.push_back(r);
    return s;
}
}  // namespace

TEST_CASE("fingerprint: the new options change it only when set") {
    auto s = one_package();
    install::FingerprintInputs in;
    in.prefix = "/opt/env";
    in.link_mode = "auto";
    const std::string plain = install::fingerprint(s, in);
    auto with = [&](auto change) {
        install::FingerprintInputs x = in;
        change(x);
        return install::fingerprint(s, x);
    };
    CHECK(with([](auto& x) { x.compile_bytecode = true; }) != plain);
    CHECK(with([](auto& x) { x.run_post_link_scripts = true; }) != plain);
    CHECK(with([](auto& x) { x.source_date_epoch = 0; }) != plain);
    CHECK(with([](auto& x) { x.source_date_epoch = 0; }) != with([](auto& x) { x.source_date_epoch = 1; }));
    CHECK(with([](auto& x) { x.compile_bytecode = false; }) == plain);
}

TEST_CASE("no-op memo: round trip, and what invalidates it") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path prefix = tmp->path() / "env";
    REQUIRE(install::write_state(prefix, {install::PrefixState::complete, "0123456789abcdef"}).ok());
    const std::string stamp = install::prefix_stamp(prefix);
    REQUIRE_FALSE(stamp.empty());
    CHECK(install::prefix_stamp(prefix) == stamp);  // stable while nothing changes
    CHECK(install::prefix_stamp(tmp->path() / "missing").empty());

    install::NoopMemo m;
    m.key = "k1";
    m.fingerprint = "0123456789abcdef";
    m.stamp = stamp;
    m.platform = "linux-64";
    m.packages = 42;
    m.warnings = {"first warning", "second\nwith a newline"};
    const fs::path memo = install::noop_memo_path(tmp->path() / "cache", prefix);
    CHECK(memo.parent_path() == tmp->path() / "cache" / "noop");
    REQUIRE(install::write_noop_memo(memo, m).ok());
    auto back = install::read_noop_memo(memo);
    REQUIRE(back);
    CHECK(back->key == "k1");
    CHECK(back->fingerprint == m.fingerprint);
    CHECK(back->stamp == stamp);
    CHECK(back->platform == "linux-64");
    CHECK(back->packages == 42);
    REQUIRE(back->warnings.size() == 2);
    CHECK(back->warnings[1] == "second with a newline");
    CHECK(install::noop_memo_holds(*back, "k1", prefix));
    CHECK_FALSE(install::noop_memo_holds(*back, "k2", prefix));

    // File times tick in steps of a few milliseconds: let one pass, as between two runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    SUBCASE("an entry added to conda-meta") {
        std::ofstream(prefix / "conda-meta" / "other-1-0.json") << "{}";
        CHECK_FALSE(install::noop_memo_holds(*back, "k1", prefix));
    }
    SUBCASE("the state file rewritten, even with the same text") {
        REQUIRE(install::write_state(prefix, {install::PrefixState::complete, "0123456789abcdef"}).ok());
        CHECK_FALSE(install::noop_memo_holds(*back, "k1", prefix));
    }
    SUBCASE("the state says installing") {
        install::NoopMemo fresh = *back;
        REQUIRE(install::write_state(prefix, {install::PrefixState::installing, "0123456789abcdef"}).ok());
        fresh.stamp = install::prefix_stamp(prefix);
        CHECK_FALSE(install::noop_memo_holds(fresh, "k1", prefix));
    }
    SUBCASE("a cut or foreign memo is not read") {
        std::ofstream(memo) << "pixi-install-noop 1\nkey k1\nfingerprint f\nstamp s\n";  // no "end"
        CHECK_FALSE(install::read_noop_memo(memo));
        std::ofstream(memo) << "something else\nend\n";
        CHECK_FALSE(install::read_noop_memo(memo));
        CHECK_FALSE(install::read_noop_memo(tmp->path() / "absent"));
    }
}

TEST_CASE("require_finished refuses an unfinished prefix and accepts others") {
    auto tmp = base::TempDir::create({}, "require-finished");
    REQUIRE(tmp.ok());
    const fs::path p = tmp->path() / "env";
    fs::create_directories(p / "conda-meta");
    CHECK(install::require_finished(p).ok());  // conda or pixi made it: no state file
    std::ofstream(p / "conda-meta" / "pixi-install.lock") << "";
    auto cut = install::require_finished(p);  // a first install killed before it linked anything
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().kind == base::ErrorKind::integrity);
    std::ofstream(p / "conda-meta" / "zlib-1.3-h0_0.json") << "{}";
    CHECK(install::require_finished(p).ok());
    REQUIRE(install::write_state(p, {install::PrefixState::installing, "0123456789abcdef"}).ok());
    auto r = install::require_finished(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(r.error().message.find("pixi-install install") != std::string::npos);
    REQUIRE(install::write_state(p, {install::PrefixState::complete, "0123456789abcdef"}).ok());
    CHECK(install::require_finished(p).ok());
}
