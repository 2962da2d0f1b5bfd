// One sync per store at a time, whoever starts it (worker, tthub_sync_now, another
// database of the cluster): a session-level advisory lock in database 0, so it spans
// databases, keyed by a 64-bit hash of the store code. It shows in pg_locks as an
// advisory lock with objsubid 29800 ("tthub").
#pragma once

#include <string>

namespace tthub {

class StoreLock {
 public:
  explicit StoreLock(std::string store_code) : store_code_(std::move(store_code)) {}
  ~StoreLock();  // releases if held
  StoreLock(const StoreLock &) = delete;
  StoreLock &operator=(const StoreLock &) = delete;

  bool try_acquire();  // false when another session holds it
  void release();
  bool held() const { return held_; }

 private:
  std::string store_code_;
  bool held_ = false;
};

}  // namespace tthub
