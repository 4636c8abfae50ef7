# shellcheck shell=bash
# The kernel's own selftests of the paths p2pbench judges (tests/lab/
# selftests.list), sourced by the suites of kernels built from source: their
# selftests are built with them (scripts/lib/kernel-build.sh) and found
# through P2PB_LAB_SELFTESTS. One check runs each program once with its
# listed tests; each test's outcome goes to OUT/selftest.BASE.TEST.status
# (BASE: the program's base name) and its lines to OUT/selftest.BASE.TEST.log,
# which ctest reports one test at a time. An upstream failure this kernel is
# known to have (tests/lab/selftests.known) is a skip that says so; one that
# then passes fails, so that the list stays true.
SELFTESTS_LIST=$HERE/selftests.list
SELFTESTS_KNOWN=$HERE/selftests.known

selftest_lines() { grep -v -e '^#' -e '^$' "$1"; }
# the listed tests of program $1
selftest_names() { selftest_lines "$SELFTESTS_LIST" | awk -v p="$1" '$1 == p { print $2 }'; }
# why test $1 is known to fail here, or nothing
selftest_known() { selftest_lines "$SELFTESTS_KNOWN" | awk -v t="$1" '$1 == t { $1 = ""; sub(/^ /, ""); print; exit }'; }

# The lines of test $1 in the harness output $2: from its RUN line to its result
selftest_block() {
	awk -v t="$1" '$2 == "RUN" && $3 == t { on = 1 } on { print }
		on && (($1 == "ok" && $3 == t) || ($1 == "not" && $4 == t)) { exit }' "$2"
}

# Why test $1 failed, from its block: the first assertion, else the last comment
selftest_why() {
	local block
	block=$(selftest_block "$1" "$2")
	{ grep -m1 -E '^# [^ ]+:[0-9]+:' <<<"$block" || grep '^#' <<<"$block" | tail -n1; } | sed 's/^# //'
}

# OUT/selftest.BASE.TEST.{status,log} for every listed test of program $1 from its output $2
selftest_record() {
	local prog=$1 out=$2 base=${1##*/} t result known status
	while read -r t; do
		result=$(awk -v t="$t" '($1 == "ok" && $3 == t) || ($1 == "not" && $4 == t)' "$out" | tail -n1)
		known=$(selftest_known "$t")
		case $result in
		"ok "*"# SKIP"*) status="skip: the upstream test skipped: ${result#*# SKIP }" ;;
		"ok "*) status=pass
			[ -z "$known" ] || status="fail: tests/lab/selftests.known says it fails here ($known), but it passed: drop the line" ;;
		"not ok "*) status="fail: $(selftest_why "$t" "$out")"
			[ -z "$known" ] || status="skip: fails on this kernel as known: $known (the test: $(selftest_why "$t" "$out"))" ;;
		*) if [ "$(cat "$out.rc")" = 4 ]; then	# KSFT_SKIP before any test ran
			status="skip: the upstream program skipped every test: $(grep . "$out" | tail -n1)"
		   else
			status="fail: no result in $prog's output (it exited $(cat "$out.rc"))"
		   fi ;;
		esac
		echo "$status" >"$OUT/selftest.$base.$t.status"
		selftest_block "$t" "$out" >"$OUT/selftest.$base.$t.log"
	done < <(selftest_names "$prog")
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

# Every listed test: iommu ones on IOMMUFD_TEST's mock objects, vfio ones on
# the exporter (bound to vfio-pci for them; the suite unbinds it after), with
# 2 MiB huge pages for the mappings that want them (where the kernel has
# HUGETLBFS). The check passes when
# every listed test has a result; each result is its own ctest test.
check_selftests() {
	local prog pages missing
	[ -n "${P2PB_LAB_SELFTESTS:-}" ] || fail "no selftests for this kernel (P2PB_LAB_SELFTESTS is not set)" || return 1
	[ ! -f "$P2PB_LAB_SELFTESTS/.failed" ] || fail "$(cat "$P2PB_LAB_SELFTESTS/.failed")" || return 1
	modprobe vfio-pci && echo vfio-pci >"/sys/bus/pci/devices/$EXP/driver_override" &&
		echo $EXP >/sys/bus/pci/drivers_probe && [ "$(driver_of $EXP)" = vfio-pci ] ||
		fail "cannot bind $EXP to vfio-pci" || return 1
	pages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null)	# none without HUGETLBFS
	[ -z "$pages" ] || echo 16 >/proc/sys/vm/nr_hugepages
	for prog in $(selftest_lines "$SELFTESTS_LIST" | awk '{ print $1 }' | uniq); do
		case $prog in
		vfio/*) selftest_run "$prog" "$EXP" ;;
		*) selftest_run "$prog" ;;
		esac
	done
	[ -z "$pages" ] || echo "$pages" >/proc/sys/vm/nr_hugepages
	missing=$(selftest_lines "$SELFTESTS_LIST" | while read -r prog t; do
		grep -q '^fail: no result' "$OUT/selftest.${prog##*/}.$t.status" && echo "$t"; done)
	grep -h . "$OUT"/selftest.*.status | cut -d: -f1 | sort | uniq -c
	[ -z "$missing" ] || fail "no result for: $(tr "\n" " " <<<"$missing")"
}
