// The shim's only access to the database: the two OAuth functions of the tthub
// extension, called with parameters (never string-built SQL) as role tthub_oauth,
// over a small pool of connections.
#pragma once

#include <atomic>
#include <string>

#include "db_pool.h"

namespace shim {

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
  Database(std::string url, size_t connections) : pool_(std::move(url), connections) {}
  BeginResult begin(const std::string &invite, const std::string &redirect_uri);
  CompleteResult complete(const std::string &state, const std::string &code);
  bool reachable();

 private:
  // Runs a statement; retry_once: a statement that only reads or starts something
  // anew may run again on a fresh connection when a pooled one turns out broken.
  PgResult run(const char *sql, const std::vector<std::string> &args, std::chrono::milliseconds budget,
               bool retry_once, DbError *err);
  void note(bool up, const DbError &err);

  DbPool pool_;
  std::atomic<bool> up_{true};
};

}  // namespace shim
