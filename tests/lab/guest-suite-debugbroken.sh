#!/usr/bin/env bash
# Lab checks of iommufd, the kernel's own importer, against a deliberately
# broken vfio-pci (scripts/lab --kernel debug --vfio broken: the debug
# kernel has iommufd and the VFIO cdev; tests/lab/broken-vfio): each
# judgement made with iommufd's meaning of a clause passes without a fault
# and fails under the fault that breaks it. Same bookkeeping as the other
# suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/broken.sh"
CHECK_TIMEOUT=900	# KASAN and lockdep under TCG

# OUT/$1.json: every iteration of its first case has probes after the
# trigger returned, read back once mapped again (a slow guest may count a
# read-back in the next iteration); $2: the jq test of what the read-backs
# found, over the case (.stale_landed: their sum)
probes_read_back() {
	jq -c '[.cases[0].iterations[] | .dma | {stale_transfers, iommu_fault_irqs, stale_checks, stale_landed}]' \
		"$OUT/$1.json"
	jq -e ".cases[0].iterations | length == 2 and all(.dma.stale_transfers >= 1) and
		([.[].dma.stale_checks] | add >= 1) and ({stale_landed: [.[].dma.stale_landed] | add} | $2)" \
		"$OUT/$1.json" >/dev/null
}

# no fault: edu's writes issued after the trigger returned fault in the
# IOMMU and land nowhere; the case passes (D3hot: QEMU 7.2 keeps the BARs
# decoding, so a surviving translation would let them land)
check_iommufd_without_fault() {
	set_fault none || fail "cannot select none" || return 1
	revoke_json iommufd-none --trigger d3hot --importer iommufd:dev=$IMP --iterations 2
	[ "$(cat "$OUT/iommufd-none.rc")" = 0 ] || fail "p2pbench exited $(cat "$OUT/iommufd-none.rc") without a fault" ||
		return 1
	probes_read_back iommufd-none '.stale_landed == 0' &&
		jq -e '.cases[0].iterations | all(.dma.iommu_fault_irqs >= 1)' "$OUT/iommufd-none.json" >/dev/null ||
		fail "not every iteration probed, faulted and found nothing landed"
}

# invalidate-mapped-only: iommufd never calls map_dma_buf, so its revoke
# skips the invalidate and its IOAS keeps translating the BAR: C1 fails
# from the trace (the mapping live at the return) and from the read-back
# (edu's writes after the return reached the BAR); the test module, which
# maps, is still invalidated and waited for
check_iommufd_fault_invalidate_mapped_only() {
	set_fault invalidate-mapped-only || fail "cannot select invalidate-mapped-only" || return 1
	revoke_json imo --trigger d3hot --importer iommufd:dev=$IMP --iterations 2 --quiesce-timeout 1s
	revoke_json imo-kmod --trigger d3hot --importer kmod:delay=100ms,dev=$IMP --iterations 2
	set_fault none
	probes_read_back imo '.stale_landed >= 1' || fail "no write after the trigger returned was found in the BAR" ||
		return 1
	verdict_fails imo C1 'reached the exporter.s memory: read back through the IOMMU' &&
		verdict_fails imo C1 'd3hot returned after [0-9.]+ ms with 1 of 1 mapping\(s\) live' || return 1
	[ "$(cat "$OUT/imo-kmod.rc")" = 0 ] || fail "the test module's case did not pass under the fault" || return 1
	jq -e '.cases[0].iterations | all(.revoke_to_quiesce_ns >= 100000000 and .mapped_at_trigger_return == 0)' \
		"$OUT/imo-kmod.json" >/dev/null || fail "the revoke did not wait for the test module's mapping"
}

# map-while-revoked reaches iommufd's map too: IOMMU_IOAS_MAP_FILE while
# revoked succeeds, C2 fails
check_iommufd_fault_map_while_revoked() {
	set_fault map-while-revoked || fail "cannot select map-while-revoked" || return 1
	revoke_json iommufd-mwr --trigger mem-off --importer iommufd:dev=$IMP --iterations 2
	set_fault none
	jq -e '[.cases[0].iterations[] | .map_while_revoked_errno == 0] | length == 2 and all' \
		"$OUT/iommufd-mwr.json" >/dev/null || fail "a map-file while revoked still failed" || return 1
	verdict_fails iommufd-mwr C2 'a map while revoked by mem-off succeeded'
}

echo "debug kernel, broken vfio-pci lab suite on $(uname -r)"
run_suite debugbroken
exit 0
