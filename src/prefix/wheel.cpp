// Installing one wheel: unpack it into a staging directory inside the prefix
// (same file system), check it, then move every member to its place, hashing
// it on the way, and write the installer's dist-info files and RECORD.
#include "pixi_install/prefix/wheel.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/archive/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;
using base::ErrorKind;

namespace {

struct Member {
    std::string rel;   ///< path inside the wheel, '/' separated
};

/// One file to put in the prefix.
struct Placement {
    std::string src;          ///< staged member ("" for generated content)
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

/// Lists the regular files of the staging tree (types from the directory
/// entries, so no stat per file; the archive module only writes files and dirs).
base::Result<std::vector<Member>> list_members(const fs::path& root, const std::string& wheel) {
    std::vector<Member> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, ec), end;
    if (ec) return base::fail_errno("cannot list", root.string(), ec.value());
    const std::size_t skip = root.native().size() + 1;
    for (; it != end; it.increment(ec)) {
        if (ec) return base::fail_errno("cannot list", root.string(), ec.value());
        // directory_entry caches the type the directory listing gave: no stat here
        const bool link = it->is_symlink(ec);
        if (!link && it->is_directory(ec)) continue;
        std::string rel = it->path().native().substr(skip);
        if (link || !it->is_regular_file(ec)) return invalid(wheel, "member '" + rel + "' is not a regular file");
        out.push_back({std::move(rel)});
    }
    return out;
}

/// A wheel-relative path as RECORD would name it: already clean in the usual case.
std::string clean_rel(const std::string& p) {
    bool clean = p.find("//") == std::string::npos && p.find("./") == std::string::npos &&
                 (p.size() < 2 || p.compare(p.size() - 2, 2, "/.") != 0) && p != ".";
    return clean ? p : fs::path(p).lexically_normal().generic_string();
}

/// Hashes a file by streaming it; returns {raw sha256, size}.
base::Result<std::pair<std::string, std::uint64_t>> hash_staged(const fs::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd < 0 && errno == EPERM) fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open", p.string(), errno);
    base::Hasher h(base::HashAlgo::sha256);
    std::uint64_t size = 0;
    static thread_local std::string buf(1 << 16, '\0');
    while (true) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            return base::fail_errno("cannot read", p.string(), e);
        }
        if (n == 0) break;
        h.update(buf.data(), static_cast<std::size_t>(n));
        size += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return std::make_pair(h.finish_raw(), size);
}

base::Result<void> write_whole(const fs::path& p, std::string_view content, mode_t mode) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return base::fail_errno("cannot create", p.string(), errno);
    std::size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            return base::fail_errno("cannot write", p.string(), e);
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) return base::fail_errno("cannot write", p.string(), errno);
    return {};
}

/// Moves placements into the prefix and fills the result; the caller has validated everything.
class Placer {
public:
    Placer(const fs::path& prefix, const fs::path& stage, const WheelInstallOptions& opts, WheelInstallResult& out)
        : prefix_(prefix), stage_(stage), opts_(opts), out_(out) {}

    base::Result<void> place(const Placement& p, const std::string& site, std::vector<RecordRow>& rows) {
        bool fresh_dir = false;
        PI_TRY(fs::path dest, destination(p.dest, fresh_dir));
        struct stat st {};
        // In a directory this install created nothing can be in the way.
        const bool existed = !fresh_dir && ::lstat(dest.c_str(), &st) == 0;
        if (existed && S_ISDIR(st.st_mode))
            return base::fail(ErrorKind::failure, "cannot install " + p.dest + ": a directory is in the way");
        if (existed) out_.overwritten.push_back(p.dest);
        if (opts_.conda_owned && opts_.conda_owned->count(p.dest)) out_.conda_overwritten.push_back(p.dest);

        std::string raw;
        std::uint64_t size = 0;
        if (p.generated || p.rewrite_shebang) {
            std::string content = p.content;
            mode_t mode = p.mode;
            if (p.rewrite_shebang) {
                struct stat sst {};
                if (::stat((stage_ / p.src).c_str(), &sst) == 0) mode = sst.st_mode & 0777;
                PI_TRY(std::string body, base::read_file(stage_ / p.src));
                auto nl = body.find('\n');
                content += nl == std::string::npos ? std::string() : body.substr(nl + 1);
            }
            fs::path tmp = base::unique_sibling(dest, "wheel");
            PI_TRY_VOID(write_whole(tmp, content, mode));
            if (::rename(tmp.c_str(), dest.c_str()) != 0) {
                int e = errno;
                ::unlink(tmp.c_str());
                return base::fail_errno("cannot install", dest.string(), e);
            }
            base::Hasher h(base::HashAlgo::sha256);
            h.update(content);
            raw = h.finish_raw();
            size = content.size();
        } else {
            fs::path src = stage_ / p.src;
            PI_TRY(auto hs, hash_staged(src));
            raw = std::move(hs.first);
            size = hs.second;
            if (::rename(src.c_str(), dest.c_str()) != 0) return base::fail_errno("cannot install", dest.string(), errno);
        }
        if (!existed) created_.push_back(dest);
        out_.bytes += size;
        out_.files.push_back(p.dest);
        if (p.script) out_.scripts.push_back(p.dest);
        rows.push_back({record_path(site, p.dest), record_hash(raw), std::to_string(size)});
        return {};
    }

