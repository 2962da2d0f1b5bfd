#include "ext/pg/postgres_headers.h"
#include "ext/config/settings.h"
#include "core/tiktok_limits.h"

namespace tthub::settings {

char *token_key_file = nullptr;
char *token_key_previous_file = nullptr;
char *client_secret_file = nullptr;
char *client_key = nullptr;
char *database = nullptr;
char *api_base_url = nullptr;
char *snapshot_timezone = nullptr;
char *authorize_url = nullptr;
char *oauth_scopes = nullptr;
int max_concurrent_syncs = 8;
int requests_per_minute = tiktok::kDefaultRequestsPerMinute;
int max_attempts = 5;
int http_timeout_ms = 30000;
int log_retention_days = 30;
int retry_base_delay_ms = 30000;
int max_retry_after_s = 60;

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
                             &client_key, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("tthub.database", "Database the tthub sync worker connects to.",
                             nullptr, &database, "postgres", PGC_POSTMASTER, 0, nullptr, nullptr,
                             nullptr);
  DefineCustomStringVariable("tthub.api_base_url", "Base URL of the TikTok API.",
                             "Tests and the demo point it at the simulator.", &api_base_url,
                             tiktok::kDefaultApiBaseUrl, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("tthub.authorize_url", "TikTok's authorization page (Login Kit for Web).",
                             "Tests and the demo point it at the simulator.", &authorize_url,
                             tiktok::kDefaultAuthorizeUrl, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("tthub.oauth_scopes", "Scopes requested when a store connects (comma-separated).",
                             nullptr, &oauth_scopes, "user.info.basic,user.info.stats,video.list", PGC_SIGHUP, 0,
                             nullptr, nullptr, nullptr);
  DefineCustomStringVariable("tthub.snapshot_timezone",
                             "Time zone whose calendar day names a snapshot.", nullptr,
                             &snapshot_timezone, "UTC", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.max_concurrent_syncs", "Stores synced at the same time.",
                          nullptr, &max_concurrent_syncs, 8, 1, 256, PGC_SIGHUP, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("tthub.requests_per_minute",
                          "Requests per minute per TikTok endpoint, shared by all syncs.", nullptr,
                          &requests_per_minute, tiktok::kDefaultRequestsPerMinute, 1, 1000000,
                          PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("tthub.max_attempts", "Attempts before a sync job is declared dead.",
                          nullptr, &max_attempts, 5, 1, 100, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomIntVariable("tthub.http_timeout_ms", "Total timeout of one TikTok request.",
                          nullptr, &http_timeout_ms, 30000, 100, 600000, PGC_SIGHUP, GUC_UNIT_MS,
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
  MarkGUCPrefixReserved("tthub");
}

}  // namespace tthub::settings
