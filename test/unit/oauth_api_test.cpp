#include <gtest/gtest.h>

#include "http_fixtures.h"

#include <set>

#include "core/random_token.h"
#include "core/tiktok_api.h"

using namespace tthub::tiktok;
using tthub::HttpRequest;
using testing_fixtures::resp;

TEST(OAuthRequests, AuthorizationCodeFollowsTheReference) {
  HttpRequest r = authorization_code_request("http://h/", "ck", "cs", "abc*!def", "https://x.test/auth/callback");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://h/v2/oauth/token/");
  // The decoded code contains * and ! (documented examples): form-encoded again.
  EXPECT_EQ(r.body, "client_key=ck&client_secret=cs&code=abc%2A%21def&grant_type=authorization_code"
                    "&redirect_uri=https%3A%2F%2Fx.test%2Fauth%2Fcallback");
  EXPECT_EQ(r.body.find("code_verifier"), std::string::npos) << "no PKCE for web apps";
}

TEST(OAuthRequests, RevokeSendsTheAccessToken) {
  HttpRequest r = revoke_request("http://h", "ck", "cs", "act.1");
  EXPECT_EQ(r.url, "http://h/v2/oauth/revoke/");
  EXPECT_EQ(r.body, "client_key=ck&client_secret=cs&token=act.1");
}

TEST(OAuthRequests, ProfileAsksOnlyBasicFields) {
  HttpRequest r = profile_request("http://h", "act.1");
  EXPECT_EQ(r.url, "http://h/v2/user/info/?fields=open_id%2Cdisplay_name%2Cavatar_url");
}

TEST(RevokeResponse, EmptyOrEmptyObjectIsSuccess) {
  EXPECT_TRUE(parse_revoke_response(resp(200, "")).ok());
  EXPECT_TRUE(parse_revoke_response(resp(200, "{}")).ok());
  auto bad = parse_revoke_response(resp(400, R"({"error":"invalid_request","error_description":"token"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure.kind, FailureKind::kFatal);
  EXPECT_EQ(bad.failure.code, "invalid_request");
  EXPECT_EQ(parse_revoke_response(resp(503, "<html>")).failure.kind, FailureKind::kRetryable);
}

TEST(RandomToken, Base64UrlKnownVectors) {
  const unsigned char f[] = {'f', 'o', 'o', 'b', 'a', 'r'};
  EXPECT_EQ(tthub::base64url(f, 1), "Zg");
  EXPECT_EQ(tthub::base64url(f, 2), "Zm8");
  EXPECT_EQ(tthub::base64url(f, 3), "Zm9v");
  EXPECT_EQ(tthub::base64url(f, 6), "Zm9vYmFy");
  const unsigned char hi[] = {0xfb, 0xff};
  EXPECT_EQ(tthub::base64url(hi, 2), "-_8") << "URL-safe alphabet";
}

TEST(RandomToken, StatesAre256BitsAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = tthub::random_urlsafe_token(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
}
