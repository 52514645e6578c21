// Private to cli: how command-line mistakes are worded. Short sentences, a "did you
// mean" where a near name exists, the same for every command (exit code 2).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pixi_install::cli {

/// " (did you mean 'install'?)", " (did you mean '--offline' or '--only'?)", or "" when
/// nothing in `candidates` is near `word`.
std::string did_you_mean(const std::vector<std::string>& candidates, std::string_view word);

/// The sentence for words the command line did not expect: unknown options are
/// compared with `options`, other words with `commands`.
std::string unexpected_words(const std::vector<std::string>& words, const std::vector<std::string>& options,
                             const std::vector<std::string>& commands);

/// Validators whose refusals are short sentences (CLI11 puts "--option: " before them).
/// A whole number from `min` to `max`.
CLI::Validator whole_number_at_least(long long min, long long max = 1000000);
/// A number (decimals allowed) greater than 0.
CLI::Validator positive_number();
/// One of `choices` (with a hint for a near miss).
CLI::Validator one_of(std::vector<std::string> choices);

}  // namespace pixi_install::cli
