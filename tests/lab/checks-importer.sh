# shellcheck shell=bash
# Lab checks of the test importer module itself (kernel/importer): fence
# mode, fences of device DMA, device removal, input validation, and the ways
# out of a revoke stuck on a never-unmapping importer. Sourced by
# guest-suite-stock.sh; tests/lab/checks.list names the checks. Scenarios the
# tools above the module cannot see run in tests/lab/importer_probe.c.

# The exporter on vfio-pci and the module loaded by us (unloaded by the check).
imp_setup() {
	modprobe vfio-pci && echo vfio-pci >"/sys/bus/pci/devices/$EXP/driver_override" &&
		echo $EXP >/sys/bus/pci/drivers_probe || { fail "cannot bind $EXP to vfio-pci"; return 1; }
	modprobe p2pbench_importer || { fail "cannot load p2pbench_importer"; return 1; }
	[ "$(driver_of $IMP)" = p2pbench_importer ] || { fail "$IMP is not bound to p2pbench_importer"; return 1; }
	KLOG_START=$(dmesg | wc -l)
}
# the kernel log since imp_setup
klog_new() { dmesg | tail -n +$((KLOG_START + 1)); }
klog_clean() {
	if klog_new | grep -E "WARNING:|BUG:|Oops|general protection|Call Trace"; then
		fail "the kernel log has a WARN/BUG/Oops"
		return 1
	fi
}
imp_unload() { rmmod p2pbench_importer || { fail "p2pbench_importer did not unload"; return 1; }; }
probe() { importer_probe "$1" $EXP $IMP || fail "importer_probe $1 failed (see the log)"; }
# every thread of the process has exited (gone, or a zombie leader waiting to
# be reaped; a leader is a zombie as soon as it exits, while another thread of
# its process may still be blocked, so each thread is looked at)
proc_gone() {
	local f s
	for f in /proc/"$1"/task/*/stat; do
		s=$(awk '{print $3}' "$f" 2>/dev/null)
		[ -z "$s" ] || [ "$s" = Z ] || return 1
	done
}

# dev= defaults to the exporter, which the module refuses to attach as
check_importer_own_device_only() {
	local err rc
	imp_setup || return 1
	probe input || return 1
	# no dev=: refused as bad input, before anything changes
	err=$(p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=0 --iterations 1 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "needs dev=BDF" <<<"$err" ||
		fail "no dev=: rc=$rc, not the one clear error" || return 1
	# dev= a function the module does not own (the exporter itself): a setup error, exit 2
	err=$(p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=0,dev=$EXP --iterations 1 \
		--bind 2>&1); rc=$?
	echo "$err"
	[ $rc = 2 ] && grep -q "must attach as a PCI function bound to p2pbench_importer" <<<"$err" &&
		grep -q "kmod:dev=BDF" <<<"$err" || fail "dev= not ours: rc=$rc, not the clear error" || return 1
	klog_clean && imp_unload
}

# fence=: the exporter's revoke waits for the importer's fence, not only for
# its unmap; two attachments' fences do not replace each other
check_importer_fence_hold() {
	imp_setup || return 1
	probe fence || return 1
	imp_unload || return 1
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=0,fence=300ms,dev=$IMP \
		--iterations 3 --json "$OUT/fence.json" || fail "revoke with fence=300ms failed" || return 1
	jq -c '[.cases[0].iterations[] | {trig: .trigger_ns, r2q: .revoke_to_quiesce_ns}]' "$OUT/fence.json"
	jq -e --argjson tol $((TOL_MS * 1000000)) '[.cases[0].iterations[] | select(.warmup | not)] |
		length == 3 and all(.trigger_ns >= 300000000 and .revoke_to_quiesce_ns < $tol)' "$OUT/fence.json" >/dev/null ||
		fail "the trigger did not wait >= 300 ms for the fence, or the unmap was not immediate" || return 1
	# the 600 ms fence is added first: with one shared fence context the
	# 100 ms one replaced it and the revoke returned after ~100 ms
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=0,fence=600ms,dev=$IMP \
		--importer kmod:delay=0,fence=100ms,dev=$IMP --iterations 2 --json "$OUT/fence2.json" ||
		fail "revoke with two fenced importers failed" || return 1
	jq -c '[.cases[0].iterations[].trigger_ns]' "$OUT/fence2.json"
	jq -e '[.cases[0].iterations[] | select(.warmup | not)] | length == 2 and all(.trigger_ns >= 600000000)' \
		"$OUT/fence2.json" >/dev/null || fail "a revoke returned before the longer of two attachments' fences" || return 1
	klog_clean
}

check_importer_fence_cancel() {
	imp_setup || return 1
	probe fence-detach || return 1
	klog_clean && imp_unload
}

check_importer_unmap_cancels_delay() {
	imp_setup || return 1
	probe unmap-cancel || return 1
	klog_clean && imp_unload
}

check_importer_dma_fences() {
	imp_setup || return 1
	probe dma || return 1
	klog_clean && imp_unload
}

check_importer_remove() {
	imp_setup || return 1
	probe remove || return 1
	klog_new | grep "tore down 1 attachment" || fail "no log line for the teardown at unbind" || return 1
	klog_clean && imp_unload
}

# Start stuck_importer in thread mode: sets PID (bash unsets SI_PID when the
# coproc ends), TID and the coproc SI.
stuck_thread_start() {
	local line state
	rm -f "$1"
	coproc SI { exec stuck_importer $EXP $IMP "$1" thread; }
	PID=$SI_PID
	read -r -t 30 line <&"${SI[0]}" || { fail "helper did not get ready"; return 1; }
	echo "$line"
	TID=${line##* }
	sleep 1
	state=$(awk '{print $3}' "/proc/$PID/task/$TID/stat")
	[ "$state" = D ] || { fail "the revoke thread is not blocked on the importer (state $state)"; return 1; }
	[ ! -e "$1" ] || { fail "the revoke returned while the importer held its mapping"; return 1; }
}

# the administrator's way out: release_withheld unmaps, the revoke returns
check_importer_release_knob() {
	local out="" line
	imp_setup || return 1
	stuck_thread_start /tmp/knob.marker || return 1
	echo 1 >/sys/module/p2pbench_importer/parameters/release_withheld ||
		fail "writing release_withheld failed" || return 1
	while read -r -t 30 line <&"${SI[0]}"; do
		echo "$line"
		out+="$line"$'\n'
		[[ $line == DONE* ]] && break
	done
	kill "$PID"; wait "$PID" 2>/dev/null
	grep -q "^DONE err=0" <<<"$out" || fail "the revoke did not return, or failed" || return 1
	[ "$(grep -c '^UNMAP' <<<"$out")" = 1 ] && grep -q "^UNMAP cause=released$" <<<"$out" ||
		fail "not exactly one unmap with cause release (4)" || return 1
	klog_new | grep "release_withheld: released 1 withheld mapping" ||
		fail "no log line for the release" || return 1
	klog_clean && imp_unload
}

# SIGKILL of a process whose own other thread waits in the revoke: its file
# is never released, so only the module watching its owner can unmap
check_importer_sigkill_escape() {
	local i
	imp_setup || return 1
	stuck_thread_start /tmp/sigkill.marker || return 1
	echo "revoke blocked in thread $TID of $PID; SIGKILL"
	kill -9 "$PID"
	for i in $(seq 100); do proc_gone "$PID" && break; sleep 0.1; done
	proc_gone "$PID" || { fail "a thread still there 10 s after SIGKILL: $(awk '{printf "%s %s ", $1, $3}' /proc/$PID/task/*/stat)"; return 1; }
	echo "every thread gone within $((i * 100)) ms"
	wait "$PID" 2>/dev/null
	klog_new | grep "the process is exiting, released the mapping it withheld" ||
		fail "no log line for the release by owner exit" || return 1
	klog_clean && imp_unload || return 1
	# the exporter's memory_lock is free again: a revoke runs to the end
	p2pbench revoke --device $EXP --trigger mem-off --importer kmod:delay=0,dev=$IMP --iterations 1 --quiet ||
		fail "the exporter is not usable after the escape"
}

