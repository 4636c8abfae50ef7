#!/usr/bin/env bash
# Every lab check with the distribution's vfio-pci, run inside one guest
# (tests/lab/run.sh boots it). Each check_* function writes its log; its
# outcome goes to OUT/NAME.status as "pass", "fail: why" or "skip: why",
# which tests/lab/result.sh reports.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/checks-importer.sh"
. "$HERE/checks-load.sh"
. "$HERE/checks-rdma.sh"
. "$HERE/checks-stress.sh"
. "$HERE/checks-analyze.sh"

check_export_errno() {
	p2pbench check --device $EXP --importer-dev $IMP --bind --ktap "$OUT/check.ktap" --json "$OUT/check.json"
	echo $? >"$OUT/check.rc"
	cat "$OUT/check.ktap"
	for r in export.whole_bar export.page_at_offset export.unaligned_length export.unaligned_offset \
		export.zero_length export.past_bar export.no_ranges export.rom_region; do
		ktap_ok $r || return 1
	done
	[ "$(jq -r '.checks[] | select(.name=="export.rom_region") | .errno' "$OUT/check.json")" = $ENODEV ] ||
		fail "ROM region errno is not ENODEV"
}

check_attach_refused() {
	[ -f "$OUT/check.ktap" ] || fail "p2pbench check did not run" || return 1
	for r in attach.static attach.nonrevocable attach.no_p2p attach.dynamic_and_map; do
		ktap_ok $r || return 1
	done
}

# results say which machine made them: Debian's prebuilt kernel, QEMU 7.2
check_machine_recorded() {
	p2pbench doctor --json "$OUT/doctor.json" >/dev/null
	machine_recorded "$OUT/doctor.json" stock
}

# QEMU 7.2 keeps the exporter's BARs live in D3hot (the d3hot trigger then
# exercises the guest's VFIO path only); QEMU 11 gates them (lab.qemu11,
# and this check when the whole suite runs there: lab.qemu11stock)
check_d3hot_bars() {
	d3hot_bars "$(d3hot_bars_on_this_machine)"
}

