#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/bytecode.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "parts_helpers.hpp"
#include "support.hpp"

using namespace pixi_install;
namespace fs = std::filesystem;

namespace {

fs::path fixture(const std::string& name) { return test::fixtures_dir() / "wheels" / name; }

spec::PythonInfo py311() {
    auto p = spec::PythonInfo::from_record("3.11.9", std::nullopt);
    REQUIRE(p.ok());
    return *p;
}

std::string slurp(const fs::path& p) {
    auto r = base::read_file(p);
    REQUIRE_MESSAGE(r.ok(), p.string());
    return *r;
}

bool executable(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && (st.st_mode & 0111);
}

/// Runs a shell command, returning {exit status, stdout}.
std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    REQUIRE(f);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    int st = ::pclose(f);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/// A prefix whose bin/python3.11 is the system python 3.
void link_python(const fs::path& prefix) {
    REQUIRE(base::make_dirs(prefix / "bin").ok());
    std::error_code ec;
    fs::create_symlink("/usr/bin/python3", prefix / "bin" / "python3.11", ec);
    REQUIRE(!ec);
}

/// Writes a file, creating its directory.
bool put(const fs::path& p, std::string_view content) {
    return base::make_dirs(p.parent_path()).ok() && base::write_file_atomic(p, content).ok();
}

std::vector<std::string> all_files(const fs::path& root) {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(root))
        if (!e.is_directory()) out.push_back(e.path().lexically_relative(root).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("RECORD: parse and format round trip with quoting") {
    auto rows = prefix::parse_record("a.py,sha256=x,1\r\n\"b,c.py\",sha256=y,2\n\"q\"\"uote\",,\nd/RECORD,,");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 4);
    CHECK((*rows)[1].path == "b,c.py");
    CHECK((*rows)[2].path == "q\"uote");
    CHECK((*rows)[3].hash.empty());
    CHECK(prefix::format_record(*rows) == "a.py,sha256=x,1\n\"b,c.py\",sha256=y,2\nd/RECORD,,\n\"q\"\"uote\",,\n");
    CHECK_FALSE(prefix::parse_record("a,b,c,d\n").ok());
    CHECK_FALSE(prefix::parse_record("\"open,x,1\n").ok());
    // the examples of the format: an empty file and "pip\n"
    CHECK(prefix::record_hash(base::Hasher(base::HashAlgo::sha256).finish_raw()) ==
          "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    base::Hasher h(base::HashAlgo::sha256);
    h.update("pip\n");
    CHECK(prefix::record_hash(h.finish_raw()) == "sha256=zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg");
}

TEST_CASE("entry points: console and gui scripts, extras dropped, bad entries refused") {
    auto eps = prefix::parse_entry_points(
        "[console_scripts]\nblack = black:patched_main\nblackd = blackd:patched_main [d]\n"
        "[gui_scripts]\ng = pkg.mod:a.b.c\n[other]\nx = y\n");
    REQUIRE(eps.ok());
    REQUIRE(eps->size() == 3);
    CHECK((*eps)[1].module == "blackd");
    CHECK((*eps)[1].attr == "patched_main");
    CHECK((*eps)[2].gui);
    auto text = prefix::launcher_script((*eps)[2], "/p/bin/python3.12").value();
    CHECK(text.rfind("#!/p/bin/python3.12\n# -*- coding: utf-8 -*-\nimport sys\nfrom pkg.mod import a\n", 0) == 0);
    CHECK(text.find("    sys.exit(a.b.c())\n") != std::string::npos);
    CHECK(text.back() == '\n');
    CHECK_FALSE(prefix::parse_entry_points("[console_scripts]\nx = justmodule\n").ok());
    CHECK_FALSE(prefix::parse_entry_points("[console_scripts]\nx = a b:c\n").ok());
    CHECK(prefix::parse_entry_points("[console_scripts]\n").ok());
}

TEST_CASE("shebangs: short form, /bin/sh trampoline for long paths and spaces") {
    CHECK(prefix::script_shebang("/env/bin/python3.12").value() == "#!/env/bin/python3.12\n");
    std::string long_exe = "/" + std::string(130, 'x') + "/bin/python3.12";
    CHECK(prefix::script_shebang(long_exe).value() == "#!/bin/sh\n'''exec' '" + long_exe + "' \"$0\" \"$@\"\n' '''\n");
    CHECK(prefix::script_shebang("/my env/it's/python").value() ==
          "#!/bin/sh\n'''exec' '/my env/it'\\''s/python' \"$0\" \"$@\"\n' '''\n");
    CHECK(prefix::script_shebang("/tab\there/python").value().rfind("#!/bin/sh\n", 0) == 0);
    CHECK_FALSE(prefix::script_shebang("/a\nb/python").ok());
    // 127 bytes with "#!" and the newline is the limit
    CHECK(prefix::script_shebang("/" + std::string(123, 'a')).value().rfind("#!/", 0) == 0);
    CHECK(prefix::script_shebang("/" + std::string(124, 'a')).value().rfind("#!/bin/sh\n", 0) == 0);
}

TEST_CASE("reserved script names") {
    for (const char* n : {"python", "python3", "python3.12", "Python3.13t", "pythonw", "pypy3", "python.exe", "graalpy"})
        CHECK_MESSAGE(prefix::is_reserved_script_name(n), n);
    for (const char* n : {"pip", "python-config", "pythonx", "python3.x", "ipython"})
        CHECK_MESSAGE(!prefix::is_reserved_script_name(n), n);
}

TEST_CASE("paths no wheel scheme may write") {
    for (const char* p : {"conda-meta/python-3.11.4-h0_0.json", "conda-meta/pixi-install-state", "conda-meta",
                          "bin/python3.11", "bin/python", "bin/python3", "activate.sh", "activate.fish",
                          "CACHEDIR.TAG", "__clobbers__/x/bin/tool"})
        CHECK_MESSAGE(!prefix::reserved_prefix_path(p, "bin").empty(), p);
    for (const char* p : {"share/conda-meta/x", "bin/pip", "bin/python-config", "lib/python3.11/site-packages/x.py",
                          "etc/activate.sh", "bin2/python3"})
        CHECK_MESSAGE(prefix::reserved_prefix_path(p, "bin").empty(), p);
}

TEST_CASE("direct_url.json shapes") {
    prefix::DirectUrl a;
    a.url = "file:///w/x-1.0-py3-none-any.whl";
    CHECK(prefix::direct_url_json(a) == R"({"url":"file:///w/x-1.0-py3-none-any.whl","archive_info":{}})");
    a.sha256 = "ab";
    CHECK(prefix::direct_url_json(a) == R"({"url":"file:///w/x-1.0-py3-none-any.whl","archive_info":{"hashes":{"sha256":"ab"}}})");
    prefix::DirectUrl d;
    d.kind = prefix::DirectUrl::Kind::directory;
    d.url = "file:///src/pkg";
    d.editable = false;
    CHECK(prefix::direct_url_json(d) == R"({"url":"file:///src/pkg","dir_info":{"editable":false}})");
    prefix::DirectUrl g;
    g.kind = prefix::DirectUrl::Kind::vcs;
    g.url = "https://github.com/o/r.git";
    g.commit_id = "0123";
    CHECK(prefix::direct_url_json(g) == R"({"url":"https://github.com/o/r.git","vcs_info":{"vcs":"git","commit_id":"0123"}})");
}

TEST_CASE("installing a wheel: layout, scripts, launchers that run, RECORD, uninstall") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "env";
    link_python(env);
    // a file a conda package owns, which the wheel will replace
    REQUIRE(put(env / "share/demo_pkg/readme.txt", "from conda\n"));
    REQUIRE(put(env / "lib/python3.11/site-packages/other.py", "x = 1\n"));
    std::unordered_set<std::string> conda_owned = {"share/demo_pkg/readme.txt", "bin/unrelated"};
    prefix::WheelInstallOptions opts;
    opts.conda_owned = &conda_owned;
    prefix::DirectUrl du;
    du.url = "file:///wheels/demo_pkg-1.0-py3-none-any.whl";
    opts.direct_url = du;

    auto r = prefix::install_wheel(fixture("demo_pkg-1.0-py3-none-any.whl"), env, py311(), opts);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    CHECK(r->name == "demo-pkg");
    CHECK(r->version == "1.0");
    CHECK(r->conda_overwritten == std::vector<std::string>{"share/demo_pkg/readme.txt"});
    CHECK(r->overwritten == std::vector<std::string>{"share/demo_pkg/readme.txt"});
    const fs::path site = env / "lib/python3.11/site-packages";
    const fs::path di = site / "demo_pkg-1.0.dist-info";
    CHECK(r->dist_info == di);

    CHECK(slurp(site / "demo_pkg/data/config.json") == "{\"answer\": 42}\n");
    CHECK(slurp(site / "demo_extra.py") == "VALUE = 'extra'\n");
    CHECK(slurp(env / "include/python3.11/demo_pkg/demo.h") == "#define DEMO 1\n");
    CHECK(slurp(env / "share/demo_pkg/readme.txt") == "shared data\n");
    CHECK(executable(site / "demo_pkg/tool.sh"));
    CHECK_FALSE(executable(site / "demo_pkg/cli.py"));
    CHECK(slurp(env / "bin/plain.sh") == "#!/bin/sh\necho plain\n");
    const std::string exe = (env / "bin/python3.11").string();
    CHECK(slurp(env / "bin/demo-script") == "#!" + exe + "\nimport demo_pkg\nprint('script ok', demo_pkg.__name__)\n");
    CHECK(executable(env / "bin/demo-script"));
    CHECK(executable(env / "bin/demo"));
    CHECK(executable(env / "bin/demo-gui"));
    CHECK_FALSE(fs::exists(env / "bin/x"));  // not a script group
    CHECK_FALSE(fs::exists(site / "demo_pkg-1.0.data"));
    CHECK_FALSE(fs::exists(env / "demo_pkg-1.0.data"));
    CHECK(slurp(di / "INSTALLER") == "pixi-install");
    CHECK(slurp(di / "REQUESTED").empty());
    CHECK(slurp(di / "direct_url.json") == R"({"url":"file:///wheels/demo_pkg-1.0-py3-none-any.whl","archive_info":{}})");
    // no staging directory is left behind
    for (auto& e : fs::directory_iterator(env)) CHECK(e.path().filename().string().rfind(".pixi-install", 0) != 0);

    // RECORD lists every installed file with its real hash and size, scripts included
    auto rows = prefix::parse_record(slurp(di / "RECORD"));
    REQUIRE(rows.ok());
    std::set<std::string> listed;
    for (const auto& row : *rows) {
        listed.insert(row.path);
        const fs::path f = (site / row.path).lexically_normal();
        if (row.path == "demo_pkg-1.0.dist-info/RECORD") {
            CHECK(row.hash.empty());
            continue;
        }
        const std::string content = slurp(f);
        base::Hasher h(base::HashAlgo::sha256);
        h.update(content);
        CHECK_MESSAGE(row.hash == prefix::record_hash(h.finish_raw()), row.path);
        CHECK(row.size == std::to_string(content.size()));
    }
    for (const char* p : {"../../../bin/demo", "../../../bin/demo-gui", "../../../bin/demo-script",
                          "../../../include/python3.11/demo_pkg/demo.h", "../../../share/demo_pkg/readme.txt",
                          "demo_extra.py", "demo_pkg-1.0.dist-info/INSTALLER", "demo_pkg-1.0.dist-info/REQUESTED",
                          "demo_pkg-1.0.dist-info/direct_url.json"})
        CHECK_MESSAGE(listed.count(p), p);
    CHECK(listed.size() == r->files.size());

    // the launchers run with a real interpreter
    const std::string pp = "env PYTHONPATH=" + site.string() + " ";
    auto [rc1, out1] = run(pp + (env / "bin/demo").string() + " a b");
    CHECK(rc1 == 0);
    CHECK(out1 == "demo main a b\n");
    auto [rc2, out2] = run(pp + (env / "bin/demo-app").string());
    CHECK(rc2 == 3);
    CHECK(out2 == "demo app run\n");
    auto [rc3, out3] = run(pp + (env / "bin/demo-script").string());
    CHECK(rc3 == 0);
    CHECK(out3 == "script ok demo_pkg\n");
    // byte code the interpreter may write (not listed in RECORD)
    REQUIRE(put(site / "demo_pkg/__pycache__/__init__.cpython-311.pyc", "pyc"));

    // the planner's view
    auto dists = prefix::list_installed_dists(env, py311());
    REQUIRE(dists.ok());
    REQUIRE(dists->size() == 1);
    CHECK((*dists)[0].normalized_name == "demo-pkg");
    CHECK((*dists)[0].version == "1.0");
    CHECK((*dists)[0].installer == "pixi-install");
    CHECK((*dists)[0].requires_python == std::optional<std::string>(">=3.8"));
    CHECK((*dists)[0].direct_url.has_value());

    // uninstall removes exactly what RECORD lists, plus __pycache__ and emptied directories
    auto u = prefix::uninstall_wheel(env, di);
    REQUIRE_MESSAGE(u.ok(), (u.ok() ? "" : u.error().to_string()));
    CHECK(u->removed.size() == rows->size());
    CHECK(u->missing.empty());
    CHECK(all_files(env) == std::vector<std::string>{"bin/python3.11", "lib/python3.11/site-packages/other.py"});
    CHECK_FALSE(fs::exists(site / "demo_pkg"));
    CHECK_FALSE(fs::exists(env / "include/python3.11/demo_pkg"));
    CHECK_FALSE(fs::exists(env / "share/demo_pkg"));
    CHECK(fs::is_directory(env / "include/python3.11"));
    CHECK(fs::is_directory(site));
    auto after = prefix::list_installed_dists(env, py311());
    REQUIRE(after.ok());
    CHECK(after->empty());
}

TEST_CASE("launchers use the /bin/sh trampoline in a long prefix path with spaces") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "a dir with spaces" / std::string(100, 'd') / "env";
    link_python(env);
    auto r = prefix::install_wheel(fixture("demo_pkg-1.0-py3-none-any.whl"), env, py311());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    CHECK(slurp(env / "bin/demo").rfind("#!/bin/sh\n'''exec' '", 0) == 0);
    CHECK(slurp(env / "bin/demo-script").rfind("#!/bin/sh\n'''exec' '", 0) == 0);
    const fs::path site = env / "lib/python3.11/site-packages";
    auto [rc, out] = run("env PYTHONPATH='" + site.string() + "' '" + (env / "bin/demo").string() + "' x");
    CHECK(rc == 0);
    CHECK(out == "demo main x\n");
    auto [rc2, out2] = run("env PYTHONPATH='" + site.string() + "' '" + (env / "bin/demo-script").string() + "'");
    CHECK(rc2 == 0);
    CHECK(out2 == "script ok demo_pkg\n");
}

TEST_CASE("unsafe or invalid wheels are refused before the prefix changes") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "env";
    REQUIRE(base::make_dirs(env).ok());
    for (const char* w : {"evil_record-1.0-py3-none-any.whl", "unlisted-1.0-py3-none-any.whl",
                          "reserved-1.0-py3-none-any.whl", "reserved_data-1.0-py3-none-any.whl"}) {
        auto r = prefix::install_wheel(fixture(w), env, py311());
        REQUIRE_MESSAGE(!r.ok(), w);
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK(all_files(env).empty());
        CHECK(fs::is_empty(env));
    }
    auto evil = prefix::install_wheel(fixture("evil_record-1.0-py3-none-any.whl"), env, py311());
    CHECK(evil.error().message.find("outside the environment") != std::string::npos);
    auto unl = prefix::install_wheel(fixture("unlisted-1.0-py3-none-any.whl"), env, py311());
    CHECK(unl.error().message.find("unlisted/hidden.py") != std::string::npos);
    auto data = prefix::install_wheel(fixture("reserved_data-1.0-py3-none-any.whl"), env, py311());
    CHECK(data.error().message.find("conda-meta/python-3.11.4-h0_0.json") != std::string::npos);
    // a file name that is not a wheel name
    auto bad = prefix::install_wheel(fixture("make_wheels.py"), env, py311());
    CHECK(bad.error().kind == base::ErrorKind::integrity);
}

TEST_CASE("uninstall refuses a RECORD that leaves the environment and removes nothing") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "env";
    const fs::path site = env / "lib/python3.11/site-packages";
    REQUIRE(put(tmp->path() / "outside.txt", "keep\n"));
    REQUIRE(put(site / "bad/__init__.py", ""));
    REQUIRE(put(site / "bad-1.0.dist-info/RECORD",
                                    "bad/__init__.py,,\n../../../../outside.txt,,\nbad-1.0.dist-info/RECORD,,\n"));
    auto u = prefix::uninstall_wheel(env, site / "bad-1.0.dist-info");
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().kind == base::ErrorKind::integrity);
    CHECK(fs::exists(tmp->path() / "outside.txt"));
    CHECK(fs::exists(site / "bad/__init__.py"));

    // through a symlink inside the environment that leads out of it
    std::error_code ec;
    fs::create_directory_symlink(tmp->path(), site / "link", ec);
    REQUIRE(!ec);
    REQUIRE(put(site / "bad-1.0.dist-info/RECORD", "link/outside.txt,,\n"));
    u = prefix::uninstall_wheel(env, site / "bad-1.0.dist-info");
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().kind == base::ErrorKind::integrity);
    CHECK(fs::exists(tmp->path() / "outside.txt"));

    // no RECORD at all
    REQUIRE(base::make_dirs(site / "norecord-1.0.dist-info").ok());
    auto n = prefix::uninstall_wheel(env, site / "norecord-1.0.dist-info");
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().message.find("RECORD") != std::string::npos);
}

