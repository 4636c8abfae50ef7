#!/usr/bin/env bash
# Lab checks with a deliberately broken vfio-pci (scripts/lab --vfio broken):
# the kernel's Debian source with tests/lab/broken-vfio/patches, never the
# user's patched variant. One fault at a time is selected at run time in
# /sys/module/vfio_pci_core/parameters/p2pb_fault; "none" behaves as stock.
# Each fault_NAME check proves that fault NAME really takes effect, from
# p2pbench's own JSON or the kernel, and puts the fault back to none (so does
# run_check's reset, tests/lab/lib.sh). Same bookkeeping as the other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/checks-rdma.sh"
. "$HERE/checks-stress.sh"
. "$HERE/broken.sh"
check_broken_loaded() {
	modprobe vfio-pci || fail "modprobe vfio-pci failed" || return 1
	modinfo -n vfio-pci-core | grep -q /updates/ || fail "the distribution's vfio-pci-core is loaded, not ours" || return 1
	[ "$(cat $FAULT)" = none ] || fail "p2pb_fault is '$(cat $FAULT)' by default, not none" || return 1
	echo bogus >$FAULT 2>/dev/null && fail "a bad fault name was accepted" && return 1
	[ ! -e /sys/module/vfio_pci_core/parameters/revoke_timeout_ms ] ||
		fail "kernel/vfio/patches are in the broken build" || return 1
}

# C1: the trigger returns while the importer (300 ms) still holds its mapping
check_fault_no_wait() {
	set_fault no-wait || fail "cannot select no-wait" || return 1
	revoke_json no-wait --trigger mem-off --importer kmod:delay=300ms,dev=$IMP --iterations 2
	set_fault none
	jq -e '[.cases[0].iterations[] | .trigger_ns < 150000000 and .mapped_at_trigger_return > 0] |
		length == 2 and all' "$OUT/no-wait.json" >/dev/null ||
		fail "the revoke still waited for the importer" || return 1
	verdict_fails no-wait C1 'mem-off returned after [0-9.]+ ms with 1 of 1 mapping\(s\) live and no revoke bound configured'
}

# C2: a map while the dma-buf is revoked succeeds
check_fault_map_while_revoked() {
	set_fault map-while-revoked || fail "cannot select map-while-revoked" || return 1
	revoke_json map-while-revoked --trigger mem-off --importer kmod:dev=$IMP --iterations 2
	set_fault none
	jq -e '[.cases[0].iterations[] | .map_while_revoked_errno == 0] | length == 2 and all' \
		"$OUT/map-while-revoked.json" >/dev/null || fail "a map while revoked still failed" || return 1
	verdict_fails map-while-revoked C2 'a map while revoked by mem-off succeeded'
}

# C3: the first revoke of the dma-buf waits for the importer (200 ms), the
# later ones return at once
check_fault_no_rearm() {
	set_fault no-rearm || fail "cannot select no-rearm" || return 1
	revoke_json no-rearm --trigger mem-off --importer kmod:delay=200ms,dev=$IMP --iterations 3
	set_fault none
	jq -e '.cases[0].iterations | length == 3 and .[0].trigger_ns >= 200000000 and
		(.[1:] | all(.trigger_ns < 100000000 and .mapped_at_trigger_return > 0))' \
		"$OUT/no-rearm.json" >/dev/null || fail "not: first revoke waits, later ones do not" || return 1
	verdict_fails no-rearm C3 'revoke 0 waited for the importers, revoke 1 did not: the wait was not re-armed' &&
		verdict_fails no-rearm C1 'with 1 of 1 mapping'
}

