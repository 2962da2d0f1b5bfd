#include "ext/notify/webhook_dispatcher.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/http_client.h"
#include "core/token_crypto.h"
#include "core/webhook_payload.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "ext/pg/spi.h"

namespace tthub::notify {
namespace {

// Deliveries on the wire at once over all webhooks (each webhook has its own cap).
constexpr int kMaxInFlightTotal = 32;
// A receiver's answer is read up to this size and never logged or stored; a larger
// one fails the attempt.
constexpr size_t kMaxResponseBytes = 64 * 1024;
constexpr int64_t kRetryCapMs = 3600 * 1000;
constexpr int64_t kScanEveryMs = 60 * 1000;
constexpr int64_t kPruneEveryMs = 3600 * 1000;
// A claim that left due deliveries behind (rows an admin's transaction holds) tries
// again after this, not at once.
constexpr int64_t kClaimRetryMs = 1000;
// The lease outlives the longest attempt; a worker that dies leaves it to expire.
constexpr const char *kLease = "5 minutes";
constexpr int kShutdownLockTimeoutMs = 2000;
// Longest wait for a row lock in the worker's webhook transactions: an admin's open
// transaction must not stall the loop that also drives the syncs.
constexpr const char *kLockTimeout = "2s";
// After an error in a step (a lock timeout, a database error): wait this long before
// the next, rather than stopping the worker and the syncs with it.
constexpr int64_t kErrorPauseMs = 5000;

struct InFlight {
  std::string store_code;
  int64_t delivery_id = 0;
  int64_t webhook_id = 0;
  std::string event;
  int attempts = 0;
  int64_t started_ms = 0;
};

struct Claimed {
  InFlight meta;
  std::string url;
  std::string format;
  webhook::Event event;
  std::vector<uint8_t> secret_enc;
  bool allow_private = false;
};

struct Outcome {
  InFlight meta;
  bool ok = false;
  long http_status = 0;
  std::string error;
  int64_t duration_ms = 0;
};

// Kept across steps; created on the first step, dropped at shutdown (never a
// static with a destructor: exit() runs those).
struct Dispatcher {
  std::unique_ptr<HttpClient> http;
  std::map<uint64_t, InFlight> in_flight;
  uint64_t next_tag = 1;
  int64_t last_scan = 0, last_prune = 0;
  int64_t next_due_at = -1;  // steady ms when the next queued delivery is due
  bool claim_next = true;    // a delivery finished (its webhook has room) or none claimed yet
  bool installed = false;
  int64_t paused_until = 0;  // steady ms: after an error
};
Dispatcher *g_dispatcher = nullptr;

double jitter() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

struct WipedString {
  std::string value;
  ~WipedString() { OPENSSL_cleanse(value.data(), value.size()); }
};

std::string secret_context(int64_t webhook_id) {
  return "tthub-webhook:" + std::to_string(webhook_id) + ":signing_secret";  // tthub._webhook_secret_context
}

void log_outcome(const Outcome &o, const char *state) {
  // Only ids, event, state, HTTP status and timing reach the log: never the URL's
  // query, the response body or the secret.
  pg_guard([&] {
    ereport(LOG, (errmsg("tthub: webhook " INT64_FORMAT " delivery " INT64_FORMAT " %s: %s, http %ld, " INT64_FORMAT " ms",
                         static_cast<int64>(o.meta.webhook_id), static_cast<int64>(o.meta.delivery_id),
                         o.meta.event.c_str(), state, o.http_status, static_cast<int64>(o.duration_ms))));
  });
}

Outcome outcome_of(const InFlight &meta, const tiktok::HttpResponse &r) {
  Outcome o;
  o.meta = meta;
  o.http_status = r.status;
  o.duration_ms = steady_ms() - meta.started_ms;
  if (!r.transport_error.empty()) {
    o.error = r.timed_out ? "timed out" : r.transport_error;
  } else if (r.status >= 200 && r.status < 300) {
    o.ok = true;
  } else {
    o.error = "the receiver answered HTTP " + std::to_string(r.status);
  }
  return o;
}

void bound_lock_waits() {
  spi::exec("SELECT pg_catalog.set_config('lock_timeout', $1, true)", {spi::text(kLockTimeout)});
}

void record(DbWork &db, const std::vector<Outcome> &outcomes) {
  if (outcomes.empty()) return;
  std::vector<std::string> states(outcomes.size());
  db.run([&] {
    bound_lock_waits();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome &o = outcomes[i];
      int64_t retry = backoff_delay_ms(std::max(o.meta.attempts, 1), settings::webhook_retry_base_delay_ms,
                                       kRetryCapMs, jitter());
      spi::exec("SELECT tthub._finish_delivery($1::varchar, $2::bigint, ($3::integer <> 0)::boolean, "
                "nullif($4::integer, 0)::integer, nullif($5::text, '')::text, $6::integer, $7::bigint, $8::integer)",
                {spi::text(o.meta.store_code), spi::int8(o.meta.delivery_id), spi::int4(o.ok ? 1 : 0),
                 spi::int4(static_cast<int32_t>(o.http_status)), spi::text(o.error),
                 spi::int4(static_cast<int32_t>(std::min<int64_t>(o.duration_ms, INT32_MAX))), spi::int8(retry),
                 spi::int4(settings::max_attempts)});
      states[i] = spi::get_text(0, 1).value_or("gone");
    }
  });
  for (size_t i = 0; i < outcomes.size(); ++i) log_outcome(outcomes[i], states[i].c_str());
}

std::vector<Claimed> claim(int max_total) {
  uint64_t n = spi::exec(
      "SELECT store_code, delivery_id, webhook_id, attempts, event, occurred_at, data, url, secret_enc, format, "
      "       allow_private::text "
      "  FROM tthub._claim_deliveries($1::integer, $2::integer, $3::interval, pg_backend_pid()::integer)",
      {spi::int4(max_total), spi::int4(settings::webhook_max_in_flight), spi::text(kLease)});
  std::vector<Claimed> out;
  for (uint64_t i = 0; i < n; ++i) {
    Claimed c;
    c.meta.store_code = spi::get_text(i, 1).value_or("");
    c.meta.delivery_id = spi::get_int8(i, 2).value_or(0);
    c.meta.webhook_id = spi::get_int8(i, 3).value_or(0);
    c.meta.attempts = spi::get_int4(i, 4).value_or(1);
    c.meta.event = spi::get_text(i, 5).value_or("");
    c.event.delivery_id = c.meta.delivery_id;
    c.event.event = c.meta.event;
    c.event.occurred_at = spi::get_text(i, 6).value_or("");
    c.event.store_code = c.meta.store_code;
    c.event.data_json = spi::get_text(i, 7).value_or("{}");
    c.url = spi::get_text(i, 8).value_or("");
    c.secret_enc = spi::get_bytea(i, 9).value_or(std::vector<uint8_t>{});
    c.format = spi::get_text(i, 10).value_or("json");
    c.allow_private = spi::get_text(i, 11).value_or("false") == "true";
    out.push_back(std::move(c));
  }
  return out;
}

// Builds and sends one claimed delivery; a secret that cannot be decrypted fails
// the attempt at once (the outcome is returned for recording).
std::optional<Outcome> send(Dispatcher &d, Claimed &c) {
  c.meta.started_ms = steady_ms();
  WipedString secret;
  try {
    std::string ctx = secret_context(c.meta.webhook_id);
    secret.value = crypto::decrypt(secrets::current_key(), secrets::previous_key(), c.secret_enc.data(),
                                   c.secret_enc.size(), ctx);
  } catch (const Error &) {
    Outcome o;
    o.meta = c.meta;
    o.error = "the webhook's signing secret cannot be decrypted (token key missing or rotated without re-encryption)";
    return o;
  }
  std::string body = webhook::body(c.event, webhook::parse_format(c.format));
  uint64_t tag = d.next_tag++;
  tiktok::HttpRequest request = webhook::request(c.url, c.event, body, secret.value, epoch_ms() / 1000);
  request.refuse_internal_addresses = !c.allow_private;
  d.http->submit(request, tag);
  d.in_flight.emplace(tag, c.meta);
  return std::nullopt;
}

void scan(Dispatcher &d, int64_t now) {
  d.last_scan = now;
  spi::exec("SELECT tthub._requeue_orphan_deliveries($1::integer)", {spi::int4(settings::max_attempts)});
  spi::exec("SELECT tthub._scan_alert_events(pg_catalog.make_interval(secs => $1::double precision)::interval, $2::integer)",
            {spi::int8(settings::token_expiry_warning_s), spi::int4(settings::day_complete_deadline_min)});
  if (now - d.last_prune >= kPruneEveryMs || d.last_prune == 0) {
    d.last_prune = now;
    spi::exec("SELECT tthub._prune_events($1::integer)", {spi::int4(settings::log_retention_days)});
  }
}

int64_t step(DbWork &db, bool woken) {
  Dispatcher &d = *g_dispatcher;
  std::vector<Outcome> outcomes;
  if (!d.in_flight.empty()) {
    for (auto &[tag, response] : d.http->poll(0)) {
      auto it = d.in_flight.find(tag);
      if (it == d.in_flight.end()) continue;
      outcomes.push_back(outcome_of(it->second, response));
      d.in_flight.erase(it);
    }
  }
  if (!outcomes.empty()) d.claim_next = true;
  record(db, outcomes);
  outcomes.clear();

  int64_t now = steady_ms();
  bool scan_due = now - d.last_scan >= kScanEveryMs || d.last_scan == 0;
  // No polling: an idle worker claims only when woken (an event queued deliveries, a
  // webhook was re-enabled), when a delivery finished, or when the next is due.
  bool claim_due = woken || d.claim_next || (d.next_due_at >= 0 && now >= d.next_due_at);
  int free_slots = kMaxInFlightTotal - static_cast<int>(d.in_flight.size());
  std::vector<Claimed> claimed;
  if (scan_due || (claim_due && free_slots > 0)) {
    db.run([&] {
      bound_lock_waits();
      d.installed = spi::exec("SELECT 1 WHERE to_regclass('tthub.deliveries') IS NOT NULL", {}) == 1;
      if (!d.installed) return;  // an extension not yet updated to 0.4
      if (scan_due) scan(d, now);
      if (claim_due && free_slots > 0) {
        d.claim_next = false;
        claimed = claim(free_slots);
        spi::exec("SELECT tthub._next_delivery_due_ms($1::integer)", {spi::int4(settings::webhook_max_in_flight)});
        std::optional<int64_t> due = spi::get_int8(0, 1);
        if (due && *due == 0 && static_cast<int>(claimed.size()) < free_slots) due = kClaimRetryMs;
        d.next_due_at = due ? steady_ms() + *due : -1;
      }
    });
    if (!d.installed) d.last_scan = now;
  }
  for (Claimed &c : claimed)
    if (auto failed = send(d, c)) outcomes.push_back(*failed);
  record(db, outcomes);

  if (!d.in_flight.empty()) return 50;
  int64_t wait = kScanEveryMs - (steady_ms() - d.last_scan);
  if (d.next_due_at >= 0) wait = std::min(wait, d.next_due_at - steady_ms());
  return std::max<int64_t>(wait, 10);
}

}  // namespace

