// The one place where secrets are taken out of URLs and of text that may quote
// them (messages, logs, server answers, JSON, files written to disk).
//
// Secrets of a URL: its user-info (`user:password@`, or a lone token as the user
// name), a conda token path segment (`/t/<token>/`), and the values of query
// parameters that carry credentials or signatures (token, access_token, sig,
// signature, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, and the
// like; names compared without ASCII case).
#pragma once

#include <string>
#include <string_view>

namespace pixi_install::base {

/// `text` (a URL, a request path, or free text holding either) with every secret
/// masked, for showing: `user:pass@` -> `user:***@`, a lone user name -> `***@`,
/// `/t/<token>/` -> `/t/*****/` (in a URL other than file://, or a bare path starting
/// with it, as a server quotes a request), a secret parameter's value -> `*****`. Text
/// without secrets comes back unchanged.
std::string redact(std::string_view text);

/// `text` (a URL, or text holding URLs such as a lock) with its secrets removed,
/// for writing to disk: no user-info, no `/t/<token>` segment of a URL other than file://,
/// no secret query parameters (no `?` when none is left).
std::string strip_url_secrets(std::string_view text);

/// Whether `name` (a query parameter's name) carries a credential or signature.
bool is_secret_query_parameter(std::string_view name);

}  // namespace pixi_install::base
