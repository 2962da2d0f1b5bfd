#include "core/setting_rules.h"

#include <algorithm>
#include <cstddef>

namespace tthub::setting_rules {
namespace {

bool is_loopback(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

bool printable_without_space(char c) { return c > 0x20 && c < 0x7f; }

// Host, then an optional :port of 1 to 65535.
std::string check_authority(std::string_view authority, std::string_view *host_out) {
  if (authority.find('@') != std::string_view::npos)
    return "It must not carry a user name or password.";
  std::string_view host = authority, port;
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return "Its port must be a number from 1 to 65535.";
    long n = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return "Its port must be a number from 1 to 65535.";
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 65535) return "Its port must be a number from 1 to 65535.";
  }
  if (host.empty()) return "It has no host name.";
  *host_out = host;
  return "";
}

}  // namespace

std::string check_url(std::string_view value, Query query) {
  if (value.empty()) return "It must be an absolute https URL, such as https://open.tiktokapis.com.";
  for (char c : value)
    if (!printable_without_space(c)) return "It must not contain spaces, control or non-ASCII characters.";
  bool https = value.substr(0, 8) == "https://";
  bool http = value.substr(0, 7) == "http://";
  if (!https && !http) return "It must start with https://.";
  std::string_view rest = value.substr(https ? 8 : 7);
  if (rest.find('#') != std::string_view::npos) return "It must not have a fragment (#).";
  size_t query_at = rest.find('?');
  if (query_at != std::string_view::npos && query == Query::kRefused)
    return "It must not have a query string (?): tthub appends paths and parameters to it.";
  std::string_view authority = rest.substr(0, std::min(rest.find('/'), query_at));
  std::string_view host;
  std::string problem = check_authority(authority, &host);
  if (!problem.empty()) return problem;
  if (http && !is_loopback(host))
    return "Plain http is allowed only to 127.0.0.1, localhost or [::1] (tests); use https.";
  return "";
}

std::string check_scopes(std::string_view value) {
  if (value.empty()) return "At least one scope is needed, such as user.info.basic.";
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view scope = value.substr(start, comma - start);
    if (scope.empty()) return "Scopes are separated by single commas, with no empty one and no spaces.";
    for (char c : scope)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
        return "A scope is made of a-z, 0-9, '.' and '_' (such as video.list), with no spaces.";
    start = comma + 1;
  }
  return "";
}

std::string check_client_key(std::string_view value) {
  for (char c : value)
    if (!printable_without_space(c)) return "It must not contain spaces, control or non-ASCII characters.";
  return "";
}

std::string check_database_name(std::string_view value) {
  if (value.empty() || value.size() > 63) return "It must name a database: 1 to 63 bytes.";
  return "";
}

}  // namespace tthub::setting_rules
