# shellcheck shell=bash
# Shared helpers for p2pbench scripts. Sourced, never executed.
#
# Nothing here may name a machine path or a package mirror: the mirror is read
# from this machine's own apt configuration, caches live outside the clone.

P2PB_ROOT=${P2PB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
P2PB_CACHE=${P2PBENCH_CACHE:-/var/cache/p2pbench}
P2PB_BUILD=$(realpath -m "${P2PBENCH_BUILD:-$P2PB_ROOT/build}")
# Suite that carries the Linux 7.x kernels with VFIO dma-buf support.
P2PB_KSUITE=${P2PBENCH_KERNEL_SUITE:-trixie-backports}
P2PB_KSUITE_BASE=${P2PB_KSUITE%%-*}

log()  { printf '%s: %s\n' "${P2PB_PROG:-p2pbench}" "$*" >&2; }
die()  { log "error: $*"; exit 1; }

# progress_while PID WHAT [COUNT_CMD]: until PID exits, say how long WHAT has
# taken and what COUNT_CMD prints (every 30 s; on a terminal, in place every
# 2 s); returns PID's exit status.
progress_while() {
	local pid=$1 what=$2 count=${3:-} t0=$SECONDS step=30 end='\n' ticks=0 said=
	[ -t 2 ] && step=2 end='\r'
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		[ $((ticks % step)) -eq 0 ] || continue
		printf "%s: %s: %d s%s$end" "${P2PB_PROG:-p2pbench}" "$what" $((SECONDS - t0)) \
			"${count:+, $($count)}" >&2
		said=1
	done
	[ -z "$said" ] || [ "$end" != '\r' ] || printf '\n' >&2
	wait "$pid"
}

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (installs packages, boots the lab with /dev/kvm-less QEMU, binds devices)"
}

# Install Debian packages that are missing; quiet when everything is there.
apt_ensure() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	need_root
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# Packages the userspace build and the unit tests need.
P2PB_BUILD_DEPS=(build-essential cmake pkg-config libjson-c-dev libinih-dev
	liburing-dev libhwloc-dev libibverbs-dev valgrind)
# What scripts/test adds: the report test renders pages in headless Chromium.
P2PB_TEST_DEPS=(chromium fonts-dejavu-core)
# Packages the virtual lab needs on the host (the guest uses the host root).
P2PB_LAB_DEPS=(qemu-system-x86 busybox-static debootstrap cpio kmod pciutils
	iproute2 rdma-core ibverbs-utils perftest fio gnuplot-nox
	debian-archive-keyring jq tmux)

# The Debian archive URI this machine's apt already uses for its own release
# (the entry whose suite is the release codename, not -security/-updates).
debian_mirror() {
	local codename f uri
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v c="$codename" '
			/^[ \t]*$/ { if (u && s) { print u; exit } u = ""; s = 0; next }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == c) s = 1 }
			END { if (u && s) print u }' "$f" | head -n1)
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk -v c="$codename" '$1 == "deb" {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { if ($(i+1) == c) { print $i; exit } } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	return 1
}

# apt-get/apt-cache against a private state that only knows $P2PB_KSUITE,
# so the host's own apt configuration is never changed.
kapt_opts() {
	local d=$P2PB_CACHE/apt
	echo "-o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/nonexistent" \
	     "-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Debug::NoLocking=1" \
	     "-o APT::Architecture=amd64 -o Acquire::Languages=none -o APT::Sandbox::User=root"
}

kapt_update() {
	local d=$P2PB_CACHE/apt uri
	uri=$(debian_mirror) || die "cannot find the Debian archive in this machine's apt sources"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $P2PB_KSUITE main" >"$d/sources.list"
	# shellcheck disable=SC2046
	apt-get $(kapt_opts) update -q >"$d/update.log" 2>&1 ||
		die "apt-get update for $P2PB_KSUITE failed (see $d/update.log)"
}

# Newest 7.x kernel version (e.g. 7.3.4+deb13) for which image, modules and
# headers of one version exist in the suite.
newest_lab_kernel() {
	local v
	# shellcheck disable=SC2046
	for v in $(apt-cache $(kapt_opts) pkgnames linux-binary-7. |
		sed -n 's/^linux-binary-\(7\.[0-9.]*+deb[0-9]*\)-amd64$/\1/p' | sort -rV); do
		if kpkgs_exist "$v"; then echo "$v"; return 0; fi
	done
	return 1
}

kernel_pkgs() {
	local v=$1
	echo "linux-binary-$v-amd64 linux-modules-$v-amd64 linux-headers-$v-amd64 linux-headers-$v-common linux-kbuild-$v"
}

kpkgs_exist() {
	local p
	for p in $(kernel_pkgs "$1"); do
		# shellcheck disable=SC2046
		apt-cache $(kapt_opts) show "$p" >/dev/null 2>&1 || return 1
	done
}