# the lab's devices where docs/lab.md says; the traffic NVMe's blocks name themselves
check_lab_topology() {
	local d b dev= i
	for d in $EXP $TRAFFIC; do
		[ "$(cat /sys/bus/pci/devices/$d/class 2>/dev/null)" = 0x010802 ] ||
			fail "$d is not there as an NVMe controller" || return 1
	done
	[ "$(cat /sys/bus/pci/devices/$IMP/vendor):$(cat /sys/bus/pci/devices/$IMP/device)" = 0x1234:0x11e8 ] ||
		fail "$IMP is not QEMU edu" || return 1
	[ "$(readlink /sys/bus/pci/devices/$EXP/iommu_group)" != "$(readlink /sys/bus/pci/devices/$TRAFFIC/iommu_group)" ] ||
		fail "the exporter and the traffic device share an IOMMU group" || return 1
	modprobe nvme
	# the namespace's name depends on probe order: find it by the controller's serial
	for i in $(seq 50); do
		for b in /sys/block/nvme*n1; do
			[ "$(tr -d ' ' <"$b/device/serial" 2>/dev/null)" = p2pbench1 ] && dev=${b##*/}
		done
		[ -n "$dev" ] && break
		sleep 0.1
	done
	[ -n "$dev" ] || fail "no namespace of the traffic device appeared" || return 1
	for b in 0 7 16383; do
		dd if=/dev/$dev bs=4096 skip=$b count=1 2>/dev/null | head -c 34 | grep -qx "p2pbench traffic block $(printf %010d $b)" ||
			fail "block $b of /dev/$dev does not name itself: $(dd if=/dev/$dev bs=4096 skip=$b count=1 2>/dev/null | head -c 40)" ||
			return 1
	done
	echo "traffic device $TRAFFIC: /dev/$dev, blocks 0, 7 and 16383 verified"
}

# every contract clause exercised and held; the known kernel bugs reported as XFAIL
check_contract_clauses() {
	local c
	[ -f "$OUT/check.ktap" ] || fail "p2pbench check did not run" || return 1
	[ "$(cat "$OUT/check.rc")" = 0 ] || fail "p2pbench check exited $(cat "$OUT/check.rc")" || return 1
	for c in C1_trigger_waits C2_no_map_while_revoked C3_remap_and_rearm C4_fences_retired \
		C5_refuse_unrevocable C6_close_stays_revoked C7_kernel_log_clean C9_memory_live_until_unmapped; do
		ktap_ok contract.$c || return 1
	done
	# C1 and C9 judged on every trigger path by a late importer, C4 by a fence
	for c in late:C1_trigger_waits late:C9_memory_live_until_unmapped fence:C4_fences_retired; do
		grep -q "^# contract.${c#*:} judged in: \(.* \)\?${c%%:*}.flr .*${c%%:*}.mem-off .*${c%%:*}.d3hot .*${c%%:*}.low-power .*${c%%:*}.hot-reset .*${c%%:*}.close" \
			"$OUT/check.ktap" ||
			fail "contract.${c#*:} not judged on every trigger: $(grep "contract.${c#*:} judged" "$OUT/check.ktap")" || return 1
	done
	for c in sysfs_reset_revokes low_power_export_starts_revoked implicit_wakeup_unrevokes; do
		grep -q "^ok [0-9]* conformance.$c # XFAIL known kernel bug" "$OUT/check.ktap" ||
			fail "conformance.$c is not the known kernel bug: $(grep -F "conformance.$c" "$OUT/check.ktap")" || return 1
	done
	grep -q "^# Totals: pass:20 fail:0 xfail:3 xpass:0 skip:0 error:0" "$OUT/check.ktap" ||
		fail "totals: $(grep Totals "$OUT/check.ktap")"
}

for t in flr mem-off d3hot low-power hot-reset close; do
	for d in 0 200; do
		eval "check_revoke_${t//-/_}_delay$d() { revoke_case $t $d; }"
	done
done

# every case of the qualification matrix gave back what it took: fds, dma-bufs, module references
check_revoke_leaks() {
	run_matrix
	jq -e 'all(.cases[]; .leaks.grew == 0 and .leaks.kernel_dmabufs != null and .leaks.fds != null and
		.leaks.module_refs.p2pbench_importer != null)' "$OUT/matrix.json" >/dev/null ||
		fail "leaks: $(jq -c '[.cases[] | {name, leaks}]' "$OUT/matrix.json")" || return 1
	echo "$(jq '.cases | length' "$OUT/matrix.json") cases, nothing left behind; kernel dma-bufs after the last: $(
		jq '.cases[-1].leaks.kernel_dmabufs' "$OUT/matrix.json")"
}

# the limits: 1024 dma-bufs of one BAR, 64 importers on one dma-buf; each attachment unmapped, judged, given back
check_scale_limits() {
	local n
	for n in dmabufs:1024 count:64; do
		if [ ${n%%:*} = dmabufs ]; then
			p2pbench revoke --device $EXP --trigger mem-off --importer kmod:dev=$IMP --dmabufs 1024 --bind \
				--iterations 2 --json "$OUT/scale.json" --quiet
		else
			p2pbench revoke --device $EXP --trigger mem-off --importer kmod:dev=$IMP,count=64 --bind \
				--iterations 2 --json "$OUT/scale.json" --quiet
		fi
		jq -e --argjson n ${n#*:} '.cases[0] | .status == "pass" and .leaks.grew == 0 and
			all(.iterations[]; (.attachments | length) == $n and all(.attachments[]; .unmapped))' \
			"$OUT/scale.json" >/dev/null ||
			fail "$n: $(jq -c '.cases[0] | {status, verdict: .verdict.violations, leaks,
				atts: [.iterations[] | .attachments | length]}' "$OUT/scale.json")" || return 1
		echo "$n: revoke-to-quiesce p50 $(jq '.cases[0].summary.revoke_to_quiesce_ns.p50' "$OUT/scale.json") ns"
	done
}

