// The identity of a source (what a built wheel is cached under) and the cache
// layout: <cache>/built-wheels/v1/<key>/{<wheel>, build.json}.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "build_internal.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::build {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

/// Directories whose content is not an input of a build: at any depth, bytecode caches,
/// egg-info and version control; at the project's top, tool state and what builds write
/// there (a package may well have a `build/` or `dist/` module deeper down); anywhere,
/// an environment or a cache (conda-meta/, pyvenv.cfg, CACHEDIR.TAG), such as a prefix
/// or the package cache placed inside the project.
bool skipped_dir(const fs::path& dir, const std::string& name, bool top) {
    static const char* const kAnywhere[] = {".git", ".hg", ".svn", "__pycache__"};
    static const char* const kTop[] = {".pixi", ".tox", ".nox", ".venv", "build", "dist", ".eggs", ".mypy_cache",
                                       ".pytest_cache", ".ruff_cache", "target"};
    for (const char* s : kAnywhere)
        if (name == s) return true;
    if (top)
        for (const char* s : kTop)
            if (name == s) return true;
    if (name.size() > 9 && name.compare(name.size() - 9, 9, ".egg-info") == 0) return true;
    std::error_code ec;
    for (const char* marker : {"conda-meta", "pyvenv.cfg", "CACHEDIR.TAG"})
        if (fs::exists(fs::symlink_status(dir / marker, ec))) return true;
    return false;
}

/// Feeds a file's bytes to `h` (length-prefixed).
Result<void> feed_file(const fs::path& p, base::Xxh3& h) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return base::fail_errno("cannot read", p.string(), errno);
    std::string buf(1 << 16, '\0');
    std::string chunk;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return base::fail_errno("cannot read", p.string(), e);
        }
        if (n == 0) break;
        h.field(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    h.field("eof");
    return {};
}

/// Adds every regular file and symlink below `dir` (sorted, relative names) to `h`.
Result<void> digest_tree(const fs::path& root, base::Xxh3& h) {
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
    if (ec) return base::fail_errno("cannot read the source directory", root.string(), ec.value());
    for (; it != end; it.increment(ec)) {
        if (ec) return base::fail_errno("cannot read the source directory", root.string(), ec.value());
        const auto& entry = *it;
        const std::string name = entry.path().filename().string();
        std::error_code sec;
        const auto st = entry.symlink_status(sec);
        if (fs::is_directory(st)) {
            if (skipped_dir(entry.path(), name, it.depth() == 0)) it.disable_recursion_pending();
            continue;
        }
        if (fs::is_regular_file(st) || fs::is_symlink(st))
            files.push_back(fs::relative(entry.path(), root, sec).generic_string());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        const fs::path p = root / f;
        h.field(f);
        std::error_code sec;
        if (fs::is_symlink(fs::symlink_status(p, sec))) {
            h.field("link:" + fs::read_symlink(p, sec).string());
        } else {
            struct stat st {};
            const bool exec = ::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
            h.field(exec ? "x" : "-");
            PI_TRY_VOID(feed_file(p, h));
        }
    }
    return {};
}

}  // namespace

Result<std::string> source_identity(const BuildRequest& r, const std::string& sdist_sha256) {
    if (r.kind == SourceKind::sdist) {
        if (!base::is_hex_digest(sdist_sha256, 32))
            return base::fail(ErrorKind::failure, "no sha256 for the source distribution of " + r.name);
        return "sha256:" + sdist_sha256;
    }
    std::error_code ec;
    if (!fs::is_directory(r.source, ec))
        return base::fail(ErrorKind::unavailable,
                          "the source directory " + r.source.string() + " of " + r.name +
                              " does not exist (copy the project's sources in before installing it, or leave it "
                              "out with --skip " + r.name + " or --no-install-local)");
    // xxh3, not sha256: a fingerprint of the user's own files (checked on every no-op),
    // not a defence against someone who can write them (they can change the build anyway).
    base::Xxh3 h;
    h.field(std::string("dir:") + (r.editable ? "editable:" : "") + r.source.string());
    if (r.editable) {
        // As uv: an editable install is fresh while its metadata files are unchanged.
        for (const char* f : {"pyproject.toml", "setup.py", "setup.cfg"}) {
            const fs::path p = r.source / f;
            h.field(f);
            if (fs::is_regular_file(p, ec)) PI_TRY_VOID(feed_file(p, h));
            else h.field("absent");
        }
    } else {
        PI_TRY_VOID(digest_tree(r.source, h));
    }
    return std::string(r.editable ? "meta:" : "tree:") + h.hex();
}

