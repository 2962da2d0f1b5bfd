#include "ext/sync/sync_engine.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <set>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/retry_policy.h"
#include "core/error.h"
#include "ext/config/installed_sql.h"
#include "ext/metrics/request_stats.h"
#include "ext/pg/lock_timeout.h"
#include "ext/pg/pg_bridge.h"
#include "ext/pg/postgres_headers.h"
#include "ext/pg/spi.h"
#include "ext/sync/account_stops.h"
#include "ext/accounts/account_store.h"
#include "ext/sync/job_queue.h"
#include "ext/sync/snapshot_writer.h"
#include "ext/sync/sync_log.h"
#include "ext/sync/store_lock.h"
#include "ext/sync/video_writer.h"

namespace tthub {

using tiktok::ApiFailure;
using tiktok::FailureKind;

namespace {

// TikTok times its window on arrival, tthub on sending: a request sent just as the
// window opens may arrive faster than the one it replaces did. Half a second of margin
// (0.8 % of the window) keeps such jitter from earning 429s.
constexpr int64_t kWindowMarginMs = 500;
// The concurrency controller's latency guess before the first response: low, so that
// a fast API is not flooded with stores at start; the first response corrects it.
constexpr int64_t kInitialLatencyMs = 100;
// A rotated token pair is saved in its own transaction, tried this many times with a
// doubling pause from kTokenSaveFirstPauseMs (a serialization failure, a deadlock, a
// lock timeout, a node error usually clear within a second or two).
constexpr int kTokenSaveTries = 5;
constexpr int64_t kTokenSaveFirstPauseMs = 100;
// Tags of revoke requests on the engine's multi handle: above every job's tag.
constexpr uint64_t kRevokeTagBase = uint64_t{1} << 62;

void wipe(std::string &s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

const char *kind_name(FailureKind k) {
  switch (k) {
    case FailureKind::kRetryable: return "retryable";
    case FailureKind::kRateLimited: return "rate limited";
    case FailureKind::kTokenInvalid: return "token invalid";
    case FailureKind::kReconnect: return "needs reconnect";
    case FailureKind::kMalformed: return "malformed response";
    case FailureKind::kFatal: return "rejected";
  }
  return "?";
}

}  // namespace

struct SyncEngine::Job {
  explicit Job(const JobSpec &s) : spec(s), lock(s.store_code) {}
  JobSpec spec;
  StoreLock lock;
  std::deque<accounts::Stored> pending;
  std::unique_ptr<tiktok::AccountSync> sync;        // daily, manual and first syncs
  std::unique_ptr<refresh::AccountRefresh> refresh;  // refresh jobs (issue 19)
  bool refresh_job = false;
  std::map<std::string, refresh::AccountWork> work;  // the refresh plan, per open_id
  bool resumed = false;         // the account's paging continued an earlier attempt
  bool pass_from_top = false;   // the refresh's full pass starts at the top: it discovers
  int pass_pages = 0;
  bool active() const { return sync || refresh; }
  tiktok::Endpoint endpoint() const { return sync ? sync->endpoint() : refresh->endpoint(); }
  HttpRequest request() const { return sync ? sync->request() : refresh->request(); }
  bool protocol_done() const { return sync ? sync->done() : refresh && refresh->done(); }
  void reset() {
    sync.reset();
    refresh.reset();
  }
  snapshots::Target target;
  int64_t account_started_ms = 0;  // epoch, for sync_logs
  int64_t account_videos = 0;
  long last_http = 0;
  bool in_flight = false;
  int64_t due_ms = 0;  // steady clock: not before
  int64_t sent_ms = 0;  // steady clock: when the request in flight was sent
  int account_retries = 0;  // requests of the account retried in place
  int rate_limited = 0;
  std::optional<ApiFailure> retry;  // the job stops and is retried later
  // Why it is retried when not for the failure itself: a lock another transaction
  // held, or the server's configuration (token key). Neither spends an attempt.
  enum class Requeue { kAttempt, kLockBusy, kConfig } requeue = Requeue::kAttempt;
  // The account being synced, as the row holds it: the refresh token the sync loaded
  // or last saved. Every account write checks the row still holds it.
  std::string stored_refresh;
  std::vector<uint8_t> stored_refresh_enc;  // its ciphertext as loaded (empty once rotated)
  // A pair TikTok rotated and the row does not hold yet: kept until saved.
  std::optional<tiktok::TokenSet> unsaved;
  // The access token of the last pair TikTok gave this sync for the account.
  std::string refreshed_access;
  bool finish_pending = false;  // its finish met a lock: written again when due
  bool done = false;
  int64_t started_ms = 0;
  JobSummary summary;
  uint64_t stops_seen = 0;  // account_stops::generation() when its accounts were last looked at
  bool drop_in_flight = false;  // the request on the wire was for an account since stopped
};

SyncEngine::SyncEngine(DbWork &db, EngineConfig config)
    : db_(db),
      config_(std::move(config)),
      http_(HttpClient::Options{10000, config_.http_timeout_ms, 8 << 20, config_.max_concurrent * 2L}),
      limiters_{SlidingWindowLimiter(config_.requests_per_minute, kWindowMarginMs),
                SlidingWindowLimiter(config_.requests_per_minute, kWindowMarginMs),
                SlidingWindowLimiter(config_.requests_per_minute, kWindowMarginMs),
                SlidingWindowLimiter(config_.requests_per_minute, kWindowMarginMs)},
      controller_(ConcurrencyController::Options{config_.requests_per_minute, config_.max_concurrent, kInitialLatencyMs}) {}

SyncEngine::~SyncEngine() = default;

size_t SyncEngine::active() const { return jobs_.size(); }

bool SyncEngine::idle() const { return jobs_.empty() && http_.in_flight() == 0; }

int SyncEngine::wanted() {
  // A refresh job waiting for a slot of its endpoint's limiter puts no request on the
  // wire: it does not count against the target, so that while one endpoint's budget is
  // spent, jobs with work for the others are running (a refresh reads three endpoints,
  // a daily sync nearly only video/list). At most max_concurrent jobs either way.
  int64_t now = steady_ms();
  int using_wire = 0;
  for (auto &[tag, job] : jobs_) {
    if (job->refresh && !job->in_flight && !job->finish_pending &&
        limiters_[static_cast<int>(job->endpoint())].next_slot(now) > now)
      continue;
    ++using_wire;
  }
  int room = config_.max_concurrent - static_cast<int>(jobs_.size());
  return std::max(0, std::min(controller_.target() - using_wire, room));
}

std::vector<JobSummary> SyncEngine::take_finished() { return std::exchange(finished_, {}); }

std::vector<std::pair<std::string, int64_t>> SyncEngine::active_jobs() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto &[tag, job] : jobs_) out.emplace_back(job->spec.store_code, job->spec.job_id);
  return out;
}


