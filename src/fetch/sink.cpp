#include "sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace pixi_install::fetch {

namespace fs = std::filesystem;

Digest expected_digest(const Artifact& a) {
    if (!a.sha256.empty()) return {base::HashAlgo::sha256, base::normalize_hex(a.sha256)};
    if (!a.md5.empty()) return {base::HashAlgo::md5, base::normalize_hex(a.md5)};
    return {base::HashAlgo::sha256, {}};
}

base::Result<FileSink> FileSink::create(const fs::path& path, base::HashAlgo algo) {
    FileSink s;
    s.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (s.fd_ < 0) return base::fail_errno("cannot create", path.string(), errno);
    s.path_ = path;
    s.algo_ = algo;
    s.hasher_.emplace(algo);
    return s;
}

FileSink::FileSink(FileSink&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), algo_(o.algo_), hasher_(std::move(o.hasher_)), bytes_(o.bytes_),
      errno_(o.errno_) {
    o.fd_ = -1;
    o.path_.clear();
}

FileSink& FileSink::operator=(FileSink&& o) noexcept {
    if (this != &o) {
        this->~FileSink();
        new (this) FileSink(std::move(o));
    }
    return *this;
}

FileSink::~FileSink() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
}

bool FileSink::write(const char* data, std::size_t size) {
    hasher_->update(data, size);
    bytes_ += size;
    while (size) {
        ssize_t n = ::write(fd_, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            errno_ = errno;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

base::Result<void> FileSink::restart() {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
        return base::fail_errno("cannot truncate", path_.string(), errno);
    hasher_.emplace(algo_);
    bytes_ = 0;
    return {};
}

base::Result<std::string> FileSink::finish() {
    if (fd_ >= 0) {
        int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) return base::fail_errno("cannot write", path_.string(), errno);
    }
    return hasher_->finish_hex();
}

base::Error FileSink::error() const { return base::fail_errno("cannot write", path_.string(), errno_); }

base::Result<void> check_content(const Artifact& a, const Digest& expected, const std::string& actual_hex,
                                 std::uint64_t bytes, const std::string& source) {
    const char* algo = expected.algo == base::HashAlgo::sha256 ? "sha256" : "md5";
    if (a.size && *a.size != bytes)
        return base::fail(base::ErrorKind::integrity,
                          "size mismatch for " + a.name + " from " + source + ": expected " +
                              std::to_string(*a.size) + " bytes, got " + std::to_string(bytes) +
                              " (the download or the bundle is corrupt; nothing was stored)");
    if (!expected.hex.empty() && expected.hex != actual_hex)
        return base::fail(base::ErrorKind::integrity,
                          std::string(algo) + " mismatch for " + a.name + " from " + source + ": expected " +
                              expected.hex + ", got " + actual_hex +
                              " (the download or the bundle is corrupt; nothing was stored)");
    return {};
}

base::Result<fs::path> copy_into_store(const ArtifactStore& store, const Artifact& a, const fs::path& src,
                                       std::uint64_t offset, std::optional<std::uint64_t> length,
                                       const std::string& source, base::Reporter& reporter,
                                       const std::atomic<bool>* cancel) {
    Digest want = expected_digest(a);
    int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return base::fail_errno("cannot open", src.string(), errno);
    struct stat st {};
    if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(in);
        return base::fail(base::ErrorKind::failure, "not a regular file: " + src.string());
    }
    std::uint64_t total = length ? *length : static_cast<std::uint64_t>(st.st_size) - std::min<std::uint64_t>(offset, st.st_size);
    ::posix_fadvise(in, static_cast<off_t>(offset), static_cast<off_t>(total), POSIX_FADV_SEQUENTIAL);
    auto sink_r = FileSink::create(store.temp_path(a.name), want.algo);
    if (!sink_r) {
        ::close(in);
        return std::move(sink_r).error();
    }
    FileSink sink = std::move(sink_r).value();
    reporter.fetch_started(a.name, total);
    std::vector<char> buf(1 << 20);
    std::uint64_t left = total;
    off_t pos = static_cast<off_t>(offset);
    while (left) {
        if (cancel && cancel->load()) {
            ::close(in);
            return base::fail(base::ErrorKind::interrupted, "interrupted while copying " + a.name);
        }
        std::size_t want_n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        ssize_t n = ::pread(in, buf.data(), want_n, pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(in);
            return base::fail_errno("cannot read", src.string(), err);
        }
        if (n == 0) break;  // shorter than announced: the size/digest check reports it
        if (!sink.write(buf.data(), static_cast<std::size_t>(n))) {
            ::close(in);
            return sink.error();
        }
        reporter.fetch_progress(a.name, static_cast<std::uint64_t>(n));
        pos += n;
        left -= static_cast<std::uint64_t>(n);
    }
    ::close(in);
    std::uint64_t bytes = sink.bytes();
    PI_TRY(std::string actual, sink.finish());
    PI_TRY_VOID(check_content(a, want, actual, bytes, source));
    Digest key = want.hex.empty() ? Digest{base::HashAlgo::sha256, actual} : want;
    PI_TRY(fs::path stored, store.commit(sink.path(), key, a.name));
    sink.release();
    reporter.fetch_finished(a.name, bytes, false);
    return stored;
}

}  // namespace pixi_install::fetch
