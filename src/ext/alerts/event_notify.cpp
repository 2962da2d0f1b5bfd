#include "ext/alerts/event_notify.h"

#include "core/clock.h"
#include "core/error.h"
#include "ext/config/installed_sql.h"
#include "ext/config/settings.h"
#include "ext/pg/db_work.h"
#include "ext/pg/lock_timeout.h"
#include "ext/pg/spi.h"

namespace tthub::alerts {
namespace {

// Notifications per transaction: a backlog (after an outage of the queue) goes out
// in bounded transactions.
constexpr int kBatch = 500;
constexpr int kMaxBatchesPerCall = 20;
// After a failure, the next warning about NOTIFY waits this long (a queue that
// stays full would otherwise log one per event).
constexpr int64_t kWarnEveryMs = 60 * 1000;
int64_t g_last_warning_ms = -kWarnEveryMs;

// One batch; returns how many events it handled (-1: the SQL is older than this library).
int batch(DbWork &db, bool send) {
  int handled = 0;
  db.run([&] {
    lock_waits::bound();
    if (!installed::sql().has_worker_notify()) {
      handled = -1;
      return;
    }
    spi::exec("SELECT tthub._notify_events($1::integer, $2::integer <> 0)", {spi::int4(kBatch), spi::int4(send ? 1 : 0)});
    handled = spi::get_int4(0, 1).value_or(0);
  });
  return handled;
}

void warn(const Error &e, const char *what) {
  int64_t now = steady_ms();
  if (now - g_last_warning_ms < kWarnEveryMs) return;
  g_last_warning_ms = now;
  pg_guard([&] {
    ereport(WARNING, (errmsg("tthub: %s (SQLSTATE %s): %s", what, e.sqlstate().c_str(), e.what()),
                      errhint("The events are in tthub.events and their webhooks are sent; only LISTEN tthub_events "
                              "missed them. A full queue: see pg_notification_queue_usage().")));
  });
}

}  // namespace

void send_pending_notifications(DbWork &db) {
  for (int i = 0; i < kMaxBatchesPerCall; ++i) {
    try {
      if (batch(db, settings::notify_events) < kBatch) return;
    } catch (const Error &e) {
      if (is_operator_intervention(e)) throw;
      warn(e, "NOTIFY tthub_events failed, those notifications are dropped");
      // Dropped rather than retried: one that a queue cannot take would hold every
      // later one back.
      try {
        batch(db, false);
      } catch (const Error &again) {
        if (is_operator_intervention(again)) throw;
        warn(again, "pending NOTIFYs could not be cleared, trying again later");
      }
      return;
    }
  }
}

}  // namespace tthub::alerts
