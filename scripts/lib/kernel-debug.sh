# shellcheck shell=bash
# The lab's debug kernel: the lab kernel's own Debian source (linux-source-7.x
# of the same version) built with kernel/debug/lab-debug.config: allnoconfig,
# what the lab needs, lockdep, KASAN, DEBUG_ATOMIC_SLEEP, DMA-API debug.
# Cached outside the clone; the build tree stays in the build chroot so
# out-of-tree modules build against it. Sourced after kernel.sh.

P2PB_DEBUG_CONFIG=$P2PB_ROOT/kernel/debug/lab-debug.config

# Sets LAB_KREL, LAB_MODDIR, LAB_VMLINUZ and LAB_KBUILD (the build tree in
# the chroot) for the debug kernel; builds it on first use.
lab_debug_kernel_prepare() {
	local h series src dst t0
	lab_vfio_source_prepare		# installs linux-source-7.x in the chroot
	h=$(cat "$P2PB_DEBUG_CONFIG" | sha256sum | cut -c1-12)
	series=${LAB_KVER%%.*}.$(echo "$LAB_KVER" | cut -d. -f2)
	src=/usr/src/linux-p2pb-debug-$LAB_KVER-$h
	dst=$P2PB_CACHE/kernel-debug/$LAB_KVER-$h
	if [ ! -f "$dst/.complete" ]; then
		need_root
		log "installing the kernel build tools in the build chroot"
		chroot "$LAB_BUILDROOT" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends -t $P2PB_KSUITE gcc bc bison flex libelf-dev libssl-dev cpio kmod" \
			>>"$P2PB_CACHE/buildroot-apt.log" 2>&1 ||
			die "installing the kernel build tools failed (see $P2PB_CACHE/buildroot-apt.log)"
		log "building the debug kernel from linux-source-$series (once; about $(debug_build_estimate))"
		t0=$(date +%s)
		rm -rf "$LAB_BUILDROOT$src" "$dst.tmp"
		mkdir -p "$LAB_BUILDROOT$src" "$dst.tmp/root"
		tar -xJf "$LAB_BUILDROOT/usr/src/linux-source-$series.tar.xz" -C "$LAB_BUILDROOT$src" \
			--strip-components=1 || die "unpacking linux-source-$series failed"
		cp "$P2PB_DEBUG_CONFIG" "$LAB_BUILDROOT$src/lab-debug.config"
		debug_make "$src" "$dst" allnoconfig >"$dst.tmp/build.log" 2>&1 &&
			(cd "$LAB_BUILDROOT$src" && scripts/kconfig/merge_config.sh -m .config lab-debug.config \
				>>"$dst.tmp/build.log" 2>&1) &&
			debug_make "$src" "$dst" olddefconfig >>"$dst.tmp/build.log" 2>&1 ||
			die "configuring the debug kernel failed (see $dst.tmp/build.log)"
		debug_config_check "$LAB_BUILDROOT$src/.config"
		debug_make "$src" "$dst" -j"$(nproc)" bzImage modules >>"$dst.tmp/build.log" 2>&1 ||
			{ tail -n 30 "$dst.tmp/build.log" >&2; die "building the debug kernel failed (see $dst.tmp/build.log)"; }
		debug_make "$src" "$dst" INSTALL_MOD_PATH=/out/root modules_install >>"$dst.tmp/build.log" 2>&1 ||
			die "installing the debug kernel's modules failed (see $dst.tmp/build.log)"
		cp "$LAB_BUILDROOT$src/arch/x86/boot/bzImage" "$dst.tmp/vmlinuz"
		echo $(($(date +%s) - t0)) >"$dst.tmp/build-seconds"
		log "debug kernel built in $(cat "$dst.tmp/build-seconds") s"
		touch "$dst.tmp/.complete"
		rm -rf "$dst"; mv "$dst.tmp" "$dst"
		# older configurations' trees and kernels
		local old
		for old in "$LAB_BUILDROOT"/usr/src/linux-p2pb-debug-* "$P2PB_CACHE"/kernel-debug/*; do
			case $old in "$LAB_BUILDROOT$src"|"$dst") ;; *) rm -rf "$old" ;; esac
		done
	fi
	LAB_KDIR=$dst
	LAB_KREL=$(ls "$dst/root/lib/modules")
	LAB_MODDIR=$dst/root/lib/modules/$LAB_KREL
	LAB_VMLINUZ=$dst/vmlinuz
	LAB_KBUILD=$src
}

# make in the chroot's source tree, with the cache's .tmp output visible as /out.
debug_make() {
	local src=$1 dst=$2
	shift 2
	unshare --mount --propagation private sh -c '
		root=$1 out=$2; shift 2
		mount -t proc proc "$root/proc" && mkdir -p "$root/out" && mount --bind "$out" "$root/out" &&
		exec chroot "$root" make "$@"' sh "$LAB_BUILDROOT" "$dst.tmp" -C "$src" ARCH=x86_64 "$@"
}

# Every line of the fragment must have survived olddefconfig: a dropped
# checker would make "the debug kernel found nothing" a lie.
debug_config_check() {
	local cfg=$1 line missing=
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		grep -qxF "$line" "$cfg" || missing="$missing $line"
	done <"$P2PB_DEBUG_CONFIG"
	[ -z "$missing" ] || die "the debug kernel's configuration lost:$missing"
}

debug_build_estimate() { echo "15 minutes on 2 cores"; }