namespace {

// TikTok rotates the refresh token when it answers a refresh: from then on only the
// tokens in that response work. A cancel (SIGTERM, statement_timeout) must not drop
// them between the response and their commit, or the account needs reconnecting.
// Holding off the cancel only defers it; it is taken at the next interrupt check.
class CancelHold {
 public:
  CancelHold() { HOLD_CANCEL_INTERRUPTS(); }
  ~CancelHold() { RESUME_CANCEL_INTERRUPTS(); }
  CancelHold(const CancelHold &) = delete;
  CancelHold &operator=(const CancelHold &) = delete;
};

}  // namespace

bool SyncEngine::awaits_tokens(uint64_t tag) const {
  auto it = jobs_.find(tag);
  return it != jobs_.end() && it->second->in_flight && !it->second->drop_in_flight && it->second->active() &&
         it->second->endpoint() == tiktok::Endpoint::kToken;
}

void SyncEngine::apply_batch(std::vector<HttpClient::Completed> done, const std::function<void()> &check_interrupts) {
  // Token responses first and before any interrupt check (see CancelHold). What is not
  // applied yet stays in received_: an error or a stop between two responses leaves
  // the rest to finish_token_requests, which applies the rotated tokens among them.
  std::stable_partition(done.begin(), done.end(), [&](const HttpClient::Completed &c) { return awaits_tokens(c.first); });
  check_account_stops();
  for (auto &c : done) received_.push_back(std::move(c));
  while (!received_.empty()) {
    if (!awaits_tokens(received_.front().first)) check_interrupts();
    HttpClient::Completed c = std::move(received_.front());
    received_.pop_front();
    auto it = jobs_.find(c.first);
    if (it != jobs_.end()) apply(*it->second, c.second);
  }
}

void SyncEngine::finish_token_requests(int64_t max_wait_ms) {
  int64_t deadline = steady_ms() + max_wait_ms;
  // Each answer on its own: one that cannot be applied must not drop the next.
  auto apply_tokens = [&](HttpClient::Completed &c) {
    if (!awaits_tokens(c.first)) return;  // the job is going back to the queue anyway
    try {
      apply(*jobs_.at(c.first), c.second);
    } catch (const Error &e) {
      warn_tokens(*jobs_.at(c.first), "could not be applied at shutdown", e);
    }
  };
  // Received, not applied yet (an error left the loop between two responses).
  std::deque<HttpClient::Completed> received = std::exchange(received_, {});
  for (auto &c : received) apply_tokens(c);
  // Still on the wire.
  auto pending = [&] {
    for (auto &[tag, job] : jobs_)
      if (awaits_tokens(tag)) return true;
    return false;
  };
  while (pending() && steady_ms() < deadline)
    for (auto &c : http_.poll(static_cast<int>(std::min<int64_t>(250, deadline - steady_ms())))) apply_tokens(c);
  // Received but not saved (their save kept failing): one last round each.
  for (auto &[tag, job] : jobs_)
    if (job->unsaved) {
      save_rotated(*job);
      if (job->unsaved) lost_tokens(*job);
    }
}

// Runs database work for a job; a database error stops the job for a retry rather
// than the whole engine. A cancel, statement timeout or shutdown is not the job's
// error: it goes on up, to end the statement (tthub_sync_now) or the worker.
void SyncEngine::db(Job &job, const std::function<void()> &fn) {
  try {
    db_.run(fn);
  } catch (const Error &e) {
    if (is_operator_intervention(e)) throw;
    stop_for_retry(job, e);
  }
}

