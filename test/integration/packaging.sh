#!/usr/bin/env bash
# The Debian packages. dpkg-buildpackage builds postgresql-15-tthub and tthub-oauth
# from a copy of the tree, lintian reviews them, dpkg installs them in place of the
# tree's `make install`, and a clean cluster creates the extension from the
# installed files alone; the installed shim reads its database password the way its
# systemd unit hands it over. Then the packages are purged and the tree's
# `make install` is put back for the suites that follow.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
# The packages are for Debian's PostgreSQL 15: use its programs whatever pg_config
# comes first in PATH. Installing them replaces the tree's `make install` in that
# server's directories for the length of this suite.
export PATH=/usr/lib/postgresql/15/bin:$PATH
PGBIN=/usr/lib/postgresql/15/bin
source test/lib/cluster.sh
source test/lib/tap.sh

W=${TTHUB_TEST_WORK:-$(mktemp -d)}/packaging
mkdir -p "$W" && chmod 755 "$W" "$(dirname "$W")"
PKGLIB=$(pg_config --pkglibdir)
EXTDIR=$(pg_config --sharedir)/extension
UNIT=/lib/systemd/system/tthub-oauth.service
EXT_PKG=postgresql-15-tthub
SHIM_PKG=tthub-oauth
DEFAULT_VERSION=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" tthub.control)
TREE_STATUS=$(git status --porcelain 2>&1)

# dpkg refuses to run while another dpkg or apt holds its lock: wait for it.
dpkg_waiting() {
  local out i
  for i in $(seq 1 60); do
    out=$(dpkg "$@" 2>&1) && return 0
    grep -qi 'lock' <<<"$out" || { printf '%s\n' "$out"; return 1; }
    sleep 2
  done
  printf '%s\n' "$out"
  return 1
}
owner() { dpkg -S "$1" 2>/dev/null | cut -d: -f1; }

SHIM_PID=
cleanup() {
  [ -n "$SHIM_PID" ] && kill "$SHIM_PID" 2>/dev/null
  cluster_stop "$W/pg"
  if dpkg-query -W -f='${Status}' "$EXT_PKG" "$SHIM_PKG" 2>/dev/null | grep -q installed; then
    dpkg_waiting --purge "$SHIM_PKG" "$EXT_PKG" >/dev/null
  fi
  [ -e "$PKGLIB/tthub.so" ] || make -s -C "$ROOT" install >/dev/null
}
trap cleanup EXIT

