#!/usr/bin/env bash
# The report the lab check compare_regression wrote (a slower importer against
# its baseline, with a qualification), rendered and checked in Chromium here
# on the host.   lab-report.sh LAB_OUT_DIR
out=$1
status=$out/compare_regression.status
[ -f "$status" ] || { echo "SKIP: the lab suite did not run (no $status)"; exit 77; }
head -n1 "$status"
exec "$(dirname "$0")/render-check.sh" "$out/compare/report" 1
