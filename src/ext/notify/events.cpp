#include "ext/notify/events.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "ext/pg/spi.h"

namespace tthub::notify {
namespace {

// A server running this library over an extension not yet updated to 0.4 has no
// outbox: the change still commits, without its event.
bool outbox_installed() {
  return spi::exec("SELECT 1 WHERE to_regprocedure('tthub._emit_event(text,varchar,jsonb)') IS NOT NULL", {}) == 1;
}

}  // namespace

void emit(const char *event, const std::string &store_code, const std::string &data_json) {
  if (!outbox_installed()) return;
  spi::exec("SELECT tthub._emit_event($1::text, $2::varchar, $3::jsonb)",
            {spi::text(event), spi::text(store_code), spi::text(data_json)});
}

void account_status_changed(const std::string &store_code, const std::string &open_id, const char *status,
                            const std::string &reason) {
  nlohmann::json data = {{"open_id", open_id}};
  if (std::strcmp(status, "CONNECTED") == 0) {
    emit("account.connected", store_code, data.dump());
  } else if (std::strcmp(status, "NEED_RECONNECT") == 0) {
    data["reason"] = reason;
    emit("account.need_reconnect", store_code, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void job_finished(const std::string &store_code, int64_t job_id, const std::string &state, bool refunded,
                  const std::string &error, long http_status) {
  bool failed_attempt = state == "failed" || state == "dead" || (state == "queued" && !refunded && !error.empty());
  if (!failed_attempt) return;
  nlohmann::json data = {{"job_id", job_id}, {"error", error}, {"next_state", state}};
  if (http_status) data["http_status"] = http_status;
  std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  emit("sync.failed", store_code, json);
  if (state == "dead") emit("job.dead", store_code, json);
}

}  // namespace tthub::notify
