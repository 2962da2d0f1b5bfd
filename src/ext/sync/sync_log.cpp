#include "ext/sync/sync_log.h"

#include "ext/config/installed_sql.h"
#include "ext/pg/spi.h"

namespace tthub::sync_log {

// sync_logs' INSERT; request_retries is named only when the extension's SQL has it.
#define INSERT_LOG(COLUMN, VALUE)                                                                    \
  "INSERT INTO tthub.sync_logs (store_code, job_id, open_id, job_type, status, message, "           \
  "       records_processed, http_status, started_at, completed_at" COLUMN ") "                     \
  "VALUES ($1, $2, nullif($3, ''), $4, $5::tthub.sync_status, nullif($6, ''), $7, nullif($8, 0), "  \
  "        to_timestamp($9 / 1000.0), now()" VALUE ")"

void write(const std::string &store_code, int64_t job_id, const std::string &open_id, const Entry &e) {
  std::vector<spi::Param> params{spi::text(store_code), spi::int8(job_id), spi::text(open_id),
                                 spi::text(e.job_type), spi::text(e.status), spi::text(e.message),
                                 spi::int8(e.records), spi::int4(static_cast<int32_t>(e.http_status)),
                                 spi::int8(e.started_at_ms), spi::int4(e.request_retries)};
  if (installed::sql().has_checkpoints())
    spi::exec(INSERT_LOG(", request_retries", ", $10"), params);
  else  // the extension's SQL predates 0.4: $10 goes unused
    spi::exec(INSERT_LOG("", ""), params);
}

}  // namespace tthub::sync_log
