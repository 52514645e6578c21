// Installing one wheel: read its central directory and dist-info in place,
// check everything (names, RECORD, WHEEL, entry points, data directories), then
// stream every member straight to its final place, hashing it on the way, and
// write the installer's dist-info files and RECORD. No staging copy.
#include "pixi_install/prefix/wheel.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/archive/zip_reader.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;
using base::ErrorKind;

namespace {

struct Member {
    std::string rel;        ///< path inside the wheel, '/' separated, clean
    std::size_t index = 0;  ///< in the zip
};

/// One file to put in the prefix.
struct Placement {
    std::size_t src = 0;      ///< zip member (when !generated)
    std::string dest;         ///< prefix-relative
    mode_t mode = 0644;
    bool rewrite_shebang = false;
    std::string content;      ///< generated content (launchers, installer metadata)
    bool generated = false;
    bool script = false;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

base::Error invalid(const std::string& wheel, const std::string& why) {
    return base::fail(ErrorKind::integrity, "invalid wheel " + wheel + ": " + why);
}

/// `dest` (prefix-relative) as a RECORD path relative to site-packages.
std::string record_path(const std::string& site, const std::string& dest) {
    if (starts_with(dest, site + "/")) return dest.substr(site.size() + 1);
    std::string up;
    for (std::size_t n = std::count(site.begin(), site.end(), '/') + 1; n > 0; --n) up += "../";
    return up + dest;
}

/// A wheel-relative path as RECORD would name it: already clean in the usual case.
std::string clean_rel(const std::string& p) {
    bool clean = p.find("//") == std::string::npos && p.find("./") == std::string::npos &&
                 (p.size() < 2 || p.compare(p.size() - 2, 2, "/.") != 0) && p != ".";
    return clean ? p : fs::path(p).lexically_normal().generic_string();
}

}  // namespace

/// One wheel's install between prepare() and finish(): what was checked and planned, and
/// what each placement wrote (set by the part that placed it).
struct WheelInstall::State {
    std::string wheel;  ///< the file name, for messages
    fs::path prefix;
    std::string site;
    std::string dist_info;
    std::string record_name;
    WheelInstallOptions opts;
    std::optional<archive::ZipReader> zip;
    std::vector<Placement> plan;  ///< sorted by destination
    WheelInstallResult result;    ///< name, version and dist_info so far
    std::vector<RecordRow> rows;  ///< per placement
    std::vector<char> replaced;   ///< per placement
    std::vector<std::uint64_t> sizes;
    std::mutex mu;
    std::vector<std::unique_ptr<archive::FilePlacer>> placers;  ///< one per part, in the order they began
    std::size_t placed = 0;
    bool set_aside = false;  ///< the wheel's mapping was given back until the first part
};

base::Result<WheelInstall> WheelInstall::prepare(const fs::path& wheel_file, const fs::path& prefix_in,
                                                 const spec::PythonInfo& python, const WheelInstallOptions& opts) {
    const std::string wheel = opts.file_name.empty() ? wheel_file.filename().string() : opts.file_name;
    auto ctx = [&](base::Error e) { return std::move(e).with_context("while installing wheel " + wheel); };
    auto name_r = spec::WheelName::parse(wheel);
    if (!name_r) return ctx(std::move(name_r).error());
    const spec::WheelName& wname = *name_r;
    const fs::path prefix = base::absolute_normal(prefix_in);
    const std::string site = python.site_packages;
    const std::string exe = (prefix / python.interpreter).string();

    // Everything is read from the zip in place and checked before a byte is written.
    auto zip_r = archive::ZipReader::open(wheel_file, wheel);
    if (!zip_r) return ctx(std::move(zip_r).error());
    const archive::ZipReader& zip = *zip_r;
    if (opts.max_unpacked_bytes != 0 && zip.total_size() > opts.max_unpacked_bytes)
        return ctx(base::fail(ErrorKind::integrity,
                              "refusing " + wheel + ": its declared unpacked size of " + std::to_string(zip.total_size()) +
                                  " bytes exceeds the limit of " + std::to_string(opts.max_unpacked_bytes) +
                                  " bytes (a decompression bomb or a wrong size in the lock file)"));
    std::vector<Member> members;
    members.reserve(zip.entries().size());
    {
        std::unordered_map<std::string, std::size_t> at;  // clean name -> position in members
        for (std::size_t i = 0; i < zip.entries().size(); ++i) {
            const archive::ZipEntry& e = zip.entries()[i];
            if (e.type != archive::ZipEntryType::directory && e.type != archive::ZipEntryType::other &&
                base::is_clean_relative(e.name)) {  // the usual case: the name is the path
                if (auto it = at.find(e.name); it != at.end()) {
                    members[it->second].index = i;
                    continue;
                }
                at.emplace(e.name, members.size());
                members.push_back({e.name, i});
                continue;
            }
            auto rel = base::safe_relative(e.name);
            if (e.type == archive::ZipEntryType::directory) {
                if (!rel && !e.name.empty() && e.name.find_first_not_of("./") == std::string::npos &&
                    e.name.find("..") == std::string::npos)
                    continue;  // "./": the root itself
            }
            if (!rel)
                return ctx(std::move(rel).error().with_context("in the member list of " + wheel +
                                                                " (the archive is corrupt or malicious; nothing was installed from it)"));
            if (e.type == archive::ZipEntryType::directory) continue;
            if (e.type == archive::ZipEntryType::other)
                return ctx(invalid(wheel, "member '" + e.name + "' is not a regular file"));
            std::string clean = rel->generic_string();
            // A later duplicate (after cleaning the name) replaces the earlier one.
            if (auto it = at.find(clean); it != at.end()) {
                members[it->second].index = i;
                continue;
            }
            at.emplace(clean, members.size());
            members.push_back({std::move(clean), i});
        }
        // A member whose path is another member's parent directory cannot be unpacked.
        for (const auto& m : members)
            for (auto pos = m.rel.find('/'); pos != std::string::npos; pos = m.rel.find('/', pos + 1))
                if (at.count(m.rel.substr(0, pos)))
                    return ctx(invalid(wheel, "member '" + m.rel + "' needs a directory where the archive has a file"));
    }

    // The one .dist-info directory, matching the file name.
    std::set<std::string> dist_infos;
    for (const auto& m : members) {
        auto top = m.rel.substr(0, m.rel.find('/'));
        if (top.size() < m.rel.size() && ends_with(top, ".dist-info")) dist_infos.insert(top);
    }
    if (dist_infos.size() != 1)
        return ctx(invalid(wheel, "it has " + std::to_string(dist_infos.size()) +
                                      " .dist-info directories (exactly one is required)"));
    const std::string dist_info = *dist_infos.begin();
    const std::string stem = dist_info.substr(0, dist_info.size() - 10);
    const auto dash = stem.rfind('-');
    const std::string di_name = dash == std::string::npos ? stem : stem.substr(0, dash);
    const std::string di_version = dash == std::string::npos ? std::string() : stem.substr(dash + 1);
    if (opts.check_file_name &&
        (spec::normalize_pypi_name(di_name) != wname.normalized_name() ||
         (di_version != wname.version && di_version != wname.public_version())))
        return ctx(invalid(wheel, "its metadata directory " + dist_info + " does not match the file name " +
                                      "(expected " + wname.distribution + "-" + wname.version + ".dist-info)"));

    std::unordered_map<std::string, std::size_t> member_index;  // clean name -> zip index
    member_index.reserve(members.size());
    for (const auto& m : members) member_index.emplace(m.rel, m.index);
    auto read_meta = [&](const std::string& file) -> base::Result<std::optional<std::string>> {
        auto it = member_index.find(dist_info + "/" + file);
        if (it == member_index.end()) return std::optional<std::string>();
        PI_TRY(std::string s, zip.read(it->second));
        return std::optional<std::string>(std::move(s));
    };
    auto wheel_txt = read_meta("WHEEL");
    if (!wheel_txt) return ctx(std::move(wheel_txt).error());
    if (!*wheel_txt) return ctx(invalid(wheel, dist_info + "/WHEEL is missing"));
    {
        auto hdr = parse_headers(**wheel_txt);
        auto wv = header_value(hdr, "Wheel-Version");
        if (!wv) return ctx(invalid(wheel, dist_info + "/WHEEL has no Wheel-Version"));
        int major = std::atoi(wv->c_str());
        if (wv->empty() || !std::isdigit(static_cast<unsigned char>((*wv)[0])) || major > 1)
            return ctx(invalid(wheel, "unsupported Wheel-Version " + *wv + " (only 1.x is supported)"));
    }
    auto record_txt = read_meta("RECORD");
    if (!record_txt) return ctx(std::move(record_txt).error());
    if (!*record_txt) return ctx(invalid(wheel, dist_info + "/RECORD is missing"));
    auto record_r = parse_record(**record_txt);
    if (!record_r) return ctx(std::move(record_r).error().with_context("in " + dist_info + "/RECORD"));
    std::unordered_set<std::string> listed;
    for (auto& row : *record_r) {
        std::string p = row.path;
        while (starts_with(p, "/")) p.erase(0, 1);  // some wheels write absolute paths
        // A RECORD path must stay inside the environment.
        const bool dotdot = p == ".." || starts_with(p, "../") || ends_with(p, "/..") ||
                            p.find("/../") != std::string::npos;
        fs::path target = dotdot ? (fs::path(site) / p).lexically_normal() : fs::path(site);
        if (target.empty() || target.is_absolute() || *target.begin() == "..")
            return ctx(base::fail(ErrorKind::integrity, "invalid wheel " + wheel + ": RECORD path '" + row.path +
                                                            "' leads outside the environment"));
        listed.insert(clean_rel(p));
    }
    const std::string record_name = dist_info + "/RECORD";
    for (const auto& m : members) {
        if (m.rel == record_name || m.rel == record_name + ".jws" || m.rel == record_name + ".p7s") continue;
        if (!listed.count(m.rel))
            return ctx(invalid(wheel, "member '" + m.rel + "' is not listed in " + record_name));
    }

    // Entry points.
    std::vector<EntryPoint> entry_points;
    {
        auto ep_txt = read_meta("entry_points.txt");
        if (!ep_txt) return ctx(std::move(ep_txt).error());
        if (*ep_txt) {
            auto eps = parse_entry_points(**ep_txt);
            if (!eps) return ctx(std::move(eps).error().with_context("in " + dist_info + "/entry_points.txt"));
            bool has_pip3 = false;
            for (auto& ep : *eps) {
                if (starts_with(ep.name, "pip3.") && ep.name.size() > 5 &&
                    std::all_of(ep.name.begin() + 5, ep.name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                    continue;  // replaced by pip3.<this python's minor> below
                if (ep.name == "pip3") has_pip3 = true;
                entry_points.push_back(ep);
            }
            if (has_pip3) {
                auto pip3 = *std::find_if(entry_points.begin(), entry_points.end(), [](auto& e) { return e.name == "pip3"; });
                pip3.name = "pip" + python.short_version;
                entry_points.push_back(pip3);
            }
        }
    }
    std::set<std::string> ep_names;
    for (const auto& ep : entry_points) {
        if (is_reserved_script_name(ep.name))
            return ctx(invalid(wheel, "entry point '" + ep.name + "' would replace the environment's interpreter"));
        if (auto rel = base::safe_relative(ep.name); !rel || rel->has_parent_path())
            return ctx(invalid(wheel, "entry point name '" + ep.name + "' is not a plain file name"));
        ep_names.insert(ep.name);
    }

    // Where every member goes.
    const std::string data_dir = stem + ".data";
    std::vector<Placement> plan;
    plan.reserve(members.size() + entry_points.size() + 3);
    for (const auto& m : members) {
        if (m.rel == record_name) continue;
        Placement p;
        p.src = m.index;
        p.mode = zip.entries()[m.index].mode;
        if (starts_with(m.rel, data_dir + "/")) {
            std::string rest = m.rel.substr(data_dir.size() + 1);
            auto slash = rest.find('/');
            if (slash == std::string::npos)
                return ctx(invalid(wheel, "'" + m.rel + "' is not inside a " + data_dir + " category directory"));
            std::string kind = rest.substr(0, slash), sub = rest.substr(slash + 1);
            if (kind == "scripts") {
                if (sub.find('/') != std::string::npos)
                    return ctx(invalid(wheel, "script '" + m.rel + "' is inside a subdirectory"));
                if (is_reserved_script_name(sub))
                    return ctx(invalid(wheel, "script '" + sub + "' would replace the environment's interpreter"));
                if (ep_names.count(sub)) continue;  // same name as an entry point: the generated launcher wins
                p.dest = python.bin_dir + "/" + sub;
                p.script = true;
                auto body = zip.read(m.index);
                if (!body) return ctx(std::move(body).error());
                if (starts_with(*body, "#!python")) {
                    // The rest of the first line goes; the interpreter's shebang comes instead.
                    auto nl = body->find('\n');
                    p.rewrite_shebang = true;
                    auto head = script_shebang(exe);
                    if (!head) return ctx(std::move(head).error());
                    p.content = *head + (nl == std::string::npos ? std::string() : body->substr(nl + 1));
                }
            } else if (kind == "purelib" || kind == "platlib") {
                p.dest = site + "/" + sub;
            } else if (kind == "headers") {
                p.dest = python.include_dir + "/" + wname.distribution + "/" + sub;
            } else if (kind == "data") {
                p.dest = sub;
            } else {
                return ctx(invalid(wheel, "unknown data directory '" + data_dir + "/" + kind + "'"));
            }
        } else {
            p.dest = site + "/" + m.rel;
        }
        if (!base::is_clean_relative(p.dest)) {
            auto r = base::safe_relative(p.dest);
            if (!r) return ctx(std::move(r).error());
            p.dest = r->generic_string();
        }
        if (auto why = reserved_prefix_path(p.dest, python.bin_dir); !why.empty())
            return ctx(invalid(wheel, "'" + m.rel + "' would write " + p.dest + ", " + std::string(why) + " (refused)"));
        plan.push_back(std::move(p));
    }
    for (const auto& ep : entry_points) {
        Placement p;
        p.dest = python.bin_dir + "/" + ep.name;
        p.generated = true;
        p.script = true;
        p.mode = 0755;
        auto launcher = launcher_script(ep, exe);
        if (!launcher) return ctx(std::move(launcher).error());
        p.content = std::move(*launcher);
        plan.push_back(std::move(p));
    }
    auto meta = [&](const std::string& file, std::string content) {
        Placement p;
        p.dest = site + "/" + dist_info + "/" + file;
        p.generated = true;
        p.content = std::move(content);
        plan.push_back(std::move(p));
    };
    meta("INSTALLER", opts.installer);
    if (opts.requested) meta("REQUESTED", "");
    if (opts.direct_url) meta("direct_url.json", direct_url_json(*opts.direct_url));
    if (opts.source_identity) meta("PIXI_INSTALL_SOURCE", *opts.source_identity + "\n");
    // Generated files replace same-named members (a wheel shipping its own INSTALLER).
    {
        std::set<std::string> seen;
        std::vector<Placement> dedup;
        for (auto it = plan.rbegin(); it != plan.rend(); ++it)
            if (seen.insert(it->dest).second) dedup.push_back(std::move(*it));
        plan.assign(std::make_move_iterator(dedup.rbegin()), std::make_move_iterator(dedup.rend()));
    }

    // Everything checked: move into place.
    WheelInstallResult result;
    result.version = di_version;
    result.name = di_name;
    if (auto md = read_meta("METADATA"); md && *md) {
        auto hdr = parse_headers(**md);
        if (auto n = header_value(hdr, "Name")) result.name = *n;
        if (auto v = header_value(hdr, "Version")) result.version = *v;
    }
    result.dist_info = prefix / site / dist_info;
    if (auto r = base::make_dirs(prefix); !r) return ctx(std::move(r).error());
    // Grouped by directory: each one is checked, created and opened once.
    std::sort(plan.begin(), plan.end(), [](const Placement& a, const Placement& b) { return a.dest < b.dest; });
    auto st = std::make_unique<State>();
    st->wheel = wheel;
    st->prefix = prefix;
    st->site = site;
    st->dist_info = dist_info;
    st->record_name = record_name;
    st->opts = opts;
    st->plan = std::move(plan);
    st->result = std::move(result);
    st->rows.resize(st->plan.size());
    st->replaced.assign(st->plan.size(), 0);
    st->sizes.assign(st->plan.size(), 0);
    st->zip.emplace(std::move(*zip_r));
    return WheelInstall(std::move(st));
}

WheelInstall::WheelInstall(std::unique_ptr<State> s) : s_(std::move(s)) {}
WheelInstall::WheelInstall(WheelInstall&&) noexcept = default;
WheelInstall& WheelInstall::operator=(WheelInstall&&) noexcept = default;
WheelInstall::~WheelInstall() = default;

std::size_t WheelInstall::size() const { return s_->plan.size(); }

std::vector<std::uint64_t> WheelInstall::weights() const {
    std::vector<std::uint64_t> w;
    w.reserve(s_->plan.size());
    for (const auto& p : s_->plan) {
        const std::uint64_t bytes = p.generated || p.rewrite_shebang ? p.content.size() : s_->zip->entries()[p.src].size;
        w.push_back(1 + bytes / 16384);
    }
    return w;
}

base::Result<void> WheelInstall::place(std::size_t begin, std::size_t end) {
    State& s = *s_;
    end = std::min(end, s.plan.size());
    if (begin >= end) return {};
    auto ctx = [&](base::Error e) { return std::move(e).with_context("while installing wheel " + s.wheel); };
    archive::FilePlacer* placer = nullptr;
    {
        // Kept with the install, so that roll_back() reaches what this part wrote.
        std::lock_guard lk(s.mu);
        if (s.set_aside) {  // the first part maps the wheel again, before any part reads it
            s.zip->map_again();
            s.set_aside = false;
        }
        s.placers.push_back(std::make_unique<archive::FilePlacer>(s.prefix));
        placer = s.placers.back().get();
    }
    for (std::size_t i = begin; i < end; ++i) {
        const Placement& p = s.plan[i];
        if (s.opts.cancel && s.opts.cancel->load(std::memory_order_relaxed))
            return ctx(base::fail(ErrorKind::interrupted, "installing wheel " + s.wheel + " was interrupted"));
        auto placed = p.generated || p.rewrite_shebang ? placer->place_content(p.dest, p.content, p.mode)
                                                       : placer->place_member(*s.zip, p.src, p.dest, p.mode);
        if (!placed) return ctx(std::move(placed).error());
        s.replaced[i] = placed->replaced ? 1 : 0;
        s.sizes[i] = placed->digest.size;
        s.rows[i] = {record_path(s.site, p.dest), record_hash(placed->digest.sha256), std::to_string(placed->digest.size)};
    }
    std::lock_guard lk(s.mu);
    s.placed += end - begin;
    return {};
}

void WheelInstall::set_aside() {
    std::lock_guard lk(s_->mu);
    if (!s_->placers.empty() || s_->set_aside) return;  // in use
    s_->zip->unmap();
    s_->set_aside = true;
}

void WheelInstall::roll_back() {
    std::lock_guard lk(s_->mu);
    for (auto it = s_->placers.rbegin(); it != s_->placers.rend(); ++it) (*it)->roll_back();
}

base::Result<WheelInstallResult> WheelInstall::finish() {
    State& s = *s_;
    auto ctx = [&](base::Error e) { return std::move(e).with_context("while installing wheel " + s.wheel); };
    if (s.placed != s.plan.size())
        return ctx(base::fail(ErrorKind::failure, "internal error: " + std::to_string(s.placed) + " of the " +
                                                      std::to_string(s.plan.size()) + " files were placed"));
    WheelInstallResult result = std::move(s.result);
    std::vector<RecordRow> rows;
    rows.reserve(s.plan.size() + 1);
    result.files.reserve(s.plan.size() + 1);
    for (std::size_t i = 0; i < s.plan.size(); ++i) {
        const Placement& p = s.plan[i];
        if (s.replaced[i]) result.overwritten.push_back(p.dest);
        if (s.opts.conda_owned && s.opts.conda_owned->count(p.dest)) result.conda_overwritten.push_back(p.dest);
        result.bytes += s.sizes[i];
        result.files.push_back(p.dest);
        if (p.script) result.scripts.push_back(p.dest);
        rows.push_back(std::move(s.rows[i]));
    }
    rows.push_back({s.dist_info + "/RECORD", "", ""});
    const std::string record_dest = s.site + "/" + s.record_name;
    archive::FilePlacer* placer = nullptr;
    {
        std::lock_guard lk(s.mu);
        s.placers.push_back(std::make_unique<archive::FilePlacer>(s.prefix));
        placer = s.placers.back().get();
    }
    if (auto r = placer->place_content(record_dest, format_record(std::move(rows)), 0644); !r) {
        roll_back();
        return ctx(std::move(r).error());
    }
    result.files.push_back(record_dest);
    std::sort(result.files.begin(), result.files.end());
    std::sort(result.overwritten.begin(), result.overwritten.end());
    std::sort(result.conda_overwritten.begin(), result.conda_overwritten.end());
    std::sort(result.scripts.begin(), result.scripts.end());
    return result;
}

base::Result<WheelInstallResult> install_wheel(const fs::path& wheel_file, const fs::path& prefix,
                                               const spec::PythonInfo& python, const WheelInstallOptions& opts) {
    PI_TRY(WheelInstall w, WheelInstall::prepare(wheel_file, prefix, python, opts));
    if (auto r = w.place(0, w.size()); !r) {
        w.roll_back();
        return std::move(r).error();
    }
    return w.finish();
}

}  // namespace pixi_install::prefix
