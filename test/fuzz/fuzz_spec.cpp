// libFuzzer target: conda version, version-spec and match-spec parsing and
// matching. The input is split at the first newline into a spec and a version.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pixi_install/spec/match_spec.hpp"
#include "pixi_install/spec/version.hpp"
#include "pixi_install/spec/version_spec.hpp"

using namespace pixi_install;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto nl = input.find('\n');
    std::string_view spec_text = input.substr(0, nl);
    std::string_view version_text = nl == std::string_view::npos ? input : input.substr(nl + 1);
    auto version = spec::Version::parse(version_text);
    auto vs = spec::VersionSpec::parse(spec_text);
    auto ms = spec::MatchSpec::parse(spec_text);
    if (version.ok()) {
        (void)version->str();
        auto other = spec::Version::parse(spec_text);
        if (other.ok()) (void)(*version < *other);
        if (vs.ok()) (void)vs->matches(*version);
        if (ms.ok()) (void)ms->matches("name", *version, "build_0");
    }
    return 0;
}
