#!/usr/bin/env bash
# Revoke cost against scale: revoke-to-quiesce and the trigger call against
# the number of dma-bufs of the device (one importer on each) and against
# the number of importers on one dma-buf, each importer unmapping DELAY after
# its invalidate; a least-squares line through the p50s gives the cost per
# dma-buf and per attachment (docs/stress.md, "Scale"). Every point is a
# p2pbench revoke case with its verdict; a point that does not PASS fails
# the run.
#
# With the patched vfio-pci (kernel/vfio/patches) the dma-buf axis is
# measured side by side for each variant of the revoke, point by point:
# stock (revoke_two_pass=0: the dma-bufs one after another, as the
# distribution's kernel) and two-pass (revoke_two_pass=1: every dma-buf
# invalidated before the revoke waits for any), at each importer delay of
# DELAYS; both without a revoke timeout (revoke_timeout_ms is 0 for the run:
# a bounded revoke is always two-pass). The attachment axis is stock at
# DELAY. With the distribution's vfio-pci only stock is measured.
#
#   bench/revoke-scale.sh OUT.json
#   scripts/lab --vfio patched -- bench/revoke-scale.sh results/revoke-scale.json
#
# Environment: DEVICE (0000:01:00.0), IMPORTER_DEV (0000:02:00.0), TRIGGER
# (mem-off), DELAY (10ms: the document's importer_delay), DELAYS ("0 DELAY"),
# VARIANTS ("stock two-pass"), DMABUFS ("1 4 16 64 256 1024"), ATTACHMENTS
# ("1 2 4 8 16 32 64"), ITERATIONS (3), SIZE (64M: the range the dma-bufs
# split). The quiesce timeout is 300 s: 1024 dma-bufs revoked one after
# another with 10 ms importers take over 10 s, p2pbench's default.
#
# OUT.json (schema p2pbench-revoke-scale, version 1): "dmabufs" and
# "attachments" are the stock points at DELAY, with their fits, as before;
# "variants" has one entry per variant and delay: its dma-buf points and
# fits (per_unit_ms: ms per dma-buf, intercept_ms). The table at the end
# is meant for a commit message.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
out=${1:?usage: bench/revoke-scale.sh OUT.json}
DEVICE=${DEVICE:-0000:01:00.0} IMPORTER_DEV=${IMPORTER_DEV:-0000:02:00.0} TRIGGER=${TRIGGER:-mem-off}
DELAY=${DELAY:-10ms} DMABUFS=${DMABUFS:-1 4 16 64 256 1024} ATTACHMENTS=${ATTACHMENTS:-1 2 4 8 16 32 64}
DELAYS=${DELAYS:-0 $DELAY} VARIANTS=${VARIANTS:-stock two-pass}
ITERATIONS=${ITERATIONS:-3} SIZE=${SIZE:-64M}
PARAMS=/sys/module/vfio_pci_core/parameters
die() { echo "revoke-scale: $*" >&2; exit 2; }
for c in jq p2pbench; do command -v $c >/dev/null || die "$c is not installed (or build/bin is not on PATH)"; done
case " $DELAYS " in *" $DELAY "*) ;; *) DELAYS="$DELAYS $DELAY" ;; esac
for v in $VARIANTS; do case $v in stock|two-pass) ;; *) die "VARIANTS: '$v' is neither stock nor two-pass" ;; esac; done
tmp=$(mktemp -d)
loaded='' old_two_pass='' old_timeout=''
# put back what the run changed: the parameters, vfio-pci if we loaded it
restore() {
	[ -z "$old_two_pass" ] || echo "$old_two_pass" >$PARAMS/revoke_two_pass || true
	[ -z "$old_timeout" ] || echo "$old_timeout" >$PARAMS/revoke_timeout_ms || true
	[ -z "$loaded" ] || modprobe -r vfio-pci 2>/dev/null || true
	rm -rf "$tmp"
}
trap restore EXIT

# vfio-pci stays loaded for the whole run, so the parameters set here hold
# for every point (p2pbench --bind unloads only what it loaded itself)
if ! grep -q '^vfio_pci ' /proc/modules; then
	modprobe vfio-pci || die "cannot load vfio-pci"
	loaded=1
fi
if [ -w $PARAMS/revoke_two_pass ]; then
	old_two_pass=$(cat $PARAMS/revoke_two_pass) old_timeout=$(cat $PARAMS/revoke_timeout_ms)
	echo 0 >$PARAMS/revoke_timeout_ms
elif [ "$VARIANTS" != stock ]; then
	echo "revoke-scale: this vfio-pci has no revoke_two_pass (not kernel/vfio/patches): stock only" >&2
	VARIANTS=stock
fi
set_variant() {
	[ -w $PARAMS/revoke_two_pass ] || return 0
	if [ "$1" = two-pass ]; then echo 1; else echo 0; fi >$PARAMS/revoke_two_pass
}

# point VARIANT DELAY AXIS N: one revoke case, its p50s as a JSON object on stdout
point() {
	local variant=$1 delay=$2 axis=$3 n=$4 dmabufs=1 j imp
	j=$tmp/$variant-$delay-$axis-$n.json imp="kmod:delay=$delay,dev=$IMPORTER_DEV"
	if [ "$axis" = dmabufs ]; then dmabufs=$n; else imp="$imp,count=$n"; fi
	set_variant "$variant"
	p2pbench revoke --device "$DEVICE" --bind --trigger "$TRIGGER" --importer "$imp" --dmabufs $dmabufs \
		--size "$SIZE" --iterations "$ITERATIONS" --warmup 1 --quiesce-timeout 300s --quiet --json "$j" >&2 ||
		die "$variant, delay $delay, $axis=$n: p2pbench revoke exited $? ($(jq -c '.cases[0].verdict.violations' "$j" 2>/dev/null))"
	jq -c --arg variant "$variant" --arg delay "$delay" --arg axis "$axis" --argjson n "$n" '.cases[0] |
		{variant: $variant, importer_delay: $delay, axis: $axis, n: $n, status,
		 revoke_to_quiesce_p50_ns: .summary.revoke_to_quiesce_ns.p50, trigger_p50_ns: .summary.trigger_ns.p50,
		 trigger_max_ns: .summary.trigger_ns.max, iterations: .summary.trigger_ns.count}' "$j"
}