# C4: the fence wait after the invalidate is skipped. The kernel's proof: a
# kretprobe on dma_resv_wait_timeout sees calls from vfio_pci_dma_buf_move
# without the fault and none with it, with the DMA-driving importer running
# through the revoke. p2pbench's: a fence that outlives the importer's unmap
# signals after the trigger returned.
check_fault_no_fence_wait() {
	local tr=/sys/kernel/tracing n f
	echo '-:p2pbfault/fwait' >>$tr/kprobe_events 2>/dev/null
	echo 'r:p2pbfault/fwait dma_resv_wait_timeout' >>$tr/kprobe_events || fail "cannot add a kretprobe" || return 1
	echo 1 >$tr/events/p2pbfault/fwait/enable
	for f in none no-fence-wait; do
		set_fault $f || fail "cannot select $f" || break
		echo >$tr/trace
		revoke_json fence-$f --trigger mem-off --importer kmod:dma=4000,dev=$IMP --iterations 1 || break
		n=$(grep -c "vfio_pci_dma_buf_move" $tr/trace)
		echo "fault $f: $n fence waits from vfio_pci_dma_buf_move"
		eval "n_${f//-/_}=$n"
	done
	set_fault none
	echo 0 >$tr/events/p2pbfault/fwait/enable
	echo '-:p2pbfault/fwait' >>$tr/kprobe_events
	[ -f "$OUT/fence-no-fence-wait.json" ] || return 1
	[ "${n_none:-0}" -gt 0 ] || fail "no fence wait seen without the fault: the probe proves nothing" || return 1
	[ "${n_no_fence_wait:-1}" = 0 ] || fail "the fence wait still ran with no-fence-wait" || return 1
	! dmesg | grep -E "BUG:|Oops|general protection" || fail "the kernel log has a BUG/Oops" || return 1
	# the verdict: an importer that unmaps at once but whose fence signals 200 ms later
	set_fault no-fence-wait || fail "cannot select no-fence-wait" || return 1
	revoke_json fence-hold --trigger mem-off --importer kmod:fence=200ms,dev=$IMP --iterations 2
	set_fault none
	verdict_fails fence-hold C4 'fence\(s\) added before the invalidate had not signalled when the trigger returned \(still unsignalled [0-9.]+ ms after it\)'
}

# C5: static, non-revocable and non-p2p importers attach
check_fault_attach_any() {
	local r
	set_fault attach-any || fail "cannot select attach-any" || return 1
	p2pbench check --device $EXP --importer-dev $IMP --bind --ktap "$OUT/attach-any.ktap"
	echo $? >"$OUT/attach-any.rc"
	revoke_json attach-static --trigger mem-off --importer kmod:attach=static,dev=$IMP --iterations 1
	set_fault none
	for r in attach.static attach.nonrevocable attach.no_p2p contract.C5_refuse_unrevocable; do
		grep -q "^not ok [0-9]* $r\$" "$OUT/attach-any.ktap" || fail "$r is not 'not ok'" || return 1
	done
	grep -q "^ok [0-9]* attach.dynamic_and_map\$" "$OUT/attach-any.ktap" || fail "the good importer no longer attaches" || return 1
	[ "$(cat "$OUT/attach-any.rc")" = 1 ] || fail "p2pbench check exited $(cat "$OUT/attach-any.rc"), expected 1" || return 1
	verdict_fails attach-static C5 'a static importer was allowed to attach'
}

# C6: after close, the old dma-buf maps again; the importer's unmap and
# detach after the device is gone must not hurt the kernel
check_fault_close_unrevoke() {
	set_fault close-unrevoke || fail "cannot select close-unrevoke" || return 1
	revoke_json close-unrevoke --trigger close --importer kmod:dev=$IMP --iterations 2
	set_fault none
	jq -e '[.cases[0].iterations[] | .old_dmabuf_map_errno == 0] | length == 2 and all' \
		"$OUT/close-unrevoke.json" >/dev/null || fail "the old dma-buf still refused to map after close" || return 1
	! dmesg | grep -E "BUG:|Oops|general protection|refcount_t" || fail "the kernel log has a BUG/Oops/refcount warning" || return 1
	verdict_fails close-unrevoke C6 'a dma-buf of the closed device mapped again'
}

