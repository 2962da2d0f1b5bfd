#include "core/account_sync.h"

#include <gtest/gtest.h>

#include "http_fixtures.h"

using namespace tthub::tiktok;
using tthub::HttpResponse;
using testing_fixtures::resp;

namespace {
constexpr int64_t kNow = 1800000000;
const std::string kOk = R"("error":{"code":"ok","message":"","log_id":"L"})";

AccountCredentials creds(int64_t expires_in = 3600) {
  AccountCredentials c;
  c.open_id = "o1";
  c.access_token = "act.1";
  c.refresh_token = "rft.1";
  c.scope = "user.info.basic,user.info.stats,video.list";
  c.access_expires_at = kNow + expires_in;
  c.refresh_expires_at = kNow + 86400 * 100;
  return c;
}
SyncConfig config() {
  SyncConfig c;
  c.api_base_url = "http://sim";
  c.client_key = "ck";
  c.client_secret = "cs";
  return c;
}
HttpResponse user_ok() { return resp(200, R"({"data":{"user":{"open_id":"o1","follower_count":5}},)" + kOk + "}"); }
HttpResponse page(int n, int64_t cursor, bool more) {
  std::string v;
  for (int i = 0; i < n; ++i) v += (i ? "," : "") + std::string(R"({"id":")") + std::to_string(cursor + i) + R"("})";
  return resp(200, R"({"data":{"videos":[)" + v + R"(],"cursor":)" + std::to_string(cursor) +
                       R"(,"has_more":)" + (more ? "true" : "false") + "}," + kOk + "}");
}
HttpResponse token_ok() {
  return resp(200, R"({"open_id":"o1","scope":"user.info.basic,user.info.stats,video.list","access_token":"act.2",
    "expires_in":7200,"refresh_token":"rft.2","refresh_expires_in":15552000,"token_type":"Bearer"})");
}
HttpResponse token_invalid() {
  return resp(401, R"({"data":{},"error":{"code":"access_token_invalid","message":"","log_id":"L"}})");
}
}  // namespace

TEST(AccountSync, UserThenPagesUntilHasMoreIsFalse) {
  AccountSync s(creds(), config(), kNow);
  ASSERT_FALSE(s.precheck_failure());
  EXPECT_EQ(s.endpoint(), Endpoint::kUserInfo);
  EXPECT_TRUE(std::holds_alternative<event::UserFetched>(s.on_response(user_ok())));
  EXPECT_EQ(s.endpoint(), Endpoint::kVideoList);
  EXPECT_EQ(s.request().body, R"({"max_count":20})");
  auto e1 = s.on_response(page(20, 3000, true));
  ASSERT_TRUE(std::holds_alternative<event::PageFetched>(e1));
  EXPECT_EQ(std::get<event::PageFetched>(e1).page_number, 1);
  EXPECT_EQ(s.request().body, R"({"cursor":3000,"max_count":20})");
  // A short page with has_more still true: keep paging (section 6).
  s.on_response(page(3, 2000, true));
  EXPECT_FALSE(s.done());
  s.on_response(page(0, 0, false));
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.pages(), 3);
  EXPECT_EQ(s.videos(), 23);
}

TEST(AccountSync, RefreshesFirstWhenTokenExpiresSoon) {
  AccountSync s(creds(60), config(), kNow);
  EXPECT_EQ(s.endpoint(), Endpoint::kToken);
  EXPECT_NE(s.request().body.find("refresh_token=rft.1"), std::string::npos);
  auto e = s.on_response(token_ok());
  ASSERT_TRUE(std::holds_alternative<event::TokensRefreshed>(e));
  EXPECT_EQ(std::get<event::TokensRefreshed>(e).tokens.refresh_token, "rft.2");
  EXPECT_EQ(s.endpoint(), Endpoint::kUserInfo);
  ASSERT_EQ(s.request().headers[0], "Authorization: Bearer act.2");
}

TEST(AccountSync, InvalidTokenRefreshesOnceThenReconnect) {
  AccountSync s(creds(), config(), kNow);
  s.on_response(user_ok());
  auto e = s.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<event::RetryLater>(e));
  EXPECT_EQ(s.endpoint(), Endpoint::kToken);
  s.on_response(token_ok());
  EXPECT_EQ(s.endpoint(), Endpoint::kVideoList) << "resumes where it was";
  auto e2 = s.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e2));
  EXPECT_EQ(std::get<event::Failed>(e2).failure.kind, FailureKind::kReconnect);
  EXPECT_TRUE(s.done());
}

// The refreshed token worked, then expired during a long sync (or TikTok forgot it):
// refreshed again, not a reconnect; rejected right after that refresh, a reconnect.
TEST(AccountSync, TokenRejectedAfterTheRefreshedOneWorkedIsRefreshedAgain) {
  AccountSync s(creds(60), config(), kNow);
  ASSERT_TRUE(std::holds_alternative<event::TokensRefreshed>(s.on_response(token_ok())));
  s.on_response(user_ok());
  s.on_response(page(20, 3000, true));
  auto e = s.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<event::RetryLater>(e)) << "the refreshed token had worked";
  EXPECT_EQ(s.endpoint(), Endpoint::kToken);
  ASSERT_TRUE(std::holds_alternative<event::TokensRefreshed>(s.on_response(token_ok())));
  EXPECT_EQ(s.endpoint(), Endpoint::kVideoList) << "the same page again";
  auto e2 = s.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e2));
  EXPECT_EQ(std::get<event::Failed>(e2).failure.kind, FailureKind::kReconnect);
}

