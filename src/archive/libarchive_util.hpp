// Private helpers around libarchive: RAII handles and error conversion.
// Only included by src/archive/*.cpp.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::archive::detail {

struct ReadFree {
    void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
/// One libarchive reader, owned by one extraction job (no sharing across threads).
using ReadArchive = std::unique_ptr<struct archive, ReadFree>;

inline ReadArchive new_reader() { return ReadArchive(archive_read_new()); }

/// Reads archives in large blocks: fewer read(2) calls on the critical path.
inline constexpr std::size_t kReadBlock = 1 << 20;

/// libarchive's message for the last error on `a`, or a fallback.
inline std::string archive_message(struct archive* a) {
    const char* m = a ? archive_error_string(a) : nullptr;
    return m && *m ? std::string(m) : std::string("unknown libarchive error");
}

/// A corrupt/unreadable archive: ErrorKind::integrity naming the archive.
inline base::Error corrupt(std::string_view label, std::string_view what) {
    return base::fail(base::ErrorKind::integrity,
                      "corrupt archive " + std::string(label) + ": " + std::string(what) +
                          " (the file is damaged or not what its name says; download it again)");
}

/// A file descriptor closed on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

/// Makes the calling thread's character set UTF-8 while an extraction runs, so
/// libarchive can hand out UTF-8 entry names (zip UTF-8 flags, pax headers)
/// whatever the process locale is. Thread-local (uselocale), restored on exit.
class ScopedUtf8Names {
public:
    ScopedUtf8Names() {
        struct PerThread {
            locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
            ~PerThread() {
                if (loc) freelocale(loc);
            }
        };
        thread_local PerThread utf8;
        if (utf8.loc) old_ = uselocale(utf8.loc);
    }
    ~ScopedUtf8Names() {
        if (old_) uselocale(old_);
    }
    ScopedUtf8Names(const ScopedUtf8Names&) = delete;
    ScopedUtf8Names& operator=(const ScopedUtf8Names&) = delete;

private:
    locale_t old_ = nullptr;
};

/// The entry's path in UTF-8 when libarchive has it, else its raw bytes.
inline const char* entry_pathname(struct archive_entry* e) {
    const char* p = archive_entry_pathname_utf8(e);
    return p ? p : archive_entry_pathname(e);
}
inline const char* entry_symlink(struct archive_entry* e) {
    const char* p = archive_entry_symlink_utf8(e);
    return p ? p : archive_entry_symlink(e);
}
inline const char* entry_hardlink(struct archive_entry* e) {
    const char* p = archive_entry_hardlink_utf8(e);
    return p ? p : archive_entry_hardlink(e);
}

}  // namespace pixi_install::archive::detail
