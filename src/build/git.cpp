// git+ entries: the locked commit fetched with libgit2 into a bare repository in the cache,
// its tree written out once, through the same name checks as any archive.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/build/build.hpp"

#ifdef PIXI_INSTALL_HAVE_GIT
#include <git2.h>
#endif

namespace pixi_install::build {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

Result<GitSource> parse_git_location(std::string_view location) {
    std::string s(location);
    if (s.rfind("git+", 0) != 0) return base::fail(ErrorKind::lockfile, "not a git location: " + base::printable(s));
    s = s.substr(4);
    GitSource g;
    auto hash = s.find('#');
    if (hash == std::string::npos)
        return base::fail(ErrorKind::lockfile, "the git location " + base::redact(s) +
                                                   " names no commit (`#<40 hex digits>`); lock it again with pixi");
    g.commit = base::ascii_lower(s.substr(hash + 1));
    s.resize(hash);
    if (!base::is_hex_digest(g.commit, 20))
        return base::fail(ErrorKind::lockfile, "the git location " + base::redact(s) + " names `" +
                                                   base::printable(g.commit) + "`, not a full commit id");
    if (auto q = s.find('?'); q != std::string::npos) {
        std::string query = s.substr(q + 1);
        s.resize(q);
        std::size_t pos = 0;
        while (pos <= query.size()) {
            auto amp = query.find('&', pos);
            std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            auto eq = kv.find('=');
            std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : base::percent_decode(kv.substr(eq + 1));
            if (k == "branch" || k == "tag" || k == "rev") g.requested = v;
            else if (k == "subdirectory") g.subdirectory = v;
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
    }
    if (!g.subdirectory.empty() && !base::path_problem(g.subdirectory).empty())
        return base::fail(ErrorKind::lockfile, "the git location " + base::redact(s) + " has the subdirectory `" +
                                                   base::printable(g.subdirectory) +
                                                   "`, which is not a relative path inside the repository");
    g.url = s;
    return g;
}

#ifndef PIXI_INSTALL_HAVE_GIT

bool git_supported() { return false; }
std::string git_library_version() { return "not built in (git+ entries are refused)"; }

Result<fs::path> git_checkout(const GitSource& source, const fs::path&, const GitOptions&) {
    return base::fail(ErrorKind::failure, "this pixi-install was built without git support, so " +
                                              base::redact(source.url) + " cannot be checked out: lock a wheel or "
                                              "a path to a checkout instead, or --skip the package");
}

#else

bool git_supported() { return true; }
std::string git_library_version() {
    int major = 0, minor = 0, rev = 0;
    git_libgit2_version(&major, &minor, &rev);
    return "libgit2 " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rev);
}

namespace {

std::once_flag g_init;

std::string git_message(const std::string& what) {
    const ::git_error* e = git_error_last();
    return what + (e && e->message ? std::string(": ") + e->message : std::string());
}

template <typename T, void (*F)(T*)>
struct Owned {
    T* p = nullptr;
    ~Owned() {
        if (p) F(p);
    }
};

/// Writes the tree below `dest` (an empty directory), refusing names and links a checkout
/// must not have.
Result<void> write_tree(git_repository* repo, git_tree* tree, const fs::path& root, const std::string& rel,
                        std::uint64_t& bytes) {
    const std::size_t n = git_tree_entrycount(tree);
    for (std::size_t i = 0; i < n; ++i) {
        const git_tree_entry* e = git_tree_entry_byindex(tree, i);
        const std::string name = git_tree_entry_name(e);
        const std::string path = rel.empty() ? name : rel + "/" + name;
        if (!base::segment_problem(name).empty() || name == ".git")
            return base::fail(ErrorKind::integrity, "the repository's tree has the entry `" + base::printable(path) +
                                                        "`, which is not a safe file name");
        const fs::path out = root / path;
        const git_filemode_t mode = git_tree_entry_filemode(e);
        if (mode == GIT_FILEMODE_TREE) {
            Owned<git_tree, git_tree_free> sub;
            if (git_tree_lookup(&sub.p, repo, git_tree_entry_id(e)) != 0)
                return base::fail(ErrorKind::integrity, git_message("cannot read the tree " + path));
            if (::mkdir(out.c_str(), 0755) != 0) return base::fail_errno("cannot create", out.string(), errno);
            PI_TRY_VOID(write_tree(repo, sub.p, root, path, bytes));
            continue;
        }
        if (mode == GIT_FILEMODE_COMMIT)
            return base::fail(ErrorKind::failure, "the repository has the submodule `" + base::printable(path) +
                                                      "`, which pixi-install does not check out");
        Owned<git_blob, git_blob_free> blob;
        if (git_blob_lookup(&blob.p, repo, git_tree_entry_id(e)) != 0)
            return base::fail(ErrorKind::integrity, git_message("cannot read the file " + path));
        const char* data = static_cast<const char*>(git_blob_rawcontent(blob.p));
        const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.p));
        bytes += size;
        if (mode == GIT_FILEMODE_LINK) {
            std::string target(data, size);
            // As in sdists: a link must stay inside the tree.
            if (!base::link_target_inside(path, target))
                return base::fail(ErrorKind::integrity, "the repository's symlink `" + base::printable(path) +
                                                            "` points outside the tree (" + base::printable(target) + ")");
            if (::symlink(target.c_str(), out.c_str()) != 0) return base::fail_errno("cannot create", out.string(), errno);
            continue;
        }
        static constexpr std::string_view kLfs = "version https://git-lfs.github.com/spec/v1";
        if (size < 1024 && std::string_view(data, size).substr(0, kLfs.size()) == kLfs)
            return base::fail(ErrorKind::failure, "`" + base::printable(path) +
                                                      "` is a Git LFS pointer; pixi-install does not fetch LFS objects, "
                                                      "and will not build a tree without them (lock a wheel instead)");
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                              mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
        if (fd < 0) return base::fail_errno("cannot create", out.string(), errno);
        auto w = base::write_all(fd, std::string_view(data, size), out.string());
        ::close(fd);
        if (!w.ok()) return w;
    }
    return {};
}

