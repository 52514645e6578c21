#include "pixi_install/prefix/conda_meta.hpp"

#include <dirent.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_util.hpp"

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace pixi_install::prefix {

using base::ErrorKind;
using base::fail;
using base::Result;
using ojson = nlohmann::ordered_json;
using json = nlohmann::json;
namespace fs = std::filesystem;

void complete_from_index(PackageRecord& r, const IndexJson& ix) {
    if (r.name.empty()) r.name = ix.name;
    if (r.version.empty()) r.version = ix.version;
    if (r.build.empty()) r.build = ix.build;
    if (r.build_number == 0) r.build_number = ix.build_number;
    if (r.subdir.empty()) r.subdir = ix.subdir;
    if (r.noarch.empty()) r.noarch = ix.noarch == NoArch::python ? "python" : ix.noarch == NoArch::generic ? "generic" : "";
    if (r.depends.empty()) r.depends = ix.depends;
    if (r.constrains.empty()) r.constrains = ix.constrains;
    if (r.track_features.empty()) r.track_features = ix.track_features;
    if (r.features.empty()) r.features = ix.features;
    if (!r.timestamp) r.timestamp = ix.timestamp;
    if (r.license.empty()) r.license = ix.license;
    if (r.license_family.empty()) r.license_family = ix.license_family;
    if (r.arch.empty()) r.arch = ix.arch;
    if (r.platform.empty()) r.platform = ix.platform;
    if (!r.python_site_packages_path) r.python_site_packages_path = ix.python_site_packages_path;
}

std::string PrefixRecord::file_name() const {
    return package.name + "-" + package.version + "-" + package.build + ".json";
}

PrefixRecord make_prefix_record(PackageRecord package, std::vector<PrefixPath> paths, CondaLinkType link_type,
                                std::string extracted_package_dir, std::string package_tarball_full_path) {
    PrefixRecord r;
    r.package = std::move(package);
    if (r.package.fn.empty() && !r.package.url.empty()) {
        auto slash = r.package.url.rfind('/');
        r.package.fn = r.package.url.substr(slash == std::string::npos ? 0 : slash + 1);
    }
    std::sort(paths.begin(), paths.end(), [](const PrefixPath& a, const PrefixPath& b) { return a.path < b.path; });
    r.files.reserve(paths.size());
    for (const auto& p : paths) r.files.push_back(p.path);
    r.paths = std::move(paths);
    r.link_type = link_type;
    r.extracted_package_dir = std::move(extracted_package_dir);
    r.package_tarball_full_path = std::move(package_tarball_full_path);
    return r;
}

std::string record_to_json(const PrefixRecord& r) {
    const PackageRecord& p = r.package;
    ojson j = ojson::object();
    if (!p.arch.empty()) j["arch"] = p.arch;
    j["build"] = p.build;
    j["build_number"] = p.build_number;
    if (!p.constrains.empty()) j["constrains"] = p.constrains;
    j["depends"] = p.depends;
    if (!p.features.empty()) j["features"] = p.features;
    if (!p.license.empty()) j["license"] = p.license;
    if (!p.license_family.empty()) j["license_family"] = p.license_family;
    if (!p.md5.empty()) j["md5"] = p.md5;
    j["name"] = p.name;
    if (!p.noarch.empty()) j["noarch"] = p.noarch;
    if (!p.platform.empty()) j["platform"] = p.platform;
    if (p.python_site_packages_path) j["python_site_packages_path"] = *p.python_site_packages_path;
    if (!p.sha256.empty()) j["sha256"] = p.sha256;
    if (p.size) j["size"] = *p.size;
    j["subdir"] = p.subdir;
    if (p.timestamp) j["timestamp"] = *p.timestamp;
    if (!p.track_features.empty()) {
        std::string tf;
        for (const auto& t : p.track_features) tf += (tf.empty() ? "" : " ") + t;
        j["track_features"] = tf;
    }
    j["version"] = p.version;
    j["fn"] = p.fn;
    // Credentials in a location (user-info, a conda token, a signed query) stay out of the prefix.
    j["url"] = base::strip_url_secrets(p.url);
    if (p.channel.empty()) j["channel"] = nullptr;
    else j["channel"] = base::strip_url_secrets(p.channel);
    // Empty in reproducible installs: where the package cache is, and whether links into it
    // were possible, depend on the machine (both fields are optional for conda and rattler).
    if (!r.extracted_package_dir.empty()) j["extracted_package_dir"] = r.extracted_package_dir;
    j["files"] = r.files;
    ojson paths = ojson::array();
    for (const auto& e : r.paths) {
        ojson pe = ojson::object();
        pe["_path"] = e.path;
        if (!e.original_path.empty()) pe["original_path"] = e.original_path;
        pe["path_type"] = path_type_name(e.type);
        if (e.no_link) pe["no_link"] = true;
        if (!e.sha256.empty()) pe["sha256"] = e.sha256;
        if (!e.sha256_in_prefix.empty()) pe["sha256_in_prefix"] = e.sha256_in_prefix;
        if (e.size) pe["size_in_bytes"] = *e.size;
        if (!e.prefix_placeholder.empty()) {
            pe["file_mode"] = e.file_mode == FileMode::binary ? "binary" : "text";
            pe["prefix_placeholder"] = e.prefix_placeholder;
        }
        paths.push_back(std::move(pe));
    }
    j["paths_data"] = {{"paths", std::move(paths)}, {"paths_version", 1}};
    if (!r.extracted_package_dir.empty())
        j["link"] = {{"source", r.extracted_package_dir}, {"type", static_cast<int>(r.link_type)}};
    if (!r.package_tarball_full_path.empty()) j["package_tarball_full_path"] = r.package_tarball_full_path;
    if (!r.requested_spec.empty()) j["requested_spec"] = r.requested_spec;
    j["requested_specs"] = r.requested_specs;
    return j.dump(2) + "\n";
}

namespace {

std::string s_of(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> list_of(const json& j, const char* key) { return detail::string_list(j, key); }

Result<PrefixRecord> from_json(const json& j) {
    if (!j.is_object()) return fail(ErrorKind::failure, "conda-meta record is not a json object");
    PrefixRecord r;
    PackageRecord& p = r.package;
    p.name = s_of(j, "name");
    p.version = s_of(j, "version");
    p.build = s_of(j, "build");
    if (p.name.empty() || p.version.empty()) return fail(ErrorKind::failure, "conda-meta record without name or version");
    if (auto it = j.find("build_number"); it != j.end() && it->is_number_integer()) p.build_number = it->get<std::uint64_t>();
    p.subdir = s_of(j, "subdir");
    if (auto it = j.find("noarch"); it != j.end()) {
        if (it->is_string()) p.noarch = it->get<std::string>();
        else if (it->is_boolean() && it->get<bool>()) p.noarch = "generic";
    }
    p.url = s_of(j, "url");
    p.channel = s_of(j, "channel");
    p.fn = s_of(j, "fn");
    p.sha256 = s_of(j, "sha256");
    p.md5 = s_of(j, "md5");
    if (auto it = j.find("size"); it != j.end() && it->is_number_unsigned()) p.size = it->get<std::uint64_t>();
    p.depends = list_of(j, "depends");
    p.constrains = list_of(j, "constrains");
    p.track_features = list_of(j, "track_features");
    p.features = s_of(j, "features");
    if (auto it = j.find("timestamp"); it != j.end() && it->is_number()) p.timestamp = it->get<std::int64_t>();
    p.license = s_of(j, "license");
    p.license_family = s_of(j, "license_family");
    p.arch = s_of(j, "arch");
    p.platform = s_of(j, "platform");
    if (auto it = j.find("python_site_packages_path"); it != j.end() && it->is_string())
        p.python_site_packages_path = it->get<std::string>();
    r.extracted_package_dir = s_of(j, "extracted_package_dir");
    r.package_tarball_full_path = s_of(j, "package_tarball_full_path");
    r.requested_spec = s_of(j, "requested_spec");
    r.requested_specs = list_of(j, "requested_specs");
    if (auto it = j.find("link"); it != j.end() && it->is_object()) {
        if (auto t = it->find("type"); t != it->end() && t->is_number_integer())
            r.link_type = static_cast<CondaLinkType>(t->get<int>());
    }
    r.files = list_of(j, "files");
    auto pd = j.find("paths_data");
    if (pd != j.end() && pd->is_object()) {
        auto ps = pd->find("paths");
        if (ps != pd->end() && ps->is_array()) {
            r.paths.reserve(ps->size());
            for (const auto& e : *ps) {
                PrefixPath pp;
                pp.path = s_of(e, "_path");
                if (pp.path.empty()) continue;
                pp.original_path = s_of(e, "original_path");
                pp.type = parse_path_type(s_of(e, "path_type")).value_or(PathType::hardlink);
                if (auto nl = e.find("no_link"); nl != e.end() && nl->is_boolean()) pp.no_link = nl->get<bool>();
                pp.sha256 = s_of(e, "sha256");
                pp.sha256_in_prefix = s_of(e, "sha256_in_prefix");
                if (auto sz = e.find("size_in_bytes"); sz != e.end() && sz->is_number_unsigned())
                    pp.size = sz->get<std::uint64_t>();
                pp.prefix_placeholder = s_of(e, "prefix_placeholder");
                if (s_of(e, "file_mode") == "binary") pp.file_mode = FileMode::binary;
                r.paths.push_back(std::move(pp));
            }
        }
    }
    if (r.paths.empty() && !r.files.empty()) {
        // Old conda records list only `files`.
        for (const auto& f : r.files) {
            PrefixPath pp;
            pp.path = f;
            r.paths.push_back(std::move(pp));
        }
    }
    return r;
}

Result<PrefixRecord> parse_record(std::string_view text, ReadDepth depth) {
    try {
        json j;
        if (depth == ReadDepth::identity) {
            j = json::parse(text.begin(), text.end(),
                            [](int d, json::parse_event_t ev, json& parsed) {
                                if (d == 1 && ev == json::parse_event_t::key && parsed.is_string()) {
                                    const auto& k = parsed.get_ref<const std::string&>();
                                    return k != "paths_data" && k != "files";
                                }
                                return true;
                            });
        } else {
            j = json::parse(text.begin(), text.end());
        }
        return from_json(j);
    } catch (const std::exception& e) {
        return fail(ErrorKind::failure, std::string("cannot parse conda-meta record: ") + e.what());
    }
}

}  // namespace

Result<PrefixRecord> record_from_json(std::string_view text) { return parse_record(text, ReadDepth::full); }

Result<void> prepare_conda_meta(const fs::path& prefix) {
    PI_TRY_VOID(base::make_dirs(prefix / "conda-meta"));
    fs::path history = prefix / "conda-meta" / "history";
    std::error_code ec;
    if (!fs::exists(history, ec))
        PI_TRY_VOID(base::write_file_atomic(history, "// not relevant for pixi but for `conda run -p`\n"));
    return {};
}

Result<void> write_prefix_record(const fs::path& prefix, const PrefixRecord& record, bool durable) {
    return base::write_file_atomic(prefix / "conda-meta" / record.file_name(), record_to_json(record), durable);
}

Result<void> remove_prefix_record(const fs::path& prefix, const PrefixRecord& record) {
    fs::path p = prefix / "conda-meta" / record.file_name();
    std::error_code ec;
    fs::remove(p, ec);
    if (ec) return base::fail_errno("cannot remove", p.string(), ec.value());
    return {};
}

Result<std::vector<PrefixRecord>> read_prefix_records(const fs::path& prefix, ReadDepth depth,
                                                      base::ThreadPool* pool) {
    std::vector<PrefixRecord> out;
    fs::path dir = prefix / "conda-meta";
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return out;
        return base::fail_errno("cannot list", dir.string(), errno);
    }
    std::vector<std::string> names;
    while (dirent* ent = ::readdir(d)) {
        std::string n = ent->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0 && n[0] != '.') names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    std::vector<Result<PrefixRecord>> results(names.size(), Result<PrefixRecord>(base::Error{}));
    auto one = [&](std::size_t i) {
        fs::path p = dir / names[i];
        auto text = base::read_file(p);
        if (!text.ok()) {
            results[i] = std::move(text).error();
            return;
        }
        auto r = parse_record(*text, depth);
        results[i] = r.ok() ? std::move(r) : Result<PrefixRecord>(std::move(r).error().with_context("while reading " + p.string()));
    };
    if (pool && names.size() > 8) pool->parallel_for(names.size(), one);
    else
        for (std::size_t i = 0; i < names.size(); ++i) one(i);
    out.reserve(names.size());
    for (auto& r : results) {
        if (!r.ok()) return std::move(r).error();
        out.push_back(std::move(*r));
    }
    std::sort(out.begin(), out.end(),
              [](const PrefixRecord& a, const PrefixRecord& b) { return a.package.name < b.package.name; });
    return out;
}

}  // namespace pixi_install::prefix
