#include "ext/client_readers/explain_guard.h"

#include <cstring>

#include "ext/pg/postgres_headers.h"

// Every hook below runs inside PostgreSQL and calls only PostgreSQL: nothing with a
// destructor is in scope, so an ERROR's longjmp out of these frames skips nothing.
namespace tthub::explain_guard {
namespace {

ProcessUtility_hook_type g_prev_utility = nullptr;
needs_fmgr_hook_type g_prev_needs_fmgr = nullptr;
fmgr_hook_type g_prev_fmgr = nullptr;
planner_hook_type g_prev_planner = nullptr;
ExecutorStart_hook_type g_prev_executor_start = nullptr;
post_parse_analyze_hook_type g_prev_parse_analyze = nullptr;

// Whether the current role is in tthub_client_reader, by membership as the policies
// test it (pg_has_role(..., 'MEMBER'): INHERIT or not); superusers are members of every
// role and read every row, so they are left out. Looked up each time: roles change.
bool client_reader_role() {
  Oid group = get_role_oid("tthub_client_reader", true);
  return OidIsValid(group) && is_member_of_role_nosuper(GetUserId(), group);
}

void refuse(const char *what, const char *hint) {
  ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("a client reader cannot %s", what),
                  errdetail("A plan shows counts and estimates of rows of stores the role does not read."),
                  errhint("%s", hint)));
}

constexpr const char *kAskAReader = "Ask for the plan as a role that reads every store (tthub_reader).";

void guard_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree, ProcessUtilityContext context,
                   ParamListInfo params, QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
  if (IsA(pstmt->utilityStmt, ExplainStmt) && client_reader_role()) refuse("EXPLAIN", kAskAReader);
  if (g_prev_utility != nullptr)
    g_prev_utility(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
  else
    standard_ProcessUtility(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
}

// Citus's functions that run a query as EXPLAIN ANALYZE and hand its plan back. Only
// functions outside the bootstrap catalog are looked at (PostgreSQL asks this for
// every such function it prepares to call, after reading its pg_proc row).
bool plan_function(Oid fn) {
  if (fn < FirstNormalObjectId) return false;
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tuple)) return false;
  auto *proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
  const char *name = NameStr(proc->proname);
  bool found = proc->pronamespace == PG_CATALOG_NAMESPACE &&
               (std::strcmp(name, "worker_save_query_explain_analyze") == 0 ||
                std::strcmp(name, "worker_last_saved_explain_analyze") == 0);
  ReleaseSysCache(tuple);
  return found;
}

bool guard_needs_fmgr(Oid fn) {
  return plan_function(fn) || (g_prev_needs_fmgr != nullptr && g_prev_needs_fmgr(fn));
}

void guard_fmgr(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg) {
  if (event == FHET_START && plan_function(flinfo->fn_oid) && client_reader_role())
    refuse("run a query as EXPLAIN ANALYZE", kAskAReader);
  if (g_prev_fmgr != nullptr) g_prev_fmgr(event, flinfo, arg);
}

// debug_print_plan and auto_explain write plans as LOG messages, which reach the
// client when its client_min_messages is LOG or below.
void refuse_plans_in_log() {
  if (client_min_messages <= LOG && client_reader_role())
    refuse("plan or run a query while LOG messages reach its session", "SET client_min_messages = notice");
}

PlannedStmt *guard_planner(Query *parse, const char *query, int cursor_options, ParamListInfo params) {
  refuse_plans_in_log();
  return g_prev_planner != nullptr ? g_prev_planner(parse, query, cursor_options, params)
                                   : standard_planner(parse, query, cursor_options, params);
}

void guard_executor_start(QueryDesc *query_desc, int eflags) {
  refuse_plans_in_log();
  if (g_prev_executor_start != nullptr)
    g_prev_executor_start(query_desc, eflags);
  else
    standard_ExecutorStart(query_desc, eflags);
}

// PostgreSQL's activity statistics count every row a scan fetched, before row-level
// security removed it: a relation pg_stat* / pg_statio* of pg_catalog, or a
// pg_stat_get_* function (what those views are made of).
bool has_prefix(const char *name, const char *prefix) { return std::strncmp(name, prefix, std::strlen(prefix)) == 0; }

bool statistics_relation(Oid rel) {
  if (get_rel_namespace(rel) != PG_CATALOG_NAMESPACE) return false;
  char *name = get_rel_name(rel);
  return name != nullptr && has_prefix(name, "pg_stat");
}

bool statistics_function(Oid fn) {
  if (get_func_namespace(fn) != PG_CATALOG_NAMESPACE) return false;
  char *name = get_func_name(fn);
  return name != nullptr && has_prefix(name, "pg_stat_get_");
}

bool reads_statistics(Node *node, void *context);

// PostgreSQL 15's walkers take an unprototyped function; void (*)() is the cast GCC
// accepts between function types.
using Walker = bool (*)();
Walker as_walker(bool (*fn)(Node *, void *)) { return reinterpret_cast<Walker>(reinterpret_cast<void (*)()>(fn)); }

bool reads_statistics(Node *node, void *context) {
  if (node == nullptr) return false;
  if (IsA(node, RangeTblEntry)) {
    auto *rte = reinterpret_cast<RangeTblEntry *>(node);
    return rte->rtekind == RTE_RELATION && statistics_relation(rte->relid);
  }
  if (IsA(node, FuncExpr) && statistics_function(reinterpret_cast<FuncExpr *>(node)->funcid)) return true;
  if (IsA(node, Query))
    return query_tree_walker(reinterpret_cast<Query *>(node), as_walker(reads_statistics), context,
                             QTW_EXAMINE_RTES_BEFORE);
  return expression_tree_walker(node, as_walker(reads_statistics), context);
}

// Every statement parsed (SPI's and a view's definition included); views a query names
// are looked at by their own names (pg_stat_xact_user_tables, ...).
void guard_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate) {
  if (g_prev_parse_analyze != nullptr) g_prev_parse_analyze(pstate, query, jstate);
  if (client_reader_role() && reads_statistics(reinterpret_cast<Node *>(query), nullptr))
    refuse("read PostgreSQL's activity statistics",
           "They count rows of every store a scan fetched, before row-level security removed them.");
}

}  // namespace

void install_hooks() {
  // Each hook keeps the one installed before it (another library's) and calls it.
  auto chain = [](auto &hook, auto &previous, auto mine) {
    previous = hook;
    hook = mine;
  };
  chain(ProcessUtility_hook, g_prev_utility, guard_utility);
  chain(needs_fmgr_hook, g_prev_needs_fmgr, guard_needs_fmgr);
  chain(fmgr_hook, g_prev_fmgr, guard_fmgr);
  chain(planner_hook, g_prev_planner, guard_planner);
  chain(ExecutorStart_hook, g_prev_executor_start, guard_executor_start);
  chain(post_parse_analyze_hook, g_prev_parse_analyze, guard_parse_analyze);
}

}  // namespace tthub::explain_guard
