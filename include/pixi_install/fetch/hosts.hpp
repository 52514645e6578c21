// Which hosts a transfer treats specially: the ones a no_proxy list exempts from the
// proxy, and the keys under which a host's credential is looked up. Pure string functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pixi_install::fetch {

/// Whether `host` is reached without a proxy under a no_proxy list as curl reads it:
/// comma- or space-separated entries, "*" for every host, an entry matching the host
/// itself or any host below it ("example.org" and ".example.org" both match
/// "a.example.org"); case-insensitive.
bool bypasses_proxy(std::string_view no_proxy, std::string_view host);

/// The keys under which rattler looks up the credential for `url`, in order: the
/// host; for s3:// URLs the URL and each shorter "s3://bucket/prefix" down to
/// "s3://bucket"; then, for a host name (not an address), "*.<domain>" for the host
/// and every domain above it ("a.b.org": "*.a.b.org", "*.b.org", "*.org").
std::vector<std::string> credential_keys(std::string_view url);

}  // namespace pixi_install::fetch
