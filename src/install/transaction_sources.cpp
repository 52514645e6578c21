// PyPI entries pinned as source (sdists, local directories, editables): their
// identities, the built-wheel cache, and the builds during the transaction.
#include <algorithm>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/install/pack.hpp"
#include "pixi_install/spec/pep440.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "transaction.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
    const std::string n = spec::normalize_pypi_name(name);
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& x) { return spec::normalize_pypi_name(x) == n; });
}

}  // namespace

bool is_editable(const lockfile::PypiRecord& r, const InstallOptions& o) {
    return r.editable || listed(o.builds.editable, r.name);
}

std::optional<spec::PypiSourceKind> source_kind(const lockfile::PypiRecord& r, const InstallOptions& o) {
    auto kind = spec::classify_pypi_location(r.location, is_editable(r, o));
    if (kind == spec::PypiSourceKind::sdist || kind == spec::PypiSourceKind::directory ||
        kind == spec::PypiSourceKind::editable || (kind == spec::PypiSourceKind::git && build::git_supported()))
        return kind;
    return std::nullopt;
}

std::string build_settings_text(const InstallOptions& o) {
    std::string s;
    for (const auto& f : o.builds.find_links) s += "find-links=" + f.string() + ";";
    if (o.builds.no_isolation_all) s += "no-isolation=*;";
    for (const auto& n : o.builds.no_isolation) s += "no-isolation=" + spec::normalize_pypi_name(n) + ";";
    for (const auto& n : o.builds.editable) s += "editable=" + spec::normalize_pypi_name(n) + ";";
    return s;
}

fetch::FetchOptions Transaction::fetch_options() const {
    fetch::FetchOptions fo = opt_.fetch;
    fo.cache_dir = opt_.cache_dir;
    fo.cancel = opt_.cancel;
    fo.on_ready = nullptr;
    return fo;
}

build::BuildRequest Transaction::source_request(const lockfile::PypiRecord& r) const {
    build::BuildRequest q;
    q.name = r.name;
    const auto kind = source_kind(r, opt_);
    q.kind = kind == spec::PypiSourceKind::sdist ? build::SourceKind::sdist : build::SourceKind::directory;
    q.editable = kind == spec::PypiSourceKind::editable;
    q.isolated = !(opt_.builds.no_isolation_all || listed(opt_.builds.no_isolation, r.name));
    if (q.kind == build::SourceKind::directory) {
        fs::path p = r.path;
        if (p.empty() && r.url.rfind("file://", 0) == 0) p = r.url.substr(7);
        q.source = base::absolute_normal(p);
    }
    q.sdist_file_name = spec::location_file_name(r.location);
    q.prefix = opt_.prefix;
    if (new_python_) q.python = *new_python_;
    for (const auto& c : sel_.conda)
        if (c->name == "python") q.python_version = c->version;
    q.subdir = sel_.subdir;
    if (opt_.builds.platform) q.platform = *opt_.builds.platform;
    q.find_links = find_links_.empty() ? opt_.builds.find_links : find_links_;
    q.index = index_.get();
    q.env = opt_.builds.env;
    q.environment_name = opt_.environment_name.empty() ? sel_.environment : opt_.environment_name;
    q.cache_dir = opt_.cache_dir;
    q.source_date_epoch = opt_.source_date_epoch;
    q.cancel = opt_.cancel;
    return q;
}

Result<void> Transaction::prepare_source_ids() {
    if (std::none_of(sel_.pypi.begin(), sel_.pypi.end(), [&](const PypiPtr& r) { return source_kind(*r, opt_).has_value(); }))
        return {};  // nothing is built: no digest to make
    // A build depends on the environment it runs in (its interpreter, compilers, libraries,
    // and without isolation its packages): a change of any record builds again.
    base::Xxh3 env;
    for (const auto& c : sel_.conda) env.field(c->name + " " + c->version + " " + c->build + " " + c->sha256.value_or(""));
    for (const auto& w : sel_.pypi)
        if (!source_kind(*w, opt_)) env.field(w->name + " " + w->version.value_or("") + " " + w->sha256.value_or(""));
    environment_digest_ = env.hex();
    for (const auto& r : sel_.pypi) {
        auto kind = source_kind(*r, opt_);
        if (!kind) continue;
        const std::string n = spec::normalize_pypi_name(r->name);
        if (*kind == spec::PypiSourceKind::git) {
            // The locked commit (and the subdirectory) is the source.
            PI_TRY(auto g, build::parse_git_location(r->location));
            source_ids_[n] = "git:" + g.commit + (g.subdirectory.empty() ? "" : "/" + g.subdirectory) + "@" +
                             environment_digest_;
            continue;
        }
        if (*kind == spec::PypiSourceKind::sdist) {
            // Registry and direct sdists: the lock's hash (else its location) names the source.
            source_ids_[n] = (r->sha256 ? "sha256:" + *r->sha256 : "url:" + r->location) + "@" + environment_digest_;
            continue;
        }
        const auto q = source_request(*r);
        PI_TRY(auto id, build::source_identity(q, ""));
        source_ids_[n] = id + "@" + environment_digest_;
        report_.local_sources.push_back({q.source, q.editable, id});
    }
    return {};
}

