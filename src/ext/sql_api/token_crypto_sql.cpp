// SQL functions over the token envelope (src/core/token_crypto.*).
#include <openssl/crypto.h>

#include <string>

#include "core/secret_context.h"
#include "ext/config/server_secrets.h"
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
