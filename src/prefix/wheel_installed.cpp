// What a prefix's site-packages holds (dist-info directories), RECORD-based
// uninstall, and direct_url.json.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;
using base::ErrorKind;

std::string direct_url_json(const DirectUrl& d) {
    nlohmann::ordered_json j;
    j["url"] = base::strip_url_secrets(d.url);  // no credentials in the prefix
    switch (d.kind) {
        case DirectUrl::Kind::archive: {
            auto info = nlohmann::ordered_json::object();
            if (d.sha256) info["hashes"] = {{"sha256", *d.sha256}};
            j["archive_info"] = info;
            break;
        }
        case DirectUrl::Kind::directory: {
            auto info = nlohmann::ordered_json::object();
            if (d.editable) info["editable"] = *d.editable;
            j["dir_info"] = info;
            break;
        }
        case DirectUrl::Kind::vcs: {
            nlohmann::ordered_json info;
            info["vcs"] = d.vcs;
            info["commit_id"] = d.commit_id;
            if (d.requested_revision) info["requested_revision"] = *d.requested_revision;
            j["vcs_info"] = info;
            break;
        }
    }
    if (d.subdirectory) j["subdirectory"] = *d.subdirectory;
    return j.dump();
}

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

/// True when `p` is `root` or below it (both lexically normal, same form).
bool within(const fs::path& root, const fs::path& p) {
    auto rel = p.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

base::Result<std::vector<InstalledDist>> list_installed_dists(const fs::path& prefix,
                                                              const spec::PythonInfo& python) {
    const fs::path site = base::absolute_normal(prefix) / python.site_packages;
    std::vector<InstalledDist> out;
    std::error_code ec;
    fs::directory_iterator it(site, ec), end;
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return out;
        return base::fail_errno("cannot list", site.string(), ec.value());
    }
    for (; it != end; it.increment(ec)) {
        if (ec) return base::fail_errno("cannot list", site.string(), ec.value());
        const std::string dir = it->path().filename().string();
        if (dir.size() <= 10 || dir.compare(dir.size() - 10, 10, ".dist-info") != 0) continue;
        if (!it->is_directory(ec)) continue;
        InstalledDist d;
        d.dist_info = it->path();
        const std::string stem = dir.substr(0, dir.size() - 10);
        const auto dash = stem.rfind('-');
        d.name = dash == std::string::npos ? stem : stem.substr(0, dash);
        d.version = dash == std::string::npos ? std::string() : stem.substr(dash + 1);
        if (auto md = base::read_file(d.dist_info / "METADATA")) {
            auto hdr = parse_headers(*md);
            if (auto n = header_value(hdr, "Name")) d.name = *n;
            if (auto v = header_value(hdr, "Version")) d.version = *v;
            d.requires_python = header_value(hdr, "Requires-Python");
        }
        if (auto inst = base::read_file(d.dist_info / "INSTALLER")) d.installer = trimmed(*inst);
        if (auto du = base::read_file(d.dist_info / "direct_url.json")) d.direct_url = *du;
        if (auto si = base::read_file(d.dist_info / "PIXI_INSTALL_SOURCE")) d.source_identity = trimmed(*si);
        d.normalized_name = spec::normalize_pypi_name(d.name);
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const InstalledDist& a, const InstalledDist& b) {
        return std::tie(a.normalized_name, a.version, a.dist_info) < std::tie(b.normalized_name, b.version, b.dist_info);
    });
    return out;
}

namespace {

/// The RECORD rows of `dist_info` as (prefix-relative, absolute) paths, each checked to
/// stay inside the prefix; `label` names the distribution in errors.
base::Result<std::vector<std::pair<std::string, fs::path>>> record_targets(const fs::path& prefix,
                                                                           const fs::path& dist_info,
                                                                           const std::string& label) {
    const fs::path site = dist_info.parent_path();
    if (!within(prefix, site) || site == prefix)
        return base::fail(ErrorKind::usage, dist_info.string() + " is not inside the environment " + prefix.string());
    auto record = base::read_file(dist_info / "RECORD");
    if (!record)
        return base::fail(ErrorKind::failure, "cannot uninstall " + label + ": it has no readable RECORD (" +
                                                  record.error().message + "); remove the directory by hand");
    auto rows = parse_record(*record);
    if (!rows) return std::move(rows).error();
    std::vector<std::pair<std::string, fs::path>> targets;
    std::set<std::string> seen;
    for (const auto& row : *rows) {
        fs::path p(row.path);
        fs::path target = (p.is_absolute() ? p : site / p).lexically_normal();
        if (!within(prefix, target) || target == prefix)
            return base::fail(ErrorKind::integrity, "RECORD of " + label + " lists '" + row.path +
                                                        "', which is outside the environment; nothing was removed");
        const std::string rel = target.lexically_relative(prefix).generic_string();
        auto safe = base::safe_join(prefix, rel);
        if (!safe) return std::move(safe).error().with_context("in the RECORD of " + label + "; nothing was removed");
        if (seen.insert(rel).second) targets.emplace_back(rel, *safe);
    }
    return targets;
}

}  // namespace

