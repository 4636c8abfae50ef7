# shellcheck shell=bash
# Shared by the lab suites: the devices, the tolerance, check bookkeeping and
# the revoke-case assertions. Sourced with OUT and BUILD set.
ROOT=$(cd "$HERE/../.." && pwd)
export PATH=$BUILD/bin:$PATH
mkdir -p "$OUT"
EXP=0000:01:00.0	# NVMe with a 64 MiB CMB (BAR2)
IMP=0000:02:00.0	# edu: the PCI function the test importer attaches as
TRAFFIC=0000:03:00.0	# a second NVMe: the traffic device (blocks name themselves)
# Tolerance above the injected unmap delay for revoke-to-quiesce under TCG
# (docs/methodology.md, "Tolerance in the lab").
TOL_MS=100
# A single iteration may stall longer under TCG (a 144 ms late timer was
# seen once in ~15 full runs); beyond this it is a hang, not noise.
STALL_MS=1000
# Kernel trace timestamps vs the importer module's own (docs/methodology.md,
# "Kernel events"): text trace output has 1 us resolution, hence the slack.
TRACE_BOUND_NS=20000000
TRACE_SLACK_NS=1000
ENODEV=19

fail() { echo "FAIL: $*"; echo "fail: $*" >"$OUT/$CUR.status"; return 1; }
skip() { echo "SKIP: $*"; echo "skip: $*" >"$OUT/$CUR.status"; return 0; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
# put the exporter and the traffic NVMe back on no driver, as the lab boots
# them (a check that failed half-way may have left one bound), and a vfio-pci
# with fault injection (scripts/lab --vfio broken) back on no fault
reset_exporter() {
	local d dev
	[ ! -w /sys/module/vfio_pci_core/parameters/p2pb_fault ] ||
		echo none >/sys/module/vfio_pci_core/parameters/p2pb_fault
	# a revoke of it is in the kernel for good: unbinding would wait for ever
	[ ! -e "$OUT/exporter-stuck" ] || return 0
	for dev in $EXP $TRAFFIC; do
		d=$(driver_of $dev)
		[ -n "$d" ] && echo $dev >"/sys/bus/pci/drivers/$d/unbind"
		echo >"/sys/bus/pci/devices/$dev/driver_override"
	done
	modprobe -r nvme vfio-pci 2>/dev/null
	true
}
# Run check_NAME with its output in OUT/NAME.log. A check that hangs (a
# stuck revoke is exactly what we test for) is stopped after CHECK_TIMEOUT
# seconds, with the kernel's blocked-task stacks added to its log, so the
# remaining checks still run.
CHECK_TIMEOUT=${CHECK_TIMEOUT:-300}
run_check() {
	local pid waited=0 started=$SECONDS
	CUR=$1
	echo "== $CUR"
	rm -f "$OUT/$CUR.status"
	( "check_${CUR//[.-]/_}" ) >"$OUT/$CUR.log" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 1; waited=$((waited + 1))
		if [ $waited -ge "$CHECK_TIMEOUT" ]; then
			echo w >/proc/sysrq-trigger
			{ echo "--- timed out after ${waited}s; blocked tasks:"; dmesg | tail -n 120; } >>"$OUT/$CUR.log"
			echo "fail: timed out after ${waited}s (blocked tasks in the log)" >"$OUT/$CUR.status"
			pkill -TERM -P $pid; kill -TERM $pid
			break
		fi
	done
	if wait $pid; then
		[ -f "$OUT/$CUR.status" ] || echo pass >"$OUT/$CUR.status"
	else
		[ -f "$OUT/$CUR.status" ] || echo "fail: exited non-zero (see log)" >"$OUT/$CUR.status"
	fi
	reset_exporter
	# the time each check takes, reset included: what keeps scripts/test inside its budget
	echo "   $(cat "$OUT/$CUR.status") ($((SECONDS - started)) s)"
}
# Run, in order, the checks of SUITE that tests/lab/checks.list names.
# SUITE's checks in checks.list order; a line "SUITE @OTHER" runs OTHER's.
suite_checks() {
	local s name
	while read -r s name; do
		[ "$s" = "$1" ] || continue
		case $name in @*) suite_checks "${name#@}" ;; *) echo "$name" ;; esac
	done < <(grep -v '^#' "$HERE/checks.list")
}

