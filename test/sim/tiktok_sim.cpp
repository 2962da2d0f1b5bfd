// TikTok API simulator for tests, the demo and benchmarks. Speaks TikTok's documented
// Display API and OAuth endpoints over the deterministic dataset in dataset.h, listens
// on loopback only, and takes fault injection at POST /_sim/config.
//
//   tiktok_sim --port 0 --port-file F --accounts N --videos M
//              [--client-key K] [--client-secret S] [--day D]
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "dataset.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Account {
  int index = 0;
  int videos = 0;
  int generation = 1;
  bool revoked = false;
  int64_t access_expires = 0;  // unix seconds
  std::string access_token, refresh_token;
};

struct State {
  std::mutex mu;
  std::string client_key = "sim-client-key", client_secret = "sim-client-secret";
  int day = 1;
  int latency_ms = 0;
  int rate_limit = 0;   // requests per minute per endpoint; 0 = unlimited
  int retry_after = 0;  // Retry-After seconds sent with 429s; 0 = none (TikTok documents none)
  std::string retry_after_text;  // a Retry-After sent as is instead (an HTTP date, garbage)
  std::atomic<bool> hostile{false};  // hostile bytes in names, titles and every error
  int64_t access_ttl = 7200, refresh_ttl = 15552000;
  double error_rate = 0;  // fraction of display requests that fail (500, or a kind from error_mix)
  std::vector<std::string> error_mix{"500"};  // what a random failure is: 500, timeout, truncated
  int timeout_ms = 3000;  // a "timeout" failure answers this late (set above the client's timeout)
  std::map<std::string, int> fail_next;        // endpoint -> 500s still to send
  std::map<std::string, int> fail_skip;        // endpoint -> requests answered normally before fail_next applies
  std::map<std::string, int> throttle_next;    // endpoint -> 429s still to send
  int malformed_next = 0;
  std::string malformed_kind = "truncated";
  int slow_next = 0, slow_ms = 0;
  // endpoint -> ms: its next request is processed at once (a refresh rotates the
  // tokens) and answered only after ms: a response on the wire for that long.
  std::map<std::string, int> hold_next;
  std::map<std::string, Account> accounts;     // by open_id
  struct Code {
    std::string open_id, redirect_uri, scope;
    bool used = false;
  };
  std::map<std::string, Code> codes;           // authorization codes
  int code_counter = 0;
  int authorize_account = 0;   // which account the next authorization logs in as (0: round robin)
  int authorize_turn = 0;
  int deny_next = 0;           // authorizations to deny (the user presses "deny")
  std::string grant_scopes;    // scopes granted instead of those requested, when set
  std::map<std::string, std::string> access_tokens, refresh_tokens;  // token -> open_id
  std::map<std::string, std::deque<Clock::time_point>> windows;
  std::map<std::string, int64_t> requests, throttled, failed;
  std::map<std::string, int64_t> over_limit;     // 429s from the rate-limit window (not injected)
  std::map<std::string, int64_t> page_requests;  // video/list requests by cursor ("first": none)
  std::map<std::string, int> refresh_uses;  // refresh token -> times it was sent (rotated ones too)
  std::mt19937 rng{42};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
};

State g;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void issue_tokens(const std::string &oid, Account &a) {
  g.access_tokens.erase(a.access_token);
  g.refresh_tokens.erase(a.refresh_token);  // rotation: the old refresh token stops working
  a.access_token = "act." + oid + "." + std::to_string(a.generation);
  a.refresh_token = "rft." + oid + "." + std::to_string(a.generation);
  a.access_expires = unix_now() + g.access_ttl;
  g.access_tokens[a.access_token] = oid;
  g.refresh_tokens[a.refresh_token] = oid;
}

void add_account(int index, int videos) {
  std::string oid = sim::open_id(index);
  Account &a = g.accounts[oid];
  a.index = index;
  a.videos = videos;
  issue_tokens(oid, a);
}

