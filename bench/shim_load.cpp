// Load client for the shim benchmark (bench/shim.sh). Plain sockets, so that what is
// measured is the server, not a client library's pooling.
//   shim_load PORT load  CLIENTS SECONDS PATH   keep-alive clients in a closed loop
//   shim_load PORT probe SECONDS INTERVAL_MS PATH  one request at a time, each on a new connection
//   shim_load PORT hold  CONNECTIONS SECONDS    connections that send a header line
//                                               every 2 s and never finish; reopened when closed
// load and probe print: requests, errors, slow (> 1 s), p50/p99/max in ms, requests/s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTimeoutMs = 5000;  // a request not answered in 5 s counts as an error

int g_port = 0;

int open_conn() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string &s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response; true with its status when whole and in time. *keep: the
// server left the connection open.
bool read_response(int fd, Clock::time_point deadline, int *status, bool *keep) {
  std::string buf;
  char chunk[4096];
  size_t head_end = std::string::npos, need = 0;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        head_end += 4;
        std::string head = buf.substr(0, head_end);
        for (auto &c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = head.find("content-length:");
        need = head_end + (cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10));
        *status = std::atoi(buf.c_str() + 9);
        *keep = head.find("connection: close") == std::string::npos;
      }
    }
    if (head_end != std::string::npos && buf.size() >= need) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
}

struct Stats {
  std::mutex mu;
  std::vector<double> ms;
  long errors = 0;
  void add(double v) {
    std::lock_guard<std::mutex> l(mu);
    ms.push_back(v);
  }
  void error() {
    std::lock_guard<std::mutex> l(mu);
    ++errors;
  }
  void print(double seconds) {
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
    long slow = std::count_if(ms.begin(), ms.end(), [](double v) { return v > 1000.0; });
    std::printf("requests %zu errors %ld slow %ld p50 %.2f p99 %.2f max %.2f rps %.0f\n", ms.size() + errors, errors, slow,
                pct(0.50), pct(0.99), ms.empty() ? 0.0 : ms.back(), static_cast<double>(ms.size()) / seconds);
  }
};

// One request; the connection is reused while the server keeps it.
bool request(int *fd, const std::string &req, Stats &stats) {
  auto t0 = Clock::now();
  if (*fd < 0) *fd = open_conn();
  int status = 0;
  bool keep = false;
  bool ok = *fd >= 0 && send_all(*fd, req) && read_response(*fd, t0 + std::chrono::milliseconds(kTimeoutMs), &status, &keep);
  if (ok && status == 200) {
    stats.add(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  } else {
    stats.error();
    keep = false;
  }
  if (!keep && *fd >= 0) {
    close(*fd);
    *fd = -1;
  }
  return ok;
}

void load(int clients, int seconds, const std::string &path) {
  Stats stats;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&] {
      int fd = -1;
      while (Clock::now() < end) request(&fd, req, stats);
      if (fd >= 0) close(fd);
    });
  for (auto &t : threads) t.join();
  stats.print(seconds);
}

void probe(int seconds, int interval_ms, const std::string &path) {
  Stats stats;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  auto end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    auto next = Clock::now() + std::chrono::milliseconds(interval_ms);
    int fd = -1;
    request(&fd, req, stats);
    if (fd >= 0) close(fd);
    std::this_thread::sleep_until(next);
  }
  stats.print(seconds);
}

void hold(int connections, int seconds) {
  std::vector<int> fds(static_cast<size_t>(connections), -1);
  long opened = 0;
  auto end = Clock::now() + std::chrono::seconds(seconds);
  for (int tick = 0; Clock::now() < end; ++tick) {
    for (int &fd : fds) {
      if (fd >= 0) {  // closed by the server? then open another
        pollfd p{fd, POLLIN, 0};
        char b[512];
        if (poll(&p, 1, 0) > 0 && recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0) {
          close(fd);
          fd = -1;
        }
      }
      if (fd < 0) {
        fd = open_conn();
        if (fd >= 0) {
          ++opened;
          send_all(fd, "GET /healthz HTTP/1.1\r\n");
        }
      } else if (tick % 20 == 0) {
        send_all(fd, "X-Slow: 1\r\n");  // a line every 2 s: never finishing
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("held %d connections for %d s; %ld opened in all\n", connections, seconds, opened);
  for (int fd : fds)
    if (fd >= 0) close(fd);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: shim_load PORT load CLIENTS SECONDS PATH | probe SECONDS INTERVAL_MS PATH | hold CONNECTIONS SECONDS\n");
    return 2;
  }
  g_port = std::atoi(argv[1]);
  std::string mode = argv[2];
  if (mode == "load" && argc == 6) load(std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
  else if (mode == "probe" && argc == 6) probe(std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
  else if (mode == "hold" && argc == 5) hold(std::atoi(argv[3]), std::atoi(argv[4]));
  else return 2;
  return 0;
}
