// Drives the syncs of several stores at once over one libcurl multi handle, with one
// rate limiter per TikTok endpoint shared by all of them. Each store's accounts are
// synced one after another, each with one request on the wire at a time; how many
// stores run at once is the concurrency controller's answer (enough requests in
// flight to use the rate budget at the measured latency, fewer after 429s, at most
// tthub.max_concurrent_syncs). A transient failure of a request is retried in place
// (tthub.request_retries); an attempt that fails anyway resumes, next time, from the
// ledger's checkpoint of the account-day. Each response is applied in its own unit of DbWork, so
// no transaction is open while a request is on the wire (except in tthub_sync_now,
// whose DbWork is a subtransaction of the caller's).
//
// Why one process with libcurl multi rather than a worker per store: the work is
// waiting on TikTok, not CPU. One process holds one rate limiter without shared
// memory, takes no extra max_worker_processes slots, and its database writes are
// short set-based statements that one backend keeps up with (see bench/).
#pragma once

#include <array>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/account_refresh.h"
#include "core/account_sync.h"
#include "core/concurrency_controller.h"
#include "core/error.h"
#include "core/job_outcome.h"
#include "core/http_client.h"
#include "core/rate_limiter.h"
#include "ext/pg/db_work.h"
#include "ext/accounts/account_store.h"

namespace tthub {

struct EngineConfig {
  tiktok::SyncConfig sync;
  // Refresh jobs (issue 19): the tiers from the tthub.*_video_* settings and the
  // per-endpoint budget the planner spends.
  refresh::TierSettings tiers;
  refresh::Budget budget;
  int requests_per_minute = 600;
  long http_timeout_ms = 30000;
  // A token refresh waits this long for its answer (at least http_timeout_ms): TikTok
  // retires the presented refresh token as it answers, so an answer given up on is a
  // refresh token lost, and presenting the old one again only earns invalid_grant
  // (tiktok-api.md 2.4). libcurl counts the time the worker spends between two polls
  // (a statement waiting for a lock, up to lock_waits::kWorkerMs, a burst of writes),
  // so the answer may be read late even when TikTok sent it at once.
  long token_timeout_ms = 60000;
  int max_concurrent = 64;  // most requests in flight, so most stores syncing at once
  int max_rate_limited_responses = 20;  // 429s in a row before the job is rescheduled
  jobs::Policy jobs;  // attempts, retry backoff, a busy store's wait (core/job_outcome.h)
  int64_t max_retry_after_ms = 60000;  // longest pause of an endpoint after one 429
  // A job waits out a 429 pause up to this long in place; a longer one gives its slot
  // to another store (the job is requeued for when the pause ends), so a 429 storm on
  // one endpoint cannot keep the other endpoint idle.
  int64_t rate_limit_hold_ms = 3000;
};

struct JobSpec {
  std::string store_code;
  int64_t job_id = 0;
  int32_t snapshot_date = 0;  // DateADT
  int attempts = 0;           // including the current one
  std::string job_type;
  bool store_locked = false;  // the caller already holds the store lock (tthub_sync_now)
};

struct JobSummary {
  std::string store_code;
  int64_t job_id = 0;
  std::string state;  // final or next state of the job: done, failed, queued, dead (busy: tthub_sync_now only)
  int accounts = 0;
  int accounts_failed = 0;
  int accounts_superseded = 0;  // disconnected or reconnected during the sync
  int64_t videos = 0;
  int pages = 0;
  int64_t duration_ms = 0;
  long http_status = 0;
  std::string message;
};

class SyncEngine {
 public:
  SyncEngine(DbWork &db, EngineConfig config);
  ~SyncEngine();

  // Takes the store lock and loads the accounts. A job whose store another sync
  // holds goes back to the queue for store_busy_retry_ms without spending an
  // attempt (logged SKIPPED); it runs once that sync has ended.
  void add(const JobSpec &job);
  size_t active() const;
  // Nothing to drive: no job, no request (a revoke) on the wire.
  bool idle() const;
  // Jobs to claim now: the controller's target less those running (refresh jobs
  // waiting for their endpoint's limiter not counted), within max_concurrent.
  int wanted();

  // Sends what is due, waits up to max_wait_ms for responses, applies them (calling
  // check_interrupts between them). Returns how long until the next request is due
  // (-1 when nothing is active), 0 while a request is in flight.
  int64_t step(int max_wait_ms, const std::function<void()> &check_interrupts);
  std::vector<JobSummary> take_finished();

  // Active jobs (store, job) for the lease heartbeat.
  std::vector<std::pair<std::string, int64_t>> active_jobs() const;
  // On every way out of the worker (a stop, or an error that left its loop), first:
  // applies the token answers already received, waits up to max_wait_ms for token
  // refreshes on the wire and saves what they return (TikTok has rotated the refresh
  // token they answer), and tries once more to save pairs whose save failed.
  void finish_token_requests(int64_t max_wait_ms);
  // Shutdown: every job this process runs (active, or claimed and not yet added)
  // goes back to the queue without spending an attempt. Waits for row locks at most
  // as long as lock_waits allows; on failure it throws and the jobs stay running
  // until the orphan requeue takes them.
  void requeue_all(const std::string &reason);

  const EngineConfig &config() const { return config_; }

 private:
  struct Job;
  void start_next_account(Job &job);
  void send_due(int64_t now, int64_t *next_due);
  void apply(Job &job, const HttpResponse &response);
  void apply_refresh(Job &job, tiktok::Endpoint endpoint, const HttpResponse &response);
  void tokens_refreshed(Job &job, const tiktok::TokenSet &tokens);
  void retry_later(Job &job, tiktok::Endpoint endpoint, const tiktok::event::RetryLater &e);
  void response_completed(Job &job, tiktok::Endpoint endpoint, const HttpResponse &response,
                          int64_t duration_ms);
  void open_account_day(Job &job);
  void apply_batch(std::vector<HttpClient::Completed> done, const std::function<void()> &check_interrupts);
  bool awaits_tokens(uint64_t tag) const;
  void account_failed(Job &job, const tiktok::ApiFailure &failure);
  void account_succeeded(Job &job);
  void finish(Job &job);
  bool requeue_busy(Job &job);  // false: its row was locked (the job then finishes as a lock retry)
  void db(Job &job, const std::function<void()> &fn);
  void check_account_stops();
  void account_stopped(Job &job);
  void stop_for_retry(Job &job, const Error &e);
  void save_rotated(Job &job);
  void lost_tokens(Job &job);
  void warn_tokens(Job &job, const char *what, const Error &e);
  void pause(int64_t ms);
  bool write_account(Job &job, const std::function<void()> &fn);
  void account_superseded(Job &job, accounts::Holder holder);

  DbWork &db_;
  EngineConfig config_;
  HttpClient http_;
  std::array<SlidingWindowLimiter, tiktok::kEndpointCount> limiters_;  // one per endpoint (and token)
  ConcurrencyController controller_;
  std::map<uint64_t, std::unique_ptr<Job>> jobs_;
  std::vector<JobSummary> finished_;
  std::deque<HttpClient::Completed> received_;  // answers received, not applied yet
  uint64_t next_tag_ = 1;
  uint64_t next_revoke_ = 0;
};


}  // namespace tthub
