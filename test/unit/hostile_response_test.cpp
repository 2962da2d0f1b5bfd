// Hostile bytes in TikTok responses: free text is kept, sanitised and capped; ids and
// tokens that are not ids and tokens fail the response; error texts (which end in
// sync_logs) are valid UTF-8 of bounded length, even when TikTok's message is cut.
#include <gtest/gtest.h>

#include <string>

#include "core/text_sanitize.h"
#include "core/tiktok_api.h"
#include "http_fixtures.h"

using namespace tthub::tiktok;
using testing_fixtures::resp;
using tthub::text::valid_utf8;

namespace {

const std::string kOk = R"("error":{"code":"ok","message":"","log_id":"L"})";
const std::string kEacute = "\xC3\xA9";

std::string repeat(const std::string &s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

bool clean(const std::string &s) {
  if (!valid_utf8(s)) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

std::string display_error(const std::string &code, const std::string &message, const std::string &log_id) {
  return R"({"data":{},"error":{"code":")" + code + R"(","message":")" + message + R"(","log_id":")" + log_id +
         R"("}})";
}

}  // namespace

TEST(HostileErrors, AMessageCutInsideACodePointStaysValidUtf8) {
  // 299 ASCII bytes then two-byte characters: a byte-wise cut at 300 lands inside one.
  std::string message = std::string(299, 'x') + repeat(kEacute, 50);
  auto r = parse_video_page(resp(500, display_error("internal_error", message, "L1")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure.kind, FailureKind::kRetryable);
  EXPECT_TRUE(valid_utf8(r.failure.message)) << "this message goes to sync_logs";
  EXPECT_LE(r.failure.message.size(), kFailureMessageCapBytes);
  EXPECT_NE(r.failure.message.find("internal_error"), std::string::npos);
}

TEST(HostileErrors, NulControlsAndLengthInCodeMessageAndLogId) {
  std::string body = display_error(R"(rate_limit_exceeded\u0000\u001b[2J)",
                                   R"(slow down\u0000\r\n\u0007)" + std::string(5000, 'm'),
                                   R"(log\u0000\u0001)" + std::string(10000, '9'));
  auto r = parse_user_info(resp(429, body));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure.kind, FailureKind::kRateLimited) << "an unknown code goes by the HTTP status";
  EXPECT_TRUE(clean(r.failure.message)) << r.failure.message;
  EXPECT_TRUE(clean(r.failure.log_id));
  EXPECT_TRUE(clean(r.failure.code));
  EXPECT_LE(r.failure.message.size(), kFailureMessageCapBytes);
  EXPECT_LE(r.failure.log_id.size(), kLogIdCapBytes);
  EXPECT_LE(r.failure.code.size(), kErrorCodeCapBytes);
  EXPECT_EQ(r.failure.log_id.rfind("log999", 0), 0u) << r.failure.log_id;
}

TEST(HostileErrors, OAuthDescriptionCutInsideACodePoint) {
  std::string body = R"({"error":"invalid_grant","error_description":")" + std::string(299, 'd') +
                     repeat(kEacute, 20) + R"(\u0000","log_id":"x\u0007y"})";
  auto r = parse_token_response(resp(400, body));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure.kind, FailureKind::kReconnect);
  EXPECT_TRUE(clean(r.failure.message));
  EXPECT_EQ(r.failure.log_id, "xy");
}

TEST(HostileText, UserTextIsStoredSanitisedNotRejected) {
  std::string body = R"({"data":{"user":{"open_id":"o1","display_name":"Toko\u0000 Jaya\u0007\r\n)" +
                     repeat(kEacute, 400) + R"(","avatar_url":"https://a.example/x\u0000.jpg","follower_count":3}},)" +
                     kOk + "}";
  auto r = parse_user_info(resp(200, body));
  ASSERT_TRUE(r.ok()) << r.failure.message;
  ASSERT_TRUE(r.value->display_name.has_value());
  EXPECT_EQ(r.value->display_name->rfind("Toko Jaya " + kEacute, 0), 0u) << *r.value->display_name;
  EXPECT_TRUE(clean(*r.value->display_name));
  EXPECT_LE(r.value->display_name->size(), kDisplayNameCapBytes);
  EXPECT_EQ(r.value->avatar_url, "https://a.example/x.jpg");
  EXPECT_EQ(r.value->follower_count, 3);
}

