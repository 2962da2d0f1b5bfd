// TikTok API simulator for tests, the demo and benchmarks. Speaks TikTok's documented
// Display API and OAuth endpoints over the deterministic dataset in dataset.h, listens
// on loopback only, and takes fault injection at POST /_sim/config.
//
//   tiktok_sim --port 0 --port-file F --accounts N --videos M
//              [--client-key K] [--client-secret S] [--day D]
//              [--live 1 [--speed X] [--start T] [--history-days D] [--post-per-day R]
//               [--delete-per-day R]] [--served-log FILE]
//
// Live mode (live_catalogue.h; off by default, or {"live": {...}} at /_sim/config):
// catalogues posted over the past, new posts and deletions while it runs, counters on a
// launch curve in simulated time running `speed` simulated seconds per real second,
// cover URLs that expire 6 simulated hours after they are handed out (served at
// /_sim/cover/ID?x-expires=T: 200 before, 403 after). --served-log writes one JSON line
// per video observation answered with 200 (soak: nothing served may go missing), with
// the request it answered: its number, when it arrived and when its answer was ready
// (epoch ms), so a check can tell an answer the client had given up on from one it got.
// Every refresh-token presentation is logged to stdout ("refresh: ..."), with how many
// times that token was presented, what the answer was and how long it took.
//
// video/query: ids TikTok does not show (deleted, unknown, another user's) are left out
// of the answer ({"query_missing": "omit"}, the default) or fail the whole request with
// 400 invalid_params ({"query_missing": "error"}): the reference leaves it unconfirmed.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "dataset.h"
#include "live_catalogue.h"
#include "webhook_sender.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Account {
  int index = 0;
  int videos = 0;
  int generation = 1;
  bool revoked = false;
  int64_t requests = 0;        // API requests made with its tokens, valid or not
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
  // Live mode and video/query.
  bool live = false;
  sim::LiveSettings live_settings;
  sim::SimClock clock;
  std::map<std::string, sim::LiveAccount> live_accounts;  // by open_id
  std::string query_missing = "omit";  // or "error"
  int64_t query_ids = 0, query_missing_ids = 0, posted = 0, deleted = 0, covers_ok = 0, covers_expired = 0;
  int port = 0;
  std::ofstream served_log;
  std::atomic<int64_t> next_request{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
};

State g;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The request this thread is answering (set by counted()): its number and arrival.
thread_local int64_t t_request = 0;
thread_local int64_t t_arrived_ms = 0;

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

// Live mode: (re)builds every account's catalogue at the clock's now. Caller holds g.mu.
void live_build() {
  g.live_accounts.clear();
  for (auto &[oid, a] : g.accounts) g.live_accounts[oid].build(a.index, a.videos, g.live_settings, g.clock.now());
}

// The account's live catalogue, brought up to now (posts, random deletions). Caller holds g.mu.
sim::LiveAccount &live_account(const Account &a) {
  sim::LiveAccount &la = g.live_accounts[sim::open_id(a.index)];
  if (la.index == 0) la.build(a.index, a.videos, g.live_settings, g.clock.now());
  auto [posted, deleted] = la.advance(g.live_settings, g.clock.now());
  g.posted += posted;
  g.deleted += deleted;
  return la;
}

// Reference section 8: a cover link expires 6 h after it is handed out.
constexpr int64_t kCoverLifetime = 6 * 3600;

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
  int64_t video_count = a->videos;
  if (g.live) {
    sim::LiveAccount &la = live_account(*a);
    video_count = static_cast<int64_t>(la.visible());
    s.likes = 0;
    for (const auto &v : la.videos)
      if (!v.deleted_at) s.likes += sim::live_stats(v, g.clock.now()).likes;
  }
  json all = {{"open_id", sim::open_id(a->index)},
              {"union_id", "union-" + std::to_string(a->index)},
              {"display_name", g.hostile ? hostile_display_name() : "Sim Account " + std::to_string(a->index)},
              {"avatar_url", "https://sim.invalid/avatar/" + std::to_string(a->index) + ".jpg"},
              {"follower_count", s.followers}, {"following_count", s.following},
              {"likes_count", s.likes}, {"video_count", video_count}};
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

json pick(const json &all, const std::set<std::string> &fields) {
  json v = json::object();
  for (auto &[k, val] : all.items())
    if (fields.count(k)) v[k] = val;
  return v;
}

