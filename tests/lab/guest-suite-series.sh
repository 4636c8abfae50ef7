#!/usr/bin/env bash
# Lab checks on a kernel built with a patch series on top (scripts/lab
# --kernel KIND:series=tests/lab/series/revoke-no-wait): judging a change
# under review end to end. The series touches the dma-buf core (a line in
# the kernel log on the first invalidate) and vfio-pci (a revoke no longer
# waits for its importers to unmap): p2pbench check must say the contract
# broke, with C1, and the results must name the series and its patches.
# Same bookkeeping as the other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# p2pbench check runs two cases on every trigger: minutes on the debug kernel
CHECK_TIMEOUT=900
. "$HERE/lib.sh"

# the series' vfio-pci change, judged: p2pbench check exits 1 with C1 not ok,
# from revokes that returned with mappings live; the dma-buf core's change
# shows in the kernel log
check_series_breaks_c1() {
	p2pbench check --device $EXP --importer-dev $IMP --bind --ktap "$OUT/check.ktap" --json "$OUT/check.json"
	echo $? >"$OUT/check.rc"
	cat "$OUT/check.ktap"
	[ "$(cat "$OUT/check.rc")" = 1 ] || fail "p2pbench check exited $(cat "$OUT/check.rc"), expected 1" || return 1
	grep -q '^not ok [0-9]* contract.C1_trigger_waits$' "$OUT/check.ktap" || fail "contract.C1 is not 'not ok'" || return 1
	grep -q '^# contract.C1_trigger_waits: case .* returned after [0-9.]* ms with [0-9]* of [0-9]* mapping' "$OUT/check.ktap" ||
		fail "no C1 evidence (a trigger returning with mappings live)" || return 1
	dmesg | grep -q 'dma-buf: first invalidate of a dma-buf (exporter vfio' ||
		fail "the series' dma-buf change is not in the running kernel (no 'first invalidate' line)"
}

# the results name the series and its patches, in order
check_series_recorded() {
	[ -f "$OUT/check.json" ] || fail "p2pbench check did not run" || return 1
	jq .host.kernel_build "$OUT/check.json"
	host_is "$OUT/check.json" '.kernel_build | .origin == "built" and .series.name == "revoke-no-wait" and
		.series.patches == ["dma-buf: say when the first dma-buf is invalidated",
			"vfio/pci: do not wait for importers to unmap on revoke"]'
}

echo "series lab suite on $(uname -r)"
run_suite series
exit 0
