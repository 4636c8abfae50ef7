# shellcheck shell=bash
# Lab checks of revoke under real P2P load: the traffic NVMe ($TRAFFIC,
# p2pbench_nvme) reads and writes through the exporter's CMB while every
# trigger revokes it (kmod io=). Sourced by guest-suite-stock.sh;
# tests/lab/checks.list names the checks.

LOAD_IMP="kmod:dev=$TRAFFIC"

# p2pbench revoke under load into OUT/NAME.json; the traffic device is left unbound
load_run() {
	local name=$1 spec=$2; shift 2
	p2pbench revoke --device $EXP --bind --size 4M --importer "$spec" --dwell 200ms \
		--json "$OUT/$name.json" "$@" || fail "p2pbench revoke exited $?" || return 1
	jq -c '.cases[] | {name, status, load: .summary.load, dma: .summary.dma}' "$OUT/$name.json"
	[ -z "$(driver_of $TRAFFIC)" ] || fail "$TRAFFIC left bound to $(driver_of $TRAFFIC)"
}

# Every measured iteration of a case: data before and after, none while
# revoked, a last completion before the first, no I/O error, a timeline.
LOAD_CASE_OK='.status == "pass" and
	all(.iterations[] | select(.warmup | not);
		.dma.before.bytes > 0 and .dma.after.bytes > 0 and .dma.during.bytes == 0 and
		.load.revoked_bytes == 0 and .load.io_errors == 0 and .load.io_timeouts == 0 and
		.load.stall_ns > 0 and .load.first_completion_ns > .load.last_completion_ns and
		.load.first_io_after_unrevoke_ns != null and
		.load.timeline.bin_ns == 10000000 and (.load.timeline.bytes | length) > 50 and
		(.load.timeline.bytes | add) > 0)'
LOAD_FLOWS="all(.cases[]; $LOAD_CASE_OK)"

# reads into the CMB across every trigger (the qualification matrix's
# nvme-load cases); C4 judged on the load's fences; every block of the CMB
# holds the device's block of the same offset after each iteration (C8); PASS.
# The matrix only reads: the namespace keeps its blocks for the checks after it.
check_load_revoke_triggers() {
	local sel='[.cases[] | select(.name | startswith("nvme-load/"))]'
	run_matrix
	grep -A3 "^nvme-load" "$OUT/matrix.out"
	[ "$(jq "$sel | length" "$OUT/matrix.json")" = 6 ] || fail "not one nvme-load case per trigger" || return 1
	jq -e "$sel | all(.[]; $LOAD_CASE_OK and .verdict.clauses.C4 == \"pass\" and .verdict.clauses.C8 == \"pass\" and
		all(.iterations[]; .data.blocks == 512 and .data.bad_blocks == 0 and .data.device_blocks == 512 and
			.data.filled_blocks == 512 and .data.missing_blocks == 0))" \
		"$OUT/matrix.json" >/dev/null ||
		fail "traffic did not stop and resume cleanly: $(jq -c "$sel | [.[] | {name, status,
			it: [.iterations[] | {d: .dma.during.bytes, l: (.load | del(.timeline))}]}]" "$OUT/matrix.json")" ||
		return 1
	# where the devices sit: the exporter behind its root port, the kernel's route to the traffic NVMe
	jq -e "$sel | all(.[]; .topology.path[-1].bdf == \"$EXP\" and .topology.path[0].port == \"root-port\" and
		.importers[0].route.map == \"through-host-bridge\" and .importers[0].route.distance == 4)" \
		"$OUT/matrix.json" >/dev/null || fail "topology: $(jq -c "$sel | .[0] | {topology, route: .importers[0].route}" \
		"$OUT/matrix.json")"
}

# one page (PRP1), two pages (PRP2), 512 KiB (a PRP list of 127 entries; QEMU's MDTS), a rate cap
check_load_block_sizes() {
	local bs rate
	for bs in 4k:read 8k:write 512k:rw; do
		# 512 KiB: a 4 KiB read load rewrites all of it well within the after-window
		load_run "load-${bs%%:*}" "$LOAD_IMP,io=${bs#*:},bs=${bs%%:*},qd=4" --trigger mem-off --iterations 1 \
			--verify 1 --size 512k || return 1
		jq -e "$LOAD_FLOWS and all(.cases[].iterations[]; .data.blocks == 128 and .data.bad_blocks == 0)" \
			"$OUT/load-${bs%%:*}.json" >/dev/null || fail "bs=${bs%%:*}: traffic or data wrong" || return 1
	done
	# writes: read back from the device at the end, every block its own
	jq -e '.cases[0] | .verdict.clauses.C8 == "pass" and .device_readback.blocks == 128 and
		.device_readback.bad_blocks == 0' "$OUT/load-8k.json" >/dev/null ||
		fail "io=write: the device's blocks were not read back intact: $(jq -c '.cases[0].device_readback' \
			"$OUT/load-8k.json")" || return 1
	# reads: every block of the CMB holds the traffic device's block of the same offset, and the
	# importer recorded a read into each since the fill
	jq -e 'all(.cases[].iterations[]; .data.device_blocks == 128 and .data.filled_blocks == 128 and
		.data.missing_blocks == 0)' "$OUT/load-4k.json" >/dev/null ||
		fail "io=read did not bring every block of the device: $(jq -c '[.cases[].iterations[].data]' \
			"$OUT/load-4k.json")" || return 1
	load_run load-rate "$LOAD_IMP,io=read,bs=4k,qd=8,rate=1m" --trigger mem-off --iterations 1 || return 1
	rate=$(jq '.cases[0].summary.dma.before.bytes_per_s' "$OUT/load-rate.json")
	[ "$rate" -gt 0 ] && [ "$rate" -le $((1024 * 1024 * 11 / 10)) ] ||
		fail "rate=1m moved $rate B/s before the trigger" || return 1
}

