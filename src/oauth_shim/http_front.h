// The shim's network front end. cpp-httplib's own server gives every connection a
// thread for its whole life and reads requests with no overall deadline, so a few
// clients that connect and send nothing (or a byte now and then) hold every thread.
// Here one poller thread owns every connection while it is idle or still sending,
// buffers each request whole (within size limits and a deadline), and only then
// hands it to a fixed pool of worker threads, which run cpp-httplib's parser,
// routes and logger on the buffered bytes. Past the limits a client gets a short
// error (408, 413, 414, 431, 503), never a worker.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "request_head.h"

namespace shim {

struct FrontLimits {
  HeadLimits head;
  std::chrono::milliseconds idle_timeout{5000};      // keep-alive: waiting for a request's first byte
  std::chrono::milliseconds request_timeout{10000};  // a request's first byte to its last
  std::chrono::milliseconds write_timeout{5000};     // sending one response
  std::chrono::milliseconds linger{2000};            // after refusing: reading what the client still sends
  int max_requests_per_connection = 100;
  size_t threads = 16;           // workers: requests handled at once
  size_t queue = 256;            // whole requests waiting for a worker; beyond: 503
  size_t max_connections = 1024; // open connections; beyond: 503 and close
  // Open connections from one client address (IPv6: its /64); beyond: 503 and close,
  // so that one client cannot hold every slot. Addresses in exempt (trusted reverse
  // proxies, which carry every client's connections) are not counted.
  size_t max_connections_per_client = 32;
  std::vector<std::string> exempt;
};

// cpp-httplib's request parser, routes, handlers and logger, fed one buffered request at a time.
class Router : public httplib::Server {
 public:
  bool serve(httplib::Stream &strm, bool close_connection, bool &connection_closed) {
    return process_request(strm, close_connection, connection_closed, nullptr);
  }
};

// When the request being handled on this thread arrived (its first byte).
std::chrono::steady_clock::time_point request_received_at();

class Front {
 public:
  Front(Router &router, FrontLimits limits);
  ~Front();
  Front(const Front &) = delete;
  Front &operator=(const Front &) = delete;

  bool listen(const std::string &host, int port, std::string *why);
  // Serves until stop(); then lets the requests already received finish, and returns.
  void run();
  void stop();

  struct Conn;

 private:
  using Clock = std::chrono::steady_clock;
  void accept_all();
  void on_readable(int fd);
  void start_request(Conn &c);
  bool dispatch(std::unique_ptr<Conn> &c);
  void refuse(Conn &c, int status, const std::string &method, const std::string &path);
  void sweep();
  void close_conn(int fd);
  void worker();
  void serve(std::unique_ptr<Conn> c);
  void take_returned();
  bool admit(Conn &c);    // counts c against its client's cap; false when over it
  void release(Conn &c);  // c is closed: its slot is free again

  Router &router_;
  const FrontLimits limits_;
  int listen_fd_ = -1, epoll_fd_ = -1, wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> live_{0};  // open connections, wherever they are
  std::mutex clients_mu_;        // per_client_ is changed by the poller and the workers
  std::unordered_map<std::string, size_t> per_client_;  // open connections per client key
  Clock::time_point accept_paused_until_{};

  std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // poller's: idle, receiving or refused

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Conn>> queue_;      // whole requests for the workers
  std::vector<std::unique_ptr<Conn>> returned_;  // kept alive after a response, back to the poller
  bool workers_done_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace shim