int on_certificate(git_cert*, int valid, const char*, void* payload) {
    const auto* o = static_cast<const GitOptions*>(payload);
    return (valid || !o->tls_verify) ? 0 : GIT_ECERTIFICATE;
}

Result<void> fetch(git_repository* repo, const GitSource& s, const GitOptions& o) {
    Owned<git_remote, git_remote_free> remote;
    if (git_remote_create_anonymous(&remote.p, repo, s.url.c_str()) != 0)
        return base::fail(ErrorKind::unavailable, git_message("cannot use the git repository " + base::redact(s.url)));
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.callbacks.certificate_check = on_certificate;
    fo.callbacks.payload = const_cast<GitOptions*>(&o);
    if (!o.proxy.empty()) {
        fo.proxy_opts.type = GIT_PROXY_SPECIFIED;
        fo.proxy_opts.url = o.proxy.c_str();
    }
    // The locked branch or tag first (a small fetch); then every branch and tag.
    std::vector<std::vector<std::string>> rounds;
    if (s.requested && !s.requested->empty() && base::segment_problem(*s.requested).empty() &&
        s.requested->find_first_of(" ~^:?*[\\") == std::string::npos)
        rounds.push_back({"+refs/heads/" + *s.requested + ":refs/pixi-install/heads/" + *s.requested,
                          "+refs/tags/" + *s.requested + ":refs/pixi-install/tags/" + *s.requested});
    rounds.push_back({"+refs/heads/*:refs/pixi-install/heads/*", "+refs/tags/*:refs/pixi-install/tags/*"});
    git_oid oid;
    git_oid_fromstr(&oid, s.commit.c_str());
    std::string last;
    for (const auto& refspecs : rounds) {
        std::vector<char*> specs;
        for (const auto& r : refspecs) specs.push_back(const_cast<char*>(r.c_str()));
        git_strarray arr{specs.data(), specs.size()};
        if (git_remote_fetch(remote.p, &arr, &fo, nullptr) != 0) {
            last = git_message("cannot fetch " + base::redact(s.url));
            continue;
        }
        Owned<git_commit, git_commit_free> c;
        if (git_commit_lookup(&c.p, repo, &oid) == 0) return {};
    }
    if (!last.empty()) return base::fail(ErrorKind::unavailable, last);
    return base::fail(ErrorKind::unavailable, "the commit " + s.commit + " is on no branch or tag of " +
                                                  base::redact(s.url) + " (was it force-pushed away?)");
}

}  // namespace

