// Builds small extracted conda packages in a directory for the prefix tests.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"

namespace pixi_install::test {

struct FakeFile {
    FakeFile(std::string p, std::string c, std::string t = "hardlink", std::string ph = "", std::string m = "text",
             bool nl = false, unsigned pm = 0644)
        : path(std::move(p)), content(std::move(c)), type(std::move(t)), placeholder(std::move(ph)),
          mode(std::move(m)), no_link(nl), perms(pm) {}
    std::string path;
    std::string content;
    std::string type = "hardlink";  ///< hardlink | softlink (content = link target) | directory
    std::string placeholder;
    std::string mode = "text";
    bool no_link = false;
    unsigned perms = 0644;
};

inline std::string json_str(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o + "\"";
}

/// Writes <root>/<name>-<version>-<build>/ with payload, info/index.json, info/paths.json
/// (and info/link.json when given). Returns the package directory.
inline std::filesystem::path make_package(const std::filesystem::path& root, const std::string& name,
                                          const std::string& version, const std::string& build,
                                          const std::vector<FakeFile>& files, const std::string& noarch = "",
                                          const std::string& link_json = "", const std::string& depends = "[]") {
    namespace fs = std::filesystem;
    fs::path dir = root / (name + "-" + version + "-" + build);
    fs::create_directories(dir / "info");
    std::string paths = "{\"paths_version\": 1, \"paths\": [";
    bool first = true;
    for (const auto& f : files) {
        fs::path p = dir / f.path;
        fs::create_directories(p.parent_path());
        std::string sha;
        if (f.type == "softlink") {
            fs::create_symlink(f.content, p);
            sha = base::sha256_hex("");
        } else if (f.type == "directory") {
            fs::create_directories(p);
        } else {
            (void)base::write_file_atomic(p, f.content);
            ::chmod(p.c_str(), f.perms);
            sha = base::sha256_hex(f.content);
        }
        paths += std::string(first ? "" : ",") + "{\"_path\": " + json_str(f.path) + ", \"path_type\": " +
                 json_str(f.type);
        if (!sha.empty()) paths += ", \"sha256\": " + json_str(sha);
        if (f.type == "hardlink") paths += ", \"size_in_bytes\": " + std::to_string(f.content.size());
        if (!f.placeholder.empty())
            paths += ", \"prefix_placeholder\": " + json_str(f.placeholder) + ", \"file_mode\": " + json_str(f.mode);
        if (f.no_link) paths += ", \"no_link\": true";
        paths += "}";
        first = false;
    }
    paths += "]}";
    (void)base::write_file_atomic(dir / "info" / "paths.json", paths);
    std::string index = "{\"name\": " + json_str(name) + ", \"version\": " + json_str(version) +
                        ", \"build\": " + json_str(build) + ", \"build_number\": 0, \"depends\": " + depends +
                        ", \"subdir\": \"" + (noarch.empty() ? "linux-64" : "noarch") + "\"" +
                        (noarch.empty() ? "" : ", \"noarch\": " + json_str(noarch)) +
                        ", \"license\": \"MIT\", \"timestamp\": 1700000000000}";
    (void)base::write_file_atomic(dir / "info" / "index.json", index);
    if (!link_json.empty()) (void)base::write_file_atomic(dir / "info" / "link.json", link_json);
    return dir;
}

inline ino_t inode_of(const std::filesystem::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_ino;
}

inline unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

}  // namespace pixi_install::test
