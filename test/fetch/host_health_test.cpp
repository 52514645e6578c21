#include "pixi_install/fetch/host_health.hpp"

#include <doctest/doctest.h>

using pixi_install::fetch::HostHealth;
using namespace std::chrono_literals;

TEST_CASE("host health: concurrent failures count once, one probe at a time, then the host is given up") {
    HostHealth h(3, 500, 15000);
    const auto t0 = HostHealth::Clock::time_point{} + 1h;
    const std::string host = "conda.invalid";
    // Sixteen transfers start together and all fail to resolve: one attempt, not sixteen.
    for (int i = 0; i < 16; ++i) {
        CHECK(h.may_start(host, t0));
        h.started(host);
    }
    auto v = h.connect_failed(host, t0, t0 + 10ms, "Could not resolve host: conda.invalid");
    CHECK(v.host_level);
    CHECK(v.new_round);
    CHECK_FALSE(v.give_up);
    CHECK(v.next_attempt == 2);
    CHECK(v.delay_ms == 500);
    for (int i = 1; i < 16; ++i) {
        auto twin = h.connect_failed(host, t0, t0 + 12ms, "Could not resolve host: conda.invalid");
        CHECK(twin.host_level);
        CHECK_FALSE(twin.new_round);
        CHECK_FALSE(twin.give_up);
    }
    CHECK(h.status(host)->failures == 1);

    // Nothing starts during the back-off; then a single probe.
    CHECK_FALSE(h.may_start(host, t0 + 100ms));
    CHECK(h.may_start(host, t0 + 600ms));
    h.started(host);
    CHECK_FALSE(h.may_start(host, t0 + 600ms));
    v = h.connect_failed(host, t0 + 600ms, t0 + 610ms, "Could not resolve host: conda.invalid");
    CHECK(v.new_round);
    CHECK(v.delay_ms == 1000);  // doubled
    CHECK(h.may_start(host, t0 + 1700ms));
    h.started(host);
    v = h.connect_failed(host, t0 + 1700ms, t0 + 1710ms, "Could not resolve host: conda.invalid");
    CHECK(v.give_up);
    CHECK_FALSE(h.may_start(host, t0 + 1h));
    CHECK(h.status(host)->why == "Could not resolve host: conda.invalid");
    // Whatever else was bound for it goes too.
    CHECK(h.connect_failed(host, t0, t0 + 2s, "x").give_up);

    // Other hosts are not affected.
    CHECK(h.may_start("repo.example", t0 + 1700ms));
}

TEST_CASE("host health: a host that answered once is not judged as a whole any more") {
    HostHealth h(2, 10, 100);
    const auto t0 = HostHealth::Clock::time_point{} + 1h;
    h.started("a");
    h.connected("a");
    auto v = h.connect_failed("a", t0, t0, "Connection refused");
    CHECK_FALSE(v.host_level);  // the transfer retries on its own
    CHECK(h.may_start("a", t0));
    CHECK(h.status("a")->failures == 0);
}
