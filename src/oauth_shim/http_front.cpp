#include "http_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log_line.h"
#include "rate_limit.h"

namespace shim {

struct Front::Conn {
  int fd = -1;
  std::string peer_ip, local_ip;
  std::string client;              // key counted in per_client_ (empty: not counted)
  int peer_port = 0, local_port = 0;
  std::string buf;                 // received and not yet handled
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point received;  // first byte of the current request
  bool in_request = false;         // part of a request is buffered
  bool refused = false;            // answered with an error: draining until EOF or the deadline
  bool peer_done = false;          // the client shut down its side
  int served = 0;
  size_t request_bytes = 0;        // of the request handed to a worker
};

namespace {

thread_local std::chrono::steady_clock::time_point t_received;
constexpr size_t kReadChunk = 16384;
constexpr std::chrono::milliseconds kTick{100};

void describe(const sockaddr_storage &ss, std::string *ip, int *port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    auto *a = reinterpret_cast<const sockaddr_in *>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto *a = reinterpret_cast<const sockaddr_in6 *>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
      inet_ntop(AF_INET, a->sin6_addr.s6_addr + 12, text, sizeof text);
    else
      inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    *port = ntohs(a->sin6_port);
  }
  *ip = text;
}

const char *reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    default: return "Service Unavailable";
  }
}

std::string canned(int status) {
  const char *code = "service_busy", *message = "The service is busy. Please try again in a moment.";
  switch (status) {
    case 400: code = "bad_request"; message = "The request could not be read."; break;
    case 408: code = "request_timeout"; message = "The request took too long to arrive."; break;
    case 413: code = "request_too_large"; message = "The request body is too large."; break;
    case 414: code = "uri_too_long"; message = "The address is too long."; break;
    case 431: code = "headers_too_large"; message = "The request headers are too large."; break;
  }
  std::string body = std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" + message + "\"}}";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + (status == 503 ? "Retry-After: 1\r\n" : "") + "\r\n" + body;
}

