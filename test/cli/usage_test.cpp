#include "usage.hpp"

#include <doctest/doctest.h>

using namespace pixi_install::cli;

TEST_CASE("usage: did you mean, for commands and options") {
    const std::vector<std::string> commands{"install", "pack", "list", "check", "info", "verify", "shell-hook", "run"};
    CHECK(did_you_mean(commands, "instal") == " (did you mean 'install'?)");
    CHECK(did_you_mean(commands, "zzzzzz").empty());
    CHECK(unexpected_words({"instal"}, {}, commands) == "unexpected argument 'instal' (did you mean 'install'?)");
    const std::vector<std::string> options{"--offline", "--only", "--skip", "--lock"};
    CHECK(unexpected_words({"--ofline"}, options, commands) == "unknown option '--ofline' (did you mean '--offline'?)");
    CHECK(unexpected_words({"--ofline=1", "x"}, options, commands) ==
          "unknown option '--ofline' (did you mean '--offline'?); unexpected argument 'x'");
}

TEST_CASE("usage: validators refuse with one short sentence") {
    std::string v = "0";
    CHECK(whole_number_at_least(1)(v) == "must be at least 1, not 0");
    v = "abc";
    CHECK(whole_number_at_least(1)(v) == "'abc' is not a whole number");
    v = "99999999999999999999999";
    CHECK(whole_number_at_least(1)(v) == "'99999999999999999999999' is not a whole number");
    v = "1000001";
    CHECK(whole_number_at_least(1)(v) == "must be at most 1000000, not 1000001");
    v = "16";
    CHECK(whole_number_at_least(1)(v).empty());
    v = "0";
    CHECK(positive_number()(v) == "must be greater than 0, not 0");
    v = "2.5";
    CHECK(positive_number()(v).empty());
    v = "alwys";
    CHECK(one_of({"auto", "always", "never"})(v) == "'alwys' is not one of auto, always or never (did you mean 'always'?)");
    v = "never";
    CHECK(one_of({"auto", "always", "never"})(v).empty());
    // Every message is short: no 300-digit bounds.
    v = "0";
    CHECK(positive_number()(v).size() < 80);
}
