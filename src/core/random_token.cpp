#include "core/random_token.h"

#include <openssl/rand.h>

#include <vector>

#include "core/error.h"

namespace tthub {

std::string base64url(const unsigned char *data, size_t size) {
  static const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    unsigned v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (size - i == 1) {
    unsigned v = data[i] << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
  } else if (size - i == 2) {
    unsigned v = data[i] << 16 | data[i + 1] << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
  }
  return out;
}

std::string random_urlsafe_token(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1)
    throw Error(sqlstate::kInternalError, "tthub: OpenSSL could not generate random bytes");
  return base64url(buf.data(), buf.size());
}

}  // namespace tthub
