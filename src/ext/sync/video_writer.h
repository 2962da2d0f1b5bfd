// Writes what TikTok said about videos (issue 19): tthub.videos (metadata, latest
// counters, first/last seen, removed_at), tthub.video_observations (every observation)
// and video_daily (the day's latest observation), for a page of the daily sync and
// for each answer of a refresh, one statement per page or answer. Also the refresh's
// own bookkeeping (account_refresh, refresh_calls) and its plan input. Statements keep
// store_code in every key and take timestamps as parameters, so they run on Citus too.
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/account_refresh.h"
#include "core/tiktok_api.h"

namespace tthub::videos {

// The page of the daily sync: videos, observations and video_daily rows, with the
// ledger's checkpoint and the job's progress (snapshot_writer's part) in the same
// statement. Returns the rows written (duplicate ids within a page count once).
struct DailyPage {
  std::string store_code;
  std::string open_id;
  int32_t snapshot_date = 0;
  int64_t job_id = 0;
  int pages = 0;
  int64_t videos_before = 0;
  bool complete = false;
  std::optional<int64_t> next_cursor;
  int64_t now_epoch_ms = 0;
  bool checkpoints = true;
};
int64_t write_daily_page(const DailyPage &d, const std::vector<tiktok::Video> &videos);

// A refresh answer (discovery or pass page, video/query answer, user/info).
struct RefreshWrite {
  std::string store_code;
  std::string open_id;
  int64_t job_id = 0;
  int32_t snapshot_date = 0;   // today, for video_daily
  int64_t observed_ms = 0;     // when the answer arrived
  refresh::Tier tier = refresh::Tier::kOld;  // the tier the calls are counted under
  int calls = 1;
  bool listed = false;         // a video/list page: last_listed_at moves
  bool discovery_done = false;
  bool pass_page = false;      // a page of the full pass that did not end it
  std::optional<int64_t> pass_cursor;
  bool need_pass = false;      // video/query left ids out: a full pass is due now
  bool user_info = false;      // a user/info answer (no videos)
  int64_t job_videos = 0;      // videos observed by the job so far, for its progress
  int job_pages = 0;           // video/list pages the job read so far
};
void write_refresh(const RefreshWrite &w, const std::vector<tiktok::Video> &videos);

// The full pass reached has_more = false: videos of the account not listed since it
// started are marked removed. pass_started_ms: none for the refresh's own pass (its
// start is in account_refresh). Returns how many were marked.
int64_t finish_full_pass(const std::string &store_code, const std::string &open_id,
                         std::optional<int64_t> pass_started_ms, int64_t finished_ms);

// Creates the missing daily partitions of video_observations (cheap when none is).
void ensure_partitions();
// Drops whole days past the retention; returns the partitions dropped.
int drop_old_observations(int retention_seconds);

// The plan of a refresh job: every account of the store that the refresh covers,
// with what it reads this round (empty work: nothing due for it): the store's share of
// the budget, planned ahead by the distance since its previous refresh job (job_id:
// this one). now_ms and the tiers in milliseconds.
std::map<std::string, refresh::AccountWork> plan_store(const std::string &store_code, int64_t job_id, int64_t now_ms,
                                                       const refresh::TierSettings &tiers,
                                                       const refresh::Budget &budget);

}  // namespace tthub::videos