TEST_CASE("a wheel stored under another name is installed with its wheel name") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path stored = tmp->path() / "store" / "0123abcd";
    REQUIRE(base::make_dirs(stored.parent_path()).ok());
    std::error_code ec;
    fs::copy_file(fixture("demo_pkg-1.0-py3-none-any.whl"), stored, ec);
    REQUIRE(!ec);
    prefix::WheelInstallOptions opts;
    CHECK_FALSE(prefix::install_wheel(stored, tmp->path() / "env", py311(), opts).ok());
    opts.file_name = "demo_pkg-1.0-py3-none-any.whl";
    auto r = prefix::install_wheel(stored, tmp->path() / "env", py311(), opts);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    CHECK(fs::exists(tmp->path() / "env/include/python3.11/demo_pkg/demo.h"));
    opts.file_name = "other_pkg-1.0-py3-none-any.whl";
    auto bad = prefix::install_wheel(stored, tmp->path() / "env2", py311(), opts);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("does not match the file name") != std::string::npos);
}

TEST_CASE("reinstalling over an existing install replaces files in place") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path env = tmp->path() / "env";
    auto a = prefix::install_wheel(fixture("demo_pkg-1.0-py3-none-any.whl"), env, py311());
    REQUIRE(a.ok());
    CHECK(a->overwritten.empty());
    auto b = prefix::install_wheel(fixture("demo_pkg-1.0-py3-none-any.whl"), env, py311());
    REQUIRE(b.ok());
    CHECK(b->overwritten.size() == b->files.size() - 1);  // all but RECORD (written last)
    CHECK(b->files == a->files);
}

