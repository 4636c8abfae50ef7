#!/usr/bin/env bash
# p2pbench compare, report and run as a user drives them, on the recorded lab
# results and the sim exporter: exit status, one clear error for bad input and
# nothing half-written, an injected regression found and nothing else, a run
# directory that resumes.
#   cli.sh BUILD_DIR
set -u
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
p2pbench=$build/bin/p2pbench ref=$root/results/reference tmp=$build/analyze-tests/cli
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$tmp" && mkdir -p "$tmp"
qual=$ref/lab-7.3.4-qualification.json

# one line on stderr, naming the problem, and the exit status
expect_error() {
	local want=$1 pattern=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = "$want" ] || fail "$* exited $rc, expected $want: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$*: expected one error line, got: $(cat "$tmp/err")"
	grep -q -- "$pattern" "$tmp/err" || fail "$*: '$(cat "$tmp/err")' does not say '$pattern'"
}

echo "== compare: the same run twice"
"$p2pbench" compare "$qual" "$qual" >"$tmp/same.txt" || fail "compare of a run with itself exited $?"
grep -q "0 regressions, 0 improvements" "$tmp/same.txt" || fail "$(tail -1 "$tmp/same.txt")"

echo "== compare: an importer 60% slower in one case"
jq '(.cases[] | select(.name == "delay200/mem-off") | .iterations[].revoke_to_quiesce_ns) |= (. * 1.6 | floor)' \
	"$qual" >"$tmp/slower.json"
"$p2pbench" compare --json "$tmp/cmp.json" --csv "$tmp/cmp.csv" "$qual" "$tmp/slower.json" >"$tmp/slower.txt"
rc=$?
cat "$tmp/slower.txt"
[ $rc = 1 ] || fail "a regression exited $rc, expected 1"
jq -e '.schema == "p2pbench-compare" and .summary.regressions == 1 and
	[.cases[].metrics[] | select(.verdict != "same")] == [.cases[] | select(.name == "delay200/mem-off") |
	.metrics[] | select(.metric == "revoke_to_quiesce_ns" and .verdict == "regression" and .noise == "beyond")]' \
	"$tmp/cmp.json" >/dev/null || fail "not exactly the injected regression: $(jq -c .summary "$tmp/cmp.json")"
[ "$(grep -c ',regression$' "$tmp/cmp.csv")" = 1 ] || fail "the CSV does not hold the one regression"
# the lab's thresholds still see a 60% change in a 200 ms time
"$p2pbench" compare -t "$root/results/thresholds/lab.ini" "$qual" "$tmp/slower.json" >/dev/null
[ $? = 1 ] || fail "the lab thresholds hide a 60% regression of 120 ms"

echo "== compare: bad input"
expect_error 2 "give a BASELINE and a NEW" "$p2pbench" compare "$qual"
expect_error 2 "No such file" "$p2pbench" compare "$qual" "$tmp/none.json"
jq '.schema_version = 1' "$qual" >"$tmp/v1.json"
expect_error 2 "version 1; this p2pbench reads version 2" "$p2pbench" compare "$tmp/v1.json" "$qual"
mkdir -p "$tmp/empty"
expect_error 2 "no p2pbench result documents" "$p2pbench" compare "$tmp/empty" "$qual"
echo '{"schema": "p2pbench-result", "schema_version": 2, "tool": {"subcommand": "revoke"}, "cases": []}' >"$tmp/nocases.json"
expect_error 2 "hold no cases" "$p2pbench" compare "$tmp/nocases.json" "$qual"
expect_error 2 "no case of the new results matches" "$p2pbench" compare "$qual" "$ref/lab-7.3.4-stress-10m.json"
printf '[compare]\nalpha = 2\n' >"$tmp/bad.ini"
expect_error 2 "bad.ini:2: alpha = 2" "$p2pbench" compare -t "$tmp/bad.ini" "$qual" "$qual"

echo "== compare: odd but well-formed documents are read, not crashed on"
echo '{"schema": "p2pbench-result", "schema_version": 2, "tool": {"subcommand": "revoke"}, "cases": {}}' >"$tmp/odd1.json"
expect_error 2 "hold no cases" "$p2pbench" compare "$tmp/odd1.json" "$qual"
echo '{"schema": "p2pbench-result", "schema_version": 2, "tool": {"subcommand": "revoke"}, "command": ["revoke", "--job", null],
	"cases": [{"name": "x", "iterations": 5, "importers": "x", "verdict": []}, 7]}' >"$tmp/odd2.json"