json live_video_json(const sim::LiveAccount &la, const sim::LiveVideo &lv, const std::set<std::string> &fields) {
  int64_t now = g.clock.now();
  sim::VideoStats s = sim::live_stats(lv, now);
  std::string cover = "http://127.0.0.1:" + std::to_string(g.port) + "/_sim/cover/" + lv.id +
                      "?x-expires=" + std::to_string(now + kCoverLifetime);
  json all = {{"id", lv.id}, {"title", g.hostile ? hostile_title() : "Live video " + lv.id + " of account " + std::to_string(la.index)},
              {"video_description", g.hostile ? hostile_description() : "Simulated live video"},
              {"create_time", lv.create_time}, {"cover_image_url", cover},
              {"share_url", "https://sim.invalid/v/" + lv.id}, {"embed_link", "https://sim.invalid/embed/" + lv.id},
              {"duration", 5 + lv.create_time % 60}, {"height", 1920}, {"width", 1080},
              {"view_count", s.views}, {"like_count", s.likes}, {"comment_count", s.comments},
              {"share_count", s.shares}};
  return pick(all, fields);
}

// One JSON line per video observation answered with 200 (--served-log). Caller holds g.mu.
void log_served(const std::string &open_id, const json &videos) {
  if (!g.served_log.is_open()) return;
  for (const auto &v : videos)
    if (v.contains("id") && v.contains("view_count"))
      g.served_log << json{{"open_id", open_id}, {"video_id", v["id"]}, {"view_count", v["view_count"]},
                           {"sim_time", g.clock.now()}, {"req", t_request}, {"arrived_ms", t_arrived_ms},
                           {"answered_ms", unix_now_ms()}}.dump() << "\n";
  g.served_log.flush();
}

// Live video/list: newest first, the cursor a time in ms (section 6), deleted videos gone.
json live_list_page(sim::LiveAccount &la, const json &body, int max_count, const std::set<std::string> &fields) {
  int64_t now = g.clock.now();
  int64_t before = body.contains("cursor") ? body["cursor"].get<int64_t>() : std::numeric_limits<int64_t>::max();
  json videos = json::array();
  int64_t cursor = 0;
  bool has_more = false;
  // Oldest first and strictly increasing in create_time: start below the cursor at once.
  auto end = before == std::numeric_limits<int64_t>::max()
                 ? la.videos.end()
                 : std::lower_bound(la.videos.begin(), la.videos.end(), before, [](const sim::LiveVideo &v, int64_t c) {
                     return v.create_time * 1000 < c;
                   });
  for (auto it = std::make_reverse_iterator(end); it != la.videos.rend(); ++it) {
    if (it->deleted_at || it->create_time > now) continue;
    if (static_cast<int>(videos.size()) == max_count) {
      has_more = true;
      break;
    }
    videos.push_back(live_video_json(la, *it, fields));
    cursor = it->create_time * 1000;
  }
  return {{"videos", videos}, {"cursor", cursor}, {"has_more", has_more}};
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
    if (body.contains("cursor") && !body["cursor"].is_number_integer())
      return display_error(res, 400, "invalid_params", "cursor must be an integer");
    if (g.live) {
      auto fields = split_fields(req.get_param_value("fields"));
      json data = live_list_page(live_account(*a), body, max_count, fields);
      log_served(sim::open_id(a->index), data["videos"]);
      send_json(res, 200, ok_envelope(std::move(data)));
      return;
    }
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

// The default dataset's video j of an account, from its id (dataset.h), or -1.
int dataset_video(const Account &a, const std::string &id) {
  if (id.size() < 3 || id.front() != '9' || id.back() != '7') return -1;
  std::string digits = id.substr(1, id.size() - 2);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 19) return -1;
  uint64_t n = std::stoull(digits);
  if (n < 100000000000000000ULL) return -1;
  n -= 100000000000000000ULL;
  int j = static_cast<int>(n % 1000000ULL);
  if (static_cast<int>(n / 1000000ULL) != a.index || j >= a.videos || sim::video_id(a.index, j) != id) return -1;
  return j;
}

