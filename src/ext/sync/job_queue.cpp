#include "ext/sync/job_queue.h"

#include "core/backoff.h"
#include "core/clock.h"
#include "ext/alerts/events.h"
#include "ext/config/installed_sql.h"
#include "ext/pg/lock_timeout.h"
#include "ext/pg/spi.h"

namespace tthub::queue {

int64_t enqueue(const std::string &store_code, const char *job_type) {
  spi::exec("SELECT tthub._enqueue($1::text, $2::text)", {spi::text(store_code), spi::text(job_type)});
  return spi::get_int8(0, 1).value_or(0);
}

std::vector<JobSpec> claim(int max_jobs) {
  uint64_t n = spi::exec(
      "SELECT store_code::text, job_id, snapshot_date, attempts, job_type "
      "  FROM tthub._claim_jobs($1::integer, pg_catalog.make_interval(secs => $2::double precision)::interval, "
      "                      $3::integer)",
      {spi::int4(max_jobs), spi::int8(kLeaseSeconds), spi::my_pid()});
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
  // it would spin. No claimable job gives NULL (-1 here), not 0: an idle worker that
  // took it for "due now" polled the queue 20 times a second. The query, and why its
  // plan reads only the queue's head, is beside the claim's (functions/30-queue.sql).
  if (installed::sql().has_next_job_due()) {
    spi::exec("SELECT tthub._next_job_due_ms()", {});
    return spi::get_int8(0, 1).value_or(-1);
  }
  // SQL older than 0.5 (before ALTER EXTENSION tthub UPDATE) has neither the function
  // nor tthub._claimable_jobs: the rule of that view, written out for 0.4 alone.
  uint64_t n = spi::exec(
      "SELECT greatest(0, ceil(extract(epoch FROM q.run_after - now()) * 1000))::bigint "
      "  FROM tthub.sync_jobs q WHERE q.state = 'queued' "
      "   AND NOT EXISTS (SELECT 1 FROM tthub.sync_jobs r WHERE r.store_code = q.store_code AND r.state = 'running') "
      "   AND NOT EXISTS (SELECT 1 FROM tthub.stores s WHERE s.store_code = q.store_code AND s.disabled_at IS NOT NULL) "
      " ORDER BY q.run_after, q.job_id LIMIT 1",
      {});
  return n > 0 ? spi::get_int8(0, 1).value_or(-1) : -1;
}

int requeue_orphans(const jobs::Policy &policy) {
  // Locked by the statement that finds them (the orphan check reads this node's
  // pg_stat_activity: on Citus it runs on the coordinator), so that nobody else
  // finishes them meanwhile; then each is finished like any attempt, by the one rule.
  uint64_t n = spi::exec(
      "UPDATE tthub.sync_jobs j SET updated_at = now() "
      " WHERE j.state = 'running' "
      "   AND (j.lease_until < now() "
      "        OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a "
      "                        WHERE a.pid = j.worker_pid AND a.backend_start <= j.started_at)) "
      "RETURNING j.store_code, j.job_id, j.attempts",
      {});
  struct Orphan {
    std::string store_code;
    int64_t job_id;
    int attempts;
  };
  std::vector<Orphan> orphans;
  for (uint64_t i = 0; i < n; ++i)
    orphans.push_back({spi::get_text(i, 1).value_or(""), spi::get_int8(i, 2).value_or(0), spi::get_int4(i, 3).value_or(0)});
  for (const Orphan &o : orphans) {
    jobs::Attempt a;
    a.ending = jobs::Ending::kWorkerLost;
    a.attempts = o.attempts;
    finish(o.store_code, o.job_id, jobs::decide(a, policy, jitter_unit()));
  }
  return static_cast<int>(orphans.size());
}

int requeue_running(const std::string &reason) {
  jobs::Attempt a;
  a.ending = jobs::Ending::kWorkerStopped;
  a.error = reason;
  jobs::Outcome o = jobs::decide(a, jobs::Policy{}, 0);
  // Bounded: a row lock someone holds on a job must not keep the worker from exiting.
  lock_waits::bound();
  // By process rather than by the engine's jobs: a job claimed but not yet started
  // is running too. No events: a stop costs the job nothing.
  return static_cast<int>(spi::exec(
      "UPDATE tthub.sync_jobs SET state = $1::tthub.job_state, attempts = greatest(attempts - $2, 0), "
      "       run_after = now() + make_interval(secs => $3 / 1000.0), "
      "       last_error = $4, lease_until = NULL, worker_pid = NULL, current_open_id = NULL, "
      "       finished_at = NULL, updated_at = now() "
      " WHERE worker_pid = $5::integer AND state = 'running'",
      {spi::text(jobs::state_name(o.state)), spi::int4(o.refund_attempt ? 1 : 0), spi::int8(o.run_after_ms),
       spi::text(o.error), spi::my_pid()}));
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
      "UPDATE tthub.sync_jobs j SET lease_until = now() + make_interval(secs => $3), updated_at = now() "
      "  FROM unnest($1::text[], $2::int8[]) AS a(store_code, job_id) "
      " WHERE j.store_code = a.store_code AND j.job_id = a.job_id AND j.state = 'running'",
      {spi::text_array(stores), spi::int8_array(ids), spi::int8(kLeaseSeconds)});
}