    /// After a failure: removes the files this install added (replaced ones cannot come back).
    void roll_back() {
        for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::unlink(it->c_str());
        created_.clear();
    }

private:
    /// The absolute destination; each directory is checked (no symlink leaving the prefix) and created once.
    base::Result<fs::path> destination(const std::string& rel, bool& fresh) {
        auto slash = rel.rfind('/');
        std::string dir = slash == std::string::npos ? std::string() : rel.substr(0, slash);
        std::string file = slash == std::string::npos ? rel : rel.substr(slash + 1);
        auto it = dirs_.find(dir);
        if (it == dirs_.end()) {
            Dir d{prefix_, false};
            if (!dir.empty()) {
                PI_TRY(d.path, archive::safe_join(prefix_, dir));
                struct stat st {};
                d.fresh = ::lstat(d.path.c_str(), &st) != 0 && errno == ENOENT;
                PI_TRY_VOID(base::make_dirs(d.path));
            }
            it = dirs_.emplace(dir, std::move(d)).first;
        }
        fresh = it->second.fresh;
        return it->second.path / file;
    }

    struct Dir {
        fs::path path;
        bool fresh = false;  ///< created by this install
    };

    fs::path prefix_;
    fs::path stage_;
    const WheelInstallOptions& opts_;
    WheelInstallResult& out_;
    std::unordered_map<std::string, Dir> dirs_;
    std::vector<fs::path> created_;
};

}  // namespace

base::Result<WheelInstallResult> install_wheel(const fs::path& wheel_file, const fs::path& prefix_in,
                                               const spec::PythonInfo& python, const WheelInstallOptions& opts) {
    const std::string wheel = wheel_file.filename().string();
    auto ctx = [&](base::Error e) { return std::move(e).with_context("while installing wheel " + wheel); };
    auto name_r = spec::WheelName::parse(wheel);
    if (!name_r) return ctx(std::move(name_r).error());
    const spec::WheelName& wname = *name_r;
    const fs::path prefix = base::absolute_normal(prefix_in);
    const std::string site = python.site_packages;
    const std::string exe = (prefix / python.interpreter).string();

    if (auto r = base::make_dirs(prefix); !r) return ctx(std::move(r).error());
    auto stage_r = base::TempDir::create(prefix, ".pixi-install-wheel-");
    if (!stage_r) return ctx(std::move(stage_r).error());
    base::TempDir stage = std::move(stage_r).value();
    const fs::path unpacked = stage.path() / "w";
    archive::ExtractOptions xopts;
    xopts.max_unpacked_bytes = opts.max_unpacked_bytes;
    xopts.cancel = opts.cancel;
    if (auto r = archive::extract_zip(wheel_file, unpacked, xopts); !r) return ctx(std::move(r).error());
    auto members_r = list_members(unpacked, wheel);
    if (!members_r) return ctx(std::move(members_r).error());
    std::vector<Member>& members = *members_r;

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

    auto read_meta = [&](const std::string& file) -> base::Result<std::optional<std::string>> {
        fs::path p = unpacked / dist_info / file;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) return std::optional<std::string>();
        PI_TRY(std::string s, base::read_file(p));
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
        if (auto rel = archive::safe_relative(ep.name); !rel || rel->has_parent_path())
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
        p.src = m.rel;
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
                std::string head(8, '\0');
                int fd = ::open((unpacked / m.rel).c_str(), O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                    ssize_t n = ::read(fd, head.data(), head.size());
                    ::close(fd);
                    if (n == 8 && head == "#!python") {
                        p.rewrite_shebang = true;
                        p.content = script_shebang(exe);
                    }
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
        if (auto r = archive::safe_relative(p.dest); !r) return ctx(std::move(r).error());
        plan.push_back(std::move(p));
    }
    for (const auto& ep : entry_points) {
        Placement p;
        p.dest = python.bin_dir + "/" + ep.name;
        p.generated = true;
        p.script = true;
        p.mode = 0755;
        p.content = launcher_script(ep, exe);
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
    Placer placer(prefix, unpacked, opts, result);
    std::vector<RecordRow> rows;
    rows.reserve(plan.size() + 1);
    for (const auto& p : plan) {
        if (auto r = placer.place(p, site, rows); !r) {
            placer.roll_back();
            return ctx(std::move(r).error());
        }
    }
    rows.push_back({dist_info + "/RECORD", "", ""});
    const std::string record_dest = site + "/" + record_name;
    if (auto r = base::write_file_atomic(prefix / record_dest, format_record(std::move(rows))); !r) {
        placer.roll_back();
        return ctx(std::move(r).error());
    }
    result.files.push_back(record_dest);
    std::sort(result.files.begin(), result.files.end());
    std::sort(result.overwritten.begin(), result.overwritten.end());
    std::sort(result.conda_overwritten.begin(), result.conda_overwritten.end());
    std::sort(result.scripts.begin(), result.scripts.end());
    return result;
}

}  // namespace pixi_install::prefix
