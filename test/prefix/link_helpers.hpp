// Shared by the prefix unit tests: a sample package and link-then-record.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fake_package.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"

namespace pixi_install::test {

using namespace std::string_literals;
namespace fs = std::filesystem;
inline const std::string kPh = "/opt/anaconda1anaconda2anaconda3";
inline const std::string kBinPh = "/build/_h_env_placehold_placehold_placehold_placehold_placehold_placehold_placehold";

inline std::string read(const fs::path& p) { return *base::read_file(p); }

inline prefix::PrefixRecord link_and_record(const fs::path& pkg, const fs::path& prefix, prefix::LinkOptions opts = {}) {
    auto info = prefix::read_package_info(pkg);
    REQUIRE_MESSAGE(info.ok(), (info.ok() ? "" : info.error().to_string()));
    auto res = prefix::link_package(pkg, *info, prefix, opts);
    REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().to_string()));
    prefix::PackageRecord pr;
    pr.url = "https://conda.anaconda.org/conda-forge/linux-64/" + pkg.filename().string() + ".conda";
    pr.channel = "https://conda.anaconda.org/conda-forge/";
    pr.sha256 = std::string(64, 'a');
    prefix::complete_from_index(pr, info->index);
    REQUIRE(prefix::prepare_conda_meta(prefix).ok());
    prefix::PrefixRecord rec = prefix::make_prefix_record(pr, res->paths, res->link_type, pkg.string());
    REQUIRE(prefix::write_prefix_record(prefix, rec).ok());
    return rec;
}

inline std::vector<FakeFile> sample_files() {
    std::vector<FakeFile> f;
    f.push_back({"bin/tool", "#!/bin/sh\necho hi\n", "hardlink", "", "text", false, 0755});
    f.push_back({"lib/libfoo.so.1", "\x7f" "ELF plain"s});
    f.push_back({"lib/libfoo.so", "libfoo.so.1", "softlink"});
    f.push_back({"share/foo/empty", "", "directory"});
    f.push_back({"etc/foo.conf", "root=" + kPh + "\n", "hardlink", kPh, "text"});
    f.push_back({"lib/libbar.so", "\x7f" "ELF\0"s + kBinPh + "/lib\0rest"s, "hardlink", kBinPh, "binary", false, 0755});
    f.push_back({"share/foo/data.txt", "data", "hardlink", "", "text", true});
    return f;
}


}  // namespace pixi_install::test
