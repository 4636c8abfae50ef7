#!/usr/bin/env bash
# The NVMe load through a VFIO dma-buf, side by side with fio through the
# kernel's p2pmem path, on the same two controllers in the same run
# (docs/methodology.md, "Benchmark: the NVMe load vs fio"). Root, both
# controllers unbound at the start (as the lab boots them); in the lab:
#
#   scripts/lab -- bench/p2p-vs-fio.sh results/p2p-vs-fio.json
#
# Per block size and direction, at the same queue depth over the same 4 MiB:
#   ours         p2pbench load: the traffic NVMe <-> the exporter's CMB, through
#                a dma-buf exported by vfio-pci (bins of 10 ms on)
#   ours_nobins  the same with the throughput bins off
#   fio_p2p      fio, io_uring, O_DIRECT on the traffic NVMe's namespace, its
#                buffers in the exporter's CMB (nvme driver, p2pmem/allocate)
#   fio_host     the same fio with buffers in host memory
# and the ratios ours/fio_p2p (target >= 0.95), fio_p2p/fio_host (the P2P cost
# of this machine), ours/ours_nobins (the bins' overhead, target >= 0.98).
# Each figure is the median of REPEAT runs; every run's figure is in
# rows[].samples, so the spread (the noise of the machine) is visible.
# Environment: SIZES ("4k 64k 256k 512k"), DIRS ("read write"), QD (16),
# DURATION seconds (5), REPEAT (1), EXPORTER (0000:01:00.0), TRAFFIC
# (0000:03:00.0).
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
out=${1:?usage: bench/p2p-vs-fio.sh OUT.json}
SIZES=${SIZES:-4k 64k 256k 512k} DIRS=${DIRS:-read write} QD=${QD:-16} DURATION=${DURATION:-5}
REPEAT=${REPEAT:-1}
EXPORTER=${EXPORTER:-0000:01:00.0} TRAFFIC=${TRAFFIC:-0000:03:00.0}
RANGE=4M
die() { echo "p2p-vs-fio: $*" >&2; exit 2; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || true; }
command -v fio >/dev/null && command -v jq >/dev/null && command -v p2pbench >/dev/null ||
	die "needs fio, jq and p2pbench on PATH"
for d in $EXPORTER $TRAFFIC; do
	[ -e /sys/bus/pci/devices/$d ] || die "no PCI device $d"
	[ -z "$(driver_of $d)" ] || die "$d is bound to $(driver_of $d): start with both controllers unbound"
