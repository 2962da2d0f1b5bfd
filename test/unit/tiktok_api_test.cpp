#include "core/tiktok_api.h"

#include <gtest/gtest.h>

#include "http_fixtures.h"

using namespace tthub::tiktok;
using tthub::HttpResponse;
using tthub::HttpRequest;
using testing_fixtures::resp;

namespace {
const std::string kOk = R"("error":{"code":"ok","message":"","log_id":"L1"})";

std::string page_with(const std::string &video_json, bool has_more = false) {
  return R"({"data":{"videos":[)" + video_json + R"(],"cursor":1700000000000,"has_more":)" +
         (has_more ? "true" : "false") + "}," + kOk + "}";
}
}  // namespace

TEST(UserInfo, ParsesDocumentedFields) {
  auto r = parse_user_info(resp(200, R"({"data":{"user":{"open_id":"o1","display_name":"Toko",
    "avatar_url":"https://a","follower_count":12,"following_count":3,"likes_count":9000000000,
    "video_count":7}},)" + kOk + "}"));
  ASSERT_TRUE(r.ok()) << r.failure.message;
  EXPECT_EQ(r.value->open_id, "o1");
  EXPECT_EQ(*r.value->display_name, "Toko");
  EXPECT_EQ(*r.value->likes_count, 9000000000LL);
  EXPECT_EQ(*r.value->video_count, 7);
}

TEST(UserInfo, MissingFieldsAreOptional) {
  auto r = parse_user_info(resp(200, R"({"data":{"user":{"open_id":"o1"}},)" + kOk + "}"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value->follower_count.has_value());
}

TEST(VideoPage, ParsesVideosCursorAndHasMore) {
  auto r = parse_video_page(resp(200, page_with(
      R"({"id":"12345123451234512345","title":"t","video_description":"d","create_time":1700000000,
          "duration":15,"view_count":3000000000,"like_count":5,"comment_count":1,"share_count":0,
          "cover_image_url":"https://c","share_url":"https://s"})", true)));
  ASSERT_TRUE(r.ok()) << r.failure.message;
  ASSERT_EQ(r.value->videos.size(), 1u);
  EXPECT_EQ(r.value->videos[0].id, "12345123451234512345");  // does not fit in int64: kept as text
  EXPECT_EQ(*r.value->videos[0].view_count, 3000000000LL);
  EXPECT_TRUE(r.value->has_more);
  EXPECT_EQ(r.value->cursor, 1700000000000LL);
}

TEST(VideoPage, EmptyPageWithoutVideosKey) {
  auto r = parse_video_page(resp(200, R"({"data":{"cursor":0,"has_more":false},)" + kOk + "}"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value->videos.empty());
}

struct BadVideo {
  const char *name;
  std::string json;
  const char *expect;
};

TEST(VideoPage, RejectsBadFieldsWholePage) {
  std::vector<BadVideo> cases = {
      {"negative", R"({"id":"1","view_count":-5})", "negative"},
      {"float", R"({"id":"1","view_count":1.5})", "not an integer"},
      {"string number", R"({"id":"1","view_count":"12"})", "not an integer"},
      {"too big", R"({"id":"1","view_count":18446744073709551615})", "out of range"},
      {"id with a nul byte", R"({"id":"1\u00002"})", "video id"},
      {"id missing", R"({"title":"x"})", "\"id\" is missing"},
      {"id numeric", R"({"id":123})", "not a string"},
      {"id hostile", R"({"id":"1'; drop"})", "video id"},
      {"title object", R"({"id":"1","title":{}})", "not a string"},
      {"huge duration", R"({"id":"1","duration":99999999999})", "out of range"},
  };
  for (const auto &c : cases) {
    auto r = parse_video_page(resp(200, page_with(R"({"id":"0"},)" + c.json)));
    EXPECT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.failure.kind, FailureKind::kMalformed) << c.name;
    EXPECT_NE(r.failure.message.find(c.expect), std::string::npos) << c.name << ": " << r.failure.message;
  }
}

TEST(VideoPage, RejectsInvalidUtf8) {
  std::string body = page_with(std::string(R"({"id":"1","title":"bad )") + "\xC3\x28" + "\"}");
  auto r = parse_video_page(resp(200, body));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failure.kind, FailureKind::kMalformed);
}

TEST(VideoPage, RejectsMalformedJsonAndShapes) {
  for (std::string body : {std::string("{not json"), std::string("[]"), std::string(""),
                           R"({"data":{"videos":[]},)" + kOk + "}",  // has_more missing
                           R"({"data":{"videos":{},"has_more":false},)" + kOk + "}",
                           R"({"data":{"videos":[],"has_more":true},)" + kOk + "}",  // cursor missing
                           std::string(R"({"error":{"code":"ok"}})")}) {
    auto r = parse_video_page(resp(200, body));
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.failure.kind, FailureKind::kMalformed) << body;
  }
}

TEST(DisplayErrors, AreClassified) {
  struct Case {
    long status;
    const char *code;
    FailureKind kind;
  } cases[] = {
      {401, "access_token_invalid", FailureKind::kTokenInvalid},
      {401, "scope_not_authorized", FailureKind::kReconnect},
      {400, "scope_permission_missed", FailureKind::kReconnect},
      {429, "rate_limit_exceeded", FailureKind::kRateLimited},
      {500, "internal_error", FailureKind::kRetryable},
      {400, "invalid_params", FailureKind::kFatal},
      {503, "something_new", FailureKind::kRetryable},
      {429, "something_new", FailureKind::kRateLimited},
      {403, "something_new", FailureKind::kFatal},
  };
  for (const auto &c : cases) {
    std::string body = std::string(R"({"data":{},"error":{"code":")") + c.code +
                       R"(","message":"m","log_id":"LOG9"}})";
    auto r = parse_user_info(resp(c.status, body));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.failure.kind, c.kind) << c.code;
    EXPECT_EQ(r.failure.http_status, c.status);
    EXPECT_EQ(r.failure.log_id, "LOG9");
  }
}