// A lock another transaction held past the lock timeout, or a token key the server
// has not loaded, is not the store's failure: the job is retried without spending an
// attempt, and no account's status changes. Any other database error costs an attempt.
void SyncEngine::stop_for_retry(Job &job, const Error &e) {
  ApiFailure f;
  f.kind = FailureKind::kRetryable;
  if (lock_waits::is_lock_timeout(e)) {
    f.message = "waited too long for a lock another transaction holds; retried later";
    job.requeue = Job::Requeue::kLockBusy;
  } else if (e.sqlstate() == sqlstate::kNotInPrerequisiteState) {
    f.message = std::string("configuration error: ") + e.what() + (e.detail().empty() ? "" : ": " + e.detail());
    job.requeue = Job::Requeue::kConfig;
  } else {
    f.message = std::string("database error: ") + e.what();
  }
  job.retry = f;
  job.reset();
}

// The pause between two tries of a token save; short, so not interruptible.
void SyncEngine::pause(int64_t ms) {
  pg_guard([&] { pg_usleep(static_cast<long>(ms) * 1000L); });
}

void SyncEngine::warn_tokens(Job &job, const char *what, const Error &e) {
  std::string store = job.target.store_code, open_id = job.target.open_id;
  pg_guard([&] {
    ereport(WARNING, (errmsg("tthub: store %s account %s: rotated tokens %s (SQLSTATE %s): %s", store.c_str(),
                             open_id.c_str(), what, e.sqlstate().c_str(), e.what())));
  });
}

void SyncEngine::lost_tokens(Job &job) {
  // Loud: TikTok has retired the refresh token the row holds; the owner will have to
  // reconnect unless the account's access token outlives the problem.
  std::string store = job.target.store_code, open_id = job.target.open_id;
  pg_guard([&] {
    ereport(WARNING, (errmsg("tthub: store %s account %s: the refresh token TikTok rotated could not be saved and is lost",
                             store.c_str(), open_id.c_str()),
                      errdetail("Every try to save it failed; the stored refresh token is the one TikTok retired."),
                      errhint("If the next sync of the store asks for a reconnect, send the owner a connect link.")));
  });
  wipe(job.unsaved->access_token);
  wipe(job.unsaved->refresh_token);
  job.unsaved.reset();
}

// Saves job.unsaved in its own unit of work (a transaction in the worker), tried
// kTokenSaveTries times: a serialization failure or a deadlock of one try does not
// lose what TikTok answered. The account must still be the one the sync loaded;
// otherwise the sync stops for it (account_superseded). When every try fails the
// pair stays in job.unsaved (tried again when the job finishes or the worker stops)
// and the job stops for a retry.
void SyncEngine::save_rotated(Job &job) {
  std::optional<Error> last;
  for (int i = 0; job.unsaved && i < kTokenSaveTries; ++i) {
    if (i > 0) pause(kTokenSaveFirstPauseMs << (i - 1));
    accounts::Holder holder = accounts::Holder::kSync;
    try {
      CancelHold hold;
      db_.run([&] {
        // TikTok has retired the old refresh token: this commit must survive a crash,
        // whatever synchronous_commit the worker runs with.
        spi::exec("SELECT pg_catalog.set_config('synchronous_commit', 'on', true)", {});
        holder = accounts::lock_if_unchanged(job.target.store_code, job.target.open_id, job.stored_refresh,
                                            job.stored_refresh_enc);
        if (holder == accounts::Holder::kSync)
          accounts::save_tokens(job.target.store_code, job.target.open_id, *job.unsaved);
      });
    } catch (const Error &e) {
      if (is_operator_intervention(e)) throw;
      last = e;
      if (e.sqlstate() == sqlstate::kNotInPrerequisiteState) break;  // the key: no retry helps
      std::string store = job.target.store_code, open_id = job.target.open_id;
      pg_guard([&] {
        ereport(LOG, (errmsg("tthub: store %s account %s: saving the rotated tokens failed (SQLSTATE %s), trying again",
                             store.c_str(), open_id.c_str(), e.sqlstate().c_str())));
      });
      continue;
    }
    if (holder != accounts::Holder::kSync) {
      account_superseded(job, holder);
      return;
    }
    wipe(job.stored_refresh);
    job.stored_refresh = job.unsaved->refresh_token;
    job.stored_refresh_enc.clear();
    wipe(job.unsaved->access_token);
    wipe(job.unsaved->refresh_token);
    job.unsaved.reset();
    return;
  }
  if (job.unsaved && last) {
    warn_tokens(job, "not saved yet, kept for another try", *last);
    if (!job.retry) stop_for_retry(job, *last);
    job.reset();
  }
}

// Someone else changed the account while this sync ran: a disconnect, a reconnect, an
// import, a deauthorization. Their change stands; the sync stops for the account.
// What this sync refreshed is revoked at TikTok when the account is gone; not after a
// reconnect, whose new authorization a revoke would end (TikTok's revoke removes the
// app from the user's account, tiktok-api.md 2.5).
void SyncEngine::account_superseded(Job &job, accounts::Holder holder) {
  std::string outcome = holder == accounts::Holder::kGone
                            ? "the account was disconnected during the sync; the sync stopped for it"
                            : "the account was reconnected during the sync; the sync stopped for it";
  std::string &refreshed = job.unsaved ? job.unsaved->access_token : job.refreshed_access;
  if (holder == accounts::Holder::kGone && !refreshed.empty()) {
    http_.submit(tiktok::revoke_request(config_.sync.api_base_url, config_.sync.client_key, config_.sync.client_secret,
                                        refreshed),
                 kRevokeTagBase + next_revoke_++);
    outcome += " and revoked at TikTok the tokens it had refreshed";
  }
  if (job.unsaved) {
    wipe(job.unsaved->access_token);
    wipe(job.unsaved->refresh_token);
    job.unsaved.reset();
  }
  wipe(job.refreshed_access);
  job.reset();
  job.summary.accounts_superseded++;
  db(job, [&] {
    sync_log::write(job.target.store_code, job.spec.job_id, job.target.open_id,
                           {job.spec.job_type, "SKIPPED", outcome, job.account_videos, job.last_http,
                            job.account_started_ms, job.account_retries});
  });
}