TEST_CASE("a wheel whose member fails its CRC midway leaves no file behind") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    // The fixture re-written with stored members, then one byte of demo_pkg/cli.py flipped:
    // the central directory and metadata are sound, so placing starts and must be undone.
    const fs::path bad = tmp->path() / "demo_pkg-1.0-py3-none-any.whl";
    const std::string py =
        "import sys, zipfile\n"
        "src, dst = sys.argv[1], sys.argv[2]\n"
        "with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zo:\n"
        "    for i in zi.infolist(): zo.writestr(i, zi.read(i), compress_type=zipfile.ZIP_STORED)\n"
        "data = bytearray(open(dst, 'rb').read())\n"
        "body = zipfile.ZipFile(src).read('demo_pkg/cli.py')\n"
        "at = data.find(body)\n"
        "assert at > 0\n"
        "data[at] ^= 0x20\n"
        "open(dst, 'wb').write(bytes(data))\n";
    REQUIRE(put(tmp->path() / "corrupt.py", py));
    REQUIRE(run("python3 '" + (tmp->path() / "corrupt.py").string() + "' '" +
                fixture("demo_pkg-1.0-py3-none-any.whl").string() + "' '" + bad.string() + "'").first == 0);
    const fs::path env = tmp->path() / "env";
    auto r = prefix::install_wheel(bad, env, py311());
    REQUIRE(!r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(r.error().message.find("demo_pkg/cli.py") != std::string::npos);
    CHECK(all_files(env).empty());
}

