#include <gtest/gtest.h>

#include <vector>

#include "core/tiktok_webhook.h"
#include "core/webhook_signature.h"

using namespace tthub::tiktok_webhook;

namespace {

const std::string kSecret = "sim-client-secret";
const int64_t kNow = 1765000000;
const std::string kBody =
    R"({"client_key":"sim-client-key","event":"authorization.removed","create_time":1765000000,)"
    R"("user_openid":"sim-open-1","content":"{\"reason\": 1 }"})";

Verification check(const std::string &header, const std::string &body = kBody, int64_t now = kNow) {
  return verify(header, kSecret, body, now, 300);
}

}  // namespace

TEST(TikTokWebhookSignature, HeaderIsTDotBodyUnderTheClientSecret) {
  EXPECT_EQ(signature_header(kSecret, 42, "{}"), "t=42,s=" + tthub::webhook::hmac_sha256_hex(kSecret, "42.{}"));
}

TEST(TikTokWebhookSignature, AValidSignatureVerifies) {
  Verification v = check(signature_header(kSecret, kNow - 10, kBody));
  EXPECT_TRUE(v.ok()) << v.why;
  EXPECT_EQ(v.t, kNow - 10);
  // Unknown fields are ignored, order does not matter.
  std::string h = signature_header(kSecret, kNow, kBody);
  std::string s = h.substr(h.find(",s=") + 3);
  EXPECT_TRUE(check("s=" + s + ",v=2,t=" + std::to_string(kNow)).ok());
}

TEST(TikTokWebhookSignature, AChangedBodyFails) {
  std::string tampered = kBody;
  tampered[tampered.find("1 }")] = '2';
  EXPECT_EQ(check(signature_header(kSecret, kNow, kBody), tampered).verdict, Verdict::kMismatch);
  EXPECT_EQ(check(signature_header(kSecret, kNow, kBody), kBody + " ").verdict, Verdict::kMismatch);
}

TEST(TikTokWebhookSignature, AChangedSignatureOrTimestampFails) {
  std::string h = signature_header(kSecret, kNow, kBody);
  std::string flipped = h;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_EQ(check(flipped).verdict, Verdict::kMismatch);
  // The timestamp is signed: moving it (to pass the tolerance) breaks the HMAC.
  std::string s = h.substr(h.find(",s="));
  EXPECT_EQ(check("t=" + std::to_string(kNow + 1) + s).verdict, Verdict::kMismatch);
  // Another app's secret.
  EXPECT_EQ(check(signature_header("other-secret", kNow, kBody)).verdict, Verdict::kMismatch);
}

TEST(TikTokWebhookSignature, TimestampsOutsideTheToleranceFail) {
  EXPECT_EQ(check(signature_header(kSecret, kNow - 301, kBody)).verdict, Verdict::kStale);
  EXPECT_EQ(check(signature_header(kSecret, kNow + 301, kBody)).verdict, Verdict::kFuture);
  EXPECT_TRUE(check(signature_header(kSecret, kNow - 300, kBody)).ok());
  EXPECT_TRUE(check(signature_header(kSecret, kNow + 300, kBody)).ok());
}

TEST(TikTokWebhookSignature, MalformedOrMissingHeadersFail) {
  std::string good = signature_header(kSecret, kNow, kBody);
  std::string s = good.substr(good.find(",s=") + 3);
  EXPECT_EQ(check("").verdict, Verdict::kMissing);
  for (const std::string &h :
       {std::string("garbage"), "t=" + std::to_string(kNow), "s=" + s, "t=abc,s=" + s,
        "t=-5,s=" + s, "t=" + std::to_string(kNow) + ",s=" + s.substr(1),
        "t=" + std::to_string(kNow) + ",s=" + std::string(64, 'G'),
        "t=" + std::to_string(kNow) + ",s=" + std::string(64, 'A'),  // upper-case hex is not what TikTok sends
        "t=" + std::to_string(kNow) + ",t=" + std::to_string(kNow) + ",s=" + s,
        "t=1234567890123,s=" + s, good + std::string(300, ' ')})
    EXPECT_EQ(check(h).verdict, Verdict::kMalformed) << h;
}

TEST(TikTokWebhookSignature, NoSecretRefusesEverything) {
  Verification v = verify(signature_header("", kNow, kBody), "", kBody, kNow, 300);
  EXPECT_EQ(v.verdict, Verdict::kNoSecret);
  EXPECT_FALSE(v.ok());
}

TEST(TikTokWebhookSignature, TheReasonNeverQuotesTheSecretOrSignature) {
  std::string h = signature_header("wrong", kNow, kBody);
  Verification v = check(h);
  EXPECT_EQ(v.why.find(kSecret), std::string::npos);
  EXPECT_EQ(v.why.find(h.substr(h.find(",s=") + 3)), std::string::npos);
}

