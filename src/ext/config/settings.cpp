#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "core/setting_rules.h"
#include "ext/config/settings.h"
#include "core/tiktok_limits.h"
#include "ext/pg/pg_bridge.h"

namespace tthub::settings {
namespace {

// ---- Check hooks -------------------------------------------------------------
// A check hook is an entry point from Postgres into C++: nothing may escape it. The
// reason a value is refused is copied into a plain buffer, and GUC_check_errdetail
// (which allocates, so may longjmp) runs only once every C++ object is gone.
char g_why[256];
// Set when a value given at server start is refused (Postgres then only warns and
// keeps the default); define_all() stops the start instead, as it does for its own
// settings.
const char *g_refused_at_start = nullptr;
char g_refused_why[sizeof g_why];

void keep_reason(std::string_view why) {
  size_t n = std::min(why.size(), sizeof g_why - 1);
  std::memcpy(g_why, why.data(), n);
  g_why[n] = '\0';
}

bool refuse(const char *setting) {
  GUC_check_errdetail("%s", g_why);
  if (process_shared_preload_libraries_in_progress && !g_refused_at_start) {
    g_refused_at_start = setting;
    std::memcpy(g_refused_why, g_why, sizeof g_why);
  }
  return false;
}

template <typename Rule>
bool check_string(const char *setting, const char *value, Rule rule) {
  bool ok = false;
  try {
    std::string why = rule(value ? value : "");
    keep_reason(why);
    ok = why.empty();
  } catch (...) {
    keep_reason("tthub could not check the value.");
  }
  return ok || refuse(setting);
}

// What snapshot_today()'s "now() AT TIME ZONE setting" accepts: a zone name, a POSIX
// zone, or an abbreviation of timezone_abbreviations. Postgres calls on plain data.
bool known_time_zone(const char *name) {
  if (pg_tzset(name) != nullptr) return true;
  char *lower = downcase_truncate_identifier(name, static_cast<int>(strlen(name)), false);
  int offset = 0;
  pg_tz *tz = nullptr;
  int type = DecodeTimezoneAbbrev(0, lower, &offset, &tz);
  pfree(lower);
  return type == TZ || type == DTZ || type == DYNTZ;
}

bool check_snapshot_timezone(char **newval, void **, GucSource) {
  const char *name = *newval ? *newval : "";
  bool ok = false;
  try {
    if (*name == '\0') {
      keep_reason("It must name a time zone; for UTC, say UTC.");
    } else {
      ok = pg_guard([name] { return known_time_zone(name); });
      keep_reason("Not a time zone PostgreSQL knows: use a name listed in pg_timezone_names, such as Asia/Jakarta or UTC.");
    }
  } catch (...) {
    keep_reason("tthub could not check the time zone.");
  }
  return ok || refuse("tthub.snapshot_timezone");
}

bool check_api_base_url(char **newval, void **, GucSource) {
  return check_string("tthub.api_base_url", *newval,
                      [](std::string_view v) { return setting_rules::check_url(v, setting_rules::Query::kRefused); });
}

bool check_authorize_url(char **newval, void **, GucSource) {
  return check_string("tthub.authorize_url", *newval,
                      [](std::string_view v) { return setting_rules::check_url(v, setting_rules::Query::kAllowed); });
}

bool check_oauth_scopes(char **newval, void **, GucSource) {
  return check_string("tthub.oauth_scopes", *newval, setting_rules::check_scopes);
}

bool check_client_key(char **newval, void **, GucSource) {
  return check_string("tthub.client_key", *newval, setting_rules::check_client_key);
}

// Empty (no links in events) or the shim's public base URL, as TTHUB_PUBLIC_URL.
bool check_public_url(char **newval, void **, GucSource) {
  return check_string("tthub.public_url", *newval, [](std::string_view v) {
    return v.empty() ? std::string() : setting_rules::check_url(v, setting_rules::Query::kRefused);
  });
}

bool check_database(char **newval, void **, GucSource) {
  return check_string("tthub.database", *newval, setting_rules::check_database_name);
}

}  // namespace

char *token_key_file = nullptr;
char *token_key_previous_file = nullptr;
char *client_secret_file = nullptr;
char *client_key = nullptr;
char *database = nullptr;
char *api_base_url = nullptr;
char *snapshot_timezone = nullptr;
char *authorize_url = nullptr;
char *oauth_scopes = nullptr;
int max_concurrent_syncs = 64;
int request_retries = 4;
int requests_per_minute = tiktok::kDefaultRequestsPerMinute;
int max_attempts = 5;
int http_timeout_ms = 30000;
int log_retention_days = 30;
int retry_base_delay_ms = 30000;
int max_retry_after_s = 60;
bool worker_enabled = true;
int token_expiry_warning_s = 7 * 86400;
int day_complete_deadline_min = -1;
int webhook_max_in_flight = 2;
int webhook_timeout_ms = 10000;
int webhook_retry_base_delay_ms = 10000;
int tiktok_webhook_tolerance_s = 300;
char *public_url = nullptr;
bool reconnect_links = true;
bool notify_events = true;
int fresh_video_age_s = 48 * 3600;
int fresh_video_interval_s = 3600;
int young_video_age_s = 30 * 86400;
int young_video_interval_s = 86400;
int old_video_max_interval_s = 7 * 86400;
int observation_retention_s = 400 * 86400;

void define_all() {
  // Paths of secret files: read once at server start, visible to superusers only.
  DefineCustomStringVariable("tthub.token_key_file",
                             "File holding the 64-hex-character token encryption key.",
                             "Read at server start; the file must be readable by the server only (0600).",
                             &token_key_file, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr,
                             nullptr, nullptr);
  DefineCustomStringVariable("tthub.token_key_previous_file",
                             "File holding the previous token key, accepted for decryption only.",
                             "Read at server start; used during key rotation.",
                             &token_key_previous_file, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY,
                             nullptr, nullptr, nullptr);
  DefineCustomStringVariable("tthub.client_secret_file",
                             "File holding the TikTok app's client secret.",
                             "Read at server start; the file must be readable by the server only (0600).",
                             &client_secret_file, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr,
                             nullptr, nullptr);

  DefineCustomStringVariable("tthub.client_key", "The TikTok app's client key (public).", nullptr,
                             &client_key, "", PGC_SIGHUP, 0, check_client_key, nullptr, nullptr);
  DefineCustomStringVariable("tthub.database", "Database the tthub sync worker connects to.",
                             nullptr, &database, "postgres", PGC_POSTMASTER, 0, check_database, nullptr,
                             nullptr);
  DefineCustomStringVariable("tthub.api_base_url", "Base URL of the TikTok API.",
                             "Tests and the demo point it at the simulator.", &api_base_url,
                             tiktok::kDefaultApiBaseUrl, PGC_SIGHUP, 0, check_api_base_url, nullptr, nullptr);
  DefineCustomStringVariable("tthub.authorize_url", "TikTok's authorization page (Login Kit for Web).",
                             "Tests and the demo point it at the simulator.", &authorize_url,
                             tiktok::kDefaultAuthorizeUrl, PGC_SIGHUP, 0, check_authorize_url, nullptr, nullptr);
  DefineCustomStringVariable("tthub.oauth_scopes", "Scopes requested when a store connects (comma-separated).",
                             nullptr, &oauth_scopes, "user.info.basic,user.info.stats,video.list", PGC_SIGHUP, 0,
                             check_oauth_scopes, nullptr, nullptr);
  DefineCustomStringVariable("tthub.snapshot_timezone",
                             "Time zone whose calendar day names a snapshot.",
                             "A name listed in pg_timezone_names, such as Asia/Jakarta.",
                             &snapshot_timezone, "UTC", PGC_SIGHUP, 0, check_snapshot_timezone, nullptr,
                             nullptr);
  // Each store syncing has one request on the wire at a time, so this bounds both.
  // The worker runs as many as the rate budget needs at the measured latency
  // (rate x latency, Little's law), fewer after 429s: the default fills 600/min up to
  // ~5 s of latency and 3,000/min up to ~1 s without tuning.
  DefineCustomIntVariable("tthub.max_concurrent_syncs",
                          "Most TikTok requests in flight, and so most stores synced at the same time.",
                          "The worker runs fewer when the rate budget needs fewer (rate x measured latency) or TikTok answers 429.",
                          &max_concurrent_syncs, 64, 1, 256, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.request_retries",
                          "Retries in place of one TikTok request that failed transiently, before the attempt fails.",
                          "Network errors, timeouts, 5xx and malformed bodies; backoff 1 s doubling to 30 s with full jitter. A 429 spends none.",
                          &request_retries, 4, 0, 20, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.requests_per_minute",
                          "Requests per minute per TikTok endpoint, shared by all syncs.", nullptr,
                          &requests_per_minute, tiktok::kDefaultRequestsPerMinute, 1, 1000000,
                          PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.max_attempts", "Attempts before a sync job is declared dead.",
                          nullptr, &max_attempts, 5, 1, 100, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  // At most 5 minutes: a running job's 10-minute lease is renewed between requests,
  // so one request must end well within it or the job is taken for orphaned.
  DefineCustomIntVariable("tthub.http_timeout_ms", "Total timeout of one TikTok request (a token refresh waits at least 60 s).",
                          nullptr, &http_timeout_ms, 30000, 100, 300000, PGC_SIGHUP, GUC_UNIT_MS,
                          nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.log_retention", "Days finished jobs and sync logs are kept.",
                          nullptr, &log_retention_days, 30, 1, 3650, PGC_SIGHUP, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("tthub.retry_base_delay",
                          "Delay before the first retry of a failed job; doubles each attempt up to an hour.",
                          nullptr, &retry_base_delay_ms, 30000, 100, 3600000, PGC_SIGHUP, GUC_UNIT_MS,
                          nullptr, nullptr, nullptr);
  // 60 s is TikTok's rate-limit window: waiting longer than that never buys a slot.
  DefineCustomIntVariable("tthub.max_retry_after",
                          "Longest pause of a TikTok endpoint after a 429, whatever its Retry-After says.",
                          "Only the endpoint that answered 429 pauses; the other endpoints go on.",
                          &max_retry_after_s, 60, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  // Citus worker nodes must preload tthub (Citus creates the extension there and the
  // shards check store codes with it) but must not sync: only the coordinator does.
  DefineCustomBoolVariable("tthub.worker_enabled", "Whether this server starts the tthub sync worker.",
                           "Off on Citus worker nodes, which load tthub but leave syncing to the coordinator.",
                           &worker_enabled, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  // ---- Alerts and webhooks (issue #12) ----
  DefineCustomIntVariable("tthub.token_expiry_warning",
                          "How long before a refresh token expires account.token_expiring is sent.",
                          "Once per account and expiry.", &token_expiry_warning_s, 7 * 86400, 3600, 365 * 86400,
                          PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.day_complete_deadline",
                          "Time of day (after midnight in the store's time zone, else tthub.snapshot_timezone) by which a store's day must be complete.",
                          "Past it, sync.day_incomplete is sent once per store and day; -1 (the default) sends none.",
                          &day_complete_deadline_min, -1, -1, 24 * 60 - 1, PGC_SIGHUP, GUC_UNIT_MIN, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("tthub.webhook_max_in_flight", "Deliveries on the wire at once to one webhook.", nullptr,
                          &webhook_max_in_flight, 2, 1, 32, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.webhook_timeout", "Total timeout of one webhook delivery attempt.", nullptr,
                          &webhook_timeout_ms, 10000, 100, 60000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.webhook_retry_base_delay",
                          "Delay before the first retry of a failed delivery; doubles each attempt up to an hour.",
                          "Dead after tthub.max_attempts attempts.", &webhook_retry_base_delay_ms, 10000, 100, 3600000,
                          PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  // ---- TikTok's webhook and reconnect links (issue #20) ----
  // TikTok gives no tolerance (reference section 11): a few minutes is the usual
  // choice; seconds would refuse TikTok's own retries if they keep the first timestamp.
  DefineCustomIntVariable("tthub.tiktok_webhook_tolerance",
                          "How far a TikTok webhook's signed timestamp may be from the server's clock.",
                          "Outside it the webhook is refused (401): a captured request cannot be replayed later.",
                          &tiktok_webhook_tolerance_s, 300, 1, 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
                          nullptr);
  DefineCustomStringVariable("tthub.public_url",
                             "The OAuth shim's public base URL (as TTHUB_PUBLIC_URL), for reconnect links in events.",
                             "Empty: events carry no reconnect link.", &public_url, "", PGC_SIGHUP, 0,
                             check_public_url, nullptr, nullptr);
  DefineCustomBoolVariable("tthub.reconnect_links",
                           "Whether account.need_reconnect and account.token_expiring events carry a fresh connect link.",
                           "Needs tthub.public_url; never for an account TikTok reports deleted or banned.",
                           &reconnect_links, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("tthub.notify_events", "Whether each event is also a NOTIFY on channel tthub_events.",
                           "Any role may LISTEN, and any role may send on the channel: the payload is a hint to read "
                           "tthub.events. Off: no NOTIFY at all.",
                           &notify_events, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  // ---- Refresh tiers (issue #19) ----
  // Time units, at least 1 s, so tests and benchmarks can compress days into seconds.
  // The upper bounds keep every product with the 1-day old-tier pace in an int.
  DefineCustomIntVariable("tthub.fresh_video_age", "Videos younger than this are in the fresh tier.",
                          "Observed every tthub.fresh_video_interval (video/query).", &fresh_video_age_s,
                          48 * 3600, 1, 365 * 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.fresh_video_interval", "How often a fresh video is observed.",
                          "The fresh tier is never stretched when the budget is short.", &fresh_video_interval_s, 3600,
                          1, 365 * 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.young_video_age",
                          "Videos younger than this (and not fresh) are in the young tier; older ones are old.", nullptr,
                          &young_video_age_s, 30 * 86400, 1, 3650 * 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("tthub.young_video_interval", "How often a young video is observed.",
                          "Old videos are observed as often while the budget allows.", &young_video_interval_s, 86400,
                          1, 365 * 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.old_video_max_interval",
                          "Longest time an old video may go unobserved when the budget is short.",
                          "Also the longest time between two full video/list passes, which notice deleted videos.",
                          &old_video_max_interval_s, 7 * 86400, 1, 365 * 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("tthub.observation_retention",
                          "How long intraday observations (tthub.video_observations) are kept.",
                          "Whole days are dropped as partitions, never deleted row by row; video_daily keeps one row per video and day regardless.",
                          &observation_retention_s, 400 * 86400, 1, 3650 * 86400, PGC_SIGHUP,
                          GUC_UNIT_S, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("tthub");
  // Postgres keeps the default of an extension setting whose configured value is
  // invalid at server start and only warns; a wrong time zone or URL would then go
  // unnoticed until the data is wrong. Refuse to start, as for a core setting.
  if (g_refused_at_start)
    ereport(FATAL, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid value for parameter \"%s\" in the server configuration", g_refused_at_start),
                    errdetail("%s", g_refused_why),
                    errhint("Correct it in postgresql.conf or postgresql.auto.conf (ALTER SYSTEM RESET %s), then start the server.",
                            g_refused_at_start)));
}

}  // namespace tthub::settings
