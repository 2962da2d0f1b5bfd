// tthub-oauth: the small web shim that connects a store's TikTok account.
//   GET /auth/login?store_code=...   -> 302 to TikTok's authorization page
//   GET /auth/callback?code&state    -> exchanges the code (in the database), shows a page
//   GET /healthz                     -> 200 when the database answers, else 503
// Configuration: TTHUB_DATABASE_URL, TTHUB_LISTEN (127.0.0.1:8080), TTHUB_PUBLIC_URL.
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "database.h"
#include "pages.h"
#include "shim_config.h"

namespace {

constexpr size_t kMaxStoreCode = 50;
constexpr size_t kMaxCode = 2048;
constexpr size_t kMaxState = 128;
constexpr size_t kMaxError = 1024;

int g_stop_pipe[2] = {-1, -1};

void on_sigterm(int) {
  char b = 1;
  ssize_t ignored = write(g_stop_pipe[1], &b, 1);  // async-signal-safe; a thread does the rest
  (void)ignored;
}

bool wants_json(const httplib::Request &req) {
  return req.get_header_value("Accept").find("application/json") != std::string::npos;
}

void answer_problem(const httplib::Request &req, httplib::Response &res, const shim::Problem &p) {
  res.status = p.http_status;
  if (wants_json(req))
    res.set_content(shim::problem_json(p), "application/json");
  else
    res.set_content(shim::problem_page(p), "text/html; charset=utf-8");
}

// A parameter that must be present and short; answers 400 and returns false otherwise.
bool param(const httplib::Request &req, httplib::Response &res, const char *name, size_t max, std::string *out) {
  if (req.get_param_value_count(name) != 1 || req.get_param_value(name).empty()) {
    answer_problem(req, res, {400, "missing_parameter", std::string("The request has no ") + name + "."});
    return false;
  }
  *out = req.get_param_value(name);
  if (out->size() > max) {
    answer_problem(req, res, {400, "invalid_parameter", std::string("The parameter ") + name + " is too long."});
    return false;
  }
  return true;
}

bool valid_store_code(const std::string &s) {
  if (s.empty() || s.size() > kMaxStoreCode) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

thread_local std::chrono::steady_clock::time_point t_request_start;

}  // namespace

int main() {
  shim::Config config;
  std::string why;
  if (!shim::load_config(&config, &why)) {
    std::cerr << "tthub-oauth: " << why << std::endl;
    return 2;
  }
  shim::Database db(config.database_url);
  httplib::Server server;

  server.set_pre_routing_handler([](const httplib::Request &, httplib::Response &) {
    t_request_start = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // One line per request: method, path (never the query string), status, duration.
  server.set_logger([](const httplib::Request &req, const httplib::Response &res) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t_request_start).count();
    std::fprintf(stdout, "%s %s %d %lldms\n", req.method.c_str(), req.path.c_str(), res.status, static_cast<long long>(ms));
    std::fflush(stdout);
  });

  server.Get("/auth/login", [&](const httplib::Request &req, httplib::Response &res) {
    std::string store;
    if (!param(req, res, "store_code", kMaxStoreCode, &store)) return;
    if (!valid_store_code(store)) {
      answer_problem(req, res, {400, "invalid_parameter", "This is not a valid store code."});
      return;
    }
    shim::BeginResult r = db.begin(store, config.redirect_uri());
    if (!r.ok) {
      answer_problem(req, res, shim::problem_from_sqlstate(r.error.sqlstate, r.error.message));
      return;
    }
    res.set_redirect(r.authorize_url);
  });

  server.Get("/auth/callback", [&](const httplib::Request &req, httplib::Response &res) {
    if (req.has_param("error")) {  // the user denied, or is not eligible (reference 2.2)
      std::string error = req.get_param_value("error").substr(0, kMaxError);
      answer_problem(req, res, {400, "authorization_refused",
                                error == "access_denied"
                                    ? "The TikTok account was not connected because access was not allowed. "
                                      "Start again from your store's connect link if that was a mistake."
                                    : "TikTok did not authorize the connection. Start again from your store's connect link."});
      return;
    }
    std::string code, state;
    if (!param(req, res, "code", kMaxCode, &code) || !param(req, res, "state", kMaxState, &state)) return;
    // httplib has already URL-decoded the code, as the reference requires.
    shim::CompleteResult r = db.complete(state, code);
    if (!r.ok) {
      answer_problem(req, res, shim::problem_from_sqlstate(r.error.sqlstate, r.error.message));
      return;
    }
    if (wants_json(req)) {
      res.set_content(nlohmann::json{{"store_code", r.store_code}, {"display_name", r.display_name}, {"status", r.status}}.dump(),
                      "application/json");
      return;
    }
    res.set_content(shim::connected_page(r.store_code, r.display_name, r.status, r.status_reason), "text/html; charset=utf-8");
  });

  server.Get("/healthz", [&](const httplib::Request &, httplib::Response &res) {
    bool ok = db.reachable();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "database unreachable\n", "text/plain");
  });

  server.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
    if (res.status == 404 && res.body.empty()) answer_problem(req, res, {404, "not_found", "There is nothing here."});
  });

  // SIGTERM: stop accepting, let in-flight requests finish, exit 0.
  if (pipe(g_stop_pipe) != 0) return 1;
  struct sigaction sa = {};
  sa.sa_handler = on_sigterm;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread stopper([&] {
    char b;
    while (read(g_stop_pipe[0], &b, 1) < 0) {}
    server.stop();
  });

  if (!server.bind_to_port(config.host.c_str(), config.port)) {
    std::cerr << "tthub-oauth: cannot listen on " << config.host << ":" << config.port << std::endl;
    on_sigterm(0);
    stopper.join();
    return 1;
  }
  std::fprintf(stdout, "tthub-oauth listening on %s:%d\n", config.host.c_str(), config.port);
  std::fflush(stdout);
  server.listen_after_bind();
  if (stopper.joinable()) {
    on_sigterm(0);
    stopper.join();
  }
  std::fprintf(stdout, "tthub-oauth stopped\n");
  return 0;
}
