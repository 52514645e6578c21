// The reporter interface: library code reports progress and warnings through
// it and never prints. The cli module renders it (terminal bar or plain lines);
// tests record it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pixi_install::base {

enum class Phase { read, check, plan, fetch, extract, link, record, done };

const char* phase_name(Phase p) noexcept;

/// Called from worker threads; implementations must be thread-safe.
class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void phase(Phase /*p*/, std::size_t /*total_items*/) {}
    /// A download began; `total` is 0 when unknown.
    virtual void fetch_started(std::string_view /*name*/, std::uint64_t /*total*/) {}
    /// `delta` more bytes arrived for `name`.
    virtual void fetch_progress(std::string_view /*name*/, std::uint64_t /*delta*/) {}
    virtual void fetch_finished(std::string_view /*name*/, std::uint64_t /*bytes*/, bool /*from_network*/) {}
    /// `host` could not be reached; attempt `attempt` of `attempts` follows in `delay_ms`.
    virtual void fetch_retry(std::string_view /*host*/, unsigned /*attempt*/, unsigned /*attempts*/,
                             long /*delay_ms*/, std::string_view /*why*/) {}
    /// `name` (at `url`) was not downloaded because `host` was given up; the error then
    /// counts such artifacts per host, this names each one.
    virtual void fetch_given_up(std::string_view /*host*/, std::string_view /*name*/, std::string_view /*url*/) {}
    virtual void extracted(std::string_view /*name*/) {}
    virtual void linked(std::string_view /*name*/) {}
    virtual void removed(std::string_view /*name*/) {}
    virtual void warning(std::string_view /*message*/) {}
    virtual void info(std::string_view /*message*/) {}
    /// A source package's build starts ("building NAME (kind) with BACKEND"): shown
    /// unless quiet, since it may take a while.
    virtual void building(std::string_view /*line*/) {}
};

/// Discards everything.
Reporter& null_reporter();

}  // namespace pixi_install::base
