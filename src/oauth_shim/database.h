// The shim's only access to the database: the two OAuth functions of the tthub
// extension, called with parameters (never string-built SQL) as role tthub_oauth.
#pragma once

#include <string>

namespace shim {

struct DbError {
  std::string sqlstate;  // empty when the database could not be reached
  std::string message;
};

struct BeginResult {
  bool ok = false;
  std::string authorize_url;
  DbError error;
};

struct CompleteResult {
  bool ok = false;
  std::string store_code, display_name, status, status_reason;
  DbError error;
};

class Database {
 public:
  explicit Database(std::string url) : url_(std::move(url)) {}
  BeginResult begin(const std::string &store_code, const std::string &redirect_uri) const;
  CompleteResult complete(const std::string &state, const std::string &code) const;
  bool reachable() const;

 private:
  std::string url_;
};

}  // namespace shim
