// tthub._request_stats() RETURNS text: the TikTok request counters in shared memory
// (src/ext/metrics/request_stats.*) as JSON, for tthub_reporting.metrics_requests.
#include <string>

#include "ext/metrics/request_stats.h"
#include "ext/pg/sql_values.h"

TTHUB_SQL_FUNCTION(tthub_request_stats) {
  std::string json = tthub::metrics::snapshot_json();
  PG_RETURN_TEXT_P(tthub::make_text(json));
}
