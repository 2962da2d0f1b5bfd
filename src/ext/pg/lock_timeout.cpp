#include "ext/pg/lock_timeout.h"

#include <string>

#include "ext/pg/spi.h"

namespace tthub::lock_waits {

void bound(int ms) {
  spi::exec("SELECT pg_catalog.set_config('lock_timeout', $1, true)", {spi::text(std::to_string(ms))});
}

}  // namespace tthub::lock_waits
