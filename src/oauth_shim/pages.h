// What the shim answers: small HTML pages for people, JSON for programs, and the
// mapping from the database's SQLSTATEs to HTTP statuses and error codes.
#pragma once

#include <string>

namespace shim {

struct Problem {
  int http_status;
  std::string code;     // machine-readable, e.g. "unknown_state"
  std::string message;  // for people; never contains a code, state or token
};

// The problem a failed tthub function call stands for.
Problem problem_from_sqlstate(const std::string &sqlstate, const std::string &message);

std::string html_escape(const std::string &s);
std::string connected_page(const std::string &store_code, const std::string &display_name,
                           const std::string &status, const std::string &status_reason);
std::string problem_page(const Problem &p);
std::string problem_json(const Problem &p);

}  // namespace shim
