#!/usr/bin/env bash
# Revoke cost against scale: revoke-to-quiesce and the trigger call against
# the number of dma-bufs of the device (one importer on each) and against
# the number of importers on one dma-buf, each importer unmapping DELAY after
# its invalidate; a least-squares line through the p50s gives the cost per
# dma-buf and per attachment (docs/stress.md, "Scale"). Every point is a
# p2pbench revoke case with its verdict; a point that does not PASS fails
# the run.
#
#   bench/revoke-scale.sh OUT.json
#   scripts/lab -- bench/revoke-scale.sh results/revoke-scale.json
#
# Environment: DEVICE (0000:01:00.0), IMPORTER_DEV (0000:02:00.0), TRIGGER
# (mem-off), DELAY (10ms), DMABUFS ("1 4 16 64 256 1024"), ATTACHMENTS
# ("1 2 4 8 16 32 64"), ITERATIONS (3), SIZE (64M: the range the dma-bufs
# split). The quiesce timeout is 300 s: 1024 dma-bufs revoked one after another
# with 10 ms importers take over 10 s, p2pbench's default.
set -euo pipefail
out=${1:?usage: bench/revoke-scale.sh OUT.json}
DEVICE=${DEVICE:-0000:01:00.0} IMPORTER_DEV=${IMPORTER_DEV:-0000:02:00.0} TRIGGER=${TRIGGER:-mem-off}
DELAY=${DELAY:-10ms} DMABUFS=${DMABUFS:-1 4 16 64 256 1024} ATTACHMENTS=${ATTACHMENTS:-1 2 4 8 16 32 64}
ITERATIONS=${ITERATIONS:-3} SIZE=${SIZE:-64M}
die() { echo "revoke-scale: $*" >&2; exit 2; }
for c in jq p2pbench; do command -v $c >/dev/null || die "$c is not installed (or build/bin is not on PATH)"; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# point AXIS N: one revoke case, its p50s as a JSON object on stdout
point() {
	local axis=$1 n=$2 j=$tmp/$1-$2.json imp="kmod:delay=$DELAY,dev=$IMPORTER_DEV" dmabufs=1
	if [ "$axis" = dmabufs ]; then dmabufs=$n; else imp="$imp,count=$n"; fi
	p2pbench revoke --device "$DEVICE" --bind --trigger "$TRIGGER" --importer "$imp" --dmabufs $dmabufs \
		--size "$SIZE" --iterations "$ITERATIONS" --warmup 1 --quiesce-timeout 300s --quiet --json "$j" >&2 ||
		die "$axis=$n: p2pbench revoke exited $? ($(jq -c '.cases[0].verdict.violations' "$j" 2>/dev/null))"
	jq -c --arg axis "$axis" --argjson n "$n" '.cases[0] | {axis: $axis, n: $n, status,
		revoke_to_quiesce_p50_ns: .summary.revoke_to_quiesce_ns.p50, trigger_p50_ns: .summary.trigger_ns.p50,
		trigger_max_ns: .summary.trigger_ns.max, iterations: .summary.trigger_ns.count}' "$j"
}

echo "revoke-scale: $TRIGGER, importers unmapping after $DELAY, $ITERATIONS iterations per point" >&2
{
	for n in $DMABUFS; do echo "revoke-scale: $n dma-buf(s)" >&2; point dmabufs "$n"; done
	for n in $ATTACHMENTS; do echo "revoke-scale: $n attachment(s) on one dma-buf" >&2; point attachments "$n"; done
} >"$tmp/points.jsonl"

# least squares y = a + b*n over one axis, in ms
jq -s --arg trigger "$TRIGGER" --arg delay "$DELAY" --arg kernel "$(uname -r)" '
	def fit(key): (map(.n) | add / length) as $mx | (map(.[key] / 1e6) | add / length) as $my |
		(map((.n - $mx) * (.n - $mx)) | add) as $sxx |
		(if $sxx > 0 then (map((.n - $mx) * (.[key] / 1e6 - $my)) | add) / $sxx else 0 end) as $b |
		{per_unit_ms: $b, intercept_ms: ($my - $b * $mx)};
	def axis(a): map(select(.axis == a));
	{schema: "p2pbench-revoke-scale", version: 1, kernel: $kernel, trigger: $trigger, importer_delay: $delay,
	 dmabufs: {points: axis("dmabufs"), revoke_to_quiesce_fit: (axis("dmabufs") | fit("revoke_to_quiesce_p50_ns")),
		   trigger_fit: (axis("dmabufs") | fit("trigger_p50_ns"))},
	 attachments: {points: axis("attachments"),
		       revoke_to_quiesce_fit: (axis("attachments") | fit("revoke_to_quiesce_p50_ns")),
		       trigger_fit: (axis("attachments") | fit("trigger_p50_ns"))}}' "$tmp/points.jsonl" >"$out"

printf '\n%-12s %6s %16s %12s\n' axis n "quiesce p50 ms" "trigger p50 ms"
jq -r '(.dmabufs.points + .attachments.points)[] |
	"\(.axis) \(.n) \(.revoke_to_quiesce_p50_ns / 1e6) \(.trigger_p50_ns / 1e6)"' "$out" |
	while read -r a n q t; do printf '%-12s %6s %16.2f %12.2f\n' "$a" "$n" "$q" "$t"; done
jq -r '"\nfit (least squares over the p50s):",
	"  per dma-buf:    \(.dmabufs.revoke_to_quiesce_fit.per_unit_ms * 100 | round / 100) ms (+ \(.dmabufs.revoke_to_quiesce_fit.intercept_ms * 100 | round / 100) ms)",
	"  per attachment: \(.attachments.revoke_to_quiesce_fit.per_unit_ms * 100 | round / 100) ms (+ \(.attachments.revoke_to_quiesce_fit.intercept_ms * 100 | round / 100) ms)"' "$out"
