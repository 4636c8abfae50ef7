# shellcheck shell=bash
# The kernel's own selftests of the paths p2pbench judges (tests/lab/
# selftests.list), sourced by the suites of kernels built from source: their
# selftests are built with them (scripts/lib/kernel-build.sh) and found
# through P2PB_LAB_SELFTESTS. A check per directory (selftests_iommu,
# selftests_vfio) runs each of its programs once with its listed tests; each test's outcome goes to OUT/selftest.BASE.TEST.status
# (BASE: the program's base name) and its lines to OUT/selftest.BASE.TEST.log,
# which ctest reports one test at a time. An upstream failure this kernel is
# known to have (tests/lab/selftests.known) is a skip that says so; one that
# then passes fails, so that the list stays true.
SELFTESTS_LIST=$HERE/selftests.list
SELFTESTS_KNOWN=$HERE/selftests.known

selftest_lines() { grep -v -e '^#' -e '^$' "$1"; }
# the listed tests of program $1
selftest_names() { selftest_lines "$SELFTESTS_LIST" | awk -v p="$1" '$1 == p { print $2 }'; }

# OUT/selftest.BASE.TEST.{status,log} for every listed test of program $1
# from its harness output $2 (exit status in $2.rc), in one pass: a slow
# guest (the debug kernel) makes every extra process count
selftest_record() {
	awk -v prog="$1" -v base="${1##*/}" -v rc="$(cat "$2.rc")" -v dir="$OUT" '
	FILENAME == ARGV[1] { if ($1 == prog) { want[$2] = 1; order[++n] = $2 }; next }
	FILENAME == ARGV[2] { if (!/^#/ && NF > 1) { t = $1; $1 = ""; sub(/^ /, ""); known[t] = $0 }; next }
	NF { lastline = $0 }
	$1 == "#" && $2 == "RUN" { cur = $3 }
	cur != "" { blk[cur] = blk[cur] $0 "\n" }
	cur != "" && why[cur] == "" && /^# [^ ]+:[0-9]+:/ { why[cur] = substr($0, 3) }
	cur != "" && /^# / { last[cur] = substr($0, 3) }
	$1 == "ok" && ($3 in want) { res[$3] = $0; cur = "" }
	$1 == "not" && $2 == "ok" && ($4 in want) { res[$4] = $0; cur = "" }
	END {
		for (i = 1; i <= n; i++) {
			t = order[i]; r = res[t]; w = why[t] != "" ? why[t] : last[t]
			if (r ~ /^ok .*# SKIP/) { st = r; sub(/.*# SKIP ?/, "", st); st = "skip: the upstream test skipped: " st }
			else if (r ~ /^ok /) st = (t in known) ? "fail: tests/lab/selftests.known says it fails here (" \
				known[t] "), but it passed: drop the line" : "pass"
			else if (r ~ /^not ok /) st = (t in known) ? "skip: fails on this kernel as known: " known[t] \
				" (the test: " w ")" : "fail: " w
			else if (rc == 4) st = "skip: the upstream program skipped every test: " lastline	# KSFT_SKIP
			else st = "fail: no result in " prog "\x27s output (it exited " rc ")"
			f = dir "/selftest." base "." t
			print st > (f ".status"); close(f ".status")
			printf "%s", blk[t] > (f ".log"); close(f ".log")
		}
	}' "$SELFTESTS_LIST" "$SELFTESTS_KNOWN" "$2"
}

# Run program $1 (under P2PB_LAB_SELFTESTS) with its listed tests, then $2...
# (the vfio programs take the device last), into OUT/selftest.BASE.out.
selftest_run() {
	local prog=$1 out=$OUT/selftest.${1##*/}.out args=() t
	shift
	while read -r t; do args+=(-r "$t"); done < <(selftest_names "$prog")
	echo "$prog: ${#args[@]} arguments for $(selftest_names "$prog" | wc -l) tests"
	timeout 600 "$P2PB_LAB_SELFTESTS/$prog" "${args[@]}" "$@" >"$out" 2>&1
	echo $? >"$out.rc"
	grep -E '^# (Totals|PASSED|FAILED)' "$out"
	selftest_record "$prog" "$out"
}

# The listed tests of the programs under DIR ($1): every one gets a result,
# each its own ctest test; the check passes when none is missing.
selftests_dir() {
	local prog missing statuses=()
	[ -n "${P2PB_LAB_SELFTESTS:-}" ] || fail "no selftests for this kernel (P2PB_LAB_SELFTESTS is not set)" || return 1
	[ ! -f "$P2PB_LAB_SELFTESTS/.failed" ] || fail "$(cat "$P2PB_LAB_SELFTESTS/.failed")" || return 1
	for prog in $(selftest_lines "$SELFTESTS_LIST" | awk -v d="$1/" 'index($1, d) == 1 { print $1 }' | uniq); do
		case $prog in
		vfio/*) selftest_run "$prog" "$EXP" ;;
		*) selftest_run "$prog" ;;
		esac
		statuses+=("$OUT/selftest.${prog##*/}".*.status)
	done
	cut -d: -f1 "${statuses[@]}" | sort | uniq -c
	missing=$(grep -l '^fail: no result' "${statuses[@]}")
	[ -z "$missing" ] || fail "no result for: $(basename -a -s .status $missing | tr '\n' ' ')"
}

# iommufd's dma-buf and VFIO-compatibility tests, on IOMMUFD_TEST's mock objects
check_selftests_iommu() {
	selftests_dir iommu
}

# the VFIO tests, on the exporter bound to vfio-pci (the suite unbinds it
# after), with 2 MiB huge pages where the kernel has HUGETLBFS
check_selftests_vfio() {
	local pages
	modprobe vfio-pci && echo vfio-pci >"/sys/bus/pci/devices/$EXP/driver_override" &&
		echo $EXP >/sys/bus/pci/drivers_probe && [ "$(driver_of $EXP)" = vfio-pci ] ||
		fail "cannot bind $EXP to vfio-pci" || return 1
	pages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null)
	[ -z "$pages" ] || echo 16 >/proc/sys/vm/nr_hugepages
	selftests_dir vfio
	[ -z "$pages" ] || echo "$pages" >/proc/sys/vm/nr_hugepages
}