std::string repeat(const std::string &s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// A literal with its NULs.
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// Hostile texts ("hostile": true): NUL, control characters, line breaks, and
// multi-byte characters where a byte-wise cut (at 300 bytes, say) lands inside one.
const std::string kEacute = "\xC3\xA9", kHan = "\xE6\xBC\xA2", kEmoji = "\xF0\x9F\x98\x80";
std::string hostile_message() { return std::string(299, 'x') + repeat(kEacute, 50) + bytes("\0\x1b[2J"); }
std::string hostile_log_id() { return bytes("SIM\0LOG\x07") + std::string(5000, '9'); }
std::string hostile_display_name() { return bytes("Toko\0 Jaya\x07\x1b[31m\r\n") + repeat(kEacute, 200); }
std::string hostile_title() { return bytes("Ti\0tle\x01 ") + repeat(kEmoji, 200); }
std::string hostile_description() { return bytes("line 1\r\nline\0 2\xC2\x85") + repeat(kHan, 300); }
std::string log_id() { return g.hostile ? hostile_log_id() : "SIMLOG"; }

void send_json(httplib::Response &res, int status, const json &body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void display_error(httplib::Response &res, int status, const std::string &code, const std::string &msg) {
  send_json(res, status, {{"data", json::object()},
                          {"error", {{"code", code}, {"message", g.hostile ? hostile_message() : msg}, {"log_id", log_id()}}}});
}

json ok_envelope(json data) {
  return {{"data", std::move(data)}, {"error", {{"code", "ok"}, {"message", ""}, {"log_id", "SIMLOG"}}}};
}

std::set<std::string> split_fields(const std::string &s) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.insert(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Common front of every API endpoint: counting, latency, injected faults, rate limit.
// Returns false when it has already answered.
bool admit(const std::string &endpoint, httplib::Response &res, bool display) {
  int latency;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    g.requests[endpoint]++;
    latency = g.latency_ms;
  }
  if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));
  std::unique_lock<std::mutex> lock(g.mu);
  auto fail = [&](int status, const std::string &code) {
    g.failed[endpoint]++;
    if (display) display_error(res, status, code, "simulated failure");
    else send_json(res, status, {{"error", "server_error"}, {"error_description", g.hostile ? hostile_message() : "simulated"},
                                 {"log_id", log_id()}});
    return false;
  };
  if (g.fail_next[endpoint] > 0 && g.fail_skip[endpoint] > 0) {
    g.fail_skip[endpoint]--;
  } else if (g.fail_next[endpoint] > 0) {
    g.fail_next[endpoint]--;
    return fail(500, "internal_error");
  }
  if (display && g.error_rate > 0 && std::uniform_real_distribution<double>(0, 1)(g.rng) < g.error_rate) {
    std::string kind = g.error_mix[std::uniform_int_distribution<size_t>(0, g.error_mix.size() - 1)(g.rng)];
    if (kind == "timeout") {  // answers only after the client gave up
      g.failed[endpoint]++;
      int ms = g.timeout_ms;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      lock.lock();
      display_error(res, 504, "internal_error", "simulated timeout");
      return false;
    }
    if (kind == "truncated") {
      g.failed[endpoint]++;
      res.status = 200;
      res.set_content(R"({"data":{"videos":[{"id":"1","view_count":5)", "application/json");
      return false;
    }
    return fail(500, "internal_error");
  }
  bool throttle = false;
  if (g.throttle_next[endpoint] > 0) {
    g.throttle_next[endpoint]--;
    throttle = true;
  } else if (g.rate_limit > 0) {
    auto now = Clock::now();
    auto &w = g.windows[endpoint];
    while (!w.empty() && w.front() <= now - std::chrono::seconds(60)) w.pop_front();
    if (static_cast<int>(w.size()) >= g.rate_limit) {
      throttle = true;
      g.over_limit[endpoint]++;
    } else {
      w.push_back(now);
    }
  }
  if (throttle) {
    g.throttled[endpoint]++;
    if (!g.retry_after_text.empty()) res.set_header("Retry-After", g.retry_after_text);
    else if (g.retry_after > 0) res.set_header("Retry-After", std::to_string(g.retry_after));
    display_error(res, 429, "rate_limit_exceeded", "rate limit exceeded");
    return false;
  }
  return true;
}

// The account behind a Bearer token, or answers 401 and returns null. Caller holds g.mu.
Account *authorize(const httplib::Request &req, httplib::Response &res) {
  std::string h = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  std::string token = h.rfind(prefix, 0) == 0 ? h.substr(prefix.size()) : "";
  auto it = g.access_tokens.find(token);
  if (it != g.access_tokens.end()) {
    Account &a = g.accounts[it->second];
    if (!a.revoked && a.access_expires > unix_now()) return &a;
  }
  display_error(res, 401, "access_token_invalid", "The access token is invalid or not found in the request.");
  return nullptr;
}

