#!/usr/bin/env bash
# scripts/lava/ktap-to-lava: the KTAP conventions it checks (each broken one
# caught, with its line), the LAVA case names and results it makes, and, when
# the lab suite ran, every KTAP file the lab checks wrote (p2pbench check,
# revoke, race) following those conventions.
#   ktap.sh [LAB_OUT_DIR...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
conv=$here/../../scripts/lava/ktap-to-lava data=$here/data
fail() { echo "FAIL: $*"; exit 1; }

out=$("$conv" --suite s "$data/ktap-good.ktap") || fail "a good KTAP file failed the check"
want=$'s.revoke.delay0_flr pass\ns.revoke.delay0_flr.C1_trigger_waits pass\ns.revoke.delay0_flr.C2_no_map skip\ns.check.export_errno fail'
[ "$out" = "$want" ] || fail "cases: $out"
while read -r file why; do
	err=$("$conv" --check "$data/$file" 2>&1) && fail "$file passed the check"
	grep -q -- "$why" <<<"$err" || fail "$file: '$err' does not say '$why'"
	echo "$file: $err"
done <<'LIST'
ktap-bad-version.ktap :1: the first line is not "KTAP version 1"
ktap-bad-count.ktap plan 1..3 but 2 results
ktap-bad-order.ktap :4: result 3 follows 1
ktap-bad-skip.ktap :3: SKIP on a not ok line
ktap-bad-subplan.ktap :6: subtest s: plan 1..2 but 1 results
ktap-bad-directive.ktap :3: unknown directive "MAYBE later"
LIST

n=0
for dir in "$@"; do
	while read -r f; do
		"$conv" --check "$f" || fail "$f breaks a KTAP convention"
		n=$((n + 1))
	done < <(find "$dir" -maxdepth 4 -name '*.ktap' -type f 2>/dev/null | sort)
done
[ $# = 0 ] || [ $n -gt 0 ] || { echo "SKIP: the lab suites wrote no KTAP (did they run?)"; exit 77; }
[ $# = 0 ] || echo "$n KTAP files from the lab follow the conventions"
echo PASS
