#include "db_pool.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace shim {
namespace {

int ms_until(DbPool::Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - DbPool::Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 60 * 60 * 1000));
}

void unavailable(DbError *err, const char *what) {
  err->sqlstate.clear();
  err->message = what;
}

// A pooled connection the server has closed in the meantime (restart, idle
// timeout, pg_terminate_backend) has input waiting: reading it shows the break
// without a round trip.
bool still_usable(PGconn *c) {
  if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) return false;
  pollfd p{PQsocket(c), POLLIN, 0};
  if (poll(&p, 1, 0) > 0) {
    if (!PQconsumeInput(c)) return false;
    PGnotify *n;
    while ((n = PQnotifies(c)) != nullptr) PQfreemem(n);
  }
  return PQstatus(c) == CONNECTION_OK;
}

}  // namespace

DbPool::~DbPool() {
  for (PGconn *c : idle_) PQfinish(c);
}

PGconn *DbPool::open(DbError *err) {
  // The URL comes last so that what it sets wins over these defaults. Like every
  // session tthub opens, the shim's resolves names in pg_catalog only: its
  // statements name tthub.x, and no role's schema can shadow a built-in in them.
  const char *keys[] = {"connect_timeout", "application_name", "options", "dbname", nullptr};
  const char *values[] = {"5", "tthub-oauth", "-c search_path=pg_catalog,pg_temp", url_.c_str(), nullptr};
  PGconn *c = PQconnectdbParams(keys, values, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    if (c) PQfinish(c);
    unavailable(err, "the database is unavailable");
    return nullptr;
  }
  return c;
}

DbPool::Lease DbPool::acquire(Clock::time_point deadline, bool slow, DbError *err) {
  const size_t max_slow = size_ > 1 ? size_ - 1 : 1;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!slow || slow_ < max_slow) {
      while (!idle_.empty()) {
        PGconn *c = idle_.back();
        idle_.pop_back();
        if (still_usable(c)) {
          slow_ += slow;
          return Lease(this, c, slow);
        }
        PQfinish(c);
        --open_;
      }
      if (open_ < size_) {
        ++open_;
        slow_ += slow;
        lock.unlock();
        PGconn *c = open(err);
        if (c) return Lease(this, c, slow);
        lock.lock();
        --open_;
        slow_ -= slow;
        cv_.notify_all();
        return Lease();
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      unavailable(err, "the database is busy");
      return Lease();
    }
  }
}

void DbPool::give_back(PGconn *c, bool slow, bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  slow_ -= slow;
  if (broken || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) {
    PQfinish(c);
    --open_;
  } else {
    idle_.push_back(c);
  }
  cv_.notify_all();  // a slow and a quick caller may wait for different things
}

DbPool::Lease::~Lease() {
  if (conn_) pool_->give_back(conn_, slow_, broken_);
}

PgResult DbPool::Lease::query(const char *sql, const std::vector<std::string> &params, Clock::time_point deadline,
                              DbError *err) {
  std::vector<const char *> values;
  for (const auto &p : params) values.push_back(p.c_str());
  if (!PQsendQueryParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0)) {
    broken_ = true;
    unavailable(err, "the database is unavailable");
    return nullptr;
  }
  while (PQisBusy(conn_)) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    int ready = poll(&p, 1, ms_until(deadline));
    if (ready == 0) {
      // Past the deadline: cancel (the statement's transaction rolls back) and drop
      // the connection rather than wait for the cancel to land.
      if (PGcancel *cancel = PQgetCancel(conn_)) {
        char buf[256];
        PQcancel(cancel, buf, sizeof buf);
        PQfreeCancel(cancel);
      }
      broken_ = true;
      unavailable(err, "the database did not answer in time");
      return nullptr;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || !PQconsumeInput(conn_)) {
      broken_ = true;
      unavailable(err, "the database is unavailable");
      return nullptr;
    }
  }
  PgResult first(PQgetResult(conn_));
  while (PGresult *more = PQgetResult(conn_)) PQclear(more);
  if (!first || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    unavailable(err, "the database is unavailable");
    return nullptr;
  }
  if (PQresultStatus(first.get()) != PGRES_TUPLES_OK) {
    const char *state = PQresultErrorField(first.get(), PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(first.get(), PG_DIAG_MESSAGE_PRIMARY);
    err->sqlstate = state ? state : "XX000";
    err->message = msg ? msg : "database error";
    return nullptr;
  }
  return first;
}

}  // namespace shim