void user_info(const httplib::Request &req, httplib::Response &res) {
  if (!admit("user/info", res, true)) return;
  std::lock_guard<std::mutex> lock(g.mu);
  Account *a = authorize(req, res);
  if (!a) return;
  if (!req.has_param("fields")) return display_error(res, 400, "invalid_params", "fields is required");
  auto fields = split_fields(req.get_param_value("fields"));
  sim::UserStats s = sim::user_stats(a->index, g.day);
  json all = {{"open_id", sim::open_id(a->index)},
              {"union_id", "union-" + std::to_string(a->index)},
              {"display_name", g.hostile ? hostile_display_name() : "Sim Account " + std::to_string(a->index)},
              {"avatar_url", "https://sim.invalid/avatar/" + std::to_string(a->index) + ".jpg"},
              {"follower_count", s.followers}, {"following_count", s.following},
              {"likes_count", s.likes}, {"video_count", a->videos}};
  json user = json::object();
  for (auto &[k, v] : all.items())
    if (fields.count(k)) user[k] = v;
  send_json(res, 200, ok_envelope({{"user", user}}));
}

json video_json(const Account &a, int j, const std::set<std::string> &fields, int day) {
  sim::VideoStats s = sim::video_stats(a.index, j, day);
  std::string id = sim::video_id(a.index, j);
  json all = {{"id", id}, {"title", g.hostile ? hostile_title() : "Video " + std::to_string(j) + " of account " + std::to_string(a.index)},
              {"video_description", g.hostile ? hostile_description() : "Simulated video #" + std::to_string(j)},
              {"create_time", sim::create_time(j)}, {"cover_image_url", "https://sim.invalid/cover/" + id},
              {"share_url", "https://sim.invalid/v/" + id}, {"duration", 5 + j % 60},
              {"height", 1920}, {"width", 1080},
              {"view_count", s.views}, {"like_count", s.likes}, {"comment_count", s.comments},
              {"share_count", s.shares}};
  json v = json::object();
  for (auto &[k, val] : all.items())
    if (fields.count(k)) v[k] = val;
  return v;
}

void malformed(httplib::Response &res, const std::string &kind) {
  std::string ok = R"("error":{"code":"ok","message":"","log_id":"SIMLOG"})";
  res.status = 200;
  if (kind == "negative")
    res.set_content(R"({"data":{"videos":[{"id":"1","view_count":-7}],"cursor":0,"has_more":false},)" + ok + "}", "application/json");
  else if (kind == "nul")
    res.set_content(R"({"data":{"videos":[{"id":"1","title":"a\u0000b"}],"cursor":0,"has_more":false},)" + ok + "}", "application/json");
  else if (kind == "badutf8")
    res.set_content(std::string(R"({"data":{"videos":[{"id":"1","title":"bad )") + "\xC3\x28" + R"("}],"cursor":0,"has_more":false},)" + ok + "}", "application/json");
  else if (kind == "wrongtype")
    res.set_content(R"({"data":{"videos":[{"id":"1","view_count":"many"}],"cursor":0,"has_more":false},)" + ok + "}", "application/json");
  else if (kind == "oversize")
    res.set_content(R"({"data":{"videos":[{"id":"1","title":")" + std::string(9 << 20, 'x') + R"("}]}})", "application/json");
  else
    res.set_content(R"({"data":{"videos":[{"id":"1","view_count":5)", "application/json");  // truncated
}

void video_list(const httplib::Request &req, httplib::Response &res) {
  {  // every request by its cursor, failed ones too: tests see which pages were asked twice
    json b = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    bool has = !b.is_discarded() && b.is_object() && b.contains("cursor") && b["cursor"].is_number_integer();
    std::lock_guard<std::mutex> lock(g.mu);
    g.page_requests[has ? std::to_string(b["cursor"].get<int64_t>()) : "first"]++;
  }
  if (!admit("video/list", res, true)) return;
  int slow_ms = 0;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    Account *a = authorize(req, res);
    if (!a) return;
    if (g.malformed_next > 0) {
      g.malformed_next--;
      return malformed(res, g.malformed_kind);
    }
    if (!req.has_param("fields")) return display_error(res, 400, "invalid_params", "fields is required");
    json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return display_error(res, 400, "invalid_params", "body is not JSON");
    int max_count = body.value("max_count", 10);
    if (max_count < 1 || max_count > 20) return display_error(res, 400, "invalid_params", "max_count must be 1..20");
    int start = 0;
    if (body.contains("cursor")) {
      int64_t cursor = body["cursor"].get<int64_t>();
      int64_t newest_ms = sim::kNewestCreateTime * 1000;
      start = cursor > newest_ms ? 0 : static_cast<int>((newest_ms - cursor) / 600000 + 1);
    }
    int end = std::min(a->videos, start + max_count);
    auto fields = split_fields(req.get_param_value("fields"));
    json videos = json::array();
    for (int j = start; j < end; ++j) videos.push_back(video_json(*a, j, fields, g.day));
    int64_t cursor = end > start ? sim::create_time(end - 1) * 1000 : 0;
    send_json(res, 200, ok_envelope({{"videos", videos}, {"cursor", cursor}, {"has_more", end < a->videos}}));
    if (g.slow_next > 0) {
      g.slow_next--;
      slow_ms = g.slow_ms;
    }
  }
  if (slow_ms > 0) {  // headers now, the body only after slow_ms
    std::string body = res.body;
    res.body.clear();
    res.set_chunked_content_provider("application/json", [body, slow_ms](size_t, httplib::DataSink &sink) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
      sink.write(body.data(), body.size());
      sink.done();
      return true;
    });
  }
}

