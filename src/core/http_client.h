// Concurrent HTTP over one libcurl multi handle, polled by the caller so that a
// Postgres backend can check for interrupts between polls (never blocks > timeout).
// Policies: TLS verification on, no redirects (the Bearer header must not follow one),
// connect and total timeouts, a response size cap, http/https only, connection reuse.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/http_message.h"

namespace tthub {

class HttpClient {
 public:
  struct Options {
    long connect_timeout_ms = 10000;
    long total_timeout_ms = 30000;
    size_t max_body_bytes = 8 << 20;
    long max_connections = 16;
  };
  using Completed = std::pair<uint64_t, HttpResponse>;

  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient &) = delete;
  HttpClient &operator=(const HttpClient &) = delete;

  // Starts a transfer; tag comes back with its response.
  void submit(const HttpRequest &request, uint64_t tag);
  // Drives transfers for at most timeout_ms; returns those that finished.
  std::vector<Completed> poll(int timeout_ms);
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tthub
