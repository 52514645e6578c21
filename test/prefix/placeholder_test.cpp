#include <doctest/doctest.h>

#include <string>

#include "pixi_install/prefix/link.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using namespace std::string_literals;

static const std::string kPh = "/opt/anaconda1anaconda2anaconda3";

TEST_CASE("text placeholders are replaced everywhere") {
    std::string in = "prefix=" + kPh + "\nlibdir=" + kPh + "/lib\nincludedir=${prefix}/include " + kPh + "\n";
    std::string out = replace_text_placeholder(in, kPh, "/env").value();
    CHECK(out == "prefix=/env\nlibdir=/env/lib\nincludedir=${prefix}/include /env\n");
    CHECK(replace_text_placeholder("nothing here", kPh, "/env").value() == "nothing here");
}

TEST_CASE("a short shebang is substituted in place") {
    std::string in = "#!" + kPh + "/bin/python3.11 -E\nprint('" + kPh + "')\n";
    CHECK(replace_text_placeholder(in, kPh, "/env").value() == "#!/env/bin/python3.11 -E\nprint('/env')\n");
}

TEST_CASE("a shebang longer than 127 bytes becomes the /bin/sh trampoline for python") {
    std::string longp = "/" + std::string(130, 'x');
    std::string in = "#!" + kPh + "/bin/python3.11 -u\nimport sys\n";
    std::string out = replace_text_placeholder(in, kPh, longp).value();
    CHECK(out == "#!/bin/sh\n'''exec' '" + longp + "/bin/python3.11' '-u' \"$0\" \"$@\"\n' '''\nimport sys\n");
}

TEST_CASE("a shebang with a space in the new prefix is rewritten; other interpreters use env") {
    std::string in = "#!" + kPh + "/bin/python\nx\n";
    CHECK(replace_text_placeholder(in, kPh, "/my env").value() ==
          "#!/bin/sh\n'''exec' '/my env/bin/python' \"$0\" \"$@\"\n' '''\nx\n");
    std::string perl = "#!" + kPh + "/bin/perl -w\nprint 1;\n";
    CHECK(replace_text_placeholder(perl, kPh, "/my env").value() == "#!/usr/bin/env perl -w\nprint 1;\n");
    // A shebang without a newline at all is handled.
    CHECK(replace_text_placeholder("#!" + kPh + "/bin/sh", kPh, "/e").value() == "#!/e/bin/sh");
    // A shebang without the placeholder is left alone, even with a spaced prefix.
    CHECK(replace_text_placeholder("#!/bin/sh\necho " + kPh + "\n", kPh, "/a b").value() == "#!/bin/sh\necho /a b\n");
}

TEST_CASE("binary placeholders: NUL padded in place, length unchanged") {
    std::string in = "\x7f" "ELF\0"s + kPh + "/lib:" + kPh + "/lib64\0tail\0"s + kPh + "\0"s;
    auto r = replace_binary_placeholder(in, kPh, "/env");
    REQUIRE(r.ok());
    CHECK(r->size() == in.size());
    const std::size_t pad = kPh.size() - 4;
    std::string expected = "\x7f" "ELF\0"s + "/env/lib:/env/lib64" + std::string(2 * pad, '\0') + "\0tail\0"s + "/env" +
                           std::string(pad, '\0') + "\0"s;
    CHECK(*r == expected);
}

TEST_CASE("binary placeholder at end of file without NUL terminator") {
    std::string in = "abc\0"s + kPh + "/x";
    auto r = replace_binary_placeholder(in, kPh, "/e");
    REQUIRE(r.ok());
    CHECK(r->size() == in.size());
    CHECK(r->substr(0, 4 + 4) == "abc\0/e/x"s);
}

TEST_CASE("binary placeholder shorter than the new prefix is an error") {
    std::string longp(kPh.size() + 1, 'p');
    auto r = replace_binary_placeholder("x" + kPh, kPh, "/" + longp);
    REQUIRE(!r.ok());
    CHECK(r.error().message.find("longer") != std::string::npos);
}

TEST_CASE("entry point scripts: shebang, import of the first segment, call") {
    NoarchEntryPoint ep{"tool", "pkg.cli", "main.run"};
    std::string s = entry_point_script(ep, "/env/bin/python3.11").value();
    CHECK(s.rfind("#!/env/bin/python3.11\n", 0) == 0);
    CHECK(s.find("from pkg.cli import main\n") != std::string::npos);
    CHECK(s.find("sys.exit(main.run())\n") != std::string::npos);
    CHECK(s.back() == '\n');
    std::string spaced = entry_point_script(ep, "/my env/bin/python3.11").value();
    CHECK(spaced.rfind("#!/bin/sh\n'''exec' '/my env/bin/python3.11' \"$0\" \"$@\"\n' '''\n", 0) == 0);
    // Nothing of the path is expanded by sh; a line feed cannot be written at all.
    std::string odd = entry_point_script(ep, "/a $(touch x) `y`/bin/python3.11").value();
    CHECK(odd.rfind("#!/bin/sh\n'''exec' '/a $(touch x) `y`/bin/python3.11' \"$0\"", 0) == 0);
    auto bad = entry_point_script(ep, "/a\nb/bin/python3.11");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == base::ErrorKind::usage);
    CHECK_FALSE(replace_text_placeholder("#!" + kPh + "/bin/python\n", kPh, "/a b\nc").ok());
}
