// Connecting a store (Login Kit for Web) from inside the database: the SQL side of
// the OAuth shim. Plaintext tokens never leave this backend: not in a result, a log
// or an error message. These functions wait on TikTok inside the caller's
// transaction, like tthub_sync_now: they are called once per connection, by the shim.
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/random_token.h"
#include "core/store_code.h"
#include "ext/accounts/account_store.h"
#include "ext/pg/db_work.h"
#include "ext/sql_api/http_call.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "ext/sync/job_queue.h"
#include "ext/sync/sync_log.h"
#include "ext/pg/spi.h"
#include "ext/pg/sql_values.h"

namespace {

using tthub::Error;
namespace spi = tthub::spi;
namespace sqlstate = tthub::sqlstate;

std::string api_base() { return tthub::settings::api_base_url ? tthub::settings::api_base_url : ""; }
std::string client_key() { return tthub::settings::client_key ? tthub::settings::client_key : ""; }

std::string required_arg(FunctionCallInfo fcinfo, int n, const char *name, size_t max_len) {
  if (PG_ARGISNULL(n)) throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " is required");
  std::string v(tthub::arg_bytes(fcinfo, n));
  if (v.empty()) throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " is required");
  if (v.size() > max_len)
    throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " is too long",
                "At most " + std::to_string(max_len) + " characters.");
  return v;
}

struct PendingAuthorization {
  std::string store_code;
  std::string redirect_uri;
  std::vector<uint8_t> invite_hash;  // the connect link the authorization began with
};

[[noreturn]] void invite_used() {
  throw Error(sqlstate::kOAuthUsedInvite, "connect link already used",
              "Another TikTok account was connected through this link.",
              "Ask the store's administrator for a new connect link.");
}

// Marks the state used and returns what it was issued for; one clear error otherwise.
// Only the state row is locked: the invite is checked again, atomically, when the
// account is stored, so no lock is held on it while TikTok is called.
PendingAuthorization consume_state(tthub::DbWork &db, const std::string &state) {
  PendingAuthorization p;
  db.run([&] {
    uint64_t n = spi::exec(
        "SELECT s.store_code::text, s.redirect_uri, (s.expires_at < now())::int4, (s.used_at IS NOT NULL)::int4, "
        "       s.invite_hash, (i.used_at IS NOT NULL)::int4 "
        "  FROM tthub.oauth_states s JOIN tthub.oauth_invites i ON i.invite_hash = s.invite_hash "
        " WHERE s.state_hash = sha256(convert_to($1, 'UTF8')) FOR UPDATE OF s",
        {spi::text(state)});
    if (n == 0)
      throw Error(sqlstate::kOAuthUnknownState, "unknown OAuth state", "", "Start again from the store's connect link.");
    p.store_code = spi::get_text(0, 1).value_or("");
    p.redirect_uri = spi::get_text(0, 2).value_or("");
    p.invite_hash = spi::get_bytea(0, 5).value_or(std::vector<uint8_t>{});
    if (spi::get_int4(0, 4).value_or(0))
      throw Error(sqlstate::kOAuthUsedState, "OAuth state already used", "", "Start again from the store's connect link.");
    if (spi::get_int4(0, 3).value_or(0))
      throw Error(sqlstate::kOAuthExpiredState, "OAuth state expired", "An authorization must finish within 10 minutes.",
                  "Start again from the store's connect link.");
    if (spi::get_int4(0, 6).value_or(0)) invite_used();
    spi::exec("UPDATE tthub.oauth_states SET used_at = now() WHERE state_hash = sha256(convert_to($1, 'UTF8'))",
              {spi::text(state)});
  });
  return p;
}

[[noreturn]] void token_failure(const tthub::tiktok::ApiFailure &f) {
  using tthub::tiktok::FailureKind;
  bool unavailable = f.kind == FailureKind::kRetryable || f.kind == FailureKind::kRateLimited ||
                     f.kind == FailureKind::kMalformed;
  std::string detail = f.message + (f.log_id.empty() ? "" : " (log_id " + f.log_id + ")");
  if (unavailable)
    throw Error(sqlstate::kOAuthUnavailable, "TikTok's token endpoint is unavailable", detail, "Try connecting again in a few minutes.");
  throw Error(sqlstate::kOAuthRefused, "TikTok refused the authorization" + (f.code.empty() ? "" : ": " + f.code), detail,
              "Start again from the store's connect link.");
}

