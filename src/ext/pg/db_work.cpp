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
  pg_guard([&] {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);  // commit leaves us in TopMemoryContext
  });
}

void SubTransactions::run(const std::function<void()> &fn) {
  with_subtransaction([&] {
    pg_guard([] { SPI_connect(); });
    fn();
    pg_guard([] { SPI_finish(); });
  });
}

}  // namespace tthub
