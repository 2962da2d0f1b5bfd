#include "ext/sync/engine_settings.h"

#include <algorithm>

#include "core/error.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"

namespace tthub {

EngineConfig engine_config_from_settings() {
  EngineConfig c;
  c.sync.api_base_url = settings::api_base_url ? settings::api_base_url : "";
  c.sync.client_key = settings::client_key ? settings::client_key : "";
  try {
    c.sync.client_secret = secrets::client_secret();
  } catch (const Error &) {
    // Left empty: a sync that needs a refresh then fails with a clear message, and
    // syncs with valid access tokens still run.
  }
  c.requests_per_minute = settings::requests_per_minute;
  c.jobs.max_attempts = settings::max_attempts;
  c.http_timeout_ms = settings::http_timeout_ms;
  c.max_concurrent = settings::max_concurrent_syncs;
  c.sync.retry.max_retries = settings::request_retries;
  c.jobs.retry_base_ms = settings::retry_base_delay_ms;
  c.max_retry_after_ms = static_cast<int64_t>(settings::max_retry_after_s) * 1000;
  // The planner's intervals less a twelfth, as tthub._due_videos() counts them: the
  // schedule runs every few minutes, and a video observed at 10:02 is taken at 10:57
  // rather than at 11:05, so it stays within its hour. In milliseconds, the time base
  // the worker plans in (ext/sync/video_writer.h).
  auto ms = [](int s) { return static_cast<int64_t>(s) * 1000; };
  auto lead = [](int64_t v) { return std::max<int64_t>(1, v - v / 12); };
  c.tiers.fresh_age = ms(settings::fresh_video_age_s);
  c.tiers.fresh_interval = lead(ms(settings::fresh_video_interval_s));
  c.tiers.young_age = ms(std::max(settings::young_video_age_s, settings::fresh_video_age_s));
  c.tiers.young_interval = lead(ms(settings::young_video_interval_s));
  c.tiers.old_interval = c.tiers.young_interval;
  c.tiers.old_max_interval = std::max(c.tiers.old_interval, lead(ms(settings::old_video_max_interval_s)));
  c.budget.list_per_minute = c.budget.query_per_minute = c.budget.user_info_per_minute = settings::requests_per_minute;
  return c;
}

}  // namespace tthub
