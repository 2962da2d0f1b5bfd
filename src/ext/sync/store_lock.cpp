#include "ext/sync/store_lock.h"

#include "ext/pg/pg_bridge.h"

namespace tthub {
namespace {

constexpr uint16 kLockSubId = 29800;

LOCKTAG tag_for(const std::string &code) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes and versions
  for (unsigned char c : code) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  LOCKTAG tag;
  SET_LOCKTAG_ADVISORY(tag, InvalidOid, static_cast<uint32>(h >> 32), static_cast<uint32>(h), kLockSubId);
  return tag;
}

}  // namespace

bool StoreLock::try_acquire() {
  if (held_) return true;
  LOCKTAG tag = tag_for(store_code_);
  const bool session = scope_ == Scope::kSession;
  LockAcquireResult r = pg_guard([&] {
    LockAcquireResult got = LockAcquire(&tag, ExclusiveLock, session, true);
    // Already held by this process: LockAcquire counted it once more. For a session
    // lock the holder is another job of this process, so undo the count and report
    // the store busy.
    if (session && (got == LOCKACQUIRE_ALREADY_HELD || got == LOCKACQUIRE_ALREADY_CLEAR))
      LockRelease(&tag, ExclusiveLock, true);
    return got;
  });
  held_ = r == LOCKACQUIRE_OK || (!session && r != LOCKACQUIRE_NOT_AVAIL);
  return held_;
}

void StoreLock::release() {
  if (!held_) return;
  held_ = false;
  if (scope_ == Scope::kTransaction) return;  // the transaction's end releases it
  LOCKTAG tag = tag_for(store_code_);
  pg_guard([&] { LockRelease(&tag, ExclusiveLock, true); });
}

StoreLock::~StoreLock() {
  try {
    release();
  } catch (...) {
    // A session lock that cannot be released is released when the session ends.
  }
}

}  // namespace tthub
