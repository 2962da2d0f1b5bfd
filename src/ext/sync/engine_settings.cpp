#include "ext/sync/engine_settings.h"

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
  return c;
}

}  // namespace tthub
