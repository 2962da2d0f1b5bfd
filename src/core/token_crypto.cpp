#include "core/token_crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

#include "core/error.h"

namespace tthub::crypto {
namespace {

constexpr const char *kAuthFailed = "token ciphertext failed authentication";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw Error(sqlstate::kOutOfMemory, "tthub: cannot allocate a cipher context");
  return ctx;
}

[[noreturn]] void openssl_failure(const char *step) {
  throw Error(sqlstate::kInternalError, std::string("tthub: OpenSSL failed to ") + step);
}

[[noreturn]] void auth_failure(const char *why) {
  throw Error(sqlstate::kTokenAuthFailed, kAuthFailed, why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

bool parse_hex_key(std::string_view text, Key *out, std::string *why) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.size() != 64) {
    *why = "the key must be exactly 64 hexadecimal characters (32 bytes), found " +
           std::to_string(text.size()) + " characters";
    return false;
  }
  Key key{};
  for (size_t i = 0; i < 32; ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      *why = "the key contains a character that is not hexadecimal";
      return false;
    }
    key.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  static const char kLabel[] = "tthub key id";
  uint8_t material[sizeof kLabel - 1 + 32];
  std::memcpy(material, kLabel, sizeof kLabel - 1);
  std::memcpy(material + sizeof kLabel - 1, key.bytes.data(), 32);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  bool ok = EVP_Digest(material, sizeof material, digest, &digest_len, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(material, sizeof material);
  if (!ok) {
    *why = "OpenSSL could not compute the key id";
    return false;
  }
  std::memcpy(key.id.data(), digest, kKeyIdSize);
  *out = key;
  return true;
}

std::vector<uint8_t> encrypt(const Key &key, std::string_view plaintext, std::string_view context) {
  std::vector<uint8_t> out(kHeaderSize + kIvSize + plaintext.size() + kTagSize);
  out[0] = kEnvelopeVersion;
  std::memcpy(&out[1], key.id.data(), kKeyIdSize);
  uint8_t *iv = &out[kHeaderSize];
  if (RAND_bytes(iv, kIvSize) != 1) openssl_failure("generate an IV");

  CipherCtx ctx = new_ctx();
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), iv) != 1)
    openssl_failure("initialise encryption");
  // Authenticated data: the header, then the context.
  if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, out.data(), kHeaderSize) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t *>(context.data()),
                        static_cast<int>(context.size())) != 1)
    openssl_failure("authenticate the context");
  uint8_t *ct = iv + kIvSize;
  if (EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const uint8_t *>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1)
    openssl_failure("encrypt");
  int fin = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) != 1) openssl_failure("finish encryption");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) != 1)
    openssl_failure("read the tag");
  return out;
}

bool envelope_key_id(const uint8_t *data, size_t size, std::array<uint8_t, kKeyIdSize> *id) {
  if (size < kHeaderSize) return false;
  std::memcpy(id->data(), data + 1, kKeyIdSize);
  return true;
}

std::string decrypt(const Key &current, const Key *previous, const uint8_t *data, size_t size,
                    std::string_view context) {
  if (size < kMinEnvelopeSize) auth_failure("The ciphertext is truncated.");
  if (data[0] != kEnvelopeVersion) auth_failure("The ciphertext has an unknown envelope version.");
  const Key *key = nullptr;
  if (std::memcmp(data + 1, current.id.data(), kKeyIdSize) == 0)
    key = &current;
  else if (previous && std::memcmp(data + 1, previous->id.data(), kKeyIdSize) == 0)
    key = previous;
  if (!key) auth_failure("The ciphertext was encrypted with a key that is not configured.");

  const uint8_t *iv = data + kHeaderSize;
  const uint8_t *ct = iv + kIvSize;
  size_t ct_len = size - kMinEnvelopeSize;
  uint8_t tag[kTagSize];
  std::memcpy(tag, ct + ct_len, kTagSize);

  CipherCtx ctx = new_ctx();
  std::string plain(ct_len, '\0');
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key->bytes.data(), iv) != 1)
    openssl_failure("initialise decryption");
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, data, kHeaderSize) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t *>(context.data()),
                        static_cast<int>(context.size())) != 1)
    openssl_failure("authenticate the context");
  if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t *>(plain.data()), &len, ct,
                        static_cast<int>(ct_len)) != 1)
    openssl_failure("decrypt");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1)
    openssl_failure("set the tag");
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t *>(plain.data()) + len, &fin) != 1) {
    // Wipe what was produced before the tag check failed: it is unauthenticated.
    OPENSSL_cleanse(plain.data(), plain.size());
    auth_failure("The tag does not match: the ciphertext, its context or the key differs.");
  }
  return plain;
}

}  // namespace tthub::crypto