// A record of text columns (NULL where a value is absent).
Datum result_row(FunctionCallInfo fcinfo, const std::vector<std::optional<std::string>> &cols) {
  std::vector<Datum> values(cols.size());
  std::unique_ptr<bool[]> nulls(new bool[cols.size()]);
  for (size_t i = 0; i < cols.size(); ++i) {
    nulls[i] = !cols[i];
    values[i] = cols[i] ? PointerGetDatum(tthub::make_text(*cols[i])) : 0;
  }
  return tthub::make_record(fcinfo, values.data(), nulls.get());
}

}  // namespace

// tthub._random_state() RETURNS text: 256 random bits, base64url.
TTHUB_SQL_FUNCTION(tthub_random_state) { PG_RETURN_TEXT_P(tthub::make_text(tthub::random_urlsafe_token(32))); }

// tthub._form_encode(text) RETURNS text
TTHUB_SQL_FUNCTION(tthub_form_encode) {
  PG_RETURN_TEXT_P(tthub::make_text(tthub::tiktok::form_encode(std::string(tthub::arg_bytes(fcinfo, 0)))));
}

// tthub_oauth_complete(state, code) -> (store_code, display_name, status, status_reason)
TTHUB_SQL_FUNCTION(tthub_oauth_complete) {
  std::string state = required_arg(fcinfo, 0, "state", 128);
  std::string code = required_arg(fcinfo, 1, "code", 2048);
  tthub::SubTransactions db;
  PendingAuthorization pending = consume_state(db, state);
  int64_t started = tthub::epoch_ms();

  const char *secret = tthub::secrets::client_secret();
  tthub::tiktok::Result<tthub::tiktok::TokenSet> tokens = tthub::tiktok::parse_token_response(tthub::http_call(
      tthub::tiktok::authorization_code_request(api_base(), client_key(), secret, code, pending.redirect_uri)));
  if (!tokens.ok()) token_failure(tokens.failure);
  struct Wipe {  // the plaintext tokens, on every way out
    tthub::tiktok::TokenSet &t;
    ~Wipe() {
      OPENSSL_cleanse(t.access_token.data(), t.access_token.size());
      OPENSSL_cleanse(t.refresh_token.data(), t.refresh_token.size());
    }
  } wipe{*tokens.value};

  // The profile is a courtesy for the page; the first sync fills it in if this fails.
  std::optional<std::string> display_name, avatar_url;
  auto profile = tthub::tiktok::parse_user_info(
      tthub::http_call(tthub::tiktok::profile_request(api_base(), tokens.value->access_token)));
  if (profile.ok()) {
    display_name = profile.value->display_name;
    avatar_url = profile.value->avatar_url;
  }

  std::string missing = tthub::tiktok::missing_scope(tokens.value->scope);
  const char *status = missing.empty() ? "CONNECTED" : "NEED_RECONNECT";
  std::string reason = missing.empty() ? "" : "scope " + missing + " not granted";
  db.run([&] {
    // A link serves one account: the first one connected through it binds it, and a
    // connection with every scope spends it. A second account (a leaked link, or a
    // race between two tabs) is refused before anything is stored. now() stays outside
    // the CASE: Citus refuses a non-immutable function inside CASE on its tables.
    if (spi::exec("UPDATE tthub.oauth_invites SET open_id = $2, used_at = now() + CASE WHEN $3 = 1 THEN interval '0' END "
                  " WHERE invite_hash = $1 AND used_at IS NULL AND (open_id IS NULL OR open_id = $2)",
                  {spi::bytea(pending.invite_hash), spi::text(tokens.value->open_id), spi::int4(missing.empty() ? 1 : 0)}) == 0)
      invite_used();
    tthub::accounts::connect(pending.store_code, *tokens.value, display_name, avatar_url, status, reason);
    tthub::sync_log::write(pending.store_code, 0, tokens.value->open_id,
                                  {"oauth_connect", missing.empty() ? "SUCCESS" : "FAILED",
                                   missing.empty() ? "account connected" : "account connected without " + missing,
                                   0, 200, started});
    if (missing.empty()) tthub::queue::enqueue(pending.store_code, "first_sync");
  });
  return result_row(fcinfo, {pending.store_code, display_name, std::string(status),
                             reason.empty() ? std::nullopt : std::optional<std::string>(reason)});
}

