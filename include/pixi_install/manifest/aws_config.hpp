// The AWS CLI's shared files, read as botocore reads them: the credentials file
// (~/.aws/credentials, sections named after the profile: [name]) and the config
// file (~/.aws/config, sections [profile name], and [default]). Lines are
// `key = value` (or `key: value`); whole-line comments start with '#' or ';';
// indented lines continue the value above (nested settings such as `s3 =`).
//
//   # ~/.aws/credentials            # ~/.aws/config
//   [ci]                            [profile ci]
//   aws_access_key_id = AKIA...     region = eu-central-1
//   aws_secret_access_key = ...     endpoint_url = https://minio.internal:9000
//   aws_session_token = ...
//
// No library in Debian reads these faithfully (libinih is built there with a
// 200-byte line limit, shorter than a session token), so this is a small reader.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::manifest {

/// section -> key (lower-cased) -> value, in the file's words.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

/// Parses one file. Errors (usage) name the origin and line: a key outside any
/// section, a line that is neither a section, a key nor a comment.
base::Result<IniSections> parse_aws_ini(std::string_view text, std::string_view origin);

/// One profile's settings, with where each came from.
struct AwsProfile {
    std::string name;
    std::string access_key_id, secret_access_key, session_token;
    std::string credentials_origin;  ///< "profile ci in /home/u/.aws/credentials"
    std::string region, region_origin;
    std::string endpoint_url, endpoint_origin;
};

/// Reads profile `name` from the credentials file and then the config file (either
/// path may be empty or name a file that does not exist). Keys come from the
/// credentials file when it has them (botocore's order), the region and endpoint_url
/// from the config file. nullopt when neither file has the profile.
base::Result<std::optional<AwsProfile>> load_aws_profile(const std::string& name,
                                                         const std::filesystem::path& credentials_file,
                                                         const std::filesystem::path& config_file);

}  // namespace pixi_install::manifest