std::string url_encode(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else { out += '%'; out += hex[c >> 4]; out += hex[c & 15]; }
  }
  return out;
}

// Login Kit's authorization page: approves at once (or denies when told) and sends
// the browser back to redirect_uri with a code, like TikTok after the user consents.
void authorize_page(const httplib::Request &req, httplib::Response &res) {
  std::lock_guard<std::mutex> lock(g.mu);
  g.requests["auth/authorize"]++;
  std::string redirect = req.get_param_value("redirect_uri"), state = req.get_param_value("state");
  if (req.get_param_value("client_key") != g.client_key || req.get_param_value("response_type") != "code" ||
      redirect.empty()) {
    res.status = 400;
    res.set_content("<html><body>invalid authorization request</body></html>", "text/html");
    return;
  }
  if (g.deny_next > 0) {
    g.deny_next--;
    res.set_redirect(redirect + "?error=access_denied&error_description=" +
                     url_encode("The user denied the request") + "&state=" + url_encode(state));
    return;
  }
  int n = static_cast<int>(g.accounts.size());
  int index = g.authorize_account > 0 ? g.authorize_account : (g.authorize_turn++ % n) + 1;
  std::string oid = sim::open_id(index);
  g.accounts[oid].revoked = false;  // consenting again reconnects
  // Documented example codes contain '*' and '!': the client must decode and re-encode.
  std::string code = "sim*code!" + std::to_string(++g.code_counter);
  std::string scope = g.grant_scopes.empty() ? req.get_param_value("scope") : g.grant_scopes;
  g.codes[code] = {oid, redirect, scope, false};
  res.set_redirect(redirect + "?code=" + url_encode(code) + "&scopes=" + url_encode(scope) + "&state=" + url_encode(state));
}

void oauth_revoke(const httplib::Request &req, httplib::Response &res) {
  if (!admit("oauth/revoke", res, false)) return;
  std::lock_guard<std::mutex> lock(g.mu);
  if (req.get_param_value("client_key") != g.client_key || req.get_param_value("client_secret") != g.client_secret)
    return send_json(res, 401, {{"error", "invalid_client"}, {"error_description", "bad client"}, {"log_id", "SIMLOG"}});
  auto it = g.access_tokens.find(req.get_param_value("token"));
  if (it == g.access_tokens.end())
    return send_json(res, 400, {{"error", "invalid_request"}, {"error_description", "unknown token"}, {"log_id", "SIMLOG"}});
  g.accounts[it->second].revoked = true;
  send_json(res, 200, json::object());
}

// The answer to the request, already decided, sent only after the endpoint's hold_next.
void hold_answer(const std::string &endpoint) {
  int ms = 0;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    auto it = g.hold_next.find(endpoint);
    if (it != g.hold_next.end()) {
      ms = it->second;
      g.hold_next.erase(it);
    }
  }
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void oauth_token_locked(const httplib::Request &req, httplib::Response &res);

void oauth_token(const httplib::Request &req, httplib::Response &res) {
  if (!admit("oauth/token", res, false)) return;
  oauth_token_locked(req, res);
  hold_answer("oauth/token");
}

