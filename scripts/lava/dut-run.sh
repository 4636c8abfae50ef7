#!/usr/bin/env bash
# The step of scripts/lava/p2pbench.yaml, on the device under test: install,
# build, run the job files, report to LAVA. Parameters come from the test
# definition's params (environment): JOBS, JOB_ARGS, QUALIFY, RESULTS,
# SKIP_INSTALL. Runnable by hand as well (then it prints the cases).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/lib/common.sh
JOBS=${JOBS:-stress/jobs/lab-qualification.ini} JOB_ARGS=${JOB_ARGS:---bind} QUALIFY=${QUALIFY:-}
RESULTS=${RESULTS:-/var/lib/p2pbench} SKIP_INSTALL=${SKIP_INSTALL:-false}
case_result() {	# NAME RESULT: a LAVA test case, or a line when run by hand
	if command -v lava-test-case >/dev/null; then lava-test-case "$1" --result "$2"; else echo "$1 $2"; fi
}

if [ "$SKIP_INSTALL" != true ]; then
	apt_ensure "${P2PB_BUILD_DEPS[@]}" dkms gnuplot-nox jq "linux-headers-$(uname -r)"
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kernel/importer/dkms.conf)
	dkms remove -m p2pbench-importer -v "$ver" --all >/dev/null 2>&1
	if dkms add kernel/importer >/dev/null && dkms install -m p2pbench-importer -v "$ver" >/dev/null; then
		case_result p2pbench.install pass
	else
		case_result p2pbench.install fail
	fi
fi
# a DUT image may have p2pbench installed; else build it from this checkout
if ! command -v p2pbench >/dev/null; then
	if cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; then
		case_result p2pbench.build pass
	else
		case_result p2pbench.build fail
		exit 1
	fi
	export PATH=$root/build/bin:$PATH
fi
modprobe p2pbench_importer 2>/dev/null || true

run_id=$(date -u +%Y%m%d-%H%M%S)-$(uname -n)
out=$RESULTS/$run_id
mkdir -p "$RESULTS"
# shellcheck disable=SC2086 # JOBS and JOB_ARGS are lists
p2pbench run -o "$out" $JOBS -- $JOB_ARGS
rc=$?
echo "p2pbench run exited $rc; results in $out"
if [ ! -f "$out/index.json" ]; then
	case_result p2pbench.run fail	# bad job files: nothing ran
	exit 1
fi
# every job, then every KTAP line
for i in $(seq 0 $(($(jq '.jobs | length' "$out/index.json") - 1))); do
	# LAVA case names: [A-Za-z0-9._-]
	name=$(jq -r ".jobs[$i].name" "$out/index.json" | tr -c 'A-Za-z0-9._\n-' '_')
	status=$(jq -r ".jobs[$i].status" "$out/index.json")
	case_result "p2pbench.job.$name" $([ "$status" = done ] && echo pass || echo fail)
	ktap=$out/$(jq -r ".jobs[$i].dir" "$out/index.json")/result.ktap
	[ -f "$ktap" ] && scripts/lava/ktap-to-lava --suite "p2pbench.$name" "$ktap"
done
if [ -n "$QUALIFY" ]; then
	if p2pbench report -o "$out/report" --qualify "$QUALIFY" "$out"; then
		case_result p2pbench.qualification pass
	else
		case_result p2pbench.qualification fail
	fi
else
	p2pbench report -o "$out/report" "$out"
fi
echo "report: $out/report/index.html"
# LAVA keeps no files: the lab collects $out (docs/nightly.md); a tarball is easier to move
tar -C "$RESULTS" -czf "$out.tar.gz" "$run_id" && echo "results archive: $out.tar.gz"