// Section 7: POST /v2/video/query/?fields=..., body {"filters": {"video_ids": [...]}},
// at most 20 ids, only the authorizing user's videos.
void video_query(const httplib::Request &req, httplib::Response &res) {
  if (!admit("video/query", res, true)) return;
  std::lock_guard<std::mutex> lock(g.mu);
  Account *a = authorize(req, res);
  if (!a) return;
  if (g.malformed_next > 0) {
    g.malformed_next--;
    return malformed(res, g.malformed_kind);
  }
  if (!req.has_param("fields")) return display_error(res, 400, "invalid_params", "fields is required");
  json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("filters") || !body["filters"].is_object() ||
      !body["filters"].contains("video_ids") || !body["filters"]["video_ids"].is_array())
    return display_error(res, 400, "invalid_params", "filters.video_ids is required");
  const json &ids = body["filters"]["video_ids"];
  if (ids.empty() || ids.size() > 20) return display_error(res, 400, "invalid_params", "video_ids takes 1 to 20 ids");
  for (const auto &id : ids)
    if (!id.is_string()) return display_error(res, 400, "invalid_params", "video_ids are strings");
  auto fields = split_fields(req.get_param_value("fields"));
  json videos = json::array();
  int missing = 0;
  for (const auto &idj : ids) {
    std::string id = idj.get<std::string>();
    g.query_ids++;
    if (g.live) {
      sim::LiveAccount &la = live_account(*a);
      sim::LiveVideo *v = la.find(id);
      if (v && !v->deleted_at && v->create_time <= g.clock.now()) {
        videos.push_back(live_video_json(la, *v, fields));
        continue;
      }
    } else {
      int j = dataset_video(*a, id);
      if (j >= 0) {
        videos.push_back(video_json(*a, j, fields, g.day));
        continue;
      }
    }
    ++missing;
  }
  g.query_missing_ids += missing;
  if (missing > 0 && g.query_missing == "error")
    return display_error(res, 400, "invalid_params", "video_ids holds an id that does not exist or is not the user's");
  log_served(sim::open_id(a->index), videos);
  send_json(res, 200, ok_envelope({{"videos", videos}, {"cursor", 0}, {"has_more", false}}));
}

// A cover link (live mode): the image until x-expires (simulated time), 403 after.
void cover(const httplib::Request &req, httplib::Response &res) {
  std::lock_guard<std::mutex> lock(g.mu);
  std::string expires = req.get_param_value("x-expires");
  bool ok = !expires.empty() && expires.find_first_not_of("0123456789") == std::string::npos &&
            expires.size() < 19 && std::stoll(expires) > g.clock.now();
  (ok ? g.covers_ok : g.covers_expired)++;
  res.status = ok ? 200 : 403;
  res.set_content(ok ? std::string("\x89PNG\r\n\x1a\n", 8) : std::string("expired"), ok ? "image/png" : "text/plain");
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
  const std::string presented = req.get_param_value("refresh_token");
  int uses = ++g.refresh_uses[presented];
  auto it = g.refresh_tokens.find(presented);
  bool valid = it != g.refresh_tokens.end() && !g.accounts[it->second].revoked;
  // The key without the "rft." prefix, as in /_sim/stats; the answer is decided now.
  std::cout << "refresh: token " << (presented.rfind("rft.", 0) == 0 ? presented.substr(4) : "other") << " use " << uses
            << (valid ? " rotated" : " invalid_grant") << " req " << t_request << " arrived_ms " << t_arrived_ms
            << " answered_ms " << unix_now_ms() << std::endl;
  if (!valid) return oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.");
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
  if (c.contains("query_missing")) {
    std::string m = c["query_missing"];
    if (m != "omit" && m != "error") return send_json(res, 400, {{"error", "query_missing is omit or error"}});
    g.query_missing = m;
  }
  if (c.contains("live")) {  // {"live": {"speed", "start", "history_days", "post_per_day", "delete_per_day"}} or false
    if (c["live"].is_boolean() && !c["live"].get<bool>()) {
      g.live = false;
    } else {
      json l = c["live"].is_object() ? c["live"] : json::object();
      g.clock.set(l.value("start", unix_now()), l.value("speed", 1.0));
      g.live_settings.history_days = l.value("history_days", 365.0);
      g.live_settings.post_per_day = l.value("post_per_day", 0.0);
      g.live_settings.delete_per_day = l.value("delete_per_day", 0.0);
      g.live = true;
      live_build();
    }
  }
  if (c.contains("clock")) {  // {"speed": X} keeps time continuous; {"advance": seconds} jumps
    if (c["clock"].contains("speed")) g.clock.set_speed(c["clock"]["speed"].get<double>());
    if (c["clock"].contains("advance")) g.clock.advance(c["clock"]["advance"].get<int64_t>());
  }
  if (c.contains("post_per_day")) g.live_settings.post_per_day = c["post_per_day"];
  if (c.contains("delete_per_day")) g.live_settings.delete_per_day = c["delete_per_day"];
  if (c.contains("post")) {  // {"post": {"open_id": n}}: n new videos now (live mode)
    for (auto &[oid, n] : c["post"].items()) {
      auto it = g.accounts.find(oid);
      if (!g.live || it == g.accounts.end()) return send_json(res, 400, {{"error", "post needs live mode and a known account"}});
      sim::LiveAccount &la = live_account(it->second);
      for (int i = 0; i < n.get<int>(); ++i) {
        int64_t t = std::max(g.clock.now() - n.get<int>() + i + 1, la.videos.empty() ? 0 : la.videos.back().create_time + 1);
        sim::LiveVideo v;
        v.id = sim::video_id(la.index, la.next_number++);
        v.create_time = t;
        v.lifetime_views = 100000;
        la.videos.push_back(v);
        la.by_id[v.id] = la.videos.size() - 1;
        g.posted++;
      }
    }
  }
  if (c.contains("delete")) {  // {"delete": {"open_id": ["video id", ...]}} (live mode)
    for (auto &[oid, ids] : c["delete"].items()) {
      auto it = g.accounts.find(oid);
      if (!g.live || it == g.accounts.end()) return send_json(res, 400, {{"error", "delete needs live mode and a known account"}});
      sim::LiveAccount &la = live_account(it->second);
      for (const auto &id : ids)
        if (la.delete_video(id.get<std::string>(), g.clock.now())) g.deleted++;
    }
  }
  if (c.contains("reset_counters")) {
    g.query_ids = g.query_missing_ids = 0;
    g.requests.clear(); g.throttled.clear(); g.failed.clear(); g.over_limit.clear(); g.page_requests.clear();
    g.max_in_flight = 0;
  }
  send_json(res, 200, {{"ok", true}});
}