# C7: a WARN on every revoke, otherwise a correct revoke
check_fault_warn() {
	local w0 w1
	set_fault warn || fail "cannot select warn" || return 1
	w0=$(dmesg | grep -c "p2pbench fault injection: a WARN on revoke")
	revoke_json warn --trigger mem-off --importer kmod:delay=100ms,dev=$IMP --iterations 2
	w1=$(dmesg | grep -c "p2pbench fault injection: a WARN on revoke")
	set_fault none
	[ $((w1 - w0)) -ge 2 ] || fail "$((w1 - w0)) injected WARNs for 2 revokes" || return 1
	jq -e '.cases[0] | .kernel_log.warnings >= 2 and
		all(.iterations[]; .trigger_ns >= 100000000 and .mapped_at_trigger_return == 0)' \
		"$OUT/warn.json" >/dev/null || fail "p2pbench did not count the WARNs, or the revoke did not wait" || return 1
	verdict_fails warn C7 'forbidden kernel log message.*first: WARNING:' || return 1
	# the other clauses held: only C7 is blamed
	jq -e '.cases[0].verdict | .clauses.C1 == "pass" and .clauses.C3 == "pass" and
		all(.violations[]; .clause == "C7")' "$OUT/warn.json" >/dev/null || fail "a clause other than C7 was blamed"
}

# p2pbench rdma reads the kernel log as the revoke verdicts do: RDMA traffic
# runs while a revoke WARNs; the run that passed without the fault fails with it
check_fault_warn_rdma() {
	local fault rc want
	rxe_up || fail "rxe0 did not come up" || return 1
	for fault in none warn; do
		set_fault $fault || fail "cannot select $fault" || return 1
		p2pbench rdma -d $RXE -D 10s --json "$OUT/rdma-$fault.json" >"$OUT/rdma-$fault.log" 2>&1 &
		sleep 2
		revoke_json rdma-$fault --trigger mem-off --importer kmod:delay=100ms,dev=$IMP --iterations 1
		rc=0
		wait $! || rc=$?
		set_fault none
		cat "$OUT/rdma-$fault.log"
		want=0
		[ $fault = warn ] && want=1
		[ $rc = $want ] || fail "p2pbench rdma exited $rc with fault $fault, expected $want" || return 1
	done
	grep -q "the kernel logged 1 forbidden message(s) during the run, first: WARNING:" "$OUT/rdma-warn.log" &&
		jq -e '.kernel_log.warnings == 1 and .rdma.steps[0].data.bad_bytes == 0' "$OUT/rdma-warn.json" >/dev/null ||
		fail "the WARN is not what failed the run"
}

# C8: the exporter maps every dma-buf one page off; an NVMe load reads the
# traffic device's blocks through it; --verify finds block N's data in block N+1
check_fault_wrong_offset() {
	set_fault wrong-offset || fail "cannot select wrong-offset" || return 1
	revoke_json wrong-offset --trigger mem-off --size 2M --verify 1 \
		--importer kmod:dev=$TRAFFIC,io=read,bs=64k,qd=16 --iterations 2
	set_fault none
	verdict_fails wrong-offset C8 'blocks not intact; first: dma-buf 0 block 1 .*found .p2pbench traffic block 0000000000' ||
		return 1
	# a write load: the CMB keeps its fills; the device gets the block after each one
	set_fault wrong-offset || fail "cannot select wrong-offset" || return 1
	revoke_json wrong-offset-write --trigger mem-off --size 2M --verify 1 \
		--importer kmod:dev=$TRAFFIC,io=write,bs=64k,qd=16 --iterations 1
	set_fault none
	verdict_fails wrong-offset-write C8 'read back from the device: .*first: device block 0: found .p2pbench fill block 0000000001' ||
		return 1
	jq -e '.cases[0].verdict | .clauses.C1 == "pass" and .clauses.C4 == "pass" and
		all(.violations[]; .clause == "C8")' "$OUT/wrong-offset.json" >/dev/null ||
		fail "a clause other than C8 was blamed" || return 1
	[ -z "$(driver_of $TRAFFIC)" ] || fail "$TRAFFIC left bound"
}