# a load that keeps going after the invalidate: the IOMMU stops it, reported as an injected fault
check_load_after_unmap_faults() {
	load_run load-bad "$LOAD_IMP,io=read,dma-after-unmap=1" --trigger mem-off --iterations 2 || return 1
	jq -e '.cases[0] | .status == "pass" and .iommu_fault_irqs > 0 and .summary.load.revoked_bytes > 0 and
		(.verdict.injected_importer_faults[] | select(.fault == "dma-after-unmap") |
		 .caught_by == "IOMMU faults")' "$OUT/load-bad.json" >/dev/null ||
		fail "the misbehaving load was not caught or not reported: $(jq -c '.cases[0] |
			{status, iommu_fault_irqs, load: .summary.load, inj: .verdict.injected_importer_faults}' \
			"$OUT/load-bad.json")"
}

# exit 2, the reason once, no iteration run; nothing left bound
load_refused() {
	local want=$1 err rc; shift
	err=$(p2pbench revoke --device $EXP --bind --trigger mem-off --iterations 1 "$@" 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && [ "$(grep -c -- "$want" <<<"$err")" = 1 ] && ! grep -q "^progress" <<<"$err" ||
		fail "$*: rc=$rc, not the one clear error '$want'" || return 1
	[ -z "$(driver_of $EXP)" ] || fail "$*: left $EXP bound to $(driver_of $EXP)" || return 1
}

check_load_bad_input() {
	local i
	load_refused "no PCI device 0000:0f:00.0" --importer kmod:dev=0000:0f:00.0,io=read || return 1
	load_refused "qd=0: expected qd=1..63" --importer "$LOAD_IMP,io=read,qd=0" || return 1
	load_refused "bs=6k: expected bs=SIZE" --importer "$LOAD_IMP,io=read,bs=6k" || return 1
	load_refused "is not an NVMe controller" --importer "kmod:dev=$IMP,io=read" || return 1
	load_refused "larger than the largest transfer the controller takes" --importer "$LOAD_IMP,io=read,bs=1m" ||
		return 1
	[ -z "$(driver_of $TRAFFIC)" ] || fail "left $TRAFFIC bound" || return 1
	load_refused "range= is larger than the dma-buf's mapping" --size 1M \
		--importer "$LOAD_IMP,io=read,range=2m" || return 1
	[ -z "$(driver_of $TRAFFIC)" ] || fail "a failed start left $TRAFFIC bound" || return 1
	# held by the kernel's nvme driver: never taken, left where it was (nvme
	# probes asynchronously; the exporter is kept away from it)
	echo none >/sys/bus/pci/devices/$EXP/driver_override
	modprobe nvme
	echo >/sys/bus/pci/devices/$EXP/driver_override
	for i in $(seq 50); do [ "$(driver_of $TRAFFIC)" = nvme ] && break; sleep 0.1; done
	[ "$(driver_of $TRAFFIC)" = nvme ] || fail "could not give $TRAFFIC to nvme" || return 1
	load_refused "is bound to nvme" --importer "$LOAD_IMP,io=read" || return 1
	[ "$(driver_of $TRAFFIC)" = nvme ] || fail "$TRAFFIC was taken from nvme" || return 1
	echo $TRAFFIC >/sys/bus/pci/drivers/nvme/unbind
}

# the module's own checks of a load request, and an unbind while a load runs
check_load_kernel_input() {
	local sysd=/sys/bus/pci/devices/$TRAFFIC s
	imp_setup || return 1
	echo p2pbench_nvme >$sysd/driver_override && echo $TRAFFIC >/sys/bus/pci/drivers_probe
	[ "$(driver_of $TRAFFIC)" = p2pbench_nvme ] || fail "$TRAFFIC did not bind to p2pbench_nvme" || return 1
	for s in load-input load-remove; do
		importer_probe $s $EXP $TRAFFIC || fail "importer_probe $s failed (see the log)" || return 1
	done
	[ -z "$(driver_of $TRAFFIC)" ] || fail "$TRAFFIC still bound after the unbind" || return 1
	echo >$sysd/driver_override
	klog_clean && imp_unload
}

# the benchmark runs end to end and writes every figure (speed is its output, not asserted)
check_bench_p2p_vs_fio() {
	SIZES=64k DIRS="read write" DURATION=1 "$ROOT/bench/p2p-vs-fio.sh" "$OUT/p2p-vs-fio.json" ||
		fail "bench/p2p-vs-fio.sh exited $?" || return 1
	jq -e '.benchmark == "p2p-vs-fio" and (.rows | length) == 2 and
		all(.rows[]; .ours_bytes_per_s > 0 and .ours_nobins_bytes_per_s > 0 and .fio_p2p_bytes_per_s > 0 and
		    .fio_host_bytes_per_s > 0 and .ratio_ours_vs_fio_p2p > 0 and .ratio_p2p_vs_host > 0 and
		    .ratio_bins_on_vs_off > 0)' "$OUT/p2p-vs-fio.json" >/dev/null ||
		fail "incomplete results: $(cat "$OUT/p2p-vs-fio.json")" || return 1
	[ -z "$(driver_of $EXP)$(driver_of $TRAFFIC)" ] || fail "the benchmark left a controller bound"
}
