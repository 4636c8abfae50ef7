#!/usr/bin/env bash
# Renders a p2pbench report in headless Chromium and checks it as a reader
# would see it: the page loads without a console error, every figure is an
# inline SVG with drawn paths, every link resolves, every table has its CSV,
# and a screenshot of the page is taken (REPORT/screenshot.png).
#
#   render-check.sh REPORT_DIR [MIN_FIGURES]
# exit 0 pass, 1 fail, 77 skip (no Chromium: scripts/test installs it as root)
set -u
dir=$1 min_figures=${2:-1}
fail() { echo "FAIL: $*"; exit 1; }
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "SKIP: chromium is not installed (scripts/test installs it as root)"; exit 77; }
[ -f "$dir/index.html" ] || fail "$dir/index.html is missing"
export HOME=${TMPDIR:-/tmp}	# chromium wants a writable profile
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
	--enable-logging=stderr --v=0)

# the console check must be able to fail: a page with a script error shows one
bad=$(mktemp -d)
printf '<!DOCTYPE html><html><body><script>no_such_function();</script></body></html>' >"$bad/bad.html"
timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$bad/bad.html" >/dev/null 2>"$bad/err"
grep -q 'CONSOLE.*no_such_function' "$bad/err" || fail "the console check sees no error on a broken page: $(tail -3 "$bad/err")"
rm -rf "$bad"

echo "== the page in Chromium"
timeout 180 "$chrome" "${flags[@]}" --dump-dom "file://$(readlink -f "$dir")/index.html" >"$dir/dom.html" 2>"$dir/chromium.log" ||
	fail "chromium exited $?: $(tail -5 "$dir/chromium.log")"
if grep -E 'CONSOLE|Uncaught|ERR_FILE_NOT_FOUND' "$dir/chromium.log"; then fail "console messages on the page"; fi
figures=$(grep -o '<figure' "$dir/dom.html" | wc -l)
svgs=$(grep -o '<svg' "$dir/dom.html" | wc -l)
echo "$figures figures, $svgs inline SVGs in the rendered DOM"
[ "$figures" -ge "$min_figures" ] || fail "$figures figures, expected at least $min_figures"
[ "$svgs" = "$figures" ] || fail "$svgs SVGs for $figures figures"
# every figure drew something: paths with many points (mawk: no {n,} intervals)
awk 'BEGIN { RS = "<figure" }
	NR > 1 {
		n = 0; s = $0
		while (match(s, /<path[^>]* d="[^"]*"/)) {
			if (RLENGTH > 60) n++
			s = substr(s, RSTART + RLENGTH)
		}
		if (n < 3) { print "figure " NR - 1 " has " n " drawn paths"; bad = 1 }
	}
	END { exit bad }' "$dir/dom.html" || fail "a figure is empty"

echo "== links and CSV"
while read -r href; do
	[ -e "$dir/$href" ] || fail "link to $href does not resolve"
done < <(grep -o 'href="[^"#:]*"' "$dir/index.html" | sed 's/^href="//; s/"$//' | sort -u)
tables=$(grep -o '<table>' "$dir/index.html" | wc -l)
csvs=$(ls "$dir"/csv/*.csv | wc -l)
[ "$tables" = "$csvs" ] || fail "$tables tables but $csvs CSV files"
for f in "$dir"/csv/*.csv; do [ "$(wc -l <"$f")" -ge 1 ] || fail "$f is empty"; done
echo "$tables tables, each with its CSV; every link resolves"

echo "== screenshot"
rm -f "$dir/screenshot.png"
timeout 180 "$chrome" "${flags[@]}" --window-size=1280,6000 --screenshot="$(readlink -f "$dir")/screenshot.png" \
	"file://$(readlink -f "$dir")/index.html" >/dev/null 2>>"$dir/chromium.log"
[ -f "$dir/screenshot.png" ] || fail "no screenshot"
[ "$(head -c 8 "$dir/screenshot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
size=$(stat -c %s "$dir/screenshot.png")
# a blank 1280x6000 page compresses to a few KB; figures and tables do not
[ "$size" -gt 60000 ] || fail "the screenshot is $size bytes: a blank page?"
echo "screenshot: $dir/screenshot.png ($size bytes)"
echo PASS