void oauth_token_locked(const httplib::Request &req, httplib::Response &res) {
  std::lock_guard<std::mutex> lock(g.mu);
  auto oauth_error = [&](int status, const std::string &err, const std::string &desc) {
    send_json(res, status, {{"error", err}, {"error_description", g.hostile ? hostile_message() : desc}, {"log_id", log_id()}});
  };
  if (req.get_param_value("client_key") != g.client_key || req.get_param_value("client_secret") != g.client_secret)
    return oauth_error(401, "invalid_client", "Client key or secret is incorrect.");
  if (req.get_param_value("grant_type") == "authorization_code") {
    auto c = g.codes.find(req.get_param_value("code"));
    if (c == g.codes.end() || c->second.used)
      return oauth_error(400, "invalid_grant", "Authorization code is invalid or has been used.");
    if (c->second.redirect_uri != req.get_param_value("redirect_uri"))
      return oauth_error(400, "invalid_request", "redirect_uri does not match the authorization request.");
    c->second.used = true;
    Account &a = g.accounts[c->second.open_id];
    a.generation++;
    issue_tokens(c->second.open_id, a);
    return send_json(res, 200, {{"open_id", c->second.open_id}, {"scope", c->second.scope},
                                {"access_token", a.access_token}, {"expires_in", g.access_ttl},
                                {"refresh_token", a.refresh_token}, {"refresh_expires_in", g.refresh_ttl},
                                {"token_type", "Bearer"}});
  }
  if (req.get_param_value("grant_type") != "refresh_token")
    return oauth_error(400, "unsupported_grant_type", "grant_type is not supported");
  g.refresh_uses[req.get_param_value("refresh_token")]++;
  auto it = g.refresh_tokens.find(req.get_param_value("refresh_token"));
  if (it == g.refresh_tokens.end() || g.accounts[it->second].revoked)
    return oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.");
  std::string oid = it->second;
  Account &a = g.accounts[oid];
  a.generation++;
  issue_tokens(oid, a);
  send_json(res, 200, {{"open_id", oid}, {"scope", "user.info.basic,user.info.stats,video.list"},
                       {"access_token", a.access_token}, {"expires_in", g.access_ttl},
                       {"refresh_token", a.refresh_token}, {"refresh_expires_in", g.refresh_ttl},
                       {"token_type", "Bearer"}});
}

// Test control: merge settings, revoke or expire accounts, change the day.
void control(const httplib::Request &req, httplib::Response &res) {
  json c = json::parse(req.body, nullptr, false);
  if (c.is_discarded() || !c.is_object()) return send_json(res, 400, {{"error", "body must be a JSON object"}});
  std::lock_guard<std::mutex> lock(g.mu);
  if (c.contains("day")) g.day = c["day"];
  if (c.contains("latency_ms")) g.latency_ms = c["latency_ms"];
  if (c.contains("rate_limit")) { g.rate_limit = c["rate_limit"]; g.windows.clear(); }
  if (c.contains("retry_after")) {  // seconds, or a string sent as the header's value
    g.retry_after_text = c["retry_after"].is_string() ? c["retry_after"].get<std::string>() : "";
    g.retry_after = c["retry_after"].is_number() ? c["retry_after"].get<int>() : 0;
  }
  if (c.contains("hostile")) g.hostile = c["hostile"].get<bool>();
  if (c.contains("error_rate")) g.error_rate = c["error_rate"];
  if (c.contains("error_mix")) g.error_mix = c["error_mix"].get<std::vector<std::string>>();
  if (c.contains("timeout_ms")) g.timeout_ms = c["timeout_ms"];
  if (c.contains("access_ttl")) g.access_ttl = c["access_ttl"];
  if (c.contains("fail_next")) for (auto &[k, v] : c["fail_next"].items()) g.fail_next[k] = v;
  if (c.contains("fail_skip")) for (auto &[k, v] : c["fail_skip"].items()) g.fail_skip[k] = v;
  if (c.contains("throttle_next")) for (auto &[k, v] : c["throttle_next"].items()) g.throttle_next[k] = v;
  if (c.contains("malformed_next")) g.malformed_next = c["malformed_next"];
  if (c.contains("malformed_kind")) g.malformed_kind = c["malformed_kind"];
  if (c.contains("slow_next")) g.slow_next = c["slow_next"];
  if (c.contains("slow_ms")) g.slow_ms = c["slow_ms"];
  if (c.contains("hold_next")) for (auto &[k, v] : c["hold_next"].items()) g.hold_next[k] = v;
  if (c.contains("revoke")) g.accounts[c["revoke"].get<std::string>()].revoked = true;
  if (c.contains("expire")) g.accounts[c["expire"].get<std::string>()].access_expires = 0;
  if (c.contains("videos")) for (auto &[oid, n] : c["videos"].items()) g.accounts[oid].videos = n;
  if (c.contains("deny_next")) g.deny_next = c["deny_next"];
  if (c.contains("authorize_account")) g.authorize_account = c["authorize_account"];
  if (c.contains("grant_scopes")) g.grant_scopes = c["grant_scopes"];
  if (c.contains("reset_counters")) {
    g.requests.clear(); g.throttled.clear(); g.failed.clear(); g.over_limit.clear(); g.page_requests.clear();
    g.max_in_flight = 0;
  }
  send_json(res, 200, {{"ok", true}});
}

