// fetch_all against a real HTTP server on loopback (server.py).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "test_server.hpp"

using namespace pixi_install;
using namespace pixi_install::fetch;
namespace fs = std::filesystem;

namespace {

struct Env {
    base::TempDir root = base::TempDir::create().value();
    base::TempDir cache = base::TempDir::create().value();
    std::unique_ptr<test::TestServer> server;
    std::map<std::string, std::string> data;

    Env() { server = std::make_unique<test::TestServer>(root.path()); }
    /// A served file `name` of `size` random bytes and the artifact for it at /<mode>/<name>.
    Artifact add(const std::string& mode, const std::string& name, std::size_t size = 200000) {
        if (!data.count(name)) data[name] = test::write_random(root.path() / name, size, static_cast<unsigned>(data.size() + 7));
        const std::string& d = data[name];
        return Artifact{name, server->url("/" + mode + "/" + name), {}, base::sha256_hex(d), "", d.size()};
    }
    FetchOptions options() const {
        FetchOptions o;
        o.cache_dir = cache.path();
        o.retries.initial_backoff_ms = 10;
        o.timeouts.connect_ms = 5000;
        o.timeouts.low_speed_bytes = 1000;
        o.timeouts.low_speed_seconds = 1;
        return o;
    }
    /// Files in the store and its temporaries (the store's lock file aside).
    std::size_t stored() const {
        fs::path a = cache.path() / "artifacts";
        return test::count_files(a / "sha256") + test::count_files(a / "md5") + test::count_files(a / "tmp");
    }
};

int count_of(const std::string& stats, const std::string& path) {
    auto p = stats.find("\"" + path + "\": ");
    return p == std::string::npos ? 0 : std::stoi(stats.substr(p + path.size() + 4));
}

}  // namespace

