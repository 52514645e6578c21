#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/shell_quote.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

namespace {

/// Runs `command` with /bin/sh -c and returns its standard output.
std::string sh_output(const std::string& command) {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    const fs::path script = tmp->path() / "s.sh";
    REQUIRE(base::write_file_atomic(script, command, false, 0644).ok());
    std::string out;
    FILE* p = ::popen(("/bin/sh '" + script.string() + "'").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

const char* const kHostile[] = {
    "plain",
    "opt/my env/bin",
    "$(touch canary)",
    "`touch canary`",
    "it's",
    "'",
    "''",
    "a'''b",
    "back\\slash",
    "\\'",
    "'\\",
    "\\N{x}\\x\\u",
    "$HOME ${HOME} * ? [a] ~ ! #",
    "\"double\" \t tab",
};

}  // namespace

TEST_CASE("sh_quote makes one literal word of anything without NUL, LF or CR") {
    CHECK(base::sh_quote("a b").value() == "'a b'");
    CHECK(base::sh_quote("it's").value() == "'it'\\''s'");
    CHECK(base::sh_quote("a\\b").value() == "'a'\\\\'b'");
    CHECK(base::sh_quote("").value() == "''");
    for (const char* v : kHostile) {
        INFO(v);
        const std::string q = base::sh_quote(v).value();
        CHECK(sh_output("printf '%s|' " + q + " " + q) == std::string(v) + "|" + v + "|");
    }
}

TEST_CASE("fish_quote escapes only quotes and backslashes") {
    CHECK(base::fish_quote("it's \\ x").value() == "'it\\'s \\\\ x'");
    CHECK(base::fish_quote("$(touch c) `x`").value() == "'$(touch c) `x`'");
}

TEST_CASE("values holding NUL, LF or CR are refused as usage errors naming them") {
    for (std::string bad : {std::string("a\nb"), std::string("a\rb"), std::string("a\0b", 3)}) {
        auto s = base::sh_quote(bad);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == base::ErrorKind::usage);
        CHECK(s.error().message.find('\n') == std::string::npos);
        CHECK_FALSE(base::fish_quote(bad).ok());
        CHECK_FALSE(base::sh_python_trampoline("/x/" + bad + "/python").ok());
    }
    auto r = base::check_script_value("/tmp/a\nb", "the prefix");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("the prefix '/tmp/a\\nb' holds a line feed") != std::string::npos);
    CHECK(base::check_script_value("/tmp/$(x) `y`", "the prefix").ok());
}

TEST_CASE("the python trampoline execs the interpreter from sh and is a string to python") {
    CHECK(base::sh_python_trampoline("/my env/bin/python3.11").value() ==
          "#!/bin/sh\n'''exec' '/my env/bin/python3.11' \"$0\" \"$@\"\n' '''");
    CHECK(base::sh_python_trampoline("/e/python", "-E -s").value() ==
          "#!/bin/sh\n'''exec' '/e/python' '-E -s' \"$0\" \"$@\"\n' '''");
    // Each hostile value as a directory holding a python: the script runs, and nothing expands.
    if (!fs::exists("/usr/bin/python3")) {
        MESSAGE("no /usr/bin/python3: the trampolines are not run");
        return;
    }
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    int n = 0;
    for (const char* v : kHostile) {
        INFO(v);
        const fs::path dir = tmp->path() / std::to_string(n++) / v;
        fs::create_directories(dir);
        fs::create_symlink("/usr/bin/python3", dir / "python");
        const std::string text = base::sh_python_trampoline((dir / "python").string()).value() +
                                 "\nimport sys\nprint('ok', sys.argv[1])\n";
        const fs::path script = tmp->path() / "script";
        REQUIRE(base::write_file_atomic(script, text, false, 0755).ok());
        CHECK(sh_output("cd '" + tmp->path().string() + "' && ./script 'a b' 2>&1") == "ok a b\n");
        CHECK_FALSE(fs::exists(tmp->path() / "canary"));
    }
}