# Runs SUITE's checks; with P2PB_LAB_CHECKS="NAME..." set, only those (by
# hand: scripts/lab -- env P2PB_LAB_CHECKS=... tests/lab/guest-suite-SUITE.sh OUT BUILD).
run_suite() {
	local name
	reset_exporter
	for name in $(suite_checks "$1"); do
		[ -z "${P2PB_LAB_CHECKS:-}" ] || [[ " $P2PB_LAB_CHECKS " == *" $name "* ]] || continue
		run_check "$name"
	done
}
ktap_ok() { grep -qx "ok [0-9]* $1" "$OUT/check.ktap" || fail "$1 not ok: $(grep -F " $1" "$OUT/check.ktap")"; }

# The qualification matrix, run once; each revoke.TRIGGER.delayD check reads its case.
MATRIX_ITERATIONS=${MATRIX_ITERATIONS:-5}
run_matrix() {
	[ -f "$OUT/matrix.json" ] && return 0
	p2pbench revoke --job "$ROOT/stress/jobs/lab-qualification.ini" --iterations $MATRIX_ITERATIONS --bind \
		--json "$OUT/matrix.json" --ktap "$OUT/matrix.ktap" >"$OUT/matrix.out" 2>&1
	echo "matrix exit $?" >>"$OUT/matrix.out"
}

revoke_case() {
	local trig=$1 delay_ms=$2 case lo hi
	run_matrix
	cat "$OUT/matrix.out"
	case=$(jq -c --arg n "delay$delay_ms/$trig" '.cases[] | select(.name==$n)' "$OUT/matrix.json" 2>/dev/null)
	[ -n "$case" ] || fail "no case delay$delay_ms/$trig in the results" || return 1
	echo "$case" | jq '{status, reason, summary}'
	[ "$(jq -r .status <<<"$case")" = pass ] || fail "case status $(jq -r '.status + ": " + (.reason // "")' <<<"$case")" || return 1
	# the verdict judged the clauses this trigger exercises, and they held
	local judged='["C1","C3","C7","C9"]'
	case $trig in mem-off|d3hot|low-power) judged='["C1","C2","C3","C7","C9"]' ;; close) judged='["C1","C3","C6","C7","C9"]' ;; esac
	jq -e --argjson j "$judged" '.verdict.outcome == "PASS" and (.verdict.violations | length) == 0 and
		([.verdict.clauses | to_entries[] | select(.value == "pass") | .key] == $j)' <<<"$case" >/dev/null ||
		fail "verdict: $(jq -c .verdict <<<"$case")" || return 1
	[ "$(jq '.iterations_measured' <<<"$case")" = $MATRIX_ITERATIONS ] ||
		fail "not all $MATRIX_ITERATIONS iterations measured" || return 1
	lo=$((delay_ms * 1000000)) hi=$(((delay_ms + TOL_MS) * 1000000))
	# per measured iteration: injected delay <= revoke-to-quiesce < delay + tolerance,
	# the trigger syscall waited for the importer, every importer unmapped on its own
	# every iteration: delay <= revoke-to-quiesce < delay + STALL_MS and the trigger waited;
	# the median within delay + TOL_MS (docs/methodology.md, "Tolerance in the lab")
	jq -e --argjson lo $lo --argjson hi $hi --argjson stall $((lo + STALL_MS * 1000000)) \
		--argjson n $MATRIX_ITERATIONS '[.iterations[] | select(.warmup | not)] | length == $n and
		all(.revoke_to_quiesce_ns >= $lo and .revoke_to_quiesce_ns < $stall) and
		([.[].revoke_to_quiesce_ns] | sort | .[(length - 1) / 2 | floor]) < $hi and
		all(.trigger_ns >= $lo) and all(.remap_ok) and
		all(.[].attachments[]; .unmap_cause == "policy" and .injected_delay_ns == $lo)' <<<"$case" >/dev/null ||
		fail "revoke-to-quiesce below $delay_ms ms or above $delay_ms + $STALL_MS ms, its median not below $((delay_ms + TOL_MS)) ms, a trigger returned early, or an importer was forced: $(jq -c '[.iterations[] | {r2q: .revoke_to_quiesce_ns, trig: .trigger_ns}]' <<<"$case")" || return 1
	case $trig in
	mem-off|d3hot|low-power)
		jq -e --argjson e $ENODEV 'all(.iterations[]; .map_while_revoked_errno == $e)' <<<"$case" >/dev/null ||
			fail "a map while revoked did not fail with ENODEV" ;;
	close)
		jq -e --argjson e $ENODEV 'all(.iterations[]; .old_dmabuf_map_errno == $e)' <<<"$case" >/dev/null ||
			fail "a dma-buf of the closed device did not stay revoked (ENODEV)" || return 1 ;;
	esac
	# C9 from the kernel's side: each trigger's own way of taking the memory, seen after the last
	# unmap (low power suspends the function later, outside the trigger). Kernels built from source
	# (build, debug) have no BTF for the probes' arguments: there the result says why, and the
	# importer's side judges alone.
	local gone='a function reset'
	case $trig in
	mem-off) gone='a PCI_COMMAND write of 0x[0-9a-f]+ \(memory disabled\)' ;;
	d3hot) gone='power state D3hot' ;; hot-reset) gone='a reset of bus ' ;; low-power) gone='' ;;
	esac
	if [ "${P2PB_LAB_KERNEL:-stock}" != stock ]; then
		jq -e '.memory_watch | test("cannot arm")' <<<"$case" >/dev/null ||
			fail "memory_watch on a kernel built from source: $(jq -c .memory_watch <<<"$case")"
	else
		jq -e --arg re "$gone" '.memory_watch == "kprobes" and all(.iterations[];
			if $re == "" then .memory_gone == null else (.memory_gone.what | test($re)) end)' <<<"$case" >/dev/null ||
			fail "the kernel side of C9 did not see $trig take the memory (/$gone/): $(jq -c '[.memory_watch, [.iterations[].memory_gone]]' <<<"$case")"
	fi
}