# C8, data that never arrived: every map points the range's own length
# further into the CMB, so the read load's data lands outside the exported
# range and its commands complete as a success. Every block still names its
# own offset (it holds the fill), which alone passed before; but the
# importer completed a read into each since the fill, so each must hold
# the device's data, and none does.
check_fault_beyond_range() {
	set_fault beyond-range || fail "cannot select beyond-range" || return 1
	revoke_json beyond-range --trigger mem-off --size 2M --verify 1 \
		--importer kmod:dev=$TRAFFIC,io=read,bs=64k,qd=16 --iterations 2
	set_fault none
	jq -c '[.cases[0].iterations[].data]' "$OUT/beyond-range.json"
	verdict_fails beyond-range C8 '512 of 512 blocks read into since the fill lack the device.s data \(never arrived\); first: dma-buf 0 block 0 .*: read into since fill [0-9]+, holds .p2pbench fill block 0000000000 seq' ||
		return 1
	jq -e '.cases[0] | .verdict.clauses.C1 == "pass" and all(.verdict.violations[]; .clause == "C8") and
		all(.iterations[]; .data.bad_blocks == 0 and .data.device_blocks == 0 and .data.filled_blocks == 512 and
			.data.missing_blocks == 512 and .data.moved_bytes > 0)' "$OUT/beyond-range.json" >/dev/null ||
		fail "expected every block to name its offset, be filled by a read and miss the data, C8 alone failing" ||
		return 1
	[ -z "$(driver_of $TRAFFIC)" ] || fail "$TRAFFIC left bound"
}

# C9: the memory goes before the revoke on four paths, each revoke still
# waiting for its 50 ms importer. mem-off, d3hot and close: the importer
# reads the function as memory-disabled (D3hot) when it is invalidated.
# flr: a reset restores the config space before the revoke starts, so only
# the kernel's reset event shows it.
check_fault_late_revoke() {
	local t
	set_fault late-revoke || fail "cannot select late-revoke" || return 1
	for t in mem-off d3hot flr close; do
		revoke_json late-$t --trigger $t --importer kmod:delay=50ms,dev=$IMP --iterations 2 || break
	done
	set_fault none
	for t in mem-off d3hot flr close; do
		[ -f "$OUT/late-$t.json" ] || fail "no result for $t" || return 1
		jq -e '.cases[0] | .memory_watch == "kprobes" and all(.iterations[]; .trigger_ns >= 50000000 and
			.mapped_at_trigger_return == 0)' "$OUT/late-$t.json" >/dev/null ||
			fail "$t: the kernel side is not watched, or the revoke did not wait" || return 1
		jq -e '.cases[0].verdict | .clauses.C1 == "pass" and all(.violations[]; .clause == "C9")' 			"$OUT/late-$t.json" >/dev/null || fail "$t: a clause other than C9 was blamed" || return 1
	done
	verdict_fails late-mem-off C9 'invalidated [0-9.]+ ms into mem-off, after the exporter.s memory went away: the importer read the function as MEM=0 D0' &&
		verdict_fails late-d3hot C9 'invalidated [0-9.]+ ms into d3hot, .*(as MEM=1 D3hot|did power state D3hot)' &&
		verdict_fails late-flr C9 'invalidated [0-9.]+ ms into flr, after the exporter.s memory went away: the kernel did a function reset at [0-9.]+ ms' &&
		verdict_fails late-close C9 'invalidated [0-9.]+ ms into close, .*MEM=0'
}