Result<void> Transaction::plan_sources(std::vector<std::size_t>& artifact_wheels) {
    const auto& wheels = report_.plan.wheel_install;
    // Build dependencies no wheel directory has come from the environment's indexes, each
    // file pinned by the sha256 the index gives and fetched like any artifact.
    bool any_source = false;
    for (const auto& w : wheels) any_source |= source_kind(*w, opt_).has_value();
    if (any_source) {
        // In pixi-install's order: the bundles' wheels, then the wheel directories, then the indexes.
        PI_TRY(auto from_bundles, bundle_wheel_dir());
        if (from_bundles) find_links_.push_back(*from_bundles);
        for (const auto& f : opt_.builds.find_links) find_links_.push_back(f);
    }
    index_ = std::make_unique<build::IndexAccess>();
    index_->indexes = sel_.indexes;
    if (index_->indexes.empty()) index_->indexes = {"https://pypi.org/simple"};
    index_->get_page = [this](const std::string& url) -> Result<build::IndexPage> {
        if (auto it = pages_.find(url); it != pages_.end()) return it->second;
        const fetch::FetchOptions fo = fetch_options();
        PI_TRY(auto page, fetch::fetch_page(url, "application/vnd.pypi.simple.v1+json, "
                                                 "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1", fo));
        build::IndexPage p{page.status, page.url, page.content_type, std::move(page.body)};
        pages_[url] = p;
        return p;
    };
    index_->download = [this](const build::IndexFile& f) -> Result<fs::path> {
        const fetch::FetchOptions fo = fetch_options();
        fetch::Artifact a;
        a.name = f.file_name;
        a.url = f.url;
        a.sha256 = f.sha256;
        PI_TRY(auto files, fetch::fetch_all({a}, fo, rep_));
        return files.front();
    };
    sources_.assign(wheels.size(), std::nullopt);
    wheel_names_.assign(wheels.size(), {});
    for (std::size_t i = 0; i < wheels.size(); ++i) {
        const auto& w = *wheels[i];
        wheel_names_[i] = spec::location_file_name(w.location);
        auto kind = source_kind(w, opt_);
        if (!kind) {
            artifact_wheels.push_back(i);
            continue;
        }
        SourceBuild sb;
        sb.request = source_request(w);
        sb.recorded = source_ids_[spec::normalize_pypi_name(w.name)];
        sb.identity = sb.recorded;
        if (*kind == spec::PypiSourceKind::git) {
            PI_TRY(auto g, build::parse_git_location(w.location));
            sb.request.kind = build::SourceKind::directory;
            sb.request.editable = false;
            sb.request.source.clear();  // checked out when it must be built
            prefix::DirectUrl du;
            du.kind = prefix::DirectUrl::Kind::vcs;
            du.url = g.url;
            du.commit_id = g.commit;
            du.requested_revision = g.requested;
            if (!g.subdirectory.empty()) du.subdirectory = g.subdirectory;
            sb.direct_url = du;
            sb.git = g;
        } else if (*kind == spec::PypiSourceKind::sdist) {
            artifact_wheels.push_back(i);  // fetched and hash-checked like a wheel
            if (w.location.rfind("direct+", 0) == 0 || !is_registry_url(w.url, sel_.indexes)) {
                prefix::DirectUrl du;
                du.kind = prefix::DirectUrl::Kind::archive;
                du.url = !w.url.empty() ? w.url : ("file://" + w.path.string());
                if (w.sha256) du.sha256 = *w.sha256;
                sb.direct_url = du;
            }
        } else {
            prefix::DirectUrl du;
            du.kind = prefix::DirectUrl::Kind::directory;
            du.url = "file://" + sb.request.source.string();
            du.editable = sb.request.editable;
            sb.direct_url = du;
        }
        sources_[i] = std::move(sb);
    }
    return {};
}

