#include "ext/sync/worker.h"

#include <csignal>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "ext/citus/node_role.h"
#include "ext/config/installed_sql.h"
#include "ext/pg/db_work.h"
#include "ext/alerts/event_notify.h"
#include "ext/alerts/webhook_dispatcher.h"
#include "ext/pg/lock_timeout.h"
#include "ext/sync/engine_settings.h"
#include "ext/sync/job_queue.h"
#include "ext/pg/pg_bridge.h"
#include "ext/config/settings.h"
#include "ext/sync/shared_state.h"
#include "ext/pg/spi.h"
#include "ext/sync/snapshot_writer.h"
#include "ext/sync/sync_engine.h"
#include "ext/sync/video_writer.h"

extern "C" PGDLLEXPORT void tthub_worker_main(Datum);

namespace tthub::worker {
namespace {

volatile sig_atomic_t g_stop_requested = false;
// Set once run() handles the stop: from then on a further SIGTERM (a fast shutdown
// sends more than one) must not cancel the requeue and the token saves.
volatile sig_atomic_t g_stop_handled = false;

// Longest wait on the way out for a token refresh already sent, so its answer is saved
// (its own timeout, EngineConfig::token_timeout_ms, may be longer: a stop waits less).
constexpr int64_t kShutdownTokenWaitMs = 10000;

// SIGTERM: stop, put in-flight jobs back in the queue, exit. Besides the flag it
// raises a query cancel, as Postgres's StatementCancelHandler does, so that a wait
// that checks for interrupts (a lock wait, a slow statement) ends at once in
// SQLSTATE 57014, which the engine never takes for a job's failure. Not die(): its
// FATAL would exit without putting the jobs back.
void on_sigterm(SIGNAL_ARGS) {
  int saved = errno;
  g_stop_requested = true;
  if (!proc_exit_inprogress && !g_stop_handled) {
    InterruptPending = true;
    QueryCancelPending = true;
  }
  SetLatch(MyLatch);
  errno = saved;
}

void check_interrupts() {
  pg_guard([] { CHECK_FOR_INTERRUPTS(); });
}

// Sleeps on the latch; returns true when it was set (work was enqueued).
bool wait_for(long ms) {
  int rc = pg_guard([&] {
    int r = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    return r;
  });
  return (rc & WL_LATCH_SET) != 0;
}

void report_activity(const char *what) {
  pg_guard([&] { pgstat_report_activity(STATE_RUNNING, what); });
}

// A step's lock wait ran out (another transaction holds a row it needs): the step is
// tried again at the next pass, the loop goes on. Other errors leave the loop.
template <typename Fn>
bool unless_locked(const char *step, Fn &&fn) {
  try {
    fn();
    return true;
  } catch (const Error &e) {
    if (!lock_waits::is_lock_timeout(e)) throw;
    pg_guard([&] {
      ereport(LOG, (errmsg("tthub: %s waited too long for a lock; tried again shortly", step)));
    });
    return false;
  }
}

void log_finished(const JobSummary &s) {
  // Only store, job, status, HTTP status and timing reach the server log.
  pg_guard([&] {
    ereport(LOG, (errmsg("tthub: store %s job " INT64_FORMAT " %s: %d account(s), " INT64_FORMAT
                         " videos, %d pages, http %ld, " INT64_FORMAT " ms",
                         s.store_code.c_str(), static_cast<int64>(s.job_id), s.state.c_str(), s.accounts,
                         static_cast<int64>(s.videos), s.pages, s.http_status, static_cast<int64>(s.duration_ms))));
  });
}

// Maintenance (orphan requeue, lease heartbeat, pruning) runs this often while jobs
// run (their leases, queue::kLeaseSeconds, need renewing) and this often when idle: an idle worker
// costs nothing between, it sleeps on its latch.
constexpr int64_t kBusyMaintenanceMs = 10000;
constexpr int64_t kIdleMaintenanceMs = 60000;
constexpr int64_t kPruneEveryMs = 3600 * 1000;
// A claim that found fewer jobs than a "due now" promised (a race with another
// claimer) is tried again after this, not at once.
constexpr int64_t kClaimRetryMs = 1000;
// Events whose wake-up the worker missed still get their NOTIFY within this.
constexpr int64_t kNotifyCheckMs = 60000;

// What the loop knows between its steps.
struct Loop {
  bool installed = false;
  int64_t next_maintenance = 0;  // steady ms
  int64_t last_prune = -1;
  bool claim_now = true;         // woken by tthub_sync, or a slot was freed
  int64_t next_claim_at = -1;    // steady ms when the next queued job is due; -1: none queued
  int64_t drive_wait = -1;       // the engine's "next request due in" (ms), -1 idle
  int64_t hooks_wait = -1;       // the webhook dispatcher's "step again in" (ms)
  int64_t next_notify_check = 0; // steady ms: look for events whose NOTIFY is pending
};

// Step 0: SIGHUP. A new configuration reaches an idle engine at once, a busy one when
// it is next idle (its limiters and controller hold the running jobs' state).
void reload_config(OwnTransactions &db, std::unique_ptr<SyncEngine> &engine) {
  if (!ConfigReloadPending) return;
  ConfigReloadPending = false;
  pg_guard([] { ProcessConfigFile(PGC_SIGHUP); });
  if (engine->active() == 0) engine = std::make_unique<SyncEngine>(db, engine_config_from_settings());
}

// Step 1, maintain: is the extension installed, orphans back to the queue, leases
// renewed, old jobs and logs pruned (hourly).
void maintain(OwnTransactions &db, SyncEngine &engine, Loop &l) {
  int64_t now = steady_ms();
  if (now < l.next_maintenance) return;
  report_activity("tthub: maintenance");
  bool done = unless_locked("maintenance", [&] { db.run([&] {
    l.installed = installed::sql().present;
    if (l.installed && citus::is_worker_node()) { g_stop_requested = true; l.installed = false; }  // node_role.h
    if (!l.installed) return;
    queue::requeue_orphans(engine.config().jobs);
    queue::heartbeat(engine.active_jobs());
    // Tomorrow's observations have their partition before midnight UTC (0.5 on).
    bool observations = installed::sql().has_videos();
    if (observations) videos::ensure_partitions();
    if (l.last_prune < 0 || now - l.last_prune >= kPruneEveryMs) {
      l.last_prune = now;
      queue::prune(settings::log_retention_days);
      if (observations) videos::drop_old_observations(settings::observation_retention_s);
    }
  }); });
  if (!done) l.last_prune = -1;  // the prune may be the step that waited: next pass
  l.next_maintenance = now + (!done ? kClaimRetryMs : engine.active() > 0 ? kBusyMaintenanceMs : kIdleMaintenanceMs);
  l.claim_now = true;  // requeued orphans may be claimable
}

// Step 1a, notify: the NOTIFY tthub_events of events committed since, in a
// transaction of the worker's own (alerts/event_notify.h). An event wakes the worker
// at its commit (claim_now).
void send_notifications(OwnTransactions &db, Loop &l) {
  int64_t now = steady_ms();
  if (!l.claim_now && now < l.next_notify_check) return;
  l.next_notify_check = now + kNotifyCheckMs;
  alerts::send_pending_notifications(db);
}

// Step 1b, deliver webhooks: record finished deliveries, claim and send due ones (the
// dispatcher has its own connections and never waits on the network), and once a
// minute scan for token_expiring / day_incomplete events. A latch set by an event
// (claim_now) also means deliveries may be queued.
void deliver_webhooks(alerts::WebhookDispatcher &hooks, Loop &l) { l.hooks_wait = hooks.step(l.claim_now); }

// Step 2, claim and start: as many due jobs as the engine wants (the concurrency
// controller's target less those running), when woken, a slot freed, or the next
// queued job came due.
void claim_and_start(OwnTransactions &db, SyncEngine &engine, Loop &l) {
  int64_t now = steady_ms();
  bool due = l.next_claim_at >= 0 && now >= l.next_claim_at;
  int wanted = engine.wanted();
  if (wanted == 0) {
    l.claim_now = false;  // full: a finishing job sets it again
    return;
  }
  if (!(l.claim_now || due)) return;
  l.claim_now = false;
  std::vector<JobSpec> jobs;
  int64_t next = -1;
  if (!unless_locked("the claim", [&] {
        db.run([&] {
          jobs = queue::claim(wanted);
          next = queue::next_due_ms();
        });
      })) {
    jobs.clear();
    next = kClaimRetryMs;
  }
  if (next == 0 && static_cast<int>(jobs.size()) < wanted) next = kClaimRetryMs;
  l.next_claim_at = next < 0 ? -1 : steady_ms() + next;
  for (const JobSpec &j : jobs) engine.add(j);
}

// Step 3, drive requests: send what the limiters allow, apply the responses that
// came back (each in its own short transaction).
void drive_requests(SyncEngine &engine, Loop &l) {
  if (engine.idle()) {
    l.drive_wait = -1;
    return;
  }
  report_activity("tthub: syncing");
  l.drive_wait = engine.step(250, check_interrupts);
}

// Step 4, finish: log the jobs that ended (queue::finish has recorded them); their
// slots are free for the next claim.
void finish_jobs(SyncEngine &engine, Loop &l) {
  std::vector<JobSummary> finished = engine.take_finished();
  for (const JobSummary &s : finished) log_finished(s);
  if (!finished.empty()) l.claim_now = true;
}

// Step 5, report statistics: the worker's table and transaction counts reach the
// cumulative statistics (pg_stat_user_tables, pg_stat_database, autovacuum) as a
// backend's do after each statement; at most once a second unless forced.
void report_stats(bool force) {
  pg_guard([&] {
    if (!IsTransactionOrTransactionBlock()) (void)pgstat_report_stat(force);
  });
}

// Step 6, sleep: while jobs run, until the next request is due (never while one is
// on the wire: drive_requests already waited on the network); when idle, on the
// latch until tthub_sync wakes it, the next queued job comes due or maintenance does.
void sleep_until_work(SyncEngine &engine, Loop &l) {
  if (!engine.idle()) {
    // Work enqueued meanwhile is claimed at once if the engine wants more jobs.
    if (MyLatch->is_set) {
      pg_guard([] { ResetLatch(MyLatch); });
      l.claim_now = true;
    }
    int64_t wait = std::min<int64_t>(l.drive_wait, 1000);
    if (l.hooks_wait >= 0) wait = std::min(wait, l.hooks_wait);
    if (l.drive_wait > 0 && !l.claim_now) l.claim_now = wait_for(wait);
    return;
  }
  int64_t now = steady_ms();
  int64_t wait = l.next_maintenance - now;
  if (l.next_claim_at >= 0) wait = std::min(wait, l.next_claim_at - now);
  if (l.hooks_wait >= 0) wait = std::min(wait, l.hooks_wait);
  if (l.claim_now) wait = 0;
  if (wait <= 0) return;
  report_stats(true);  // everything written so far is visible before a long sleep
  report_activity("tthub: idle");
  if (wait_for(wait)) l.claim_now = true;
}

// The life of a job, one pass per loop: claimed, started, its requests driven until
// it finishes, then logged; maintenance and sleep around them. Add steps here.
void loop(OwnTransactions &db, std::unique_ptr<SyncEngine> &engine, alerts::WebhookDispatcher &hooks) {
  Loop l;
  while (!g_stop_requested) {
    shared::worker_heartbeat();
    check_interrupts();
    reload_config(db, engine);
    maintain(db, *engine, l);
    if (!l.installed) {  // CREATE EXTENSION tthub wakes us through _wake_worker
      report_activity("tthub: waiting for CREATE EXTENSION tthub");
      wait_for(10000);
      l.next_maintenance = 0;
      continue;
    }
    send_notifications(db, l);
    deliver_webhooks(hooks, l);
    claim_and_start(db, *engine, l);
    drive_requests(*engine, l);
    finish_jobs(*engine, l);
    report_stats(false);
    sleep_until_work(*engine, l);
  }
}

// One step of the way out: its failure is logged and the next step still runs.
template <typename Fn>
void exit_step(const char *what, Fn &&fn) {
  ErrorReport failure;
  bool ok = false;
  try {
    fn();
    ok = true;
  } catch (...) {
    failure = describe_current_exception();
  }
  QueryCancelPending = false;  // a second SIGTERM of a fast shutdown: the stop is under way
  if (ok) return;
  pg_guard([&] {
    ereport(WARNING, (errmsg("tthub: on the way out, %s failed (SQLSTATE %s): %s", what, failure.sqlstate,
                             failure.message)));
  });
}

void run() {
  OwnTransactions db;
  // The worker owns what it drives: the sync engine and the webhook dispatcher, each
  // with its own connections, both stepped by the loop and stopped here.
  std::unique_ptr<SyncEngine> engine = std::make_unique<SyncEngine>(db, engine_config_from_settings());
  alerts::WebhookDispatcher hooks(db);
  // Every way out of the loop, a stop or an error in any step (maintenance, a claim,
  // a job's finish), leaves through the same steps: TikTok's answers first (a rotated
  // refresh token is the one thing that cannot be fetched again), then the webhook
  // deliveries and the jobs back to the queue. An error is raised again afterwards,
  // so that the worker exits with it and is restarted.
  std::optional<ErrorReport> failure;
  try {
    loop(db, engine, hooks);
  } catch (const Error &e) {
    // SIGTERM (or an operator's cancel) interrupted a wait: stop.
    if (!g_stop_requested && !is_operator_intervention(e)) failure = describe_current_exception();
  } catch (...) {
    failure = describe_current_exception();
  }
  report_activity("tthub: stopping");
  g_stop_handled = true;       // before the clear: a later SIGTERM raises no new cancel
  QueryCancelPending = false;  // the stop is being handled: let the steps below run
  const char *reason = failure ? "the worker stopped after an error before the job finished"
                               : "the worker was stopped before the job finished";
  exit_step("saving rotated tokens", [&] {
    engine->finish_token_requests(kShutdownTokenWaitMs);
  });
  exit_step("putting webhook deliveries back", [&] { hooks.shutdown(); });
  exit_step("putting jobs back", [&] { engine->requeue_all(reason); });
  if (failure) throw Error(failure->sqlstate, failure->message, failure->detail, failure->hint);
}

}  // namespace

void register_at_startup() {
  BackgroundWorker w;
  memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = 5;
  snprintf(w.bgw_library_name, BGW_MAXLEN, "tthub");
  snprintf(w.bgw_function_name, BGW_MAXLEN, "tthub_worker_main");
  snprintf(w.bgw_name, BGW_MAXLEN, "tthub sync worker");
  snprintf(w.bgw_type, BGW_MAXLEN, "tthub sync worker");
  RegisterBackgroundWorker(&w);
}

}  // namespace tthub::worker

