// Emitting events (tthub._emit_event) from C++: the outbox row, its deliveries and
// its NOTIFY join the caller's transaction, so an event is sent exactly when the
// change it reports commits. Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <string>

#include "core/job_outcome.h"

namespace tthub::alerts {

// Event data is a JSON object built by the caller (never a token or secret).
void emit(const char *event, const std::string &store_code, const std::string &data_json);

// An account's status was written: the event core/job_outcome.h's account_event
// names (account.need_reconnect carries the reason).
void account_status_changed(const std::string &store_code, const std::string &open_id, const char *status,
                            const std::string &reason);

// A sync job's attempt was written (queue::finish): the events its outcome names
// (core/job_outcome.h: sync.failed for an attempt that cost one and failed, job.dead
// for a job out of attempts).
void job_finished(const std::string &store_code, int64_t job_id, const jobs::Outcome &outcome);

}  // namespace tthub::alerts