check_bad_input() {
	local err rc
	err=$(p2pbench revoke --device 0000:09:00.0 --trigger flr --importer kmod:dev=$IMP 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "no PCI device 0000:09:00.0" <<<"$err" ||
		fail "unknown BDF: rc=$rc '$err'" || return 1
	err=$(p2pbench revoke --device nonsense --trigger flr --importer kmod 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && grep -q "not a PCI address" <<<"$err" || fail "bad BDF: rc=$rc" || return 1
	err=$(p2pbench revoke --device $EXP --trigger unplug --importer kmod 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && grep -q "unknown trigger" <<<"$err" || fail "bad trigger: rc=$rc" || return 1
	printf '[x]\ntrigger=flr\nimporter=kmod\niterations=lots\n' >/tmp/bad.ini
	err=$(p2pbench revoke --job /tmp/bad.ini 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "iterations=lots" <<<"$err" ||
		fail "bad job file: rc=$rc" || return 1
	# a device on its kernel driver is refused without --bind, and left alone
	modprobe nvme
	sleep 1
	[ "$(driver_of $EXP)" = nvme ] || fail "nvme did not bind the exporter" || return 1
	err=$(p2pbench revoke --device $EXP --trigger flr --importer kmod:dev=$IMP 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && grep -q "bound to nvme" <<<"$err" && grep -q -- "--bind" <<<"$err" ||
		fail "device on nvme not refused: rc=$rc" || return 1
	[ "$(driver_of $EXP)" = nvme ] || fail "refusal changed the driver" || return 1
	lsmod | grep -q '^vfio_pci ' && fail "refusal loaded vfio-pci" || true
}

check_bind_restore() {
	local before_mods
	modprobe nvme
	sleep 1
	[ "$(driver_of $EXP)" = nvme ] || fail "nvme did not bind the exporter" || return 1
	# from no vfio module loaded: the run loads vfio-pci and what it needs
	# (vfio, vfio_iommu_type1, irqbypass), and must unload them all
	modprobe -r vfio_pci vfio_pci_core vfio_iommu_type1 vfio 2>/dev/null
	! lsmod | grep -q '^vfio' || fail "cannot unload the vfio modules before the run: $(lsmod | grep '^vfio')" ||
		return 1
	before_mods=$(lsmod | awk '{print $1}' | sort)
	p2pbench revoke --device $EXP --trigger flr --importer kmod:dev=$IMP --iterations 1 --bind --quiet ||
		fail "revoke with --bind failed" || return 1
	[ "$(driver_of $EXP)" = nvme ] || fail "exporter not given back to nvme (now '$(driver_of $EXP)')" || return 1
	[ "$(cat /sys/bus/pci/devices/$EXP/driver_override)" = "(null)" ] || fail "driver_override left set" || return 1
	diff <(echo "$before_mods") <(lsmod | awk '{print $1}' | sort) || fail "modules loaded by the run were left loaded" || return 1
	# an unbound device is left unbound
	echo $EXP >/sys/bus/pci/drivers/nvme/unbind
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:dev=$IMP --iterations 1 --bind --quiet ||
		fail "revoke with --bind (unbound device) failed" || return 1
	[ -z "$(driver_of $EXP)" ] || fail "unbound exporter left on '$(driver_of $EXP)'" || return 1
}

check_never_importer_released() {
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=never,dev=$IMP \
		--quiesce-timeout 500ms --iterations 2 --warmup 0 --bind --json "$OUT/never.json" || fail "run failed" || return 1
	jq '.cases[0].summary' "$OUT/never.json"
	jq -e '.cases[0] | .status == "pass" and .summary.forced_iterations == 2 and
		all(.iterations[]; .forced_unmap and .revoke_to_quiesce_ns >= 500000000 and
		    all(.attachments[]; .unmap_cause == "forced" and .injected_delay_ns == null)) and
		.verdict.outcome == "PASS" and .verdict.injected_importer_faults == [{"fault": "never-unmap",
		    "iterations": 2, "forced_releases": 2, "bounded_returns": 0,
		    "caught_by": "p2pbench'"'"'s forced release after the quiesce timeout"}]' "$OUT/never.json" >/dev/null ||
		fail "stuck importer not reported as an injected fault released by the quiesce timeout: $(jq -c .cases[0].verdict "$OUT/never.json")"
}

check_unload_with_stuck_importer() {
	local pid child line i
	modprobe vfio-pci && echo vfio-pci >/sys/bus/pci/devices/$EXP/driver_override &&
		echo $EXP >/sys/bus/pci/drivers_probe
	modprobe p2pbench_importer
	coproc STUCK { exec stuck_importer $EXP $IMP /tmp/stuck.marker; }
	pid=$STUCK_PID
	read -r -t 30 line <&"${STUCK[0]}" || { fail "helper did not get ready"; return 1; }
	child=${line#READY }
	echo "helper $pid, revoking child $child"
	sleep 1
	state=$(awk '{print $3}' /proc/$child/stat)
	[ "$state" = D ] || fail "the revoke is not blocked on the importer (child state $state)" || return 1
	[ ! -e /tmp/stuck.marker ] || fail "the revoke returned while the importer held its mapping" || return 1
	echo "revoke blocked as expected; killing the importer process"
	kill -9 "$pid"
	for i in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$child" 2>/dev/null && { fail "revoke still blocked 10 s after the importer died"; return 1; }
	cat /tmp/stuck.marker || { fail "child left no marker"; return 1; }
	grep -q "err=0" /tmp/stuck.marker || fail "the revoke failed" || return 1
	rmmod p2pbench_importer || fail "module did not unload" || return 1
	if dmesg | grep -E "WARNING:|BUG:|Oops|general protection|Call Trace"; then
		fail "the kernel log has a WARN/BUG/Oops"
	fi
}

check_interrupt_partial_results() {
	local pid rc i
	modprobe nvme
	sleep 1
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=200ms,dev=$IMP --iterations 200 \
		--bind --json "$OUT/interrupted.json" --ktap "$OUT/interrupted.ktap" --quiet &
	pid=$!
	sleep 4
	kill -INT $pid
	wait $pid; rc=$?
	echo "exit $rc"
	[ $rc = 130 ] || fail "exit status $rc after Ctrl-C, expected 130" || return 1
	jq -e '.interrupted == true and (.cases[0].iterations_measured >= 1) and
		(.cases[0].iterations_measured < 200) and (.cases[0].summary.revoke_to_quiesce_ns.count >= 1)' \
		"$OUT/interrupted.json" || fail "partial results missing or invalid" || return 1
	grep -q "Bail out!" "$OUT/interrupted.ktap" || fail "KTAP does not say it was interrupted" || return 1
	[ "$(driver_of $EXP)" = nvme ] || fail "exporter not given back to nvme after Ctrl-C" || return 1
	lsmod | grep -q '^p2pbench_importer ' && fail "importer module left loaded after Ctrl-C" || true
}

check_multi_importer_dmabufs() {
	# 3 importers on each of 2 dma-bufs: VFIO revokes dma-bufs one after the
	# other and waits for the slowest importer of each, so the total is the sum.
	p2pbench revoke --device $EXP --trigger mem-off --dmabufs 2 --size 2M \
		--importer kmod:delay=50ms,count=2,dev=$IMP --importer kmod:delay=100ms,dev=$IMP \
		--iterations 3 --bind --json "$OUT/multi.json" || fail "run failed" || return 1
	jq -e --argjson tol $((2 * TOL_MS * 1000000)) '.cases[0] | .status == "pass" and
		all(.iterations[]; (.attachments | length) == 6 and
		    .revoke_to_quiesce_ns >= 200000000 and .revoke_to_quiesce_ns < 200000000 + $tol)' "$OUT/multi.json" ||
		fail "revoke-to-quiesce is not the sum of the per-dma-buf slowest unmaps: $(jq -c '[.cases[0].iterations[].revoke_to_quiesce_ns]' "$OUT/multi.json")"
}

# kprobes on the stock vfio-pci, on the module's timeline: the kernel's
# invalidate precedes the module's invalidate stamp; the module stamps its
# unmap just before it calls into the exporter, so the kernel's unmap follows
# it (each pair within the bound)
check_trace_kprobes() {
	p2pbench trace --device $EXP --trigger mem-off --importer kmod:delay=50ms,dev=$IMP --iterations 3 \
		--bind --json "$OUT/trace.json" || fail "trace run failed" || return 1
	jq -e --argjson b $TRACE_BOUND_NS --argjson s $TRACE_SLACK_NS '[.cases[0].iterations[] | select(.warmup | not) |
		.attachments[0] as $a | ($a.trigger_to_invalidate_ns) as $inv |
		($inv + $a.invalidate_to_unmap_ns) as $unm |
		([.kernel_events[] | select(.event == "move" and (.args | test("revoked=1")))][0].t_ns) as $move |
		([.kernel_events[] | select(.event == "invalidate")][0].t_ns) as $kinv |
		([.kernel_events[] | select(.event == "unmap")][0].t_ns) as $kunm |
		($move != null and $kinv != null and $kunm != null and
		 $move - $s <= $kinv and $kinv - $s <= $inv and $inv - $kinv < $b and
		 $unm - $s <= $kunm and $kunm - $unm < $b)] | length == 3 and all' "$OUT/trace.json" >/dev/null ||
		fail "kprobe timestamps do not bracket the module's: $(jq -c '[.cases[0].iterations[] | {a: .attachments[0], k: .kernel_events}]' "$OUT/trace.json" | head -c 1500)"
}

# real DMA by edu into the exported CMB through the vIOMMU: a well-behaved
# importer's traffic flows before and after a revoke and never faults
check_dma_through_iommu() {
	p2pb_revoke_dma "kmod:delay=200ms,dev=$IMP,dma=4000" dma-good || return 1
	jq -e '.cases[0] | .status == "pass" and .iommu_fault_irqs == 0 and .kernel_log.dmar_faults == 0 and
		all(.iterations[]; .dma.before.bytes > 0 and .dma.after.bytes > 0 and .dma.stale_transfers == 0)' \
		"$OUT/dma-good.json" >/dev/null ||
		fail "DMA did not flow, or faulted: $(jq -c '[.cases[0].iterations[].dma], .cases[0].kernel_log' "$OUT/dma-good.json")"
}

# the legacy type1 path, a finding and never a verdict: the exporter's BAR
# mapped into edu's type1 container outlives every revoke (edu's writes
# after the undo land, no IOMMU fault ever); after an flr or a hot reset
# returned they land in the reset BAR, after mem-off the BAR drops them (on
# any machine; D3hot and close depend on the emulator); the report shows it
check_legacy_type1() {
	local before
	before=$(driver_of $IMP)
	p2pbench type1 --device $EXP --importer-dev $IMP --bind --json "$OUT/type1.json" ||
		fail "p2pbench type1 exited $?" || return 1
	jq -e '.legacy_type1 | .judged == false and ([.cases[].trigger] == ["flr", "mem-off", "d3hot", "low-power",
		"hot-reset", "close"]) and all(.cases[]; .landed.before == 3 and .landed.undone == 3 and
		.iommu_fault_irqs == 0) and
		all(.cases[] | select(.trigger == "flr" or .trigger == "hot-reset"); .landed.after == 3) and
		all(.cases[] | select(.trigger == "mem-off"); .tried.after == 3 and .landed.after == 0)' \
		"$OUT/type1.json" >/dev/null || fail "not the legacy path's finding: $(jq -c '[.legacy_type1.cases[] |
			{trigger, landed, tried, iommu_fault_irqs}]' "$OUT/type1.json")" || return 1
	rm -rf "$OUT/type1-report"
	p2pbench report -o "$OUT/type1-report" "$OUT/type1.json" || fail "p2pbench report exited $?" || return 1
	grep -q '^flr,3/3,.*no revoke reaches it' "$OUT/type1-report/csv/legacy-type1-0.csv" ||
		fail "the report has no legacy type1 table" || return 1
	[ "$(driver_of $IMP)" = "$before" ] || fail "$IMP left on '$(driver_of $IMP)', was on '$before'"
}

# a device that keeps writing to its IOVA after the unmap: the vIOMMU must
# fault, and p2pbench must count it
check_dma_after_revoke_faults() {
	p2pb_revoke_dma "kmod:delay=0,dev=$IMP,dma=4000,dma-after-unmap=1" dma-bad || return 1
	jq -e '.cases[0] | .status == "pass" and .iommu_fault_irqs > 0 and .kernel_log.dmar_faults > 0 and
		all(.iterations[]; .dma.stale_transfers > 0 and .dma.iommu_fault_irqs > 0) and
		(.verdict.injected_importer_faults[] | select(.fault == "dma-after-unmap") |
		 .caught_by == "IOMMU faults" and .stale_transfers > 0)' "$OUT/dma-bad.json" >/dev/null ||
		fail "stale DMA was not caught by the IOMMU or not reported: $(jq -c '[.cases[0].iterations[].dma], .cases[0].kernel_log' "$OUT/dma-bad.json")"
}

p2pb_revoke_dma() {
	p2pbench revoke --device $EXP --trigger mem-off --importer "$1" --iterations 2 --bind \
		--json "$OUT/$2.json" || fail "run failed" || return 1
	jq -c '.cases[0] | {status, iommu_fault_irqs, kernel_log, dma: .summary.dma}' "$OUT/$2.json"
}

echo "lab suite on $(uname -r), QEMU $(qemu_version_of_guest)"
run_suite stock
exit 0
