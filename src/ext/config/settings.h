// tthub's GUCs (postgresql.conf / ALTER SYSTEM). Secrets are never GUC values: only
// the *paths* of secret files are settings, and those are superuser-only.
#pragma once

namespace tthub::settings {

extern char *token_key_file;
extern char *token_key_previous_file;
extern char *client_secret_file;
extern char *client_key;
extern char *database;
extern char *api_base_url;
extern char *snapshot_timezone;
extern char *authorize_url;
extern char *oauth_scopes;
extern int max_concurrent_syncs;
extern int request_retries;
extern int requests_per_minute;
extern int max_attempts;
extern int http_timeout_ms;
extern int log_retention_days;
extern int retry_base_delay_ms;
extern int max_retry_after_s;
extern bool worker_enabled;
// Alerts and webhooks (issue #12).
extern int token_expiry_warning_s;
extern int day_complete_deadline_min;
extern int webhook_max_in_flight;
extern int webhook_timeout_ms;
extern int webhook_retry_base_delay_ms;

// Refresh tiers (issue #19), in seconds: a video younger than fresh_video_age is
// observed every fresh_video_interval, younger than young_video_age every
// young_video_interval, older ones daily while the budget allows and at least every
// old_video_max_interval. The SQL side reads them with current_setting().
extern int fresh_video_age_s;
extern int fresh_video_interval_s;
extern int young_video_age_s;
extern int young_video_interval_s;
extern int old_video_max_interval_s;
extern int observation_retention_s;

void define_all();

}  // namespace tthub::settings
