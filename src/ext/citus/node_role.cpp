#include "ext/citus/node_role.h"

#include <string>

#include "core/error.h"
#include "ext/pg/db_work.h"
#include "ext/pg/pg_bridge.h"

namespace tthub::citus {

bool is_worker_node() {
  return pg_guard([] {
    if (!OidIsValid(get_extension_oid("citus", true))) return false;
    bool worker = false;
    SPI_connect();
    if (SPI_execute("SELECT groupid <> 0 FROM pg_catalog.pg_dist_local_group", true, 1) == SPI_OK_SELECT &&
        SPI_processed == 1) {
      bool isnull = true;
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      worker = !isnull && DatumGetBool(d);
    }
    SPI_finish();
    return worker;
  });
}

void require_coordinator(const char *what) {
  if (!is_worker_node()) return;
  throw Error(sqlstate::kNotInPrerequisiteState,
              std::string(what) + " must run on the Citus coordinator, not on a worker node",
              "Syncs, claims, store locks and tokens are the coordinator's: its locks and processes are not "
              "visible from other nodes, and worker nodes hold no token key.",
              "Connect to the coordinator and run it there.");
}

bool sync_worker_stays_off() noexcept {
  bool off = false;
  try {
    OwnTransactions db;
    db.run([&] { off = is_worker_node(); });
  } catch (...) {
    return false;  // the loop's own checks report what is wrong with the database
  }
  if (off) {
    try {
      pg_guard([] {
        ereport(LOG, (errmsg("tthub sync worker not started: this server is a Citus worker node"),
                      errhint("The sync worker runs on the coordinator only; set tthub.worker_enabled = off "
                              "on worker nodes.")));
      });
    } catch (...) {
    }
  }
  return off;
}

}  // namespace tthub::citus