TEST(AccountSync, RevokedRefreshTokenMeansReconnect) {
  AccountSync s(creds(10), config(), kNow);
  auto e = s.on_response(resp(400, R"({"error":"invalid_grant","error_description":"revoked"})"));
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e));
  EXPECT_EQ(std::get<event::Failed>(e).failure.kind, FailureKind::kReconnect);
}

TEST(AccountSync, PrecheckCatchesMissingScopeAndExpiredRefreshToken) {
  auto c = creds();
  c.scope = "user.info.basic,video.list";
  AccountSync s(c, config(), kNow);
  ASSERT_TRUE(s.precheck_failure());
  EXPECT_EQ(s.precheck_failure()->message, "scope user.info.stats not granted");
  EXPECT_TRUE(s.done());
  auto c2 = creds(-10);
  c2.refresh_expires_at = kNow - 1;
  AccountSync s2(c2, config(), kNow);
  ASSERT_TRUE(s2.precheck_failure());
  EXPECT_EQ(s2.precheck_failure()->kind, FailureKind::kReconnect);
}

TEST(AccountSync, RateLimitKeepsTheSameRequest) {
  AccountSync s(creds(), config(), kNow);
  s.on_response(user_ok());
  s.on_response(page(20, 5000, true));
  std::string before = s.request().body;
  auto e = s.on_response(resp(429, R"({"data":{},"error":{"code":"rate_limit_exceeded","message":"","log_id":"L"}})"));
  ASSERT_TRUE(std::holds_alternative<event::RetryLater>(e));
  EXPECT_EQ(std::get<event::RetryLater>(e).failure.kind, FailureKind::kRateLimited);
  EXPECT_EQ(s.request().body, before);
  EXPECT_EQ(s.pages(), 1);
}

TEST(AccountSync, StuckCursorFails) {
  AccountSync s(creds(), config(), kNow);
  s.on_response(user_ok());
  s.on_response(page(20, 5000, true));
  auto e = s.on_response(page(20, 5000, true));
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e));
  EXPECT_EQ(std::get<event::Failed>(e).failure.kind, FailureKind::kMalformed);
}

TEST(AccountSync, TokenOfAnotherAccountFails) {
  AccountSync s(creds(), config(), kNow);
  auto e = s.on_response(resp(200, R"({"data":{"user":{"open_id":"someone-else"}},)" + kOk + "}"));
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e));
  EXPECT_EQ(std::get<event::Failed>(e).failure.kind, FailureKind::kReconnect);
}

TEST(AccountSync, ServerErrorsAreRetriedInPlaceThenFailRetryably) {
  AccountSync s(creds(), config(), kNow);  // 4 retries by default
  for (int i = 1; i <= 4; ++i) {
    auto e = s.on_response(resp(503, "<html>"));
    ASSERT_TRUE(std::holds_alternative<event::RetryLater>(e)) << "retry " << i;
    EXPECT_EQ(std::get<event::RetryLater>(e).retry_number, i);
    EXPECT_EQ(s.endpoint(), Endpoint::kUserInfo) << "the same request again";
  }
  auto e = s.on_response(resp(503, "<html>"));
  ASSERT_TRUE(std::holds_alternative<event::Failed>(e));
  EXPECT_EQ(std::get<event::Failed>(e).failure.kind, FailureKind::kRetryable);
  EXPECT_EQ(std::get<event::Failed>(e).failure.http_status, 503);
  EXPECT_EQ(s.retries(), 4);
}

TEST(AccountSync, RetriesCountPerRequestAndTruncatedBodiesAreRetried) {
  SyncConfig c = config();
  c.retry.max_retries = 1;
  AccountSync s(creds(), c, kNow);
  ASSERT_TRUE(std::holds_alternative<event::RetryLater>(s.on_response(resp(0, ""))));  // network error
  ASSERT_TRUE(std::holds_alternative<event::UserFetched>(s.on_response(user_ok())));
  // A success resets the count: the next request has its own retry.
  auto e = s.on_response(resp(200, R"({"data":{"videos":[{"id":"1")"));  // truncated
  ASSERT_TRUE(std::holds_alternative<event::RetryLater>(e));
  EXPECT_EQ(std::get<event::RetryLater>(e).retry_number, 1);
  ASSERT_TRUE(std::holds_alternative<event::PageFetched>(s.on_response(page(2, 500, true))));
  EXPECT_EQ(s.retries(), 2);
}

TEST(AccountSync, ResumesFromACheckpoint) {
  AccountSync s(creds(), config(), kNow);
  s.resume_from(1700000000000, 3, 60);
  ASSERT_TRUE(std::holds_alternative<event::UserFetched>(s.on_response(user_ok())));
  EXPECT_NE(s.request().body.find("1700000000000"), std::string::npos) << "the checkpoint's cursor is sent";
  auto e = s.on_response(page(20, 1600000000000, true));
  ASSERT_TRUE(std::holds_alternative<event::PageFetched>(e));
  EXPECT_EQ(std::get<event::PageFetched>(e).page_number, 4);
  EXPECT_EQ(s.videos(), 80);
  ASSERT_TRUE(s.next_cursor().has_value());
  EXPECT_EQ(*s.next_cursor(), 1600000000000);
  s.on_response(page(1, 1500000000000, false));
  EXPECT_FALSE(s.next_cursor().has_value()) << "no checkpoint once paging reached the end";
  EXPECT_TRUE(s.done());
}
