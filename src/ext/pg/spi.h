// SPI from C++: parameters built from C++ values, statements with cached plans, and
// typed reads of the result. Every Postgres call goes through pg_guard. Call only
// inside a unit of database work (db_work.h), which has SPI connected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ext/pg/pg_bridge.h"

namespace tthub::spi {

struct Param {
  Oid type;
  Datum value;
  bool isnull;
};

Param text(std::string_view s);
Param text(const std::string &s);
Param text(const char *s);
Param text(const std::optional<std::string> &s);
Param int8(int64_t v);
Param int8(const std::optional<int64_t> &v);
Param int4(int32_t v);
Param date(int32_t date_adt);
Param bytea(const std::vector<uint8_t> &bytes);
Param text_array(const std::vector<std::optional<std::string>> &values);
Param int8_array(const std::vector<std::optional<int64_t>> &values);
// This process's pid (int4), for the worker_pid columns. A statement on a table Citus
// distributes must take it as a parameter, never call pg_backend_pid(): a shard
// evaluates that on its own node and gets another process's pid.
Param my_pid();

// Runs sql with $1..$n; the plan is prepared once per process and kept (sql must be a
// string literal: its address is the cache key). Returns the number of rows.
uint64_t exec(const char *sql, const std::vector<Param> &params);

// Reads column col (1-based) of row of the last result.
std::optional<std::string> get_text(uint64_t row, int col);
std::optional<int64_t> get_int8(uint64_t row, int col);
std::optional<int32_t> get_int4(uint64_t row, int col);
std::optional<std::vector<uint8_t>> get_bytea(uint64_t row, int col);

}  // namespace tthub::spi
