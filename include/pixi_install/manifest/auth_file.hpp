// rattler's authentication file (RATTLER_AUTH_FILE, ~/.rattler/credentials.json, or
// pixi's authentication-override-file), as rattler writes it: a JSON object from a
// host ("prefix.dev"), a wildcard host ("*.prefix.dev") or an S3 URL prefix
// ("s3://bucket") to one credential:
//
//   {"prefix.dev": {"BearerToken": "pfx_..."},
//    "*.example.org": {"BasicHTTP": {"username": "u", "password": "p"}},
//    "conda.example.org": {"CondaToken": "tok"},
//    "s3://bucket": {"S3Credentials": {"access_key_id": "...", "secret_access_key": "...",
//                                      "session_token": null}}}
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::manifest {

struct AuthEntry {
    enum class Kind { bearer, basic, conda_token, s3 };
    Kind kind = Kind::bearer;
    std::string token;              ///< bearer, conda_token
    std::string username, password; ///< basic
    std::string access_key_id, secret_access_key, session_token;  ///< s3
};

/// The kind's name as rattler writes it ("BearerToken", ...).
std::string_view auth_kind_name(AuthEntry::Kind kind);

/// Parses the file's text. Entries of kinds this tool does not use (rattler's OAuth)
/// are skipped; anything else malformed is an error (ErrorKind::usage) naming the
/// origin and the key, never a secret.
base::Result<std::map<std::string, AuthEntry>> parse_auth_file(std::string_view text, std::string_view origin);
base::Result<std::map<std::string, AuthEntry>> load_auth_file(const std::filesystem::path& path);

}  // namespace pixi_install::manifest
