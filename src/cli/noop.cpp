#include "noop.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/host/probe.hpp"
#include "pixi_install/manifest/manifest.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

std::optional<std::string> lock_digest(const fs::path& lock) {
    auto bytes = base::read_file(lock);
    if (!bytes.ok()) return std::nullopt;
    return base::xxh3_hex(*bytes);
}

std::optional<std::string> noop_key(const Globals& g, const NoopInputs& in, const std::string& digest) {
    base::Xxh3 h;
    h.field("pixi-install-noop-key-1");
    h.field(PIXI_INSTALL_VERSION);
    h.field(in.lock.string());
    h.field(digest);
    h.field(in.environment);
    h.field(in.platform_arg);
    h.field(in.prefix.string());
    h.field(in.project_root.string());
    h.field(in.link_mode);
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    for (const auto& s : sorted(in.skip)) h.field("skip:" + s);
    for (const auto& s : sorted(in.only)) h.field("only:" + s);
    h.field(in.no_pypi ? "no-pypi" : "pypi");
    h.field(in.run_post_link_scripts ? "post-link" : "no-post-link");
    h.field(in.no_host_check ? "no-host-check" : "host-check");
    for (const auto& f : in.find_links) h.field("find-links:" + f);
    if (in.no_install_local) h.field("no-install-local");
    h.field(in.compile_bytecode ? "compile-bytecode" : "no-bytecode");
    h.field(in.source_date_epoch ? "epoch:" + std::to_string(*in.source_date_epoch) : "no-epoch");

    // The manifest: its system requirements decide the host check, its name the activation scripts.
    std::optional<fs::path> manifest;
    if (!in.manifest_flag.empty()) manifest = fs::path(in.manifest_flag);
    else manifest = manifest::find_manifest(in.lock.parent_path());
    if (manifest) {
        auto bytes = base::read_file(*manifest);
        if (!bytes.ok()) return std::nullopt;
        h.field("manifest:" + manifest->string());
        h.field(base::xxh3_hex(*bytes));
    } else {
        h.field("no-manifest");
    }

    // The host, as its virtual packages (overrides applied) decide the platform and the check.
    host::Overrides o = overrides_from(g);
    host::ProbeOptions po;
    if (const auto* p = g.getenv("PATH")) po.path = *p;
    po.cuda = false;
    if (!o.find("CUDA")) {
        // The driver's own version line names it; without one, ask the driver as the full run does.
        auto proc = base::read_file("/proc/driver/nvidia/version");
        if (proc.ok() && !proc->empty()) h.field("nvidia:" + *proc);
        else po.cuda = true;
    }
    auto vp = host::detect(host::probe_host(po), o);
    if (!vp.ok()) return std::nullopt;
    h.field("subdir:" + vp->subdir);
    for (const auto& p : vp->packages) h.field(p.name + "=" + p.str());
    return h.hex();
}

base::Result<std::optional<std::int64_t>> source_date_epoch(const Globals& g, bool reproducible_flag) {
    const std::string* v = g.getenv("SOURCE_DATE_EPOCH");
    if (v && !base::trim(*v).empty()) {
        std::string s(base::trim(*v));
        errno = 0;
        char* end = nullptr;
        long long n = std::strtoll(s.c_str(), &end, 10);
        if (errno != 0 || end == s.c_str() || *end != '\0' || n < 0 || s.front() == '+')
            return base::fail(base::ErrorKind::usage,
                              "SOURCE_DATE_EPOCH='" + *v + "' is not a number of seconds since 1970 "
                              "(set it to e.g. 0 or $(git log -1 --format=%ct), or unset it)");
        return std::optional<std::int64_t>(n);
    }
    if (reproducible_flag) return std::optional<std::int64_t>(0);
    return std::optional<std::int64_t>();
}

base::Result<bool> env_flag(const Globals& g, const std::string& name) {
    const std::string* v = g.getenv(name);
    if (!v) return false;
    std::string s = base::ascii_lower(base::trim(*v));
    if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
    if (s.empty() || s == "0" || s == "false" || s == "no" || s == "off") return false;
    return base::fail(base::ErrorKind::usage, name + "='" + *v + "' is neither 1/true/yes/on nor 0/false/no/off");
}

}  // namespace pixi_install::cli
