#include "pixi_install/prefix/verify.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <unordered_set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/wheel_files.hpp"

namespace pixi_install::prefix {

using base::ErrorKind;
using base::fail;
using base::Result;
namespace fs = std::filesystem;

const char* issue_kind_name(IssueKind k) noexcept {
    switch (k) {
        case IssueKind::missing: return "missing";
        case IssueKind::modified: return "modified";
        case IssueKind::unrecorded: return "unrecorded";
    }
    return "missing";
}

namespace {

/// One path to check.
struct Check {
    std::string path;     // prefix-relative
    std::string package;
    PathType type = PathType::hardlink;
    std::string sha256;   // hex expected (may be empty)
    std::string sha256_alt;  // for symlinks: the hash of the target's content (conda's convention)
    std::string record_b64;  // wheel RECORD hash (urlsafe b64), instead of hex
    std::optional<std::uint64_t> size;
};

struct FileHash {
    std::string hex;
    std::string raw;
    std::uint64_t bytes = 0;
};

Result<FileHash> hash_fd_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return base::fail_errno("cannot open", path, errno);
    base::Hasher h(base::HashAlgo::sha256);
    thread_local std::string buf(1 << 17, '\0');
    FileHash out;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return base::fail_errno("cannot read", path, err);
        }
        if (n == 0) break;
        h.update(buf.data(), static_cast<std::size_t>(n));
        out.bytes += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    out.raw = h.finish_raw();
    out.hex = base::to_hex(out.raw);
    return out;
}

std::optional<VerifyIssue> check_one(const std::string& root, const Check& c, std::uint64_t& hashed) {
    const std::string full = root + "/" + c.path;
    struct stat st {};
    auto issue = [&](IssueKind k, std::string expected, std::string actual) {
        return VerifyIssue{k, c.path, c.package, std::move(expected), std::move(actual)};
    };
    if (::lstat(full.c_str(), &st) != 0) return issue(IssueKind::missing, c.sha256, "");
    if (c.type == PathType::directory) {
        if (!S_ISDIR(st.st_mode)) return issue(IssueKind::modified, "", "not a directory");
        return std::nullopt;
    }
    if (c.type == PathType::softlink && S_ISLNK(st.st_mode)) {
        if (c.sha256.empty()) return std::nullopt;
        char buf[PATH_MAX];
        ssize_t n = ::readlink(full.c_str(), buf, sizeof buf);
        if (n < 0) return issue(IssueKind::modified, c.sha256, "unreadable symlink");
        std::string h = base::sha256_hex(std::string_view(buf, static_cast<std::size_t>(n)));
        if (h == c.sha256) return std::nullopt;
        // conda and micromamba record the target's content hash for symlinks.
        struct stat tst {};
        if (::stat(full.c_str(), &tst) == 0 && S_ISREG(tst.st_mode)) {
            auto fh = hash_fd_file(full);
            if (fh.ok() && (fh->hex == c.sha256 || (!c.sha256_alt.empty() && fh->hex == c.sha256_alt)))
                return std::nullopt;
        } else if (c.sha256 == base::sha256_hex("") || c.sha256_alt == base::sha256_hex("")) {
            return std::nullopt;  // directory or dangling link recorded with the empty hash
        }
        return issue(IssueKind::modified, c.sha256, h);
    }
    if (S_ISDIR(st.st_mode)) return issue(IssueKind::modified, c.sha256, "a directory");
    if (S_ISLNK(st.st_mode) && c.type != PathType::softlink) {
        // A symlink where a file was recorded: compare the content it leads to.
        if (::stat(full.c_str(), &st) != 0) return issue(IssueKind::modified, c.sha256, "a dangling symlink");
    }
    if (c.sha256.empty() && c.record_b64.empty()) return std::nullopt;
    if (c.size && static_cast<std::uint64_t>(st.st_size) != *c.size)
        return issue(IssueKind::modified, c.sha256.empty() ? c.record_b64 : c.sha256,
                     "size " + std::to_string(st.st_size) + ", expected " + std::to_string(*c.size));
    auto fh = hash_fd_file(full);
    if (!fh.ok()) return issue(IssueKind::modified, c.sha256, fh.error().message);
    hashed += fh->bytes;
    if (!c.record_b64.empty()) {
        std::string b64 = base::base64_urlsafe_nopad(fh->raw);
        if (b64 != c.record_b64) return issue(IssueKind::modified, "sha256=" + c.record_b64, "sha256=" + b64);
        return std::nullopt;
    }
    if (fh->hex != c.sha256 && (c.sha256_alt.empty() || fh->hex != c.sha256_alt))
        return issue(IssueKind::modified, c.sha256, fh->hex);
    return std::nullopt;
}

// Lexically joins a RECORD path (relative to site-packages, may use "..") to a
// prefix-relative path; empty when it leaves the prefix.
std::string record_path(const std::string& site_rel, const std::string& p) {
    if (p.empty() || p.front() == '/') return {};
    std::vector<std::string> parts;
    auto push = [&](const std::string& s) {
        std::size_t start = 0;
        while (start <= s.size()) {
            std::size_t e = s.find('/', start);
            std::string part = s.substr(start, e == std::string::npos ? std::string::npos : e - start);
            if (part == "..") {
                if (parts.empty()) return false;
                parts.pop_back();
            } else if (!part.empty() && part != ".") {
                parts.push_back(part);
            }
            if (e == std::string::npos) break;
            start = e + 1;
        }
        return true;
    };
    if (!push(site_rel) || !push(p) || parts.empty()) return {};
    std::string out;
    for (const auto& s : parts) out += (out.empty() ? "" : "/") + s;
    return out;
}

