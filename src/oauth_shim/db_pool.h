// A small pool of libpq connections shared by the shim's worker threads: opened on
// demand up to a fixed size, reused, dropped when broken (the next caller opens a
// fresh one), and every statement bounded by a deadline (cancelled past it).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace shim {

struct DbError {
  std::string sqlstate;  // empty when the database could not be reached or did not answer
  std::string message;
};

struct ResultCloser {
  void operator()(PGresult *r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultCloser>;

class DbPool {
 public:
  using Clock = std::chrono::steady_clock;

  DbPool(std::string url, size_t size) : url_(std::move(url)), size_(size ? size : 1) {}
  ~DbPool();
  DbPool(const DbPool &) = delete;
  DbPool &operator=(const DbPool &) = delete;

  // A connection for one caller, given back when the lease ends.
  class Lease {
   public:
    Lease() = default;
    Lease(DbPool *pool, PGconn *conn) : pool_(pool), conn_(conn) {}
    Lease(Lease &&o) noexcept : pool_(o.pool_), conn_(o.conn_) { o.conn_ = nullptr; }
    Lease &operator=(Lease &&) = delete;
    ~Lease();
    explicit operator bool() const { return conn_ != nullptr; }
    // Runs one statement with text parameters; a single result with rows, or nullptr
    // and *err. Past the deadline the statement is cancelled and the connection dropped.
    PgResult query(const char *sql, const std::vector<std::string> &params, Clock::time_point deadline, DbError *err);
    // The connection broke (not an SQL error): the caller may retry on a fresh one.
    bool broken() const { return broken_; }

   private:
    DbPool *pool_ = nullptr;
    PGconn *conn_ = nullptr;
    bool broken_ = false;
  };

  // Waits until deadline for a connection; an empty lease and *err otherwise.
  Lease acquire(Clock::time_point deadline, DbError *err);

 private:
  PGconn *open(DbError *err);
  void give_back(PGconn *conn, bool broken);

  const std::string url_;
  const size_t size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PGconn *> idle_;
  size_t open_ = 0;  // idle + leased + being opened
};

}  // namespace shim
