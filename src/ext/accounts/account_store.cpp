#include "ext/accounts/account_store.h"

#include <openssl/crypto.h>

#include <array>

#include "core/secret_context.h"
#include "core/token_crypto.h"
#include "ext/config/server_secrets.h"
#include "ext/alerts/events.h"
#include "ext/pg/spi.h"

namespace tthub::accounts {
namespace {

std::string decrypt(const std::vector<uint8_t> &ct, const std::string &ctx) {
  return crypto::decrypt(secrets::current_key(), secrets::previous_key(), ct.data(), ct.size(), ctx);
}

}  // namespace

std::optional<std::string> key_problem_for(const std::vector<uint8_t> &ciphertext) {
  const crypto::Key *current = nullptr;
  try {
    current = &secrets::current_key();
  } catch (const Error &e) {
    return std::string(e.what()) + (e.detail().empty() ? "" : ": " + e.detail());
  }
  std::array<uint8_t, crypto::kKeyIdSize> id;
  if (!crypto::envelope_key_id(ciphertext.data(), ciphertext.size(), &id)) return std::nullopt;  // the account's
  const crypto::Key *previous = secrets::previous_key();
  if (id == current->id || (previous && id == previous->id)) return std::nullopt;
  return "the stored tokens were encrypted with a key the server has not loaded "
         "(a key rotation without tthub.token_key_previous_file?)";
}

std::string decrypt_access_token(const std::string &store_code, const std::string &open_id,
                                 const std::vector<uint8_t> &ciphertext) {
  return decrypt(ciphertext, secret_context::access_token(store_code, open_id));
}

std::vector<Stored> load_syncable(const std::string &store_code) {
  uint64_t n = spi::exec(
      "SELECT open_id::text, access_token_enc, refresh_token_enc, coalesce(scope, '')::text, "
      "       extract(epoch FROM token_expires_at)::bigint, extract(epoch FROM refresh_token_expires_at)::bigint "
      "  FROM tthub.store_accounts "
      " WHERE store_code = $1 AND status IN ('CONNECTED', 'ERROR') ORDER BY open_id",
      {spi::text(store_code)});
  std::vector<Stored> out;
  for (uint64_t i = 0; i < n; ++i) {
    Stored s;
    tiktok::AccountCredentials &c = s.credentials;
    c.open_id = spi::get_text(i, 1).value_or("");
    c.scope = spi::get_text(i, 4).value_or("");
    c.access_expires_at = spi::get_int8(i, 5).value_or(0);
    c.refresh_expires_at = spi::get_int8(i, 6).value_or(0);
    auto access = spi::get_bytea(i, 2);
    auto refresh = spi::get_bytea(i, 3);
    if (refresh) s.refresh_token_enc = *refresh;
    for (const auto *ct : {&access, &refresh})
      if (*ct && !s.key_problem) s.key_problem = key_problem_for(**ct);
    if (s.key_problem) {
      out.push_back(std::move(s));
      continue;
    }
    try {
      if (access) c.access_token = decrypt(*access, secret_context::access_token(store_code, c.open_id));
      if (refresh) c.refresh_token = decrypt(*refresh, secret_context::refresh_token(store_code, c.open_id));
    } catch (const Error &e) {
      // One account's bad ciphertext (or a missing key) must not stop the others.
      s.decrypt_error = std::string(e.what()) + (e.detail().empty() ? "" : ": " + e.detail());
    }
    out.push_back(std::move(s));
  }
  return out;
}

Holder lock_if_unchanged(const std::string &store_code, const std::string &open_id,
                         const std::string &refresh_token, const std::vector<uint8_t> &refresh_token_enc) {
  uint64_t n = spi::exec(
      "SELECT refresh_token_enc, (status IN ('CONNECTED', 'ERROR'))::int4 FROM tthub.store_accounts "
      " WHERE store_code = $1 AND open_id = $2 FOR UPDATE",
      {spi::text(store_code), spi::text(open_id)});
  if (n == 0) return Holder::kGone;
  std::optional<std::vector<uint8_t>> stored = spi::get_bytea(0, 1);
  if (!stored || !spi::get_int4(0, 2).value_or(0)) return Holder::kGone;
  if (!refresh_token_enc.empty() && *stored == refresh_token_enc) return Holder::kSync;
  if (auto problem = key_problem_for(*stored))
    throw Error(sqlstate::kNotInPrerequisiteState, "tthub cannot read the stored tokens", *problem);
  std::string current;
  try {
    current = decrypt(*stored, secret_context::refresh_token(store_code, open_id));
  } catch (const Error &) {
    return Holder::kReconnected;  // not the tokens this sync holds, whatever they are
  }
  bool same = current.size() == refresh_token.size() &&
              CRYPTO_memcmp(current.data(), refresh_token.data(), current.size()) == 0;
  OPENSSL_cleanse(current.data(), current.size());
  return same ? Holder::kSync : Holder::kReconnected;
}

void save_tokens(const std::string &store_code, const std::string &open_id, const tiktok::TokenSet &t) {
  const crypto::Key &key = secrets::current_key();
  spi::exec(
      "UPDATE tthub.store_accounts SET access_token_enc = $3, refresh_token_enc = $4, "
      "       token_expires_at = now() + make_interval(secs => $5), "
      "       refresh_token_expires_at = now() + make_interval(secs => $6), "
      "       scope = coalesce(nullif($7, ''), scope), updated_at = now() "
      " WHERE store_code = $1 AND open_id = $2",
      {spi::text(store_code), spi::text(open_id),
       spi::bytea(crypto::encrypt(key, t.access_token, secret_context::access_token(store_code, open_id))),
       spi::bytea(crypto::encrypt(key, t.refresh_token, secret_context::refresh_token(store_code, open_id))),
       spi::int8(t.expires_in), spi::int8(t.refresh_expires_in), spi::text(t.scope)});
}

void connect(const std::string &store_code, const tiktok::TokenSet &t, const std::optional<std::string> &display_name,
             const std::optional<std::string> &avatar_url, const char *status, const std::string &reason) {
  const crypto::Key &key = secrets::current_key();
  spi::exec(
      "INSERT INTO tthub.store_accounts AS a (store_code, open_id, display_name, avatar_url, access_token_enc, "
      "       refresh_token_enc, token_expires_at, refresh_token_expires_at, scope, status, status_reason, "
      "       connected_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), now() + make_interval(secs => $8), $9, "
      "        $10::tthub.account_status, nullif($11, ''), now(), now()) "
      "ON CONFLICT (store_code, open_id) DO UPDATE SET "
      "  display_name = coalesce(EXCLUDED.display_name, a.display_name), "
      "  avatar_url = coalesce(EXCLUDED.avatar_url, a.avatar_url), access_token_enc = EXCLUDED.access_token_enc, "
      "  refresh_token_enc = EXCLUDED.refresh_token_enc, token_expires_at = EXCLUDED.token_expires_at, "
      "  refresh_token_expires_at = EXCLUDED.refresh_token_expires_at, scope = EXCLUDED.scope, "
      "  status = EXCLUDED.status, status_reason = EXCLUDED.status_reason, connected_at = EXCLUDED.connected_at, "
      "  updated_at = EXCLUDED.updated_at",
      {spi::text(store_code), spi::text(t.open_id), spi::text(display_name), spi::text(avatar_url),
       spi::bytea(crypto::encrypt(key, t.access_token, secret_context::access_token(store_code, t.open_id))),
       spi::bytea(crypto::encrypt(key, t.refresh_token, secret_context::refresh_token(store_code, t.open_id))),
       spi::int8(t.expires_in), spi::int8(t.refresh_expires_in), spi::text(t.scope), spi::text(status),
       spi::text(reason)});
  alerts::account_status_changed(store_code, t.open_id, status, reason);
}

void disconnect(const std::string &store_code, const std::string &open_id, const std::string &reason) {
  spi::exec(
      "UPDATE tthub.store_accounts SET access_token_enc = NULL, refresh_token_enc = NULL, token_expires_at = NULL, "
      "       refresh_token_expires_at = NULL, status = 'DISABLED', status_reason = $3, updated_at = now() "
      " WHERE store_code = $1 AND open_id = $2",
      {spi::text(store_code), spi::text(open_id), spi::text(reason)});
}

void set_status(const std::string &store_code, const std::string &open_id, const char *status,
                const std::string &reason) {
  spi::exec(
      "UPDATE tthub.store_accounts SET status = $3::tthub.account_status, status_reason = $4, updated_at = now() "
      " WHERE store_code = $1 AND open_id = $2",
      {spi::text(store_code), spi::text(open_id), spi::text(status), spi::text(reason)});
  alerts::account_status_changed(store_code, open_id, status, reason);
}

void save_profile(const std::string &store_code, const std::string &open_id,
                  const std::optional<std::string> &display_name, const std::optional<std::string> &avatar_url) {
  spi::exec(
      "UPDATE tthub.store_accounts SET display_name = coalesce($3, display_name), "
      "       avatar_url = coalesce($4, avatar_url), updated_at = now() "
      " WHERE store_code = $1 AND open_id = $2",
      {spi::text(store_code), spi::text(open_id), spi::text(display_name), spi::text(avatar_url)});
}

void mark_synced(const std::string &store_code, const std::string &open_id) {
  spi::exec(
      "UPDATE tthub.store_accounts SET status = 'CONNECTED', status_reason = NULL, last_sync_at = now(), "
      "       updated_at = now() WHERE store_code = $1 AND open_id = $2",
      {spi::text(store_code), spi::text(open_id)});
}

}  // namespace tthub::accounts
