#!/usr/bin/env bash
# p2pbench rdma side by side with perftest on the same RDMA device, in the
# same run, with the same options (docs/rdma.md, "Benchmark"). Each side runs
# as perftest does: a server and a client process on this machine, the TCP
# side channel over HOST.
#
#   bench/rdma-vs-perftest.sh OUT.json
#   scripts/lab --rxe -- bench/rdma-vs-perftest.sh results/rdma-vs-perftest.json   (rxe in the lab)
#
# Pairs: ib_write_bw / p2pbench rdma -o write; ib_read_bw / -o read;
# ib_send_lat / -m lat -o send. Same message size, QPs, TX depth, CQ
# moderation (-Q, given to perftest explicitly: it would otherwise signal
# every work request above 8 KiB), iterations and GID index; inline off.
# Bandwidth: perftest's BW average (MiB/s) against our bytes/s; ratio
# ours/perftest, target >= 1.00 from 64 KiB up. Latency: perftest's t_typical
# (the median, half a round trip) against our p50; ratio ours/perftest, target
# <= 1.00. Each figure is the median of REPEAT runs, every run's figure is in
# rows[].samples.
# Environment: DEV (the first RDMA device), GID (our pick, the first RoCE v2
# IPv4 GID), BW_SIZES ("64k 256k 1M"), LAT_SIZES ("2"), QPS (1), TX (128),
# CQ_MOD (100), ITERS (5000 bw), LAT_ITERS (1000), REPEAT (1), HOST
# (127.0.0.1), PORT (18530; ours uses PORT+1), TESTS ("write_bw read_bw
# send_lat").
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
out=${1:?usage: bench/rdma-vs-perftest.sh OUT.json}
BW_SIZES=${BW_SIZES:-64k 256k 1M} LAT_SIZES=${LAT_SIZES:-2} QPS=${QPS:-1} TX=${TX:-128} CQ_MOD=${CQ_MOD:-100}
ITERS=${ITERS:-5000} LAT_ITERS=${LAT_ITERS:-1000} REPEAT=${REPEAT:-1} HOST=${HOST:-127.0.0.1}
PORT=${PORT:-18530} TESTS=${TESTS:-write_bw read_bw send_lat}
die() { echo "rdma-vs-perftest: $*" >&2; exit 2; }
for c in ib_write_bw ib_read_bw ib_send_lat ibv_devices jq p2pbench; do
	command -v $c >/dev/null || die "needs $c on PATH (apt install perftest ibverbs-utils jq)"
done
DEV=${DEV:-$(ibv_devices | awk 'NR > 2 { print $1; exit }')}
[ -n "$DEV" ] || die "no RDMA device (see p2pbench doctor)"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

bytes() { numfmt --from=iec "${1^^}"; }
# our GID pick, so that perftest runs on the very same one
if [ -z "${GID:-}" ]; then
	p2pbench rdma -d "$DEV" -n 5 -s 4k --quiet --json "$tmp/probe.json" || die "p2pbench rdma cannot run on $DEV"
	GID=$(jq '.rdma.gid_index' "$tmp/probe.json")
fi

# one perftest run: $1 the binary, $2 size, $3 iterations, the rest extra options; prints its row
perftest_row() {
	local bin=$1 size=$2 iters=$3; shift 3
	local opts=(-d "$DEV" -x "$GID" -s "$(bytes $size)" -n "$iters" -p "$PORT" -F "$@")
	$bin "${opts[@]}" >"$tmp/pt-server.log" 2>&1 &
	local server=$!
	sleep 1
	timeout 600 $bin "${opts[@]}" "$HOST" >"$tmp/pt-client.log" 2>&1 ||
		{ kill $server 2>/dev/null; die "$bin ${opts[*]} failed: $(tail -3 "$tmp/pt-client.log")"; }
	wait $server || true
	# the results row: the size first, then numbers only
	grep -E "^ *$(bytes $size) +[0-9]+ +[0-9.]+" "$tmp/pt-client.log" | tail -1 ||
		die "no results row in the output of $bin: $(tail -3 "$tmp/pt-client.log")"
}
# bytes/s of a perftest bw run (its BW average is in MiB/s)
perftest_bw() { perftest_row "$@" | awk '{ printf "%.0f\n", $4 * 1048576 }'; }
# ns of a perftest latency run's t_typical (the median, in us)
perftest_lat() { perftest_row "$@" | awk '{ printf "%.0f\n", $5 * 1000 }'; }

