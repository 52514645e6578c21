// Installs every wheel of the real-wheel corpus and compares the result with
// the reference installs made by pypa/installer (corpus/wheels/expected).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "support.hpp"

using namespace pixi_install;
namespace fs = std::filesystem;

namespace {

/// The interpreter the reference install wrote into shebangs.
const std::string kRefExe = "/tmp/wheelref/root/bin/python3.11";

fs::path corpus() { return test::corpus_dir() / "wheels"; }

spec::PythonInfo py311() {
    auto p = spec::PythonInfo::from_record("3.11.2", std::nullopt);
    REQUIRE(p.ok());
    return *p;
}

struct Entry {
    std::string sha256;
    bool exec = false;
};

std::map<std::string, Entry> read_manifest(const fs::path& tsv) {
    std::map<std::string, Entry> out;
    std::ifstream in(tsv);
    std::string line;
    while (std::getline(in, line)) {
        auto t1 = line.find('\t'), t2 = line.rfind('\t');
        REQUIRE(t1 != std::string::npos);
        out[line.substr(0, t1)] = {line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1) == "1"};
    }
    return out;
}

std::string slurp(const fs::path& p) {
    auto r = base::read_file(p);
    REQUIRE_MESSAGE(r.ok(), p.string());
    return *r;
}

std::map<std::string, Entry> scan(const fs::path& root, const std::string& our_exe) {
    std::map<std::string, Entry> out;
    for (auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_directory()) continue;
        std::string content = slurp(e.path());
        // Shebangs name the interpreter of the prefix: normalise to the reference's.
        const std::string ours = "#!" + our_exe + "\n";
        if (content.rfind(ours, 0) == 0) content = "#!" + kRefExe + "\n" + content.substr(ours.size());
        struct stat st {};
        REQUIRE(::stat(e.path().c_str(), &st) == 0);
        out[e.path().lexically_relative(root).generic_string()] = {base::sha256_hex(content), (st.st_mode & 0111) != 0};
    }
    return out;
}

}  // namespace

TEST_CASE("every corpus wheel with a reference install installs identically") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    int compared = 0;
    for (auto& e : fs::directory_iterator(corpus() / "expected")) {
        const std::string tsv = e.path().filename().string();
        const std::string wheel = tsv.substr(0, tsv.size() - 4);
        CAPTURE(wheel);
        const fs::path env = tmp->path() / wheel;
        auto r = prefix::install_wheel(corpus() / wheel, env, py311());
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
        const std::string exe = (env / "bin/python3.11").string();
        auto expected = read_manifest(e.path());
        auto actual = scan(env, exe);

        // launcher names, from the installed entry_points.txt
        std::set<std::string> launchers;
        const fs::path di = r->dist_info;
        if (fs::exists(di / "entry_points.txt")) {
            auto eps = prefix::parse_entry_points(slurp(di / "entry_points.txt"));
            REQUIRE(eps.ok());
            for (auto& ep : *eps) launchers.insert("bin/" + ep.name);
        }
        const std::string di_rel = di.lexically_relative(env).generic_string();
        for (const auto& expected_entry : expected) {
            const auto& path = expected_entry.first;
            const auto& want = expected_entry.second;
            CAPTURE(path);
            auto it = actual.find(path);
            REQUIRE_MESSAGE(it != actual.end(), (std::string("missing ") + path));
            CHECK(it->second.exec == want.exec);
            if (path == di_rel + "/INSTALLER") {
                CHECK(slurp(env / path) == "pixi-install");
            } else if (path == di_rel + "/RECORD") {
                // checked below
            } else if (launchers.count(path)) {
                const std::string text = slurp(env / path);
                CHECK(text.rfind("#!" + exe + "\n", 0) == 0);
                CHECK(text.find("sys.exit(") != std::string::npos);
                CHECK(it->second.exec);
            } else {
                CHECK_MESSAGE(it->second.sha256 == want.sha256, (std::string("content differs: ") + path));
            }
        }
        // nothing more than the reference, except REQUESTED
        for (const auto& actual_entry : actual) {
            const auto& path = actual_entry.first;
            if (!expected.count(path)) CHECK_MESSAGE(path == di_rel + "/REQUESTED", (std::string("extra file ") + path));
        }

        // RECORD lists every installed file with its real hash and size
        auto rows = prefix::parse_record(slurp(di / "RECORD"));
        REQUIRE(rows.ok());
        CHECK(rows->size() == actual.size());
        const fs::path site = env / "lib/python3.11/site-packages";
        for (const auto& row : *rows) {
            const fs::path f = (site / row.path).lexically_normal();
            CHECK_MESSAGE(fs::exists(f), row.path);
            if (row.hash.empty()) {
                CHECK(row.path == di_rel.substr(di_rel.rfind('/') + 1) + "/RECORD");
                continue;
            }
            const std::string content = slurp(f);
            base::Hasher h(base::HashAlgo::sha256);
            h.update(content);
            CHECK_MESSAGE(row.hash == prefix::record_hash(h.finish_raw()), row.path);
            CHECK(row.size == std::to_string(content.size()));
        }

        // and uninstalling removes all of it
        auto u = prefix::uninstall_wheel(env, di);
        REQUIRE_MESSAGE(u.ok(), (u.ok() ? "" : u.error().to_string()));
        CHECK(u->removed.size() == actual.size());
        for (auto& f : fs::recursive_directory_iterator(env)) CHECK_MESSAGE(f.is_directory(), f.path().string());
        ++compared;
    }
    // Every wheel that pypa/installer installs (SOURCES.tsv says so) has its reference install.
    std::ifstream sources(corpus() / "SOURCES.tsv");
    int installable = 0;
    for (std::string line; std::getline(sources, line);)
        if (line.find("| installer: OK") != std::string::npos) ++installable;
    CHECK(installable >= 19);
    CHECK(compared == installable);
}

