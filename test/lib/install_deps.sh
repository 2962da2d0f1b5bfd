# Installs the Debian 12 packages tthub builds, tests and demos with (as root), and
# nothing when they are all present already.
TTHUB_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config openssl ca-certificates curl
  postgresql-15 postgresql-client-15 postgresql-server-dev-15 postgresql-15-cron
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libgtest-dev
  libcpp-httplib-dev libpq-dev chromium
  dpkg-dev debhelper postgresql-server-dev-all lintian
  liblz4-dev libzstd-dev libkrb5-dev  # building Citus for test/citus (Debian 12 has no package)
  prometheus-postgres-exporter
  libfaketime  # test/integration/store_days.sh: a server clock just before a UTC midnight
)

install_deps() {
  local missing=()
  for p in "${TTHUB_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages (run as root to install): ${missing[*]}" >&2
    return 1
  fi
  echo "== installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