// tthub_disconnect(store_code, open_id DEFAULT NULL) RETURNS integer
//
// Every TikTok call comes before the first write: a row lock taken here lasts until
// the caller commits, and a lock held across a revoke would stop the worker's writes
// to the store for as long as TikTok takes. A sync that rotates the tokens meanwhile
// is caught by reading again (up to kDisconnectRounds); one that rotates them after
// the last read finds the account gone at its next write and revokes what it
// refreshed itself (SyncEngine::account_superseded).
TTHUB_SQL_FUNCTION(tthub_disconnect) {
  constexpr int kDisconnectRounds = 3;
  std::string store = required_arg(fcinfo, 0, "store_code", 50);
  tthub::require_valid_store_code(store);
  std::optional<std::string> only;
  if (!PG_ARGISNULL(1)) only = std::string(tthub::arg_bytes(fcinfo, 1));
  tthub::SubTransactions db;

  struct Target {
    std::string open_id;
    std::optional<std::vector<uint8_t>> access;  // as last read
    std::optional<std::vector<uint8_t>> revoked;  // the ciphertext whose token was revoked
    std::string outcome = "no token to revoke";
    long http = 0;
    int64_t started = 0;
  };
  std::vector<Target> targets;
  auto read_tokens = [&](bool first) {
    db.run([&] {
      if (first && spi::exec("SELECT 1 FROM tthub.stores WHERE store_code = $1", {spi::text(store)}) == 0)
        throw Error(sqlstate::kNoDataFound, "store \"" + store + "\" does not exist");
      uint64_t n = spi::exec(
          "SELECT open_id::text, access_token_enc FROM tthub.store_accounts "
          " WHERE store_code = $1 AND ($2 IS NULL OR open_id = $2) AND status <> 'DISABLED' ORDER BY open_id",
          {spi::text(store), spi::text(only)});
      for (uint64_t i = 0; i < n; ++i) {
        std::string open_id = spi::get_text(i, 1).value_or("");
        auto access = spi::get_bytea(i, 2);
        auto it = std::find_if(targets.begin(), targets.end(), [&](const Target &t) { return t.open_id == open_id; });
        if (it != targets.end()) it->access = access;
        else if (first) targets.push_back({open_id, access, std::nullopt, "no token to revoke", 0, tthub::epoch_ms()});
      }
    });
  };
  read_tokens(true);
  if (only && targets.empty())
    throw Error(sqlstate::kNoDataFound, "store \"" + store + "\" has no connected account \"" + *only + "\"");

  for (int round = 0; round < kDisconnectRounds; ++round) {
    bool revoked_any = false;
    for (Target &t : targets) {
      if (!t.access || t.access == t.revoked) continue;
      revoked_any = true;
      t.revoked = t.access;
      try {
        std::string token = tthub::accounts::decrypt_access_token(store, t.open_id, *t.access);
        tthub::HttpResponse r = tthub::http_call(
            tthub::tiktok::revoke_request(api_base(), client_key(), tthub::secrets::client_secret(), token));
        OPENSSL_cleanse(token.data(), token.size());
        t.http = r.status;
        auto revoked = tthub::tiktok::parse_revoke_response(r);
        t.outcome = revoked.ok() ? "revoked at TikTok" : "TikTok did not revoke: " + revoked.failure.message;
      } catch (const Error &e) {
        if (tthub::is_operator_intervention(e)) throw;  // a cancel ends the call, not the revoke
        t.outcome = std::string("not revoked at TikTok: ") + e.what();  // the tokens are deleted all the same
      }
    }
    if (!revoked_any) break;
    read_tokens(false);  // a sync may have rotated them meanwhile
  }

  db.run([&] {
    for (Target &t : targets) {
      tthub::accounts::disconnect(store, t.open_id, "disconnected; " + t.outcome);
      tthub::sync_log::write(store, 0, t.open_id,
                             {"oauth_disconnect", t.outcome == "revoked at TikTok" ? "SUCCESS" : "FAILED", t.outcome,
                              0, t.http, t.started});
    }
  });
  PG_RETURN_INT32(static_cast<int32>(targets.size()));
}
