#include "pixi_install/fetch/host_health.hpp"

#include <algorithm>

namespace pixi_install::fetch {

HostHealth::HostHealth(unsigned attempts, long initial_backoff_ms, long max_backoff_ms)
    : attempts_(std::max(1u, attempts)),
      initial_backoff_ms_(std::max(0L, initial_backoff_ms)),
      max_backoff_ms_(std::max(0L, max_backoff_ms)) {}

bool HostHealth::may_start(const std::string& host, Clock::time_point now) const {
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return true;
    const Status& s = it->second;
    if (s.down) return false;
    if (s.reached || s.failures == 0) return true;
    return !s.probing && now >= s.not_before;
}

void HostHealth::started(const std::string& host) {
    Status& s = hosts_[host];
    if (!s.reached && s.failures > 0) s.probing = true;
}

void HostHealth::connected(const std::string& host) {
    Status& s = hosts_[host];
    s.reached = true;
    s.probing = false;
}

HostHealth::Verdict HostHealth::connect_failed(const std::string& host, Clock::time_point started_at,
                                               Clock::time_point now, const std::string& why) {
    Status& s = hosts_[host];
    Verdict v;
    if (s.reached) return v;  // it answered before: this transfer's own trouble
    v.host_level = true;
    s.probing = false;
    if (s.down) {
        v.give_up = true;
        return v;
    }
    v.new_round = s.failures == 0 || started_at >= s.last_failure;
    if (v.new_round) {
        ++s.failures;
        s.last_failure = now;
        s.why = why;
        if (s.failures >= attempts_) {
            s.down = true;
            v.give_up = true;
            return v;
        }
        long delay = initial_backoff_ms_;
        for (unsigned i = 1; i < s.failures && delay < max_backoff_ms_; ++i) delay *= 2;
        delay = std::min(delay, max_backoff_ms_);
        s.not_before = now + std::chrono::milliseconds(delay);
    }
    v.next_attempt = s.failures + 1;
    v.not_before = s.not_before;
    v.delay_ms = static_cast<long>(
        std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(s.not_before - now).count()));
    return v;
}

const HostHealth::Status* HostHealth::status(const std::string& host) const {
    auto it = hosts_.find(host);
    return it == hosts_.end() ? nullptr : &it->second;
}

}  // namespace pixi_install::fetch
