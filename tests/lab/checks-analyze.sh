# shellcheck shell=bash
# p2pbench run, compare and report in the lab, as a nightly would use them: a
# tiny job run twice compares without a regression; the same job with a
# slower importer is a regression (exit 1) in the times the importer's delay
# owns and nothing else; the report of the slow run against the first, with
# a qualification, is written for lab.report_render to check in Chromium on
# the host. Sourced by the guest suites.

ANALYZE_THRESHOLDS=$HERE/../../results/thresholds/lab.ini

# the job: one case, memory disable, an importer that unmaps after $1
analyze_tiny_job() {
	printf '[global]\ndevice = %s\nbar = 2\nsize = 2M\nwarmup = 1\niterations = 8\n\n[tiny]\ntrigger = mem-off\nimporter = kmod:delay=%s,dev=%s\n' \
		"$EXP" "$1" "$IMP" >"$2"
}

check_compare_regression() {
	local d=$OUT/compare rc
	rm -rf "$d" && mkdir -p "$d/jobs"
	modprobe p2pbench_importer || fail "modprobe p2pbench_importer failed" || return 1
	analyze_tiny_job 0 "$d/jobs/tiny.ini"
	for run in base again; do
		p2pbench run -o "$d/$run" "$d/jobs/tiny.ini" -- --bind --quiet || fail "run $run exited $?" || return 1
	done
	jq -e '.jobs[0].status == "done" and .host.name != null' "$d/base/index.json" >/dev/null ||
		fail "index: $(jq -c . "$d/base/index.json")" || return 1
	p2pbench compare -t "$ANALYZE_THRESHOLDS" --json "$d/same.json" "$d/base" "$d/again"
	rc=$?
	[ $rc = 0 ] || fail "the same job twice compared with exit $rc: $(jq -c .summary "$d/same.json")" || return 1

	echo "== the importer 40 ms slower"
	analyze_tiny_job 40ms "$d/jobs/tiny.ini"
	p2pbench run -o "$d/slow" "$d/jobs/tiny.ini" -- --bind --quiet || fail "run slow exited $?" || return 1
	p2pbench compare -t "$ANALYZE_THRESHOLDS" --json "$d/slow.json" "$d/base" "$d/slow"
	rc=$?
	[ $rc = 1 ] || fail "a 40 ms slower importer compared with exit $rc, expected 1" || return 1
	# the regressions: revoke-to-quiesce, and only the times that contain the importer's delay
	jq -e '[.cases[].metrics[] | select(.verdict != "same") | .metric] as $flagged |
		($flagged | index("revoke_to_quiesce_ns")) != null and
		($flagged - ["revoke_to_quiesce_ns", "trigger_ns", "invalidate_to_unmap_ns"]) == [] and
		([.cases[].metrics[] | select(.verdict != "same" and .verdict != "regression")] == []) and
		.cases[0].params_changed and .summary.verdicts_changed == 0' "$d/slow.json" >/dev/null ||
		fail "not the injected regression alone: $(jq -c '[.cases[] | {name, metrics: [.metrics[] |
			select(.verdict != "same") | {metric, verdict, change, noise}]}]' "$d/slow.json")" || return 1

	echo "== the report"
	printf '[limit tiny]\nrevoke_to_quiesce_ns.p99 = <= 500ms\n' >"$d/jobs/limits.ini"
	p2pbench report -o "$d/report" --title "lab: a slower importer" -t "$ANALYZE_THRESHOLDS" --qualify "$d/jobs/limits.ini" \
		--baseline "$d/base" "$d/slow"
	rc=$?
	[ $rc = 1 ] || fail "the report of a regression exited $rc, expected 1" || return 1
	grep -q 'class="v-regression">regression' "$d/report/index.html" || fail "the report shows no regression" || return 1
	grep -q 'class="banner v-PASS">PASS' "$d/report/index.html" || fail "the qualification is not PASS" || return 1
	grep -q '>3 regressions' "$d/report/index.html" || fail "the report's comparison is not compare's"
}

# The LAVA test definition's step (scripts/lava/dut-run.sh) on the lab as a
# DUT, with a stand-in lava-test-case that records its calls: every job and
# every KTAP result becomes a test case, the report and the archive are written.
check_lava_dut_run() {
	local d=$OUT/lava rc
	rm -rf "$d" && mkdir -p "$d/bin" "$d/jobs"
	printf '#!/bin/sh\n# lava-test-case NAME --result RESULT, as LAVA calls it\n[ "$2" = --result ] || exit 2\necho "$1 $3" >>"$LAVA_CASES"\n' \
		>"$d/bin/lava-test-case"
	chmod +x "$d/bin/lava-test-case"
	analyze_tiny_job 0 "$d/jobs/tiny.ini"
	PATH=$d/bin:$PATH LAVA_CASES=$d/cases SKIP_INSTALL=true JOBS=$d/jobs/tiny.ini JOB_ARGS="--bind --quiet" \
		RESULTS=$d/results "$HERE/../../scripts/lava/dut-run.sh"
	rc=$?
	[ $rc = 0 ] || fail "dut-run.sh exited $rc" || return 1
	cat "$d/cases"
	grep -qx 'p2pbench.job.tiny pass' "$d/cases" || fail "no passing job case" || return 1
	grep -qx 'p2pbench.tiny.revoke.tiny pass' "$d/cases" || fail "no case for the KTAP result" || return 1
	grep -qx 'p2pbench.tiny.revoke.tiny.C1_trigger_waits pass' "$d/cases" ||
		fail "no case for the nested C1 result" || return 1
	[ "$(grep -c . "$d/cases")" = "$(($(grep -cE '^ *(not )?ok ' "$d"/results/*/01-tiny/result.ktap) + 1))" ] ||
		fail "not one case per KTAP result plus the job" || return 1
	ls "$d"/results/*/report/index.html "$d"/results/*.tar.gz >/dev/null || fail "no report or archive"
}
