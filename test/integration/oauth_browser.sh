#!/usr/bin/env bash
# A store owner connects in a real browser: headless Chromium opens the connect link
# an admin made (tthub_connect_link), follows the simulator's authorization page back
# to the callback, and lands on the page that says the account is connected.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
  tap_result 1 "chromium is installed (test/run.sh installs Debian's chromium package)"
  tap_done
  exit 1
fi

itest_setup oauth_browser "--accounts 2 --videos 5" || exit 1
q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name) VALUES ('web-1', 'Web One'), ('web-2', 'Web Two')" >/dev/null
oauth_setup || exit 1

# Flags for a closed network: no background connections, no sandbox as root.
browse() {
  timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$DIR/chrome-$1" --window-size=900,600 "${@:2}" 2>>"$DIR/chromium.log"
}

sim_config '{"authorize_account": 1}'
dom=$(browse a --dump-dom "$(connect_link web-1)")
like "$dom" "<h1 class=\"ok\">Connected</h1>" "the browser ends on the connected page"
like "$dom" "Sim Account 1.*store <strong>web-1</strong>" "which names the account and the store"
is "$(q "$PORT" tthub "SELECT open_id || ' ' || status FROM tthub.store_accounts WHERE store_code = 'web-1'")" "sim-open-1 CONNECTED" \
   "the database has the account, CONNECTED"
is "$(q "$PORT" tthub "SELECT requests->>'auth/authorize' FROM (SELECT (\$j\$$(sim_stats)\$j\$::jsonb) -> 'requests' AS requests) s")" "1" \
   "the browser went through the authorization page"

sim_config '{"authorize_account": 2}'
browse b --screenshot="$DIR/connected.png" "$(connect_link web-2)" >/dev/null
size=$(stat -c %s "$DIR/connected.png" 2>/dev/null || echo 0)
is "$([ "$size" -gt 5000 ] && echo yes)" "yes" "a screenshot of the final page is saved ($DIR/connected.png, $size bytes)"
is "$(head -c 8 "$DIR/connected.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" "and it is a PNG"
is "$(q "$PORT" tthub "SELECT open_id || ' ' || status FROM tthub.store_accounts WHERE store_code = 'web-2'")" "sim-open-2 CONNECTED" \
   "the second store is connected too"
tap_done
