#include "pixi_install/base/safe_path.hpp"

#include "path_components.hpp"


#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace pixi_install::base {

namespace fs = std::filesystem;
using base::ErrorKind;

namespace {

base::Error unsafe(std::string_view entry, std::string_view why) {
    return base::fail(ErrorKind::integrity,
                      "unsafe path '" + std::string(entry) + "': " + std::string(why));
}

/// True when `p` (absolute, lexically normal) is `root` or below it.
bool is_within(const fs::path& root, const fs::path& p) {
    auto r = root.begin();
    auto q = p.begin();
    for (; r != root.end(); ++r, ++q) {
        if (r->empty()) continue;  // trailing separator of root
        if (q == p.end() || *r != *q) return false;
    }
    return true;
}

}  // namespace

std::string_view path_problem(std::string_view entry) {
    if (entry.empty()) return "empty name";
    if (entry.find('\0') != std::string_view::npos) return "name contains a NUL byte";
    if (entry.front() == '/') return "absolute path";
    bool any = false;
    if (!detail::for_each_path_component(entry, [&](std::string_view comp) {
            if (comp == "..") return false;
            if (!comp.empty() && comp != ".") any = true;
            return true;
        }))
        return "'..' component";
    return any ? std::string_view() : std::string_view("names no file");
}

namespace {

bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool has_control(std::string_view s) {
    for (char c : s)
        if (is_control(c)) return true;
    return false;
}

}  // namespace

std::string_view relative_name_problem(std::string_view entry) {
    if (auto p = path_problem(entry); !p.empty()) return p;
    if (has_control(entry)) return "contains a control character";
    return {};
}

std::string_view segment_problem(std::string_view name) {
    if (name.empty()) return "empty name";
    if (name == "." || name == "..") return "names a directory ('.' or '..')";
    if (name.find('/') != std::string_view::npos) return "contains '/'";
    if (name.find('\\') != std::string_view::npos) return "contains '\\'";
    if (name.find('\0') != std::string_view::npos) return "contains a NUL byte";
    if (has_control(name)) return "contains a control character";
    return {};
}

std::string_view env_name_problem(std::string_view name) {
    if (name.empty()) return "empty name";
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return "environment names may only contain lower-case letters, digits and '-'";
    }
    return {};
}

bool is_clean_relative(std::string_view entry) {
    if (entry.empty() || entry.front() == '/' || entry.back() == '/') return false;
    return detail::for_each_path_component(entry, [](std::string_view comp) {
        return !(comp.empty() || comp == "." || comp == ".." || comp.find('\0') != std::string_view::npos);
    });
}

base::Result<fs::path> safe_relative(std::string_view entry) {
    if (auto problem = path_problem(entry); !problem.empty()) return unsafe(entry, problem);
    fs::path out;
    detail::for_each_path_component(entry, [&](std::string_view comp) {
        if (!comp.empty() && comp != ".") out /= fs::path(std::string(comp));
        return true;
    });
    return out;
}

base::Result<fs::path> safe_join(const fs::path& root, std::string_view entry) {
    PI_TRY(fs::path rel, safe_relative(entry));
    std::error_code ec;
    fs::path canon_root = fs::weakly_canonical(root, ec);
    if (ec) return base::fail_errno("cannot resolve", root.string(), ec.value());
    // Walk the existing components; any symlink met must resolve below root.
    fs::path current = canon_root;
    for (const auto& comp : rel) {
        fs::path next = current / comp;
        struct stat st {};
        if (::lstat(next.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) break;  // the rest does not exist yet
            return base::fail_errno("cannot inspect", next.string(), errno);
        }
        if (S_ISLNK(st.st_mode)) {
            fs::path resolved = fs::weakly_canonical(next, ec);
            if (ec) return base::fail_errno("cannot resolve symlink", next.string(), ec.value());
            if (!is_within(canon_root, resolved))
                return unsafe(entry, "goes through symlink '" + next.string() +
                                         "', which leads outside " + root.string());
            current = resolved;
        } else {
            current = next;
        }
    }
    return root / rel;
}

bool link_target_inside(std::string_view rel, std::string_view target) {
    if (target.empty() || target.front() == '/' || target.find('\0') != std::string_view::npos) return false;
    // The depth of the link's directory, then the target's components walked from there.
    long depth = 0;
    for (char c : rel) depth += c == '/' ? 1 : 0;
    std::size_t pos = 0;
    for (;;) {
        const auto slash = target.find('/', pos);
        const std::string_view part = target.substr(pos, slash == std::string_view::npos ? std::string_view::npos
                                                                                         : slash - pos);
        if (part == "..") {
            if (--depth < 0) return false;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
        if (slash == std::string_view::npos) return true;
        pos = slash + 1;
    }
}

}  // namespace pixi_install::base
