// A struct of tthub's in shared memory: requested while tthub is preloaded, created
// (or attached to) at startup, initialised once by whichever process creates it.
// Each user names its struct and passes an init function; this file owns the hooks.
#pragma once

#include <cstddef>

namespace tthub::shmem {

using InitFn = void (*)(void *fresh);

// From _PG_init only. *out points at the struct once shared memory exists.
void request_struct(const char *name, size_t size, InitFn init, void **out);

}  // namespace tthub::shmem
