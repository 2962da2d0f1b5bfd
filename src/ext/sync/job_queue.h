// The sync job queue (table tthub.sync_jobs): every C++ write to it is here, for the
// worker and for tthub_sync_now. Every SQL function that writes it (tthub_sync,
// tthub_sync_all, tthub_retry_job, _claim_jobs, ...) is in
// src/extension_sql/functions/30-queue.sql. Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/job_outcome.h"
#include "ext/sync/sync_engine.h"

namespace tthub::queue {

// A running job's lease: a job whose lease passed is taken back from its worker (the
// orphan requeue). The worker renews the leases of its jobs every few seconds
// (heartbeat) and with each page; the lease only has to outlive a stalled worker's
// last renewal by a margin.
inline constexpr int64_t kLeaseSeconds = 600;

// The store's job for today (tthub._enqueue): a new one, which wakes the worker when
// the transaction commits, or the one already pending. Returns its id.
int64_t enqueue(const std::string &store_code, const char *job_type);

// Leases up to max_jobs due jobs to this process: at most one per store, none of a
// store that has a running job.
std::vector<JobSpec> claim(int max_jobs);
// Milliseconds until the next claimable queued job is due (-1 when none is queued).
int64_t next_due_ms();
// Jobs of dead workers (their process is gone, or their lease passed) back to the
// queue, or dead when their attempts are spent: the outcome jobs::decide gives a
// lost worker, written by finish() with its events. Returns how many.
int requeue_orphans(const jobs::Policy &policy);
// Shutdown: every job this process is running back to the queue without spending
// an attempt, waiting at most lock_waits::kWorkerMs for row locks. Returns how many.
int requeue_running(const std::string &reason);
// Extends the lease of jobs this process is running.
void heartbeat(const std::vector<std::pair<std::string, int64_t>> &jobs);

// tthub_sync_now: today's queued job of the store, or a new manual_sync job, as
// running in this backend. Empty when today's job is running elsewhere.
std::optional<JobSpec> claim_or_create(const std::string &store_code, int32_t today);

// The job's progress: the account it is on and that account-day's pages and videos so
// far; renews the lease.
void progress(const std::string &store_code, int64_t job_id, const std::string &open_id, int pages,
              int64_t videos);
// The same write as a CTE named job, for a statement that writes a page and the job's
// progress in one round trip (snapshots::write_page). Arguments: the statement's
// parameter names, e.g. "$1".
#define TTHUB_JOB_PROGRESS_UPDATE(STORE, JOB, OPEN_ID, PAGES, VIDEOS, LEASE_SECONDS)                   \
  "UPDATE tthub.sync_jobs SET current_open_id = " OPEN_ID ", pages_fetched = " PAGES ", "              \
  "       videos_seen = " VIDEOS ", lease_until = now() + make_interval(secs => " LEASE_SECONDS "), "  \
  "       updated_at = now() "                                                                         \
  " WHERE store_code = " STORE " AND job_id = " JOB
#define TTHUB_JOB_PROGRESS_CTE(STORE, JOB, OPEN_ID, PAGES, VIDEOS, LEASE_SECONDS) \
  "job AS (" TTHUB_JOB_PROGRESS_UPDATE(STORE, JOB, OPEN_ID, PAGES, VIDEOS, LEASE_SECONDS) ")"

// The one place where a job's final (or next) state is written, as jobs::decide
// gave it, with the events it names.
void finish(const std::string &store_code, int64_t job_id, const jobs::Outcome &outcome);

// Deletes finished jobs and logs older than the retention; returns rows deleted.
int64_t prune(int retention_days);

}  // namespace tthub::queue
