// A unit of database work with SPI connected. The sync engine writes through this
// interface so that the same code runs in the worker (each unit its own short
// transaction, committed before the next network call) and in tthub_sync_now (each
// unit a subtransaction of the caller's transaction).
#pragma once

#include <functional>

namespace tthub {

class DbWork {
 public:
  virtual ~DbWork() = default;
  // Runs fn; if fn throws, its writes are rolled back and the exception propagates.
  virtual void run(const std::function<void()> &fn) = 0;
};

// The worker: StartTransactionCommand ... CommitTransactionCommand around fn.
class OwnTransactions final : public DbWork {
 public:
  void run(const std::function<void()> &fn) override;
};

// Inside a SQL function: an internal subtransaction around fn.
class SubTransactions final : public DbWork {
 public:
  void run(const std::function<void()> &fn) override;
};

}  // namespace tthub
