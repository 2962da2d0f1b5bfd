// What a valid value of each tthub string setting looks like. The GUC check hooks
// (src/ext/config/settings.cpp) refuse anything else, so a typo in postgresql.conf or ALTER
// SYSTEM is refused when it is set or reloaded instead of failing every sync later.
// Each check returns "" for a valid value, else one sentence saying what is wrong.
#pragma once

#include <string>
#include <string_view>

namespace tthub::setting_rules {

enum class Query { kRefused, kAllowed };

// An absolute https URL (http only to a loopback host: tests, the simulator), with
// no credentials, fragment, whitespace or control character; a query string only
// when allowed (a base URL gets paths and queries appended).
std::string check_url(std::string_view value, Query query);

// Comma-separated TikTok scope names such as user.info.basic: at least one, each of
// a-z, 0-9, '.' and '_', no spaces.
std::string check_scopes(std::string_view value);

// The app's client key: empty (not configured yet) or printable ASCII without spaces.
std::string check_client_key(std::string_view value);

// A database name: 1 to 63 bytes.
std::string check_database_name(std::string_view value);

}  // namespace tthub::setting_rules