// An account write of the sync (status, last sync): only while the row is still the
// account the sync loaded. False when the account was superseded.
bool SyncEngine::write_account(Job &job, const std::function<void()> &fn) {
  accounts::Holder holder = accounts::Holder::kSync;
  db(job, [&] {
    holder = accounts::lock_if_unchanged(job.target.store_code, job.target.open_id, job.stored_refresh,
                                            job.stored_refresh_enc);
    if (holder == accounts::Holder::kSync) fn();
  });
  if (job.retry || holder == accounts::Holder::kSync) return true;
  account_superseded(job, holder);
  return false;
}

void SyncEngine::add(const JobSpec &spec) {
  auto job = std::make_unique<Job>(spec);
  job->started_ms = steady_ms();
  job->refresh_job = spec.job_type == "refresh";
  job->summary.store_code = spec.store_code;
  job->summary.job_id = spec.job_id;
  bool locked = spec.store_locked;
  // Read before the accounts are: a stop that commits after the load moves it on.
  job->stops_seen = account_stops::generation();
  db(*job, [&] {
    if (!locked) locked = job->lock.try_acquire();
    // Loaded under the lock: the tokens are those the previous sync of the store
    // committed, never a refresh token it already sent.
    if (locked) {
      auto loaded = accounts::load_syncable(spec.store_code);
      job->pending.assign(std::make_move_iterator(loaded.begin()), std::make_move_iterator(loaded.end()));
      if (installed::sql().has_videos()) videos::ensure_partitions();
      // What each account reads this round: the planner's answer for the store now.
      if (job->refresh_job)
        job->work = videos::plan_store(spec.store_code, spec.job_id, epoch_ms(), config_.tiers, config_.budget);
    }
  });
  if (!locked && !job->retry && requeue_busy(*job)) return;
  // (A busy store whose requeue met a lock goes back through finish(), which waits
  // for that lock again later.)
  uint64_t tag = next_tag_++;
  Job &j = *job;
  jobs_.emplace(tag, std::move(job));
  start_next_account(j);
}

void SyncEngine::start_next_account(Job &job) {
  while (!job.active() && !job.done) {
    if (job.retry || job.pending.empty()) {
      finish(job);
      return;
    }
    accounts::Stored account = std::move(job.pending.front());
    job.pending.pop_front();
    if (account.key_problem) {
      // The server's key, not the account: no status changes, the job is retried
      // (without spending an attempt) until the key is fixed.
      ApiFailure f;
      f.kind = FailureKind::kRetryable;
      f.message = "configuration error: " + *account.key_problem;
      job.retry = f;
      job.requeue = Job::Requeue::kConfig;
      job.pending.clear();
      continue;
    }
    job.target = {job.spec.store_code, account.credentials.open_id, job.spec.snapshot_date, job.spec.job_id};
    job.stored_refresh_enc = std::move(account.refresh_token_enc);
    job.account_started_ms = epoch_ms();
    job.account_videos = 0;
    job.account_retries = 0;
    job.last_http = 0;
    job.summary.accounts++;
    if (account.decrypt_error) {
      ApiFailure f;
      f.kind = FailureKind::kReconnect;
      f.message = "stored token cannot be used: " + *account.decrypt_error;
      account_failed(job, f);
      continue;
    }
    wipe(job.stored_refresh);
    wipe(job.refreshed_access);
    job.stored_refresh = account.credentials.refresh_token;
    if (job.refresh_job) {
      auto w = job.work.find(job.target.open_id);
      if (w == job.work.end() || w->second.empty()) continue;  // nothing due for it this round
      job.pass_from_top = w->second.list_pages > 0 && !w->second.list_cursor;
      job.pass_pages = 0;
      job.refresh = std::make_unique<refresh::AccountRefresh>(std::move(account.credentials), config_.sync,
                                                              std::move(w->second), epoch_ms() / 1000);
      if (job.refresh->precheck_failure()) {
        ApiFailure f = *job.refresh->precheck_failure();
        job.refresh.reset();
        account_failed(job, f);
        continue;
      }
      db(job, [&] { job.target.snapshot_date = snapshots::today(job.spec.store_code); });
      continue;  // a refresh is active: the loop ends
    }
    job.sync = std::make_unique<tiktok::AccountSync>(std::move(account.credentials), config_.sync, epoch_ms() / 1000);
    if (job.sync->precheck_failure()) {
      ApiFailure f = *job.sync->precheck_failure();
      job.sync.reset();
      account_failed(job, f);
      continue;
    }
    open_account_day(job);
  }
}

