#!/usr/bin/env bash
# scripts/lab --kernel KIND:series=DIR refuses what it cannot build, with one
# clear line and before building anything: a series whose second patch does
# not apply (tests/lab/series/does-not-apply) is named with its number,
# file, subject and git apply's reason; a missing series, an unknown kind and
# a series on the prebuilt kernel are refused too. No guest boots.
set -u
BUILD=$1
. "$(dirname "$0")/host.sh"
root=$ROOT lab=$LAB

# refused: ARGS... -> exit 1 and exactly one error line matching RE
refused() {
	local re=$1 err rc
	shift
	err=$("$lab" "$@" prepare 2>&1 >/dev/null); rc=$?
	echo "scripts/lab $* prepare -> exit $rc:"; echo "$err" | sed 's/^/  /'
	[ $rc = 1 ] || fail "exit status $rc, expected 1"
	[ "$(echo "$err" | grep -c 'error:')" = 1 ] || fail "not exactly one error line"
	echo "$err" | grep -q -- "$re" || fail "the error does not match /$re/"
	! echo "$err" | grep -q 'building\|copying' || fail "something was built or copied before the refusal"
}

refused "patch 2 of 2, 0002-vfio-pci-a-change-against-another-tree.patch (\"vfio/pci: a change against another tree\"), does not apply: patch failed: drivers/vfio/pci/vfio_pci_dmabuf.c:340" \
	--kernel "debug:series=$root/tests/lab/series/does-not-apply"
# the same series as one mbox (git mailsplit names its messages 0001, 0002)
mbox=$(mktemp)
trap 'rm -f "$mbox"' EXIT
cat "$root"/tests/lab/series/does-not-apply/*.patch >"$mbox"
refused "patch 2 of 2, 0002 (\"vfio/pci: a change against another tree\"), does not apply: patch failed: drivers/vfio/pci/vfio_pci_dmabuf.c:340" \
	--kernel "debug:series=$mbox"
refused "no series at '/nonexistent/series'" --kernel build:series=/nonexistent/series
refused "--kernel takes stock, build" --kernel nightly
refused "it takes no series or tree" --kernel "stock:series=$root/tests/lab/series/revoke-no-wait"
refused "not a Linux source tree" --kernel "build:tree=$root"
echo "ok"
