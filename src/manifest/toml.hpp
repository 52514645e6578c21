// toml++ as the manifest module compiles it (private to src/manifest).
//
// pixi manifests use TOML 1.1 inline tables (newlines, trailing commas), which toml++ 3.x
// parses only with its unreleased-features switch; that switch lives in the parser, so
// toml++ is compiled header-only into each reader rather than linked.
#pragma once

#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_UNRELEASED_FEATURES 1
#include <toml++/toml.h>
