// Connected accounts and their tokens: loaded and decrypted for a sync, refreshed
// tokens encrypted and saved, account status changes. Call inside a unit of DbWork.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/account_sync.h"

namespace tthub::accounts {

struct Stored {
  tiktok::AccountCredentials credentials;
  std::optional<std::string> decrypt_error;  // the tokens could not be decrypted
};

// Decrypts a stored access token of the account (its context: core/secret_context.h). Throws tthub::Error (TH001, 55000) on failure.
std::string decrypt_access_token(const std::string &store_code, const std::string &open_id,
                                 const std::vector<uint8_t> &ciphertext);

// Accounts of the store that a sync covers (CONNECTED or ERROR), ordered by open_id.
std::vector<Stored> load_syncable(const std::string &store_code);

// Persists both rotated tokens and their expiries (now + *_expires_in) in one statement.
void save_tokens(const std::string &store_code, const std::string &open_id, const tiktok::TokenSet &t);

// status: CONNECTED, NEED_RECONNECT, ERROR or DISABLED; reason never contains a token.
void set_status(const std::string &store_code, const std::string &open_id, const char *status,
                const std::string &reason);

// A newly authorized account (OAuth): insert or update with both tokens encrypted.
void connect(const std::string &store_code, const tiktok::TokenSet &t, const std::optional<std::string> &display_name,
             const std::optional<std::string> &avatar_url, const char *status, const std::string &reason);

// Forgets the tokens of a disconnected account; status DISABLED.
void disconnect(const std::string &store_code, const std::string &open_id, const std::string &reason);

// The profile a sync read (display name, avatar); an absent field keeps the stored one.
void save_profile(const std::string &store_code, const std::string &open_id,
                  const std::optional<std::string> &display_name, const std::optional<std::string> &avatar_url);

void mark_synced(const std::string &store_code, const std::string &open_id);

}  // namespace tthub::accounts
