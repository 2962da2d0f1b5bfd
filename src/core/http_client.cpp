#include "core/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <map>
#include <new>
#include <string>

#include "core/address_policy.h"
#include "core/error.h"

namespace tthub {
namespace {

// A bound on what one Retry-After can say before the engine applies its own, smaller
// cap (tthub.max_retry_after): a day, so the value always fits a long.
constexpr curl_off_t kMaxRetryAfterSeconds = 86400;

struct Transfer {
  CURL *easy = nullptr;
  curl_slist *headers = nullptr;
  uint64_t tag = 0;
  size_t max_body = 0;
  bool oversized = false;
  bool refuse_internal = false;
  bool refused_address = false;  // the connection was refused by the address policy
  HttpResponse response;
};

// libcurl calls these from C: they must not throw.
size_t on_body(char *data, size_t size, size_t n, void *user) noexcept {
  auto *t = static_cast<Transfer *>(user);
  size_t len = size * n;
  if (t->response.body.size() + len > t->max_body) {
    t->oversized = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  try {
    t->response.body.append(data, len);
  } catch (...) {
    return 0;
  }
  return len;
}

// Called for every address libcurl is about to connect to, after name resolution (so
// a name that resolves, or rebinds, to an internal address is caught too).
curl_socket_t open_socket(void *user, curlsocktype purpose, curl_sockaddr *address) noexcept {
  auto *t = static_cast<Transfer *>(user);
  if (purpose != CURLSOCKTYPE_IPCXN ||
      (t->refuse_internal && is_internal_address(&address->addr, address->addrlen))) {
    t->refused_address = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

void global_init_once() {
  static bool done = false;  // the worker and backends are single-threaded
  if (!done) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error(sqlstate::kInternalError, "tthub: libcurl initialisation failed");
    done = true;
  }
}

}  // namespace

struct HttpClient::Impl {
  Options options;
  CURLM *multi = nullptr;
  std::map<CURL *, std::unique_ptr<Transfer>> transfers;

  void release(Transfer &t) {
    curl_multi_remove_handle(multi, t.easy);
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
  }
};

HttpClient::HttpClient(Options options) : impl_(std::make_unique<Impl>()) {
  global_init_once();
  impl_->options = options;
  impl_->multi = curl_multi_init();
  if (!impl_->multi) throw Error(sqlstate::kOutOfMemory, "tthub: cannot create a libcurl multi handle");
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_connections);
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_connections);
}

HttpClient::~HttpClient() {
  for (auto &entry : impl_->transfers) impl_->release(*entry.second);
  curl_multi_cleanup(impl_->multi);
}

size_t HttpClient::in_flight() const { return impl_->transfers.size(); }

void HttpClient::submit(const HttpRequest &request, uint64_t tag) {
  auto t = std::make_unique<Transfer>();
  t->tag = tag;
  t->max_body = impl_->options.max_body_bytes;
  t->easy = curl_easy_init();
  if (!t->easy) throw Error(sqlstate::kOutOfMemory, "tthub: cannot create a libcurl handle");
  for (const std::string &h : request.headers) {
    curl_slist *next = curl_slist_append(t->headers, h.c_str());
    if (!next) {
      curl_slist_free_all(t->headers);
      curl_easy_cleanup(t->easy);
      throw Error(sqlstate::kOutOfMemory, "tthub: cannot build request headers");
    }
    t->headers = next;
  }
  CURL *e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // Postgres owns the signals
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, impl_->options.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, request.timeout_ms > 0 ? request.timeout_ms : impl_->options.total_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "tthub/0.1");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  t->refuse_internal = request.refuse_internal_addresses;
  if (t->refuse_internal) {
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    // A proxy would connect for us, past the check: these requests go direct. Nor may
    // they ride on a connection a request without the check opened (to the same host
    // and port, allowed for another webhook): each opens its own, through the check.
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  }
  if (request.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
  }
  if (curl_multi_add_handle(impl_->multi, e) != CURLM_OK) {
    curl_slist_free_all(t->headers);
    curl_easy_cleanup(e);
    throw Error(sqlstate::kInternalError, "tthub: libcurl refused a transfer");
  }
  impl_->transfers.emplace(e, std::move(t));
}

std::vector<HttpClient::Completed> HttpClient::poll(int timeout_ms) {
  std::vector<Completed> done;
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  if (running > 0) {
    curl_multi_poll(impl_->multi, nullptr, 0, timeout_ms, nullptr);
    curl_multi_perform(impl_->multi, &running);
  }
  int left = 0;
  while (CURLMsg *msg = curl_multi_info_read(impl_->multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    auto it = impl_->transfers.find(msg->easy_handle);
    if (it == impl_->transfers.end()) continue;
    Transfer &t = *it->second;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    t.response.status = status;
    curl_off_t elapsed = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_TOTAL_TIME_T, &elapsed) == CURLE_OK) t.response.elapsed_us = elapsed;
    // libcurl parses both forms of Retry-After (seconds or an HTTP date); 0 means none
    // or one already past. How long to honour it is the caller's decision.
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
      t.response.retry_after_seconds = static_cast<long>(std::min<curl_off_t>(retry_after, kMaxRetryAfterSeconds));
    CURLcode rc = msg->data.result;
    if (t.refused_address || (t.refuse_internal && rc == CURLE_COULDNT_RESOLVE_HOST)) {
      // One text for both: which names resolve inside the network is not the sender's to learn.
      t.response.transport_error = kUnreachableHostError;
      t.response.status = 0;
    } else if (t.oversized) {
      t.response.transport_error = "response body exceeds " + std::to_string(t.max_body) + " bytes";
      t.response.body.clear();
    } else if (rc != CURLE_OK) {
      t.response.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
      t.response.transport_error = std::string("network error: ") + curl_easy_strerror(rc);
      t.response.status = 0;
    }
    done.emplace_back(t.tag, std::move(t.response));
    impl_->release(t);
    impl_->transfers.erase(it);
  }
  return done;
}

}  // namespace tthub