# The exporter contract (p2pbench check: no rule broken; its revoke cases
# cover every trigger), with the vfio-pci named $1 (for messages); then
# every trigger of the qualification matrix: what every build that claims
# to behave as stock must pass.
contract_check() {
	p2pbench check --device $EXP --importer-dev $IMP --bind --ktap "$OUT/check.ktap" --json "$OUT/check.json"
	cat "$OUT/check.ktap"
	! grep -q "^not ok" "$OUT/check.ktap" || fail "a contract check failed with the $1 vfio-pci"
}
contract_and_matrix() {
	local t d
	contract_check "$1" || return 1
	for t in flr mem-off d3hot low-power hot-reset close; do
		for d in 0 200; do
			revoke_case $t $d || return 1
		done
	done
}

# The exporter's BARs as the CPU sees them in D3hot, with no driver between:
# QEMU 10 and later stop decoding them there (a read is an unassigned access,
# which q35 answers with 0), QEMU 7.2 keeps them live. $1: gated or live.
# BAR0 offset 8 is the NVMe version register; a word written into the CMB
# (BAR2) must read back in D0, before and after.
d3hot_bars() {
	local want=$1 word=0x5032b42d vs cmb d3_vs d3_cmb back
	setpci -s $EXP COMMAND=0x0002:0x0002 || fail "cannot enable $EXP's memory decode" || return 1
	vs=$(bar_peek $EXP 0 8) && cmb=$(bar_peek $EXP 2 0x1000 $word) || fail "cannot read $EXP's BARs in D0" || return 1
	setpci -s $EXP CAP_PM+4.w=0x0003:0x0003 && sleep 0.05
	echo "PMCSR in D3hot: $(setpci -s $EXP CAP_PM+4.w)"
	d3_vs=$(bar_peek $EXP 0 8) d3_cmb=$(bar_peek $EXP 2 0x1000)
	setpci -s $EXP CAP_PM+4.w=0x0000:0x0003 && sleep 0.05
	back=$(bar_peek $EXP 2 0x1000)
	echo "D0: VS $vs, CMB $cmb; D3hot: VS $d3_vs, CMB $d3_cmb; D0 again: CMB $back"
	[ "$vs" != 0x00000000 ] && [ "$cmb" = $word ] && [ "$back" = $word ] ||
		fail "the BARs do not decode in D0 (VS $vs, CMB $cmb, after D3hot $back)" || return 1
	case $want in
	gated) [ "$d3_vs" = 0x00000000 ] && [ "$d3_cmb" = 0x00000000 ] ||
		fail "in D3hot the BARs still decode (VS $d3_vs, CMB $d3_cmb): not gated" ;;
	live) [ "$d3_vs" = "$vs" ] && [ "$d3_cmb" = $word ] ||
		fail "in D3hot the BARs stopped decoding (VS $d3_vs, CMB $d3_cmb): gated after all" ;;
	esac
}