TEST_CASE("many parallel downloads arrive verified, in input order, each reported ready once") {
    Env env;
    std::vector<Artifact> arts;
    for (int i = 0; i < 64; ++i) arts.push_back(env.add("files", "pkg-" + std::to_string(i) + ".conda", 50000 + i * 1000));
    FetchOptions o = env.options();
    o.max_parallel = 8;
    std::mutex mu;
    std::multiset<std::size_t> ready;
    o.on_ready = [&](std::size_t i, const fs::path&) {
        std::lock_guard<std::mutex> l(mu);
        ready.insert(i);
    };
    auto r = fetch_all(arts, o, base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    for (std::size_t i = 0; i < arts.size(); ++i) {
        CHECK(test::slurp((*r)[i]) == env.data[arts[i].name]);
        CHECK(ready.count(i) == 1);
    }
    // A second run is served from the store without a single request.
    int before = env.server->requests();
    auto again = fetch_all(arts, o, base::null_reporter());
    REQUIRE(again.ok());
    CHECK(*again == *r);
    CHECK(env.server->requests() == before);
}

TEST_CASE("a damaged file in the store (wrong size) is fetched again and replaced") {
    Env env;
    Artifact a = env.add("files", "damaged.conda");
    auto first = fetch_all({a}, env.options(), base::null_reporter());
    REQUIRE(first.ok());
    fs::resize_file((*first)[0], 100);
    auto second = fetch_all({a}, env.options(), base::null_reporter());
    REQUIRE_MESSAGE(second.ok(), second.error().to_string());
    CHECK((*second)[0] == (*first)[0]);
    CHECK(test::slurp((*second)[0]) == env.data["damaged.conda"]);
}

TEST_CASE("truncated bodies, dropped connections, 500s and redirects are retried and resumed") {
    Env env;
    std::vector<Artifact> arts = {env.add("truncate", "t.conda"), env.add("flaky", "f.conda"),
                                  env.add("norange", "n.conda"), env.add("redirect", "r.conda")};
    auto r = fetch_all(arts, env.options(), base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    for (std::size_t i = 0; i < arts.size(); ++i) CHECK(test::slurp((*r)[i]) == env.data[arts[i].name]);
    std::string stats = env.server->stats();
    CHECK(count_of(stats, "/flaky/f.conda") == 3);
    CHECK(count_of(stats, "/truncate/t.conda") == 2);
    // Truncated, then a resume the server refuses (200 to a Range request), then from the start.
    CHECK(count_of(stats, "/norange/n.conda") == 3);
}

TEST_CASE("wrong bytes fail with an integrity error naming both hashes, and nothing is stored") {
    Env env;
    Artifact a = env.add("wrong", "bad.conda");
    auto r = fetch_all({a}, env.options(), base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(base::exit_code(r.error().kind) == 4);
    CHECK(r.error().message.find("bad.conda") != std::string::npos);
    CHECK(r.error().message.find(a.sha256) != std::string::npos);
    std::string d = env.data["bad.conda"];
    CHECK(r.error().message.find(base::sha256_hex(std::string(d.rbegin(), d.rend()))) != std::string::npos);
    CHECK(env.stored() == 0);
}

TEST_CASE("a 404 is unavailable and names the URL; every failure is reported") {
    Env env;
    Artifact ok = env.add("files", "fine.conda");
    Artifact missing{"gone.conda", env.server->url("/files/gone.conda"), {}, std::string(64, 'a'), "", {}};
    Artifact bad = env.add("wrong", "bad.conda");
    auto r = fetch_all({ok, missing, bad}, env.options(), base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);  // the most severe of the two failures
    CHECK(r.error().message.find("2 of 3") != std::string::npos);
    CHECK(r.error().message.find(missing.url) != std::string::npos);
    CHECK(r.error().message.find("404") != std::string::npos);
    CHECK(r.error().message.find("bad.conda") != std::string::npos);

    auto only404 = fetch_all({missing}, env.options(), base::null_reporter());
    REQUIRE_FALSE(only404.ok());
    CHECK(only404.error().kind == base::ErrorKind::unavailable);
    CHECK(base::exit_code(only404.error().kind) == 5);
    CHECK(only404.error().message.find(missing.url) != std::string::npos);
}

TEST_CASE("--offline never opens a socket and lists every missing artifact") {
    Env env;
    std::vector<Artifact> arts = {env.add("files", "a.conda"), env.add("files", "b.whl")};
    FetchOptions o = env.options();
    o.offline = true;
    auto r = fetch_all(arts, o, base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::unavailable);
    for (const auto& a : arts) {
        CHECK(r.error().message.find(a.name) != std::string::npos);
        CHECK(r.error().message.find(a.url) != std::string::npos);
    }
    CHECK(env.server->requests() == 0);
    // Once in the store, offline works.
    o.offline = false;
    REQUIRE(fetch_all(arts, o, base::null_reporter()).ok());
    o.offline = true;
    int before = env.server->requests();
    REQUIRE(fetch_all(arts, o, base::null_reporter()).ok());
    CHECK(env.server->requests() == before);
}

TEST_CASE("a trickling or stalled server trips the low-speed timeout, is retried, and the error names the URL") {
    Env env;
    FetchOptions o = env.options();
    o.retries.attempts = 2;
    for (std::string mode : {"trickle", "stall"}) {
        CAPTURE(mode);
        Artifact a = env.add(mode, std::string(mode) + ".conda", 5000);
        auto r = fetch_all({a}, o, base::null_reporter());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::unavailable);
        CHECK(r.error().message.find(a.url) != std::string::npos);
        INFO(r.error().message);
        CHECK(r.error().message.find("stalled") != std::string::npos);
        CHECK(r.error().message.find("2 attempts") != std::string::npos);
        CHECK(count_of(env.server->stats(), "/" + std::string(mode) + "/" + a.name) == 2);
    }
    CHECK(env.stored() == 0);
}

TEST_CASE("mirrors redirect channel prefixes to http servers and directories") {
    Env env;
    Artifact a = env.add("files", "m.conda");
    Artifact web = a, dir = a;
    web.url = "https://conda.example.invalid/conda-forge/m.conda";
    FetchOptions o = env.options();
    o.mirrors = {{"https://conda.example.invalid/conda-forge/", env.server->url("/files")}};
    auto r = fetch_all({web}, o, base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(count_of(env.server->stats(), "/files/m.conda") == 1);
    CHECK(test::slurp((*r)[0]) == env.data["m.conda"]);

    // A directory mirror works offline.
    auto cache2 = base::TempDir::create().value();
    o.cache_dir = cache2.path();
    o.offline = true;
    dir.url = "https://conda.example.invalid/conda-forge/m.conda";
    o.mirrors = {{"https://conda.example.invalid/conda-forge", env.root.path().string()}};
    auto d = fetch_all({dir}, o, base::null_reporter());
    REQUIRE_MESSAGE(d.ok(), d.error().to_string());
    CHECK(test::slurp((*d)[0]) == env.data["m.conda"]);
}

TEST_CASE("a bearer token goes to its host only; netrc supplies basic credentials") {
    Env env;
    Artifact a = env.add("auth", "secret.conda");
    FetchOptions o = env.options();
    o.bearer_tokens["127.0.0.1"] = "secret-token";
    auto r = fetch_all({a}, o, base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());

    // The same server reached as "localhost" is another host: no token, so 401.
    Artifact b = env.add("auth", "other.conda");
    b.url = "http://localhost:" + std::to_string(env.server->port()) + "/auth/other.conda";
    auto denied = fetch_all({b}, o, base::null_reporter());
    REQUIRE_FALSE(denied.ok());
    CHECK(denied.error().message.find("401") != std::string::npos);
    std::string stats = env.server->stats();
    CHECK(stats.find("Bearer secret-token") != std::string::npos);
    auto p = stats.find("\"/auth/other.conda\": [");
    REQUIRE(p != std::string::npos);
    CHECK(stats.substr(p, stats.find(']', p) - p).find("Bearer") == std::string::npos);

    fs::path netrc = env.cache.path() / "netrc";
    REQUIRE(base::write_file_atomic(netrc, "machine 127.0.0.1 login user password pass\n").ok());
    Artifact c = env.add("basic", "basic.conda");
    FetchOptions n = env.options();
    n.netrc = netrc;
    auto with_netrc = fetch_all({c}, n, base::null_reporter());
    REQUIRE_MESSAGE(with_netrc.ok(), with_netrc.error().to_string());
}

TEST_CASE("local paths, file:// URLs and md5-only artifacts are verified into the store") {
    Env env;
    Artifact a = env.add("files", "local.conda");
    a.path = env.root.path() / "local.conda";
    a.url.clear();
    Artifact b = env.add("files", "fileurl.tar.bz2");
    b.url = "file://" + (env.root.path() / "fileurl.tar.bz2").string();
    Artifact c = env.add("files", "md5only.whl");
    c.md5 = base::hash_file(env.root.path() / "md5only.whl", base::HashAlgo::md5).value();
    c.sha256.clear();
    auto r = fetch_all({a, b, c}, env.options(), base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK((*r)[0].extension() == ".conda");
    CHECK((*r)[1].string().find(".tar.bz2") != std::string::npos);
    CHECK((*r)[2].parent_path().parent_path().filename() == "md5");
    for (int i = 0; i < 3; ++i) CHECK(fs::exists((*r)[i]));

    Artifact wrong_size = env.add("files", "size.conda");
    wrong_size.size = *wrong_size.size + 1;
    wrong_size.path = env.root.path() / "size.conda";
    auto s = fetch_all({wrong_size}, env.options(), base::null_reporter());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == base::ErrorKind::integrity);
    CHECK(s.error().message.find("size mismatch") != std::string::npos);
}

TEST_CASE("s3 locations are signed with AWS SigV4 and fetched from the endpoint") {
    Env env;
    Artifact a = env.add("files", "s3pkg.conda");
    a.url = "s3://files/s3pkg.conda";  // bucket "files" on a path-style endpoint -> /files/s3pkg.conda
    FetchOptions o = env.options();
    o.aws.access_key_id = "AKIDEXAMPLE";
    o.aws.secret_access_key = "secret";
    o.aws.region = "eu-central-1";
    o.aws.endpoint = env.server->url("");
    auto r = fetch_all({a}, o, base::null_reporter());
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(test::slurp((*r)[0]) == env.data["s3pkg.conda"]);
    std::string stats = env.server->stats();
    CHECK(stats.find("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") != std::string::npos);
    CHECK(stats.find("/eu-central-1/s3/aws4_request") != std::string::npos);
}

TEST_CASE("two fetches sharing one cache at the same time both get complete, verified files") {
    Env env;
    std::vector<Artifact> arts;
    for (int i = 0; i < 20; ++i) arts.push_back(env.add("files", "shared-" + std::to_string(i) + ".conda", 100000));
    base::Result<std::vector<fs::path>> r1 = base::fail(base::ErrorKind::failure, "not run");
    base::Result<std::vector<fs::path>> r2 = r1;
    std::thread t1([&] { r1 = fetch_all(arts, env.options(), base::null_reporter()); });
    std::thread t2([&] { r2 = fetch_all(arts, env.options(), base::null_reporter()); });
    t1.join();
    t2.join();
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    CHECK(*r1 == *r2);
    for (std::size_t i = 0; i < arts.size(); ++i) CHECK(test::slurp((*r1)[i]) == env.data[arts[i].name]);
    // No temporary is left behind.
    CHECK(test::count_files(env.cache.path() / "artifacts" / "tmp") == 0);
    CHECK(env.stored() == arts.size());
}

TEST_CASE("a set cancel flag stops with ErrorKind::interrupted") {
    Env env;
    std::atomic<bool> cancel{true};
    FetchOptions o = env.options();
    o.cancel = &cancel;
    auto r = fetch_all({env.add("files", "c.conda")}, o, base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::interrupted);
}

TEST_CASE("an https download without CA certificates fails at once, naming the places searched") {
    Env env;
    Artifact a{"x.conda", "https://127.0.0.1:9/x.conda", {}, std::string(64, 'a'), "", 10};
    FetchOptions o = env.options();
    o.tls.source = "system";
    o.tls.searched = {"/nowhere/ca.crt", "/nowhere/certs"};
    auto r = fetch_all({a}, o, base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::unavailable);
    CHECK(r.error().message.find("/nowhere/ca.crt, /nowhere/certs") != std::string::npos);
    CHECK(r.error().message.find("--tls-ca-cert") != std::string::npos);
    CHECK(env.stored() == 0);
    // Plain http needs no certificates.
    Artifact b = env.add("files", "plain.conda", 1000);
    CHECK(fetch_all({b}, o, base::null_reporter()).ok());
}

TEST_CASE("an explicit proxy carries the transfer; no_proxy hosts go direct") {
    Env env;
    Artifact a = env.add("files", "p.conda", 5000);
    FetchOptions o = env.options();
    o.retries.attempts = 1;
    // Nothing listens on port 9: a transfer through that proxy fails and says which proxy.
    o.proxy.http = "http://user:secret@127.0.0.1:9";
    auto r = fetch_all({a}, o, base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("through proxy http://user:***@127.0.0.1:9") != std::string::npos);
    CHECK(r.error().message.find("secret") == std::string::npos);
    o.proxy.no_proxy = "localhost, 127.0.0.1";
    CHECK(fetch_all({a}, o, base::null_reporter()).ok());
}

namespace {
struct HostRecorder : base::Reporter {
    std::mutex mu;
    std::vector<std::string> retries, given_up;
    void fetch_retry(std::string_view host, unsigned attempt, unsigned attempts, long, std::string_view) override {
        std::lock_guard<std::mutex> lock(mu);
        retries.push_back(std::string(host) + " " + std::to_string(attempt) + "/" + std::to_string(attempts));
    }
    void fetch_given_up(std::string_view host, std::string_view name, std::string_view) override {
        std::lock_guard<std::mutex> lock(mu);
        given_up.push_back(std::string(host) + " " + std::string(name));
    }
};
}  // namespace

TEST_CASE("a host that refuses connections is tried as one host, then given up for all its artifacts") {
    Env env;
    FetchOptions o = env.options();
    o.retries.attempts = 3;
    o.max_parallel = 8;
    std::vector<Artifact> all;
    // Nothing listens on port 9; the served artifact on the test server still arrives.
    for (int i = 0; i < 40; ++i) {
        std::string name = "down" + std::to_string(i) + ".conda";
        all.push_back(Artifact{name, "http://127.0.0.1:9/" + name, {}, base::sha256_hex(name), "", 10});
    }
    all.push_back(env.add("files", "up.conda", 3000));
    HostRecorder rec;
    auto t0 = std::chrono::steady_clock::now();
    auto r = fetch_all(all, o, rec);
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::unavailable);
    const std::string& m = r.error().message;
    CAPTURE(m);
    // One line for the host with its count, not one per artifact, and what to do.
    CHECK(m.find("40 of 41 artifacts could not be fetched") != std::string::npos);
    CHECK(m.find("127.0.0.1:9: ") != std::string::npos);
    CHECK(m.find("40 artifacts not downloaded") != std::string::npos);
    CHECK(m.find("down17.conda") == std::string::npos);
    CHECK(m.find("--offline") != std::string::npos);
    CHECK(m.find("--bundle") != std::string::npos);
    CHECK(m.find("--mirror") != std::string::npos);
    // Three attempts for the host in all: two retries announced, then every artifact given up.
    CHECK(rec.retries == std::vector<std::string>{"127.0.0.1:9 2/3", "127.0.0.1:9 3/3"});
    CHECK(rec.given_up.size() == 40);
    CHECK(secs < 5);
    CHECK(env.stored() == 1);  // the reachable artifact
}