// The snapshot day is the day the account is observed: decided as its sync starts,
// not when the job was enqueued (a job enqueued before midnight and run after it
// writes under the new day; the ledger shows the old day incomplete). An earlier
// attempt's checkpoint of the same account-day is continued from.
void SyncEngine::open_account_day(Job &job) {
  db(job, [&] {
    job.target.snapshot_date = snapshots::today(job.spec.store_code);
    job.target.checkpoints = installed::sql().has_checkpoints();
    job.target.videos = installed::sql().has_videos();
    snapshots::Checkpoint c = snapshots::ledger_open(job.target);
    job.resumed = c.next_cursor.has_value();
    if (c.next_cursor) {
      job.sync->resume_from(*c.next_cursor, c.pages, c.videos);
      job.account_videos = c.videos;
    }
    queue::progress(job.target.store_code, job.target.job_id, job.target.open_id, c.pages, c.videos);
  });
}

// TikTok ended an account's authorization (authorization.removed): a backend took the
// account out of syncing and moved account_stops on at its commit. Its sync sends no
// further request and applies nothing more for it (an answer still on the wire is
// dropped when it lands); its job goes on with the store's other accounts. Checked
// before requests are sent and before answers are applied; one query, and only when
// the counter moved.
void SyncEngine::check_account_stops() {
  uint64_t generation = account_stops::generation();
  std::vector<Job *> stale;
  std::vector<std::optional<std::string>> stores, open_ids;
  for (auto &[tag, job] : jobs_) {
    if (job->done || job->stops_seen == generation) continue;
    stale.push_back(job.get());
    if (job->active()) {
      stores.emplace_back(job->spec.store_code);
      open_ids.emplace_back(job->target.open_id);
    }
    for (const accounts::Stored &p : job->pending) {
      stores.emplace_back(job->spec.store_code);
      open_ids.emplace_back(p.credentials.open_id);
    }
  }
  if (stale.empty()) return;
  std::set<std::pair<std::string, std::string>> stopped;
  try {
    db_.run([&] {
      uint64_t n = spi::exec(
          "SELECT a.store_code::text, a.open_id::text "
          "  FROM unnest($1::text[], $2::text[]) AS t(store_code, open_id) "
          "  JOIN tthub.store_accounts a ON a.store_code = t.store_code AND a.open_id = t.open_id "
          " WHERE a.status NOT IN ('CONNECTED', 'ERROR')",
          {spi::text_array(stores), spi::text_array(open_ids)});
      for (uint64_t i = 0; i < n; ++i) stopped.emplace(spi::get_text(i, 1).value_or(""), spi::get_text(i, 2).value_or(""));
    });
  } catch (const Error &e) {
    if (is_operator_intervention(e)) throw;
    return;  // looked at again before the next request
  }
  for (Job *job : stale) {
    job->stops_seen = generation;
    const std::string &store = job->spec.store_code;
    auto &pending = job->pending;
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [&](const accounts::Stored &p) { return stopped.count({store, p.credentials.open_id}) > 0; }),
                  pending.end());
    if (job->active() && stopped.count({store, job->target.open_id})) account_stopped(*job);
  }
}

void SyncEngine::account_stopped(Job &job) {
  job.reset();
  // The request on the wire cannot be called back: its answer is dropped when it
  // lands, and the job's next request waits for that.
  if (job.in_flight) job.drop_in_flight = true;
  db(job, [&] {
    sync_log::write(job.target.store_code, job.spec.job_id, job.target.open_id,
                    {job.spec.job_type, "SKIPPED", "stopped: the account's authorization ended (see tthub.accounts)",
                     job.account_videos, job.last_http, job.account_started_ms, job.account_retries});
  });
  start_next_account(job);
}

void SyncEngine::send_due(int64_t now, int64_t *next_due) {
  check_account_stops();
  // Jobs waiting on one endpoint take its free slots in this order. The planner spends
  // the budget fresh first, but each job plans its store's part, and on a spent
  // endpoint a fresh video's call waited behind older jobs' old-tier reads, so the
  // fresh tier stretched with the old one. Fresh videos' queries go first; the rest
  // keep the order the jobs were claimed in (AccountRefresh::fresh_next).
  std::vector<std::pair<uint64_t, Job *>> order;
  order.reserve(jobs_.size());
  for (auto &[tag, job_ptr] : jobs_) order.emplace_back(tag, job_ptr.get());
  std::stable_partition(order.begin(), order.end(), [](const std::pair<uint64_t, Job *> &e) {
    const Job &j = *e.second;
    return j.refresh && !j.in_flight && j.refresh->fresh_next();
  });
  for (auto &[tag, job_ptr] : order) {
    Job &job = *job_ptr;
    if (job.in_flight || !job.active()) continue;
    int64_t due = job.due_ms;
    tiktok::Endpoint endpoint = job.endpoint();
    // A refresh whose list or user/info read waits for a slot reads its queries first
    // when video/query has one: one endpoint's short budget must not idle another's.
    if (job.refresh && endpoint != tiktok::Endpoint::kVideoQuery && endpoint != tiktok::Endpoint::kToken &&
        due <= now && limiters_[static_cast<int>(endpoint)].next_slot(now) > now &&
        limiters_[static_cast<int>(tiktok::Endpoint::kVideoQuery)].next_slot(now) <= now && job.refresh->queries_first())
      endpoint = job.endpoint();
    SlidingWindowLimiter &limiter = limiters_[static_cast<int>(endpoint)];
    if (limiter.blocked_until() - now > config_.rate_limit_hold_ms) {
      // Another store's 429 paused this endpoint for long: free the slot, as in apply().
      ApiFailure f;
      f.kind = FailureKind::kRateLimited;
      f.message = std::string("TikTok rate limited ") + tiktok::endpoint_name(endpoint) + ": waiting for it to resume";
      job.retry = f;
      job.due_ms = limiter.blocked_until();
      job.reset();
      start_next_account(job);
      continue;
    }
    due = std::max(due, limiter.next_slot(now));
    if (due > now) {
      if (*next_due < 0 || due - now < *next_due) *next_due = due - now;
      continue;
    }
    limiter.record(now);
    HttpRequest request = job.request();
    if (endpoint == tiktok::Endpoint::kToken)
      request.timeout_ms = std::max(config_.token_timeout_ms, config_.http_timeout_ms);
    http_.submit(request, tag);
    job.in_flight = true;
    job.sent_ms = now;
  }
}

