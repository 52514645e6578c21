#include "pixi_install/fetch/bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <sstream>

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "tar.hpp"

namespace pixi_install::fetch {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMagic = "# pixi-install bundle 1";

bool clean_field(const std::string& s) {
    return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

/// A relative bundle path made only of normal components (no "..", ".", absolute or empty parts).
bool safe_relative(const std::string& p) {
    if (p.empty() || p.front() == '/') return false;
    std::size_t start = 0;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string::npos) end = p.size();
        std::string part = p.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

struct ManifestLine {
    std::string sha256, md5;
    std::uint64_t size = 0;
    std::string path, location;
};

std::string render_manifest(std::vector<ManifestLine> lines) {
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
        return std::tie(a.path, a.location) < std::tie(b.path, b.location);
    });
    std::string out = std::string(kMagic) + "\n# sha256\tmd5\tsize\tpath\tlocation\n";
    for (const auto& l : lines)
        out += l.sha256 + "\t" + l.md5 + "\t" + std::to_string(l.size) + "\t" + l.path + "\t" + l.location + "\n";
    return out;
}

base::Result<std::vector<ManifestLine>> parse_manifest(const std::string& text, const std::string& origin) {
    std::vector<ManifestLine> out;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    auto bad = [&](const std::string& why) {
        return base::fail(base::ErrorKind::integrity, "bundle manifest " + origin + " line " + std::to_string(n) +
                                                          ": " + why + "; pack the bundle again");
    };
    while (std::getline(in, line)) {
        ++n;
        if (n == 1 && line != kMagic) return bad("not a pixi-install bundle manifest (expected '" + std::string(kMagic) + "')");
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::size_t p = 0;
        for (int i = 0; i < 4; ++i) {
            std::size_t t = line.find('\t', p);
            if (t == std::string::npos) return bad("expected 5 tab-separated fields");
            f.push_back(line.substr(p, t - p));
            p = t + 1;
        }
        f.push_back(line.substr(p));
        ManifestLine m{base::normalize_hex(f[0]), base::normalize_hex(f[1]), 0, f[3], f[4]};
        if (!base::is_hex_digest(m.sha256, 32)) return bad("invalid sha256 '" + f[0] + "'");
        if (!m.md5.empty() && !base::is_hex_digest(m.md5, 16)) return bad("invalid md5 '" + f[1] + "'");
        if (f[2].empty() || f[2].find_first_not_of("0123456789") != std::string::npos) return bad("invalid size");
        m.size = std::stoull(f[2]);
        if (!safe_relative(m.path)) return bad("unsafe path '" + m.path + "'");
        out.push_back(std::move(m));
    }
    if (n == 0) return bad("empty manifest");
    return out;
}

}  // namespace

base::Result<void> check_bundle_output(const fs::path& out) {
    const std::string name = out.filename().string();
    for (const char* compressed : {".tar.gz", ".tgz", ".tar.zst", ".tar.bz2", ".tar.xz", ".zip"}) {
        const std::string c = compressed;
        if (name.size() >= c.size() && name.compare(name.size() - c.size(), c.size(), c) == 0)
            return base::fail(base::ErrorKind::usage,
                              "pack writes a directory or an uncompressed .tar (installs read its members in place), "
                              "not " + c + ": use -o " + name.substr(0, name.size() - c.size()) +
                                  ".tar and compress a copy for transport if needed");
    }
    std::error_code ec;
    auto st = fs::symlink_status(out, ec);
    if (ec || !fs::exists(st)) return {};
    if (fs::is_directory(st)) {
        if (fs::is_empty(out, ec)) return {};
        if (fs::is_regular_file(out / kBundleManifest, ec)) return {};
    } else if (fs::is_regular_file(st)) {
        // Only a tar that holds a bundle manifest: never a file of the user's.
        auto members = tar::index(out);
        if (members.ok() && members->count(kBundleManifest)) return {};
    }
    return base::fail(base::ErrorKind::usage, "output " + out.string() +
                                                  " exists and is not a previous bundle (nothing was changed); "
                                                  "choose another -o or remove it");
}

