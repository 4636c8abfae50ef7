#!/usr/bin/env bash
# scripts/lab as a user drives it: output and exit status pass through, a
# SIGTERM (as Ctrl-C) makes the guest command stop gracefully with partial
# results, and --shell is a working interactive shell (driven through tmux).
set -u
BUILD=$1
. "$(dirname "$0")/host.sh"
build=$BUILD root=$ROOT lab=$LAB

echo "== output and exit status"
out=$("$lab" -- sh -c 'echo hello-from-guest; exit 7' 2>/dev/null); rc=$?
[ $rc = 7 ] || fail "exit status $rc, expected 7"
[ "$out" = hello-from-guest ] || fail "output '$out'"

echo "== SIGTERM interrupts the guest command gracefully"
json=$build/lab-cli-interrupt.json log=$build/lab-cli-interrupt.log
rm -f "$json"
"$lab" -- p2pbench revoke --device 0000:01:00.0 --trigger mem-off --importer kmod:delay=100ms,dev=0000:02:00.0 \
	--iterations 1000 --bind --json "$json" >"$log" 2>&1 &
pid=$!
for _ in $(seq 120); do grep -q '^progress:' "$log" && break; sleep 1; done
grep -q '^progress:' "$log" || { kill $pid; fail "the revoke run never started: $(tail -5 "$log")"; }
sleep 2
kill -TERM $pid
wait $pid; rc=$?
cat "$log"
[ $rc = 130 ] || fail "exit status $rc after SIGTERM, expected 130"
jq -e '.interrupted == true and .cases[0].iterations_measured >= 1 and .cases[0].iterations_measured < 1000' "$json" ||
	fail "no valid partial result"

echo "== --shell"
command -v tmux >/dev/null || fail "tmux is missing (scripts/test installs it)"
sess=p2pb-lab-cli-$$ rcfile=$build/lab-cli-shell.rc
rm -f "$rcfile"
tmux new-session -d -s $sess -x 200 -y 50 "cd '$root'; P2PBENCH_BUILD='$build' '$lab' --shell; echo \$? >'$rcfile'"
wait_pane() {
	for _ in $(seq "$2"); do tmux capture-pane -t $sess -p | grep -q "$1" && return 0; sleep 1; done
	tmux capture-pane -t $sess -p; return 1
}
wait_pane 'p2pbench-lab' 120 || { tmux kill-session -t $sess; fail "no guest prompt"; }
tmux send-keys -t $sess 'echo SHELL_$((6 * 7))' Enter
wait_pane 'SHELL_42' 30 || { tmux kill-session -t $sess; fail "the shell did not run a command"; }
tmux send-keys -t $sess 'exit 3' Enter
for _ in $(seq 60); do [ -s "$rcfile" ] && break; sleep 1; done
tmux kill-session -t $sess 2>/dev/null
[ "$(cat "$rcfile" 2>/dev/null)" = 3 ] || fail "shell exit status '$(cat "$rcfile" 2>/dev/null)', expected 3"
echo "PASS"
