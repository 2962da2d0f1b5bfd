#include "ext/sync/worker.h"

#include <csignal>

#include "core/clock.h"
#include "core/error.h"
#include "ext/citus/node_role.h"
#include "ext/pg/db_work.h"
#include "ext/notify/webhook_dispatcher.h"
#include "ext/sync/engine_settings.h"
#include "ext/sync/job_queue.h"
#include "ext/pg/pg_bridge.h"
#include "ext/config/settings.h"
#include "ext/sync/shared_state.h"
#include "ext/pg/spi.h"
#include "ext/sync/sync_engine.h"

extern "C" PGDLLEXPORT void tthub_worker_main(Datum);

namespace tthub::worker {
namespace {

volatile sig_atomic_t g_stop_requested = false;

// Longest wait for a row lock while putting the jobs back at shutdown.
constexpr int kShutdownLockTimeoutMs = 2000;
// Longest wait at shutdown for a token refresh already sent, so its answer is saved.
constexpr int64_t kShutdownTokenWaitMs = 10000;

// SIGTERM: stop, put in-flight jobs back in the queue, exit. Besides the flag it
// raises a query cancel, as Postgres's StatementCancelHandler does, so that a wait
// that checks for interrupts (a lock wait, a slow statement) ends at once in
// SQLSTATE 57014, which the engine never takes for a job's failure. Not die(): its
// FATAL would exit without putting the jobs back.
void on_sigterm(SIGNAL_ARGS) {
  int saved = errno;
  g_stop_requested = true;
  if (!proc_exit_inprogress) {
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

void log_finished(const JobSummary &s) {
  // Only store, job, status, HTTP status and timing reach the server log.
  pg_guard([&] {
    ereport(LOG, (errmsg("tthub: store %s job " INT64_FORMAT " %s: %d account(s), " INT64_FORMAT
                         " videos, %d pages, http %ld, " INT64_FORMAT " ms",
                         s.store_code.c_str(), static_cast<int64>(s.job_id), s.state.c_str(), s.accounts,
                         static_cast<int64>(s.videos), s.pages, s.http_status, static_cast<int64>(s.duration_ms))));
  });
}

// Logs jobs that ended; true when there were any (their slots are free again).
bool take_and_log_finished(SyncEngine &engine) {
  std::vector<JobSummary> finished = engine.take_finished();
  for (const JobSummary &s : finished) log_finished(s);
  return !finished.empty();
}

// Claims and syncs until SIGTERM.
void loop(OwnTransactions &db, std::unique_ptr<SyncEngine> &engine) {
  int64_t last_maintenance = 0, last_prune = 0, last_claim = 0;
  int64_t next_queued_ms = -1;  // when the next queued job is due, as of the last claim
  bool installed = false, woken = true;

  while (!g_stop_requested) {
    check_interrupts();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      pg_guard([] { ProcessConfigFile(PGC_SIGHUP); });
      if (engine->active() == 0) engine = std::make_unique<SyncEngine>(db, engine_config_from_settings());
    }
    int64_t now = steady_ms();
    if (now - last_maintenance >= 10000) {
      last_maintenance = now;
      report_activity("tthub: maintenance");
      db.run([&] {
        installed = spi::exec("SELECT 1 FROM pg_extension WHERE extname = 'tthub'", {}) == 1;
        if (installed && citus::is_worker_node()) { g_stop_requested = true; installed = false; }  // node_role.h
        if (!installed) return;
        queue::requeue_orphans(settings::max_attempts);
        queue::heartbeat(engine->active_jobs());
        if (now - last_prune >= 3600 * 1000 || last_prune == 0) {
          last_prune = now;
          queue::prune(settings::log_retention_days);
        }
      });
    }
    if (!installed) {  // CREATE EXTENSION tthub wakes us through _wake_worker
      report_activity("tthub: waiting for CREATE EXTENSION tthub");
      woken = wait_for(10000);
      last_maintenance = 0;
      continue;
    }
    int64_t hooks_wait = notify::webhooks_step(db, woken);
    if (engine->has_capacity() && (woken || now - last_claim >= 1000)) {
      last_claim = now;
      woken = false;
      std::vector<JobSpec> jobs;
      int free_slots = static_cast<int>(settings::max_concurrent_syncs - engine->active());
      db.run([&] {
        jobs = queue::claim(free_slots);
        next_queued_ms = queue::next_due_ms();
      });
      for (const JobSpec &j : jobs) engine->add(j);
    }
    if (take_and_log_finished(*engine)) woken = true;  // a free slot: claim at once
    if (engine->active() > 0) {
      report_activity("tthub: syncing");
      int64_t wait = engine->step(250, check_interrupts);
      if (wait > 0) woken = wait_for(std::min<int64_t>(wait, 1000)) || woken;
    } else {
      report_activity("tthub: idle");
      // Until the next maintenance, or until a job requeued with a backoff is due.
      int64_t wait = 10000 - (steady_ms() - last_maintenance);
      if (next_queued_ms >= 0) wait = std::min(wait, next_queued_ms);
      wait = std::min(wait, hooks_wait);
      woken = wait_for(std::max<int64_t>(50, wait));
      if (next_queued_ms >= 0 && !woken) woken = true;  // claim what became due
    }
    if (take_and_log_finished(*engine)) woken = true;
  }
}

void run() {
  OwnTransactions db;
  std::unique_ptr<SyncEngine> engine = std::make_unique<SyncEngine>(db, engine_config_from_settings());
  try {
    loop(db, engine);
  } catch (const Error &e) {
    // SIGTERM (or an operator's cancel) interrupted a wait: stop. Any other error
    // leaves through tthub_worker_main; its jobs are requeued as orphans.
    if (!g_stop_requested && !is_operator_intervention(e)) throw;
  }
  report_activity("tthub: stopping");
  QueryCancelPending = false;  // the stop is being handled: let the requeue run
  notify::webhooks_shutdown(db);
  engine->finish_token_requests(std::min<int64_t>(settings::http_timeout_ms, kShutdownTokenWaitMs));
  engine->requeue_all("the worker was stopped before the job finished", kShutdownLockTimeoutMs);
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
  // and whatever any role created in "$user" or public (src/extension_sql/0.2--0.3/10-search-path.sql).
  SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);
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
