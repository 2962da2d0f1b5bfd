// Writes a sync's results: the day's account row, one page of videos per statement
// (INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE), the completeness
// ledger, job progress and sync_logs. Statements keep store_code in every key and
// take timestamps from EXCLUDED in DO UPDATE, so they are valid on Citus as well.
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <string>

#include "core/tiktok_api.h"

namespace tthub::snapshots {

struct Target {
  std::string store_code;
  std::string open_id;
  int32_t snapshot_date;  // DateADT
  int64_t job_id;
};

void write_user(const Target &t, const tiktok::UserInfo &u);
// Returns the number of rows written (duplicate ids within a page count once).
int64_t write_videos(const Target &t, const tiktok::VideoPage &page);

void ledger_start(const Target &t);
void ledger_progress(const Target &t, int pages, int64_t videos, bool complete);
void job_progress(const Target &t, int pages, int64_t videos);

struct LogEntry {
  std::string job_type;
  const char *status;  // RUNNING, SUCCESS, FAILED, SKIPPED
  std::string message;
  int64_t records = 0;
  long http_status = 0;  // 0: none
  int64_t started_at_ms = 0;  // epoch ms
};
void log_attempt(const std::string &store_code, int64_t job_id, const std::string &open_id,
                 const LogEntry &e);

}  // namespace tthub::snapshots
