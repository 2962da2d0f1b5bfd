// Emitting events (tthub._emit_event) from C++: the outbox row, its deliveries and
// its NOTIFY join the caller's transaction, so an event is sent exactly when the
// change it reports commits. Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <string>

namespace tthub::alerts {

// Event data is a JSON object built by the caller (never a token or secret).
void emit(const char *event, const std::string &store_code, const std::string &data_json);

// An account's status was written: CONNECTED -> account.connected, NEED_RECONNECT ->
// account.need_reconnect (with the reason); other statuses emit nothing.
void account_status_changed(const std::string &store_code, const std::string &open_id, const char *status,
                            const std::string &reason);

// A sync job's attempt was written (queue::finish): a failed attempt is sync.failed
// (a rate-limited or interrupted one, which costs nothing, is not), and a job out
// of attempts is job.dead too.
void job_finished(const std::string &store_code, int64_t job_id, const std::string &state, bool refunded,
                  const std::string &error, long http_status);

}  // namespace tthub::alerts
