# shellcheck shell=bash
# What the suites of a deliberately broken vfio-pci share (scripts/lab --vfio
# broken, tests/lab/broken-vfio): selecting a fault, a revoke run whose
# verdict may fail, and the check that it failed the way the fault says.
FAULT=/sys/module/vfio_pci_core/parameters/p2pb_fault

# load the broken vfio-pci and select fault $1
set_fault() {
	modprobe vfio-pci || return 1
	echo "$1" >$FAULT && [ "$(cat $FAULT)" = "$1" ]
}
# p2pbench revoke on the memory-disable trigger into OUT/$1.json, whatever
# its verdict (a broken exporter is expected to fail cases)
revoke_json() {
	local name=$1
	shift
	rm -f "$OUT/$name.json"
	p2pbench revoke --device $EXP --bind --warmup 0 --json "$OUT/$name.json" "$@"
	echo $? >"$OUT/$name.rc"
	echo "p2pbench revoke exited $(cat "$OUT/$name.rc")"
	[ -s "$OUT/$name.json" ] || fail "p2pbench wrote no results" || return 1
	jq -c '[.cases[0].iterations[] | {trigger_ns, revoke_to_quiesce_ns, mapped_at_trigger_return,
		map_while_revoked_errno, old_dmabuf_map_errno}]' "$OUT/$name.json"
}

# The verdict of OUT/$1.json: FAIL, clause $2 failed with evidence matching
# the regex $3, and p2pbench exited 1 (a contract failure).
verdict_fails() {
	local name=$1 clause=$2 re=$3
	jq -c '.cases[0].verdict | {outcome, clauses, violations}' "$OUT/$name.json"
	[ "$(cat "$OUT/$name.rc")" = 1 ] || fail "p2pbench exited $(cat "$OUT/$name.rc"), expected 1 (contract failed)" || return 1
	jq -e --arg c "$clause" --arg re "$re" '.cases[0] | .status == "fail" and .verdict.outcome == "FAIL" and
		.verdict.clauses[$c] == "fail" and
		any(.verdict.violations[]; .clause == $c and (.evidence | test($re)))' "$OUT/$name.json" >/dev/null ||
		fail "the verdict does not fail $clause with evidence /$re/: $(jq -c .cases[0].verdict "$OUT/$name.json")"
}

# the faults break the contract, never the kernel
check_kernel_no_oops() {
	! dmesg | grep -E "BUG:|Oops|general protection" || fail "the kernel log has a BUG/Oops"
}
