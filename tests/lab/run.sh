#!/usr/bin/env bash
# Boot the lab once and run a suite of lab checks inside it:
#   run.sh OUT BUILD [stock|patched|oot|broken|debug|debugbroken|built|series|qemu11|qemu11stock]
# runs tests/lab/guest-suite-SUITE.sh: stock with the distribution's vfio-pci,
# patched with kernel/vfio/patches applied, oot built without patches, broken
# with the fault injection of tests/lab/broken-vfio (scripts/lab --vfio SUITE),
# debug on the debug kernel (scripts/lab --kernel debug), debugbroken with
# both (iommufd against the broken vfio-pci), built on the lab
# kernel built from source (--kernel build), series on the debug kernel with
# tests/lab/series/revoke-no-wait applied (--kernel debug:series=...), qemu11
# on QEMU 11 (--qemu 11), qemu11stock the stock suite on QEMU 11.
# Exit 77 (skip) with the reason when this machine cannot run the lab at all.
set -u
out=$1 BUILD=$2 vfio=${3:-stock}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/host.sh"
build=$BUILD root=$ROOT
rm -rf "$out"; mkdir -p "$out"
suite=$here/guest-suite-$vfio.sh
guest_timeout=1200
case $vfio in
debug) lab_opts=(--kernel debug) guest_timeout=1800 ;;	# KASAN and lockdep under TCG
debugbroken) lab_opts=(--kernel debug --vfio broken) guest_timeout=1800 ;;
built) lab_opts=(--kernel build) ;;
series) lab_opts=(--kernel "debug:series=$here/series/revoke-no-wait") guest_timeout=1800 ;;
qemu11) lab_opts=(--qemu 11) ;;
qemu11stock) lab_opts=(--qemu 11) suite=$here/guest-suite-stock.sh ;;
*) lab_opts=(--vfio "$vfio") ;;
esac
P2PBENCH_BUILD=$build "$root/scripts/lab" "${lab_opts[@]}" --timeout $guest_timeout -- "$suite" "$out" "$build"
rc=$?
echo "lab suite exited $rc; results in $out"
ls "$out"/*.status >/dev/null 2>&1 || { echo "no lab check ran"; exit 1; }
exit "$rc"
