#!/usr/bin/env bash
# The README's demo command, in a short mode: it must connect three stores through
# OAuth (by connect links), sync two days and print its report; --stop must clean everything up.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

export TTHUB_DEMO_DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/demo TTHUB_DEMO_VIDEOS=30 \
  TTHUB_DEMO_FRESH_EVERY=4 TTHUB_DEMO_FRESH_ROUNDS=4
out=$(timeout 300 bash demo/run.sh 2>&1)
rc=$?
is "$rc" "0" "bash demo/run.sh succeeds"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
for store in demo-jakarta demo-bandung demo-surabaya; do
  like "$out" "   $store: Sim Account [123] connected" "$store is connected through OAuth"
done
like "$out" "== report: top videos by views gained since yesterday" "the report has the top videos"
# Simulator day 2 adds (video % 50 + 1) * 100 views: the top gainers are video 29 of each account (+3000).
like "$out" "Video 29 of account [123] +\| +[0-9]+ \| +3000 \| +1" "top videos gained 3000 views over 1 day"
like "$out" "demo-surabaya +\| +3060 \| +30 \|" "follower growth: account 3 gained 30 followers"
like "$out" "demo-jakarta +\| +1020 \| +10 \|" "follower growth: account 1 gained 10"
like "$out" "demo-bandung +\| +1 \| [0-9-]+ [0-9:]+ \| +0 \| t +\| +30" "sync status: connected, no failures, today complete with 30 videos"
like "$out" "tthub_jobs_dead +\| +0" "no dead jobs"
like "$out" "ALERT received \(delivery [0-9]+, signature valid\): account.connected store demo-jakarta" \
  "the webhook receiver got account.connected, signed"
like "$out" "ALERT received \(delivery [0-9]+, signature valid\): account.need_reconnect store demo-bandung" \
  "and the alert when demo-bandung's owner revoked access"
like "$out" "== a fresh video's first minutes" "the demo shows a fresh video's first minutes"
is "$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+ \| +[0-9]+ \| +[0-9]+ \| *#*$')" "4" \
   "observed once per round (4 rounds), each a row of its curve"
like "$out" "demo-jakarta +\| fresh +\| +[1-9][0-9]* +\|" "refresh_freshness shows the fresh tier"
like "$out" "connect: +psql 'host=127.0.0.1 port=[0-9]+ user=postgres dbname=tthub'" "it prints the connection string"
like "$out" "^ +http://127.0.0.1:[0-9]+/auth/login\?invite=[A-Za-z0-9_-]{43}$" "and a connect link with an invite"
port=$(printf '%s' "$out" | sed -n "s/.*port=\([0-9]*\) user=postgres.*/\1/p" | head -1)
is "$(psql -X -qAt -h 127.0.0.1 -p "$port" -U postgres -d tthub -c "SELECT count(*) FROM tthub.store_summary WHERE accounts_connected = 1")" \
   "2" "and leaves the cluster running (demo-bandung must reconnect)"
stop=$(bash demo/run.sh --stop 2>&1)
like "$stop" "demo stopped and removed" "--stop stops it"
is "$([ -e "$TTHUB_DEMO_DIR" ] && echo exists || echo gone)" "gone" "and removes its files"
is "$(pg_isready -q -h 127.0.0.1 -p "$port"; echo $?)" "2" "the cluster no longer answers"
tap_done