TEST(TikTokWebhookBody, ParsesAuthorizationRemoved) {
  Parsed p = parse(kBody);
  ASSERT_TRUE(p.event) << p.why;
  EXPECT_EQ(p.event->client_key, "sim-client-key");
  EXPECT_EQ(p.event->event, "authorization.removed");
  EXPECT_EQ(p.event->create_time, 1765000000);
  EXPECT_EQ(p.event->user_openid, "sim-open-1");
  EXPECT_EQ(p.event->reason, 1);
  EXPECT_EQ(p.event->key.size(), 64u);
}

TEST(TikTokWebhookBody, TheKeyIsStableAcrossRetriesAndDiffersBetweenEvents) {
  std::string spaced = R"({ "event":"authorization.removed", "client_key":"sim-client-key", "create_time":1765000000,)"
                       R"( "user_openid":"sim-open-1", "content":"{\"reason\": 1 }" })";
  EXPECT_EQ(parse(kBody).event->key, parse(spaced).event->key);
  std::string later = kBody;
  later.replace(later.find("1765000000"), 10, "1765000001");
  EXPECT_NE(parse(kBody).event->key, parse(later).event->key);
  std::string other_user = kBody;
  other_user.replace(other_user.find("sim-open-1"), 10, "sim-open-2");
  EXPECT_NE(parse(kBody).event->key, parse(other_user).event->key);
}

TEST(TikTokWebhookBody, OtherEventsAreReadWithoutTheirContent) {
  Parsed p = parse(R"({"client_key":"k","event":"video.publish.completed","create_time":5,"user_openid":"u",)"
                   R"("content":"{\"share_id\":\"x\"}"})");
  ASSERT_TRUE(p.event) << p.why;
  EXPECT_EQ(p.event->event, "video.publish.completed");
  EXPECT_FALSE(p.event->reason);
}

TEST(TikTokWebhookBody, RefusesMalformedBodies) {
  const std::string base_fields = R"("client_key":"k","create_time":5,"user_openid":"u")";
  const std::vector<std::string> bodies = {
           std::string(""), std::string("[]"), std::string("{"), std::string("null"),
           std::string(R"({"event":"authorization.removed","create_time":5,"user_openid":"u","content":"{\"reason\":1}"})"),
           R"({"event":"x",)" + base_fields + "}",                           // no content
           R"({"event":"x","content":5,)" + base_fields + "}",               // content not a string
           R"({"event":"","content":"",)" + base_fields + "}",               // empty event
           R"({"event":"a b","content":"",)" + base_fields + "}",            // a space
           R"({"event":"x\u0000","content":"",)" + base_fields + "}",        // NUL
           R"({"client_key":"k","event":"x","create_time":"5","user_openid":"u","content":""})",
           R"({"client_key":"k","event":"x","create_time":-1,"user_openid":"u","content":""})",
           R"({"client_key":"k","event":"x","create_time":1.5,"user_openid":"u","content":""})",
           R"({"client_key":"k","event":"x","create_time":5,"user_openid":")" + std::string(129, 'o') + R"(","content":""})",
           R"({"event":"authorization.removed","content":"not json",)" + base_fields + "}",
           R"({"event":"authorization.removed","content":"{}",)" + base_fields + "}",
           R"({"event":"authorization.removed","content":"{\"reason\":\"1\"}",)" + base_fields + "}",
           R"({"event":"authorization.removed","content":"{\"reason\":-1}",)" + base_fields + "}",
           std::string("{\"event\":\"x\xff\",\"content\":\"\",") + base_fields + "}",  // not UTF-8
  };
  for (const std::string &b : bodies) {
    Parsed p = parse(b);
    EXPECT_FALSE(p.event) << b;
    EXPECT_FALSE(p.why.empty()) << b;
  }
  std::string big = R"({"event":"x","content":")" + std::string(kMaxBodyBytes, 'a') + R"(",)" + base_fields + "}";
  EXPECT_FALSE(parse(big).event);
}

TEST(TikTokWebhookBody, TheClientKeyIsReadBeforeTheRest) {
  Parsed p = parse(R"({"client_key":"other-app","event":"authorization.removed","create_time":"x"})");
  EXPECT_FALSE(p.event);
  ASSERT_TRUE(p.client_key);
  EXPECT_EQ(*p.client_key, "other-app");
  EXPECT_FALSE(parse(R"({"event":"x"})").client_key);
}

TEST(TikTokWebhookReasons, DeletedAndBannedDisableTheRestNeedAReconnect) {
  for (int r : {0, 1, 3, 5, 99}) EXPECT_EQ(reason_effect(r), Effect::kNeedReconnect) << r;
  for (int r : {2, 4}) EXPECT_EQ(reason_effect(r), Effect::kDisabled) << r;
  EXPECT_STREQ(reason_text(2), "the TikTok account was deleted");
  EXPECT_STREQ(reason_text(4), "the TikTok account was banned");
  EXPECT_STREQ(reason_text(99), reason_text(0));
}
