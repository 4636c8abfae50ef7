#!/usr/bin/env bash
# Instructions per histogram record, counted by callgrind inside
# p2pb_hist_add() (and what it calls) over N records:
#   hist_record.sh BINARY [OUT.json]
# Fails when above the target (50); the figure goes to OUT.json, the
# reference one is results/microbench/hist-record.json.
set -u
bin=$1 out=${2:-} n=200000 target=50
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --toggle-collect=p2pb_hist_add \
	"$bin" $n >"$tmp/stdout" 2>"$tmp/stderr" || { cat "$tmp/stderr"; echo "FAIL: valgrind failed"; exit 1; }
ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$tmp/cg.out")
[ -n "$ir" ] || ir=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$tmp/cg.out")
[ -n "$ir" ] && [ "$ir" -gt 0 ] || { echo "FAIL: no instruction count in the callgrind output"; exit 1; }
per=$(awk -v ir="$ir" -v n=$n 'BEGIN { printf "%.2f", ir / n }')
echo "p2pb_hist_add: $ir instructions over $n records = $per per record (target <= $target)"
if [ -n "$out" ]; then
	printf '{"schema": "p2pbench-microbench", "schema_version": 1, "benchmark": "hist_record",\n' >"$out"
	printf ' "tool": "valgrind --tool=callgrind --toggle-collect=p2pb_hist_add",\n' >>"$out"
	printf ' "records": %d, "instructions": %d, "instructions_per_record": %s, "target": %d,\n' \
		$n "$ir" "$per" $target >>"$out"
	printf ' "compiler": "%s", "valgrind": "%s"}\n' "$(cc --version | head -n1)" "$(valgrind --version)" >>"$out"
fi
awk -v p="$per" -v t=$target 'BEGIN { exit !(p <= t) }' || { echo "FAIL: $per instructions per record > $target"; exit 1; }
