#include "log_line.h"

#include <cstdio>
#include <mutex>

namespace shim {

namespace {
std::string escape(std::string_view value, size_t max_bytes, bool keep_space) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size() < max_bytes ? value.size() : max_bytes);
  for (unsigned char c : value) {
    bool plain = (c > 0x20 || (keep_space && c == 0x20)) && c < 0x7f && c != '\\';
    size_t need = plain ? 1 : 4;
    if (out.size() + need > max_bytes) {
      out += "...";
      return out;
    }
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.empty()) out = "-";
  return out;
}
}  // namespace

std::string log_safe(std::string_view value, size_t max_bytes) { return escape(value, max_bytes, false); }
std::string log_safe_text(std::string_view value, size_t max_bytes) { return escape(value, max_bytes, true); }

std::string request_log_line(std::string_view method, std::string_view path, int status, long long ms) {
  return log_safe(method, 16) + " " + log_safe(path) + " " + std::to_string(status) + " " + std::to_string(ms) + "ms";
}

void log_line(const std::string &line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace shim
