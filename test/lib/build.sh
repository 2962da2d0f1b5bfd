# Builds and installs tthub (PGXS), the test-only bridge extension, and the CMake
# programs (unit tests, simulator, OAuth shim) into build/.
build_all() {
  local jobs
  jobs=$(nproc)
  make -s -j"$jobs" >/dev/null && make -s install >/dev/null &&
    make -s -C test/bridge -j"$jobs" >/dev/null && make -s -C test/bridge install >/dev/null &&
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build build -j"$jobs" >/dev/null
}
