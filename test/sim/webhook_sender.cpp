// POST /_sim/webhook, a JSON object (every member optional but url):
//   url          where to POST (http://127.0.0.1:PORT/tiktok/webhook)
//   event        default "authorization.removed"
//   open_id      user_openid, default "sim-open-1"
//   reason       authorization.removed's reason, default 1
//   content      the "content" string instead of {"reason": N}
//   pad_bytes    content of this many bytes instead (an oversized body)
//   create_time  default now
//   client_key   instead of the simulator's
//   body         the raw body instead of the one built from the above
//   signature    "valid" (default), "none" (no header), "bad" (one hex digit changed),
//                "other_secret", "tamper_body" (signed, then one byte of the body changed),
//                or "raw:<header>" sent as is
//   t_offset     seconds added to the signed timestamp (stale or future)
//   revoke       authorization.removed revokes the account first (default true)
//   repeat       send the same request this many times, one after another (replays)
//   count, rate  send count distinct events at rate per second (create_time counts up);
//                latencies are measured from each one's scheduled time
// Answer: {"statuses": [...], "status": last, "body": last body, "ms": [...],
//          "p50_ms", "p99_ms", "max_ms", "account_requests_at_answer"}
#include "webhook_sender.h"

#include <nlohmann/json.hpp>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using nlohmann::json;

namespace sim {
namespace {

// The simulator signs as TikTok does with code of its own, not tthub's: a mistake in
// tthub's HMAC cannot hide behind the same mistake here.
std::string hmac_hex(const std::string &key, const std::string &msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(msg.data()),
       msg.size(), mac, &len);
  static const char *digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(digits[mac[i] >> 4]);
    hex.push_back(digits[mac[i] & 15]);
  }
  return hex;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Target {
  std::string scheme_host_port, path;
};

bool split_url(const std::string &url, Target *t) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t slash = url.find('/', scheme + 3);
  t->scheme_host_port = url.substr(0, slash);
  t->path = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

struct Outgoing {
  std::string body;
  std::string signature;  // empty: no header
};

// The body TikTok would send, and its signature as the request asks.
Outgoing build(const json &c, const WebhookHooks &hooks, int64_t create_time) {
  std::string event = c.value("event", "authorization.removed");
  Outgoing o;
  if (c.contains("body")) {
    o.body = c["body"].get<std::string>();
  } else {
    std::string content = c.contains("content") ? c["content"].get<std::string>()
                                                : "{\"reason\": " + std::to_string(c.value("reason", 1)) + " }";
    if (c.contains("pad_bytes")) content = std::string(c["pad_bytes"].get<size_t>(), 'a');
    o.body = json{{"client_key", c.value("client_key", hooks.client_key())},
                  {"event", event},
                  {"create_time", create_time},
                  {"user_openid", c.value("open_id", "sim-open-1")},
                  {"content", content}}
                 .dump();
  }
  std::string mode = c.value("signature", "valid");
  int64_t t = unix_now() + c.value("t_offset", 0);
  std::string ts = std::to_string(t);
  std::string secret = mode == "other_secret" ? "not-the-client-secret" : hooks.client_secret();
  std::string sig = hmac_hex(secret, ts + "." + o.body);
  if (mode == "bad") sig[10] = sig[10] == 'a' ? 'b' : 'a';
  if (mode == "none") return o;
  if (mode.rfind("raw:", 0) == 0) {
    o.signature = mode.substr(4);
    return o;
  }
  o.signature = "t=" + ts + ",s=" + sig;
  if (mode == "tamper_body" && !o.body.empty()) {
    size_t at = o.body.find_first_of("0123456789");
    if (at == std::string::npos) at = o.body.size() - 1;
    o.body[at] = o.body[at] == '9' ? '8' : static_cast<char>(o.body[at] + 1);
  }
  return o;
}

struct Sent {
  int status = 0;  // 0: no answer
  std::string body;
  double ms = 0;
};

Sent post(const Target &t, const Outgoing &o) {
  httplib::Client client(t.scheme_host_port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Headers headers;
  if (!o.signature.empty()) headers.emplace("TikTok-Signature", o.signature);
  auto start = std::chrono::steady_clock::now();
  auto r = client.Post(t.path, headers, o.body, "application/json");
  Sent s;
  s.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (r) {
    s.status = r->status;
    s.body = r->body;
  }
  return s;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void send_webhooks(const WebhookHooks &hooks, const httplib::Request &req, httplib::Response &res) {
  json c = json::parse(req.body, nullptr, false);
  Target target;
  if (c.is_discarded() || !c.is_object() || !c.contains("url") || !split_url(c["url"].get<std::string>(), &target)) {
    res.status = 400;
    res.set_content(R"({"error":"a JSON object with url is required"})", "application/json");
    return;
  }
  std::string event = c.value("event", "authorization.removed");
  std::string open_id = c.value("open_id", "sim-open-1");
  if (event == "authorization.removed" && c.value("revoke", true) && !c.contains("body")) hooks.revoke(open_id);

  int64_t create_time = c.value("create_time", unix_now());
  std::vector<Sent> sent;
  int count = std::max(1, c.value("count", 1));
  if (count == 1) {
    Outgoing o = build(c, hooks, create_time);
    for (int i = 0; i < std::max(1, c.value("repeat", 1)); ++i) sent.push_back(post(target, o));
  } else {
    // A steady rate, each event distinct; senders in parallel so that a slow answer
    // does not delay the next event, and each latency counted from when its event
    // was due (a late send is the receiver's delay too).
    double rate = std::max(1.0, c.value("rate", 50.0));
    sent.resize(static_cast<size_t>(count));
    auto start = std::chrono::steady_clock::now();
    int threads = std::min(count, 16);  // below the shim's per-address connection cap
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) {
      pool.emplace_back([&, w] {
        for (int i = w; i < count; i += threads) {
          auto due = start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate));
          std::this_thread::sleep_until(due);
          Outgoing o = build(c, hooks, create_time + i);
          Sent s = post(target, o);
          s.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - due).count();
          sent[static_cast<size_t>(i)] = s;
        }
      });
    }
    for (auto &t : pool) t.join();
  }
  json statuses = json::array(), ms = json::array();
  std::vector<double> latencies;
  for (const Sent &s : sent) {
    statuses.push_back(s.status);
    ms.push_back(static_cast<int64_t>(s.ms + 0.5));
    latencies.push_back(s.ms);
  }
  json out = {{"statuses", statuses}, {"status", sent.back().status}, {"body", sent.back().body}, {"ms", ms},
              {"p50_ms", percentile(latencies, 0.5)}, {"p99_ms", percentile(latencies, 0.99)},
              {"max_ms", percentile(latencies, 1.0)},
              {"account_requests_at_answer", hooks.account_requests(open_id)}};
  if (count > 1) out.erase("ms");
  res.set_content(out.dump(), "application/json");
}

}  // namespace

void install_webhook_sender(httplib::Server &svr, WebhookHooks hooks) {
  svr.Post("/_sim/webhook", [hooks](const httplib::Request &req, httplib::Response &res) {
    send_webhooks(hooks, req, res);
  });
}

}  // namespace sim