/// Top-level entries that no package records but the environment itself has: conda-meta/
/// (the records, this tool's state and lock files), pixi's fingerprint, and what the
/// installer writes after linking (the cache-directory tag, the activation scripts).
bool is_environment_file(const std::string& name) {
    for (const char* n : {"conda-meta", ".pixi-environment-fingerprint", "CACHEDIR.TAG", "activate.sh", "activate.fish"})
        if (name == n) return true;
    return false;
}

void walk(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
    std::error_code ec;
    fs::directory_iterator it(rel.empty() ? fs::path(root) : fs::path(root) / rel, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        std::string r = rel.empty() ? name : rel + "/" + name;
        if (rel.empty() && is_environment_file(name)) continue;
        if (name == "__pycache__") continue;
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            walk(root, r, out);
        } else {
            out.push_back(std::move(r));
        }
    }
}

}  // namespace

Result<VerifyReport> verify_prefix(const fs::path& prefix, const VerifyOptions& options, base::ThreadPool& pool) {
    VerifyReport report;
    std::error_code ec;
    if (!fs::is_directory(prefix / "conda-meta", ec)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            return fail(ErrorKind::failure, "cannot read " + (prefix / "conda-meta").string() + ": " + ec.message() +
                                                " (run as a user who may read the environment)");
        return fail(ErrorKind::failure, "no conda-meta directory in " + prefix.string() + " (is it an environment?)");
    }
    PI_TRY(auto records, read_prefix_records(prefix, ReadDepth::full, &pool));
    report.packages = records.size();
    const std::string root = prefix.string();

    std::vector<Check> checks;
    std::unordered_set<std::string> owned;
    for (const auto& r : records) {
        std::string pkg = r.package.name + "-" + r.package.version + "-" + r.package.build;
        for (const auto& p : r.paths) {
            Check c;
            c.path = p.path;
            c.package = pkg;
            c.type = p.type;
            c.sha256 = p.expected_sha256();
            if (p.type == PathType::softlink) c.sha256_alt = p.sha256;
            // Some installers record a patched file's size before patching: hash those instead.
            if (p.prefix_placeholder.empty()) c.size = p.size;
            owned.insert(p.path);
            checks.push_back(std::move(c));
        }
    }

    if (options.check_wheels) {
        // *.dist-info/RECORD under lib/python*/site-packages not owned by a conda package.
        std::vector<std::string> site_dirs;
        for (auto it = fs::directory_iterator(prefix / "lib", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::string n = it->path().filename().string();
            if (n.rfind("python", 0) == 0 && fs::is_directory(it->path() / "site-packages", ec))
                site_dirs.push_back("lib/" + n + "/site-packages");
        }
        ec.clear();
        for (const auto& sd : site_dirs) {
            for (auto it = fs::directory_iterator(prefix / sd, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
                std::string n = it->path().filename().string();
                if (n.size() < 11 || n.compare(n.size() - 10, 10, ".dist-info") != 0) continue;
                std::string record_rel = sd + "/" + n + "/RECORD";
                if (owned.count(record_rel)) continue;
                auto text = base::read_file(prefix / record_rel);
                if (!text.ok()) continue;
                auto rows = parse_record(*text);
                if (!rows.ok()) return std::move(rows).error().with_context("while reading " + record_rel);
                ++report.wheels;
                for (const auto& row : *rows) {
                    std::string rel = record_path(sd, row.path);
                    if (rel.empty()) continue;
                    owned.insert(rel);
                    if (row.hash.rfind("sha256=", 0) != 0) continue;  // RECORD itself, .pyc
                    Check c;
                    c.path = rel;
                    c.package = n;
                    c.record_b64 = row.hash.substr(7);
                    if (!row.size.empty()) c.size = std::strtoull(row.size.c_str(), nullptr, 10);
                    checks.push_back(std::move(c));
                }
            }
            ec.clear();
        }
    }
    report.files = checks.size();

    std::mutex mu;
    std::vector<std::optional<VerifyIssue>> found(checks.size());
    std::uint64_t hashed_total = 0;
    const std::size_t chunk = 64;
    const std::size_t n_chunks = (checks.size() + chunk - 1) / chunk;
    pool.parallel_for(n_chunks, [&](std::size_t ci) {
        std::uint64_t hashed = 0;
        for (std::size_t i = ci * chunk; i < std::min(checks.size(), (ci + 1) * chunk); ++i)
            found[i] = check_one(root, checks[i], hashed);
        std::lock_guard<std::mutex> lock(mu);
        hashed_total += hashed;
    });
    report.bytes_hashed = hashed_total;
    for (auto& f : found)
        if (f) report.issues.push_back(std::move(*f));

    if (options.extra) {
        std::vector<std::string> all;
        walk(root, "", all);
        for (auto& p : all) {
            if (owned.count(p)) continue;
            if (p.size() > 4 && p.compare(p.size() - 4, 4, ".pyc") == 0) continue;
            report.issues.push_back(VerifyIssue{IssueKind::unrecorded, p, "", "", ""});
        }
    }
    std::sort(report.issues.begin(), report.issues.end(),
              [](const VerifyIssue& a, const VerifyIssue& b) { return a.path < b.path; });
    return report;
}

}  // namespace pixi_install::prefix
