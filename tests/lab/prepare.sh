#!/usr/bin/env bash
# What a suite's machine needs, made before the suite boots it (ctest's
# lab.kernel.*, lab.qemu.*): prepare.sh BUILD SCRIPTS-LAB-OPTION... runs
# scripts/lab OPTIONS prepare: a kernel built from source (with a series),
# a QEMU unpacked, our modules built for it. At low priority: under ctest -j2
# it runs beside a suite on Debian's kernel, whose guest keeps its core.
# Exit 77 (skip) with the reason when this machine cannot run the lab at all.
set -u
BUILD=$1
shift
. "$(dirname "$0")/host.sh"
start=$SECONDS
nice -n 10 "$LAB" "$@" prepare || exit 1
echo "ready: scripts/lab $* ($((SECONDS - start)) s)"