base::Result<void> write_bundle(const fs::path& out, const std::vector<BundleItem>& items,
                                const std::vector<BundleFile>& files) {
    PI_TRY_VOID(check_bundle_output(out));
    std::vector<ManifestLine> lines;
    std::map<std::string, const BundleItem*> by_path;  // sorted entry order
    std::set<std::string> dirs;
    for (const auto& it : items) {
        std::string sha = base::normalize_hex(it.sha256);
        if (!base::is_hex_digest(sha, 32))
            return base::fail(base::ErrorKind::integrity, "cannot bundle " + it.file_name + ": no valid sha256");
        if (it.file_name.empty() || it.file_name.find('/') != std::string::npos || it.file_name == "." ||
            it.file_name == ".." || !clean_field(it.file_name))
            return base::fail(base::ErrorKind::lockfile, "cannot bundle an artifact named '" + it.file_name + "'");
        std::string rel = "artifacts/" + sha + "/" + it.file_name;
        std::error_code ec;
        auto size = fs::file_size(it.source, ec);
        if (ec) return base::fail_errno("cannot read", it.source.string(), ec.value());
        by_path.emplace(rel, &it);
        dirs.insert("artifacts/" + sha);
        for (const auto& loc : it.locations) {
            if (!clean_field(loc))
                return base::fail(base::ErrorKind::lockfile, "location of " + it.file_name + " has control characters");
            lines.push_back({sha, base::normalize_hex(it.md5), size, rel, base::strip_url_secrets(loc)});
        }
        if (it.locations.empty()) lines.push_back({sha, base::normalize_hex(it.md5), size, rel, ""});
    }
    for (const auto& f : files)
        if (!safe_relative(f.name) || f.name.find('/') != std::string::npos || f.name == kBundleManifest ||
            f.name == "artifacts")
            return base::fail(base::ErrorKind::usage, "invalid bundle file name '" + f.name + "'");
    std::string manifest = render_manifest(std::move(lines));

    fs::path tmp = base::unique_sibling(base::absolute_normal(out), "pack");
    bool as_tar = out.extension() == ".tar";
    if (as_tar) {
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) return base::fail_errno("cannot create", tmp.string(), errno);
        tar::Writer w(fd, out.string());
        std::map<std::string, int> order;  // every entry, sorted by name: 0 dir, 1 item, 2 manifest, 3 file
        order["artifacts"] = 0;
        for (const auto& d : dirs) order[d] = 0;
        for (const auto& [p, _] : by_path) order[p] = 1;
        order[kBundleManifest] = 2;
        std::map<std::string, const BundleFile*> extra;
        for (const auto& f : files) {
            order[f.name] = 3;
            extra[f.name] = &f;
        }
        base::Result<void> r;
        for (const auto& [name, kind] : order) {
            if (kind == 0) r = w.add_directory(name);
            else if (kind == 1) r = w.add_file(name, by_path[name]->source);
            else if (kind == 2) r = w.add_bytes(name, manifest);
            else r = w.add_bytes(name, extra[name]->content);
            if (!r) break;
        }
        if (r) r = w.finish();
        if (r && ::fsync(fd) != 0) r = base::fail_errno("cannot sync", tmp.string(), errno);
        ::close(fd);
        if (!r) {
            ::unlink(tmp.c_str());
            return r;
        }
        std::error_code ec;
        if (fs::is_directory(out, ec)) (void)base::remove_tree(out);
        if (::rename(tmp.c_str(), out.c_str()) != 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            return base::fail_errno("cannot move the bundle into place at", out.string(), err);
        }
        return {};
    }
    auto cleanup = [&](base::Error e) -> base::Result<void> {
        (void)base::remove_tree(tmp);
        return e;
    };
    for (const auto& d : dirs)
        if (auto r = base::make_dirs(tmp / d); !r) return cleanup(std::move(r).error());
    for (const auto& [rel, item] : by_path) {
        std::error_code ec;
        fs::copy_file(item->source, tmp / rel, fs::copy_options::overwrite_existing, ec);
        if (ec) return cleanup(base::fail_errno("cannot copy into the bundle", item->source.string(), ec.value()));
    }
    if (auto r = base::write_file_atomic(tmp / kBundleManifest, manifest); !r) return cleanup(std::move(r).error());
    for (const auto& f : files)
        if (auto r = base::write_file_atomic(tmp / f.name, f.content); !r) return cleanup(std::move(r).error());
    std::error_code ec;
    if (fs::exists(fs::symlink_status(out, ec))) {
        fs::path old = base::unique_sibling(base::absolute_normal(out), "old");
        if (::rename(out.c_str(), old.c_str()) != 0)
            return cleanup(base::fail_errno("cannot replace", out.string(), errno));
        (void)base::remove_tree(old);
    }
    if (::rename(tmp.c_str(), out.c_str()) != 0)
        return cleanup(base::fail_errno("cannot move the bundle into place at", out.string(), errno));
    return {};
}

