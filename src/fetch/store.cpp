#include "pixi_install/fetch/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pixi_install/base/fs.hpp"

namespace pixi_install::fetch {

namespace fs = std::filesystem;

std::string archive_suffix(std::string_view file_name) {
    for (std::string_view s : {".tar.bz2", ".tar.gz", ".conda", ".whl", ".zip"}) {
        if (file_name.size() > s.size() && file_name.substr(file_name.size() - s.size()) == s)
            return std::string(s);
    }
    return {};
}

base::Result<ArtifactStore> ArtifactStore::open(const fs::path& cache_dir) {
    if (cache_dir.empty())
        return base::fail(base::ErrorKind::usage, "no cache directory given (use --cache-dir)");
    ArtifactStore s;
    s.root_ = base::absolute_normal(cache_dir / "artifacts");
    if (auto r = base::make_dirs(s.root_ / "tmp"); !r)
        return std::move(r).error().with_context("while opening the artifact store in " + cache_dir.string());
    return s;
}

fs::path ArtifactStore::path_for(const Digest& digest, std::string_view file_name) const {
    const char* algo = digest.algo == base::HashAlgo::sha256 ? "sha256" : "md5";
    std::string hex = base::normalize_hex(digest.hex);
    return root_ / algo / hex.substr(0, 2) / (hex + archive_suffix(file_name));
}

std::optional<fs::path> ArtifactStore::find(const Digest& digest, std::string_view file_name,
                                            std::optional<std::uint64_t> size) const {
    if (digest.hex.size() < 2) return std::nullopt;
    fs::path p = path_for(digest, file_name);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (size && static_cast<std::uint64_t>(st.st_size) != *size) return std::nullopt;
    return p;
}

fs::path ArtifactStore::temp_path(std::string_view file_name) const {
    // The name is the tool's own: only the archive suffix (one of a fixed set) comes from
    // the untrusted file name, so a download never lands outside tmp/.
    return base::unique_sibling(root_ / "tmp" / ("download" + archive_suffix(file_name)), "part");
}

base::Result<fs::path> ArtifactStore::commit(const fs::path& temp, const Digest& digest,
                                             std::string_view file_name) const {
    fs::path dest = path_for(digest, file_name);
    PI_TRY_VOID(base::make_dirs(dest.parent_path()));
    // rename() replaces an existing file atomically: when another process stored the same
    // digest first, readers keep whichever complete copy they opened, and a damaged copy
    // (one that failed a size check) is replaced by this verified one.
    if (::rename(temp.c_str(), dest.c_str()) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return base::fail_errno("cannot move a verified download into the store at", dest.string(), err);
    }
    return dest;
}

base::Result<std::size_t> ArtifactStore::clean_temporaries(std::chrono::seconds age) const {
    PI_TRY(base::FileLock lock, base::FileLock::acquire(root_ / ".lock"));
    std::size_t removed = 0;
    std::error_code ec;
    auto now = fs::file_time_type::clock::now();
    for (fs::directory_iterator it(root_ / "tmp", ec), end; !ec && it != end; it.increment(ec)) {
        auto t = it->last_write_time(ec);
        if (ec) {
            ec.clear();
            continue;
        }
        if (now - t < age) continue;
        if (fs::remove(it->path(), ec)) ++removed;
        ec.clear();
    }
    return removed;
}

}  // namespace pixi_install::fetch