base::Result<std::vector<std::string>> installed_dist_files(const fs::path& prefix_in, const fs::path& dist_info_in) {
    const fs::path prefix = base::absolute_normal(prefix_in);
    fs::path dist_info = base::absolute_normal(dist_info_in);
    if (dist_info.filename().empty()) dist_info = dist_info.parent_path();
    PI_TRY(auto targets, record_targets(prefix, dist_info, dist_info.filename().string()));
    std::vector<std::string> out;
    out.reserve(targets.size());
    for (auto& t : targets) out.push_back(std::move(t.first));
    return out;
}

base::Result<UninstallResult> uninstall_wheel(const fs::path& prefix_in, const fs::path& dist_info_in,
                                              const std::unordered_set<std::string>* keep_files) {
    const fs::path prefix = base::absolute_normal(prefix_in);
    fs::path dist_info = base::absolute_normal(dist_info_in);
    if (dist_info.filename().empty()) dist_info = dist_info.parent_path();
    const std::string label = dist_info.filename().string();
    auto ctx = [&](base::Error e) { return std::move(e).with_context("while uninstalling " + label); };
    const fs::path site = dist_info.parent_path();
    // Check every row before removing anything.
    auto targets_r = record_targets(prefix, dist_info, label);
    if (!targets_r) return ctx(std::move(targets_r).error());
    const auto& targets = *targets_r;

    UninstallResult result;
    std::set<std::string> parents;
    for (const auto& [rel, abs] : targets) {
        if (keep_files && keep_files->count(rel)) continue;  // another package owns it too
        struct stat st {};
        if (::lstat(abs.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                result.missing.push_back(rel);
                continue;
            }
            return ctx(base::fail_errno("cannot inspect", abs.string(), errno));
        }
        if (S_ISDIR(st.st_mode)) {
            if (auto r = base::remove_tree(abs); !r) return ctx(std::move(r).error());
        } else if (::unlink(abs.c_str()) != 0 && errno != ENOENT) {
            return ctx(base::fail_errno("cannot remove", abs.string(), errno));
        }
        result.removed.push_back(rel);
        auto parent = fs::path(rel).parent_path();
        if (!parent.empty()) parents.insert(parent.generic_string());
    }

    // Prune __pycache__ and emptied directories, deepest first, never the
    // environment's own layout directories.
    const std::string site_rel = site.lexically_relative(prefix).generic_string();
    std::set<std::string> keep = {"bin", "sbin", "etc", "include", "lib", "lib64", "libexec", "share", "man",
                                  "conda-meta", "ssl", "Lib", "Scripts", "Library"};
    for (fs::path a = site_rel; !a.empty(); a = a.parent_path()) keep.insert(a.generic_string());
    const std::string pyname = fs::path(site_rel).parent_path().filename().string();
    if (pyname.rfind("python", 0) == 0) keep.insert("include/" + pyname);
    std::vector<std::string> order(parents.begin(), parents.end());
    std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
        auto da = std::count(a.begin(), a.end(), '/'), db = std::count(b.begin(), b.end(), '/');
        return da != db ? da > db : a > b;
    });
    std::set<std::string> done;
    for (const auto& start : order) {
        for (fs::path d = start; !d.empty() && !keep.count(d.generic_string()); d = d.parent_path()) {
            const std::string drel = d.generic_string();
            if (!done.insert(drel).second) break;
            const fs::path abs = prefix / d;
            if (within(site, abs) && abs != site) {
                std::error_code ec;
                if (fs::is_directory(abs / "__pycache__", ec)) (void)base::remove_tree(abs / "__pycache__");
            }
            if (::rmdir(abs.c_str()) != 0) break;  // not empty (or gone): stop climbing
            result.pruned_dirs.push_back(drel);
        }
    }
    std::sort(result.removed.begin(), result.removed.end());
    return result;
}

}  // namespace pixi_install::prefix