# The cleanup on the last close invalidates and does not wait: p2pbench check
# is not all-ok, from case late.close alone. The close syscall itself lasts
# longer than the 50 ms importer (the function is reset and disabled after
# the cleanup), so the importer unmaps before it returns, but after the
# reset: C9 fails (C1 too when the close is quicker than the importer).
# Every other trigger's cases pass.
check_fault_close_no_wait() {
	set_fault close-no-wait || fail "cannot select close-no-wait" || return 1
	p2pbench check --device $EXP --importer-dev $IMP --bind --ktap "$OUT/close-no-wait.ktap"
	echo $? >"$OUT/close-no-wait.rc"
	set_fault none
	cat "$OUT/close-no-wait.ktap"
	[ "$(cat "$OUT/close-no-wait.rc")" = 1 ] || fail "p2pbench check exited $(cat "$OUT/close-no-wait.rc"), expected 1" || return 1
	grep -q '^not ok [0-9]* contract.C\(1_trigger_waits\|9_memory_live_until_unmapped\)$' "$OUT/close-no-wait.ktap" ||
		fail "neither contract.C1 nor contract.C9 is 'not ok'" || return 1
	grep -q '^# contract.C9_memory_live_until_unmapped: case late.close iteration 0: importer 0 dma-buf 0 was still mapped [0-9.]* ms into close, after the exporter.s memory went away' \
		"$OUT/close-no-wait.ktap" ||
		grep -q '^# contract.C1_trigger_waits: case late.close iteration 0: close returned after [0-9.]* ms with 1 of 1 mapping' \
		"$OUT/close-no-wait.ktap" || fail "no C1 or C9 evidence naming late.close" || return 1
	! grep '^# contract.C[19]_[a-z_]*: case' "$OUT/close-no-wait.ktap" | grep -v 'case \(late\|fence\).close ' ||
		fail "C1 or C9 failed on a path other than close" || return 1
}

# The same runs with the fault set to none (this build behaves as stock): every verdict PASS.
check_verdicts_pass_without_fault() {
	local n
	set_fault none || fail "cannot select none" || return 1
	revoke_json none-wait --trigger mem-off --importer kmod:delay=200ms,dev=$IMP --iterations 3 || return 1
	revoke_json none-close --trigger close --importer kmod:delay=50ms,dev=$IMP --iterations 2 || return 1
	revoke_json none-flr --trigger flr --importer kmod:delay=50ms,dev=$IMP --iterations 2 || return 1
	revoke_json none-d3hot --trigger d3hot --importer kmod:delay=50ms,dev=$IMP --iterations 2 || return 1
	revoke_json none-fence --trigger mem-off --importer kmod:fence=200ms,dev=$IMP --iterations 2 || return 1
	revoke_json none-verify --trigger mem-off --size 2M --verify 1 \
		--importer kmod:dev=$TRAFFIC,io=read,bs=64k,qd=16 --iterations 2 || return 1
	jq -e '.cases[0] | .verdict.clauses.C8 == "pass" and all(.iterations[]; .data.device_blocks == 512 and
		.data.filled_blocks == 512 and .data.missing_blocks == 0)' \
		"$OUT/none-verify.json" >/dev/null || fail "C8 not judged, or the load did not fill every block" || return 1
	jq -e '.cases[0] | .verdict.clauses.C4 == "pass" and all(.iterations[]; .trigger_ns >= 200000000)' \
		"$OUT/none-fence.json" >/dev/null || fail "C4 not judged, or the revoke did not wait for the fence" || return 1
	# C9 from both sides, on the paths late-revoke breaks
	for n in none-wait none-close none-flr none-d3hot; do
		jq -e '.cases[0] | .memory_watch == "kprobes" and .verdict.clauses.C9 == "pass" and
			all(.iterations[].attachments[]; .exporter_at_invalidate.memory_live and .exporter_at_unmap.memory_live)' \
			"$OUT/$n.json" >/dev/null || fail "$n: C9 not judged from both sides: $(jq -c '.cases[0] |
			{memory_watch, c9: .verdict.clauses.C9, a: [.iterations[].attachments[0] | {exporter_at_invalidate, exporter_at_unmap}]}' "$OUT/$n.json")" || return 1
	done
	for n in none-wait none-close none-flr none-d3hot none-fence none-verify; do
		[ "$(cat "$OUT/$n.rc")" = 0 ] && jq -e '.cases[0] | .status == "pass" and .verdict.outcome == "PASS" and
			(.verdict.violations | length) == 0' "$OUT/$n.json" >/dev/null ||
			fail "$n: exit $(cat "$OUT/$n.rc"), verdict $(jq -c .cases[0].verdict "$OUT/$n.json")" || return 1
	done
}

