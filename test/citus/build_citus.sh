# Finds the Citus the tests run on, and installs it into the PostgreSQL that `pg_config`
# names. Source this file, then call `citus_install`. Where Citus comes from, in order:
# the pinned build (a cached one, or built from the pinned tarball: CITUS_TARBALL,
# default ../shared/vendor/), else a Citus already installed in that PostgreSQL, else
# none: citus_install returns 2 and the suite is skipped (a failure under CI=true).
#
# Citus is not packaged in Debian 12; ../shared/vendor/citus-13.0.5.tar.gz is the pinned
# source (13.1/13.2 do not compile against PostgreSQL 15.20, 14.x refuses 15). A build takes
# 2-5 minutes on 2 cores, so its output is cached, keyed by the tarball's sha256 and
# `pg_config --version`; a cached build is copied into place in about a second.
# Citus is AGPL-3.0 and only ever a test dependency: it is never linked into or shipped with tthub.

CITUS_TARBALL=${CITUS_TARBALL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/vendor/citus-13.0.5.tar.gz}
CITUS_SHA256=064cdff68349f60c64fc897475105494b0e97718f48aad358a795948a9f56519
CITUS_CACHE_ROOT=${CITUS_CACHE_ROOT:-/var/cache/tthub}
# Where an installed Citus is looked for (the tests of this discovery point them elsewhere).
CITUS_PKGLIBDIR=${CITUS_PKGLIBDIR:-$(pg_config --pkglibdir)}
CITUS_SHAREDIR=${CITUS_SHAREDIR:-$(pg_config --sharedir)}
# What to do when there is none: one line, also shown by test/run.sh.
CITUS_HOW_TO="build and install Citus 13.0 into this PostgreSQL (github.com/citusdata/citus, tag v13.0.5: ./configure && make && make install), or put the pinned source citus-13.0.5.tar.gz in ../shared/vendor/ or name it with CITUS_TARBALL"

# citus_cache_dir: where the build for this tarball and this PostgreSQL lives.
citus_cache_dir() {
  local pgver
  pgver=$(pg_config --version | tr -c 'A-Za-z0-9.\n' '_')
  echo "$CITUS_CACHE_ROOT/citus-${CITUS_SHA256:0:16}-$pgver"
}

# citus_build DIR: configure, make and stage Citus into DIR/{lib,extension}.
citus_build() {
  local out=$1 src stage log
  [ -f "$CITUS_TARBALL" ] || { echo "citus: no tarball at $CITUS_TARBALL" >&2; return 1; }
  echo "$CITUS_SHA256  $CITUS_TARBALL" | sha256sum -c --quiet - ||
    { echo "citus: $CITUS_TARBALL does not have the pinned sha256" >&2; return 1; }
  src=$(mktemp -d /tmp/citus-build.XXXXXX)
  stage=$src/stage
  log=$src/build.log
  echo "== building Citus from $(basename "$CITUS_TARBALL") (2-5 minutes, cached afterwards)"
  # --without-libcurl: anonymous usage reports only; with_llvm=no: JIT bitcode only.
  if ! (tar -xzf "$CITUS_TARBALL" -C "$src" && cd "$src/citus-13.0.5" &&
        ./configure PG_CONFIG="$(command -v pg_config)" --without-libcurl &&
        make -j"$(nproc)" with_llvm=no &&
        make install with_llvm=no DESTDIR="$stage") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "citus: build failed (log: $log)" >&2
    return 1
  fi
  mkdir -p "$out.tmp/lib" "$out.tmp/extension"
  cp -a "$stage$(pg_config --pkglibdir)/." "$out.tmp/lib/"
  cp -a "$stage$(pg_config --sharedir)/extension/." "$out.tmp/extension/"
  rm -rf "$out" && mv "$out.tmp" "$out" && rm -rf "$src"
}

# citus_find: sets CITUS_FROM to where this run's Citus comes from: cache (a pinned
# build made earlier), tarball (the pinned source, to build), installed, or none.
citus_find() {
  if [ -f "$(citus_cache_dir)/lib/citus.so" ]; then CITUS_FROM=cache
  elif [ -f "$CITUS_TARBALL" ]; then CITUS_FROM=tarball
  elif [ -f "$CITUS_PKGLIBDIR/citus.so" ] && [ -f "$CITUS_SHAREDIR/extension/citus.control" ]; then CITUS_FROM=installed
  else CITUS_FROM=none
  fi
}

# citus_install: make sure citus.so and its scripts are in pg_config's directories.
# Returns 0 when they are, 1 when the pinned build fails, 2 when there is no Citus at all.
citus_install() {
  local cache
  citus_find
  case $CITUS_FROM in
    installed) return 0 ;;
    none) return 2 ;;
  esac
  cache=$(citus_cache_dir)
  if [ ! -f "$cache/lib/citus.so" ]; then
    mkdir -p "$CITUS_CACHE_ROOT" && citus_build "$cache" || return 1
  fi
  cmp -s "$cache/lib/citus.so" "$CITUS_PKGLIBDIR/citus.so" && return 0
  cp -a "$cache/lib/." "$CITUS_PKGLIBDIR/" &&
    cp -a "$cache/extension/." "$CITUS_SHAREDIR/extension/"
}
