#include "shim_config.h"

#include <cstdlib>

namespace shim {

namespace {
std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

// An optional whole number in [lo, hi]; false with *why otherwise.
bool env_int(const char *name, int lo, int hi, int *out, std::string *why) {
  std::string v = env(name);
  if (v.empty()) return true;
  size_t used = 0;
  long n = -1;
  try {
    n = std::stol(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || n < lo || n > hi) {
    *why = std::string(name) + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  *out = static_cast<int>(n);
  return true;
}
}  // namespace

bool load_config(Config *out, std::string *why) {
  Config c;
  c.database_url = env("TTHUB_DATABASE_URL");
  if (c.database_url.empty()) {
    *why = "TTHUB_DATABASE_URL is not set";
    return false;
  }
  std::string listen = env("TTHUB_LISTEN");
  if (!listen.empty()) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      *why = "TTHUB_LISTEN must be host:port";
      return false;
    }
    c.host = listen.substr(0, colon);
    try {
      c.port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
      c.port = -1;
    }
    if (c.port < 0 || c.port > 65535) {
      *why = "TTHUB_LISTEN has an invalid port";
      return false;
    }
  }
  c.public_url = env("TTHUB_PUBLIC_URL");
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  if (c.public_url.rfind("https://", 0) != 0 && c.public_url.rfind("http://", 0) != 0) {
    *why = "TTHUB_PUBLIC_URL must be the shim's public base URL, e.g. https://connect.example.com";
    return false;
  }
  if (!env_int("TTHUB_THREADS", 1, 1024, &c.threads, why) ||
      !env_int("TTHUB_MAX_CONNECTIONS", 16, 1000000, &c.max_connections, why) ||
      !env_int("TTHUB_DB_CONNECTIONS", 1, 100, &c.db_connections, why) ||
      !env_int("TTHUB_LOGIN_RATE_PER_MINUTE", 1, 1000000, &c.login_per_minute, why) ||
      !env_int("TTHUB_CALLBACK_RATE_PER_MINUTE", 1, 1000000, &c.callback_per_minute, why) ||
      !env_int("TTHUB_HEALTHZ_RATE_PER_MINUTE", 1, 1000000, &c.healthz_per_minute, why) ||
      !env_int("TTHUB_MAX_CONNECTIONS_PER_CLIENT", 1, 1000000, &c.max_connections_per_client, why))
    return false;
  std::string hook = env("TTHUB_TIKTOK_WEBHOOK_PATH");
  if (!hook.empty()) {
    bool ok = hook.size() <= 256 && hook[0] == '/' && hook.rfind("/auth/", 0) != 0 && hook != "/healthz";
    for (char ch : hook)
      ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '/' || ch == '-' || ch == '_' || ch == '.');
    if (!ok) {
      *why = "TTHUB_TIKTOK_WEBHOOK_PATH must be a path such as /tiktok/webhook (letters, digits, / - _ .), "
             "not one of the shim's other routes";
      return false;
    }
    c.tiktok_webhook_path = hook;
  }
  std::string proxies = env("TTHUB_TRUSTED_PROXY");
  for (size_t start = 0; start <= proxies.size();) {
    size_t comma = proxies.find(',', start);
    std::string item = proxies.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) c.trusted_proxies.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  *out = c;
  return true;
}

}  // namespace shim