void stats(const httplib::Request &, httplib::Response &res) {
  std::lock_guard<std::mutex> lock(g.mu);
  json accounts = json::object();
  for (auto &[oid, a] : g.accounts)
    accounts[oid] = {{"generation", a.generation}, {"revoked", a.revoked}, {"videos", a.videos},
                     {"requests", a.requests}};
  // TikTok accepts a refresh token once (it rotates it): a count above 1 means two
  // syncs raced. Keyed without the "rft." prefix, so no token shows where stats are printed.
  json refresh_uses = json::object();
  int max_refresh_uses = 0;
  for (auto &[token, n] : g.refresh_uses) {
    std::string key = token.rfind("rft.", 0) == 0 ? token.substr(4) : "other";
    refresh_uses[key] = refresh_uses.value(key, 0) + n;
    max_refresh_uses = std::max(max_refresh_uses, n);
  }
  json live = nullptr;
  if (g.live) {
    json per = json::object();
    int64_t visible = 0;
    for (auto &[oid, a] : g.accounts) {
      sim::LiveAccount &la = live_account(a);
      visible += static_cast<int64_t>(la.visible());
      per[oid] = {{"visible", la.visible()}, {"deleted", la.deleted}, {"newest_create_time", la.videos.empty() ? 0 : la.videos.back().create_time}};
    }
    live = {{"sim_now", g.clock.now()}, {"speed", g.clock.speed()}, {"visible", visible}, {"posted", g.posted},
            {"deleted", g.deleted}, {"covers_ok", g.covers_ok}, {"covers_expired", g.covers_expired},
            {"accounts", g.accounts.size() <= 100 ? per : json(nullptr)}};
  }
  int64_t max_page_requests = 0;
  for (auto &[cursor, n] : g.page_requests) max_page_requests = std::max(max_page_requests, n);
  send_json(res, 200, {{"requests", g.requests}, {"throttled", g.throttled}, {"failed", g.failed},
                       {"over_limit", g.over_limit}, {"first_page_requests", g.page_requests.count("first") ? g.page_requests["first"] : 0},
                       {"max_page_requests", max_page_requests},
                       {"max_in_flight", g.max_in_flight.load()}, {"accounts", accounts}, {"day", g.day},
                       {"refresh_token_uses", refresh_uses}, {"max_refresh_token_uses", max_refresh_uses},
                       {"query", {{"ids", g.query_ids}, {"missing_ids", g.query_missing_ids}, {"missing", g.query_missing}}},
                       {"live", live}});
}

