// SQL entry points of the sync engine: tthub_sync_now and the worker wake-up.
#include "core/clock.h"
#include "core/store_code.h"
#include "ext/citus/node_role.h"
#include "ext/pg/db_work.h"
#include "ext/sync/engine_settings.h"
#include "ext/sync/shared_state.h"
#include "ext/sync/job_queue.h"
#include "ext/sync/snapshot_writer.h"
#include "ext/sync/sync_log.h"
#include "ext/pg/spi.h"
#include "ext/sync/store_lock.h"
#include "ext/pg/sql_values.h"
#include "ext/sync/sync_engine.h"

namespace {

struct Claimed {
  bool found = false;
  tthub::JobSpec spec;
};

// Takes today's queued job of the store, or creates one, as running in this backend.
// Not found: today's job is running elsewhere, in a worker that claimed it and has
// not yet taken the store lock (it will find the store busy and wait), or in one
// that died (the orphan requeue takes it back).
Claimed claim_or_create(tthub::DbWork &db, const std::string &store) {
  Claimed c;
  db.run([&] {
    if (tthub::spi::exec("SELECT 1 FROM tthub.stores WHERE store_code = $1", {tthub::spi::text(store)}) == 0)
      throw tthub::Error("P0002", "store \"" + store + "\" does not exist");
    // The day first, passed in: Citus refuses snapshot_today() (COALESCE over a
    // setting) inside an UPDATE of sync_jobs.
    int32_t today = tthub::snapshots::today(store);
    std::optional<tthub::JobSpec> job = tthub::queue::claim_or_create(store, today);
    if (!job) return;
    c.found = true;
    c.spec = *job;
  });
  return c;
}

void wait_a_little(int64_t ms) {
  tthub::pg_guard([&] {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, static_cast<long>(ms), PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  });
}

Datum summary_row(FunctionCallInfo fcinfo, const tthub::JobSummary &s) {
  Datum values[6];
  bool nulls[6] = {false, false, false, false, false, s.message.empty()};
  values[0] = Int32GetDatum(s.accounts);
  values[1] = Int64GetDatum(s.videos);
  values[2] = Int32GetDatum(s.pages);
  values[3] = Int64GetDatum(s.duration_ms);
  values[4] = PointerGetDatum(tthub::make_text(s.state));
  values[5] = s.message.empty() ? 0 : PointerGetDatum(tthub::make_text(s.message));
  return tthub::make_record(fcinfo, values, nulls);
}

}  // namespace

// tthub_sync_now(store_code) -> (accounts, videos_written, pages, duration_ms, status, message)
//
// When another sync of the store is running (the worker, another session, another
// database) it syncs nothing and returns status 'busy', logged SKIPPED in
// sync_logs; a queued job of the store stays queued for the worker. A cancel or
// statement timeout ends it with SQLSTATE 57014 within a poll slice (250 ms).
TTHUB_SQL_FUNCTION(tthub_sync_now) {
  std::string store(tthub::arg_bytes(fcinfo, 0));
  tthub::require_valid_store_code(store);
  tthub::citus::require_coordinator("tthub_sync_now");  // store locks are node-local
  int64_t started = tthub::steady_ms();
  tthub::SubTransactions db;
  tthub::EngineConfig config = tthub::engine_config_from_settings();
  config.max_concurrent = 1;  // one store, so one request in flight
  tthub::SyncEngine engine(db, config);

  // The store lock first: a second concurrent call returns at once instead of
  // waiting on the first one's uncommitted job row. Held to the end of the caller's
  // transaction: until then the tokens a refresh rotated are not committed, and
  // another sync must not send the old refresh token again.
  tthub::StoreLock lock(store, tthub::StoreLock::Scope::kTransaction);
  Claimed claimed;
  if (lock.try_acquire()) claimed = claim_or_create(db, store);
  tthub::JobSummary summary;
  if (!claimed.found) {
    summary.store_code = store;
    summary.state = "busy";
    summary.message = "another sync of this store is running; nothing was synced";
    db.run([&] {
      tthub::sync_log::write(store, 0, "", {"manual_sync", "SKIPPED", summary.message, 0, 0,
          tthub::epoch_ms()});
    });
  } else {
    claimed.spec.store_locked = true;
    auto check = [] { tthub::pg_guard([] { CHECK_FOR_INTERRUPTS(); }); };
    engine.add(claimed.spec);
    while (engine.active() > 0) {
      check();  // also while a request is in flight: step() then returns at once
      int64_t wait = engine.step(250, check);
      if (wait > 0) wait_a_little(std::min<int64_t>(wait, 250));
    }
    auto finished = engine.take_finished();
    if (!finished.empty()) summary = finished.back();
  }
  summary.duration_ms = tthub::steady_ms() - started;
  return summary_row(fcinfo, summary);
}

// tthub._wake_worker(): wake the sync worker when this transaction commits.
TTHUB_SQL_FUNCTION(tthub_wake_worker) {
  tthub::shared::wake_worker_at_commit();
  PG_RETURN_VOID();
}

// tthub._requeue_orphans(max_attempts integer) RETURNS integer: jobs whose worker is
// gone back to the queue, or dead when their attempts are spent; the worker's
// maintenance does the same (queue::requeue_orphans, by the one outcome rule).
// Nothing on a Citus worker node: process ids there are not the coordinator's.
TTHUB_SQL_FUNCTION(tthub_requeue_orphans) {
  tthub::SubTransactions db;
  tthub::jobs::Policy policy = tthub::engine_config_from_settings().jobs;
  policy.max_attempts = PG_GETARG_INT32(0);
  int n = 0;
  db.run([&] {
    if (!tthub::citus::is_worker_node()) n = tthub::queue::requeue_orphans(policy);
  });
  PG_RETURN_INT32(n);
}
