#include "core/account_sync.h"

#include <openssl/crypto.h>

namespace tthub::tiktok {

const char *endpoint_name(Endpoint e) {
  switch (e) {
    case Endpoint::kToken: return "oauth/token";
    case Endpoint::kUserInfo: return "user/info";
    case Endpoint::kVideoList: return "video/list";
    case Endpoint::kVideoQuery: return "video/query";
  }
  return "?";
}

ApiFailure reconnect_failure(std::string message) {
  ApiFailure f;
  f.kind = FailureKind::kReconnect;
  f.message = std::move(message);
  return f;
}

ApiFailure no_client_secret_failure() {
  ApiFailure f;
  f.kind = FailureKind::kFatal;
  f.message = "the token needs a refresh but the TikTok client secret is not configured";
  return f;
}

AccountSync::AccountSync(AccountCredentials credentials, SyncConfig config, int64_t now)
    : creds_(std::move(credentials)), config_(std::move(config)) {
  std::string scope = missing_scope(creds_.scope);
  if (!scope.empty()) {
    precheck_ = reconnect_failure("scope " + scope + " not granted");
  } else if (creds_.access_token.empty() || creds_.refresh_token.empty()) {
    precheck_ = reconnect_failure("no stored token");
  } else if (creds_.access_expires_at - now <= config_.refresh_margin_seconds) {
    if (creds_.refresh_expires_at <= now)
      precheck_ = reconnect_failure("refresh token expired");
    else
      state_ = State::kRefresh;
  }
  if (!precheck_ && state_ == State::kRefresh && config_.client_secret.empty()) precheck_ = no_client_secret_failure();
  if (precheck_) state_ = State::kFailed;
}

AccountSync::~AccountSync() {
  OPENSSL_cleanse(creds_.access_token.data(), creds_.access_token.size());
  OPENSSL_cleanse(creds_.refresh_token.data(), creds_.refresh_token.size());
}

Endpoint AccountSync::endpoint() const {
  switch (state_) {
    case State::kRefresh: return Endpoint::kToken;
    case State::kVideos: return Endpoint::kVideoList;
    default: return Endpoint::kUserInfo;
  }
}

HttpRequest AccountSync::request() const {
  switch (state_) {
    case State::kRefresh:
      return refresh_request(config_.api_base_url, config_.client_key, config_.client_secret,
                             creds_.refresh_token);
    case State::kVideos:
      return video_list_request(config_.api_base_url, creds_.access_token, cursor_, config_.page_size);
    default:
      return user_info_request(config_.api_base_url, creds_.access_token);
  }
}

Event AccountSync::fail(ApiFailure f) {
  state_ = State::kFailed;
  return event::Failed{std::move(f)};
}

Event AccountSync::on_token_invalid(const ApiFailure &f) {
  if (untried_refresh_) {
    ApiFailure r = f;
    r.kind = FailureKind::kReconnect;
    r.message = "access token rejected after a refresh: " + f.message;
    return fail(std::move(r));
  }
  if (config_.client_secret.empty()) return fail(no_client_secret_failure());
  resume_ = state_;
  state_ = State::kRefresh;
  return event::RetryLater{f};  // not a rate limit, but the same "send the next request" step
}

void AccountSync::resume_from(int64_t cursor, int pages, int64_t videos) {
  cursor_ = cursor;
  pages_ = pages;
  videos_ = videos;
}

// A failed user/info or video/list call: wait out a 429, retry a transient failure in
// place while retries are left, refresh a rejected token, or end the sync.
Event AccountSync::on_display_failure(const ApiFailure &f) {
  if (f.kind == FailureKind::kRateLimited) return event::RetryLater{f};
  if (is_transient(f.kind) && failures_in_a_row_ < config_.retry.max_retries) {
    ++failures_in_a_row_;
    ++retries_;
    return event::RetryLater{f, failures_in_a_row_};
  }
  if (f.kind == FailureKind::kTokenInvalid) return on_token_invalid(f);
  return fail(f);
}

Event AccountSync::on_response(const HttpResponse &response) {
  switch (state_) {
    case State::kRefresh: {
      Result<TokenSet> t = parse_token_response(response);
      if (!t.ok()) {
        if (t.failure.kind == FailureKind::kRateLimited) return event::RetryLater{t.failure};
        return fail(t.failure);
      }
      if (!t.value->open_id.empty() && t.value->open_id != creds_.open_id)
        return fail(reconnect_failure("the refreshed token belongs to another TikTok account"));
      untried_refresh_ = true;
      creds_.access_token = t.value->access_token;
      creds_.refresh_token = t.value->refresh_token;
      if (!t.value->scope.empty()) creds_.scope = t.value->scope;
      state_ = resume_;
      return event::TokensRefreshed{std::move(*t.value)};
    }
    case State::kUserInfo: {
      Result<UserInfo> u = parse_user_info(response);
      if (!u.ok()) return on_display_failure(u.failure);
      if (!u.value->open_id.empty() && u.value->open_id != creds_.open_id)
        return fail(reconnect_failure("the token belongs to another TikTok account"));
      u.value->open_id = creds_.open_id;
      failures_in_a_row_ = 0;
      untried_refresh_ = false;
      state_ = State::kVideos;
      return event::UserFetched{std::move(*u.value)};
    }
    case State::kVideos: {
      Result<VideoPage> p = parse_video_page(response);
      if (!p.ok()) return on_display_failure(p.failure);
      if (p.value->has_more && cursor_ && p.value->cursor >= *cursor_) {
        // The cursor pages backwards in time (section 6); one that does not move back
        // would loop forever.
        ApiFailure f;
        f.kind = FailureKind::kMalformed;
        f.http_status = response.status;
        f.message = "malformed TikTok response: video/list cursor did not advance";
        return fail(std::move(f));
      }
      failures_in_a_row_ = 0;
      untried_refresh_ = false;
      ++pages_;
      videos_ += static_cast<int64_t>(p.value->videos.size());
      int page_number = pages_;
      if (p.value->has_more) {
        if (pages_ >= config_.max_pages) {
          ApiFailure f;
          f.kind = FailureKind::kFatal;
          f.message = "more than " + std::to_string(config_.max_pages) + " pages of videos";
          return fail(std::move(f));
        }
        cursor_ = p.value->cursor;
      } else {
        state_ = State::kDone;
      }
      return event::PageFetched{std::move(*p.value), page_number};
    }
    default: {
      ApiFailure f;
      f.kind = FailureKind::kFatal;
      f.message = "tthub internal error: response after the sync ended";
      return fail(std::move(f));
    }
  }
}

}  // namespace tthub::tiktok
