#include "ext/sync/job_queue.h"

#include "core/clock.h"
#include "ext/notify/events.h"
#include "ext/pg/spi.h"

namespace tthub::queue {

std::vector<JobSpec> claim(int max_jobs) {
  uint64_t n = spi::exec(
      "SELECT store_code::text, job_id, snapshot_date, attempts, job_type "
      "  FROM tthub._claim_jobs($1::integer, interval '10 minutes', pg_backend_pid()::integer)",
      {spi::int4(max_jobs)});
  std::vector<JobSpec> jobs;
  for (uint64_t i = 0; i < n; ++i) {
    JobSpec j;
    j.store_code = spi::get_text(i, 1).value_or("");
    j.job_id = spi::get_int8(i, 2).value_or(0);
    j.snapshot_date = spi::get_int4(i, 3).value_or(0);  // DateADT is an int4
    j.attempts = spi::get_int4(i, 4).value_or(1);
    j.job_type = spi::get_text(i, 5).value_or("daily_sync");
    jobs.push_back(std::move(j));
  }
  return jobs;
}

int64_t next_due_ms() {
  // A job whose store has a running job, or is disabled, is not claimable: waking for
  // it would spin.
  // No queued job gives NULL (-1 here), not 0: greatest(0, NULL) is 0, and an idle
  // worker that took it for "due now" polled the queue 20 times a second.
  spi::exec(
      "SELECT ceil(extract(epoch FROM min(q.run_after) - now()) * 1000)::bigint "
      "  FROM tthub.sync_jobs q WHERE q.state = 'queued' "
      "   AND NOT EXISTS (SELECT 1 FROM tthub.sync_jobs r WHERE r.store_code = q.store_code AND r.state = 'running') "
      "   AND NOT EXISTS (SELECT 1 FROM tthub.stores s WHERE s.store_code = q.store_code AND s.disabled_at IS NOT NULL)",
      {});
  std::optional<int64_t> ms = spi::get_int8(0, 1);
  if (!ms) return -1;
  return *ms < 0 ? 0 : *ms;
}

int requeue_orphans(int max_attempts) {
  spi::exec("SELECT tthub._requeue_orphans($1::integer)", {spi::int4(max_attempts)});
  return spi::get_int4(0, 1).value_or(0);
}

int requeue_running(const std::string &reason, int lock_timeout_ms) {
  // Bounded: a row lock someone holds on a job must not keep the worker from exiting.
  spi::exec("SELECT pg_catalog.set_config('lock_timeout', $1, true)",
            {spi::text(std::to_string(lock_timeout_ms))});
  return static_cast<int>(spi::exec(
      "UPDATE tthub.sync_jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), run_after = now(), "
      "       last_error = $1, lease_until = NULL, worker_pid = NULL, current_open_id = NULL, "
      "       finished_at = NULL, updated_at = now() "
      " WHERE worker_pid = pg_backend_pid() AND state = 'running'",
      {spi::text(reason)}));
}

void heartbeat(const std::vector<std::pair<std::string, int64_t>> &jobs) {
  if (jobs.empty()) return;
  std::vector<std::optional<std::string>> stores;
  std::vector<std::optional<int64_t>> ids;
  for (const auto &[store, id] : jobs) {
    stores.emplace_back(store);
    ids.emplace_back(id);
  }
  spi::exec(
      "UPDATE tthub.sync_jobs j SET lease_until = now() + interval '10 minutes', updated_at = now() "
      "  FROM unnest($1::text[], $2::int8[]) AS a(store_code, job_id) "
      " WHERE j.store_code = a.store_code AND j.job_id = a.job_id AND j.state = 'running'",
      {spi::text_array(stores), spi::int8_array(ids)});
}

void finish(const std::string &store_code, int64_t job_id, const Finish &f) {
  spi::exec(
      "UPDATE tthub.sync_jobs SET state = $3::tthub.job_state, attempts = greatest(attempts - $4, 0), "
      "       run_after = now() + make_interval(secs => $5 / 1000.0), last_error = nullif($6, ''), "
      "       last_http_status = nullif($7, 0), "
      "       finished_at = to_timestamp($8 / 1000.0), "
      "       lease_until = NULL, worker_pid = NULL, current_open_id = NULL, updated_at = now() "
      " WHERE store_code = $1 AND job_id = $2",
      {spi::text(store_code), spi::int8(job_id), spi::text(f.state), spi::int4(f.refund_attempt ? 1 : 0),
       spi::int8(f.run_after_ms), spi::text(f.error), spi::int4(static_cast<int32_t>(f.http_status)),
       // finished_at: computed here, not with CASE ... now() in the UPDATE (Citus refuses that).
       f.state == "queued" ? spi::int8(std::optional<int64_t>()) : spi::int8(epoch_ms())});
  notify::job_finished(store_code, job_id, f.state, f.refund_attempt, f.error, f.http_status);
}

int64_t prune(int retention_days) {
  spi::exec("SELECT tthub._prune($1::integer)", {spi::int4(retention_days)});
  return spi::get_int8(0, 1).value_or(0);
}

}  // namespace tthub::queue