TEST_CASE("wheels installed from several threads into one prefix all land complete") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    // Eight distinct distributions sharing bin/, site-packages/ and include/ directories.
    const std::string py =
        "import sys, zipfile, hashlib, base64\n"
        "out = sys.argv[1]\n"
        "for k in range(8):\n"
        "    name = 'par%d' % k\n"
        "    files = {'%s/__init__.py' % name: b'x = %d\\n' % k, 'shared_ns/%s.py' % name: b'y = 1\\n',\n"
        "             '%s-1.0.data/scripts/%s-tool' % (name, name): b'#!python\\nprint(1)\\n',\n"
        "             '%s-1.0.dist-info/METADATA' % name: b'Name: %s\\nVersion: 1.0\\n' % name.encode(),\n"
        "             '%s-1.0.dist-info/WHEEL' % name: b'Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n'}\n"
        "    rec = ''.join('%s,sha256=%s,%d\\n' % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode(), len(d)) for p, d in files.items())\n"
        "    rec += '%s-1.0.dist-info/RECORD,,\\n' % name\n"
        "    with zipfile.ZipFile('%s/%s-1.0-py3-none-any.whl' % (out, name), 'w', zipfile.ZIP_DEFLATED) as z:\n"
        "        for p, d in files.items(): z.writestr(p, d)\n"
        "        z.writestr('%s-1.0.dist-info/RECORD' % name, rec)\n";
    REQUIRE(put(tmp->path() / "gen.py", py));
    REQUIRE(run("python3 '" + (tmp->path() / "gen.py").string() + "' '" + tmp->path().string() + "'").first == 0);
    const fs::path env = tmp->path() / "env";
    std::vector<std::thread> threads;
    std::vector<int> ok(8, 0);
    for (int k = 0; k < 8; ++k)
        threads.emplace_back([&, k] {
            auto r = prefix::install_wheel(tmp->path() / ("par" + std::to_string(k) + "-1.0-py3-none-any.whl"), env, py311());
            ok[k] = r.ok() && r->files.size() == 8;  // + INSTALLER, REQUESTED, RECORD
        });
    for (auto& t : threads) t.join();
    for (int k = 0; k < 8; ++k) {
        CHECK(ok[k] == 1);
        const std::string n = "par" + std::to_string(k);
        CHECK(slurp(env / "lib/python3.11/site-packages" / n / "__init__.py") == "x = " + std::to_string(k) + "\n");
        CHECK(fs::exists(env / "lib/python3.11/site-packages/shared_ns" / (n + ".py")));
        CHECK(slurp(env / "bin" / (n + "-tool")).rfind("#!", 0) == 0);
        CHECK(fs::exists(env / "lib/python3.11/site-packages" / (n + "-1.0.dist-info/RECORD")));
    }
}

