#include "ext/pg/db_work.h"

#include "ext/pg/pg_bridge.h"

namespace tthub {

void OwnTransactions::run(const std::function<void()> &fn) {
  MemoryContext caller = CurrentMemoryContext;
  pg_guard([] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
  });
  try {
    fn();
  } catch (...) {
    pg_guard([&] {
      AbortCurrentTransaction();
      MemoryContextSwitchTo(caller);
    });
    throw;
  }
  try {
    pg_guard([&] {
      SPI_finish();
      PopActiveSnapshot();
      CommitTransactionCommand();
      MemoryContextSwitchTo(caller);  // commit leaves us in TopMemoryContext
    });
  } catch (...) {
    // The commit itself can fail (a NOTIFY the notification queue cannot take, a
    // deferred check): the transaction still ends here, or the next unit of work
    // would start inside a broken one.
    pg_guard([&] {
      AbortCurrentTransaction();
      MemoryContextSwitchTo(caller);
    });
    throw;
  }
}

void SubTransactions::run(const std::function<void()> &fn) {
  with_subtransaction([&] {
    pg_guard([] { SPI_connect(); });
    fn();
    pg_guard([] { SPI_finish(); });
  });
}

}  // namespace tthub
