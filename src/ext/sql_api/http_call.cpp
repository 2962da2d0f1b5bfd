#include "ext/sql_api/http_call.h"

#include "core/http_client.h"
#include "ext/pg/pg_bridge.h"
#include "ext/config/settings.h"

namespace tthub {

HttpResponse http_call(const HttpRequest &request) {
  HttpClient client(HttpClient::Options{10000, settings::http_timeout_ms, 1 << 20, 1});
  client.submit(request, 1);
  for (;;) {
    auto done = client.poll(250);
    if (!done.empty()) return std::move(done.front().second);
    pg_guard([] { CHECK_FOR_INTERRUPTS(); });
  }
}

}  // namespace tthub