int64_t webhooks_step(DbWork &db, bool woken) {
  if (!g_dispatcher) {
    g_dispatcher = new Dispatcher;
    g_dispatcher->http = std::make_unique<HttpClient>(HttpClient::Options{
        std::min<long>(settings::webhook_timeout_ms, 10000), settings::webhook_timeout_ms, kMaxResponseBytes,
        kMaxInFlightTotal});
  }
  Dispatcher &d = *g_dispatcher;
  int64_t now = steady_ms();
  if (now < d.paused_until) return d.paused_until - now;
  try {
    return step(db, woken);
  } catch (const Error &e) {
    // A stop or cancel goes on up to the worker. Anything else (a lock timeout, a
    // database error) pauses webhooks only: the syncs in the same loop go on.
    if (is_operator_intervention(e)) throw;
    d.paused_until = steady_ms() + kErrorPauseMs;
    pg_guard([&] {
      ereport(WARNING, (errmsg("tthub: webhook step failed (SQLSTATE %s), retrying in " INT64_FORMAT " ms: %s",
                               e.sqlstate().c_str(), static_cast<int64>(kErrorPauseMs), e.what())));
    });
    return kErrorPauseMs;
  }
}

void webhooks_shutdown(DbWork &db) {
  if (!g_dispatcher) return;
  Dispatcher *d = g_dispatcher;
  g_dispatcher = nullptr;
  delete d;  // drops the transfers on the wire
  // By process rather than by what is on the wire: a delivery claimed but not yet
  // sent (a stop between the claim and the send) is running too.
  // Never throws: the worker's own shutdown work (putting sync jobs back) follows.
  // Deliveries left running are requeued as orphans when the worker starts again.
  // The postmaster may send its SIGTERM twice in a fast shutdown: a second one during
  // this step is the stop already under way, and must not cancel this requeue or
  // the sync jobs' after it.
  ErrorReport failure;
  bool ok = false;
  HOLD_CANCEL_INTERRUPTS();
  try {
    db.run([&] {
      spi::exec("SELECT pg_catalog.set_config('lock_timeout', $1, true)",
                {spi::text(std::to_string(kShutdownLockTimeoutMs))});
      spi::exec(
          "UPDATE tthub.deliveries SET state = 'queued', attempts = greatest(attempts - 1, 0), run_after = now(), "
          "       lease_until = NULL, worker_pid = NULL, last_error = 'the worker stopped while sending it', "
          "       updated_at = now() "
          " WHERE worker_pid = pg_backend_pid() AND state = 'running'",
          {});
    });
    ok = true;
  } catch (...) {
    failure = describe_current_exception();
  }
  RESUME_CANCEL_INTERRUPTS();
  QueryCancelPending = false;
  if (ok) return;
  pg_guard([&] {
    ereport(WARNING, (errmsg("tthub: webhook deliveries on the wire were not put back (SQLSTATE %s): %s",
                             failure.sqlstate, failure.message)));
  });
}

}  // namespace tthub::notify
