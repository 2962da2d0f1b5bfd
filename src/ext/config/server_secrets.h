// Secrets tthub needs at run time: the token keys and the TikTok client secret.
// They are read once, at server start (in the postmaster, before backends fork), from
// a file named by a superuser-only setting (never from the environment). They are
// never GUC values, never logged, never put in an error message.
#pragma once

#include "core/token_crypto.h"

namespace tthub::secrets {

// Called from _PG_init. Problems become WARNINGs here and clear errors on first use.
void load_at_start();

// The current key, or throws tthub::Error (55000) saying why there is none.
const crypto::Key &current_key();
// The previous key, or null when none is configured.
const crypto::Key *previous_key();
// The client secret, or throws tthub::Error (55000) saying why there is none.
const char *client_secret();

}  // namespace tthub::secrets
