// OCI registries as conda mirrors, as pixi and rattler use them
// (`oci://ghcr.io/channel-mirrors/conda-forge` mirroring
// `https://conda.anaconda.org/conda-forge`): a package `<subdir>/<name>-<version>-<build>.conda`
// is the image `<mirror path>/<subdir>/<name>` (a name starting with '_' gets "zzz" in
// front: image names cannot start with '_'), tagged `<version>-<build>` with '+', '!'
// and '=' written "__p__", "__e__" and "__eq__" (tags cannot hold them); its manifest
// (application/vnd.oci.image.manifest.v1+json) has one layer of media type
// application/vnd.conda.package.v2 (.conda) or application/vnd.conda.package.v1
// (.tar.bz2) whose blob is the package file itself. Pure functions; the requests
// (anonymous or token-authenticated pulls) are made by fetch_all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::fetch {

inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kCondaLayerType = "application/vnd.conda.package.v2";     ///< .conda
inline constexpr const char* kTarBz2LayerType = "application/vnd.conda.package.v1";    ///< .tar.bz2

/// Where one package lives in a registry.
struct OciReference {
    std::string scheme;      ///< "https", or "http" for a registry on a loopback address (as docker allows)
    std::string registry;    ///< host[:port]
    std::string repository;  ///< "channel-mirrors/conda-forge/linux-64/zlib"
    std::string tag;         ///< "1.3.1-hb9d3cd8_2"
    std::string media_type;  ///< the layer type of the package's archive format

    std::string manifest_url() const { return scheme + "://" + registry + "/v2/" + repository + "/manifests/" + tag; }
    std::string blob_url(std::string_view digest) const {
        return scheme + "://" + registry + "/v2/" + repository + "/blobs/" + std::string(digest);
    }
};

/// The reference for `oci://host[:port]/path/<subdir>/<file>`. Errors (usage) for a
/// URL without a registry or a path, and for a file that is not
/// name-version-build.conda / .tar.bz2.
base::Result<OciReference> parse_oci_url(std::string_view url);

/// "<version>-<build>" as a tag: '+' -> "__p__", '!' -> "__e__", '=' -> "__eq__".
std::string oci_tag(std::string_view version_build);

/// A `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` challenge.
struct BearerChallenge {
    std::string realm;
    std::string service;  ///< may be empty
    std::string scope;    ///< may be empty
};
/// Parses the challenge; nullopt when it is not a Bearer challenge with a realm.
std::optional<BearerChallenge> parse_bearer_challenge(std::string_view www_authenticate);

/// The token URL for a challenge: realm?service=...&scope=... (scope defaulting to
/// "repository:<repository>:pull"), the values URL-encoded.
std::string token_url(const BearerChallenge& c, std::string_view repository);

/// The token of a token server's JSON answer ("token", else "access_token").
base::Result<std::string> parse_token_response(std::string_view json);

/// The layer of `media_type` in an OCI image manifest.
struct OciLayer {
    std::string digest;  ///< "sha256:<64 hex>"
    std::uint64_t size = 0;
};
/// Finds the layer; errors (unavailable) for a manifest that is not JSON, has no
/// layers, has no layer of that type (naming the types it has) or whose layer
/// digest is not a sha256 digest.
base::Result<OciLayer> find_oci_layer(std::string_view manifest_json, std::string_view media_type);

}  // namespace pixi_install::fetch