TEST(DisplayErrors, NonJsonErrorPagesGoByStatus) {
  EXPECT_EQ(parse_user_info(resp(502, "<html>bad gateway</html>")).failure.kind, FailureKind::kRetryable);
  EXPECT_EQ(parse_user_info(resp(429, "slow down")).failure.kind, FailureKind::kRateLimited);
  EXPECT_EQ(parse_user_info(resp(200, "<html>")).failure.kind, FailureKind::kMalformed);
}

TEST(Transport, TimeoutsRetryOversizedIsMalformed) {
  HttpResponse timeout;
  timeout.transport_error = "network error: Timeout was reached";
  timeout.timed_out = true;
  EXPECT_EQ(parse_video_page(timeout).failure.kind, FailureKind::kRetryable);
  HttpResponse big;
  big.status = 200;
  big.transport_error = "response body exceeds 8388608 bytes";
  EXPECT_EQ(parse_video_page(big).failure.kind, FailureKind::kMalformed);
}

TEST(TokenResponse, ParsesTopLevelTokens) {
  auto r = parse_token_response(resp(200, R"({"open_id":"o1","scope":"user.info.basic,video.list",
    "access_token":"act.new","expires_in":7200,"refresh_token":"rft.new","refresh_expires_in":15552000,
    "token_type":"Bearer"})"));
  ASSERT_TRUE(r.ok()) << r.failure.message;
  EXPECT_EQ(r.value->access_token, "act.new");
  EXPECT_EQ(r.value->refresh_expires_in, 15552000);
}

TEST(TokenResponse, OAuthErrorsByBody) {
  auto r = parse_token_response(resp(400, R"({"error":"invalid_grant","error_description":"expired","log_id":"x"})"));
  EXPECT_EQ(r.failure.kind, FailureKind::kReconnect);
  EXPECT_EQ(r.failure.code, "invalid_grant");
  r = parse_token_response(resp(200, R"({"error":"temporarily_unavailable"})"));
  EXPECT_EQ(r.failure.kind, FailureKind::kRetryable);
  r = parse_token_response(resp(401, R"({"error":"invalid_client"})"));
  EXPECT_EQ(r.failure.kind, FailureKind::kFatal);
  r = parse_token_response(resp(200, R"({"open_id":"o","access_token":"a","refresh_token":"r","expires_in":0,"refresh_expires_in":5})"));
  EXPECT_EQ(r.failure.kind, FailureKind::kMalformed);
}

TEST(TokenResponse, FailureMessagesNeverContainTokens) {
  auto r = parse_token_response(resp(200, R"({"open_id":"o","access_token":"act.SECRET","expires_in":5})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure.message.find("act.SECRET"), std::string::npos);
}

TEST(Requests, FollowTheReference) {
  HttpRequest u = user_info_request("http://h:1/", "act.x");
  EXPECT_EQ(u.method, "GET");
  EXPECT_EQ(u.url.rfind("http://h:1/v2/user/info/?fields=open_id%2Cdisplay_name", 0), 0u);
  EXPECT_TRUE(u.body.empty());
  EXPECT_EQ(u.url.find("act.x"), std::string::npos) << "no token in URLs";

  HttpRequest first = video_list_request("http://h", "act.x", std::nullopt, 50);
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.body, R"({"max_count":20})") << "max_count capped at 20, no cursor on page 1";
  HttpRequest next = video_list_request("http://h", "act.x", 1700000000000, 20);
  EXPECT_EQ(next.body, R"({"cursor":1700000000000,"max_count":20})");

  HttpRequest t = refresh_request("http://h", "ck", "s&cret", "rft.a*b!");
  EXPECT_EQ(t.url, "http://h/v2/oauth/token/");
  EXPECT_EQ(t.body, "client_key=ck&client_secret=s%26cret&grant_type=refresh_token&refresh_token=rft.a%2Ab%21");
}

TEST(Scopes, MissingScopeIsNamed) {
  EXPECT_EQ(missing_scope("user.info.basic,user.info.stats,video.list"), "");
  EXPECT_EQ(missing_scope("user.info.basic, video.list"), "user.info.stats");
  EXPECT_EQ(missing_scope("user.info.basic,user.info.stats"), "video.list");
  EXPECT_EQ(missing_scope(""), "user.info.stats");
}
