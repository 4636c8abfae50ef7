#!/usr/bin/env bash
# Lab checks on the modern QEMU (scripts/lab --qemu 11: Debian
# trixie-backports' 11.1, unpacked into the lab cache), with Debian's prebuilt
# kernel: D3hot really takes the BARs away there, the DMA bounce buffer is
# raised, and the qualification profile passes as on 7.2. Same bookkeeping as
# the other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# the machine is QEMU 11, and results say so with the options it ran with
check_qemu_machine() {
	local v
	v=$(qemu_version_of_guest)
	echo "SMBIOS machine type: pc-q35-$v"
	case $v in 11.*) ;; *) fail "not QEMU 11: the machine type is pc-q35-$v"; return 1 ;; esac
	p2pbench doctor --json "$OUT/doctor.json" >/dev/null
	machine_recorded "$OUT/doctor.json" stock
}

# D3hot gates the exporter's BARs (QEMU 7.2 leaves them live: the stock
# suite's d3hot_bars)
check_d3hot_bars_gated() {
	d3hot_bars gated
}

# the lab's qualification run (every trigger, under NVMe load with verify):
# every case PASS, as on 7.2
check_qualification() {
	local r
	p2pbench run -o "$OUT/run" "$ROOT/stress/jobs/lab-qualification.ini" -- --bind ||
		fail "p2pbench run exited $?" || return 1
	jq -r '.jobs[] | "\(.name) \(.status) exit \(.exit_code) \(.duration_s) s"' "$OUT/run/index.json"
	r=$(jq -r '.jobs[0] | .dir + "/" + .result' "$OUT/run/index.json")
	jq -r '.cases[] | "\(.name) \(.status) \(.reason // "")"' "$OUT/run/$r"
	jq -e '.cases | length >= 18 and all(.status == "pass")' "$OUT/run/$r" >/dev/null ||
		fail "not every case of the qualification passed"
}

check_kernel_log_clean() {
	! dmesg | grep -E "WARNING:|BUG:|Oops|general protection|refcount_t" ||
		fail "the kernel log has a WARN/BUG/Oops/refcount warning"
}

echo "QEMU 11 lab suite on $(uname -r)"
run_suite qemu11
exit 0
