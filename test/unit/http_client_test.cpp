// HttpClient policies against a local server: no redirects, a body cap, Retry-After,
// timeouts, concurrency.
#include "core/http_client.h"

#include "core/address_policy.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <ctime>
#include <thread>

using tthub::HttpClient;
using tthub::HttpRequest;
using tthub::HttpResponse;

namespace {

class LocalServer {
 public:
  LocalServer() {
    server_.Get("/ok", [](const httplib::Request &req, httplib::Response &res) {
      res.set_content("auth=" + req.get_header_value("Authorization"), "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request &req, httplib::Response &res) {
      res.set_content(req.body, "application/json");
    });
    server_.Get("/redirect", [](const httplib::Request &, httplib::Response &res) {
      res.set_redirect("/ok");
    });
    server_.Get("/big", [](const httplib::Request &, httplib::Response &res) {
      res.set_content(std::string(4096, 'x'), "text/plain");
    });
    server_.Get("/throttled", [](const httplib::Request &, httplib::Response &res) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      res.set_content("{}", "application/json");
    });
    // Retry-After in its other forms: an HTTP date, a huge number, garbage, zero.
    server_.Get("/throttled/(.*)", [](const httplib::Request &req, httplib::Response &res) {
      res.status = 429;
      std::string v = req.matches[1];
      if (v == "date") {
        char buf[64];
        std::time_t at = std::time(nullptr) + 120;
        std::tm tm{};
        gmtime_r(&at, &tm);
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        v = buf;
      } else if (v == "huge") {
        v = "99999999999999";
      } else if (v == "garbage") {
        v = "soon";
      }
      res.set_header("Retry-After", v);
      res.set_content("{}", "application/json");
    });
    server_.Get("/slow", [](const httplib::Request &, httplib::Response &res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the thread is listening does nothing (cpp-httplib 0.11), and the
    // destructor's join then waits forever: a test on a loaded machine hung so.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string &path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

HttpResponse fetch(HttpClient &client, HttpRequest req) {
  client.submit(req, 42);
  for (int i = 0; i < 100; ++i) {
    auto done = client.poll(100);
    if (!done.empty()) {
      EXPECT_EQ(done[0].first, 42u);
      return done[0].second;
    }
  }
  ADD_FAILURE() << "no response";
  return {};
}

HttpRequest get(const std::string &url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

HttpClient::Options small() {
  HttpClient::Options o;
  o.max_body_bytes = 1024;
  o.total_timeout_ms = 500;
  return o;
}

}  // namespace

TEST(HttpClient, SendsHeadersAndBodies) {
  LocalServer s;
  HttpClient c(small());
  HttpRequest r = get(s.url("/ok"));
  r.headers = {"Authorization: Bearer act.x"};
  HttpResponse got = fetch(c, r);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "auth=Bearer act.x");
  HttpRequest p;
  p.method = "POST";
  p.url = s.url("/echo");
  p.body = R"({"max_count":20})";
  EXPECT_EQ(fetch(c, p).body, R"({"max_count":20})");
}

TEST(HttpClient, DoesNotFollowRedirects) {
  LocalServer s;
  HttpClient c(small());
  HttpResponse got = fetch(c, get(s.url("/redirect")));
  EXPECT_EQ(got.status, 302) << "the Bearer header must not follow a redirect";
  EXPECT_TRUE(got.transport_error.empty());
}

TEST(HttpClient, CapsTheResponseBody) {
  LocalServer s;
  HttpClient c(small());
  HttpResponse got = fetch(c, get(s.url("/big")));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.transport_error, "response body exceeds 1024 bytes");
  EXPECT_TRUE(got.body.empty());
}

TEST(HttpClient, ReadsRetryAfter) {
  LocalServer s;
  HttpClient c(small());
  HttpResponse got = fetch(c, get(s.url("/throttled")));
  EXPECT_EQ(got.status, 429);
  ASSERT_TRUE(got.retry_after_seconds.has_value());
  EXPECT_EQ(*got.retry_after_seconds, 7);
}

TEST(HttpClient, ReadsRetryAfterInEveryForm) {
  LocalServer s;
  HttpClient c(small());
  HttpResponse date = fetch(c, get(s.url("/throttled/date")));
  ASSERT_TRUE(date.retry_after_seconds.has_value()) << "an HTTP date is a Retry-After too";
  EXPECT_GE(*date.retry_after_seconds, 110);
  EXPECT_LE(*date.retry_after_seconds, 121);
  HttpResponse huge = fetch(c, get(s.url("/throttled/huge")));
  ASSERT_TRUE(huge.retry_after_seconds.has_value());
  EXPECT_EQ(*huge.retry_after_seconds, 86400) << "bounded to a day here; the engine caps it further";
  EXPECT_FALSE(fetch(c, get(s.url("/throttled/garbage"))).retry_after_seconds.has_value());
  EXPECT_FALSE(fetch(c, get(s.url("/throttled/0"))).retry_after_seconds.has_value()) << "0: back off instead";
  EXPECT_FALSE(fetch(c, get(s.url("/ok"))).retry_after_seconds.has_value());
}

TEST(HttpClient, TimesOut) {
  LocalServer s;
  HttpClient c(small());
  HttpResponse got = fetch(c, get(s.url("/slow")));
  EXPECT_TRUE(got.timed_out);
  EXPECT_EQ(got.status, 0);
  EXPECT_NE(got.transport_error.find("Timeout"), std::string::npos);
}

TEST(HttpClient, RefusesOtherProtocolsAndReportsConnectionErrors) {
  HttpClient c(small());
  HttpResponse file = fetch(c, get("file:///etc/passwd"));
  EXPECT_EQ(file.status, 0);
  EXPECT_FALSE(file.transport_error.empty());
  EXPECT_TRUE(file.body.empty());
  HttpResponse refused = fetch(c, get("http://127.0.0.1:1/"));
  EXPECT_NE(refused.transport_error.find("network error"), std::string::npos);
}

TEST(HttpClient, RunsTransfersConcurrently) {
  LocalServer s;
  HttpClient::Options o = small();
  o.total_timeout_ms = 5000;
  HttpClient c(o);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < 4; ++i) c.submit(get(s.url("/slow")), i);
  size_t done = 0;
  while (done < 4) done += c.poll(100).size();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 4000) << "four 1.5 s requests in parallel, not in series";
  EXPECT_EQ(c.in_flight(), 0u);
}

// Webhooks of a non-superuser never connect to an internal address, loopback
// included (the database host's own ports).
TEST(HttpClient, RefusesInternalAddressesWhenAsked) {
  LocalServer s;
  HttpClient c(small());
  HttpRequest r = get(s.url("/ok"));
  r.refuse_internal_addresses = true;
  HttpResponse refused = fetch(c, r);
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(refused.transport_error, tthub::kUnreachableHostError);
  // Anything is reachable when the request does not ask for the check.
  EXPECT_EQ(fetch(c, get(s.url("/ok"))).status, 200);
  // That request left a connection to the address open: a checked one may not reuse it.
  EXPECT_EQ(fetch(c, r).transport_error, tthub::kUnreachableHostError);
}

// "Internal" and "does not resolve" read the same, so a webhook's errors cannot tell
// which internal names exist.
TEST(HttpClient, AnInternalAddressAndAnUnknownNameReadTheSame) {
  LocalServer s;
  HttpClient c(small());
  HttpRequest internal = get(s.url("/ok"));
  internal.refuse_internal_addresses = true;
  HttpRequest unknown = get("http://no-such-host.invalid/ok");
  unknown.refuse_internal_addresses = true;
  HttpResponse a = fetch(c, internal), b = fetch(c, unknown);
  EXPECT_FALSE(a.transport_error.empty());
  EXPECT_EQ(a.transport_error, b.transport_error);
  EXPECT_EQ(a.status, b.status);
}