void tthub_worker_main(Datum) {
  pqsignal(SIGTERM, tthub::worker::on_sigterm);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnection(tthub::settings::database, nullptr, 0);
  if (tthub::citus::sync_worker_stays_off()) proc_exit(0);  // exit 0: not restarted
  // The worker runs as the bootstrap superuser. Pinned to pg_catalog, names in its
  // statements resolve to built-ins only, whatever search_path a role or database sets
  // and whatever any role created in "$user" or public (the same rule as every SQL
  // function's: src/extension_sql/functions/10-stores.sql).
  SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);
  // The worker's commits need not wait for the WAL flush: what a crash loses of the
  // last fraction of a second is re-fetched (each page commits with its ledger
  // checkpoint, and a job left running is requeued). Rotated tokens are the exception:
  // their transaction commits synchronously (SyncEngine::apply).
  SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_SESSION);
  // Every statement's lock wait is bounded (ext/pg/lock_timeout.h): an admin's open
  // transaction costs one store a later retry, never the whole worker.
  SetConfigOption("lock_timeout", std::to_string(tthub::lock_waits::kWorkerMs).c_str(), PGC_SUSET, PGC_S_SESSION);
  pgstat_report_appname("tthub sync worker");
  tthub::shared::register_worker();

  tthub::ErrorReport failure;
  bool failed = false;
  try {
    tthub::worker::run();
  } catch (...) {
    failure = tthub::describe_current_exception();
    failed = true;
  }
  tthub::shared::unregister_worker();
  if (failed)
    ereport(LOG, (errmsg("tthub sync worker stopping after an error (SQLSTATE %s): %s", failure.sqlstate,
                         failure.message)));
  // Exit code 1: the postmaster restarts the worker after bgw_restart_time, unless
  // the server itself is shutting down. Jobs it left running are requeued at start.
  proc_exit(1);
}