void stats(const httplib::Request &, httplib::Response &res) {
  std::lock_guard<std::mutex> lock(g.mu);
  json accounts = json::object();
  for (auto &[oid, a] : g.accounts)
    accounts[oid] = {{"generation", a.generation}, {"revoked", a.revoked}, {"videos", a.videos}};
  // TikTok accepts a refresh token once (it rotates it): a count above 1 means two
  // syncs raced. Keyed without the "rft." prefix, so no token shows where stats are printed.
  json refresh_uses = json::object();
  int max_refresh_uses = 0;
  for (auto &[token, n] : g.refresh_uses) {
    std::string key = token.rfind("rft.", 0) == 0 ? token.substr(4) : "other";
    refresh_uses[key] = refresh_uses.value(key, 0) + n;
    max_refresh_uses = std::max(max_refresh_uses, n);
  }
  int64_t max_page_requests = 0;
  for (auto &[cursor, n] : g.page_requests) max_page_requests = std::max(max_page_requests, n);
  send_json(res, 200, {{"requests", g.requests}, {"throttled", g.throttled}, {"failed", g.failed},
                       {"over_limit", g.over_limit}, {"first_page_requests", g.page_requests.count("first") ? g.page_requests["first"] : 0},
                       {"max_page_requests", max_page_requests},
                       {"max_in_flight", g.max_in_flight.load()}, {"accounts", accounts}, {"day", g.day},
                       {"refresh_token_uses", refresh_uses}, {"max_refresh_token_uses", max_refresh_uses}});
}

template <typename H>
httplib::Server::Handler counted(H handler) {
  return [handler](const httplib::Request &req, httplib::Response &res) {
    int now = ++g.in_flight;
    int seen = g.max_in_flight.load();
    while (now > seen && !g.max_in_flight.compare_exchange_weak(seen, now)) {}
    handler(req, res);
    --g.in_flight;
  };
}

}  // namespace

int main(int argc, char **argv) {
  int port = 0, accounts = 3, videos = 45;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::stoi(v);
    else if (k == "--port-file") port_file = v;
    else if (k == "--accounts") accounts = std::stoi(v);
    else if (k == "--videos") videos = std::stoi(v);
    else if (k == "--client-key") g.client_key = v;
    else if (k == "--client-secret") g.client_secret = v;
    else if (k == "--day") g.day = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  for (int i = 1; i <= accounts; ++i) add_account(i, videos);

  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(128); };
  // httplib writes headers and body separately; without TCP_NODELAY, Nagle and the
  // client's delayed ACK stall every keep-alive response by ~40 ms.
  svr.set_tcp_nodelay(true);
  svr.Get("/v2/user/info/", counted(user_info));
  svr.Post("/v2/video/list/", counted(video_list));
  svr.Post("/v2/oauth/token/", counted(oauth_token));
  svr.Post("/v2/oauth/revoke/", counted(oauth_revoke));
  svr.Get("/v2/auth/authorize/", authorize_page);
  svr.Post("/_sim/config", control);
  svr.Get("/_sim/stats", stats);
  if (port == 0) port = svr.bind_to_any_port("127.0.0.1");
  else if (!svr.bind_to_port("127.0.0.1", port)) port = -1;
  if (port <= 0) {
    std::cerr << "tiktok_sim: cannot bind\n";
    return 1;
  }
  if (!port_file.empty()) std::ofstream(port_file) << port << "\n";
  std::cout << "tiktok_sim listening on 127.0.0.1:" << port << " (" << accounts << " accounts x "
            << videos << " videos)" << std::endl;
  return svr.listen_after_bind() ? 0 : 1;
}
