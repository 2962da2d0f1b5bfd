#include "ext/config/installed_sql.h"

#include <cstdio>
#include <string>

#include "ext/pg/spi.h"

namespace tthub::installed {
namespace {

Sql g_sql;
LocalTransactionId g_probed_in = InvalidLocalTransactionId;

Sql probe() {
  Sql s;
  if (spi::exec("SELECT extversion::text FROM pg_catalog.pg_extension WHERE extname = 'tthub'", {}) != 1) return s;
  std::string v = spi::get_text(0, 1).value_or("");
  s.present = true;
  // Versions are MAJOR.MINOR (tthub.control); anything else counts as 0.0.
  if (std::sscanf(v.c_str(), "%d.%d", &s.major, &s.minor) != 2) s.major = s.minor = 0;
  return s;
}

}  // namespace

const Sql &sql() {
  // An update committed meanwhile is seen from the next transaction on: what an older
  // version's statements use is still there after an update (updates only add), so
  // the answer holds for the rest of this one.
  LocalTransactionId now = MyProc->lxid;
  if (now == InvalidLocalTransactionId || now != g_probed_in) {
    g_sql = probe();
    g_probed_in = now;
  }
  return g_sql;
}

}  // namespace tthub::installed
