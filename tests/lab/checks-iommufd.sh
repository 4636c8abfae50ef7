# shellcheck shell=bash
# Lab checks of the iommufd engine (a real kernel importer: the edu function
# opened through its VFIO cdev, the exporter's dma-buf mapped into its IOAS
# with IOMMU_IOAS_MAP_FILE), sourced by the suites of kernels that have
# iommufd (debug, built). docs/importers.md.

# every trigger, judged with iommufd's meaning of the clauses: the kernel's
# own unmap (iopt_revoke_notify's return) before the trigger returned and
# edu's writes issued after it faulting and landing nowhere (C1),
# a map-file while revoked fails with ENODEV (C2), the area unmapped and
# mapped again after the un-revoke (C3); the importing function given back
# to the driver it had
check_iommufd_revoke() {
	local before
	before=$(driver_of $IMP)
	p2pbench revoke --device $EXP --trigger all --importer iommufd:dev=$IMP --iterations 3 --bind \
		--json "$OUT/iommufd.json" --ktap "$OUT/iommufd.ktap" || fail "p2pbench revoke exited $?" || return 1
	cat "$OUT/iommufd.ktap"
	[ "$(driver_of $IMP)" = "$before" ] || fail "$IMP left on '$(driver_of $IMP)', was on '$before'" || return 1
	jq -e '.cases[0].importers[0] | .kind == "iommufd" and .mapping == "IOMMU_IOAS_MAP_FILE"' "$OUT/iommufd.json" \
		>/dev/null || fail "the result does not describe an iommufd importer" || return 1
	jq -e '[.cases[].name] == ["flr", "mem-off", "d3hot", "low-power", "hot-reset", "close"] and
		all(.cases[]; .status == "pass" and .verdict.outcome == "PASS" and .verdict.clauses.C1 == "pass" and
		.verdict.clauses.C3 == "pass" and .iterations_measured == 3 and
		all(.iterations[]; .remap_ok and all(.attachments[]; .invalidated and .unmapped and
			.unmap_cause == "policy" and .invalidate_to_unmap_ns >= 0)))' "$OUT/iommufd.json" >/dev/null ||
		fail "not every trigger passed with iommufd's own invalidate and unmap: $(jq -c '[.cases[] |
			{name, status, verdict: .verdict.clauses}]' "$OUT/iommufd.json")" || return 1
	# edu's DMA: writes issued after every trigger returned faulted in the IOMMU and,
	# read back once mapped again, had landed nowhere
	jq -c '.cases[] | {name, dma: [.iterations[] | .dma | {stale_transfers, iommu_fault_irqs, stale_checks,
		stale_landed}]}' "$OUT/iommufd.json"
	# (a read-back runs once mapped again: a slow guest may count it in the next iteration)
	jq -e 'all(.cases[]; .importers[0].dma == "edu" and
		all(.iterations[]; .dma.stale_transfers >= 1 and .dma.iommu_fault_irqs >= 1 and .dma.stale_landed == 0) and
		([.iterations[].dma.stale_checks] | add >= 1) and
		.verdict.injected_importer_faults[0].caught_by == "IOMMU faults")' "$OUT/iommufd.json" >/dev/null ||
		fail "not every iteration's writes after the trigger faulted and landed nowhere" || return 1
	jq -e --argjson e $ENODEV '[.cases[] | select(.name == "mem-off" or .name == "d3hot" or
		.name == "low-power")] | all(.verdict.clauses.C2 == "pass" and
		all(.iterations[]; .map_while_revoked_errno == $e))' "$OUT/iommufd.json" >/dev/null ||
		fail "a map-file while revoked did not fail with ENODEV" || return 1
	jq -r '.cases[] | "\(.name): revoke-to-quiesce p50 \(.summary.revoke_to_quiesce_ns.p50) ns, invalidate->unmap p50 \(.summary.invalidate_to_unmap_ns.p50) ns"' \
		"$OUT/iommufd.json"
}

# iommufd and the test module on one dma-buf (iommufd through the traffic
# NVMe, which needs no driver of ours; the module on edu, unmapping 200 ms
# late): the exporter waits for the module, not for iommufd, whose unmap
# is its own and prompt; each importer's events are its own (a module's
# attach, made by the same thread, is not taken for iommufd's)
check_iommufd_beside_kmod() {
	p2pbench revoke --device $EXP --trigger mem-off,flr --importer iommufd:dev=$TRAFFIC \
		--importer kmod:delay=200ms,dev=$IMP --iterations 3 --bind --json "$OUT/iommufd-kmod.json" ||
		fail "p2pbench revoke exited $?" || return 1
	jq -c '.cases[] | {name, verdict: .verdict.outcome, importers: [.iterations[] | select(.warmup | not) |
		[.attachments[] | {importer, invalidate_to_unmap_ns}]]}' "$OUT/iommufd-kmod.json"
	jq -e '[.cases[0].importers[].kind] == ["iommufd", "kmod"]' "$OUT/iommufd-kmod.json" >/dev/null ||
		fail "the importers are not iommufd then kmod" || return 1
	jq -e 'all(.cases[]; .status == "pass" and .verdict.outcome == "PASS" and .iterations_measured == 3 and
		all(.iterations[] | select(.warmup | not); .revoke_to_quiesce_ns >= 200000000 and
			.trigger_ns >= 200000000 and
			(.attachments[] | select(.importer == 0) | .invalidated and .unmapped and
				.invalidate_to_unmap_ns < 100000000) and
			(.attachments[] | select(.importer == 1) | .unmapped and .invalidate_to_unmap_ns >= 200000000)))' \
		"$OUT/iommufd-kmod.json" >/dev/null ||
		fail "the exporter did not wait for the module alone, or iommufd did not unmap promptly on its own"
}

# the timeout sweep takes iommufd beside the test module in every cell
# (--beside): unbounded here (a bound needs kernel/vfio/patches), where the
# exporter waits for the module's delay and iommufd still unmaps at once
check_timeout_sweep_beside_iommufd() {
	p2pbench timeout-sweep -d $EXP --importer-dev $IMP --beside iommufd:dev=$TRAFFIC --triggers mem-off \
		--delays 200ms --timeouts 0 --iterations 2 --bind --json "$OUT/sweep-iommufd.json" -q ||
		fail "p2pbench timeout-sweep exited $?" || return 1
	jq -c '.cases[] | {name, it: [.iterations[] | [.attachments[] | {importer, invalidate_to_unmap_ns}]]}' \
		"$OUT/sweep-iommufd.json"
	jq -e '[.cases[]] | length == 1 and all(.[]; [.importers[].kind] == ["kmod", "iommufd"] and .status == "pass" and
		all(.iterations[]; .revoke_to_quiesce_ns >= 200000000 and
			(.attachments[] | select(.importer == 1) | .unmapped and .invalidate_to_unmap_ns < 100000000)))' \
		"$OUT/sweep-iommufd.json" >/dev/null || fail "not a sweep cell with iommufd beside the module, unmapping at once"
}
