#!/usr/bin/env bash
# Lab checks with vfio-pci built out of tree from the kernel's Debian source
# without any patch (scripts/lab --vfio oot): the baseline the patched build
# with revoke_timeout_ms=0 is compared against, built the same way. Kept
# short: the contract checks (CMake compares their KTAP with stock's) and the
# revoke matrix at fewer iterations. Same bookkeeping as the other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MATRIX_ITERATIONS=2
. "$HERE/lib.sh"

check_oot_loaded() {
	modprobe vfio-pci || fail "modprobe vfio-pci failed" || return 1
	modinfo -n vfio-pci-core | grep -q /updates/ || fail "the distribution's vfio-pci-core is loaded, not ours" || return 1
	ls /sys/module/vfio_pci_core/parameters/
	[ ! -e /sys/module/vfio_pci_core/parameters/revoke_timeout_ms ] &&
		[ ! -e /sys/module/vfio_pci_core/parameters/p2pb_fault ] ||
		fail "the oot build is patched" || return 1
	[ ! -d /sys/kernel/tracing/events/vfio_pci_dmabuf ] || fail "the oot build has the patched tracepoints"
}

# the exporter contract (KTAP compared with stock's by lab.oot.same_contract_as_stock)
# and every trigger of the qualification matrix
check_revoke_matrix() {
	contract_and_matrix oot
}

check_kernel_log_clean() {
	! dmesg | grep -E "WARNING:|BUG:|Oops|general protection|refcount_t" ||
		fail "the kernel log has a WARN/BUG/Oops/refcount warning"
}

echo "oot lab suite on $(uname -r)"
run_suite oot
exit 0
