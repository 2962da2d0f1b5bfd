// tthub-oauth's configuration, from the environment only. It holds no TikTok secret
// and no token key: those stay in the database server.
#pragma once

#include <string>

namespace shim {

struct Config {
  std::string database_url;  // TTHUB_DATABASE_URL (libpq connection string or URI)
  std::string host = "127.0.0.1";  // TTHUB_LISTEN, default 127.0.0.1:8080
  int port = 8080;
  std::string public_url;    // TTHUB_PUBLIC_URL: where TikTok sends the browser back
  std::string redirect_uri() const { return public_url + "/auth/callback"; }
};

// Reads and checks the environment; returns false with *why on a bad value.
bool load_config(Config *out, std::string *why);

}  // namespace shim