Result<std::optional<fs::path>> Transaction::bundle_wheel_dir() {
    std::vector<std::pair<std::string, std::string>> wanted;  // sha256, file name
    PI_TRY(auto lines, fetch::bundle_lists(opt_.fetch.bundles, kBuildWheelsFile));
    for (const auto& l : lines) {
        if (l.fields.size() < 2) continue;
        const std::string& sha = l.fields[0];
        const std::string name = l.text.substr(sha.size() + 1);
        // Untrusted: a digest and a wheel file name, nothing else.
        if (!base::is_hex_digest(sha, 32) || !base::segment_problem(name).empty() ||
            !spec::WheelName::parse(name).ok())
            return base::fail(ErrorKind::integrity, "the bundle " + l.bundle.string() + " lists `" +
                                                        base::printable(l.text) + "` in " + kBuildWheelsFile +
                                                        ", which is not a digest and a wheel file name");
        wanted.emplace_back(sha, name);
    }
    if (wanted.empty()) return std::optional<fs::path>();
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::string key;
    for (const auto& [sha, name] : wanted) key += sha + " " + name + "\n";
    const fs::path dir = opt_.cache_dir / "bundle-wheels" / base::sha256_hex(key).substr(0, 32);
    std::vector<fetch::Artifact> artifacts;
    for (const auto& [sha, name] : wanted) {
        fetch::Artifact a;
        a.name = name;
        a.sha256 = sha;
        artifacts.push_back(a);
    }
    const fetch::FetchOptions fo = fetch_options();
    PI_TRY(auto files, fetch::fetch_all(artifacts, fo, rep_));
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return std::optional<fs::path>(dir);
    PI_TRY_VOID(base::make_dirs(dir.parent_path()));
    PI_TRY(base::TempDir tmp, base::TempDir::create(dir.parent_path(), ".tmp-"));
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        fs::create_symlink(files[i], tmp.path() / wanted[i].second, ec);
        if (ec) return base::fail_errno("cannot link a bundled wheel into", tmp.path().string(), ec.value());
    }
    fs::rename(tmp.path(), dir, ec);
    if (!ec) tmp.release();  // else another install made the same directory first
    return std::optional<fs::path>(dir);
}

Result<std::optional<std::pair<fs::path, std::string>>> Transaction::bundle_built_wheel(const std::string& sdist) {
    using Found = std::optional<std::pair<fs::path, std::string>>;
    if (!new_python_ || !opt_.builds.platform) return Found();
    spec::TagPython py;
    py.major = new_python_->major;
    py.minor = new_python_->minor;
    py.free_threaded = new_python_->site_packages.find("t/site-packages") != std::string::npos;
    auto tags = spec::TagSet::from_env(*opt_.builds.platform, py);
    if (!tags.ok()) return Found();
    // The bundles' lists are read once per run, whatever the number of sdists.
    if (!built_lines_) {
        PI_TRY(auto lines, fetch::bundle_lists(opt_.fetch.bundles, kBuiltWheelsFile));
        built_lines_ = std::move(lines);
    }
    std::optional<std::size_t> best_prio;
    fetch::Artifact best;
    for (const auto& l : *built_lines_) {
        if (l.fields.size() < 3) continue;
        const std::string& sha = l.fields[0];
        const std::string& name = l.fields[1];
        if (l.text.substr(sha.size() + name.size() + 2) != sdist || !base::is_hex_digest(sha, 32) ||
            !base::segment_problem(name).empty())
            continue;
        auto wn = spec::WheelName::parse(name);
        if (!wn.ok()) continue;
        auto prio = tags->compatible(*wn);
        if (!prio || (best_prio && *best_prio <= *prio)) continue;
        best_prio = prio;
        best.name = name;
        best.sha256 = sha;
    }
    if (!best_prio) return Found();
    const fetch::FetchOptions fo = fetch_options();
    PI_TRY(auto files, fetch::fetch_all({best}, fo, rep_));
    return Found(std::make_pair(files.front(), best.name));
}

