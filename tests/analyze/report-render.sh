#!/usr/bin/env bash
# p2pbench report over the recorded lab results (results/reference): every
# kind of document, a qualification against the lab's thresholds and a
# comparison against a baseline, rendered and checked in Chromium. Then a
# qualification that must fail (a limit no lab can meet).
#   report-render.sh BUILD_DIR
set -u
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
p2pbench=$build/bin/p2pbench out=$build/analyze-tests/report
fail() { echo "FAIL: $*"; exit 1; }
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot is not installed (scripts/test installs gnuplot-nox)"; exit 77; }
rm -rf "$out" "$out-qual" && mkdir -p "$(dirname "$out")"

echo "== the qualification profile's results against the lab's limits"
"$p2pbench" report -o "$out-qual" --title "lab qualification" --qualify "$root/results/thresholds/lab.ini" \
	"$root/results/reference/lab-7.3.4-qualification.json" "$root/results/reference/lab-7.3.4-stress-soak.json"
rc=$?
[ $rc = 0 ] || fail "the qualification of the reference results exited $rc"
grep -q 'class="banner v-PASS">PASS' "$out-qual/index.html" || fail "the qualification is not PASS"
"$(dirname "$0")/render-check.sh" "$out-qual" 9 || exit $?

echo "== every kind of document, against a baseline"
"$p2pbench" report -o "$out" --title "reference results" --baseline "$root/results/reference/lab-7.3.4-qualification.json" \
	"$root"/results/reference/*.json
rc=$?
[ $rc = 0 ] || fail "report exited $rc over the reference results"
# the figures the documents call for: CDFs, NVMe timelines, sweep heatmaps, scale curves, RDMA through faults
for fig in cdf-delay0 timeline-nvme-load_flr sweep-mem-off-proceed sweep-flr-warn-wait scale- rdma-rdma_write-bw; do
	grep -q "id=\"fig-$fig" "$out/index.html" || fail "no $fig figure"
done
"$(dirname "$0")/render-check.sh" "$out" 16 || exit $?

echo "== a qualification that fails"
bad=$build/analyze-tests/impossible.ini
printf '[limit delay0/*]\nrevoke_to_quiesce_ns.p50 = <= 1us\n[limit nothing/*]\nrevoke_to_quiesce_ns.p50 = <= 1s\n' >"$bad"
rm -rf "$out-fail"
"$p2pbench" report -o "$out-fail" --qualify "$bad" "$root/results/reference/lab-7.3.4-qualification.json"
rc=$?
[ $rc = 1 ] || fail "an unmet qualification exited $rc, expected 1"
grep -q 'class="banner v-FAIL">FAIL' "$out-fail/index.html" || fail "no FAIL banner"
grep -q 'no case matching .nothing/\*. measured' "$out-fail/csv/qualification.csv" ||
	fail "a limit nothing measured is not reported as unmet"
echo PASS
