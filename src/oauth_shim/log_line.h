// The shim's request log: one line per request, which a client cannot forge. Every
// byte a client chose (method, path) is escaped so that no CR, LF, control byte,
// space or non-ASCII byte reaches the log, and its length is capped.
#pragma once

#include <string>
#include <string_view>

namespace shim {

// Printable ASCII except space and backslash stays; every other byte becomes \xNN.
// At most max_bytes of output; a cut value ends in "...".
std::string log_safe(std::string_view value, size_t max_bytes = 256);
// The same for a message of our own (a database error): spaces stay.
std::string log_safe_text(std::string_view value, size_t max_bytes = 256);

// "<method> <path> <status> <ms>ms" (never the query string).
std::string request_log_line(std::string_view method, std::string_view path, int status, long long ms);

// Writes one line to stdout and flushes it, whole (lines from threads never mix).
void log_line(const std::string &line);

}  // namespace shim
