#include "pixi_install/manifest/config.hpp"

#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_UNRELEASED_FEATURES 1
#include <toml++/toml.h>

#include <sstream>

#include "pixi_install/base/fs.hpp"

namespace pixi_install::manifest {

namespace {

base::Error bad(std::string_view origin, const toml::source_region& where, const std::string& what) {
    std::ostringstream m;
    m << origin << ":" << where.begin.line << ":" << where.begin.column << ": " << what;
    return base::fail(base::ErrorKind::usage, m.str());
}

}  // namespace

base::Result<Config> parse_config(std::string_view text, std::string_view origin) {
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        return bad(origin, e.source(), std::string(e.description()));
    }
    Config c;
    for (const auto& [key, node] : root) {
        std::string k(key.str());
        if (k == "mirrors") {
            const toml::table* t = node.as_table();
            if (!t) return bad(origin, node.source(), "`mirrors` must be a table of FROM = TO");
            for (const auto& [from, to] : *t) {
                std::string target;
                if (auto s = to.value<std::string>()) {
                    target = *s;
                } else if (const toml::array* a = to.as_array(); a && !a->empty() && a->front().is_string()) {
                    target = *a->front().value<std::string>();
                } else {
                    return bad(origin, to.source(),
                               "mirror for `" + std::string(from.str()) + "` must be a URL or a list of URLs");
                }
                c.mirrors.emplace_back(std::string(from.str()), target);
            }
        } else if (k == "bearer-tokens") {
            const toml::table* t = node.as_table();
            if (!t) return bad(origin, node.source(), "`bearer-tokens` must be a table of host = token");
            for (const auto& [host, token] : *t) {
                auto s = token.value<std::string>();
                if (!s) return bad(origin, token.source(), "token for `" + std::string(host.str()) + "` must be a string");
                std::string h(host.str());
                for (auto& ch : h) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                c.bearer_tokens[h] = *s;
            }
        } else if (k == "concurrent-downloads") {
            auto n = node.value<std::int64_t>();
            if (!n || *n < 1 || *n > 1000)
                return bad(origin, node.source(), "`concurrent-downloads` must be a number from 1 to 1000");
            c.concurrent_downloads = static_cast<unsigned>(*n);
        } else {
            return bad(origin, node.source(),
                       "unknown key `" + k + "` (known: mirrors, bearer-tokens, concurrent-downloads)");
        }
    }
    return c;
}

base::Result<Config> load_config(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    PI_TRY(Config c, parse_config(text, path.string()));
    c.path = path;
    return c;
}

}  // namespace pixi_install::manifest
