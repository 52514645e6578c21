#include "pixi_install/install/state.hpp"

#include "pixi_install/build/build.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

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
    // Added only when set, so prefixes installed before these options existed keep their fingerprint.
    if (in.run_post_link_scripts) h.field("run-post-link-scripts");
    if (in.compile_bytecode) h.field("compile-bytecode");
    if (in.source_date_epoch) h.field("source-date-epoch:" + std::to_string(*in.source_date_epoch));
    for (const auto& s : in.source_identities) h.field("source:" + s);
    if (!in.build_settings.empty()) h.field("build:" + in.build_settings);
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

namespace {

/// A first install killed before it changed anything leaves conda-meta/ with only this
/// tool's lock file: no state, no record.
bool first_install_cut_short(const fs::path& prefix) {
    std::error_code ec;
    if (!fs::exists(prefix / "conda-meta" / "pixi-install.lock", ec)) return false;
    for (fs::directory_iterator it(prefix / "conda-meta", ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".json") return false;
    return true;
}

}  // namespace

base::Result<void> require_finished(const fs::path& prefix) {
    const PrefixState state = read_state(prefix).state;
    if (state == PrefixState::complete) return {};
    if (state == PrefixState::absent) {
        if (!first_install_cut_short(prefix)) return {};
        return base::fail(base::ErrorKind::integrity,
                          "the first install into " + prefix.string() +
                              " did not finish (it was interrupted before any package was linked): run the install "
                              "again (pixi-install install -l <lock> -p " + prefix.string() + ")");
    }
    return base::fail(base::ErrorKind::integrity,
                      "the last install into " + prefix.string() +
                          " did not finish (it was interrupted or failed; conda-meta/pixi-install-state says "
                          "'installing'), so the environment is incomplete: run the install again "
                          "(pixi-install install -l <lock> -p " + prefix.string() +
                          "), which finishes or repairs it");
}

base::Result<void> write_state(const fs::path& prefix, const StateMarker& m) {
    PI_TRY_VOID(base::make_dirs(prefix / "conda-meta"));
    std::string word = m.state == PrefixState::complete ? "complete" : "installing";
    return base::write_file_atomic(state_path(prefix), word + " " + m.fingerprint + "\n", true);
}

namespace {

std::string stat_part(const fs::path& p, bool with_size) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return {};
    std::string s = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                    std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
                    std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
    if (with_size) s += ":" + std::to_string(st.st_size);
    return s;
}

}  // namespace

std::string prefix_stamp(const fs::path& prefix) {
    std::string dir = stat_part(prefix / "conda-meta", false);
    std::string state = stat_part(state_path(prefix), true);
    if (dir.empty() || state.empty()) return {};
    return dir + "/" + state;
}

fs::path noop_memo_path(const fs::path& cache_dir, const fs::path& prefix) {
    return cache_dir / "noop" / base::xxh3_hex(prefix.string());
}

std::optional<NoopMemo> read_noop_memo(const fs::path& path) {
    auto text = base::read_file(path);
    if (!text.ok()) return std::nullopt;
    // One "<field> <value>" per line; the first line names the format.
    NoopMemo m;
    std::size_t pos = 0;
    bool first = true;
    while (pos < text->size()) {
        std::size_t nl = text->find('\n', pos);
        if (nl == std::string::npos) return std::nullopt;  // cut short: not ours to trust
        std::string_view line(text->data() + pos, nl - pos);
        pos = nl + 1;
        auto sp = line.find(' ');
        std::string_view field = line.substr(0, sp);
        std::string value(sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1));
        if (first) {
            if (line != "pixi-install-noop 1") return std::nullopt;
            first = false;
        } else if (field == "key") {
            m.key = value;
        } else if (field == "fingerprint") {
            m.fingerprint = value;
        } else if (field == "stamp") {
            m.stamp = value;
        } else if (field == "platform") {
            m.platform = value;
        } else if (field == "packages") {
            m.packages = std::strtoull(value.c_str(), nullptr, 10);
        } else if (field == "warning") {
            m.warnings.push_back(value);
        } else if (field == "source") {
            // "source <0|1> <identity> <path>"
            auto a = value.find(' ');
            auto b = a == std::string::npos ? a : value.find(' ', a + 1);
            if (b == std::string::npos) return std::nullopt;
            m.sources.push_back({value.substr(b + 1), value.substr(0, a) == "1", value.substr(a + 1, b - a - 1)});
        } else if (field == "end") {
            if (m.key.empty() || m.fingerprint.empty() || m.stamp.empty()) return std::nullopt;
            return m;
        }
    }
    return std::nullopt;
}

base::Result<void> write_noop_memo(const fs::path& path, const NoopMemo& m) {
    std::string out = "pixi-install-noop 1\nkey " + m.key + "\nfingerprint " + m.fingerprint + "\nstamp " + m.stamp +
                      "\nplatform " + m.platform + "\npackages " + std::to_string(m.packages) + "\n";
    for (const auto& w : m.warnings) {
        std::string one = w;
        std::replace(one.begin(), one.end(), '\n', ' ');
        out += "warning " + one + "\n";
    }
    for (const auto& s : m.sources) {
        const std::string p = s.path.string();
        if (p.find('\n') != std::string::npos || s.identity.find(' ') != std::string::npos)
            return base::fail(base::ErrorKind::failure, "a source path the memo cannot hold");
        out += "source " + std::string(s.editable ? "1 " : "0 ") + s.identity + " " + p + "\n";
    }
    out += "end\n";
    PI_TRY_VOID(base::make_dirs(path.parent_path()));
    return base::write_file_atomic(path, out);
}

bool noop_memo_holds(const NoopMemo& memo, const std::string& key, const fs::path& prefix) {
    if (memo.key != key || memo.stamp.empty() || prefix_stamp(prefix) != memo.stamp) return false;
    StateMarker s = read_state(prefix);
    if (s.state != PrefixState::complete || s.fingerprint != memo.fingerprint) return false;
    for (const auto& src : memo.sources) {
        build::BuildRequest r;
        r.kind = build::SourceKind::directory;
        r.source = src.path;
        r.editable = src.editable;
        auto id = build::source_identity(r, "");
        if (!id.ok() || *id != src.identity) return false;
    }
    return true;
}

}  // namespace pixi_install::install
