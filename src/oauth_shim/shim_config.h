// tthub-oauth's configuration, from the environment only. It holds no TikTok secret
// and no token key: those stay in the database server.
#pragma once

#include <string>
#include <vector>

namespace shim {

struct Config {
  std::string database_url;        // TTHUB_DATABASE_URL (libpq connection string or URI)
  std::string host = "127.0.0.1";  // TTHUB_LISTEN, default 127.0.0.1:8080
  int port = 8080;
  std::string public_url;          // TTHUB_PUBLIC_URL: where TikTok sends the browser back
  int threads = 16;                // TTHUB_THREADS: requests handled at once
  int max_connections = 1024;      // TTHUB_MAX_CONNECTIONS: open client connections
  int db_connections = 4;          // TTHUB_DB_CONNECTIONS: pooled database connections
  int login_per_minute = 5;        // TTHUB_LOGIN_RATE_PER_MINUTE: /auth/login per client address
  int callback_per_minute = 20;    // TTHUB_CALLBACK_RATE_PER_MINUTE: /auth/callback per client address
  int healthz_per_minute = 60;     // TTHUB_HEALTHZ_RATE_PER_MINUTE: /healthz per client address
  int max_connections_per_client = 32;  // TTHUB_MAX_CONNECTIONS_PER_CLIENT: open connections per client address
  std::vector<std::string> trusted_proxies;  // TTHUB_TRUSTED_PROXY: addresses whose X-Forwarded-For is believed
  std::string tiktok_webhook_path = "/tiktok/webhook";  // TTHUB_TIKTOK_WEBHOOK_PATH: where TikTok POSTs its events
  std::string redirect_uri() const { return public_url + "/auth/callback"; }
};

// Reads and checks the environment; returns false with *why on a bad value.
bool load_config(Config *out, std::string *why);

}  // namespace shim
