#include "core/account_refresh.h"

#include <openssl/crypto.h>

#include "core/video_query_batch.h"

namespace tthub::refresh {

using tiktok::ApiFailure;
using tiktok::FailureKind;

using tiktok::no_client_secret_failure;
using tiktok::reconnect_failure;

AccountRefresh::AccountRefresh(tiktok::AccountCredentials credentials, tiktok::SyncConfig config, AccountWork work,
                               int64_t now)
    : creds_(std::move(credentials)), config_(std::move(config)), work_(std::move(work)) {
  for (size_t i = 0; i < work_.query_batches.size(); ++i) {
    if (work_.query_batches[i].empty()) continue;
    Tier t = i < work_.batch_tiers.size() ? work_.batch_tiers[i] : Tier::kOld;
    batches_.push_back({work_.query_batches[i], t});
  }
  pass_cursor_ = work_.list_cursor;
  std::string scope = tiktok::missing_scope(creds_.scope);
  if (!scope.empty()) {
    precheck_ = reconnect_failure("scope " + scope + " not granted");
  } else if (creds_.access_token.empty() || creds_.refresh_token.empty()) {
    precheck_ = reconnect_failure("no stored token");
  } else if (creds_.access_expires_at - now <= config_.refresh_margin_seconds && !work_.empty()) {
    if (creds_.refresh_expires_at <= now)
      precheck_ = reconnect_failure("refresh token expired");
    else if (config_.client_secret.empty())
      precheck_ = no_client_secret_failure();
    else
      step_ = Step::kRefresh;
  }
  if (precheck_) {
    step_ = Step::kFailed;
    return;
  }
  if (step_ != Step::kRefresh) advance();
}

AccountRefresh::~AccountRefresh() {
  OPENSSL_cleanse(creds_.access_token.data(), creds_.access_token.size());
  OPENSSL_cleanse(creds_.refresh_token.data(), creds_.refresh_token.size());
}

// The next step with work: user/info, discovery, the pass's first page when the pass
// starts at the top (it is a discovery too: fresh videos on it need no query), the
// video/query batches less what list pages of the round returned, then the rest of the
// pass. Queries go before the pass's pages: with a short list budget those pages wait
// for list slots, and the query budget must not wait with them (the planner left to
// the pass only the videos its planned pages read).
void AccountRefresh::advance() {
  failures_in_a_row_ = 0;
  if (queries_first_) {
    skip_listed();
    if (!batches_.empty()) {
      step_ = Step::kQuery;
      return;
    }
  }
  if (work_.user_info && !user_read_) {
    step_ = Step::kUserInfo;
    return;
  }
  if (work_.discover && !discovered_) {
    if (!discovery_)
      discovery_.emplace([this](const std::string &id) { return work_.known_ids.count(id) > 0; },
                         work_.newest_known_create_time);
    step_ = Step::kDiscover;
    return;
  }
  bool pass_left = work_.list_pages > 0 && !pass_complete_ && pass_pages_ < work_.list_pages;
  if (pass_left && !work_.list_cursor && pass_pages_ == 0) {
    step_ = Step::kPass;
    return;
  }
  skip_listed();
  if (!batches_.empty()) {
    step_ = Step::kQuery;
    return;
  }
  step_ = pass_left ? Step::kPass : Step::kDone;
}

bool AccountRefresh::queries_first() {
  if (step_ != Step::kUserInfo && step_ != Step::kDiscover && step_ != Step::kPass) return false;
  skip_listed();
  if (batches_.empty()) return false;
  queries_first_ = true;
  failures_in_a_row_ = 0;
  step_ = Step::kQuery;
  return true;
}

tiktok::Endpoint AccountRefresh::endpoint() const {
  switch (step_) {
    case Step::kRefresh: return tiktok::Endpoint::kToken;
    case Step::kDiscover:
    case Step::kPass: return tiktok::Endpoint::kVideoList;
    case Step::kQuery: return tiktok::Endpoint::kVideoQuery;
    default: return tiktok::Endpoint::kUserInfo;
  }
}

bool AccountRefresh::fresh_next() const {
  Step at = step_ == Step::kRefresh ? resume_ : step_;
  return at == Step::kQuery && !batches_.empty() && batches_.front().tier == Tier::kFresh;
}

HttpRequest AccountRefresh::request() const {
  switch (step_) {
    case Step::kRefresh:
      return tiktok::refresh_request(config_.api_base_url, config_.client_key, config_.client_secret,
                                     creds_.refresh_token);
    case Step::kDiscover:
      return tiktok::video_list_request(config_.api_base_url, creds_.access_token, discovery_->next_cursor(),
                                        config_.page_size);
    case Step::kPass:
      return tiktok::video_list_request(config_.api_base_url, creds_.access_token, pass_cursor_, config_.page_size);
    case Step::kQuery:
      return tiktok::video_query_request(config_.api_base_url, creds_.access_token, batches_.front().ids);
    default:
      return tiktok::user_info_request(config_.api_base_url, creds_.access_token);
  }
}

Event AccountRefresh::fail(ApiFailure f) {
  step_ = Step::kFailed;
  return tiktok::event::Failed{std::move(f)};
}

// As AccountSync's: wait out a 429, retry a transient failure in place while retries
// are left, refresh a rejected token once, or end the refresh.
Event AccountRefresh::on_display_failure(const ApiFailure &f) {
  if (f.kind == FailureKind::kRateLimited) return tiktok::event::RetryLater{f};
  if (is_transient(f.kind) && failures_in_a_row_ < config_.retry.max_retries) {
    ++failures_in_a_row_;
    ++retries_;
    return tiktok::event::RetryLater{f, failures_in_a_row_};
  }
  if (f.kind == FailureKind::kTokenInvalid) {
    if (untried_refresh_) {
      ApiFailure r = f;
      r.kind = FailureKind::kReconnect;
      r.message = "access token rejected after a refresh: " + f.message;
      return fail(std::move(r));
    }
    if (config_.client_secret.empty()) return fail(no_client_secret_failure());
    resume_ = step_;
    step_ = Step::kRefresh;
    return tiktok::event::RetryLater{f};
  }
  return fail(f);
}

// A video a list page of this round returned was observed already: a query for it
// would spend a call on the same numbers. Fresh videos are the newest, so discovery's
// first page usually carries them all.
void AccountRefresh::skip_listed() {
  if (listed_.empty()) return;
  std::deque<Batch> kept;
  for (Batch &b : batches_) {
    std::vector<std::string> ids;
    for (std::string &id : b.ids)
      if (!listed_.count(id)) ids.push_back(std::move(id));
    if (!ids.empty()) kept.push_back({std::move(ids), b.tier});
  }
  batches_ = std::move(kept);
}

Event AccountRefresh::on_list_page(const tiktok::VideoPage &page) {
  ++calls_;
  untried_refresh_ = false;
  for (const tiktok::Video &v : page.videos) listed_.insert(v.id);
  event::ListRead out;
  if (step_ == Step::kDiscover) {
    discovery::Discovery::PageResult r = discovery_->take(page);
    out.discovery = true;
    out.videos = std::move(r.observed);
    out.new_videos = static_cast<int64_t>(r.new_videos.size());
    if (!discovery_->wants_more()) {
      out.discovery_done = true;
      discovered_ = true;
      advance();
    }
  } else {
    if (page.has_more && pass_cursor_ && page.cursor >= *pass_cursor_) {
      ApiFailure f;
      f.kind = FailureKind::kMalformed;
      f.message = "malformed TikTok response: video/list cursor did not advance";
      return fail(std::move(f));
    }
    ++pass_pages_;
    out.pass = true;
    out.videos = page.videos;
    if (!page.has_more) {
      out.pass_complete = true;
      pass_complete_ = true;
      pass_cursor_.reset();
    } else {
      pass_cursor_ = page.cursor;
      out.pass_cursor = pass_cursor_;
    }
    advance();  // the rest of the pass, or the queries after its first page, or done
  }
  observed_ += static_cast<int64_t>(out.videos.size());
  failures_in_a_row_ = 0;
  return out;
}

Event AccountRefresh::on_query_answer(const HttpResponse &response) {
  Batch &batch = batches_.front();
  tiktok::Result<tiktok::VideoQueryAnswer> a = tiktok::parse_video_query(response, batch.ids);
  if (!a.ok()) {
    bool refused_ids = a.failure.code == tiktok::kQueryUnknownIdErrorCode && !is_transient(a.failure.kind) &&
                       a.failure.kind != FailureKind::kRateLimited && a.failure.kind != FailureKind::kTokenInvalid &&
                       a.failure.kind != FailureKind::kReconnect;
    if (!refused_ids) return on_display_failure(a.failure);
    // TikTok refused the batch for an id (one behaviour the reference leaves open):
    // halves until the refused id stands alone.
    ++calls_;
    untried_refresh_ = false;
    failures_in_a_row_ = 0;
    Batch b = std::move(batch);
    batches_.pop_front();
    event::QueryRead out;
    out.tier = b.tier;
    if (b.ids.size() == 1) {
      out.missing = std::move(b.ids);
    } else {
      size_t half = b.ids.size() / 2;
      batches_.push_front({std::vector<std::string>(b.ids.begin() + half, b.ids.end()), b.tier});
      batches_.push_front({std::vector<std::string>(b.ids.begin(), b.ids.begin() + half), b.tier});
    }
    if (batches_.empty()) advance();
    return out;
  }
  ++calls_;
  untried_refresh_ = false;
  failures_in_a_row_ = 0;
  event::QueryRead out;
  out.tier = batch.tier;
  out.videos = std::move(a.value->videos);
  out.missing = std::move(a.value->missing);
  observed_ += static_cast<int64_t>(out.videos.size());
  batches_.pop_front();
  if (batches_.empty()) advance();
  return out;
}

Event AccountRefresh::on_response(const HttpResponse &response) {
  switch (step_) {
    case Step::kRefresh: {
      tiktok::Result<tiktok::TokenSet> t = tiktok::parse_token_response(response);
      if (!t.ok()) {
        if (t.failure.kind == FailureKind::kRateLimited) return tiktok::event::RetryLater{t.failure};
        return fail(t.failure);
      }
      if (!t.value->open_id.empty() && t.value->open_id != creds_.open_id)
        return fail(reconnect_failure("the refreshed token belongs to another TikTok account"));
      untried_refresh_ = true;
      creds_.access_token = t.value->access_token;
      creds_.refresh_token = t.value->refresh_token;
      if (!t.value->scope.empty()) creds_.scope = t.value->scope;
      if (resume_ == Step::kRefresh)
        advance();  // refreshed before any Display call: the first step with work
      else
        step_ = resume_;  // refreshed after access_token_invalid: the same request again
      return tiktok::event::TokensRefreshed{std::move(*t.value)};
    }
    case Step::kUserInfo: {
      tiktok::Result<tiktok::UserInfo> u = tiktok::parse_user_info(response);
      if (!u.ok()) return on_display_failure(u.failure);
      if (!u.value->open_id.empty() && u.value->open_id != creds_.open_id)
        return fail(reconnect_failure("the token belongs to another TikTok account"));
      u.value->open_id = creds_.open_id;
      untried_refresh_ = false;
      ++calls_;
      user_read_ = true;
      advance();
      return tiktok::event::UserFetched{std::move(*u.value)};
    }
    case Step::kDiscover:
    case Step::kPass: {
      tiktok::Result<tiktok::VideoPage> p = tiktok::parse_video_page(response);
      if (!p.ok()) return on_display_failure(p.failure);
      return on_list_page(*p.value);
    }
    case Step::kQuery:
      return on_query_answer(response);
    default: {
      ApiFailure f;
      f.kind = FailureKind::kFatal;
      f.message = "tthub internal error: response after the refresh ended";
      return fail(std::move(f));
    }
  }
}

}  // namespace tthub::refresh
