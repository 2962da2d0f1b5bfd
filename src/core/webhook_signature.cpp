#include "core/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "core/error.h"

namespace tthub::webhook {

std::string to_hex(const unsigned char *bytes, size_t n) {
  static const char *digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 15]);
  }
  return hex;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char *>(message.data()), message.size(), mac, &len))
    throw Error(sqlstate::kInternalError, "tthub: HMAC-SHA256 failed");
  return to_hex(mac, len);
}

std::string signature_header(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  std::string signed_text = t + "." + std::string(body);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

std::string verify_signature(std::string_view header, std::string_view secret, std::string_view body,
                             int64_t now_s, int64_t tolerance_s) {
  std::string t, v1;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    if (part.substr(0, 2) == "t=") t = std::string(part.substr(2));
    else if (part.substr(0, 3) == "v1=") v1 = std::string(part.substr(3));
    pos = end + 1;
  }
  if (t.empty() || v1.empty()) return "the signature header lacks t= or v1=";
  char *stop = nullptr;
  long long ts = std::strtoll(t.c_str(), &stop, 10);
  if (*stop != '\0' || t.size() > 12) return "the timestamp is not a number";
  if (ts < now_s - tolerance_s || ts > now_s + tolerance_s) return "the timestamp is outside the replay window";
  std::string expected = hmac_sha256_hex(secret, t + "." + std::string(body));
  if (v1.size() != expected.size() || CRYPTO_memcmp(v1.data(), expected.data(), expected.size()) != 0)
    return "the signature does not match";
  return "";
}

}  // namespace tthub::webhook
