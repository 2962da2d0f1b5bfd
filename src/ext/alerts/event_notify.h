// NOTIFY tthub_events, sent by the worker in a transaction of its own. An event's
// NOTIFY is not part of the transaction that records it: PostgreSQL queues a NOTIFY
// at commit, and a notification queue that cannot take it (full, because any role
// can fill it; or failing) fails that commit. So the change and its outbox row
// commit with the event marked notify_pending, and the worker sends the NOTIFY
// moments later; if that commit fails, only the notification is lost (the event and
// its webhook deliveries are in tthub.events), and the worker goes on.
#pragma once

namespace tthub {
class DbWork;
}

namespace tthub::alerts {

// Sends the NOTIFY of events still pending (all of them, in batches), or, with
// tthub.notify_events off, marks them done unsent. Never throws but for a stop or a
// cancel of the worker.
void send_pending_notifications(DbWork &db);

}  // namespace tthub::alerts