"$p2pbench" compare "$tmp/odd2.json" "$tmp/odd2.json" >/dev/null || fail "odd2 compared with exit $?"
echo '{"schema": "p2pbench-bench/1", "benchmark": "b", "rows": [1, {"samples": [1, 2]}]}' >"$tmp/odd3.json"
"$p2pbench" compare "$tmp/odd3.json" "$tmp/odd3.json" >/dev/null || fail "odd3 compared with exit $?"
echo '{"schema": "p2pbench-result", "tool": {"subcommand": "revoke"}, "cases": []}' >"$tmp/nover.json"
expect_error 2 "without a schema_version" "$p2pbench" compare "$tmp/nover.json" "$qual"
# --json - is the document alone on stdout
"$p2pbench" compare --json - "$qual" "$qual" 2>/dev/null | jq -e '.summary.regressions == 0' >/dev/null ||
	fail "compare --json - is not a JSON document on stdout"

echo "== report: what documents say is text, never markup or commands"
jq --arg name "delay0/\`touch $tmp/pwned\`'x\"y" '.host.name = "<img src=x onerror=alert(1)>" | .cases[0].name = $name' \
	"$qual" >"$tmp/evil.json"
"$p2pbench" report -o "$tmp/evil" --baseline "$tmp/evil.json" "$tmp/evil.json" >/dev/null || fail "report exited $?"
[ ! -e "$tmp/pwned" ] || fail "a case name ran a command through gnuplot"
! grep -q '<img src=x' "$tmp/evil/index.html" || fail "a host name went into the page as markup"
grep -q '&lt;img src=x' "$tmp/evil/index.html" || fail "the host name is missing from the page"
mkdir -p "$tmp/notreport" && touch "$tmp/notreport/keep"
expect_error 2 "exists and is not a p2pbench report" "$p2pbench" report -o "$tmp/notreport" "$qual"
[ -e "$tmp/notreport/keep" ] || fail "report -o replaced a directory that was not a report"

echo "== report: bad input writes nothing"
expect_error 2 "give -o DIR" "$p2pbench" report "$qual"
expect_error 2 "No such file" "$p2pbench" report -o "$tmp/r1" "$tmp/none.json"
[ ! -e "$tmp/r1/index.html" ] || fail "a failed report left an index.html"
printf '[compare]\nalpha = 0.05\n' >"$tmp/nolimits.ini"
expect_error 2 "has no \[limit\] section" "$p2pbench" report -o "$tmp/r2" --qualify "$tmp/nolimits.ini" "$qual"
printf '[limit *]\nrevoke_to_quiesce_ns.p99 = 5ms\n' >"$tmp/lim.ini"
expect_error 2 "lim.ini:2: revoke_to_quiesce_ns.p99 = 5ms: a limit is" "$p2pbench" report -o "$tmp/r3" --qualify "$tmp/lim.ini" "$qual"

echo "== run: two jobs, a resume, an interrupt"
printf '[stress]\ndevice = sim\nduration = 1s\nseed = 1\n' >"$tmp/a.ini"
printf '[stress]\ndevice = sim\nduration = 1s\nseed = 2\n' >"$tmp/b.ini"
"$p2pbench" run -n -o "$tmp/run" "$tmp/a.ini" "$tmp/b.ini" >"$tmp/dry.txt" || fail "dry run exited $?"
grep -q "\[2/2\] b (stress, hash [0-9a-f]*): would run" "$tmp/dry.txt" || fail "dry run: $(cat "$tmp/dry.txt")"
[ ! -e "$tmp/run" ] || fail "a dry run created the results directory"
"$p2pbench" run -o "$tmp/run" "$tmp/a.ini" "$tmp/b.ini" >"$tmp/run1.txt" || fail "run exited $?"
jq -e '.schema == "p2pbench-run-index" and .p2pbench.git_revision != null and .host.kernel != null and
	([.jobs[] | select(.status == "done" and .exit_code == 0 and (.hash | length) == 16)] | length) == 2' \
	"$tmp/run/index.json" >/dev/null || fail "index: $(cat "$tmp/run/index.json")"
