#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/webhook_payload.h"
#include "core/webhook_signature.h"

using namespace tthub::webhook;

namespace {

Event sample() {
  Event e;
  e.delivery_id = 42;
  e.event = "account.need_reconnect";
  e.occurred_at = "2026-12-02T00:30:00.000000Z";
  e.store_code = "s1";
  e.data_json = R"({"open_id": "o-1", "reason": "refresh token revoked <@channel>"})";
  return e;
}

}  // namespace

TEST(WebhookSignature, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, HeaderSignsTimestampDotBody) {
  std::string h = signature_header("secret", 1700000000, "{}");
  EXPECT_EQ(h, "t=1700000000,v1=" + hmac_sha256_hex("secret", "1700000000.{}"));
}

TEST(WebhookSignature, VerifyAcceptsOwnSignatureWithinWindow) {
  std::string h = signature_header("k", 1000, "body");
  EXPECT_EQ(verify_signature(h, "k", "body", 1200, 300), "");
}

TEST(WebhookSignature, VerifyRefusesTamperingAndReplays) {
  std::string h = signature_header("k", 1000, "body");
  EXPECT_NE(verify_signature(h, "k", "body!", 1000, 300), "");     // body changed
  EXPECT_NE(verify_signature(h, "other", "body", 1000, 300), "");  // wrong secret
  EXPECT_NE(verify_signature(h, "k", "body", 1301, 300), "");      // too old: replay
  EXPECT_NE(verify_signature("v1=abc", "k", "body", 1000, 300), "");
  EXPECT_NE(verify_signature("t=x,v1=abc", "k", "body", 1000, 300), "");
  std::string retimed = "t=1001" + h.substr(h.find(','));
  EXPECT_NE(verify_signature(retimed, "k", "body", 1000, 300), "");  // timestamp is signed
}

TEST(WebhookPayload, JsonBodyHasTheDocumentedShape) {
  auto j = nlohmann::json::parse(json_body(sample()));
  EXPECT_EQ(j["id"], "42");
  EXPECT_EQ(j["event"], "account.need_reconnect");
  EXPECT_EQ(j["occurred_at"], "2026-12-02T00:30:00.000000Z");
  EXPECT_EQ(j["store_code"], "s1");
  EXPECT_EQ(j["data"]["open_id"], "o-1");
  // Key order is fixed: the same delivery has the same bytes on every retry.
  EXPECT_EQ(json_body(sample()).rfind("{\"id\":\"42\",\"event\"", 0), 0u);
}

TEST(WebhookPayload, BadDataBecomesAnEmptyObject) {
  Event e = sample();
  e.data_json = "not json";
  EXPECT_TRUE(nlohmann::json::parse(json_body(e))["data"].empty());
}

TEST(WebhookPayload, SlackTextEscapesMarkup) {
  auto j = nlohmann::json::parse(body(sample(), parse_format("slack")));
  std::string text = j["text"];
  EXPECT_NE(text.find("account.need_reconnect"), std::string::npos);
  EXPECT_NE(text.find("s1"), std::string::npos);
  EXPECT_NE(text.find("&lt;@channel&gt;"), std::string::npos);
  EXPECT_EQ(text.find("<@channel>"), std::string::npos);
  EXPECT_EQ(j.size(), 1u);
}

TEST(WebhookPayload, RequestCarriesDeliveryIdAndSignature) {
  Event e = sample();
  std::string b = json_body(e);
  auto r = request("https://example.com/hook", e, b, "k", 1000);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, b);
  bool delivery = false, type = false, sig = false;
  for (const auto &h : r.headers) {
    delivery |= h == "X-Tthub-Delivery: 42";
    type |= h == "Content-Type: application/json";
    if (h.rfind("X-Tthub-Signature: ", 0) == 0) sig = verify_signature(h.substr(19), "k", b, 1000, 300).empty();
  }
  EXPECT_TRUE(delivery && type && sig);
}
