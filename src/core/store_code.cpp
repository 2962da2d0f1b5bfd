#include "core/store_code.h"

#include <string>

#include "core/error.h"

namespace tthub {

bool is_valid_store_code(std::string_view code) noexcept {
  if (code.empty() || code.size() > kMaxStoreCodeLength) return false;
  for (char c : code) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void require_valid_store_code(std::string_view code) {
  if (is_valid_store_code(code)) return;
  // Echo at most a short prefix: the value may be hostile (very long, control bytes).
  std::string shown;
  for (char c : code.substr(0, 60)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  throw Error(sqlstate::kInvalidParameterValue, "invalid store code \"" + shown + "\"",
              "A store code is 1 to 50 characters: lowercase letters, digits, '_' or '-'.");
}

}  // namespace tthub