// Counted on arrival, by the account whose token the request carries (a Bearer
// access token, or a refresh token in the form), revoked or not: tests see whether
// tthub still calls TikTok for an account after it was told to stop.
void count_account_request(const httplib::Request &req) {
  std::lock_guard<std::mutex> lock(g.mu);
  std::string h = req.get_header_value("Authorization");
  auto by_access = g.access_tokens.find(h.rfind("Bearer ", 0) == 0 ? h.substr(7) : "");
  if (by_access != g.access_tokens.end()) {
    g.accounts[by_access->second].requests++;
    return;
  }
  auto by_refresh = g.refresh_tokens.find(req.get_param_value("refresh_token"));
  if (by_refresh != g.refresh_tokens.end()) g.accounts[by_refresh->second].requests++;
}

template <typename H>
httplib::Server::Handler counted(H handler) {
  return [handler](const httplib::Request &req, httplib::Response &res) {
    t_request = ++g.next_request;
    t_arrived_ms = unix_now_ms();
    count_account_request(req);
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
  std::string port_file, served_log;
  bool live = false;
  double speed = 1;
  int64_t start = unix_now();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::stoi(v);
    else if (k == "--port-file") port_file = v;
    else if (k == "--accounts") accounts = std::stoi(v);
    else if (k == "--videos") videos = std::stoi(v);
    else if (k == "--client-key") g.client_key = v;
    else if (k == "--client-secret") g.client_secret = v;
    else if (k == "--day") g.day = std::stoi(v);
    else if (k == "--live") live = v != "0";
    else if (k == "--speed") speed = std::stod(v);
    else if (k == "--start") start = std::stoll(v);
    else if (k == "--history-days") g.live_settings.history_days = std::stod(v);
    else if (k == "--post-per-day") g.live_settings.post_per_day = std::stod(v);
    else if (k == "--delete-per-day") g.live_settings.delete_per_day = std::stod(v);
    else if (k == "--served-log") served_log = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  for (int i = 1; i <= accounts; ++i) add_account(i, videos);
  if (!served_log.empty()) g.served_log.open(served_log, std::ios::app);
  g.clock.set(start, speed);
  if (live) {
    g.live = true;
    live_build();
  }

  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(128); };
  // httplib writes headers and body separately; without TCP_NODELAY, Nagle and the
  // client's delayed ACK stall every keep-alive response by ~40 ms.
  svr.set_tcp_nodelay(true);
  svr.Get("/v2/user/info/", counted(user_info));
  svr.Post("/v2/video/list/", counted(video_list));
  svr.Post("/v2/video/query/", counted(video_query));
  svr.Get(R"(/_sim/cover/([A-Za-z0-9_-]+))", cover);
  svr.Post("/v2/oauth/token/", counted(oauth_token));
  svr.Post("/v2/oauth/revoke/", counted(oauth_revoke));
  svr.Get("/v2/auth/authorize/", authorize_page);
  svr.Post("/_sim/config", control);
  svr.Get("/_sim/stats", stats);
  svr.Get("/_sim/now", [](const httplib::Request &, httplib::Response &res) {  // cheap: no account walk
    std::lock_guard<std::mutex> lock(g.mu);
    send_json(res, 200, {{"sim_now", g.clock.now()}, {"speed", g.clock.speed()}, {"live", g.live}});
  });
  sim::install_webhook_sender(svr, {[] { std::lock_guard<std::mutex> l(g.mu); return g.client_key; },
                                    [] { std::lock_guard<std::mutex> l(g.mu); return g.client_secret; },
                                    [](const std::string &oid) { std::lock_guard<std::mutex> l(g.mu); g.accounts[oid].revoked = true; },
                                    [](const std::string &oid) -> int64_t {
                                      std::lock_guard<std::mutex> l(g.mu);
                                      auto it = g.accounts.find(oid);
                                      return it == g.accounts.end() ? 0 : it->second.requests;
                                    }});
  if (port == 0) port = svr.bind_to_any_port("127.0.0.1");
  else if (!svr.bind_to_port("127.0.0.1", port)) port = -1;
  if (port <= 0) {
    std::cerr << "tiktok_sim: cannot bind\n";
    return 1;
  }
  g.port = port;
  if (!port_file.empty()) std::ofstream(port_file) << port << "\n";
  std::cout << "tiktok_sim listening on 127.0.0.1:" << port << " (" << accounts << " accounts x "
            << videos << " videos)" << std::endl;
  return svr.listen_after_bind() ? 0 : 1;
}
