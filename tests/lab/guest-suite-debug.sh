#!/usr/bin/env bash
# Lab checks on the debug kernel (scripts/lab --kernel debug: lockdep,
# KASAN, DEBUG_ATOMIC_SLEEP, DMA-API debug, debug objects) with the
# distribution's vfio-pci source built for it: the contract (its revoke
# cases run every trigger with a late and a fenced importer), a short
# stress and the race scenarios, where a race that corrupts memory or takes
# locks in the wrong order shows in the kernel log. The timing matrix is
# left to the stock suite: under KASAN and TCG it took 14 minutes and
# reaches no kernel path the contract cases do not. Same bookkeeping as the
# other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# KASAN and lockdep under TCG: a sixth of the stock kernel's cycles (a reopen takes 3 s)
STRESS_SHORT=60s
STRESS_CHECKPOINT=15
STRESS_MIN_CYCLES=1
# p2pbench check runs two cases on every trigger: minutes under KASAN
CHECK_TIMEOUT=900
. "$HERE/lib.sh"
. "$HERE/checks-stress.sh"

# Forbidden on a debug kernel: what C7 forbids, and every checker's report.
DEBUG_FINDINGS='WARNING:|BUG:|Oops|general protection|refcount_t|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|DMA-API: .*device driver|ODEBUG:|KASAN'

check_debug_loaded() {
	case $(uname -r) in *-p2pb-debug) ;; *) fail "not the debug kernel: $(uname -r)"; return 1 ;; esac
	[ -e /proc/lockdep ] || fail "no /proc/lockdep: lockdep is off" || return 1
	dmesg | grep -q "KernelAddressSanitizer initialized" || fail "KASAN did not initialize" || return 1
	dmesg | grep -q "DMA-API: debugging enabled" || fail "DMA-API debugging is off" || return 1
	grep -q "lock-classes" /proc/lockdep_stats || fail "no lockdep statistics" || return 1
	modprobe vfio-pci && modprobe p2pbench_importer || fail "our modules do not load on the debug kernel"
}

check_debug_contract() {
	contract_check debug
}

check_debug_stress() {
	check_stress_short
}

# last: everything above ran under the checkers
check_debug_kernel_log_clean() {
	local bad
	bad=$(dmesg | grep -E "$DEBUG_FINDINGS" | head -n 20)
	[ -z "$bad" ] || fail "the debug kernel reported: $(printf '%s\n' "$bad" | head -n 1)" || return 1
	grep -E "lock-classes|direct dependencies|max locking depth" /proc/lockdep_stats
}

echo "debug lab suite on $(uname -r)"
run_suite debug
exit 0
