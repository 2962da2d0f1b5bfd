// Framing of an HTTP/1.1 request before anyone parses it: where its head ends, how
// long its body is, and whether it stays within the shim's limits. The front end
// (http_front.cpp) buffers a whole request with this before a worker thread sees it,
// so a slow or oversized client never holds a worker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shim {

struct HeadLimits {
  size_t max_request_line = 4096;  // method, target and version: 414 beyond
  size_t max_head = 16384;         // request line and headers: 431 beyond
  size_t max_body = 1024;          // Content-Length: 413 beyond (no route takes a body but one:)
  std::string body_path;           // the one route that takes a body (TikTok's webhook), exact path
  size_t body_path_max = 0;        // its Content-Length: 413 beyond
  size_t largest_body() const { return body_path_max > max_body ? body_path_max : max_body; }
};

struct HeadScan {
  enum class Status {
    kIncomplete,      // keep reading
    kComplete,        // request_bytes() of the buffer are one whole request
    kBad,             // 400: malformed framing, Transfer-Encoding, conflicting lengths
    kUriTooLong,      // 414
    kHeadTooLarge,    // 431
    kBodyTooLarge,    // 413
  };
  Status status = Status::kIncomplete;
  size_t head_bytes = 0;  // through the blank line
  size_t body_bytes = 0;  // Content-Length
  std::string method;     // for the log of a refused request
  std::string path;       // without the query string
  size_t request_bytes() const { return head_bytes + body_bytes; }
};

// Scans the start of buf (bytes received on one connection, empty lines before a
// request already dropped).
HeadScan scan_head(std::string_view buf, const HeadLimits &limits);

}  // namespace shim