# A hung revoke (lost-completion: the wake-up of the revoke's wait is lost):
# mem-off never returns although the importer unmapped at once. The
# watchdog (3 s) reports C1 FAIL with the stuck task's kernel stack, the
# partial result and the KTAP bail-out are written, and p2pbench exits 1 at
# once while its stuck thread stays in the kernel, holding the device: the
# suite's last check on the NVMe functions (reset_exporter leaves them alone
# after). Stress on the traffic NVMe first, then revoke on the exporter.
check_watchdog_lost_completion() {
	local t0 t1 rc
	set_fault lost-completion || fail "cannot select lost-completion" || return 1
	touch "$OUT/exporter-stuck"	# from here on nothing may touch the two NVMe functions
	# stress first, on the traffic NVMe's BAR0 (a device of its own: one hang per device)
	t0=$(date +%s)
	timeout 90 p2pbench stress --device $TRAFFIC --bar 0 --size 16k --importer-dev $IMP --bind -D 60s --seed 1 \
		--workers 2 --triggers mem-off --quiesce-timeout 1s --watchdog 3s -q --json "$OUT/lost-stress.json" \
		--record "$OUT/lost-stress.replay.json"
	rc=$? t1=$(date +%s)
	echo "p2pbench stress exited $rc after $((t1 - t0)) s"
	[ $rc = 1 ] || fail "p2pbench stress exited $rc, expected 1 (and not 124: it hung)" || return 1
	[ $((t1 - t0)) -lt 45 ] || fail "p2pbench stress took $((t1 - t0)) s to report a 3 s watchdog" || return 1
	jq -e '.kernel_stuck and any(.stress.findings[]; test("^mem-off: C1 mem-off has not returned after [0-9.]+ s, every importer unmapped; stuck in .*vfio_pci_dma_buf_move"))' \
		"$OUT/lost-stress.json" >/dev/null || fail "stress: no hung-revoke finding: $(jq -c .stress.findings "$OUT/lost-stress.json")" || return 1
	t0=$(date +%s)
	timeout 90 p2pbench revoke --device $EXP --bind --warmup 0 --trigger mem-off --importer kmod:dev=$IMP \
		--iterations 3 --watchdog 3s --json "$OUT/lost.json" --ktap "$OUT/lost.ktap"
	rc=$? t1=$(date +%s)
	echo $rc >"$OUT/lost.rc"
	echo none >$FAULT
	echo "p2pbench exited $rc after $((t1 - t0)) s"
	cat "$OUT/lost.ktap"
	[ $rc = 1 ] || fail "p2pbench exited $rc, expected 1 (and not 124: it hung)" || return 1
	[ $((t1 - t0)) -lt 45 ] || fail "p2pbench took $((t1 - t0)) s to report a 3 s watchdog" || return 1
	jq -c '{kernel_stuck, c: .cases[0] | {status, v: .verdict.violations, stuck: .iterations[0].stuck}}' "$OUT/lost.json"
	jq -e '.kernel_stuck and (.cases[0] | .status == "fail" and (.iterations | length) == 1 and
		(.iterations[0] | .trigger_returned == false and .stuck.after_ns >= 3000000000 and .stuck.mapped == 0 and
			any(.stuck.kernel_stack[]; . == "vfio_pci_dma_buf_move")))' "$OUT/lost.json" >/dev/null ||
		fail "the result does not hold the hung trigger with its stack" || return 1
	verdict_fails lost C1 'mem-off has not returned after [0-9.]+ s, every importer unmapped [0-9.]+ s before; stuck in .*vfio_pci_dma_buf_move' ||
		return 1
	grep -q '^Bail out! a revoke trigger is stuck in the kernel' "$OUT/lost.ktap" || fail "no KTAP bail-out" || return 1
	# its stuck part is still in the revoke, in D state: the lab powers off under it (and says so)
	grep -l vfio_pci_dma_buf_move /proc/[0-9]*/task/[0-9]*/stack 2>/dev/null | head -1 | grep -q . ||
		fail "no task is left in the revoke: what did the watchdog see?"
}

# last: the faults break the contract, never the kernel
echo "broken lab suite on $(uname -r)"
run_suite broken
exit 0
