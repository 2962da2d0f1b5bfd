// The refresh of one TikTok account (issue 19) as a state machine, free of I/O, like
// AccountSync for the daily run: it says which request to send next and turns each
// response into an event for the database side. What it reads was decided by the
// refresh planner (core/refresh_planner.h) for this round:
//   refresh (access token near expiry) -> user/info (when planned) -> discovery
//   (video/list from the top until the first known video, core/discovery.h; or the
//   full pass's first page, when the pass starts at the top) -> video/query batches
//   (at most 20 ids each), less the videos a list page of the round already returned
//   -> the full pass's (other) pages from its cursor, when planned.
// A video/query that TikTok refuses for an unknown id (UNCONFIRMED behaviour,
// core/video_query_batch.h) is split in halves until the id stands alone; an id left
// out of an answer, or refused alone, is reported missing. Missing is not proof of
// deletion: the database side asks for a full pass, which alone sets removed_at.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/account_sync.h"
#include "core/discovery.h"
#include "core/refresh_planner.h"

namespace tthub::refresh {

// What the plan gives one account this round.
struct AccountWork {
  bool user_info = false;
  bool discover = false;
  int64_t list_pages = 0;                  // > 0: read this many pages of the full pass
  std::optional<int64_t> list_cursor;      // where the pass in progress continues (none: from the top)
  std::vector<std::vector<std::string>> query_batches;  // each 1..20 ids
  std::vector<Tier> batch_tiers;           // per batch: the tier its calls are counted under
  // The tier user/info's call is counted under: the account's fastest tier, or fresh
  // when the read is the store's discovery (StorePlan::user_info_discovers).
  Tier user_info_tier = Tier::kOld;
  // Discovery stops at the first of these (the newest known ids) or at a video older
  // than newest_known_create_time.
  std::unordered_set<std::string> known_ids;
  std::optional<int64_t> newest_known_create_time;

  bool empty() const { return !user_info && !discover && list_pages <= 0 && query_batches.empty(); }
};

namespace event {
// A video/list page of discovery or of the full pass: every video on it is an
// observation. pass_complete: the pass reached has_more = false.
struct ListRead {
  std::vector<tiktok::Video> videos;
  bool discovery = false;
  bool discovery_done = false;
  bool pass = false;
  bool pass_complete = false;
  std::optional<int64_t> pass_cursor;  // the pass's next page (none once complete)
  int64_t new_videos = 0;              // discovery: videos not known before
};
// One video/query answer: the videos returned, and the ids asked that TikTok left out
// (or refused alone).
struct QueryRead {
  std::vector<tiktok::Video> videos;
  std::vector<std::string> missing;
  Tier tier = Tier::kOld;
};
}  // namespace event

using Event = std::variant<tiktok::event::TokensRefreshed, tiktok::event::UserFetched, event::ListRead,
                           event::QueryRead, tiktok::event::Failed, tiktok::event::RetryLater>;

class AccountRefresh {
 public:
  AccountRefresh(tiktok::AccountCredentials credentials, tiktok::SyncConfig config, AccountWork work, int64_t now);
  ~AccountRefresh();
  AccountRefresh(const AccountRefresh &) = delete;
  AccountRefresh &operator=(const AccountRefresh &) = delete;

  const std::optional<tiktok::ApiFailure> &precheck_failure() const { return precheck_; }
  bool done() const { return step_ == Step::kDone || step_ == Step::kFailed; }
  tiktok::Endpoint endpoint() const;
  HttpRequest request() const;
  Event on_response(const HttpResponse &response);

  // Between requests: the video/query batches go next, before the user/info or
  // video/list read this refresh was about to send (it follows them). The engine asks
  // when that read's endpoint has no slot now and video/query has one, so the query
  // budget does not wait on another endpoint's. False (nothing changes) when no query
  // is left or the refresh is not at such a read.
  bool queries_first();

  // The next request is a video/query batch of fresh videos (or a token refresh that
  // interrupted one): the engine gives it a spent endpoint's free slot first. The other
  // requests keep their order, as the planner's does for discoveries: behind the
  // passes' reserve, which keeps every video within tthub.old_video_max_interval.
  bool fresh_next() const;

  int retries() const { return retries_; }
  int calls() const { return calls_; }          // Display API requests answered (not the token refresh)
  int64_t observed() const { return observed_; }  // videos observed so far
  const AccountWork &work() const { return work_; }

 private:
  enum class Step { kRefresh, kUserInfo, kDiscover, kPass, kQuery, kDone, kFailed };
  void advance();
  Event fail(tiktok::ApiFailure f);
  Event on_display_failure(const tiktok::ApiFailure &f);
  Event on_list_page(const tiktok::VideoPage &page);
  Event on_query_answer(const HttpResponse &response);
  void skip_listed();

  tiktok::AccountCredentials creds_;
  tiktok::SyncConfig config_;
  AccountWork work_;
  Step step_ = Step::kUserInfo;
  Step resume_ = Step::kRefresh;  // where to continue after a token refresh (kRefresh: the first step)
  bool untried_refresh_ = false;  // as AccountSync's: refreshed tokens no answer has accepted yet
  bool user_read_ = false;
  bool discovered_ = false;
  bool pass_complete_ = false;
  bool queries_first_ = false;
  std::optional<discovery::Discovery> discovery_;
  std::optional<int64_t> pass_cursor_;
  int64_t pass_pages_ = 0;
  struct Batch {
    std::vector<std::string> ids;
    Tier tier;
  };
  std::deque<Batch> batches_;
  std::unordered_set<std::string> listed_;  // ids list pages of this round returned
  int failures_in_a_row_ = 0;
  int retries_ = 0;
  int calls_ = 0;
  int64_t observed_ = 0;
  std::optional<tiktok::ApiFailure> precheck_;
};

}  // namespace tthub::refresh