echo "# versions agree"
semver() { case $1 in *.*.*) echo "$1" ;; *.*) echo "$1.0" ;; *) echo "$1.0.0" ;; esac; }
meta=$(perl -MJSON::PP -e '
  local $/; open my $f, "<", "META.json" or die "META.json: $!\n";
  my $m = decode_json(<$f>);
  my @missing = grep { !defined $m->{$_} } qw(name abstract version maintainer license provides generated_by meta-spec);
  die "META.json lacks @missing\n" if @missing;
  my $p = $m->{provides}{tthub} or die "META.json provides no tthub\n";
  die "META.json: provides.tthub.file $p->{file} does not exist\n" unless -f $p->{file};
  print join(" ", $m->{name}, $m->{version}, $p->{version}, $m->{license}, $m->{"meta-spec"}{version}), "\n";' 2>&1)
# PGXN versions are semantic versions: default_version 0.3 is 0.3.0 there.
is "$meta" "tthub $(semver "$DEFAULT_VERSION") $(semver "$DEFAULT_VERSION") postgresql 1.0.0" \
   "META.json: version and provides.tthub.version are default_version ($DEFAULT_VERSION), PostgreSQL license, meta-spec 1.0.0"
deb_version=$(dpkg-parsechangelog -S Version)
is "${deb_version%-*}" "$DEFAULT_VERSION" "debian/changelog's upstream version is default_version"

echo "# dpkg-buildpackage -b, in a copy of the tree"
SRC=$W/src/tthub-$DEFAULT_VERSION
mkdir -p "$SRC"
git ls-files -co --exclude-standard -z | tar -cf - --null -T - | tar -xf - -C "$SRC"
(cd "$SRC" && find . -type f | sort) >"$W/files.before"
start=$(date +%s)
(cd "$SRC" && dpkg-buildpackage -b -us -uc -j2 --post-clean) >"$W/build.log" 2>&1
rc=$?
echo "# dpkg-buildpackage took $(($(date +%s) - start)) s"
tap_result "$rc" "dpkg-buildpackage -b -us -uc succeeds" "$(tail -n 30 "$W/build.log")"
[ "$rc" = 0 ] || { tap_done; exit 1; }
(cd "$SRC" && find . -type f | sort) >"$W/files.before.after"
is "$(diff "$W/files.before" "$W/files.before.after")" "" "debian/rules clean leaves the tree as it was"
EXT_DEB=$(ls "$W"/src/${EXT_PKG}_*.deb)
SHIM_DEB=$(ls "$W"/src/${SHIM_PKG}_*.deb)
like "$(dpkg-deb -c "$EXT_DEB")" "/extension/tthub--0\.4--0\.5\.sql" "the generated update script is in the extension's package"
like "$(dpkg-deb -c "$EXT_DEB")" "/extension/tthub--0\.5\.sql" "and so is the generated install script"
like "$(dpkg-deb -c "$EXT_DEB")" "/extension/tthub--0\.3--0\.4\.sql" "and the released scripts"
depends=$(dpkg-deb -f "$EXT_DEB" Depends)
for d in postgresql-15 libcurl4 libssl3; do
  like "$depends" "(^|, )$d( |,|$)" "the extension depends on $d"
done
is "$(dpkg-deb -f "$EXT_DEB" Recommends)" "postgresql-15-cron" "and recommends pg_cron"

echo "# lintian"
lintian --fail-on error --display-info --tag-display-limit 0 "$W"/src/tthub_*.changes >"$W/lintian.out" 2>&1
rc=$?
tags=$(grep -E '^[EWIPX]: ' "$W/lintian.out")
echo "# lintian: $(grep -c . <<<"$tags" | sed 's/^0$/no/') tags beyond the overrides"
[ -n "$tags" ] && sed 's/^/# /' <<<"$tags"
tap_result "$rc" "lintian reports no error (accepted overrides: debian/*.lintian-overrides)" \
  "$(grep -E '^E: ' "$W/lintian.out")"

echo "# installed in place of the tree's make install"
make -s -C "$ROOT" uninstall >/dev/null
out=$(dpkg_waiting -i "$EXT_DEB" "$SHIM_DEB")
tap_result $? "dpkg -i installs both packages" "$out"
for f in "$PKGLIB/tthub.so" "$EXTDIR/tthub.control" "$EXTDIR/tthub--0.1.sql" "$EXTDIR/tthub--0.2--0.3.sql"; do
  is "$(owner "$f")" "$EXT_PKG" "$f comes from $EXT_PKG"
done
unowned=$(for f in "$EXTDIR"/tthub[.-]*; do [ "$(owner "$f")" = "$EXT_PKG" ] || echo "$f"; done)
is "$unowned" "" "every tthub file in the extension directory comes from the package"
is "$(dpkg -V "$EXT_PKG" "$SHIM_PKG" 2>&1)" "" "the installed files match the packages' checksums"

PORT=$(free_port 57432)
cluster_init "$W/pg" "$PORT" || exit 1
cluster_start "$W/pg" || exit 1
q "$PORT" postgres "CREATE DATABASE tthub" >/dev/null
is "$(q "$PORT" tthub "CREATE EXTENSION pg_cron; CREATE EXTENSION tthub; SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" \
   "$DEFAULT_VERSION" "CREATE EXTENSION tthub from the packaged files gives version $DEFAULT_VERSION"
is "$(q "$PORT" tthub "SELECT length(tthub.tthub_encrypt_token('x')) > 0")" "t" \
   "the packaged module encrypts with the key file (libssl linked)"
worker=""
for _ in $(seq 1 50); do
  worker=$(q "$PORT" tthub "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  [ "$worker" = 1 ] && break
  sleep 0.2
done
is "$worker" "1" "the preloaded packaged module starts its sync worker"

echo "# tthub-oauth and its unit"
is "$(owner /usr/bin/tthub-oauth)" "$SHIM_PKG" "/usr/bin/tthub-oauth comes from $SHIM_PKG"
is "$(owner "$UNIT")" "$SHIM_PKG" "$UNIT comes from $SHIM_PKG"
is "$(owner /usr/share/man/man1/tthub-oauth.1.gz)" "$SHIM_PKG" "and so does its manual page"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
  tap_result $? "systemd-analyze verify accepts the unit" "$out"
  is "$out" "" "without a warning"
  exposure=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | grep -oE 'exposure level for [^:]+: [0-9.]+' | grep -oE '[0-9.]+$')
  echo "# systemd-analyze security: exposure $exposure"
  like "$exposure" '^(0|1)\.[0-9]$' "the unit's exposure level is under 2.0 (hardened)"
else
  bad=$(grep -vE '^(#.*|\[(Unit|Service|Install)\]|[A-Za-z]+=.*|)$' "$UNIT")
  is "$bad" "" "every line of the unit is a section, a Key=value or a comment"
fi
settings=$(grep -vE '^(#|$)' "$UNIT")
is "$(grep -cx 'DynamicUser=yes' <<<"$settings")" "1" "the unit runs the shim as a dynamic user"
is "$(grep '^Environment=' <<<"$settings" | grep -vE '^Environment="[A-Z_]+=[^"]*"$')" "" "every Environment= value is quoted whole"
is "$(grep -cx 'LoadCredential=pgpass:/etc/tthub/tthub-oauth.pgpass' <<<"$settings")" "1" "the password comes as a credential"
unlike "$settings" 'password=|PGPASSWORD|~/' "the unit holds no password and no ~/.pgpass"

echo "# the shim reads the password the way the unit hands it over"
PW=$(openssl rand -hex 16)
as_postgres sh -c "{ echo 'host all tthub_oauth 127.0.0.1/32 scram-sha-256'; cat '$W/pg/data/pg_hba.conf'; } > '$W/pg/hba' && mv '$W/pg/hba' '$W/pg/data/pg_hba.conf'"
q "$PORT" tthub "ALTER ROLE tthub_oauth LOGIN PASSWORD '$PW'; SELECT pg_reload_conf()" >/dev/null
refused=""
for _ in $(seq 1 25); do  # until the postmaster has reloaded pg_hba.conf
  refused=$(PGPASSWORD=wrong psql -X -h 127.0.0.1 -p "$PORT" -U tthub_oauth -d tthub -c 'SELECT 1' 2>&1)
  grep -q "password authentication failed" <<<"$refused" && break
  sleep 0.2
done
like "$refused" "password authentication failed" "the cluster refuses tthub_oauth without its password"
# What systemd does for the unit: the credential in a directory of its own, mode
# 0400 and owned by the service's user; its Environment= lines, with %d (the
# credentials directory) expanded; a site drop-in for the database and URLs.
CREDS=$W/credentials
mkdir -p "$CREDS"
printf '127.0.0.1:%s:tthub:tthub_oauth:%s\n' "$PORT" "$PW" >"$CREDS/pgpass"
chown -R nobody: "$CREDS" && chmod 0400 "$CREDS/pgpass" && chmod 0500 "$CREDS"
unit_env=()
while IFS= read -r line; do eval "unit_env+=(${line#Environment=})"; done < <(grep '^Environment=' "$UNIT")
unit_env=("${unit_env[@]//%d/$CREDS}")
SHIM_PORT=$(free_port $((58080 + RANDOM % 2000)))
runuser -u nobody -- env -i PATH=/usr/bin:/bin "${unit_env[@]}" \
  TTHUB_DATABASE_URL="host=127.0.0.1 port=$PORT dbname=tthub user=tthub_oauth" \
  TTHUB_LISTEN="127.0.0.1:$SHIM_PORT" TTHUB_PUBLIC_URL="http://127.0.0.1:$SHIM_PORT" \
  /usr/bin/tthub-oauth >"$W/shim.log" 2>&1 &
SHIM_PID=$!
health=000
for _ in $(seq 1 50); do
  health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SHIM_PORT/healthz")
  [ "$health" = 200 ] && break
  kill -0 "$SHIM_PID" 2>/dev/null || break
  sleep 0.2
done
is "$health" "200" "the installed shim, as the unit runs it, logs in with the credential's password" "$(cat "$W/shim.log")"
kill "$SHIM_PID" 2>/dev/null
wait "$SHIM_PID" 2>/dev/null
SHIM_PID=
unlike "$(cat "$W/shim.log")" "$PW" "the shim does not log the password"

echo "# purged, and the tree's make install put back"
cluster_stop "$W/pg"
out=$(dpkg_waiting --purge "$SHIM_PKG" "$EXT_PKG")
tap_result $? "dpkg --purge removes both packages" "$out"
is "$(ls /usr/bin/tthub-oauth "$UNIT" 2>/dev/null)" "" "the shim and its unit are gone"
make -s -C "$ROOT" install >/dev/null
tap_result $? "make install puts the tree's build back"
is "$(owner "$PKGLIB/tthub.so")" "" "tthub.so is the tree's again, owned by no package"
is "$(git status --porcelain 2>&1)" "$TREE_STATUS" "the tree git sees is unchanged"
echo "# packaging.sh took $SECONDS s under the install lock"

tap_done