// Best effort on a fresh or idle socket: a short answer fits its send buffer.
void send_now(int fd, const std::string &data) {
  ssize_t ignored = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

void close_socket(int fd) {
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

// What a worker's cpp-httplib parser reads: exactly one buffered request (so it can
// never wait on the network, nor read into a pipelined next request); what it
// writes goes to the socket, within the write timeout.
class RequestStream final : public httplib::Stream {
 public:
  RequestStream(Front::Conn &c, std::chrono::milliseconds write_timeout)
      : c_(c), end_(c.request_bytes), write_deadline_(std::chrono::steady_clock::now() + write_timeout) {}

  bool is_readable() const override { return pos_ < end_; }
  bool is_writable() const override { return true; }
  ssize_t read(char *ptr, size_t size) override {
    size_t n = std::min(size, end_ - pos_);
    std::memcpy(ptr, c_.buf.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char *ptr, size_t size) override {
    size_t done = 0;
    while (done < size) {
      ssize_t n = send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(write_deadline_ - std::chrono::steady_clock::now());
        pollfd p{c_.fd, POLLOUT, 0};
        if (left.count() > 0 && poll(&p, 1, static_cast<int>(left.count())) > 0) continue;
      }
      return -1;  // timed out, or the client is gone
    }
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string &ip, int &port) const override {
    ip = c_.peer_ip;
    port = c_.peer_port;
  }
  void get_local_ip_and_port(std::string &ip, int &port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }

 private:
  Front::Conn &c_;
  size_t pos_ = 0;
  const size_t end_;
  const std::chrono::steady_clock::time_point write_deadline_;
};

}  // namespace

std::chrono::steady_clock::time_point request_received_at() { return t_received; }

Front::Front(Router &router, FrontLimits limits) : router_(router), limits_(limits) {}

Front::~Front() {
  for (auto &kv : conns_) close_socket(kv.first);
  if (listen_fd_ >= 0) close(listen_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool Front::listen(const std::string &host_in, int port, std::string *why) {
  std::string host = host_in;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    *why = "cannot resolve " + host;
    return false;
  }
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  int one = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 1024) == 0;
  freeaddrinfo(found);
  if (!ok) {
    *why = std::string("cannot listen: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  listen_fd_ = fd;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  return true;
}

void Front::stop() {
  stopping_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void Front::run() {
  for (size_t i = 0; i < limits_.threads; ++i) workers_.emplace_back([this] { worker(); });
  epoll_event events[64];
  auto next_sweep = Clock::now() + kTick;
  while (!stopping_) {
    int n = epoll_wait(epoll_fd_, events, 64, static_cast<int>(kTick.count()));
    for (int i = 0; i < n && !stopping_; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
      } else if (fd == wake_fd_) {
        uint64_t v;
        ssize_t ignored = read(wake_fd_, &v, sizeof v);
        (void)ignored;
        take_returned();
      } else {
        on_readable(fd);
      }
    }
    auto now = Clock::now();
    if (accept_paused_until_ != Clock::time_point{} && now >= accept_paused_until_) {
      accept_paused_until_ = {};
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd_;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    }
    if (now >= next_sweep) {
      sweep();
      next_sweep = now + kTick;
    }
  }
  // Stopping: no new connections; connections without a whole request are closed;
  // requests already received are answered, then the workers end.
  close(listen_fd_);
  listen_fd_ = -1;
  for (auto &kv : conns_) close_socket(kv.first);
  conns_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers_done_ = true;
  }
  cv_.notify_all();
  for (auto &t : workers_) t.join();
  workers_.clear();
  for (auto &c : returned_) close_socket(c->fd);
  returned_.clear();
}

void Front::accept_all() {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr *>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: stop accepting for a moment rather than spin;
        // the backlog holds the clients meanwhile.
        log_line("accept paused: " + std::string(std::strerror(errno)));
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_until_ = Clock::now() + std::chrono::milliseconds(200);
        return;
      }
      // EAGAIN: nothing more to accept. ECONNABORTED, EPROTO, ...: that client's
      // problem, not the server's.
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      continue;
    }
    if (live_ >= limits_.max_connections) {
      send_now(fd, canned(503));
      log_line(request_log_line("-", "-", 503, 0));
      close_socket(fd);
      continue;
    }
    int one = 1;
    // Headers and body go out in separate writes; without this a keep-alive client's
    // delayed ACK would hold every response back ~40 ms.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    describe(peer, &c->peer_ip, &c->peer_port);
    if (!admit(*c)) {
      send_now(fd, canned(503));
      log_line(request_log_line("-", "-", 503, 0));
      close_socket(fd);
      continue;
    }
    sockaddr_storage local{};
    len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len) == 0) describe(local, &c->local_ip, &c->local_port);
    c->deadline = Clock::now() + limits_.idle_timeout;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    ++live_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close_socket(fd);
      release(*c);
      continue;
    }
    conns_.emplace(fd, std::move(c));
  }
}

void Front::on_readable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn &c = *it->second;
  char chunk[kReadChunk];
  const size_t cap = limits_.head.max_head + limits_.head.largest_body() + kReadChunk;
  for (;;) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      if (!c.refused) c.buf.append(chunk, static_cast<size_t>(n));
      if (c.buf.size() > cap) break;  // enough to judge it
      continue;
    }
    if (n == 0) {
      c.peer_done = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_conn(fd);  // reset by the client
    return;
  }
  if (c.refused) {
    if (c.peer_done) close_conn(fd);
    return;
  }
  if (!c.in_request) start_request(c);
  if (c.in_request && dispatch(it->second)) return;
  if (c.peer_done && !c.refused) close_conn(fd);  // gone before sending a whole request
}

// The first bytes of a request are in: from now on the request deadline applies.
void Front::start_request(Conn &c) {
  // Empty lines before a request are allowed (RFC 9112 2.2).
  size_t skip = c.buf.find_first_not_of("\r\n");
  c.buf.erase(0, skip == std::string::npos ? c.buf.size() : skip);
  if (c.buf.empty()) return;
  c.in_request = true;
  c.received = Clock::now();
  c.deadline = c.received + limits_.request_timeout;
}

