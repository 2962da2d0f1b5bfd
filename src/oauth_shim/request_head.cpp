#include "request_head.h"

namespace shim {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void describe_request_line(std::string_view line, HeadScan *out) {
  size_t sp = line.find(' ');
  out->method = std::string(line.substr(0, sp == std::string_view::npos ? 16 : sp).substr(0, 16));
  if (sp == std::string_view::npos) return;
  std::string_view target = line.substr(sp + 1);
  target = target.substr(0, target.find(' '));
  out->path = std::string(target.substr(0, target.find('?')).substr(0, 512));
}

}  // namespace

HeadScan scan_head(std::string_view buf, const HeadLimits &limits) {
  HeadScan out;
  std::string_view rest = buf;

  size_t line_end = rest.find('\n');
  std::string_view first = rest.substr(0, line_end == std::string_view::npos ? rest.size() : line_end);
  describe_request_line(first, &out);
  if (first.size() > limits.max_request_line) {
    out.status = HeadScan::Status::kUriTooLong;
    return out;
  }
  if (line_end == std::string_view::npos) {
    if (buf.size() > limits.max_head) out.status = HeadScan::Status::kHeadTooLarge;
    return out;
  }

  // Headers, line by line, up to the blank line.
  size_t pos = line_end + 1;
  bool have_length = false;
  size_t length = 0;
  for (;;) {
    size_t eol = rest.find('\n', pos);
    if (eol == std::string_view::npos) {
      if (rest.size() > limits.max_head) out.status = HeadScan::Status::kHeadTooLarge;
      return out;
    }
    if (eol + 1 > limits.max_head) {
      out.status = HeadScan::Status::kHeadTooLarge;
      return out;
    }
    std::string_view line = rest.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      out.status = HeadScan::Status::kBad;
      return out;
    }
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "transfer-encoding")) {  // bodies come with a Content-Length; chunked framing is refused
      out.status = HeadScan::Status::kBad;
      return out;
    }
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 9) {
        out.status = value.size() > 9 ? HeadScan::Status::kBodyTooLarge : HeadScan::Status::kBad;
        return out;
      }
      size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') {
          out.status = HeadScan::Status::kBad;
          return out;
        }
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      if (have_length && n != length) {  // request smuggling shape
        out.status = HeadScan::Status::kBad;
        return out;
      }
      have_length = true;
      length = n;
    }
  }
  size_t max_body = !limits.body_path.empty() && out.path == limits.body_path ? limits.body_path_max : limits.max_body;
  if (length > max_body) {
    out.status = HeadScan::Status::kBodyTooLarge;
    return out;
  }
  out.head_bytes = pos;
  out.body_bytes = length;
  out.status = HeadScan::Status::kComplete;
  return out;
}

}  // namespace shim
