// The sync engine's configuration, read from tthub's settings and server secrets.
#pragma once

#include "ext/sync/sync_engine.h"

namespace tthub {

EngineConfig engine_config_from_settings();

}  // namespace tthub
