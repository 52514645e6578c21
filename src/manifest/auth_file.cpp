#include "pixi_install/manifest/auth_file.hpp"

#include <nlohmann/json.hpp>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::manifest {

namespace {

using json = nlohmann::json;

base::Error bad(std::string_view origin, const std::string& key, const std::string& what) {
    return base::fail(base::ErrorKind::usage, std::string(origin) + ": entry `" + key + "`: " + what +
                                                  " (expected BearerToken, BasicHTTP, CondaToken or S3Credentials "
                                                  "as rattler writes them)");
}

bool string_field(const json& o, const char* name, std::string& out, bool required = true) {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return !required;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

}  // namespace

std::string_view auth_kind_name(AuthEntry::Kind kind) {
    switch (kind) {
        case AuthEntry::Kind::bearer: return "BearerToken";
        case AuthEntry::Kind::basic: return "BasicHTTP";
        case AuthEntry::Kind::conda_token: return "CondaToken";
        case AuthEntry::Kind::s3: return "S3Credentials";
    }
    return "";
}

base::Result<std::map<std::string, AuthEntry>> parse_auth_file(std::string_view text, std::string_view origin) {
    json root = json::parse(text.begin(), text.end(), nullptr, false);
    if (root.is_discarded() || !root.is_object())
        return base::fail(base::ErrorKind::usage, std::string(origin) +
                                                      ": not a JSON object of host -> credentials (rattler's "
                                                      "credentials.json format); fix or remove the file");
    std::map<std::string, AuthEntry> out;
    for (const auto& [key, value] : root.items()) {
        if (!value.is_object() || value.size() != 1) return bad(origin, key, "must be an object with one credential");
        // Not `*value.items().begin()`: that names an iterator inside a temporary (a dangling
        // reference, which libc++ builds crash on).
        auto only = value.begin();
        const std::string& kind = only.key();
        const json& body = only.value();
        AuthEntry e;
        if (kind == "BearerToken" || kind == "CondaToken") {
            if (!body.is_string() || body.get<std::string>().empty()) return bad(origin, key, kind + " must be a string");
            e.kind = kind == "BearerToken" ? AuthEntry::Kind::bearer : AuthEntry::Kind::conda_token;
            e.token = body.get<std::string>();
        } else if (kind == "BasicHTTP") {
            e.kind = AuthEntry::Kind::basic;
            if (!body.is_object() || !string_field(body, "username", e.username) ||
                !string_field(body, "password", e.password))
                return bad(origin, key, "BasicHTTP needs string fields username and password");
        } else if (kind == "S3Credentials") {
            e.kind = AuthEntry::Kind::s3;
            if (!body.is_object() || !string_field(body, "access_key_id", e.access_key_id) ||
                !string_field(body, "secret_access_key", e.secret_access_key) ||
                !string_field(body, "session_token", e.session_token, false))
                return bad(origin, key, "S3Credentials needs access_key_id and secret_access_key (and an optional "
                                        "session_token)");
        } else if (kind == "OAuth") {
            continue;  // needs a token refresh flow this tool does not run
        } else {
            return bad(origin, key, "unknown credential kind `" + kind + "`");
        }
        std::string k = key.rfind("s3://", 0) == 0 ? key : base::ascii_lower(key);
        out[k] = std::move(e);
    }
    return out;
}

base::Result<std::map<std::string, AuthEntry>> load_auth_file(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    return parse_auth_file(text, path.string());
}

}  // namespace pixi_install::manifest
