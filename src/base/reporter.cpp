#include "pixi_install/base/reporter.hpp"

namespace pixi_install::base {

const char* phase_name(Phase p) noexcept {
    switch (p) {
        case Phase::read: return "read";
        case Phase::check: return "check";
        case Phase::plan: return "plan";
        case Phase::fetch: return "fetch";
        case Phase::extract: return "extract";
        case Phase::link: return "link";
        case Phase::record: return "record";
        case Phase::done: return "done";
    }
    return "?";
}

Reporter& null_reporter() {
    static Reporter r;
    return r;
}

}  // namespace pixi_install::base