base::Result<Bundle> Bundle::open(const fs::path& path) {
    Bundle b;
    b.path_ = base::absolute_normal(path);
    std::error_code ec;
    if (fs::is_directory(b.path_, ec)) {
        b.is_tar_ = false;
    } else if (fs::is_regular_file(b.path_, ec)) {
        b.is_tar_ = true;
        PI_TRY(b.tar_files_, tar::index(b.path_));
    } else {
        return base::fail(base::ErrorKind::usage, "bundle not found: " + path.string() + " (a directory or .tar made by pack)");
    }
    auto text = b.read_file(kBundleManifest);
    if (!text) return std::move(text).error().with_context("while opening bundle " + path.string());
    PI_TRY(auto lines, parse_manifest(*text, (path / kBundleManifest).string()));
    for (const auto& l : lines) {
        if (b.by_sha256_.count(l.sha256)) continue;
        BundleEntry e{l.sha256, l.md5, l.size, l.path, {}, 0};
        if (b.is_tar_) {
            auto it = b.tar_files_.find(l.path);
            if (it == b.tar_files_.end())
                return base::fail(base::ErrorKind::integrity,
                                  "bundle " + path.string() + " lists " + l.path + " but does not contain it; pack it again");
            e.file = b.path_;
            e.offset = it->second.first;
            e.size = it->second.second;
        } else {
            e.file = b.path_ / l.path;
        }
        b.by_sha256_[e.sha256] = b.entries_.size();
        if (!e.md5.empty()) b.by_md5_[e.md5] = b.entries_.size();
        b.entries_.push_back(std::move(e));
    }
    return b;
}

const BundleEntry* Bundle::find_sha256(const std::string& hex) const {
    auto it = by_sha256_.find(base::normalize_hex(hex));
    return it == by_sha256_.end() ? nullptr : &entries_[it->second];
}

const BundleEntry* Bundle::find_md5(const std::string& hex) const {
    auto it = by_md5_.find(base::normalize_hex(hex));
    return it == by_md5_.end() ? nullptr : &entries_[it->second];
}

base::Result<std::string> Bundle::read_file(const std::string& name) const {
    if (!safe_relative(name)) return base::fail(base::ErrorKind::usage, "invalid bundle file name '" + name + "'");
    if (!is_tar_) return base::read_file(path_ / name);
    auto it = tar_files_.find(name);
    if (it == tar_files_.end())
        return base::fail(base::ErrorKind::integrity, "bundle " + path_.string() + " has no " + name);
    if (it->second.second > (64u << 20))
        return base::fail(base::ErrorKind::integrity, name + " in bundle " + path_.string() + " is too large");
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open bundle", path_.string(), errno);
    std::string out(it->second.second, '\0');
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(it->second.first));
    ::close(fd);
    if (n != static_cast<ssize_t>(out.size())) return base::fail(base::ErrorKind::integrity, "truncated bundle " + path_.string());
    return out;
}

base::Result<std::vector<BundleLine>> bundle_lists(const std::vector<fs::path>& bundles, const std::string& name) {
    std::vector<BundleLine> out;
    for (const auto& b : bundles) {
        PI_TRY(Bundle bundle, Bundle::open(b));
        auto text = bundle.read_file(name);
        if (!text.ok()) continue;  // a bundle without that list
        std::size_t pos = 0;
        while (pos < text->size()) {
            const auto nl = text->find('\n', pos);
            BundleLine l{b, text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos), {}};
            pos = nl == std::string::npos ? text->size() : nl + 1;
            if (l.text.empty()) continue;
            std::size_t f = 0;
            for (;;) {
                const auto tab = l.text.find('\t', f);
                l.fields.push_back(l.text.substr(f, tab == std::string::npos ? std::string::npos : tab - f));
                if (tab == std::string::npos) break;
                f = tab + 1;
            }
            out.push_back(std::move(l));
        }
    }
    return out;
}

}  // namespace pixi_install::fetch
