// A client reader (tthub_grant_client_reader) may not see a query plan. A plan counts
// rows the role never reads: EXPLAIN ANALYZE shows how many rows a filter removed (on
// Citus a client reader holds SELECT on the tables, and the policy removes another
// client's rows only after an index fetched them), and a plain plan's estimates come
// from statistics over every store (a view's branch for readers of every store is
// planned, and shown, even when a client reader's query skips it). Row-level security
// cannot hide either, so every way to a plan is refused:
// - EXPLAIN, in every form (EXECUTE, inside a function), and Citus's function that runs
//   a query as EXPLAIN ANALYZE on a worker (worker_save_query_explain_analyze, open to
//   every role: Citus calls it with the reader's own rights);
// - plans written as LOG messages (debug_print_plan, auto_explain): a client reader's
//   session may not plan or run a query while LOG messages reach it
//   (client_min_messages at LOG or below);
// - PostgreSQL's activity statistics (pg_stat* / pg_statio* views, pg_stat_get_*
//   functions), which count the rows a scan fetched before row-level security
//   removed them (a restrictive policy that kept them out of an index read would not
//   survive Citus, which copies policies to shards without AS RESTRICTIVE).
#pragma once

namespace tthub::explain_guard {

// From _PG_init when preloaded, so on every node: utility, function-call, parse-analysis,
// planner and executor hooks.
void install_hooks();

}  // namespace tthub::explain_guard