namespace {

/// A wheel of about 300 files: modules in several packages (some stored, some deflated, one
/// executable), a #!python script, a header, data and a console script.
fs::path make_big_wheel(const fs::path& dir) {
    const std::string py =
        "import sys, zipfile, hashlib, base64\n"
        "out = sys.argv[1]\n"
        "files = {}\n"
        "for d in range(5):\n"
        "    files['bigw/p%d/__init__.py' % d] = b''\n"
        "    for k in range(60):\n"
        "        files['bigw/p%d/m%d.py' % (d, k)] = (b'V = %r\\n' % (b'%d.%d ' % (d, k) * (1 + k * 13)))\n"
        "files['bigw/run.sh'] = b'#!/bin/sh\\necho run\\n'\n"
        "files['bigw-3.0.data/scripts/bigw-tool'] = b'#!python\\nprint(1)\\n'\n"
        "files['bigw-3.0.data/headers/bigw.h'] = b'int bigw;\\n'\n"
        "files['bigw-3.0.data/data/share/bigw/readme'] = b'readme\\n'\n"
        "files['bigw-3.0.dist-info/METADATA'] = b'Name: bigw\\nVersion: 3.0\\n'\n"
        "files['bigw-3.0.dist-info/WHEEL'] = b'Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n'\n"
        "files['bigw-3.0.dist-info/entry_points.txt'] = b'[console_scripts]\\nbigw = bigw:main\\n'\n"
        "rec = ''.join('%s,sha256=%s,%d\\n' % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode(), len(d)) for p, d in files.items())\n"
        "rec += 'bigw-3.0.dist-info/RECORD,,\\n'\n"
        "with zipfile.ZipFile(out + '/bigw-3.0-py3-none-any.whl', 'w') as z:\n"
        "    for n, (p, d) in enumerate(files.items()):\n"
        "        info = zipfile.ZipInfo(p)\n"
        "        info.compress_type = zipfile.ZIP_DEFLATED if n % 3 else zipfile.ZIP_STORED\n"
        "        info.external_attr = (0o100755 if p.endswith('.sh') else 0o100644) << 16\n"
        "        z.writestr(info, d)\n"
        "    z.writestr('bigw-3.0.dist-info/RECORD', rec)\n";
    REQUIRE(put(dir / "gen_big.py", py));
    REQUIRE(run("python3 '" + (dir / "gen_big.py").string() + "' '" + dir.string() + "'").first == 0);
    return dir / "bigw-3.0-py3-none-any.whl";
}

/// Every file below `root` with its content and permission bits.
std::map<std::string, std::string> contents(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& f : all_files(root)) {
        struct stat st {};
        REQUIRE(::stat((root / f).c_str(), &st) == 0);
        out[f] = std::to_string(st.st_mode & 07777) + " " + slurp(root / f);
    }
    return out;
}

}  // namespace

