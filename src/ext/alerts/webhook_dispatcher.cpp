#include "ext/alerts/webhook_dispatcher.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/http_client.h"
#include "core/secret_context.h"
#include "core/token_crypto.h"
#include "core/webhook_payload.h"
#include "ext/alerts/delivery_queue.h"
#include "ext/config/installed_sql.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "ext/pg/lock_timeout.h"
#include "ext/pg/spi.h"

namespace tthub::alerts {
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

// One attempt's end: the delivery it was for, and what to record of it.
struct Outcome {
  InFlight meta;
  deliveries::Attempt attempt;
};

Outcome outcome_for(const InFlight &meta) {
  Outcome o;
  o.meta = meta;
  o.attempt.store_code = meta.store_code;
  o.attempt.delivery_id = meta.delivery_id;
  return o;
}

}  // namespace

// Kept across steps, owned by the worker (never a static with a destructor: exit()
// runs those).
struct WebhookDispatcher::State {
  std::unique_ptr<HttpClient> http;
  std::map<uint64_t, InFlight> in_flight;
  uint64_t next_tag = 1;
  int64_t last_scan = 0, last_prune = 0;
  int64_t next_due_at = -1;  // steady ms when the next queued delivery is due
  bool claim_next = true;    // a delivery finished (its webhook has room) or none claimed yet
  bool installed = false;
  int64_t paused_until = 0;  // steady ms: after an error
};

namespace {
using Dispatcher = WebhookDispatcher::State;

struct WipedString {
  std::string value;
  ~WipedString() { OPENSSL_cleanse(value.data(), value.size()); }
};

void log_outcome(const Outcome &o, const char *state) {
  // Only ids, event, state, HTTP status and timing reach the log: never the URL's
  // query, the response body or the secret.
  pg_guard([&] {
    ereport(LOG, (errmsg("tthub: webhook " INT64_FORMAT " delivery " INT64_FORMAT " %s: %s, http %ld, " INT64_FORMAT " ms",
                         static_cast<int64>(o.meta.webhook_id), static_cast<int64>(o.meta.delivery_id),
                         o.meta.event.c_str(), state, o.attempt.http_status, static_cast<int64>(o.attempt.duration_ms))));
  });
}

Outcome outcome_of(const InFlight &meta, const HttpResponse &r) {
  Outcome o = outcome_for(meta);
  deliveries::Attempt &a = o.attempt;
  a.http_status = r.status;
  a.duration_ms = steady_ms() - meta.started_ms;
  if (!r.transport_error.empty()) {
    a.error = r.timed_out ? "timed out" : r.transport_error;
  } else if (r.status >= 200 && r.status < 300) {
    a.ok = true;
  } else {
    a.error = "the receiver answered HTTP " + std::to_string(r.status);
  }
  return o;
}

void record(DbWork &db, const std::vector<Outcome> &outcomes) {
  if (outcomes.empty()) return;
  std::vector<std::string> states(outcomes.size());
  db.run([&] {
    lock_waits::bound();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome &o = outcomes[i];
      int64_t retry = backoff_delay_ms(std::max(o.meta.attempts, 1), settings::webhook_retry_base_delay_ms,
                                       kRetryCapMs, jitter_unit());
      states[i] = deliveries::finish(o.attempt, retry, settings::max_attempts);
    }
  });
  for (size_t i = 0; i < outcomes.size(); ++i) log_outcome(outcomes[i], states[i].c_str());
}

// Builds and sends one claimed delivery; a secret that cannot be decrypted fails
// the attempt at once (the outcome is returned for recording).
std::optional<Outcome> send(Dispatcher &d, deliveries::Claimed &c) {
  InFlight meta{c.store_code, c.delivery_id, c.webhook_id, c.event.event, c.attempts, steady_ms()};
  WipedString secret;
  try {
    std::string ctx = secret_context::webhook_secret(c.webhook_id);
    secret.value = crypto::decrypt(secrets::current_key(), secrets::previous_key(), c.secret_enc.data(),
                                   c.secret_enc.size(), ctx);
  } catch (const Error &) {
    Outcome o = outcome_for(meta);
    o.attempt.error = "the webhook's signing secret cannot be decrypted (token key missing or rotated without re-encryption)";
    return o;
  }
  std::string body = webhook::body(c.event, webhook::parse_format(c.format));
  uint64_t tag = d.next_tag++;
  HttpRequest request = webhook::request(c.url, c.event, body, secret.value, epoch_ms() / 1000);
  request.refuse_internal_addresses = !c.allow_private;
  d.http->submit(request, tag);
  d.in_flight.emplace(tag, meta);
  return std::nullopt;
}

void scan(Dispatcher &d, int64_t now) {
  d.last_scan = now;
  deliveries::requeue_orphans(settings::max_attempts);
  spi::exec("SELECT tthub._scan_alert_events(pg_catalog.make_interval(secs => $1::double precision)::interval, $2::integer)",
            {spi::int8(settings::token_expiry_warning_s), spi::int4(settings::day_complete_deadline_min)});
  if (now - d.last_prune >= kPruneEveryMs || d.last_prune == 0) {
    d.last_prune = now;
    deliveries::prune(settings::log_retention_days);
  }
}

}  // namespace

int64_t WebhookDispatcher::step_or_throw(bool woken) {
  Dispatcher &d = *s_;
  DbWork &db = db_;
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
  std::vector<deliveries::Claimed> claimed;
  if (scan_due || (claim_due && free_slots > 0)) {
    db.run([&] {
      lock_waits::bound();
      d.installed = installed::sql().has_alerts();
      if (!d.installed) return;  // an extension not yet updated to 0.4
      if (scan_due) scan(d, now);
      if (claim_due && free_slots > 0) {
        d.claim_next = false;
        claimed = deliveries::claim(free_slots, settings::webhook_max_in_flight);
        std::optional<int64_t> due = deliveries::next_due_ms(settings::webhook_max_in_flight);
        if (due && *due == 0 && static_cast<int>(claimed.size()) < free_slots) due = kClaimRetryMs;
        d.next_due_at = due ? steady_ms() + *due : -1;
      }
    });
    if (!d.installed) d.last_scan = now;
  }
  for (deliveries::Claimed &c : claimed)
    if (auto failed = send(d, c)) outcomes.push_back(*failed);
  record(db, outcomes);

  if (!d.in_flight.empty()) return 50;
  int64_t wait = kScanEveryMs - (steady_ms() - d.last_scan);
  if (d.next_due_at >= 0) wait = std::min(wait, d.next_due_at - steady_ms());
  return std::max<int64_t>(wait, 10);
}

WebhookDispatcher::WebhookDispatcher(DbWork &db) : db_(db), s_(std::make_unique<State>()) {
  s_->http = std::make_unique<HttpClient>(HttpClient::Options{std::min<long>(settings::webhook_timeout_ms, 10000),
                                                              settings::webhook_timeout_ms, kMaxResponseBytes,
                                                              kMaxInFlightTotal});
}

WebhookDispatcher::~WebhookDispatcher() = default;

int64_t WebhookDispatcher::step(bool woken) {
  Dispatcher &d = *s_;
  int64_t now = steady_ms();
  if (now < d.paused_until) return d.paused_until - now;
  try {
    return step_or_throw(woken);
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

void WebhookDispatcher::shutdown() {
  s_->http.reset();  // drops the transfers on the wire
  s_->in_flight.clear();
  if (!s_->installed) return;  // no step found the deliveries table: nothing was claimed
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
    db_.run([&] { deliveries::requeue_running(); });
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

}  // namespace tthub::alerts