int64_t SyncEngine::step(int max_wait_ms, const std::function<void()> &check_interrupts) {
  int64_t next_due = -1;
  int64_t now0 = steady_ms();
  for (auto &[tag, job] : jobs_)
    if (job->finish_pending && !job->done && job->due_ms <= now0) finish(*job);
  send_due(now0, &next_due);
  if (http_.in_flight() > 0) {
    int wait = max_wait_ms;
    if (next_due >= 0 && next_due < wait) wait = static_cast<int>(next_due);
    apply_batch(http_.poll(wait), check_interrupts);
  }
  // Drop finished jobs.
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second->done) it = jobs_.erase(it);
    else ++it;
  }
  if (jobs_.empty()) return http_.in_flight() > 0 ? 0 : -1;  // revokes on the wire
  next_due = -1;
  int64_t now = steady_ms();
  for (auto &[tag, job] : jobs_) {
    if (job->in_flight) return 0;
    if (job->finish_pending) {
      int64_t wait = std::max<int64_t>(0, job->due_ms - now);
      if (next_due < 0 || wait < next_due) next_due = wait;
      continue;
    }
    if (!job->active()) continue;
    int64_t due = std::max(job->due_ms, limiters_[static_cast<int>(job->endpoint())].next_slot(now));
    int64_t wait = std::max<int64_t>(0, due - now);
    if (next_due < 0 || wait < next_due) next_due = wait;
  }
  return next_due < 0 ? 0 : next_due;
}

// Every completed TikTok response passes here once, with its endpoint, status and
// duration: the concurrency controller learns the latency and the 429s from it.
void SyncEngine::response_completed(Job &, tiktok::Endpoint endpoint, const HttpResponse &response,
                                    int64_t duration_ms) {
  controller_.on_response(steady_ms(), duration_ms, response.status == 429);
  metrics::record_request(static_cast<int>(endpoint), response);
}

// TikTok rotated the refresh token (a sync's or a refresh's request): the pair is kept
// until saved, since TikTok has retired the refresh token the row holds.
void SyncEngine::tokens_refreshed(Job &job, const tiktok::TokenSet &tokens) {
  wipe(job.refreshed_access);
  job.refreshed_access = tokens.access_token;
  job.unsaved = tokens;
  save_rotated(job);
}

void SyncEngine::retry_later(Job &job, tiktok::Endpoint endpoint, const tiktok::event::RetryLater &e) {
  if (e.failure.kind == FailureKind::kRateLimited) {
    // Retry-After when sent (TikTok documents none), else backoff; either way at most
    // tthub.max_retry_after, so no single response pauses an endpoint for long. Only
    // this endpoint pauses: TikTok limits each one separately.
    ++job.rate_limited;
    int64_t cap = config_.max_retry_after_ms;
    int64_t delay = e.failure.retry_after_seconds
                        ? std::min<int64_t>(*e.failure.retry_after_seconds * 1000, cap)
                        : backoff_delay_ms(job.rate_limited, 1000, std::min<int64_t>(60000, cap), jitter_unit());
    int64_t until = steady_ms() + delay;
    limiters_[static_cast<int>(endpoint)].block_until(until);
    job.due_ms = until;
    // A long pause gives the slot to another store: requeued, due when it ends.
    if (delay > config_.rate_limit_hold_ms || job.rate_limited > config_.max_rate_limited_responses) {
      job.retry = e.failure;
      job.reset();
    }
  } else if (is_transient(e.failure.kind)) {
    // Sent again in place after a backoff; the attempt fails only once the
    // request's retries are spent (the protocol counts them).
    job.due_ms = steady_ms() + full_jitter_delay_ms(e.retry_number, config_.sync.retry.base_ms,
                                                    config_.sync.retry.cap_ms, jitter_unit());
  }
  // access_token_invalid: the refresh request is due at once.
}

