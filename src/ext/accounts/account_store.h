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
  std::vector<uint8_t> refresh_token_enc;  // as loaded, for lock_if_unchanged
  // The stored tokens failed authentication under a key that knows their key id:
  // tampered or moved ciphertext, the account's own problem.
  std::optional<std::string> decrypt_error;
  // The server cannot read them: no key loaded, or none of the loaded keys has the
  // tokens' key id (a rotation without tthub.token_key_previous_file). A configuration
  // error that says nothing about the account.
  std::optional<std::string> key_problem;
};

// Why the loaded keys cannot decrypt an envelope (no key, unknown key id), or nothing
// when they can try. Never throws.
std::optional<std::string> key_problem_for(const std::vector<uint8_t> &ciphertext);

// Decrypts a stored access token of the account (its context: core/secret_context.h). Throws tthub::Error (TH001, 55000) on failure.
std::string decrypt_access_token(const std::string &store_code, const std::string &open_id,
                                 const std::vector<uint8_t> &ciphertext);

// Accounts of the store that a sync covers (CONNECTED or ERROR), ordered by open_id.
std::vector<Stored> load_syncable(const std::string &store_code);

// A sync changes an account only while it is still the account the sync loaded:
// status CONNECTED or ERROR and the refresh token the sync holds (compared in
// plaintext, so a key rotation's re-encryption does not count as a change). Locks
// the row for the rest of the unit of work. refresh_token_enc: the ciphertext loaded,
// when known (the same bytes need no decryption: tokens that fail to decrypt can
// still be recognised). Throws tthub::Error when the stored token cannot be read.
enum class Holder {
  kSync,         // still the account the sync loaded: write
  kReconnected,  // CONNECTED or ERROR with other tokens (a reconnect or import)
  kGone,         // disconnected, marked for reconnecting, removed
};
Holder lock_if_unchanged(const std::string &store_code, const std::string &open_id,
                         const std::string &refresh_token, const std::vector<uint8_t> &refresh_token_enc);

// Persists both rotated tokens and their expiries (now + *_expires_in) in one statement.
// Call after lock_if_unchanged.
void save_tokens(const std::string &store_code, const std::string &open_id, const tiktok::TokenSet &t);

// status: CONNECTED, NEED_RECONNECT, ERROR or DISABLED; reason never contains a token.
// A sync calls it after lock_if_unchanged.
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
