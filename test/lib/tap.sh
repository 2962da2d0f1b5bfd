# Minimal TAP output for the integration tests: each check prints "ok N - ..." or
# "not ok N - ..."; the runner counts them. Source after cluster.sh.
TAP_N=0
TAP_FAILED=0

tap_result() {  # tap_result RC DESCRIPTION [diagnostic]
  TAP_N=$((TAP_N + 1))
  if [ "$1" = 0 ]; then
    echo "ok $TAP_N - $2"
  else
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $2"
    [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
  fi
}

# is GOT WANT DESCRIPTION
is() {
  if [ "$1" = "$2" ]; then tap_result 0 "$3"; else tap_result 1 "$3" "got: '$1'"$'\n'"want: '$2'"; fi
}

# like GOT REGEX DESCRIPTION
like() {
  if printf '%s' "$1" | grep -qE -- "$2"; then tap_result 0 "$3"; else tap_result 1 "$3" "got: '$1'"$'\n'"want match: $2"; fi
}

# unlike GOT REGEX DESCRIPTION
unlike() {
  if printf '%s' "$1" | grep -qE -- "$2"; then tap_result 1 "$3" "unexpected match of $2"; else tap_result 0 "$3"; fi
}

tap_done() {
  echo "1..$TAP_N"
  [ "$TAP_FAILED" = 0 ]
}

# q PORT DB SQL: one value, unaligned; errors go to stdout as "ERROR: ..." text.
q() {
  psql -X -qAt -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -c "$3" 2>&1
}

# sqlstate PORT DB SQL: the SQLSTATE the statement fails with ("" when it succeeds).
sqlstate() {
  psql -X -qAt -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v VERBOSITY=sqlstate -c "$3" 2>&1 >/dev/null |
    grep -oE 'ERROR: +[0-9A-Z]{5}' | grep -oE '[0-9A-Z]{5}$'
}