start=$(date +%s)
progress() { echo "revoke-scale: [$(($(date +%s) - start)) s] $*" >&2; }
echo "revoke-scale: $TRIGGER, importers unmapping after $DELAYS; variants $VARIANTS; $ITERATIONS iterations per point" >&2
{
	for d in $DELAYS; do
		for n in $DMABUFS; do
			for v in $VARIANTS; do progress "$v, delay $d: $n dma-buf(s)"; point "$v" "$d" dmabufs "$n"; done
		done
	done
	for n in $ATTACHMENTS; do progress "stock, delay $DELAY: $n attachment(s) on one dma-buf"; point stock "$DELAY" attachments "$n"; done
} >"$tmp/points.jsonl"
wall=$(($(date +%s) - start))

# least squares y = a + b*n over one series, in ms
jq -s --argjson host "$(bench_host_json)" --arg trigger "$TRIGGER" --arg delay "$DELAY" --arg kernel "$(uname -r)" --argjson wall "$wall" '
	def fit(key): if length == 0 then {per_unit_ms: null, intercept_ms: null} else
		(map(.n) | add / length) as $mx | (map(.[key] / 1e6) | add / length) as $my |
		(map((.n - $mx) * (.n - $mx)) | add) as $sxx |
		(if $sxx > 0 then (map((.n - $mx) * (.[key] / 1e6 - $my)) | add) / $sxx else 0 end) as $b |
		{per_unit_ms: $b, intercept_ms: ($my - $b * $mx)} end;
	def fits: {points: ., revoke_to_quiesce_fit: fit("revoke_to_quiesce_p50_ns"), trigger_fit: fit("trigger_p50_ns")};
	def series(v; d; a): map(select(.variant == v and .importer_delay == d and .axis == a));
	. as $all |
	{schema: "p2pbench-revoke-scale", version: 1, kernel: $kernel, host: $host, trigger: $trigger, importer_delay: $delay,
	 wall_s: $wall,
	 dmabufs: ($all | series("stock"; $delay; "dmabufs") | fits),
	 attachments: ($all | series("stock"; $delay; "attachments") | fits),
	 variants: [$all | map(select(.axis == "dmabufs") | {variant, importer_delay}) |
		    reduce .[] as $k ([]; if any(.[]; . == $k) then . else . + [$k] end) | .[] as $k |
		    {variant: $k.variant, revoke_two_pass: ($k.variant == "two-pass"), importer_delay: $k.importer_delay,
		     dmabufs: ($all | series($k.variant; $k.importer_delay; "dmabufs") | fits)}]}' \
	"$tmp/points.jsonl" >"$out"

# the table: revoke-to-quiesce p50 per point, one column per variant and delay
echo
echo "revoke-to-quiesce p50 in ms ($TRIGGER, $ITERATIONS iterations per point; stock: one dma-buf after another," \
	"two-pass: revoke_two_pass=1; importer delay after the variant)"
jq -r '.variants as $v | (["dma-bufs"] + [$v[] | "\(.variant) \(.importer_delay)"] | join("\t")),
	([$v[].dmabufs.points[].n] | unique[]) as $n |
	([$n | tostring] + [$v[] | [.dmabufs.points[] | select(.n == $n) | .revoke_to_quiesce_p50_ns / 1e6 | tostring][0] //
	  "-"] | join("\t"))' "$out" |
	awk -F'\t' '{ printf "%9s", $1; for (i = 2; i <= NF; i++)
		printf($i ~ /^[0-9.e+-]+$/ ? " %15.2f" : " %15s", $i); printf "\n" }'
echo "fit (least squares over the p50s): ms per dma-buf (+ intercept ms)"
jq -r '.variants[] | [.variant + " " + .importer_delay, .dmabufs.revoke_to_quiesce_fit.per_unit_ms,
	.dmabufs.revoke_to_quiesce_fit.intercept_ms, .dmabufs.trigger_fit.per_unit_ms, .dmabufs.trigger_fit.intercept_ms] |
	@tsv' "$out" |
	awk -F'\t' 'function ic(v) { return sprintf("(%s %.2f)", v < 0 ? "-" : "+", v < 0 ? -v : v) }
		{ printf "  %-15s revoke-to-quiesce %9.4f %-10s  trigger %9.4f %s\n", $1, $2, ic($3), $4, ic($5) }'
if [ "$(jq '.attachments.points | length' "$out")" -gt 0 ]; then
	echo
	printf '%-12s %6s %16s %12s\n' axis n "quiesce p50 ms" "trigger p50 ms"
	jq -r '.attachments.points[] | "\(.axis) \(.n) \(.revoke_to_quiesce_p50_ns / 1e6) \(.trigger_p50_ns / 1e6)"' "$out" |
		while read -r a n q t; do printf '%-12s %6s %16.2f %12.2f\n' "$a" "$n" "$q" "$t"; done
	jq -r '"  per attachment (stock, \(.importer_delay)): \(.attachments.revoke_to_quiesce_fit.per_unit_ms * 1000 | round / 1000) ms (+ \(.attachments.revoke_to_quiesce_fit.intercept_ms * 100 | round / 100) ms)"' "$out"
fi
jq -r '"wall time: \(.wall_s) s"' "$out"
