// The AAD of stored secrets (core/secret_context.h): its shape is part of the stored
// data, so it is pinned here; the SQL functions return the same strings (pgTAP).
#include <gtest/gtest.h>

#include "core/secret_context.h"
#include "core/token_crypto.h"

namespace sc = tthub::secret_context;

TEST(SecretContext, TokenShapeIsStoreOpenIdKind) {
  EXPECT_EQ(sc::token("s1", "open-1", "access_token"), "s1/open-1/access_token");
  EXPECT_EQ(sc::access_token("s1", "open-1"), "s1/open-1/access_token");
  EXPECT_EQ(sc::refresh_token("s1", "open-1"), "s1/open-1/refresh_token");
}

TEST(SecretContext, WebhookSecretShape) {
  EXPECT_EQ(sc::webhook_secret(42), "tthub-webhook:42:signing_secret");
}

TEST(SecretContext, ACiphertextMovedToAnotherAccountOrColumnDoesNotDecrypt) {
  tthub::crypto::Key key;
  std::string why;
  ASSERT_TRUE(tthub::crypto::parse_hex_key(std::string(64, 'a'), &key, &why)) << why;
  auto ct = tthub::crypto::encrypt(key, "secret", sc::access_token("s1", "a"));
  EXPECT_EQ(tthub::crypto::decrypt(key, nullptr, ct.data(), ct.size(), sc::access_token("s1", "a")), "secret");
  EXPECT_ANY_THROW(tthub::crypto::decrypt(key, nullptr, ct.data(), ct.size(), sc::refresh_token("s1", "a")));
  EXPECT_ANY_THROW(tthub::crypto::decrypt(key, nullptr, ct.data(), ct.size(), sc::access_token("s2", "a")));
}
