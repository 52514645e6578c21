// --inject: artifacts built elsewhere in place of the lock's records.
#include "pixi_install/install/inject.hpp"

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/spec/archive_name.hpp"
#include "pixi_install/spec/pep440.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

bool same_pypi_version(const std::string& a, const std::string& b) {
    auto va = spec::pep440::Version::parse(a), vb = spec::pep440::Version::parse(b);
    return va.ok() && vb.ok() ? *va == *vb : a == b;
}

}  // namespace

Result<std::vector<Injection>> read_injections(const std::vector<fs::path>& files) {
    std::vector<std::pair<fs::path, std::string>> named;
    for (const auto& f : files) named.emplace_back(f, f.filename().string());
    return read_injections(named);
}

Result<std::vector<Injection>> read_injections(const std::vector<std::pair<fs::path, std::string>>& files) {
    std::vector<Injection> out;
    for (const auto& [f, name] : files) {
        Injection in;
        in.file = base::absolute_normal(f);
        in.file_name = name;
        if (!base::segment_problem(name).empty())
            return base::fail(ErrorKind::integrity, "--inject: `" + base::printable(name) + "` is not a file name");
        std::error_code ec;
        if (!fs::is_regular_file(in.file, ec))
            return base::fail(ErrorKind::usage, "--inject " + f.string() + ": no such file");
        PI_TRY(in.sha256, base::hash_file(in.file, base::HashAlgo::sha256));
        if (auto w = spec::WheelName::parse(in.file_name); w.ok()) {
            in.wheel = true;
            in.name = w->normalized_name();
            in.version = w->version;
            out.push_back(std::move(in));
            continue;
        }
        auto an = spec::ArchiveName::parse(in.file_name);
        if (!an)
            return base::fail(ErrorKind::usage, "--inject " + f.string() +
                                                    ": not a conda package (.conda, .tar.bz2) or a wheel (.whl) by "
                                                    "its name");
        // What the package says of itself, which must be what its name says.
        PI_TRY(base::TempDir tmp, base::TempDir::create());
        archive::ExtractOptions eo;
        eo.max_unpacked_bytes = 64ULL << 30;
        // The extractor tells the format by the name, and a bundle stores files by hash.
        const fs::path named_copy = tmp.path() / in.file_name;
        fs::copy_file(in.file, named_copy, ec);
        if (ec) return base::fail_errno("cannot read", in.file.string(), ec.value());
        PI_TRY_VOID(archive::extract_conda_package(named_copy, tmp.path() / "pkg", eo));
        PI_TRY(std::string text, base::read_file(tmp.path() / "pkg" / "info" / "index.json"));
        PI_TRY(auto ix, prefix::parse_index_json(text));
        if (ix.name != an->name || ix.version != an->version || ix.build != an->build)
            return base::fail(ErrorKind::integrity, "--inject " + f.string() + ": its info/index.json says " +
                                                        base::printable(ix.name + "-" + ix.version + "-" + ix.build) +
                                                        ", not what its file name says");
        auto r = std::make_shared<lockfile::CondaRecord>();
        r->name = ix.name;
        r->version = ix.version;
        r->build = ix.build;
        r->build_number = ix.build_number;
        r->subdir = ix.subdir;
        r->noarch = ix.noarch == prefix::NoArch::python ? "python" : ix.noarch == prefix::NoArch::generic ? "generic" : "";
        r->location = in.file.string();
        r->path = in.file;
        r->file_name = in.file_name;
        r->sha256 = in.sha256;
        r->size = fs::file_size(in.file, ec);
        r->depends = ix.depends;
        r->constrains = ix.constrains;
        r->track_features = ix.track_features;
        r->python_site_packages_path = ix.python_site_packages_path;
        r->timestamp = ix.timestamp;
        if (!ix.license.empty()) r->license = ix.license;
        if (!ix.license_family.empty()) r->license_family = ix.license_family;
        in.name = ix.name;
        in.version = ix.version;
        in.conda = r;
        out.push_back(std::move(in));
    }
    return out;
}

Result<std::size_t> inject(lockfile::Selection& sel, const std::vector<Injection>& injections) {
    std::size_t replaced = 0;
    for (const auto& in : injections) {
        if (in.wheel) {
            for (auto& r : sel.pypi) {
                if (spec::normalize_pypi_name(r->name) != in.name) continue;
                // Only what the lock pins as source: a locked wheel is pinned by its hash.
                if (spec::classify_pypi_location(r->location, r->editable) == spec::PypiSourceKind::wheel)
                    return base::fail(ErrorKind::usage, "--inject " + in.file_name + ": the lock pins " + r->name +
                                                            " as a wheel (by its hash); only source entries and "
                                                            "conda_source records can be replaced");
                if (in.from_bundle && r->sha256)
                    return base::fail(ErrorKind::integrity, "the bundle's " + in.file_name + " would replace " +
                                                                r->name + ", which the lock pins by its sha256; "
                                                                "a bundle may only stand in for unhashed sources");
                if (r->version && !same_pypi_version(*r->version, in.version))
                    return base::fail(ErrorKind::usage, "--inject " + in.file_name + ": the lock has " + r->name + " " +
                                                            *r->version + ", not " + in.version);
                auto w = std::make_shared<lockfile::PypiRecord>(*r);
                // The location names the wheel (a bundle's store file is named by its hash).
                w->location = in.file.filename() == in.file_name ? in.file.string() : in.file_name;
                w->url.clear();
                w->path = in.file;
                w->sha256 = in.sha256;
                w->md5.reset();
                w->editable = false;
                w->version = in.version;
                r = w;
                ++replaced;
            }
            continue;
        }
        for (auto it = sel.sources.begin(); it != sel.sources.end();) {
            if ((*it)->name != in.name) {
                ++it;
                continue;
            }
            if (!in.conda->subdir.empty() && in.conda->subdir != "noarch" && !sel.subdir.empty() &&
                in.conda->subdir != sel.subdir)
                return base::fail(ErrorKind::usage, "--inject " + in.file_name + ": a package for " +
                                                        in.conda->subdir + ", but the environment is for " + sel.subdir);
            if ((*it)->version && *(*it)->version != in.version)
                return base::fail(ErrorKind::usage, "--inject " + in.file_name + ": the lock has " + in.name + " " +
                                                        *(*it)->version + ", not " + in.version);
            it = sel.sources.erase(it);
            sel.conda.push_back(in.conda);
            ++replaced;
        }
        // A binary record is pinned by its hash: never replaced.
        for (const auto& c : sel.conda)
            if (c != in.conda && c->name == in.name)
                return base::fail(ErrorKind::usage, "--inject " + in.file_name + ": the lock pins " + in.name +
                                                        " as a conda package (by its hash); only conda_source "
                                                        "records and PyPI source entries can be replaced");
    }
    return replaced;
}

}  // namespace pixi_install::install
