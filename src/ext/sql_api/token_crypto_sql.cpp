// SQL functions over the token envelope (src/core/token_crypto.*).
#include <openssl/crypto.h>

#include <string>

#include "core/secret_context.h"
#include "ext/config/server_secrets.h"
#include "ext/pg/db_work.h"
#include "ext/pg/spi.h"
#include "ext/accounts/account_store.h"
#include "ext/pg/sql_values.h"

namespace {

std::string decrypt_arg(FunctionCallInfo fcinfo) {
  std::string_view ct = tthub::arg_bytes(fcinfo, 0);
  std::string_view context = tthub::arg_bytes(fcinfo, 1);
  return tthub::crypto::decrypt(tthub::secrets::current_key(), tthub::secrets::previous_key(),
                                reinterpret_cast<const uint8_t *>(ct.data()), ct.size(), context);
}

bytea *encrypt_to_bytea(std::string_view plain, std::string_view context) {
  auto envelope = tthub::crypto::encrypt(tthub::secrets::current_key(), plain, context);
  return tthub::make_bytea(envelope.data(), envelope.size());
}

// Plaintext tokens are wiped from C++ memory as soon as they are copied out.
struct WipedString {
  std::string value;
  ~WipedString() { OPENSSL_cleanse(value.data(), value.size()); }
};

}  // namespace

// tthub_encrypt_token(plaintext text, context text) RETURNS bytea
TTHUB_SQL_FUNCTION(tthub_encrypt_token) {
  PG_RETURN_BYTEA_P(encrypt_to_bytea(tthub::arg_bytes(fcinfo, 0), tthub::arg_bytes(fcinfo, 1)));
}

// tthub_decrypt_token(ciphertext bytea, context text) RETURNS text
TTHUB_SQL_FUNCTION(tthub_decrypt_token) {
  WipedString plain{decrypt_arg(fcinfo)};
  PG_RETURN_TEXT_P(tthub::make_text(plain.value));
}

// tthub._token_key_is_current(ciphertext bytea) RETURNS boolean
TTHUB_SQL_FUNCTION(tthub_token_key_is_current) {
  std::string_view ct = tthub::arg_bytes(fcinfo, 0);
  std::array<uint8_t, tthub::crypto::kKeyIdSize> id;
  bool known = tthub::crypto::envelope_key_id(reinterpret_cast<const uint8_t *>(ct.data()),
                                              ct.size(), &id);
  PG_RETURN_BOOL(known && id == tthub::secrets::current_key().id);
}

// tthub._reencrypt_token(ciphertext bytea, context text) RETURNS bytea
// Decrypts with the current or previous key and encrypts again with the current one.
TTHUB_SQL_FUNCTION(tthub_reencrypt_token) {
  WipedString plain{decrypt_arg(fcinfo)};
  PG_RETURN_BYTEA_P(encrypt_to_bytea(plain.value, tthub::arg_bytes(fcinfo, 1)));
}

// tthub._token_key_loaded() RETURNS integer: 1 when the server has loaded a token key
// that can read every stored token (its key id is the current or the previous key's),
// 0 otherwise: no key, an unreadable key file, or a rotation done without
// tthub.token_key_previous_file. Syncs then fail as configuration errors.
TTHUB_SQL_FUNCTION(tthub_token_key_loaded) {
  bool usable = true;
  tthub::SubTransactions db;
  db.run([&] {
    uint64_t n = tthub::spi::exec(
        // Both tokens of a row are encrypted together, with one key: the refresh
        // token's envelope header (version and key id) speaks for the row.
        "SELECT DISTINCT substring(refresh_token_enc FROM 1 FOR 5) FROM tthub.store_accounts "
        " WHERE refresh_token_enc IS NOT NULL",
        {});
    if (n == 0) {
      try {
        (void)tthub::secrets::current_key();
      } catch (const tthub::Error &) {
        usable = false;
      }
    }
    for (uint64_t i = 0; i < n && usable; ++i)
      usable = !tthub::accounts::key_problem_for(tthub::spi::get_bytea(i, 1).value_or(std::vector<uint8_t>{}));
  });
  PG_RETURN_INT32(usable ? 1 : 0);
}

// tthub.token_context(store_code text, open_id text, token_kind text) RETURNS text
// The context of a stored token, as the C++ that encrypts it writes it.
TTHUB_SQL_FUNCTION(tthub_token_context) {
  PG_RETURN_TEXT_P(tthub::make_text(tthub::secret_context::token(
      tthub::arg_bytes(fcinfo, 0), tthub::arg_bytes(fcinfo, 1), tthub::arg_bytes(fcinfo, 2))));
}

// tthub._webhook_secret_context(webhook_id bigint) RETURNS text
TTHUB_SQL_FUNCTION(tthub_webhook_secret_context) {
  PG_RETURN_TEXT_P(tthub::make_text(tthub::secret_context::webhook_secret(PG_GETARG_INT64(0))));
}