// A refresh answer: its videos, observations and the refresh's bookkeeping in one
// statement; the end of a full pass marks what it did not list as removed.
void SyncEngine::apply_refresh(Job &job, tiktok::Endpoint endpoint, const HttpResponse &response) {
  refresh::Event event = job.refresh->on_response(response);
  job.account_retries = job.refresh->retries();
  videos::RefreshWrite w;
  w.store_code = job.target.store_code;
  w.open_id = job.target.open_id;
  w.job_id = job.spec.job_id;
  w.snapshot_date = job.target.snapshot_date;
  w.observed_ms = epoch_ms();
  w.job_pages = job.summary.pages;
  if (auto *e = std::get_if<tiktok::event::TokensRefreshed>(&event)) {
    tokens_refreshed(job, e->tokens);
  } else if (auto *e = std::get_if<tiktok::event::UserFetched>(&event)) {
    job.rate_limited = 0;
    w.user_info = true;
    w.tier = job.refresh->work().user_info_tier;
    w.job_videos = job.summary.videos + job.account_videos;
    db(job, [&] {
      snapshots::write_user(job.target, e->user);
      accounts::save_profile(job.target.store_code, job.target.open_id, e->user.display_name, e->user.avatar_url);
      videos::write_refresh(w, {});
    });
  } else if (auto *e = std::get_if<refresh::event::ListRead>(&event)) {
    job.rate_limited = 0;
    w.listed = true;
    w.tier = e->pass ? refresh::Tier::kOld : refresh::Tier::kFresh;  // the pass serves the old tier, discovery the fresh
    w.discovery_done = e->discovery_done || (e->pass && job.pass_from_top && job.pass_pages == 0);
    w.pass_page = e->pass && !e->pass_complete;
    w.pass_cursor = e->pass_cursor;
    if (e->pass) ++job.pass_pages;
    job.account_videos += static_cast<int64_t>(e->videos.size());
    w.job_videos = job.summary.videos + job.account_videos;
    db(job, [&] {
      videos::write_refresh(w, e->videos);
      if (e->pass_complete) videos::finish_full_pass(w.store_code, w.open_id, std::nullopt, w.observed_ms);
    });
    if (!job.retry) job.summary.pages++;
  } else if (auto *e = std::get_if<refresh::event::QueryRead>(&event)) {
    job.rate_limited = 0;
    w.tier = e->tier;
    // Missing is no proof of deletion (reference section 7): a full pass decides.
    w.need_pass = !e->missing.empty();
    job.account_videos += static_cast<int64_t>(e->videos.size());
    w.job_videos = job.summary.videos + job.account_videos;
    db(job, [&] { videos::write_refresh(w, e->videos); });
  } else if (auto *e = std::get_if<tiktok::event::RetryLater>(&event)) {
    retry_later(job, endpoint, *e);
  } else if (auto *e = std::get_if<tiktok::event::Failed>(&event)) {
    account_failed(job, e->failure);
  }
}

void SyncEngine::apply(Job &job, const HttpResponse &response) {
  if (job.drop_in_flight) {  // the answer for an account stopped while it was on the wire
    job.drop_in_flight = false;
    job.in_flight = false;
    return;
  }
  job.in_flight = false;
  tiktok::Endpoint endpoint = job.endpoint();
  response_completed(job, endpoint, response, steady_ms() - job.sent_ms);
  if (response.status) {
    job.last_http = response.status;
    job.summary.http_status = response.status;
  }
  if (job.refresh) {
    apply_refresh(job, endpoint, response);
  } else {
    tiktok::Event event = job.sync->on_response(response);
    job.account_retries = job.sync->retries();
    if (auto *e = std::get_if<tiktok::event::TokensRefreshed>(&event)) {
      tokens_refreshed(job, e->tokens);
    } else if (auto *e = std::get_if<tiktok::event::UserFetched>(&event)) {
      job.rate_limited = 0;
      db(job, [&] {
        snapshots::write_user(job.target, e->user);
        accounts::save_profile(job.target.store_code, job.target.open_id, e->user.display_name, e->user.avatar_url);
      });
    } else if (auto *e = std::get_if<tiktok::event::PageFetched>(&event)) {
      job.rate_limited = 0;
      int64_t written = 0;
      db(job, [&] {
        // The page, its ledger checkpoint and the job's progress commit together.
        snapshots::PageProgress p{job.sync->pages(), job.account_videos, job.sync->done(), job.sync->next_cursor(),
                                  epoch_ms()};
        written = snapshots::write_page(job.target, e->page, p);
        // Paged from the top to the end in this attempt: a full pass, which notices
        // deleted or private videos (a resumed day's earlier pages are not this pass's).
        if (p.complete && job.target.videos && !job.resumed)
          videos::finish_full_pass(job.target.store_code, job.target.open_id, job.account_started_ms, p.now_epoch_ms);
      });
      if (!job.retry) {
        job.account_videos += written;
        job.summary.pages++;
      }
    } else if (auto *e = std::get_if<tiktok::event::RetryLater>(&event)) {
      retry_later(job, endpoint, *e);
    } else if (auto *e = std::get_if<tiktok::event::Failed>(&event)) {
      account_failed(job, e->failure);
    }
  }
  if (job.retry) {
    job.reset();
  } else if (job.active() && job.protocol_done()) {
    account_succeeded(job);
  }
  start_next_account(job);
}

