#include "ext/client_readers/explain_guard.h"

#include "ext/pg/postgres_headers.h"

namespace tthub::explain_guard {
namespace {

ProcessUtility_hook_type g_prev = nullptr;

// Whether the current role is in tthub_client_reader, by membership as the policies
// test it (pg_has_role(..., 'MEMBER'): INHERIT or not); superusers are members of every
// role and read every row, so they are left out. Looked up per EXPLAIN: roles change.
bool client_reader_role() {
  Oid group = get_role_oid("tthub_client_reader", true);
  return OidIsValid(group) && is_member_of_role_nosuper(GetUserId(), group);
}

// Called by PostgreSQL for every utility statement. Only PostgreSQL functions are
// called here and nothing with a destructor is in scope: an ERROR's longjmp out of
// this frame skips nothing.
void guard_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree, ProcessUtilityContext context,
                   ParamListInfo params, QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
  if (IsA(pstmt->utilityStmt, ExplainStmt) && client_reader_role())
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("a client reader cannot EXPLAIN"),
                    errdetail("A plan shows counts and estimates of rows of stores the role does not read."),
                    errhint("EXPLAIN the query as a role that reads every store (tthub_reader).")));
  if (g_prev != nullptr)
    g_prev(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
  else
    standard_ProcessUtility(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
}

}  // namespace

void install_hooks() {
  g_prev = ProcessUtility_hook;
  ProcessUtility_hook = guard_utility;
}

}  // namespace tthub::explain_guard
