// The sync log (table tthub.sync_logs): one line per account attempt of a job, and
// per OAuth connect or disconnect. Every C++ write to sync_logs is here.
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <string>

namespace tthub::sync_log {

struct Entry {
  std::string job_type;
  const char *status;  // RUNNING, SUCCESS, FAILED, SKIPPED
  std::string message;
  int64_t records = 0;
  long http_status = 0;  // 0: none
  int64_t started_at_ms = 0;  // epoch ms
  int request_retries = 0;
};

// open_id "" is stored as NULL (the line is about the whole store); job_id 0 means no job.
void write(const std::string &store_code, int64_t job_id, const std::string &open_id, const Entry &e);

}  // namespace tthub::sync_log