void SyncEngine::account_succeeded(Job &job) {
  int pages = job.sync ? job.sync->pages() : 0;
  bool ours = write_account(job, [&] {
    accounts::mark_synced(job.target.store_code, job.target.open_id);
    // A refresh runs every few minutes: its successes are counted in refresh_calls and
    // the account's last_sync_at, not one sync_logs line each.
    if (job.refresh) return;
    sync_log::write(job.target.store_code, job.spec.job_id, job.target.open_id,
                           {job.spec.job_type, "SUCCESS",
                            std::to_string(pages) + " pages, " + std::to_string(job.account_videos) + " videos",
                            job.account_videos + 1, job.last_http, job.account_started_ms, job.account_retries});
  });
  if (ours && !job.retry) job.summary.videos += job.account_videos;
  job.reset();
}

void SyncEngine::account_failed(Job &job, const ApiFailure &f) {
  job.reset();
  std::string message = f.message + (f.log_id.empty() ? "" : " (log_id " + f.log_id + ")");
  bool retry = jobs::retries_job(f.kind);
  std::optional<const char *> status = jobs::account_status_after(f.kind);
  auto record = [&] {
    if (status) accounts::set_status(job.target.store_code, job.target.open_id, *status, f.message);
    sync_log::write(job.target.store_code, job.spec.job_id, job.target.open_id,
                           {job.spec.job_type, "FAILED", std::string(kind_name(f.kind)) + ": " + message,
                            job.account_videos, f.http_status, job.account_started_ms, job.account_retries});
  };
  // A status change says something about the account: only while it is still the
  // account this sync loaded (a disconnect or reconnect meanwhile wins).
  if (status && !write_account(job, record)) return;
  if (!status) db(job, record);
  job.summary.accounts_failed++;
  job.summary.message = f.message;
  if (f.http_status) job.summary.http_status = f.http_status;
  if (retry && !job.retry) job.retry = f;
}

void SyncEngine::finish(Job &job) {
  // A pair whose save failed: tried once more before the store is let go.
  if (job.unsaved) {
    save_rotated(job);
    if (job.unsaved) lost_tokens(job);
  }
  wipe(job.stored_refresh);
  wipe(job.refreshed_access);
  const JobSpec &s = job.spec;
  jobs::Attempt a;
  a.attempts = s.attempts;
  if (job.retry) {
    a.ending = job.requeue == Job::Requeue::kLockBusy       ? jobs::Ending::kLockBusy
               : job.requeue == Job::Requeue::kConfig       ? jobs::Ending::kConfiguration
               : job.retry->kind == FailureKind::kRateLimited ? jobs::Ending::kRateLimited
                                                              : jobs::Ending::kRetryLater;
    a.error = job.retry->message;
    a.http_status = job.retry->http_status;
    a.resume_in_ms = job.due_ms - steady_ms();
  } else {
    a.ending = jobs::Ending::kAccountsTried;
    a.accounts = job.summary.accounts;
    a.accounts_failed = job.summary.accounts_failed;
    a.accounts_superseded = job.summary.accounts_superseded;
    a.error = job.summary.message;
  }
  jobs::Outcome o = jobs::decide(a, config_.jobs, jitter_unit());
  job.summary.state = jobs::state_name(o.state);
  if (!o.error.empty()) job.summary.message = o.error;
  job.summary.duration_ms = steady_ms() - job.started_ms;
  try {
    db_.run([&] { queue::finish(s.store_code, s.job_id, o); });
  } catch (const Error &e) {
    if (!lock_waits::is_lock_timeout(e)) throw;
    // Another transaction holds the job's row: written again later (step), the store
    // stays held meanwhile.
    job.finish_pending = true;
    job.due_ms = steady_ms() + config_.jobs.store_busy_retry_ms;
    return;
  }
  job.finish_pending = false;
  job.done = true;  // only once written: a shutdown in between requeues the job
  job.lock.release();
  finished_.push_back(job.summary);
}

// Another sync holds the store (the claim never hands out two jobs of one store, so
// it is tthub_sync_now or another database's worker). The job goes back to the
// queue without spending an attempt and is claimed again once that sync has ended;
// sync_logs shows the wait as SKIPPED.
bool SyncEngine::requeue_busy(Job &job) {
  const JobSpec &s = job.spec;
  jobs::Attempt a;
  a.ending = jobs::Ending::kStoreBusy;
  a.attempts = s.attempts;
  jobs::Outcome o = jobs::decide(a, config_.jobs, jitter_unit());
  try {
    db_.run([&] {
      sync_log::write(s.store_code, s.job_id, "", {s.job_type, "SKIPPED", o.error, 0, 0, epoch_ms()});
      queue::finish(s.store_code, s.job_id, o);
    });
  } catch (const Error &e) {
    if (!lock_waits::is_lock_timeout(e)) throw;
    stop_for_retry(job, e);
    return false;
  }
  job.summary.state = jobs::state_name(o.state);
  job.summary.message = o.error;
  job.summary.duration_ms = steady_ms() - job.started_ms;
  finished_.push_back(job.summary);
  return true;
}

void SyncEngine::requeue_all(const std::string &reason) {
  // By process rather than by jobs_: a job claimed but not yet added is running too.
  db_.run([&] { queue::requeue_running(reason); });
  for (auto &[tag, job] : jobs_) job->lock.release();
  jobs_.clear();
  received_.clear();
}

}  // namespace tthub
