// Result<T>: the one error convention of pixi-install.
//
// Every fallible function returns Result<T> (or Result<void>). Errors carry a
// kind (which decides the process exit code), a one-fact message, and a
// context chain that callers extend instead of rewriting the message.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pixi_install::base {

/// What went wrong, at the granularity callers and the exit code care about.
enum class ErrorKind {
    failure,      ///< anything else (I/O, permissions, a bug in the environment) -> exit 1
    usage,        ///< bad command line -> exit 2
    host,         ///< the host does not meet the environment's requirements -> exit 3
    integrity,    ///< hash/size mismatch, corrupt or unsafe archive -> exit 4
    unavailable,  ///< artifact unavailable (offline miss, HTTP failure) -> exit 5
    lockfile,     ///< invalid or unsupported pixi.lock -> exit 6
    stale,        ///< the lock is out of date with its manifest (`--locked`) -> exit 7
    build,        ///< a source package's build backend failed -> exit 8
    interrupted,  ///< SIGINT/SIGTERM -> exit 130
};

/// The process exit code for an error kind (DESIGN.md "Exit codes").
int exit_code(ErrorKind kind) noexcept;
/// A stable lower-case name for JSON output ("integrity", "lockfile", ...).
const char* kind_name(ErrorKind kind) noexcept;

struct Error {
    ErrorKind kind = ErrorKind::failure;
    std::string message;               ///< lower-case, one fact, names the offending value
    std::vector<std::string> context;  ///< innermost first: "while installing zlib-1.3.1"
    int sys_errno = 0;                 ///< errno when the cause was a system call

    /// Adds a context line ("while ...") and returns the error, for `return e.with_context(...)`.
    Error with_context(std::string what) &&;
    Error with_context(std::string what) const&;
    /// message, then each context line on its own line.
    std::string to_string() const;
    /// A full file system or an exhausted quota (ENOSPC, EDQUOT): every write there fails alike.
    bool is_disk_full() const noexcept;
};

/// Builds an error; the usual way to fail: `return fail(ErrorKind::integrity, "...")`.
Error fail(ErrorKind kind, std::string message);
/// An I/O error from errno, naming the operation and the path.
Error fail_errno(std::string what, const std::string& path, int err);

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    Error& error() & { assert(!ok()); return std::get<1>(v_); }
    const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
    Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT(implicit)

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    Error& error() & { assert(!ok_); return err_; }
    const Error& error() const& { assert(!ok_); return err_; }
    Error&& error() && { assert(!ok_); return std::move(err_); }

private:
    Error err_;
    bool ok_ = true;
};

}  // namespace pixi_install::base

#define PI_CONCAT_INNER(a, b) a##b
#define PI_CONCAT(a, b) PI_CONCAT_INNER(a, b)

/// Propagates the error of a Result<void> expression.
#define PI_TRY_VOID(expr)                                      \
    do {                                                       \
        auto&& pi_try_r_ = (expr);                             \
        if (!pi_try_r_.ok()) return std::move(pi_try_r_).error(); \
    } while (0)

/// `PI_TRY(auto x, f());` declares x from the value of f() or returns its error.
#define PI_TRY(decl, expr) PI_TRY_IMPL(decl, expr, PI_CONCAT(pi_try_tmp_, __LINE__))
#define PI_TRY_IMPL(decl, expr, tmp)                    \
    auto tmp = (expr);                                  \
    if (!tmp.ok()) return std::move(tmp).error();       \
    decl = std::move(tmp).value()
