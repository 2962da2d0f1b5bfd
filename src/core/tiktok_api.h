// TikTok Display API and OAuth token endpoint: requests we send and the responses we
// accept, as TikTok documents them (Display API v2, Login Kit for Web). Pure C++: no
// Postgres, no network I/O.
//
// Parsing is strict on shape and identity: every field we write to a snapshot must
// have the documented type, numbers must be non-negative integers that fit in bigint,
// and ids and tokens must look like ids and tokens. Anything else fails the whole
// response, so a snapshot row is never half-written. Free text (names, titles, error
// messages) is stored as sent, but sanitised and capped (core/text_sanitize.h): one
// odd character in a title must not cost the day's snapshot, and nothing TikTok sends
// may leave bytes in a table that pg_dump cannot restore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/http_message.h"

namespace tthub::tiktok {

// How a failed call should be handled.
enum class FailureKind {
  kRetryable,     // network error, timeout, 5xx, internal_error: retry the job later
  kRateLimited,   // 429 / rate_limit_exceeded: wait for the next slot, spend no attempt
  kTokenInvalid,  // access_token_invalid: refresh once, then reconnect
  kReconnect,     // revoked/expired refresh token, scope not granted: owner must reconnect
  kMalformed,     // a response we cannot trust: logged, job retried
  kFatal,         // a request TikTok rejects as invalid (our bug or config): not retried
};

struct ApiFailure {
  FailureKind kind = FailureKind::kFatal;
  long http_status = 0;
  std::string code;     // TikTok's error code or OAuth error category, if any
  std::string message;  // for logs and sync_logs: never contains a token
  std::string log_id;   // TikTok's log_id, for support requests
  std::optional<long> retry_after_seconds;
};

struct UserInfo {
  std::string open_id;
  std::optional<std::string> display_name;
  std::optional<std::string> avatar_url;
  std::optional<int64_t> follower_count;
  std::optional<int64_t> following_count;
  std::optional<int64_t> likes_count;
  std::optional<int64_t> video_count;
};

struct Video {
  std::string id;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> cover_image_url;
  std::optional<std::string> share_url;
  std::optional<int64_t> create_time;  // epoch seconds
  std::optional<int64_t> duration;
  std::optional<int64_t> height;
  std::optional<int64_t> width;
  std::optional<std::string> embed_link;
  std::optional<int64_t> view_count;
  std::optional<int64_t> like_count;
  std::optional<int64_t> comment_count;
  std::optional<int64_t> share_count;
};

struct VideoPage {
  std::vector<Video> videos;
  int64_t cursor = 0;
  bool has_more = false;
};

// What video/query answered for the ids it was asked about (section 7). Videos come
// back in TikTok's order; `missing` lists, in the order they were asked, the ids the
// answer left out (deleted, private, not this user's: TikTok does not say which).
struct VideoQueryAnswer {
  std::vector<Video> videos;
  std::vector<std::string> missing;
};

struct TokenSet {
  std::string open_id;
  std::string scope;
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in = 0;
  int64_t refresh_expires_in = 0;
};

// Either a value or a failure.
template <typename T>
struct Result {
  std::optional<T> value;
  ApiFailure failure;
  bool ok() const { return value.has_value(); }
};

// Caps on text TikTok sends, in bytes, cut on a code-point boundary (see sanitize()).
// TikTok documents titles and descriptions as at most 150 characters; 4 bytes per
// code point is UTF-8's widest, so a title within that limit is never cut.
inline constexpr size_t kTitleMaxChars = 150;
inline constexpr size_t kTitleCapBytes = kTitleMaxChars * 4;
// No documented limit for these: our bounds, far above what TikTok shows.
inline constexpr size_t kDisplayNameCapBytes = 256;
inline constexpr size_t kUrlCapBytes = 4096;  // a longer URL is dropped, not cut into a wrong link
inline constexpr size_t kScopeCapBytes = 1024;
// Error texts end up in sync_logs, sync_jobs.last_error and account status reasons.
inline constexpr size_t kErrorCodeCapBytes = 64;
inline constexpr size_t kErrorMessageCapBytes = 300;  // TikTok's message, inside ours
inline constexpr size_t kLogIdCapBytes = 128;
inline constexpr size_t kFailureMessageCapBytes = 512;  // the whole ApiFailure::message
// Identifiers are checked, never altered. The bounds are the columns' widths
// (store_accounts.open_id varchar(128), video_daily.video_id varchar(64)); tokens
// have no documented length, this bound is ours.
inline constexpr size_t kOpenIdMaxBytes = 128;
inline constexpr size_t kVideoIdMaxBytes = 64;
inline constexpr size_t kTokenMaxBytes = 4096;

// Fields we request (section 5 and 8; is_aigc is UNCONFIRMED for list/query: not requested).
inline constexpr const char *kUserFields =
    "open_id,display_name,avatar_url,follower_count,following_count,likes_count,video_count";
inline constexpr const char *kVideoFields =
    "id,title,video_description,create_time,cover_image_url,share_url,embed_link,duration,height,width,"
    "view_count,like_count,comment_count,share_count";
// Scopes a stats sync needs (section 3).
inline constexpr const char *kRequiredScopes[] = {"user.info.stats", "video.list"};

// The first required scope missing from a comma-separated granted list, or empty.
std::string missing_scope(const std::string &granted);

std::string join_url(const std::string &base, const std::string &path);
HttpRequest user_info_request(const std::string &base, const std::string &access_token);
HttpRequest video_list_request(const std::string &base, const std::string &access_token,
                               std::optional<int64_t> cursor, int max_count);
// Section 7: the given ids (1 to kMaxVideoIdsPerQuery, each a valid video id) in
// filters.video_ids, the same fields as video/list. Throws std::invalid_argument on
// an empty, oversized or invalid id list: that is our bug, never TikTok's.
HttpRequest video_query_request(const std::string &base, const std::string &access_token,
                                const std::vector<std::string> &video_ids);
HttpRequest refresh_request(const std::string &base, const std::string &client_key,
                            const std::string &client_secret, const std::string &refresh_token);

// Login Kit (section 2.3): exchange the URL-decoded callback code. Web apps send no
// code_verifier: PKCE is documented for mobile and desktop only (section 2.1).
HttpRequest authorization_code_request(const std::string &base, const std::string &client_key,
                                       const std::string &client_secret, const std::string &code,
                                       const std::string &redirect_uri);
// Section 2.5: revoke the user's access token.
HttpRequest revoke_request(const std::string &base, const std::string &client_key,
                           const std::string &client_secret, const std::string &access_token);
// Fields for the profile read right after connecting (user.info.basic only).
inline constexpr const char *kProfileFields = "open_id,display_name,avatar_url";
HttpRequest profile_request(const std::string &base, const std::string &access_token);

Result<UserInfo> parse_user_info(const HttpResponse &r);
Result<VideoPage> parse_video_page(const HttpResponse &r);
// Strict like parse_video_page, and also: every returned id must be one that was
// asked for, at most once (anything else is another user's or a confused answer:
// the whole response is malformed). Ids asked for and not returned are `missing`.
Result<VideoQueryAnswer> parse_video_query(const HttpResponse &r, const std::vector<std::string> &asked);
Result<TokenSet> parse_token_response(const HttpResponse &r);
// Success is an empty body or {} (section 2.5); errors use the OAuth shape (2.6).
Result<bool> parse_revoke_response(const HttpResponse &r);

// application/x-www-form-urlencoded encoding of one value.
std::string form_encode(const std::string &s);

}  // namespace tthub::tiktok
