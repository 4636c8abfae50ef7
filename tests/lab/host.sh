# shellcheck shell=bash
# Shared by the lab tests that run on the host (they drive scripts/lab):
# sourced with BUILD set. Sets ROOT and LAB, points scripts/lab at BUILD,
# skips (exit 77, with the reason) when this machine cannot run the lab.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/scripts/lab
export P2PBENCH_BUILD=$BUILD
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the lab needs root (QEMU, module and kernel builds in a chroot)"; exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
