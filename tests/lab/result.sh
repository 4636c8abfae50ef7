#!/usr/bin/env bash
# Report one lab check's outcome as recorded by its guest suite:
# exit 0 pass, 1 fail, 77 skip (ctest's SKIP_RETURN_CODE); the reason is printed.
out=$1 name=$2
f=$out/$name.status
if [ ! -f "$f" ]; then
	echo "lab check $name did not run (no $f): see the lab.boot test output"
	exit 1
fi
cat "$out/$name.log" 2>/dev/null | tail -n 40
status=$(head -n1 "$f")
echo "lab check $name: $status"
case $status in
pass*) exit 0 ;;
skip*) exit 77 ;;
*) exit 1 ;;
esac
