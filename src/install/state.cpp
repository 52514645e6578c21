#include "pixi_install/install/state.hpp"

#include <algorithm>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;

std::string fingerprint(const lockfile::Selection& s, const FingerprintInputs& in) {
    base::Xxh3 h;
    h.field("pixi-install-state-1");
    h.field(s.environment);
    h.field(s.platform);
    h.field(s.subdir);
    h.field(in.prefix);
    h.field(in.link_mode);
    h.field(in.no_pypi ? "no-pypi" : "pypi");
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    for (const auto& x : sorted(in.skip)) h.field("skip:" + x);
    for (const auto& x : sorted(in.only)) h.field("only:" + x);
    for (const auto& r : s.conda) {
        h.field("conda");
        h.field(r->name);
        h.field(r->version);
        h.field(r->build);
        h.field(r->sha256.value_or(""));
        h.field(r->md5.value_or(""));
        h.field(r->location);
        h.field(r->python_site_packages_path.value_or(""));
    }
    for (const auto& r : s.pypi) {
        h.field("pypi");
        h.field(r->name);
        h.field(r->version.value_or(""));
        h.field(r->sha256.value_or(""));
        h.field(r->location);
    }
    for (const auto& r : s.sources) {
        h.field("source");
        h.field(r->location);
    }
    return h.hex();
}

fs::path state_path(const fs::path& prefix) { return prefix / "conda-meta" / "pixi-install-state"; }

StateMarker read_state(const fs::path& prefix) {
    StateMarker m;
    std::error_code ec;
    if (!fs::exists(state_path(prefix), ec)) return m;
    auto text = base::read_file(state_path(prefix));
    m.state = PrefixState::installing;
    if (!text.ok()) return m;
    // "<state> <fingerprint>\n"
    const std::string& t = *text;
    auto sp = t.find(' ');
    if (sp == std::string::npos) return m;
    std::string state = t.substr(0, sp);
    std::string fp = t.substr(sp + 1);
    while (!fp.empty() && (fp.back() == '\n' || fp.back() == '\r')) fp.pop_back();
    if (!base::is_hex_digest(fp, 8)) return m;
    m.fingerprint = fp;
    if (state == "complete") m.state = PrefixState::complete;
    return m;
}

base::Result<void> write_state(const fs::path& prefix, const StateMarker& m) {
    PI_TRY_VOID(base::make_dirs(prefix / "conda-meta"));
    std::string word = m.state == PrefixState::complete ? "complete" : "installing";
    return base::write_file_atomic(state_path(prefix), word + " " + m.fingerprint + "\n", true);
}

}  // namespace pixi_install::install
