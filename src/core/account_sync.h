// The sync of one TikTok account as a state machine, free of I/O: it says which
// request to send next and turns each response into an event for the database side
// (tokens refreshed, user fetched, a page of videos, finished, failed). The driver
// owns the network and the transactions; this class owns the protocol:
//   refresh (when the access token is near expiry) -> user info -> video pages until
//   has_more is false. access_token_invalid triggers one refresh and a retry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/retry_policy.h"
#include "core/tiktok_api.h"

namespace tthub::tiktok {

struct AccountCredentials {
  std::string open_id;
  std::string access_token;
  std::string refresh_token;
  std::string scope;
  int64_t access_expires_at = 0;   // epoch seconds
  int64_t refresh_expires_at = 0;  // epoch seconds
};

struct SyncConfig {
  std::string api_base_url;
  std::string client_key;
  std::string client_secret;
  int64_t refresh_margin_seconds = 300;  // refresh when the token expires within this
  int page_size = 20;
  int max_pages = 100000;  // a runaway-paging guard: 2 million videos
  RetryPolicy retry;  // transient failures of one request, retried in place
};

// Failures both account protocols report (this one and refresh::AccountRefresh).
ApiFailure reconnect_failure(std::string message);
ApiFailure no_client_secret_failure();

enum class Endpoint { kToken, kUserInfo, kVideoList, kVideoQuery };
inline constexpr int kEndpointCount = 4;
const char *endpoint_name(Endpoint e);

namespace event {
struct TokensRefreshed {
  TokenSet tokens;
};
struct UserFetched {
  UserInfo user;
};
struct PageFetched {
  VideoPage page;
  int page_number = 0;  // 1-based
};
struct Failed {
  ApiFailure failure;
};
// Send request() again: after the limiter's next slot when rate limited, at once when
// the access token was rejected (request() is then the refresh), after a backoff when
// the failure was transient (retry_number says which retry of this request it is).
struct RetryLater {
  ApiFailure failure;
  int retry_number = 0;  // transient failures only: 1 for the first retry of a request
};
}  // namespace event

using Event = std::variant<event::TokensRefreshed, event::UserFetched, event::PageFetched,
                           event::Failed, event::RetryLater>;

class AccountSync {
 public:
  AccountSync(AccountCredentials credentials, SyncConfig config, int64_t now);
  ~AccountSync();
  AccountSync(const AccountSync &) = delete;
  AccountSync &operator=(const AccountSync &) = delete;

  // A failure known before any request (missing scope, expired refresh token).
  const std::optional<ApiFailure> &precheck_failure() const { return precheck_; }

  bool done() const { return state_ == State::kDone || state_ == State::kFailed; }
  Endpoint endpoint() const;
  HttpRequest request() const;  // the request for the current step

  Event on_response(const HttpResponse &response);

  // Continue an earlier attempt's paging of the same day: the next video/list request
  // sends `cursor`, and pages/videos count on from the checkpoint. user/info is still
  // fetched first (one request: the account's counts of the day).
  void resume_from(int64_t cursor, int pages, int64_t videos);
  // The cursor of the next page, for the checkpoint; none once paging reached the end.
  std::optional<int64_t> next_cursor() const { return state_ == State::kDone ? std::nullopt : cursor_; }
  // Transient failures retried in place so far (for sync_logs).
  int retries() const { return retries_; }

  int pages() const { return pages_; }
  int64_t videos() const { return videos_; }

 private:
  enum class State { kRefresh, kUserInfo, kVideos, kDone, kFailed };
  Event fail(ApiFailure f);
  Event on_token_invalid(const ApiFailure &f);
  Event on_display_failure(const ApiFailure &f);

  AccountCredentials creds_;
  SyncConfig config_;
  State state_ = State::kUserInfo;
  State resume_ = State::kUserInfo;  // where to continue after a refresh
  // Refreshed tokens TikTok has not answered a Display request for yet: rejected now,
  // the refresh did not help and the owner must reconnect (reference section 4:
  // refresh and retry once). Once they worked, a later rejection (they expired during
  // a long sync) earns another refresh.
  bool untried_refresh_ = false;
  std::optional<int64_t> cursor_;
  int pages_ = 0;
  int64_t videos_ = 0;
  int failures_in_a_row_ = 0;  // transient failures of the current request
  int retries_ = 0;
  std::optional<ApiFailure> precheck_;
};

}  // namespace tthub::tiktok