std::optional<JobSpec> claim_or_create(const std::string &store_code, int32_t today) {
  uint64_t n = spi::exec(
      "WITH claimed AS ( "
      "  UPDATE tthub.sync_jobs SET state = 'running', attempts = attempts + 1, worker_pid = $4::integer, "
      "         started_at = now(), lease_until = now() + make_interval(secs => $3), updated_at = now() "
      "   WHERE store_code = $1 AND snapshot_date = $2::date AND state = 'queued' "
      "  RETURNING store_code, job_id, snapshot_date, attempts, job_type), "
      "created AS ( "
      "  INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type, state, attempts, worker_pid, "
      "                               started_at, lease_until) "
      "  SELECT $1, $2::date, 'manual_sync', 'running', 1, $4::integer, now(), "
      "         now() + make_interval(secs => $3) "
      "   WHERE NOT EXISTS (SELECT 1 FROM claimed) "
      "  ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING "
      "  RETURNING store_code, job_id, snapshot_date, attempts, job_type) "
      "SELECT store_code::text, job_id, snapshot_date, attempts, job_type FROM claimed "
      "UNION ALL SELECT store_code::text, job_id, snapshot_date, attempts, job_type FROM created",
      {spi::text(store_code), spi::date(today), spi::int8(kLeaseSeconds), spi::my_pid()});
  if (n == 0) return std::nullopt;
  JobSpec j;
  j.store_code = store_code;
  j.job_id = spi::get_int8(0, 2).value_or(0);
  j.snapshot_date = spi::get_int4(0, 3).value_or(0);
  j.attempts = spi::get_int4(0, 4).value_or(1);
  j.job_type = spi::get_text(0, 5).value_or("manual_sync");
  return j;
}

void progress(const std::string &store_code, int64_t job_id, const std::string &open_id, int pages,
              int64_t videos) {
  spi::exec(TTHUB_JOB_PROGRESS_UPDATE("$1", "$2", "$3", "$4", "$5", "$6"),
            {spi::text(store_code), spi::int8(job_id), spi::text(open_id), spi::int4(pages), spi::int8(videos),
             spi::int8(kLeaseSeconds)});
}

void finish(const std::string &store_code, int64_t job_id, const jobs::Outcome &o) {
  bool final_state = o.state != jobs::State::kQueued;
  spi::exec(
      "UPDATE tthub.sync_jobs SET state = $3::tthub.job_state, attempts = greatest(attempts - $4, 0), "
      "       run_after = now() + make_interval(secs => $5 / 1000.0), last_error = nullif($6, ''), "
      "       last_http_status = nullif($7, 0), "
      "       finished_at = to_timestamp($8 / 1000.0), "
      "       lease_until = NULL, worker_pid = NULL, current_open_id = NULL, updated_at = now() "
      " WHERE store_code = $1 AND job_id = $2",
      {spi::text(store_code), spi::int8(job_id), spi::text(jobs::state_name(o.state)),
       spi::int4(o.refund_attempt ? 1 : 0), spi::int8(o.run_after_ms), spi::text(o.error),
       spi::int4(static_cast<int32_t>(o.http_status)),
       // finished_at: computed here, not with CASE ... now() in the UPDATE (Citus refuses that).
       final_state ? spi::int8(epoch_ms()) : spi::int8(std::optional<int64_t>())});
  alerts::job_finished(store_code, job_id, o);
}

int64_t prune(int retention_days) {
  spi::exec("SELECT tthub._prune($1::integer)", {spi::int4(retention_days)});
  return spi::get_int8(0, 1).value_or(0);
}

}  // namespace tthub::queue
