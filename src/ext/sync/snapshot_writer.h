// Writes a sync's snapshots: the day's account row, one page of videos per statement
// (INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE, with the completeness
// ledger's checkpoint and the job's progress in the same statement), and the ledger
// line of each account-day. Statements keep store_code in every key and take
// timestamps from EXCLUDED in DO UPDATE, so they are valid on Citus as well.
// sync_logs is written by sync_log.h, the job by job_queue.h.
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/tiktok_api.h"

namespace tthub::snapshots {

struct Target {
  std::string store_code;
  std::string open_id;
  int32_t snapshot_date;  // DateADT
  int64_t job_id;
  bool checkpoints = true;  // the installed SQL has 0.4's checkpoint columns (installed_sql.h)
  bool videos = false;      // ... and 0.5's tthub.videos and video_observations (has_videos)
};

// The store's snapshot day as of now: tthub.store_today(store_code), in the store's
// time zone (else tthub.snapshot_timezone), the one home of that rule. A sync writes an
// account under the day it starts observing it, whatever day its job was enqueued for
// (README, "The snapshot day").
int32_t today(const std::string &store_code);

void write_user(const Target &t, const tiktok::UserInfo &u);

// Where an earlier attempt of the same account and day stopped.
struct Checkpoint {
  int pages = 0;
  int64_t videos = 0;
  std::optional<int64_t> next_cursor;  // none: start from the first page
};
// Opens the ledger line of the account-day for this job and returns its checkpoint:
// empty for a new day or one already complete (which starts over).
Checkpoint ledger_open(const Target &t);

struct PageProgress {
  int pages = 0;               // pages of the day so far, this one included
  int64_t videos_before = 0;   // rows of the day before this page
  bool complete = false;       // has_more was false
  std::optional<int64_t> next_cursor;  // the checkpoint: where the next page starts
  int64_t now_epoch_ms = 0;    // the ledger's finished_at when complete
};
// One page: its videos, the ledger line and the job's progress in one statement.
// Returns the number of rows written (duplicate ids within a page count once).
int64_t write_page(const Target &t, const tiktok::VideoPage &page, const PageProgress &p);

}  // namespace tthub::snapshots
