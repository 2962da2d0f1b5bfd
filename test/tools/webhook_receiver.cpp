// A webhook receiver for tests and the demo: listens on loopback, checks each
// delivery's signature as the README tells receivers to (HMAC over "<t>.<body>",
// 5-minute replay window), and appends one JSON line per request to a log.
//
//   webhook_receiver --port-file F --secret S --log L [--fail-first N] [--status C]
//                    [--delay-ms MS] [--print]
// --fail-first N: answer 500 to the first N attempts of each delivery id.
// --status C: answer C to every request (e.g. 503 for a dead endpoint).
// --delay-ms MS: wait before answering (a slow endpoint).
// --print: also print one line per valid alert on stdout (the demo).
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/webhook_signature.h"

int main(int argc, char **argv) {
  std::string port_file, secret, log_path;
  int fail_first = 0, status = 0, delay_ms = 0;
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--port-file") port_file = next();
    else if (a == "--secret") secret = next();
    else if (a == "--log") log_path = next();
    else if (a == "--fail-first") fail_first = std::atoi(next().c_str());
    else if (a == "--status") status = std::atoi(next().c_str());
    else if (a == "--delay-ms") delay_ms = std::atoi(next().c_str());
    else if (a == "--print") print = true;
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (port_file.empty() || secret.empty() || log_path.empty()) {
    std::cerr << "usage: webhook_receiver --port-file F --secret S --log L [--fail-first N] [--status C] "
                 "[--delay-ms MS] [--print]\n";
    return 2;
  }
  std::mutex mu;
  std::map<std::string, int> seen;  // delivery id -> attempts received
  std::ofstream log(log_path, std::ios::app);

  httplib::Server svr;
  svr.Post(".*", [&](const httplib::Request &req, httplib::Response &res) {
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::string delivery = req.get_header_value("X-Tthub-Delivery");
    std::string why = tthub::webhook::verify_signature(req.get_header_value("X-Tthub-Signature"), secret, req.body,
                                                       std::time(nullptr), 300);
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    int answer;
    {
      std::lock_guard<std::mutex> lock(mu);
      int attempt = ++seen[delivery];
      answer = status ? status : (attempt <= fail_first ? 500 : 200);
      nlohmann::json line = {{"delivery", delivery},
                             {"attempt", attempt},
                             {"valid", why.empty()},
                             {"why", why},
                             {"content_type", req.get_header_value("Content-Type")},
                             {"answered", answer},
                             {"path", req.path},
                             {"body", body.is_discarded() ? nlohmann::json(req.body) : body}};
      log << line.dump() << std::endl;
      if (print && why.empty() && answer == 200) {
        std::string what = body.contains("text") ? body["text"].get<std::string>()
                                                 : body.value("event", "?") + " store " + body.value("store_code", "?") +
                                                       " " + body["data"].dump();
        std::cout << "ALERT received (delivery " << delivery << ", signature valid): " << what << std::endl;
      }
    }
    res.status = answer;
    res.set_content("{}", "application/json");
  });
  int port = svr.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "cannot listen on 127.0.0.1\n";
    return 1;
  }
  {
    std::ofstream pf(port_file + ".tmp");
    pf << port << "\n";
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  svr.listen_after_bind();
  return 0;
}