TEST_CASE("a wheel written in parts by several threads at once is the wheel installed in one go") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path whl = make_big_wheel(tmp->path());
    const fs::path env = tmp->path() / "env";
    auto one = prefix::install_wheel(whl, env, py311());
    REQUIRE_MESSAGE(one.ok(), (one.ok() ? "" : one.error().to_string()));
    const auto expected = contents(env);
    REQUIRE(expected.size() > 300);
    fs::rename(env, tmp->path() / "whole");  // the same prefix path again: launchers name it

    auto wi = prefix::WheelInstall::prepare(whl, env, py311());
    REQUIRE_MESSAGE(wi.ok(), (wi.ok() ? "" : wi.error().to_string()));
    CHECK(wi->size() == one->files.size() - 1);  // RECORD is finish()'s
    CHECK(wi->weights().size() == wi->size());
    std::size_t ranges = 0;
    const auto errors = test::place_in_parts(wi->size(), [&](std::size_t b, std::size_t e) { return wi->place(b, e); }, &ranges);
    REQUIRE(ranges > 8);
    REQUIRE(errors.empty());
    auto parts = wi->finish();
    REQUIRE_MESSAGE(parts.ok(), (parts.ok() ? "" : parts.error().to_string()));
    CHECK(contents(env) == expected);  // RECORD byte for byte too
    CHECK(parts->files == one->files);
    CHECK(parts->scripts == one->scripts);
    CHECK(parts->bytes == one->bytes);
    CHECK(parts->name == one->name);
    CHECK(parts->version == one->version);
    CHECK(parts->overwritten.empty());
}

