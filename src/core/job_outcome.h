// What becomes of a sync job after an attempt, what becomes of an account after a
// failure, and which events say so. Decided here once, as pure code: the sync engine
// (every way an attempt ends) and the orphan requeue (a job whose worker died) both
// write what this decides, through the queue (ext/sync/job_queue.h), which emits the
// events it names (ext/alerts/events.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/tiktok_api.h"

namespace tthub::jobs {

enum class State { kDone, kFailed, kQueued, kDead };
// The labels of the SQL type tthub.job_state.
const char *state_name(State s);

// How an attempt ended.
enum class Ending {
  kAccountsTried,  // every account was tried (each succeeded or failed for good)
  kRetryLater,     // a transient failure (network, 5xx, malformed, database): retried later
  kRateLimited,    // TikTok's rate limit paused the job: back when the pause ends
  kStoreBusy,      // another sync holds the store: back shortly
  kWorkerStopped,  // the worker is shutting down: back at once
  kWorkerLost,     // the worker running it died (the orphan requeue found it)
  kLockBusy,       // another transaction held a row past the lock timeout: back shortly
  kConfiguration,  // the server's configuration (the token key): retried until fixed
};

struct Attempt {
  Ending ending = Ending::kAccountsTried;
  int attempts = 0;  // attempts spent, this one included
  // kAccountsTried: accounts tried and how many failed; the last failure's message.
  int accounts = 0;
  int accounts_failed = 0;
  int accounts_superseded = 0;  // disconnected or reconnected during the sync: neither synced nor failed
  std::string error;     // the failure (kRetryLater, kRateLimited, failed accounts)
  long http_status = 0;  // of the failing response, 0 for none
  int64_t resume_in_ms = 0;  // kRateLimited: when the pause ends, from now
};

struct Policy {
  int max_attempts = 5;
  int64_t retry_base_ms = 30000;     // first retry of a failed attempt
  int64_t retry_cap_ms = 3600000;    // longest wait between retries
  int64_t store_busy_retry_ms = 5000;
};

struct Outcome {
  State state = State::kDone;
  bool refund_attempt = false;  // the attempt costs nothing (rate limit, busy store, stop)
  int64_t run_after_ms = 0;     // from now, when queued
  std::string error;            // sync_jobs.last_error; empty for none
  long http_status = 0;
  // Events: every attempt that cost one and failed is sync.failed; a job out of
  // attempts is job.dead too.
  bool sync_failed_event = false;
  bool job_dead_event = false;
};

// jitter: in [0,1) (core/backoff.h's jitter_unit()), spreads retries.
Outcome decide(const Attempt &a, const Policy &p, double jitter);

// Messages the rule writes, for the tests and the SQL that reads them.
inline constexpr const char *kNoAccount = "the store has no connected TikTok account";
inline constexpr const char *kWorkerLostError = "the worker running this job stopped";
inline constexpr const char *kStoreBusyError = "another sync of this store is running; this job waits for it";
inline constexpr const char *kAllSupersededError =
    "every account was disconnected or reconnected during the sync";

// An account whose request failed for good: the status it takes (NEED_RECONNECT or
// ERROR), or none (a transient failure leaves it as it is).
std::optional<const char *> account_status_after(tiktok::FailureKind kind);
// Whether the failure stops the job for a retry later (rather than only failing
// this account while the others go on).
bool retries_job(tiktok::FailureKind kind);
// The event an account status change emits: CONNECTED -> account.connected,
// NEED_RECONNECT -> account.need_reconnect (with the reason); others none.
std::optional<const char *> account_event(std::string_view status);

}  // namespace tthub::jobs
