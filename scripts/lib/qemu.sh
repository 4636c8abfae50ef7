# shellcheck shell=bash
# The lab's emulator: Debian 12's QEMU (7.2, the host's package) or a newer
# one from Debian trixie / trixie-backports (scripts/lab --qemu 10, --qemu 11).
# A newer QEMU is unpacked privately into the cache (the packages apt in the
# build chroot would add to it, nothing installed anywhere) and runs on the
# host through the chroot's dynamic loader and libraries, so host paths (the
# kernel, the 9p shares) work as they are. Sourced after kernel.sh.

# lab_qemu_prepare NAME: sets QEMU (the command, an array), QEMU_VERSION
# ("11.1.3"), QEMU_BUILD (its version line's rest: the package) and
# QEMU_BOUNCE; unpacks on first use.
lab_qemu_prepare() {
	local name=$1 host
	QEMU=(qemu-system-x86_64) QEMU_BOUNCE=
	qemu_version_read || die "qemu-system-x86_64 does not run: $(qemu-system-x86_64 --version 2>&1 | head -n3)"
	host=$QEMU_VERSION
	if [ -z "$name" ] || qemu_version_matches "$host" "$name"; then return 0; fi
	lab_buildroot_prepare
	local pick ver suite root
	pick=$(qemu_candidate "$name") ||
		die "--qemu $name: no such QEMU in this machine's Debian (this machine's $host$(qemu_choices))"
	read -r ver suite <<<"$pick"
	root=$P2PB_CACHE/qemu/${ver//[:~+]/_}
	[ -f "$root/.complete" ] || qemu_unpack "$ver" "$suite" "$root"
	local br=$LAB_BUILDROOT lib=usr/lib/x86_64-linux-gnu
	QEMU=(env "QEMU_MODULE_DIR=$root/$lib/qemu" "$br/$lib/ld-linux-x86-64.so.2"
		--library-path "$root/$lib:$br/$lib" "$root/usr/bin/qemu-system-x86_64"
		-L "$root/usr/share/qemu" -L "$root/usr/share/seabios")
	qemu_version_read || die "QEMU $ver from $root does not run: $("${QEMU[@]}" --version 2>&1 | head -n3)"
	# DMA to anything but RAM (a peer's BAR) goes through a bounce buffer per
	# device, 4 KiB by default: room for a queue of the largest NVMe transfers
	if "${QEMU[@]}" -device nvme,help 2>/dev/null | grep -q x-max-bounce-buffer-size; then
		QEMU_BOUNCE=$P2PB_QEMU_BOUNCE
	fi
}

# 16 commands of 512 KiB (the lab's queue depth, the NVMe's MDTS)
P2PB_QEMU_BOUNCE=$((16 * 512 * 1024))

# ",x-max-bounce-buffer-size=N" for the lab devices when the QEMU has it.
qemu_bounce() { [ -z "${QEMU_BOUNCE:-}" ] || echo ",x-max-bounce-buffer-size=$QEMU_BOUNCE"; }

qemu_version_read() {
	local line
	line=$("${QEMU[@]}" --version 2>&1 | head -n1)
	case $line in "QEMU emulator version "*) ;; *) return 1 ;; esac
	line=${line#QEMU emulator version }
	QEMU_VERSION=${line%% *}
	QEMU_BUILD=$(echo "$line" | sed -n 's/^[^ ]* (\(.*\))$/\1/p')
}

# The upstream version (10.0.13) of a Debian version (1:10.0.13+ds-0+deb13u1).
qemu_upstream() { local v=${1#*:}; echo "${v%%[+~-]*}"; }

# Does upstream version $1 (10.0.13) answer to NAME $2 (10, 10.0, 10.0.13)?
qemu_version_matches() { case $1 in "$2"|"$2".*) return 0 ;; esac; return 1; }

# "DEBIAN-VERSION SUITE" of the newest qemu-system-x86 answering to NAME.
qemu_candidate() {
	local name=$1 ver suite
	while read -r ver suite; do
		qemu_version_matches "$(qemu_upstream "$ver")" "$name" && { echo "$ver $suite"; return 0; }
	done < <(qemu_versions)
	return 1
}

# Every qemu-system-x86 the chroot's apt knows: "VERSION SUITE", newest first.
qemu_versions() {
	chroot "$LAB_BUILDROOT" apt-cache madison qemu-system-x86 2>/dev/null |
		awk -F'|' '{ gsub(/ /, "", $2); split($3, s, " "); sub(/\/.*/, "", s[2]); print $2, s[2] }' | sort -rV -u
}

# ", 11.1.3 (trixie-backports), 10.0.13 (trixie)": what --qemu can also name.
qemu_choices() {
	local ver suite
	qemu_versions | while read -r ver suite; do printf ', %s (%s)' "$(qemu_upstream "$ver")" "$suite"; done
}

# qemu_unpack VERSION SUITE ROOT: what installing that QEMU in the chroot
# would download, unpacked into ROOT.
qemu_unpack() {
	local ver=$1 suite=$2 root=$3 dl=/var/cache/p2pb-qemu-download d l t
	need_root
	log "fetching QEMU $ver from $suite (once; unpacked in $root)"
	rm -rf "$root.tmp" "$LAB_BUILDROOT$dl"
	mkdir -p "$root.tmp" "$LAB_BUILDROOT$dl/partial"
	chroot "$LAB_BUILDROOT" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --download-only \
		--no-install-recommends -o Dir::Cache::archives=$dl -t $suite qemu-system-x86=$ver" \
		>"$root.tmp/apt.log" 2>&1 || die "downloading QEMU $ver failed (see $root.tmp/apt.log)"
	for d in "$LAB_BUILDROOT$dl"/*.deb; do
		dpkg-deb -x "$d" "$root.tmp" || die "unpacking $(basename "$d") failed"
	done
	rm -rf "$LAB_BUILDROOT$dl"
	# firmware links point at /usr/share/...: make them point inside ROOT
	find "$root.tmp" -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in /*) [ -e "$root.tmp$t" ] && ln -sfn "$root$t" "$l" ;; esac
	done
	touch "$root.tmp/.complete"
	rm -rf "$root"; mv "$root.tmp" "$root"
}
