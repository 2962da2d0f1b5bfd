#include "shim_config.h"

#include <cstdlib>

namespace shim {

namespace {
std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
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
  *out = c;
  return true;
}

}  // namespace shim
