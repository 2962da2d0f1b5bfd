#!/usr/bin/env bash
# The SQL layout holds (README: Development, "Where SQL goes"): released scripts are
# frozen by src/extension_sql/released/SHA256SUMS, which the build checks before it
# builds anything; they are installed byte for byte; and the version under work
# defines every function and view exactly once.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

SQL=src/extension_sql
WORK=$(mktemp -d "${TTHUB_TEST_WORK:-/tmp}/released_sql.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
V=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" tthub.control)

echo "# released scripts are frozen"
is "$(cd $SQL/released && ls tthub--*.sql | xargs)" "$(awk '{print $2}' $SQL/released/SHA256SUMS | sort | xargs)" \
   "SHA256SUMS lists every released script"
(cd $SQL/released && sha256sum --check --strict --quiet SHA256SUMS)
tap_result "$?" "every released script has the bytes that shipped"
unlike "$(ls $SQL/released)" "tthub--$V\.sql|--$V\.sql" "the version under work ($V) has no released script"

# A copy of what the build reads: the scripts and the Makefile's rules.
copy() {  # copy DIR
  mkdir -p "$1" && cp -r Makefile tthub.control "$1/" && mkdir -p "$1/src" && cp -r $SQL "$1/src/" &&
    rm -f "$1/$SQL"/tthub--*.sql
}
build() {  # build DIR: make the install and update scripts of the version under work
  make -s -C "$1" "$SQL/tthub--$V.sql" "$(cd "$1" && ls -d $SQL/upgrade/*--$V | sed "s#.*/upgrade/\(.*\)#$SQL/tthub--\1.sql#")" 2>&1
}
copy "$WORK/ok"
out=$(build "$WORK/ok"); rc=$?
tap_result "$rc" "the untouched tree builds" "$out"
is "$(ls "$WORK/ok/$SQL"/tthub--*.sql 2>/dev/null | wc -l)" "2" "into an install script and an update script"

copy "$WORK/changed"
f=$(ls "$WORK/changed/$SQL"/released/tthub--*--*.sql | tail -n 1)
sed -i '0,/^CREATE OR REPLACE FUNCTION/s//CREATE  OR REPLACE FUNCTION/' "$f"
is "$(cmp -s "$f" "$SQL/released/$(basename "$f")"; echo $?)" "1" "a released script is changed by one space"
out=$(build "$WORK/changed"); rc=$?
is "$rc" "2" "the build refuses to go on"
like "$out" "released scripts are frozen" "and says that released scripts are frozen"
like "$out" "$(basename "$f")" "naming the changed script"
is "$(ls "$WORK/changed/$SQL"/tthub--*.sql 2>/dev/null | wc -l)" "0" "and builds nothing"

copy "$WORK/added"
cp "$WORK/added/$SQL/released/tthub--0.1.sql" "$WORK/added/$SQL/released/tthub--0.9.sql"
out=$(build "$WORK/added"); rc=$?
is "$rc" "2" "a released script that SHA256SUMS does not list is refused too"
like "$out" "released scripts are frozen" "with the same message"

echo "# what is installed"
ext_dir=$(pg_config --sharedir)/extension
for r in $SQL/released/tthub--*.sql; do
  tap_result "$(cmp -s "$r" "$ext_dir/$(basename "$r")"; echo $?)" "$(basename "$r") is installed as it shipped"
done

echo "# one definition per object in the version under work"
dups=$(cat $SQL/tables/*.sql $SQL/functions/*.sql |
  grep -oiE '^CREATE (OR REPLACE )?(FUNCTION|VIEW|TABLE|TYPE|SCHEMA|TRIGGER) +[a-z_@.]+' |
  awk '{print toupper($(NF-1)), $NF}' | sort | uniq -d)
is "$dups" "" "no function, view, table, type, schema or trigger is created twice in tables/ and functions/"
is "$(grep -lE '^(CREATE|ALTER|DROP) TABLE|^CREATE (UNIQUE )?INDEX|^CREATE TYPE' $SQL/functions/*.sql | xargs)" "" \
   "functions/ creates, alters and drops no table, index or type (it runs again at every update, also on Citus)"
unlike "$(grep -hE '^CREATE (FUNCTION|VIEW)' $SQL/functions/*.sql)" "." \
   "every function and view in functions/ is CREATE OR REPLACE (re-runnable)"
tap_done