done
tmp=$(mktemp -d)
cleanup() {
	local d
	for d in $EXPORTER $TRAFFIC; do
		[ "$(driver_of $d)" = nvme ] && echo $d >/sys/bus/pci/drivers/nvme/unbind
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- fio half: both controllers on the kernel's nvme driver ----
modprobe nvme
ns= p2pmem=/sys/bus/pci/devices/$EXPORTER/p2pmem/allocate
for i in $(seq 100); do
	for b in /sys/block/nvme*n1; do
		[ -e "$b/device/device" ] || continue
		[ "$(basename "$(readlink -f "$b/device/device")")" = "$TRAFFIC" ] && ns=${b##*/}
	done
	[ -n "$ns" ] && [ -e "$p2pmem" ] && break
	sleep 0.1
done
[ -n "$ns" ] || die "no namespace of $TRAFFIC appeared under nvme"
[ -e "$p2pmem" ] || die "$EXPORTER published no p2pmem (its CMB) under nvme"

# bytes/s of one fio run; $1 dir, $2 bs, the rest extra options
fio_bps() {
	local dir=$1 bs=$2; shift 2
	fio --name=p2pb --filename=/dev/$ns --direct=1 --ioengine=io_uring --iodepth=$QD --bs=$bs --rw=$dir \
		--size=$RANGE --time_based --runtime=$DURATION --ramp_time=1 --output-format=json "$@" \
		>"$tmp/fio.json" 2>"$tmp/fio.err" || die "fio $dir bs=$bs $*: $(tail -3 "$tmp/fio.err")"
	jq ".jobs[0].$dir.bw_bytes" "$tmp/fio.json"
}
# the median of the numbers in file $1
median() { jq -s 'sort | .[(length - 1) / 2 | floor]' "$1"; }
for bs in $SIZES; do
	for dir in $DIRS; do
		echo "fio $dir bs=$bs: p2pmem, host memory (x$REPEAT)" >&2
		for r in $(seq $REPEAT); do
			fio_bps $dir $bs --mem=mmapshared:$p2pmem >>"$tmp/fio_p2p.$dir.$bs.all"
			fio_bps $dir $bs >>"$tmp/fio_host.$dir.$bs.all"
		done
		median "$tmp/fio_p2p.$dir.$bs.all" >"$tmp/fio_p2p.$dir.$bs"
		median "$tmp/fio_host.$dir.$bs.all" >"$tmp/fio_host.$dir.$bs"
	done
done
echo $TRAFFIC >/sys/bus/pci/drivers/nvme/unbind
echo $EXPORTER >/sys/bus/pci/drivers/nvme/unbind
modprobe -r nvme || true

# ---- our half: the exporter on vfio-pci, the traffic NVMe on p2pbench_nvme ----
ours_bps() {
	local dir=$1 bs=$2 extra=$3
	p2pbench load -q --device $EXPORTER --bind --size $RANGE --duration ${DURATION}s --warmup 1s \
		--importer "kmod:dev=$TRAFFIC,io=$dir,bs=$bs,qd=$QD$extra" --json "$tmp/ours.json" ||
		die "p2pbench load $dir bs=$bs$extra failed"
	jq '.load.bytes_per_s' "$tmp/ours.json"
}
for bs in $SIZES; do
	for dir in $DIRS; do
		echo "p2pbench load $dir bs=$bs: bins on, off (x$REPEAT)" >&2
		for r in $(seq $REPEAT); do
			ours_bps $dir $bs "" >>"$tmp/ours.$dir.$bs.all"
			ours_bps $dir $bs ",bin=0" >>"$tmp/ours_nobins.$dir.$bs.all"
		done
		median "$tmp/ours.$dir.$bs.all" >"$tmp/ours.$dir.$bs"
		median "$tmp/ours_nobins.$dir.$bs.all" >"$tmp/ours_nobins.$dir.$bs"
	done
done

# ---- the result ----
rows=()
for bs in $SIZES; do
	for dir in $DIRS; do
		rows+=("$(jq -n --arg bs "$bs" --arg dir "$dir" --argjson ours "$(cat "$tmp/ours.$dir.$bs")" \
			--argjson nobins "$(cat "$tmp/ours_nobins.$dir.$bs")" \
			--argjson p2p "$(cat "$tmp/fio_p2p.$dir.$bs")" --argjson host "$(cat "$tmp/fio_host.$dir.$bs")" \
			--slurpfile s_ours "$tmp/ours.$dir.$bs.all" --slurpfile s_nobins "$tmp/ours_nobins.$dir.$bs.all" \
			--slurpfile s_p2p "$tmp/fio_p2p.$dir.$bs.all" --slurpfile s_host "$tmp/fio_host.$dir.$bs.all" \
			'def r(a; b): if b > 0 then (a / b * 1000 | round) / 1000 else null end;
			 {bs: $bs, dir: $dir, ours_bytes_per_s: $ours, ours_nobins_bytes_per_s: $nobins,
			  fio_p2p_bytes_per_s: $p2p, fio_host_bytes_per_s: $host,
			  ratio_ours_vs_fio_p2p: r($ours; $p2p), ratio_p2p_vs_host: r($p2p; $host),
			  ratio_bins_on_vs_off: r($ours; $nobins),
			  samples: {ours: $s_ours, ours_nobins: $s_nobins, fio_p2p: $s_p2p, fio_host: $s_host}}')")
	done
done
printf '%s\n' "${rows[@]}" | jq -s --argjson host "$(bench_host_json)" --arg qd "$QD" --arg dur "$DURATION" --arg kernel "$(uname -r)" \
	--arg fio "$(fio --version)" --arg range "$RANGE" \
	--arg repeat "$REPEAT" \
	'{schema: "p2pbench-bench/1", benchmark: "p2p-vs-fio", kernel: $kernel, host: $host, fio: $fio,
	  qdepth: ($qd | tonumber), duration_s: ($dur | tonumber), repeat: ($repeat | tonumber), range: $range,
	  targets: {ratio_ours_vs_fio_p2p: 0.95, ratio_bins_on_vs_off: 0.98}, rows: .}' >"$out"
printf '%-6s %-5s %12s %12s %12s %12s %8s %8s %8s\n' BS DIR OURS_MB/s NOBINS_MB/s FIO_P2P FIO_HOST \
	OURS/FIO P2P/HOST BINS
jq -r '.rows[] | [.bs, .dir, (.ours_bytes_per_s / 1e6 * 100 | round / 100),
	(.ours_nobins_bytes_per_s / 1e6 * 100 | round / 100), (.fio_p2p_bytes_per_s / 1e6 * 100 | round / 100),
	(.fio_host_bytes_per_s / 1e6 * 100 | round / 100), .ratio_ours_vs_fio_p2p, .ratio_p2p_vs_host,
	.ratio_bins_on_vs_off] | @tsv' "$out" |
	while IFS=$'\t' read -r bs dir a b c d e f g; do
		printf '%-6s %-5s %12s %12s %12s %12s %8s %8s %8s\n' "$bs" "$dir" "$a" "$b" "$c" "$d" "$e" "$f" "$g"
	done
echo "results: $out" >&2