[ -f "$tmp/run/01-a/result.json" ] && [ -f "$tmp/run/02-b/result.json" ] || fail "no result per job"
printf '[stress]\ndevice = sim\nduration = 1s\nseed = 3\n' >"$tmp/b.ini"	# b changed: only b runs again
"$p2pbench" run -o "$tmp/run" "$tmp/a.ini" "$tmp/b.ini" >"$tmp/run2.txt" || fail "resume exited $?"
grep -q "\[1/2\] a: complete in .*, kept" "$tmp/run2.txt" || fail "a ran again: $(cat "$tmp/run2.txt")"
grep -q "\[2/2\] b: done" "$tmp/run2.txt" || fail "the changed b was not run again"
"$p2pbench" compare "$tmp/run" "$tmp/run" >/dev/null || fail "compare of a run directory with itself exited $?"
printf '[stress]\ndevice = sim\nduration = 30s\nseed = 4\n' >"$tmp/long.ini"
setsid "$p2pbench" run -o "$tmp/run-int" "$tmp/long.ini" "$tmp/a.ini" >"$tmp/int.txt" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "^progress" "$tmp/int.txt" 2>/dev/null && break; sleep 0.2; done
sleep 1
kill -INT -- -$pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "an interrupted run exited $rc, expected 130: $(tail -3 "$tmp/int.txt")"
jq -e '.jobs[0].status == "interrupted" and .jobs[1].status == "pending"' "$tmp/run-int/index.json" >/dev/null ||
	fail "index after Ctrl-C: $(jq -c '[.jobs[] | {name, status}]' "$tmp/run-int/index.json")"
jq -e '.interrupted == true' "$tmp/run-int/01-long/result.json" >/dev/null || fail "no partial result of the interrupted job"
# a flag is given (1) or left out (0); any other key keeps its value, 1 included
printf '[timeout-sweep]\ndevice = 0000:01:00.0\ndelays = 0,200ms\nbind = 1\niterations = 1\nquiet = 0\n' >"$tmp/sweep.ini"
"$p2pbench" run -n -o "$tmp/run-sweep" "$tmp/sweep.ini" >"$tmp/dry-sweep.txt" || fail "dry run of a sweep exited $?"
grep -q "p2pbench timeout-sweep --device 0000:01:00.0 --delays 0,200ms --bind --iterations 1 --json $tmp/run-sweep/01-sweep/result.json --ktap" \
	"$tmp/dry-sweep.txt" || fail "a [timeout-sweep] job's command: $(cat "$tmp/dry-sweep.txt")"
printf '[timeout-sweep]\ndevice = 0000:01:00.0\nbind = yes\n' >"$tmp/sweep-flag.ini"
expect_error 2 "bind = yes: a flag is 1 or 0" "$p2pbench" run -n -o "$tmp/r" "$tmp/sweep-flag.ini"
printf '[timeout-sweep]\ndevice = 0000:01:00.0\n[other]\nx = 1\n' >"$tmp/sweep-bad.ini"
expect_error 2 "a timeout-sweep job has one \[timeout-sweep\] section" "$p2pbench" run -n -o "$tmp/r" "$tmp/sweep-bad.ini"
# a job that fails to start after a good run: its old result is not read as this run's
printf '[stress]\ndevice = sim\nduration = 1s\nseed = 9\n' >"$tmp/c.ini"
"$p2pbench" run -o "$tmp/run-stale" "$tmp/c.ini" >/dev/null || fail "run c exited $?"
printf '[stress]\ndevice = sim\nduration = bogus\n' >"$tmp/c.ini"
"$p2pbench" run -o "$tmp/run-stale" "$tmp/c.ini" >/dev/null 2>&1
[ $? = 2 ] || fail "a job that cannot start did not make run exit 2"
jq -e '.jobs[0].status == "error"' "$tmp/run-stale/index.json" >/dev/null || fail "the failed job is not an error"
expect_error 2 "no p2pbench result documents" "$p2pbench" compare "$tmp/run-stale" "$tmp/run-stale"
# SIGINT to run alone (a supervisor, not a terminal) reaches the job too
"$p2pbench" run -o "$tmp/run-sig" "$tmp/long.ini" >"$tmp/sig.txt" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "^progress" "$tmp/sig.txt" 2>/dev/null && break; sleep 0.2; done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "run exited $rc after a SIGINT of its own, expected 130"
jq -e '.jobs[0].status == "interrupted"' "$tmp/run-sig/index.json" >/dev/null || fail "the job was not interrupted"
expect_error 2 "cannot read the job file" "$p2pbench" run -o "$tmp/run-bad" "$tmp/none.ini"
[ ! -e "$tmp/run-bad" ] || fail "a bad job file left a results directory"
printf '[global]\ndevice = 0000:01:00.0\n[x]\ntrigger = flr\nimporter = kmod:delay=0\nnosuchkey = 1\n' >"$tmp/badjob.ini"
expect_error 2 "badjob.ini" "$p2pbench" run -o "$tmp/run-bad" "$tmp/badjob.ini"
echo PASS
