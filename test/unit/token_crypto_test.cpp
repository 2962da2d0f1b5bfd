#include "core/token_crypto.h"

#include <gtest/gtest.h>

#include "core/error.h"

using namespace tthub;
using namespace tthub::crypto;

namespace {

const char *kHexA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char *kHexB = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

Key key(const char *hex) {
  Key k{};
  std::string why;
  EXPECT_TRUE(parse_hex_key(hex, &k, &why)) << why;
  return k;
}

std::string decrypt_vec(const Key &cur, const Key *prev, const std::vector<uint8_t> &v,
                        std::string_view ctx) {
  return decrypt(cur, prev, v.data(), v.size(), ctx);
}

// Expects TH001 "token ciphertext failed authentication".
void expect_auth_failure(const Key &cur, const Key *prev, const std::vector<uint8_t> &v,
                         std::string_view ctx) {
  try {
    decrypt_vec(cur, prev, v, ctx);
    FAIL() << "decryption should have failed";
  } catch (const Error &e) {
    EXPECT_EQ(e.sqlstate(), "TH001");
    EXPECT_STREQ(e.what(), "token ciphertext failed authentication");
  }
}

}  // namespace

TEST(ParseHexKey, AcceptsSixtyFourHexWithTrailingNewline) {
  Key k{};
  std::string why;
  ASSERT_TRUE(parse_hex_key(std::string(kHexA) + "\n", &k, &why));
  EXPECT_EQ(k.bytes[0], 0x00);
  EXPECT_EQ(k.bytes[31], 0x1f);
}

TEST(ParseHexKey, RejectsWrongLengthWithoutEchoingTheKey) {
  Key k{};
  std::string why;
  std::string short_key(kHexA, 62);
  EXPECT_FALSE(parse_hex_key(short_key, &k, &why));
  EXPECT_NE(why.find("64"), std::string::npos);
  EXPECT_EQ(why.find(short_key), std::string::npos);
}

TEST(ParseHexKey, RejectsNonHex) {
  Key k{};
  std::string why;
  std::string bad(kHexA);
  bad[10] = 'g';
  EXPECT_FALSE(parse_hex_key(bad, &k, &why));
  EXPECT_NE(why.find("hexadecimal"), std::string::npos);
}

TEST(ParseHexKey, KeyIdDependsOnTheKey) {
  EXPECT_NE(key(kHexA).id, key(kHexB).id);
  EXPECT_EQ(key(kHexA).id, key(kHexA).id);
}

TEST(TokenCrypto, RoundTrip) {
  Key a = key(kHexA);
  auto env = encrypt(a, "act.example-token", "store1/open1/access_token");
  EXPECT_EQ(env.size(), kMinEnvelopeSize + 17);
  EXPECT_EQ(env[0], kEnvelopeVersion);
  EXPECT_EQ(decrypt_vec(a, nullptr, env, "store1/open1/access_token"), "act.example-token");
}

TEST(TokenCrypto, EmptyPlaintextRoundTrips) {
  Key a = key(kHexA);
  auto env = encrypt(a, "", "");
  EXPECT_EQ(decrypt_vec(a, nullptr, env, ""), "");
}

TEST(TokenCrypto, TwoEncryptionsDiffer) {
  Key a = key(kHexA);
  EXPECT_NE(encrypt(a, "same", "ctx"), encrypt(a, "same", "ctx"));
}

TEST(TokenCrypto, CiphertextDoesNotContainPlaintext) {
  Key a = key(kHexA);
  std::string secret = "act.SECRETSECRETSECRET";
  auto env = encrypt(a, secret, "");
  std::string raw(env.begin(), env.end());
  EXPECT_EQ(raw.find(secret), std::string::npos);
}

TEST(TokenCrypto, EveryFlippedBitFailsAuthentication) {
  Key a = key(kHexA);
  auto env = encrypt(a, "act.token", "ctx");
  for (size_t i = 0; i < env.size(); ++i) {
    auto bad = env;
    bad[i] ^= 0x01;
    expect_auth_failure(a, nullptr, bad, "ctx");
  }
}

TEST(TokenCrypto, TruncatedFailsAuthentication) {
  Key a = key(kHexA);
  auto env = encrypt(a, "act.token", "ctx");
  for (size_t len : {size_t{0}, size_t{1}, kMinEnvelopeSize - 1, env.size() - 1}) {
    std::vector<uint8_t> cut(env.begin(), env.begin() + static_cast<long>(len));
    expect_auth_failure(a, nullptr, cut, "ctx");
  }
}

TEST(TokenCrypto, WrongContextFailsAuthentication) {
  Key a = key(kHexA);
  auto env = encrypt(a, "act.token", "store1/open1/access_token");
  expect_auth_failure(a, nullptr, env, "store2/open1/access_token");
  expect_auth_failure(a, nullptr, env, "store1/open1/refresh_token");
}

TEST(TokenCrypto, WrongKeyFailsAuthentication) {
  Key a = key(kHexA), b = key(kHexB);
  auto env = encrypt(a, "act.token", "ctx");
  expect_auth_failure(b, nullptr, env, "ctx");
}

TEST(TokenCrypto, ForgedKeyIdFailsAuthentication) {
  // An attacker relabels an envelope with the key id of the key that will decrypt it.
  Key a = key(kHexA), b = key(kHexB);
  auto env = encrypt(a, "act.token", "ctx");
  std::copy(b.id.begin(), b.id.end(), env.begin() + 1);
  expect_auth_failure(b, nullptr, env, "ctx");
}

TEST(TokenCrypto, PreviousKeyDecryptsDuringRotation) {
  Key old_key = key(kHexA), new_key = key(kHexB);
  auto env = encrypt(old_key, "rft.token", "ctx");
  EXPECT_EQ(decrypt_vec(new_key, &old_key, env, "ctx"), "rft.token");
  expect_auth_failure(new_key, nullptr, env, "ctx");
  std::array<uint8_t, kKeyIdSize> id;
  ASSERT_TRUE(envelope_key_id(env.data(), env.size(), &id));
  EXPECT_EQ(id, old_key.id);
}