# one run of ours, client and server; $1 size, $2 iterations, the rest options; the client's JSON
ours_json() {
	local size=$1 iters=$2; shift 2
	local opts=(-d "$DEV" -x "$GID" -s "$size" -n "$iters" -p $((PORT + 1)) --quiet "$@")
	p2pbench rdma --server "${opts[@]}" >"$tmp/ours-server.log" 2>&1 &
	local server=$!
	timeout 600 p2pbench rdma "${opts[@]}" --json "$tmp/ours.json" "$HOST" 2>"$tmp/ours-client.log" ||
		{ kill $server 2>/dev/null; die "p2pbench rdma ${opts[*]} failed: $(tail -3 "$tmp/ours-client.log")"; }
	wait $server || die "the p2pbench rdma server failed: $(tail -3 "$tmp/ours-server.log")"
}
ours_bw() { ours_json "$@"; jq '.rdma.steps[0].bytes_per_s' "$tmp/ours.json"; }
ours_lat() { ours_json "$@"; jq '.rdma.steps[0].latency_ns.p50' "$tmp/ours.json"; }
median() { jq -s 'sort | .[(length - 1) / 2 | floor]' "$1"; }

# $1 test, $2 size: runs both REPEAT times, leaves the samples in $tmp
measure() {
	local test=$1 size=$2 key=$1.$2 r
	for r in $(seq $REPEAT); do
		case $test in
		write_bw)
			perftest_bw ib_write_bw $size $ITERS -q $QPS -t $TX -Q $CQ_MOD >>"$tmp/perftest.$key"
			ours_bw $size $ITERS -o write -q $QPS -t $TX -Q $CQ_MOD >>"$tmp/ours.$key" ;;
		read_bw)
			perftest_bw ib_read_bw $size $ITERS -q $QPS -t $TX -Q $CQ_MOD >>"$tmp/perftest.$key"
			ours_bw $size $ITERS -o read -q $QPS -t $TX -Q $CQ_MOD >>"$tmp/ours.$key" ;;
		send_lat)
			perftest_lat ib_send_lat $size $LAT_ITERS >>"$tmp/perftest.$key"
			ours_lat $size $LAT_ITERS -m lat -o send >>"$tmp/ours.$key" ;;
		*) die "unknown test '$test' (write_bw, read_bw, send_lat)" ;;
		esac
	done
}

rows=()
for test in $TESTS; do
	sizes=$BW_SIZES
	[ "${test#*_}" = lat ] && sizes=$LAT_SIZES
	for size in $sizes; do
		echo "$test $size: perftest, p2pbench (x$REPEAT)" >&2
		measure $test $size
		key=$test.$size
		rows+=("$(jq -n --arg test "$test" --argjson size "$(bytes $size)" \
			--argjson ours "$(median "$tmp/ours.$key")" --argjson pt "$(median "$tmp/perftest.$key")" \
			--slurpfile s_ours "$tmp/ours.$key" --slurpfile s_pt "$tmp/perftest.$key" \
			'def r(a; b): if b > 0 then (a / b * 1000 | round) / 1000 else null end;
			 ($test | endswith("_lat")) as $lat |
			 {test: $test, size: $size, unit: (if $lat then "ns p50" else "bytes/s" end),
			  ours: $ours, perftest: $pt, ratio_ours_vs_perftest: r($ours; $pt),
			  better: (if $pt == 0 then null elif $lat then $ours <= $pt else $ours >= $pt end),
			  samples: {ours: $s_ours, perftest: $s_pt}}')")
	done
done
printf '%s\n' "${rows[@]}" | jq -s --arg dev "$DEV" --arg driver "$(jq -r '.rdma.driver' "$tmp/ours.json")" \
	--arg gid "$GID" --arg kernel "$(uname -r)" --arg perftest "$(ib_write_bw --version 2>&1 | head -1)" \
	--argjson qps "$QPS" --argjson tx "$TX" --argjson cq "$CQ_MOD" --argjson iters "$ITERS" \
	--argjson lat_iters "$LAT_ITERS" --argjson repeat "$REPEAT" --argjson host "$(bench_host_json)" \
	'{schema: "p2pbench-bench/1", benchmark: "rdma-vs-perftest", kernel: $kernel, host: $host, perftest: $perftest,
	  device: $dev, driver: $driver, gid_index: ($gid | tonumber), qps: $qps, tx_depth: $tx, cq_mod: $cq,
	  iters: $iters, lat_iters: $lat_iters, repeat: $repeat, inline: 0,
	  targets: {bw_ratio_min: 1.0, lat_ratio_max: 1.0}, rows: .}' >"$out"
printf '%-9s %9s %16s %16s %10s\n' TEST SIZE OURS PERFTEST OURS/PT
jq -r '.rows[] | [.test, .size, (if .unit == "bytes/s" then "\(.ours / 1e4 | round / 100) MB/s"
	else "\(.ours / 10 | round / 100) us" end), (if .unit == "bytes/s" then "\(.perftest / 1e4 | round / 100) MB/s"
	else "\(.perftest / 10 | round / 100) us" end), .ratio_ours_vs_perftest] | @tsv' "$out" |
	while IFS=$'\t' read -r t s a b r; do printf '%-9s %9s %16s %16s %10s\n' "$t" "$s" "$a" "$b" "$r"; done
echo "results: $out" >&2
