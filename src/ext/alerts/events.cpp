#include "ext/alerts/events.h"

#include <nlohmann/json.hpp>

#include "ext/config/installed_sql.h"
#include "ext/pg/spi.h"

namespace tthub::alerts {

void emit(const char *event, const std::string &store_code, const std::string &data_json) {
  // A server running this library over an extension not yet updated to 0.4 has no
  // outbox: the change still commits, without its event.
  if (!installed::sql().has_alerts()) return;
  spi::exec("SELECT tthub._emit_event($1, $2::varchar, $3::jsonb)",
            {spi::text(event), spi::text(store_code), spi::text(data_json)});
}

void account_status_changed(const std::string &store_code, const std::string &open_id, const char *status,
                            const std::string &reason) {
  std::optional<const char *> event = jobs::account_event(status);
  if (!event) return;
  nlohmann::json data = {{"open_id", open_id}};
  if (std::string_view(status) != "CONNECTED") data["reason"] = reason;
  emit(*event, store_code, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void job_finished(const std::string &store_code, int64_t job_id, const jobs::Outcome &o) {
  if (!o.sync_failed_event && !o.job_dead_event) return;
  nlohmann::json data = {{"job_id", job_id}, {"error", o.error}, {"next_state", jobs::state_name(o.state)}};
  if (o.http_status) data["http_status"] = o.http_status;
  std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (o.sync_failed_event) emit("sync.failed", store_code, json);
  if (o.job_dead_event) emit("job.dead", store_code, json);
}

}  // namespace tthub::alerts