Result<void> Transaction::find_built_sources() {
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (!sources_[i]) continue;
        SourceBuild& sb = *sources_[i];
        if (sb.request.kind == build::SourceKind::sdist) {
            sb.request.source = wheel_files_[i];  // the verified archive in the store
            wheel_files_[i].clear();
            if (sb.identity.rfind("sha256:", 0) != 0) {
                PI_TRY(auto h, base::hash_file(sb.request.source, base::HashAlgo::sha256));
                sb.identity = "sha256:" + h + "@" + environment_digest_;
            }
        }
        // --reinstall builds again rather than trusting the built-wheel cache (as uv's --reinstall).
        const bool rebuild = opt_.reinstall || listed(opt_.reinstall_packages, sb.request.name);
        if (auto hit = rebuild ? std::nullopt : build::cached_wheel(opt_.cache_dir, build::cache_key(sb.request, sb.identity))) {
            PI_TRY_VOID(check_built(i, hit->file_name, "the built-wheel cache"));
            wheel_files_[i] = hit->wheel;
            wheel_names_[i] = hit->file_name;
            sb.built = true;
            continue;
        }
        if (sb.request.kind == build::SourceKind::sdist && !opt_.fetch.bundles.empty() && !rebuild) {
            const std::string sha = sb.identity.substr(7, 64);
            PI_TRY(auto got, bundle_built_wheel(sha));
            if (got) {
                PI_TRY_VOID(check_built(i, got->second, "the bundle"));
                wheel_files_[i] = got->first;
                wheel_names_[i] = got->second;
                sb.built = true;
                rep_.building("taking " + got->second + " from the bundle (built there from the sdist of " +
                              sb.request.name + ")");
                continue;
            }
        }
        if (sb.git) {
            // Checked out now, before the prefix changes: the network is needed only here.
            build::GitOptions go;
            go.offline = opt_.fetch.offline;
            go.proxy = sb.git->url.rfind("http://", 0) == 0 ? opt_.fetch.proxy.http : opt_.fetch.proxy.https;
            go.ca_file = opt_.fetch.tls.ca_file.string();
            go.ca_dir = opt_.fetch.tls.ca_dir.string();
            go.tls_verify = !opt_.fetch.tls.no_verify;
            auto dir = build::git_checkout(*sb.git, opt_.cache_dir, go);
            if (!dir.ok()) return std::move(dir).error().with_context("while checking out " + sb.request.name);
            sb.request.source = *dir;
        }
    }
    return {};
}

Result<void> Transaction::build_source(std::size_t i) {
    SourceBuild& sb = *sources_[i];
    if (sb.built) return {};
    if (!opt_.builds.platform)
        return base::fail(ErrorKind::failure, "cannot build " + sb.request.name + ": the target's wheel tags are unknown");
    sb.request.python = *new_python_;
    const std::string what = spec::pypi_source_kind_name(*source_kind(*report_.plan.wheel_install[i], opt_));
    sb.request.on_start = [&](const std::string& backend) {
        rep_.building("building " + sb.request.name + " (" + what + ") with " + backend +
                  (sb.request.isolated ? "" : ", without build isolation"));
    };
    const bool rebuild = opt_.reinstall || listed(opt_.reinstall_packages, sb.request.name);
    auto built = build::build_wheel(sb.request, sb.identity, rebuild);
    if (!built.ok()) return std::move(built).error().with_context("while building " + sb.request.name);
    PI_TRY_VOID(check_built(i, built->file_name, built->from_cache ? "the built-wheel cache" : "building it"));
    wheel_files_[i] = built->wheel;
    wheel_names_[i] = built->file_name;
    sb.built = true;
    ++report_.built;
    return {};
}

Result<void> Transaction::check_built(std::size_t i, const std::string& file_name, const std::string& from) const {
    // What is installed for a source entry must be what the lock says: its name always, its
    // version when the lock has one (uv refuses the same for registry sdists).
    const auto& rec = *report_.plan.wheel_install[i];
    PI_TRY(auto wn, spec::WheelName::parse(file_name));
    if (wn.normalized_name() != spec::normalize_pypi_name(rec.name))
        return base::fail(ErrorKind::integrity, "the wheel " + base::printable(file_name) + " from " + from +
                                                    " is not " + rec.name);
    if (rec.version) {
        auto a = spec::pep440::Version::parse(*rec.version);
        auto b = spec::pep440::Version::parse(wn.version);
        if (a.ok() && b.ok() && !(*a == *b))
            return base::fail(ErrorKind::build, rec.name + ": " + from + " gave version " + wn.version + " (" +
                                                    file_name + "), but the lock has " + *rec.version +
                                                    ": the source is not what was locked (run `pixi lock`)");
    }
    return {};
}

Result<void> Transaction::build_isolated_sources() {
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (cancelled()) return base::fail(ErrorKind::interrupted, "interrupted while building");
        if (sources_[i] && sources_[i]->request.isolated) PI_TRY_VOID(build_source(i));
    }
    return {};
}

Result<void> Transaction::install_unisolated_sources(const std::map<std::string, prefix::PrefixRecord>& records) {
    // As pixi: one at a time, in the lock's order, after everything else, each seeing
    // what the ones before it installed.
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (!sources_[i] || sources_[i]->request.isolated) continue;
        if (cancelled()) return base::fail(ErrorKind::interrupted, "interrupted while building");
        PI_TRY_VOID(build_source(i));
        PI_TRY_VOID(install_wheels(records, {i}));
    }
    return {};
}

}  // namespace pixi_install::install