Result<fs::path> git_checkout(const GitSource& s, const fs::path& cache_dir, const GitOptions& o) {
    std::call_once(g_init, [] { git_libgit2_init(); });
    if (!o.ca_file.empty() || !o.ca_dir.empty())
        git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, o.ca_file.empty() ? nullptr : o.ca_file.c_str(),
                         o.ca_dir.empty() ? nullptr : o.ca_dir.c_str());
    const fs::path checkouts = cache_dir / "git" / "checkouts";
    const fs::path done = checkouts / s.commit;
    auto with_sub = [&](const fs::path& p) -> Result<fs::path> {
        const fs::path sub = s.subdirectory.empty() ? p : p / s.subdirectory;
        std::error_code ec;
        if (!fs::is_directory(fs::symlink_status(sub, ec)))
            return base::fail(ErrorKind::failure, "the commit " + s.commit + " of " + base::redact(s.url) +
                                                      " has no directory " + base::printable(s.subdirectory));
        return sub;
    };
    std::error_code ec;
    if (fs::is_directory(done, ec)) return with_sub(done);
    const fs::path db = cache_dir / "git" / "db" / base::xxh3_hex(s.url);
    PI_TRY_VOID(base::make_dirs(db.parent_path()));
    PI_TRY_VOID(base::make_dirs(checkouts));
    // One process fetches into a repository at a time.
    PI_TRY(base::FileLock lock, base::FileLock::acquire(db.string() + ".lock"));
    Owned<git_repository, git_repository_free> repo;
    if (git_repository_open_bare(&repo.p, db.c_str()) != 0 && git_repository_init(&repo.p, db.c_str(), 1) != 0)
        return base::fail(ErrorKind::failure, git_message("cannot make the git repository " + db.string()));
    git_oid oid;
    git_oid_fromstr(&oid, s.commit.c_str());
    Owned<git_commit, git_commit_free> commit;
    if (git_commit_lookup(&commit.p, repo.p, &oid) != 0) {
        if (o.offline)
            return base::fail(ErrorKind::unavailable, "the commit " + s.commit + " of " + base::redact(s.url) +
                                                          " is not in the cache, and the network is off (--offline)");
        PI_TRY_VOID(fetch(repo.p, s, o));
        if (git_commit_lookup(&commit.p, repo.p, &oid) != 0)
            return base::fail(ErrorKind::unavailable, git_message("cannot read the commit " + s.commit));
    }
    Owned<git_tree, git_tree_free> tree;
    if (git_commit_tree(&tree.p, commit.p) != 0)
        return base::fail(ErrorKind::integrity, git_message("cannot read the tree of " + s.commit));
    PI_TRY(base::TempDir tmp, base::TempDir::create(checkouts, ".tmp-"));
    std::uint64_t bytes = 0;
    PI_TRY_VOID(write_tree(repo.p, tree.p, tmp.path(), "", bytes));
    fs::rename(tmp.path(), done, ec);
    if (!ec) tmp.release();
    else if (!fs::is_directory(done)) return base::fail_errno("cannot store the checkout", done.string(), ec.value());
    return with_sub(done);
}

#endif

}  // namespace pixi_install::build
