// Verifying a prefix against what was recorded when it was installed: every
// file of every conda-meta record (and of every wheel's *.dist-info/RECORD that
// no conda package owns) present with its recorded sha256 and size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {
class ThreadPool;
}

namespace pixi_install::prefix {

enum class IssueKind {
    missing,     ///< recorded, not there
    modified,    ///< there, with another hash, size or type
    unrecorded,  ///< there, recorded by nobody (only with VerifyOptions::extra)
};
const char* issue_kind_name(IssueKind k) noexcept;

struct VerifyIssue {
    IssueKind kind = IssueKind::missing;
    std::string path;      ///< prefix-relative
    std::string package;   ///< owning package ("name-version-build" or the dist-info name), empty if unrecorded
    std::string expected;  ///< recorded sha256 (hex) when relevant
    std::string actual;    ///< found sha256 (hex), or what is wrong ("size 12, expected 10", "not a symlink")
};

struct VerifyOptions {
    bool extra = false;        ///< also report files nobody recorded
    bool check_wheels = true;  ///< verify *.dist-info/RECORD of installed wheels
};

struct VerifyReport {
    std::size_t packages = 0;  ///< conda records read
    std::size_t wheels = 0;    ///< RECORD files read
    std::size_t files = 0;     ///< paths checked
    std::uint64_t bytes_hashed = 0;
    std::vector<VerifyIssue> issues;  ///< sorted by path

    bool ok() const { return issues.empty(); }
};

/// Checks the prefix; hashing runs on `pool`. An unreadable conda-meta or a
/// prefix without conda-meta is an error; drift is reported, not an error.
base::Result<VerifyReport> verify_prefix(const std::filesystem::path& prefix, const VerifyOptions& options,
                                         base::ThreadPool& pool);

}  // namespace pixi_install::prefix
