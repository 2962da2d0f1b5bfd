#include "ext/alerts/delivery_queue.h"

#include <algorithm>
#include <climits>

#include "ext/pg/lock_timeout.h"
#include "ext/pg/spi.h"

namespace tthub::alerts::deliveries {

std::vector<Claimed> claim(int max_total, int per_webhook) {
  uint64_t n = spi::exec(
      "SELECT store_code, delivery_id, webhook_id, attempts, event, occurred_at, data, url, secret_enc, format, "
      "       allow_private::text "
      "  FROM tthub._claim_deliveries($1::integer, $2::integer, "
      "                            pg_catalog.make_interval(secs => $3::double precision)::interval, "
      "                            $4::integer)",
      {spi::int4(max_total), spi::int4(per_webhook), spi::int8(kLeaseSeconds), spi::my_pid()});
  std::vector<Claimed> out;
  for (uint64_t i = 0; i < n; ++i) {
    Claimed c;
    c.store_code = spi::get_text(i, 1).value_or("");
    c.delivery_id = spi::get_int8(i, 2).value_or(0);
    c.webhook_id = spi::get_int8(i, 3).value_or(0);
    c.attempts = spi::get_int4(i, 4).value_or(1);
    c.event.delivery_id = c.delivery_id;
    c.event.event = spi::get_text(i, 5).value_or("");
    c.event.occurred_at = spi::get_text(i, 6).value_or("");
    c.event.store_code = c.store_code;
    c.event.data_json = spi::get_text(i, 7).value_or("{}");
    c.url = spi::get_text(i, 8).value_or("");
    c.secret_enc = spi::get_bytea(i, 9).value_or(std::vector<uint8_t>{});
    c.format = spi::get_text(i, 10).value_or("json");
    c.allow_private = spi::get_text(i, 11).value_or("false") == "true";
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<int64_t> next_due_ms(int per_webhook) {
  spi::exec("SELECT tthub._next_delivery_due_ms($1::integer)", {spi::int4(per_webhook)});
  return spi::get_int8(0, 1);
}

std::string finish(const Attempt &a, int64_t retry_ms, int max_attempts) {
  spi::exec("SELECT tthub._finish_delivery($1::varchar, $2::bigint, ($3::integer <> 0)::boolean, nullif($4::integer, 0)::integer, "
            "nullif($5::text, '')::text, $6::integer, $7::bigint, $8::integer)",
            {spi::text(a.store_code), spi::int8(a.delivery_id), spi::int4(a.ok ? 1 : 0),
             spi::int4(static_cast<int32_t>(a.http_status)), spi::text(a.error),
             spi::int4(static_cast<int32_t>(std::min<int64_t>(a.duration_ms, INT32_MAX))), spi::int8(retry_ms),
             spi::int4(max_attempts)});
  return spi::get_text(0, 1).value_or("gone");
}

int requeue_orphans(int max_attempts) {
  spi::exec("SELECT tthub._requeue_orphan_deliveries($1::integer)", {spi::int4(max_attempts)});
  return spi::get_int4(0, 1).value_or(0);
}

void requeue_running() {
  lock_waits::bound();
  spi::exec(
      "UPDATE tthub.deliveries SET state = 'queued', attempts = greatest(attempts - 1, 0), run_after = now(), "
      "       lease_until = NULL, worker_pid = NULL, last_error = 'the worker stopped while sending it', "
      "       updated_at = now() "
      " WHERE worker_pid = $1::integer AND state = 'running'",
      {spi::my_pid()});
}

int64_t prune(int retention_days) {
  spi::exec("SELECT tthub._prune_events($1::integer)", {spi::int4(retention_days)});
  return spi::get_int8(0, 1).value_or(0);
}

}  // namespace tthub::alerts::deliveries