# a non-leader thread's exec, and an exit that leaves the importer fd to a
# forked child (also one a tracer holds at its exit stop for 1 s), are not
# the owner's death: the mapping stays until the fd is closed (about 2 s
# later), not released by the module's owner watch
check_importer_owner_exec_fork() {
	local m d i
	imp_setup || return 1
	for m in exec fork fork-traced; do
		rm -f /tmp/owner-$m.marker
		stuck_importer $EXP $IMP /tmp/owner-$m.marker $m >/tmp/owner-$m.out 2>&1 &
		for i in $(seq 100); do [ -s /tmp/owner-$m.marker ] && break; sleep 0.1; done
		wait $! 2>/dev/null
		cat /tmp/owner-$m.out /tmp/owner-$m.marker
		d=$(sed -n 's/^revoke_returned_after_ns=\([0-9]*\) err=0$/\1/p' /tmp/owner-$m.marker 2>/dev/null)
		[ -n "$d" ] || fail "$m: the revoke did not return within 10 s" || return 1
		[ "$d" -ge 1500000000 ] || fail "$m: the revoke returned after $((d / 1000000)) ms: the mapping of a live process was released" || return 1
		echo "$m: the revoke returned after $((d / 1000000)) ms, when the fd was closed"
	done
	sleep 2.5	# the forked keeper is gone, its file closed
	! klog_new | grep "released the mapping it withheld" || fail "the owner watch released a mapping" || return 1
	klog_clean && imp_unload
}

# the importer module's NVMe driver (p2pbench_nvme) brings the traffic NVMe up
# by hand (admin queue, a polled I/O queue pair) and reads its self-naming
# blocks; an LBA out of range is an error, not silence; unbinding stops the
# controller and the module unloads
check_nvme_bringup() {
	local sysd=/sys/bus/pci/devices/$TRAFFIC b got
	KLOG_START=$(dmesg | wc -l)
	modprobe p2pbench_importer || fail "modprobe p2pbench_importer failed" || return 1
	echo p2pbench_nvme >$sysd/driver_override && echo $TRAFFIC >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink $sysd/driver)")" = p2pbench_nvme ] ||
		fail "the traffic NVMe did not bind to p2pbench_nvme: $(dmesg | grep p2pbench_nvme | tail -3)" || return 1
	klog_new | grep -q "p2pbench_nvme $TRAFFIC: controller up" || fail "no bring-up message" || return 1
	# blocks past the first 4 MiB: the load checks write fills into those
	for b in 1031 4096 16383; do
		echo $b >$sysd/read_block || fail "reading block $b failed" || return 1
		got=$(head -n1 $sysd/read_block)
		[ "$got" = "p2pbench traffic block $(printf %010d $b)" ] || fail "block $b reads '$got'" || return 1
	done
	echo 16384 >$sysd/read_block 2>/dev/null && fail "a read past the namespace succeeded" && return 1
	klog_new | grep -q "read of block 16384 failed: -5" || fail "the failed read was not reported" || return 1
	echo $TRAFFIC >/sys/bus/pci/drivers/p2pbench_nvme/unbind
	echo >$sysd/driver_override
	rmmod p2pbench_importer || fail "the importer module does not unload" || return 1
	klog_clean
}