TEST_CASE("a wheel in parts: a failing part takes back what every part wrote") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path whl = make_big_wheel(tmp->path());
    const fs::path env = tmp->path() / "env";
    // A directory where a file of the second half goes: placing it fails.
    REQUIRE(base::make_dirs(env / "lib/python3.11/site-packages/bigw/p4/m9.py/in-the-way").ok());
    auto wi = prefix::WheelInstall::prepare(whl, env, py311());
    REQUIRE(wi.ok());
    const std::size_t half = wi->size() / 2;
    REQUIRE(wi->place(0, half).ok());
    CHECK(all_files(env).size() > 100);
    auto bad = wi->place(half, wi->size());
    REQUIRE(!bad.ok());
    CHECK(bad.error().message.find("bigw") != std::string::npos);
    wi->roll_back();
    CHECK(all_files(env).empty());

    // finish() refuses while files are missing.
    fs::remove_all(env);
    auto again = prefix::WheelInstall::prepare(whl, env, py311());
    REQUIRE(again.ok());
    REQUIRE(again->place(0, again->size() - 1).ok());
    auto early = again->finish();
    REQUIRE(!early.ok());
    CHECK(early.error().message.find("files were placed") != std::string::npos);
}

TEST_CASE("pyc_path: importlib's __pycache__ name") {
    CHECK(prefix::pyc_path("lib/python3.11/site-packages/pkg/mod.py", "cpython-311") ==
          "lib/python3.11/site-packages/pkg/__pycache__/mod.cpython-311.pyc");
    CHECK(prefix::pyc_path("top.py", "cpython-312") == "__pycache__/top.cpython-312.pyc");
    CHECK(prefix::pyc_path("a.b/x.y.py", "pypy39") == "a.b/__pycache__/x.y.pypy39.pyc");
}