std::string cache_key(const BuildRequest& r, const std::string& identity) {
    std::string text = "pixi-install built wheel v1\n";
    text += "name=" + spec::normalize_pypi_name(r.name) + "\n";
    text += "source=" + identity + "\n";
    text += "python=" + r.python_version + " " + r.python.site_packages + "\n";
    text += "platform=" + r.subdir + "\n";
    text += std::string("isolated=") + (r.isolated ? "1" : "0") + " editable=" + (r.editable ? "1" : "0") + "\n";
    // Non-isolated builds see the environment itself: key them by where it is.
    if (!r.isolated) text += "prefix=" + r.prefix.string() + "\n";
    for (const auto& f : r.find_links) text += "find-links=" + f.string() + "\n";
    if (r.index)
        for (const auto& u : r.index->indexes) text += "index=" + u + "\n";
    if (r.source_date_epoch) text += "epoch=" + std::to_string(*r.source_date_epoch) + "\n";
    return base::sha256_hex(text).substr(0, 32);
}

fs::path built_dir(const fs::path& cache_dir) { return cache_dir / "built-wheels" / "v1"; }

std::optional<BuiltWheel> cached_wheel(const fs::path& cache_dir, const std::string& key) {
    const fs::path dir = built_dir(cache_dir) / key;
    auto text = base::read_file(dir / "build.json");
    if (!text.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("wheel") || !j["wheel"].is_string()) return std::nullopt;
    BuiltWheel w;
    w.file_name = j["wheel"].get<std::string>();
    if (!base::segment_problem(w.file_name).empty() || !spec::WheelName::parse(w.file_name).ok()) return std::nullopt;
    w.wheel = dir / w.file_name;
    std::error_code ec;
    if (!fs::is_regular_file(w.wheel, ec)) return std::nullopt;
    if (j.contains("sha256") && j["sha256"].is_string()) {
        auto h = base::hash_file(w.wheel, base::HashAlgo::sha256);
        if (!h.ok() || *h != j["sha256"].get<std::string>()) return std::nullopt;
    }
    w.backend = j.value("backend", "");
    w.name = j.value("name", "");
    w.identity = j.value("identity", "");
    if (j.contains("build_set") && j["build_set"].is_array())
        for (const auto& d : j["build_set"]) {
            if (!d.is_object()) continue;
            w.build_set.push_back({d.value("name", ""), d.value("version", ""), d.value("file_name", ""),
                                   d.value("location", ""), d.value("sha256", "")});
        }
    w.from_cache = true;
    return w;
}

Result<BuiltWheel> store_built(const fs::path& cache_dir, const std::string& key, const fs::path& wheel,
                               const std::string& backend, const std::vector<BuildDependency>& build_set,
                               const std::string& name, const std::string& identity) {
    const fs::path root = built_dir(cache_dir);
    PI_TRY_VOID(base::make_dirs(root));
    PI_TRY(base::TempDir tmp, base::TempDir::create(root, ".tmp-"));
    const std::string file = wheel.filename().string();
    std::error_code ec;
    fs::copy_file(wheel, tmp.path() / file, ec);
    if (ec) return base::fail_errno("cannot store the built wheel", (tmp.path() / file).string(), ec.value());
    PI_TRY(auto sha, base::hash_file(tmp.path() / file, base::HashAlgo::sha256));
    nlohmann::json j;
    j["wheel"] = file;
    j["sha256"] = sha;
    j["backend"] = backend;
    j["name"] = name;
    j["identity"] = identity;
    j["build_set"] = nlohmann::json::array();
    for (const auto& d : build_set)
        j["build_set"].push_back({{"name", d.name},
                                  {"version", d.version},
                                  {"file_name", d.file_name},
                                  {"location", d.location},
                                  {"sha256", d.sha256}});
    PI_TRY_VOID(base::write_file_atomic(tmp.path() / "build.json", j.dump(1) + "\n"));
    const fs::path dest = root / key;
    fs::remove_all(dest, ec);  // a stale or broken entry of the same key
    fs::rename(tmp.path(), dest, ec);
    if (ec && ec != std::errc::directory_not_empty && ec != std::errc::file_exists)
        return base::fail_errno("cannot store the built wheel", dest.string(), ec.value());
    if (!ec) tmp.release();
    auto hit = cached_wheel(cache_dir, key);
    if (!hit) return base::fail(ErrorKind::failure, "the built wheel could not be read back from " + dest.string());
    hit->from_cache = false;
    return *hit;
}

std::vector<BuiltWheel> built_from_sdist(const fs::path& cache_dir, const std::string& sdist_sha256) {
    std::vector<BuiltWheel> out;
    std::error_code ec;
    const std::string want = "sha256:" + sdist_sha256;
    for (const auto& e : fs::directory_iterator(built_dir(cache_dir), ec)) {
        const std::string key = e.path().filename().string();
        if (key.empty() || key[0] == '.') continue;
        auto w = cached_wheel(cache_dir, key);
        if (!w) continue;
        if (w->identity == want || w->identity.rfind(want + "@", 0) == 0) out.push_back(*w);
    }
    std::sort(out.begin(), out.end(), [](const BuiltWheel& a, const BuiltWheel& b) { return a.file_name < b.file_name; });
    return out;
}

}  // namespace pixi_install::build