TEST_CASE("legacy corpus wheels that installer rejects but pip and uv install") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    // Wheel-Version 0.1
    auto c = prefix::install_wheel(corpus() / "complex_dist-0.1-py2.py3-none-any.whl", tmp->path() / "c", py311());
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().to_string()));
    CHECK(fs::exists(tmp->path() / "c/bin/complex-dist"));
    auto w = prefix::install_wheel(corpus() / "test-1.0-py2.py3-none-win32.whl", tmp->path() / "w", py311());
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().to_string()));
    CHECK(fs::exists(tmp->path() / "w/include/python3.11/test/hello.dat"));
    // entry points and .data/scripts with the same names: the generated launcher wins
    auto s = prefix::install_wheel(corpus() / "setuptools-0.9.8-py2.py3-none-any.whl", tmp->path() / "s", py311());
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().to_string()));
    const std::string launcher = slurp(tmp->path() / "s/bin/easy_install");
    CHECK(launcher.find("from setuptools.command.easy_install import main") != std::string::npos);
}

TEST_CASE("invalid corpus wheels are refused with a clear error and leave nothing behind") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const std::map<std::string, std::string> negative = {
        {"brokenwheel-1.0-py2.py3-none-any.whl", "does not match the file name"},
        {"corruptwheel-1.0-py2.py3-none-any.whl", "corruptwheel"},
        {"headers.dist-0.1-py2.py3-none-any.whl", "not listed in"},
        {"invalid.whl", "not a wheel file name"},
        {"simplewheel-2.0-1-py2.py3-none-any.whl", "not listed in"},
        {"validation-3.0.0-py3-none-any.whl", "2 .dist-info directories"},
    };
    for (const auto& negative_entry : negative) {
        const auto& wheel = negative_entry.first;
        const auto& why = negative_entry.second;
        CAPTURE(wheel);
        const fs::path env = tmp->path() / "env";
        auto r = prefix::install_wheel(corpus() / wheel, env, py311());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK_MESSAGE(r.error().to_string().find(why) != std::string::npos, r.error().to_string());
        CHECK(r.error().to_string().find(wheel) != std::string::npos);
        if (fs::exists(env)) CHECK(fs::is_empty(env));
    }
}

TEST_CASE("pip's launchers run with a real interpreter") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "env";
    REQUIRE(base::make_dirs(env / "bin").ok());
    std::error_code ec;
    fs::create_symlink("/usr/bin/python3", env / "bin/python3.11", ec);
    REQUIRE(!ec);
    auto r = prefix::install_wheel(corpus() / "pip-23.0.1-py3-none-any.whl", env, py311());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    CHECK(fs::exists(env / "bin/pip3.11"));
    const std::string cmd = "env PYTHONPATH=" + (env / "lib/python3.11/site-packages").string() + " " +
                            (env / "bin/pip").string() + " --version 2>&1";
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f);
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    CHECK(::pclose(f) == 0);
    CHECK(out.rfind("pip 23.0.1 from " + (env / "lib/python3.11/site-packages/pip").string(), 0) == 0);
}
