// PEP 508 requirements (`name[extra1,extra2] >=1.0,<2 ; python_version < "3.11"`,
// `name @ https://...`) and environment markers, evaluated against a marker
// environment (a platform and a python). Pure.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/pep440.hpp"

namespace pixi_install::spec::pep508 {

/// The values markers compare against (PEP 508 names, dotted legacy forms accepted).
struct MarkerEnvironment {
    std::string implementation_name = "cpython";
    std::string implementation_version;
    std::string os_name;
    std::string platform_machine;
    std::string platform_python_implementation = "CPython";
    std::string platform_release;
    std::string platform_system;
    std::string platform_version;
    std::string python_full_version;
    std::string python_version;
    std::string sys_platform;

    /// A variable's value, or nullptr for an unknown name (`extra` is not one).
    const std::string* get(std::string_view name) const;
    /// pixi's marker environment for a conda subdir and the locked python's
    /// version; nullopt for subdirs without one (wasm, noarch).
    static std::optional<MarkerEnvironment> for_platform(std::string_view subdir, std::string_view python_version);
};

/// A parsed marker expression.
class Marker {
public:
    static base::Result<Marker> parse(std::string_view text);
    /// True when the marker holds; `extra == 'x'` holds when x is one of `extras`
    /// (normalised names). An empty marker holds.
    bool evaluate(const MarkerEnvironment& env, const std::vector<std::string>& extras) const;
    bool empty() const { return !root_; }
    /// Canonical text: `sys_platform == 'darwin' and extra == 'test'`.
    std::string str() const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
};

struct Requirement {
    std::string name;             ///< as written
    std::string normalized_name;  ///< PEP 503
    std::vector<std::string> extras;  ///< normalised
    pep440::Specifiers specifiers;
    std::optional<std::string> url;   ///< `name @ url`
    Marker marker;

    static base::Result<Requirement> parse(std::string_view text);
    /// Whether the requirement applies in `env` with these requested extras.
    bool applies(const MarkerEnvironment& env, const std::vector<std::string>& extras) const {
        return marker.evaluate(env, extras);
    }
    /// uv's display form: `name[a,b]>=1.0, <2 ; marker`, `name @ url`.
    std::string str() const;
};

}  // namespace pixi_install::spec::pep508
