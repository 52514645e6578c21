#include "pixi_install/base/result.hpp"

#include <cerrno>

#include <cstring>

namespace pixi_install::base {

int exit_code(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::failure: return 1;
        case ErrorKind::usage: return 2;
        case ErrorKind::host: return 3;
        case ErrorKind::integrity: return 4;
        case ErrorKind::unavailable: return 5;
        case ErrorKind::lockfile: return 6;
        case ErrorKind::stale: return 7;
        case ErrorKind::build: return 8;
        case ErrorKind::interrupted: return 130;
    }
    return 1;
}

const char* kind_name(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::failure: return "failure";
        case ErrorKind::usage: return "usage";
        case ErrorKind::host: return "host";
        case ErrorKind::integrity: return "integrity";
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::lockfile: return "lockfile";
        case ErrorKind::stale: return "stale";
        case ErrorKind::build: return "build";
        case ErrorKind::interrupted: return "interrupted";
    }
    return "failure";
}

Error Error::with_context(std::string what) && {
    context.push_back(std::move(what));
    return std::move(*this);
}

Error Error::with_context(std::string what) const& {
    Error copy = *this;
    copy.context.push_back(std::move(what));
    return copy;
}

bool Error::is_disk_full() const noexcept { return sys_errno == ENOSPC || sys_errno == EDQUOT; }

std::string Error::to_string() const {
    std::string out = message;
    for (const auto& c : context) {
        out += "\n  ";
        out += c;
    }
    return out;
}

Error fail(ErrorKind kind, std::string message) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
}

Error fail_errno(std::string what, const std::string& path, int err) {
    Error e;
    e.kind = ErrorKind::failure;
    e.sys_errno = err;
    e.message = std::move(what) + " " + path + ": " + std::strerror(err);
    return e;
}

}  // namespace pixi_install::base
