#!/usr/bin/env bash
# Boot the lab once and run every lab check inside it (tests/lab/guest-suite.sh).
# Exit 77 (skip) with the reason when this machine cannot run the lab at all.
set -u
out=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the lab needs root (QEMU, module builds in a chroot)"; exit 77
fi
rm -rf "$out"; mkdir -p "$out"
P2PBENCH_BUILD=$build "$root/scripts/lab" --timeout 2400 -- "$here/guest-suite.sh" "$out" "$build"
rc=$?
echo "lab suite exited $rc; results in $out"
ls "$out"/*.status >/dev/null 2>&1 || { echo "no lab check ran"; exit 1; }
exit "$rc"
