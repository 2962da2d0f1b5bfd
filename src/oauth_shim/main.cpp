// tthub-oauth: the small web shim that connects a store's TikTok account.
//   GET /auth/login?invite=...       -> 302 to TikTok's authorization page
//   GET /auth/callback?code&state    -> exchanges the code (in the database), shows a page
//   GET /healthz                     -> 200 when the database answers, else 503
//   POST /tiktok/webhook             -> TikTok's events, verified and applied by the database
// Configuration: see shim_config.h (environment only).
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "database.h"
#include "http_front.h"
#include "log_line.h"
#include "pages.h"
#include "rate_limit.h"
#include "shim_config.h"
#include "tiktok_webhook_route.h"

namespace {

constexpr size_t kMaxInvite = 128;
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

// An invite as tthub_connect_link makes them: base64url, at most kMaxInvite.
bool plausible_invite(const std::string &s) {
  if (s.empty() || s.size() > kMaxInvite) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

// The client's address: the peer's, or, when the peer is a trusted reverse proxy,
// the last address that proxy appended to X-Forwarded-For.
std::string client_address(const httplib::Request &req, const shim::Config &config) {
  const auto &trusted = config.trusted_proxies;
  if (std::find(trusted.begin(), trusted.end(), req.remote_addr) != trusted.end() && req.has_header("X-Forwarded-For")) {
    // The last X-Forwarded-For line: a proxy that adds a line of its own (rather than
    // extending the client's) leaves a line the client wrote first.
    std::string xff = req.get_header_value("X-Forwarded-For", req.get_header_value_count("X-Forwarded-For") - 1);
    size_t comma = xff.rfind(',');
    std::string last = comma == std::string::npos ? xff : xff.substr(comma + 1);
    last.erase(0, last.find_first_not_of(" \t"));
    last.erase(last.find_last_not_of(" \t") + 1);
    if (!shim::client_key(last).empty()) return last;
  }
  return req.remote_addr;
}

// Counts a request of the client against limit; over it, answers 429 with
// Retry-After and returns false.
bool within_limit(shim::RateLimiter &limit, const httplib::Request &req, httplib::Response &res,
                  const shim::Config &config) {
  std::string client = client_address(req, config);
  std::string key = shim::client_key(client);
  int retry_after = 0;
  if (limit.allow(key.empty() ? client : key, std::chrono::steady_clock::now(), &retry_after)) return true;
  res.set_header("Retry-After", std::to_string(retry_after));
  answer_problem(req, res, {429, "rate_limited", "Too many attempts from your network. Wait a minute and try again."});
  return false;
}

// Without a raised descriptor limit, 1,024 connections would exhaust the default.
size_t usable_connections(size_t wanted, size_t db_connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  size_t reserve = 32 + db_connections;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > reserve + 16)
    wanted = std::min<size_t>(wanted, static_cast<size_t>(rl.rlim_cur) - reserve);
  return wanted;
}

}  // namespace

int main() {
  shim::Config config;
  std::string why;
  if (!shim::load_config(&config, &why)) {
    std::cerr << "tthub-oauth: " << why << std::endl;
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  shim::Database db(config.database_url, static_cast<size_t>(config.db_connections));
  // Per client address: guessing invites (login), replaying codes and states
  // (callback, which costs a TikTok call) and making the shim query the database
  // (healthz) are all as slow as these allow.
  shim::RateLimiter login_limit(config.login_per_minute);
  shim::RateLimiter callback_limit(config.callback_per_minute);
  shim::RateLimiter healthz_limit(config.healthz_per_minute);
  shim::Router router;

  shim::FrontLimits limits;
  limits.threads = static_cast<size_t>(config.threads);
  limits.queue = 16 * limits.threads;
  limits.max_connections_per_client = static_cast<size_t>(config.max_connections_per_client);
  limits.exempt = config.trusted_proxies;
  limits.max_connections = usable_connections(static_cast<size_t>(config.max_connections),
                                              static_cast<size_t>(config.db_connections));
  limits.head.body_path = config.tiktok_webhook_path;
  limits.head.body_path_max = shim::kTikTokWebhookMaxBody;
  router.set_payload_max_length(limits.head.largest_body());
  // What the Keep-Alive response header announces; the front enforces it.
  router.set_keep_alive_max_count(static_cast<size_t>(limits.max_requests_per_connection));
  router.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count());

  // One line per request: method, path (never the query string), status, duration
  // from the request's first byte; escaped, so that a client cannot forge a line.
  router.set_logger([](const httplib::Request &req, const httplib::Response &res) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                    shim::request_received_at()).count();
    shim::log_line(shim::request_log_line(req.method, req.path, res.status, ms));
  });

  router.Get("/auth/login", [&](const httplib::Request &req, httplib::Response &res) {
    // Counted before anything else, so that guessing invites is as slow as the rest.
    if (!within_limit(login_limit, req, res, config)) return;
    if (req.get_param_value_count("invite") != 1 || !plausible_invite(req.get_param_value("invite"))) {
      answer_problem(req, res, shim::problem_from_sqlstate("TH106", ""));
      return;
    }
    shim::BeginResult r = db.begin(req.get_param_value("invite"), config.redirect_uri());
    if (!r.ok) {
      answer_problem(req, res, shim::problem_from_sqlstate(r.error.sqlstate, r.error.message));
      return;
    }
    res.set_redirect(r.authorize_url);
  });

  router.Get("/auth/callback", [&](const httplib::Request &req, httplib::Response &res) {
    if (!within_limit(callback_limit, req, res, config)) return;
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

  shim::install_tiktok_webhook(router, db, config.tiktok_webhook_path);

  router.Get("/healthz", [&](const httplib::Request &req, httplib::Response &res) {
    if (!within_limit(healthz_limit, req, res, config)) return;
    bool ok = db.reachable();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "database unreachable\n", "text/plain");
  });

  router.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      answer_problem(req, res, {404, "not_found", "There is nothing here."});
    else if (res.status == 413)
      answer_problem(req, res, {413, "request_too_large", "The request body is too large."});
    else if (res.status == 400)
      answer_problem(req, res, {400, "bad_request", "The request could not be read."});
  });
  // Never cpp-httplib's default, which would put the exception's text in a header.
  router.set_exception_handler([](const httplib::Request &req, httplib::Response &res, std::exception_ptr) {
    answer_problem(req, res, {500, "internal_error", "Something went wrong on our side. Please tell your administrator."});
  });

  shim::Front front(router, limits);
  if (!front.listen(config.host, config.port, &why)) {
    std::cerr << "tthub-oauth: " << config.host << ":" << config.port << ": " << why << std::endl;
    return 1;
  }

  // SIGTERM: stop accepting, let the requests already received finish, exit 0.
  if (pipe(g_stop_pipe) != 0) return 1;
  struct sigaction sa = {};
  sa.sa_handler = on_sigterm;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread stopper([&] {
    char b;
    while (read(g_stop_pipe[0], &b, 1) < 0) {}
    front.stop();
  });

  shim::log_line("tthub-oauth listening on " + config.host + ":" + std::to_string(config.port));
  front.run();
  on_sigterm(0);  // in case run() ended on its own
  stopper.join();
  shim::log_line("tthub-oauth stopped");
  return 0;
}
