// One sync per store at a time, whoever starts it (worker, tthub_sync_now, another
// database of the cluster): an advisory lock in database 0, so it spans databases,
// keyed by a 64-bit hash of the store code. It shows in pg_locks as an advisory lock
// with objsubid 29800 ("tthub").
//
// Postgres counts a lock a process already holds as taken again; here it is not:
// two jobs of one process must exclude each other like two processes do.
#pragma once

#include <string>

namespace tthub {

class StoreLock {
 public:
  enum class Scope {
    // The worker: held until release(), across the job's many short transactions.
    kSession,
    // tthub_sync_now: held until the caller's transaction ends, so no other sync of
    // the store reads tokens this transaction rotated before they are committed.
    kTransaction,
  };

  explicit StoreLock(std::string store_code, Scope scope = Scope::kSession)
      : store_code_(std::move(store_code)), scope_(scope) {}
  ~StoreLock();  // releases a session lock if held
  StoreLock(const StoreLock &) = delete;
  StoreLock &operator=(const StoreLock &) = delete;

  // False when another sync holds it: another process, or (session scope) another
  // job of this process. A transaction-scoped lock this transaction already holds
  // counts as taken: it is left by an earlier tthub_sync_now of the same
  // transaction, which has ended (calls in one backend never overlap).
  bool try_acquire();
  // A session lock is released; a transaction lock stays until the transaction ends.
  void release();
  bool held() const { return held_; }

 private:
  std::string store_code_;
  Scope scope_;
  bool held_ = false;
};

}  // namespace tthub
