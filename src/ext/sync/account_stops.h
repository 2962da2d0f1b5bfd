// "Stop syncing these accounts now": a counter in shared memory that a backend bumps
// when a transaction that took accounts out of syncing commits (TikTok's
// authorization.removed), and that a sync reads before each request it sends. A
// changed counter makes the sync look the accounts up again (one query), so no
// request goes out for an account after the transaction that stopped it committed;
// an unchanged one costs an atomic read.
#pragma once

#include <cstdint>

namespace tthub::account_stops {

// From _PG_init when preloaded.
void install_hooks();

// In the transaction that stops accounts: at its commit (never at an abort) the
// counter moves on and the sync worker is woken. May throw PgError.
void announce_at_commit();

// The counter (0 without shared memory). Never throws.
uint64_t generation() noexcept;

}  // namespace tthub::account_stops