# The emulator's version as the guest's firmware tells it (SMBIOS: the
# machine type, pc-q35-MAJOR.MINOR), independent of what scripts/lab wrote.
qemu_version_of_guest() { sed -n 's/^pc-q35-//p' /sys/class/dmi/id/product_version 2>/dev/null; }

# What scripts/lab recorded of this machine, as a result document carries it:
# $1 a result document, $2 a jq test of .host.
host_is() {
	jq -e ".host | $2" "$1" >/dev/null || fail "host of $(basename "$1"): not $2: $(jq -c .host "$1")"
}

# What the emulator does with a function's BARs in D3hot: QEMU 7.x leaves
# them live, QEMU 10 and 11 gate them (docs/lab.md, "Machines").
d3hot_bars_on_this_machine() { case $(qemu_version_of_guest) in 7.*) echo live ;; *) echo gated ;; esac; }

# scripts/lab's record of this machine in a result document ($1), checked
# against what the guest sees for itself: the kernel's origin and flavour
# ($2: stock, build, debug), its .config, the emulator's version and the
# lab devices' DMA bounce buffer (raised where the emulator has the knob,
# QEMU 10 and 11; not on 7.2).
machine_recorded() {
	local doc=$1 flavor=$2 cfg qemu bounce='any(.emulator.options[]; test("^nvme,.*x-max-bounce-buffer-size=[0-9]+"))'
	qemu=$(qemu_version_of_guest)
	jq .host "$doc"
	[ -n "$qemu" ] || fail "no SMBIOS machine type in the guest" || return 1
	host_is "$doc" "(.emulator.version | startswith(\"$qemu.\")) and (.emulator.options | length > 10)" || return 1
	case $qemu in 7.*) bounce="all(.emulator.options[]; test(\"x-max-bounce-buffer-size\") | not)" ;; esac
	host_is "$doc" "$bounce" || return 1
	if [ "$flavor" = stock ]; then
		host_is "$doc" '.kernel_build | .origin == "prebuilt" and .flavor == "stock" and
			(.source | startswith("linux-binary-")) and (.config_sha256 | test("^[0-9a-f]{64}$"))'
		return
	fi
	cfg=$(sha256sum </lib/modules/"$(uname -r)"/config | cut -d' ' -f1)
	host_is "$doc" ".kernel_build | .origin == \"built\" and .flavor == \"$flavor\" and
		(.source | startswith(\"linux-source-\")) and .config_sha256 == \"$cfg\" and
		(.build_id | length > 0)"
}

# p2pbench doctor sees iommufd (with IOMMUFD_TEST) and the VFIO cdev: what
# kernel/lab/lab.config adds to Debian's configuration.
iommufd_present() {
	[ -c /dev/iommu ] || fail "no /dev/iommu" || return 1
	p2pbench doctor --json "$OUT/doctor.json" | tee "$OUT/doctor.txt"
	jq -e '[.checks[] | select(.check == "iommufd") | .text | test("^present .*/dev/iommu there.*IOMMUFD_TEST is on")] == [true]' \
		"$OUT/doctor.json" >/dev/null || fail "doctor does not report iommufd present: $(grep iommufd "$OUT/doctor.txt")" || return 1
	jq -e '[.checks[] | select(.check == "vfio cdev") | .text | test("^present")] == [true]' "$OUT/doctor.json" >/dev/null ||
		fail "doctor does not report the VFIO cdev: $(grep 'vfio cdev' "$OUT/doctor.txt")"
}
