// Store codes name a store everywhere (and are the Citus distribution column), so
// they are validated once, here, with the same rule as the tables' CHECK constraint.
#pragma once

#include <string_view>

namespace tthub {

inline constexpr size_t kMaxStoreCodeLength = 50;

// True when code is 1..50 characters of [a-z0-9_-].
bool is_valid_store_code(std::string_view code) noexcept;

// Throws tthub::Error (22023) with a message that says what is allowed.
void require_valid_store_code(std::string_view code);

}  // namespace tthub
