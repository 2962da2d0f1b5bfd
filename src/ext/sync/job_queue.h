// The sync job queue (table tthub.sync_jobs) as the worker sees it. The SQL side
// (tthub_sync, tthub_sync_all, tthub_retry_job) lives in the extension script.
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ext/sync/sync_engine.h"

namespace tthub::queue {

// Leases up to max_jobs due jobs to this process: at most one per store, none of a
// store that has a running job.
std::vector<JobSpec> claim(int max_jobs);
// Milliseconds until the next claimable queued job is due (-1 when none is queued).
int64_t next_due_ms();
// Jobs of dead workers back to the queue (or dead when their attempts are spent).
int requeue_orphans(int max_attempts);
// Shutdown: every job this process is running back to the queue without spending
// an attempt, waiting at most lock_timeout_ms for row locks. Returns how many.
int requeue_running(const std::string &reason, int lock_timeout_ms);
// Extends the lease of jobs this process is running.
void heartbeat(const std::vector<std::pair<std::string, int64_t>> &jobs);

struct Finish {
  std::string state;        // done, failed, queued, dead
  bool refund_attempt = false;  // a rate-limited, interrupted or store-busy attempt costs nothing
  int64_t run_after_ms = 0;     // from now, for queued
  std::string error;
  long http_status = 0;
};
// The one place where a job's final (or next) state is written.
void finish(const std::string &store_code, int64_t job_id, const Finish &f);

// Deletes finished jobs and logs older than the retention; returns rows deleted.
int64_t prune(int retention_days);

}  // namespace tthub::queue
