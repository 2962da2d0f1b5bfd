// The authenticated context (AES-GCM associated data) of every secret tthub stores
// encrypted: a ciphertext copied to another row, account or column fails to decrypt.
// The one definition: the C++ that encrypts and decrypts calls these, and so do the
// SQL functions tthub.token_context and tthub._webhook_secret_context.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tthub::secret_context {

// A stored TikTok token: kind is "access_token" or "refresh_token".
std::string token(std::string_view store_code, std::string_view open_id, std::string_view kind);
inline std::string access_token(std::string_view store_code, std::string_view open_id) {
  return token(store_code, open_id, "access_token");
}
inline std::string refresh_token(std::string_view store_code, std::string_view open_id) {
  return token(store_code, open_id, "refresh_token");
}

// A webhook's signing secret.
std::string webhook_secret(int64_t webhook_id);

}  // namespace tthub::secret_context
