#include "core/secret_context.h"

namespace tthub::secret_context {

// Changing either shape makes every stored secret undecryptable: they are part of
// the stored data's format.
std::string token(std::string_view store_code, std::string_view open_id, std::string_view kind) {
  std::string s;
  s.reserve(store_code.size() + open_id.size() + kind.size() + 2);
  s.append(store_code).append("/").append(open_id).append("/").append(kind);
  return s;
}

std::string webhook_secret(int64_t webhook_id) {
  return "tthub-webhook:" + std::to_string(webhook_id) + ":signing_secret";
}

}  // namespace tthub::secret_context
