#!/usr/bin/env bash
# The Citus suite's runner (test/citus/run.sh) on a machine without Citus: where it
# looks for one, in order (a cached pinned build, the pinned tarball, an installed
# Citus), and that with none the suite is skipped with one line saying how to get
# Citus, but fails under CI=true. Cheap: fake directories, nothing is built.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/lib" "$T/share/extension" "$T/cache"
runner() {  # runner [env assignments...] -- [run.sh args...]: the runner with nothing to find
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -u CI CITUS_PKGLIBDIR="$T/lib" CITUS_SHAREDIR="$T/share" CITUS_CACHE_ROOT="$T/cache" \
    CITUS_TARBALL="$T/citus-13.0.5.tar.gz" "${envs[@]}" bash test/citus/run.sh "$@" 2>&1
}

echo "# nothing to find"
is "$(runner -- --discover)" "none" "with no cache, no tarball and no installed Citus, there is none"
out=$(runner --)
is "$?" "0" "the runner succeeds"
like "$out" "^1\.\.0 # SKIP no Citus for this PostgreSQL: .*citus-13\.0\.5\.tar\.gz.*CITUS_TARBALL" \
  "and says the suite is skipped (TAP plan 1..0) and how to get Citus"
is "$(printf '%s\n' "$out" | wc -l)" "1" "in one line"
out=$(runner CI=true --)
is "$?" "1" "under CI=true the runner fails"
like "$out" "^not ok 1 - a Citus to test on \(CI=true" "with a failed test that says why"
unlike "$out" "SKIP" "and skips nothing"

echo "# what it finds, in order"
touch "$T/lib/citus.so" "$T/share/extension/citus.control"
is "$(runner -- --discover)" "installed" "a Citus installed in pg_config's PostgreSQL is used"
printf 'not the pinned source' >"$T/citus-13.0.5.tar.gz"
is "$(runner -- --discover)" "tarball" "the pinned tarball comes before it"
out=$(runner --)
is "$?" "1" "a tarball that is not the pinned one fails the suite, never skips it"
like "$out" "not ok 1 - Citus builds and installs from citus-13.0.5.tar.gz" "with a failed test"
like "$out" "does not have the pinned sha256" "that says why"
cache=$(CITUS_CACHE_ROOT="$T/cache" CITUS_PKGLIBDIR=x CITUS_SHAREDIR=x bash -c 'source test/citus/build_citus.sh; citus_cache_dir')
mkdir -p "$cache/lib" && touch "$cache/lib/citus.so"
is "$(runner -- --discover)" "cache" "a cached pinned build comes first"
tap_done
