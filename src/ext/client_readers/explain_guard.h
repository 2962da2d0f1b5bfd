// A client reader (tthub_grant_client_reader) may not EXPLAIN. A plan counts rows the
// role never reads: EXPLAIN ANALYZE shows how many rows a filter removed (on Citus a
// client reader holds SELECT on the tables, and the policy removes another client's
// rows only after an index has fetched them), and plain EXPLAIN shows the planner's
// estimates, which come from statistics over every store (a view's branch for
// readers of every store is planned, and shown, even when a client reader's query
// skips it). Row-level security cannot hide either, so EXPLAIN is refused.
#pragma once

namespace tthub::explain_guard {

// From _PG_init when preloaded: a ProcessUtility hook, so every form of EXPLAIN is
// seen (EXPLAIN EXECUTE and EXPLAIN inside a function included), on every node.
void install_hooks();

}  // namespace tthub::explain_guard