TEST(HostileText, TitlesAndDescriptionsAreCappedOnACodePointBoundary) {
  std::string emoji = "\xF0\x9F\x98\x80";
  std::string body = R"({"data":{"videos":[{"id":"7","title":"T\u0000i\u0001tle )" + repeat(emoji, 300) +
                     R"(","video_description":"line 1\r\nline\u0000 2\u0085)" + repeat(kEacute, 400) +
                     R"(","share_url":"https://s.example/)" + std::string(5000, 'u') +
                     R"("}],"cursor":0,"has_more":false},)" + kOk + "}";
  auto r = parse_video_page(resp(200, body));
  ASSERT_TRUE(r.ok()) << r.failure.message;
  const Video &v = r.value->videos.at(0);
  ASSERT_TRUE(v.title && v.description);
  EXPECT_EQ(v.title->rfind("Title " + emoji, 0), 0u);
  EXPECT_LE(v.title->size(), kTitleCapBytes);
  EXPECT_GE(v.title->size(), kTitleCapBytes - 3) << "cut at the cap, not before";
  EXPECT_TRUE(clean(*v.title));
  EXPECT_EQ(v.description->rfind("line 1\nline 2\n" + kEacute, 0), 0u) << "descriptions keep their line breaks";
  EXPECT_LE(v.description->size(), kTitleCapBytes);
  EXPECT_TRUE(valid_utf8(*v.description));
  EXPECT_FALSE(v.share_url.has_value()) << "a link past the cap is dropped, not cut";
}

TEST(HostileText, ADocumentedTitleIsNeverCut) {
  std::string title = repeat("\xF0\x9F\x98\x80", static_cast<int>(kTitleMaxChars));  // 150 four-byte characters
  std::string body = R"({"data":{"videos":[{"id":"7","title":")" + title + R"("}],"cursor":0,"has_more":false},)" +
                     kOk + "}";
  auto r = parse_video_page(resp(200, body));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->videos.at(0).title, title);
}

TEST(HostileIds, AreAMalformedResponseNotAStoredRow) {
  for (std::string id : {std::string(R"(1\u00002)"), std::string("12 34"), std::string(R"(12\n34)"), std::string(65, '1')}) {
    auto r = parse_video_page(resp(200, R"({"data":{"videos":[{"id":")" + id + R"("}],"cursor":0,"has_more":false},)" +
                                            kOk + "}"));
    EXPECT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.failure.kind, FailureKind::kMalformed) << id;
  }
  auto u = parse_user_info(resp(200, R"({"data":{"user":{"open_id":"o\u00071"}},)" + kOk + "}"));
  EXPECT_EQ(u.failure.kind, FailureKind::kMalformed);
}

TEST(HostileTokens, OpenIdAndTokensAreChecked) {
  auto token_body = [](const std::string &open_id, const std::string &access) {
    return R"({"open_id":")" + open_id + R"(","scope":"user.info.basic\u0000,video.list","access_token":")" + access +
           R"(","expires_in":7200,"refresh_token":"rft.ok","refresh_expires_in":86400})";
  };
  auto ok = parse_token_response(resp(200, token_body("o-1", "act.ok")));
  ASSERT_TRUE(ok.ok()) << ok.failure.message;
  EXPECT_EQ(ok.value->scope, "user.info.basic,video.list");

  auto bad_open_id = parse_token_response(resp(200, token_body(R"(o\u0007\u00001)", "act.ok")));
  EXPECT_EQ(bad_open_id.failure.kind, FailureKind::kMalformed);
  EXPECT_NE(bad_open_id.failure.message.find("open_id"), std::string::npos);

  auto injected = parse_token_response(resp(200, token_body("o-1", R"(act.SECRET\r\nX-Injected: 1)")));
  EXPECT_EQ(injected.failure.kind, FailureKind::kMalformed) << "a token with CR LF would add HTTP headers";
  EXPECT_EQ(injected.failure.message.find("SECRET"), std::string::npos) << "the value is never echoed";
}
