#!/usr/bin/env bash
# The layers' rule (docs/architecture.md): dependencies point down,
# cli -> stress, analyze -> bench -> lib. A file that includes a header of
# its own layer or a lower one is fine; one that includes a header living
# only in a higher layer (or in the sibling stress/analyze) is reported.
set -euo pipefail
root=${1:?source tree}
cd "$root"
rank() {
	case $1 in
	lib) echo 0 ;; bench) echo 1 ;; stress | analyze) echo 2 ;; cli) echo 3 ;;
	esac
}
declare -A where	# header name -> the layers that have it
for d in lib bench stress analyze cli; do
	while read -r h; do
		where[$(basename "$h")]+=" $d"
	done < <(find "$d" -name '*.h')
done
bad=0 checked=0
for d in lib bench stress analyze cli; do
	while read -r f; do
		while read -r inc; do
			h=$(basename "$inc")
			[ -n "${where[$h]:-}" ] || continue
			checked=$((checked + 1))
			ok=0
			for hd in ${where[$h]}; do
				if [ "$hd" = "$d" ] || [ "$(rank "$hd")" -lt "$(rank "$d")" ]; then
					ok=1
				fi
			done
			if [ $ok = 0 ]; then
				echo "FAIL: $f includes $inc, which lives in${where[$h]} (above or beside $d/)"
				bad=$((bad + 1))
			fi
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done < <(find "$d" -name '*.[ch]')
done
# the commands' front-ends live in cli/ alone
if grep -ln 'getopt_long' lib bench stress analyze -r --include='*.c'; then
	echo "FAIL: option parsing outside cli/ (above)"
	bad=$((bad + 1))
fi
echo "$checked includes checked, $bad against the layers"
[ "$checked" -gt 100 ] && [ "$bad" = 0 ]
