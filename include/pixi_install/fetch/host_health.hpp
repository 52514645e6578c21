// Which hosts answer, during one fetch. A host that cannot be resolved or connected
// to is retried as one host (one transfer probes it while the others wait), not once
// per artifact, and after the last attempt it is given up for all its artifacts at
// once. A host that answered once in the run is not judged again: a later failure is
// one transfer's, retried as such. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace pixi_install::fetch {

class HostHealth {
public:
    using Clock = std::chrono::steady_clock;

    struct Status {
        bool reached = false;   ///< some transfer connected to it in this run
        bool down = false;      ///< given up: its artifacts are not attempted any more
        bool probing = false;   ///< a transfer is trying it after a failure
        unsigned failures = 0;  ///< rounds of connection failures
        Clock::time_point last_failure{};
        Clock::time_point not_before{};  ///< the next attempt waits until then
        std::string why;        ///< the last failure, as the transfer library said it
    };

    /// What follows a connection failure.
    struct Verdict {
        bool host_level = false;  ///< the host has never answered: the host is judged, not the transfer
        bool give_up = false;     ///< the host is down now (or already was)
        bool new_round = false;   ///< this failure counted as an attempt (not a concurrent twin)
        unsigned next_attempt = 0;
        long delay_ms = 0;
        Clock::time_point not_before{};
    };

    /// `attempts` tries per host (the first included), waiting `initial_backoff_ms`,
    /// doubled each time up to `max_backoff_ms`, between them.
    HostHealth(unsigned attempts, long initial_backoff_ms, long max_backoff_ms);

    /// Whether a transfer to `host` may start at `now`: not when it is down, nor while it
    /// waits out a failure or another transfer probes it.
    bool may_start(const std::string& host, Clock::time_point now) const;
    /// A transfer to `host` starts (it becomes the probe when the host has failed).
    void started(const std::string& host);
    /// A transfer to `host` got a connection, whatever the answer.
    void connected(const std::string& host);
    /// A transfer to `host`, started at `started_at`, could not resolve or connect to it.
    /// Transfers that were already under way when the last failure was counted fail
    /// with it and do not count again.
    Verdict connect_failed(const std::string& host, Clock::time_point started_at, Clock::time_point now,
                           const std::string& why);

    /// nullptr for a host never seen.
    const Status* status(const std::string& host) const;
    unsigned attempts() const { return attempts_; }

private:
    unsigned attempts_;
    long initial_backoff_ms_;
    long max_backoff_ms_;
    std::map<std::string, Status> hosts_;
};

}  // namespace pixi_install::fetch
