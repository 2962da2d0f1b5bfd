#include "core/job_outcome.h"

#include <algorithm>

#include "core/backoff.h"

namespace tthub::jobs {

using tiktok::FailureKind;

const char *state_name(State s) {
  switch (s) {
    case State::kDone: return "done";
    case State::kFailed: return "failed";
    case State::kQueued: return "queued";
    case State::kDead: return "dead";
  }
  return "failed";
}

namespace {

// A failed attempt that cost one: retried after a backoff, or dead when it was the last.
Outcome spent(const Attempt &a, const Policy &p, std::string error, bool prefix_dead) {
  Outcome o;
  o.http_status = a.http_status;
  o.sync_failed_event = true;
  if (a.attempts >= p.max_attempts) {
    o.state = State::kDead;
    o.error = prefix_dead ? "gave up after " + std::to_string(a.attempts) + " attempts: " + error : error;
    o.job_dead_event = true;
  } else {
    o.state = State::kQueued;
    o.error = std::move(error);
  }
  return o;
}

}  // namespace

Outcome decide(const Attempt &a, const Policy &p, double jitter) {
  Outcome o;
  switch (a.ending) {
    case Ending::kAccountsTried:
      o.http_status = a.http_status;
      if (a.accounts == 0) {
        o.state = State::kFailed;
        o.error = kNoAccount;
      } else if (a.accounts_superseded == a.accounts) {
        o.state = State::kDone;  // their owners' disconnect or reconnect won: nothing failed
        o.error = kAllSupersededError;
      } else if (a.accounts_failed > 0 && a.accounts_failed + a.accounts_superseded == a.accounts) {
        o.state = State::kFailed;
        o.error = a.error;
      } else {
        o.state = State::kDone;  // some accounts may have failed: the job is done all the same
        if (a.accounts_failed) o.error = a.error;
      }
      o.sync_failed_event = o.state == State::kFailed;
      return o;
    case Ending::kRetryLater:
      o = spent(a, p, a.error, true);
      if (o.state == State::kQueued) o.run_after_ms = backoff_delay_ms(a.attempts, p.retry_base_ms, p.retry_cap_ms, jitter);
      return o;
    case Ending::kWorkerLost:
      // Back at once: nothing says the store itself has a problem.
      return spent(a, p, kWorkerLostError, false);
    case Ending::kRateLimited:
      o.state = State::kQueued;  // the next free slot, no attempt spent
      o.refund_attempt = true;
      o.run_after_ms = std::max<int64_t>(1000, a.resume_in_ms);
      o.error = a.error;
      o.http_status = a.http_status;
      return o;
    case Ending::kStoreBusy:
      o.state = State::kQueued;
      o.refund_attempt = true;
      o.run_after_ms = p.store_busy_retry_ms;
      o.error = kStoreBusyError;
      return o;
    case Ending::kWorkerStopped:
      o.state = State::kQueued;
      o.refund_attempt = true;
      o.error = a.error;
      return o;
    case Ending::kLockBusy:
      // Someone else's open transaction, not the store's failure: no attempt, no event.
      o.state = State::kQueued;
      o.refund_attempt = true;
      o.run_after_ms = p.store_busy_retry_ms;
      o.error = a.error;
      return o;
    case Ending::kConfiguration:
      // The server's, not the store's: never dead, no event (one alert watches the
      // key: tthub_token_key_loaded); retried after the first retry's backoff.
      o.state = State::kQueued;
      o.refund_attempt = true;
      o.run_after_ms = backoff_delay_ms(std::max(a.attempts, 1), p.retry_base_ms, p.retry_cap_ms, jitter);
      o.error = a.error;
      return o;
  }
  return o;
}

std::optional<const char *> account_status_after(FailureKind kind) {
  switch (kind) {
    case FailureKind::kReconnect: return "NEED_RECONNECT";
    case FailureKind::kFatal:
    case FailureKind::kTokenInvalid: return "ERROR";
    default: return std::nullopt;
  }
}

bool retries_job(FailureKind kind) {
  return kind == FailureKind::kRetryable || kind == FailureKind::kMalformed || kind == FailureKind::kRateLimited;
}

std::optional<const char *> account_event(std::string_view status) {
  if (status == "CONNECTED") return "account.connected";
  if (status == "NEED_RECONNECT") return "account.need_reconnect";
  return std::nullopt;
}

}  // namespace tthub::jobs
