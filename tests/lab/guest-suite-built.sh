#!/usr/bin/env bash
# Lab checks on the lab kernel built from its Debian source (scripts/lab
# --kernel build: kernel/lab/lab.config, which adds iommufd, the VFIO cdev,
# IOMMUFD_TEST, DMABUF_DEBUG and the hung-task detector to what the lab
# needs): what it has that Debian's build has not, that results say which
# kernel made them, and the exporter contract and revoke matrix as on the
# prebuilt kernel (CMake compares the contract's KTAP with stock's). Same
# bookkeeping as the other suites.
set -u
OUT=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MATRIX_ITERATIONS=2
. "$HERE/lib.sh"
. "$HERE/checks-iommufd.sh"
. "$HERE/checks-selftests.sh"

# the kernel is ours, and p2pbench doctor sees iommufd and the VFIO cdev
check_built_kernel() {
	case $(uname -r) in *-p2pb-build) ;; *) fail "not the built lab kernel: $(uname -r)"; return 1 ;; esac
	iommufd_present
}

# the exporter contract (KTAP compared with stock's by lab.built.same_contract_as_stock)
# and every trigger of the qualification matrix
check_revoke_matrix() {
	contract_and_matrix built
}

# the results made here say so: built from Debian's source with the lab
# fragment, this .config, this QEMU
check_machine_recorded() {
	[ -f "$OUT/check.json" ] || fail "p2pbench check did not run" || return 1
	machine_recorded "$OUT/check.json" build && host_is "$OUT/check.json" '.kernel_build.series == null'
}

check_kernel_log_clean() {
	! dmesg | grep -E "WARNING:|BUG:|Oops|general protection|refcount_t|blocked for more than" ||
		fail "the kernel log has a WARN/BUG/Oops/refcount warning or a hung task"
}

echo "built lab suite on $(uname -r)"
run_suite built
exit 0