// A whole request goes to the workers (true); anything else stays here.
bool Front::dispatch(std::unique_ptr<Conn> &c) {
  HeadScan scan = scan_head(c->buf, limits_.head);
  switch (scan.status) {
    case HeadScan::Status::kIncomplete: return false;
    case HeadScan::Status::kBad: refuse(*c, 400, scan.method, scan.path); return false;
    case HeadScan::Status::kUriTooLong: refuse(*c, 414, scan.method, scan.path); return false;
    case HeadScan::Status::kHeadTooLarge: refuse(*c, 431, scan.method, scan.path); return false;
    case HeadScan::Status::kBodyTooLarge: refuse(*c, 413, scan.method, scan.path); return false;
    case HeadScan::Status::kComplete: break;
  }
  if (c->buf.size() < scan.request_bytes()) return false;  // the body is on its way
  c->request_bytes = scan.request_bytes();
  int fd = c->fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= limits_.queue) {
      refuse(*c, 503, scan.method, scan.path);
      return false;
    }
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    queue_.push_back(std::move(c));
  }
  cv_.notify_one();
  conns_.erase(fd);
  return true;
}

void Front::refuse(Conn &c, int status, const std::string &method, const std::string &path) {
  long long ms = c.in_request ? std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.received).count() : 0;
  log_line(request_log_line(method.empty() ? "-" : method, path.empty() ? "-" : path, status, ms));
  send_now(c.fd, canned(status));
  shutdown(c.fd, SHUT_WR);
  c.refused = true;
  c.buf.clear();
  c.buf.shrink_to_fit();
  c.deadline = Clock::now() + limits_.linger;
}

void Front::sweep() {
  auto now = Clock::now();
  std::vector<int> expired;
  for (auto &kv : conns_)
    if (now >= kv.second->deadline) expired.push_back(kv.first);
  for (int fd : expired) {
    Conn &c = *conns_[fd];
    if (c.in_request && !c.refused) {
      HeadScan scan = scan_head(c.buf, limits_.head);
      refuse(c, 408, scan.method, scan.path);  // a slow client: cut off, told why
    } else {
      close_conn(fd);  // idle past the keep-alive timeout, or done lingering
    }
  }
}

void Front::close_conn(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close_socket(fd);
  auto it = conns_.find(fd);
  if (it != conns_.end()) {
    release(*it->second);
    conns_.erase(it);
  }
}

bool Front::admit(Conn &c) {
  if (std::find(limits_.exempt.begin(), limits_.exempt.end(), c.peer_ip) != limits_.exempt.end()) return true;
  std::string key = client_key(c.peer_ip);
  if (key.empty()) key = c.peer_ip;
  std::lock_guard<std::mutex> lock(clients_mu_);
  size_t &open = per_client_[key];
  if (open >= limits_.max_connections_per_client) {
    if (open == 0) per_client_.erase(key);
    return false;
  }
  ++open;
  c.client = key;
  return true;
}

void Front::release(Conn &c) {
  --live_;
  if (c.client.empty()) return;
  std::lock_guard<std::mutex> lock(clients_mu_);
  auto it = per_client_.find(c.client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  c.client.clear();
}

void Front::take_returned() {
  std::vector<std::unique_ptr<Conn>> back;
  {
    std::lock_guard<std::mutex> lock(mu_);
    back.swap(returned_);
  }
  for (auto &c : back) {
    int fd = c->fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close_socket(fd);
      release(*c);
      continue;
    }
    auto &slot = conns_[fd];
    slot = std::move(c);
    start_request(*slot);  // a pipelined request may have come with the previous one
    if (slot->in_request) dispatch(slot);
  }
}

void Front::worker() {
  for (;;) {
    std::unique_ptr<Conn> c;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || workers_done_; });
      if (queue_.empty()) return;  // done and drained
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    serve(std::move(c));
  }
}

void Front::serve(std::unique_ptr<Conn> c) {
  t_received = c->received;
  bool close_after = c->peer_done || stopping_ || c->served + 1 >= limits_.max_requests_per_connection;
  bool closed = false, ok = false;
  try {
    RequestStream strm(*c, limits_.write_timeout);
    ok = router_.serve(strm, close_after, closed);
  } catch (...) {
    ok = false;  // a worker outlives any one request
  }
  c->buf.erase(0, c->request_bytes);
  c->served++;
  if (!ok || closed || close_after || stopping_) {
    close_socket(c->fd);
    release(*c);
    return;
  }
  c->in_request = false;
  c->deadline = Clock::now() + limits_.idle_timeout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    returned_.push_back(std::move(c));
  }
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

}  // namespace shim
