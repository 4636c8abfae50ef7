# shellcheck shell=bash
# Lab kernel: download Debian's prebuilt 7.x packages into the cache, unpack
# them, and prepare a trixie build chroot for out-of-tree modules.
# Sourced after common.sh.

# The build chroot (made by lab_buildroot_prepare).
LAB_BUILDROOT=$P2PB_CACHE/buildroot-$P2PB_KSUITE_BASE

# Sets LAB_KVER and LAB_KDIR; downloads and unpacks on first use.
lab_kernel_prepare() {
	local v=${P2PBENCH_KERNEL:-}
	if [ -z "$v" ] && [ -f "$P2PB_CACHE/kernel/current" ] &&
		[ -z "${P2PBENCH_REFRESH:-}" ]; then
		v=$(cat "$P2PB_CACHE/kernel/current")
	fi
	if [ -z "$v" ] || [ ! -f "$P2PB_CACHE/kernel/$v/.complete" ]; then
		kapt_update
		[ -n "$v" ] || v=$(newest_lab_kernel) ||
			die "no Linux 7.x with image, modules and headers of one version in $P2PB_KSUITE"
		kpkgs_exist "$v" || die "kernel $v is not complete in $P2PB_KSUITE"
	fi
	LAB_KVER=$v
	LAB_KDIR=$P2PB_CACHE/kernel/$v
	if [ ! -f "$LAB_KDIR/.complete" ]; then
		log "fetching Linux $v from $P2PB_KSUITE (once; cached in $P2PB_CACHE)"
		local tmp=$LAB_KDIR.tmp.$$ p
		rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root"
		# shellcheck disable=SC2046
		(cd "$tmp/debs" && apt-get $(kapt_opts) download -q $(kernel_pkgs "$v") >/dev/null) ||
			{ rm -rf "$tmp"; die "downloading the Linux $v packages failed"; }
		for p in "$tmp"/debs/linux-binary-* "$tmp"/debs/linux-modules-*; do
			dpkg-deb -x "$p" "$tmp/root" || { rm -rf "$tmp"; die "unpacking $p failed"; }
		done
		local mdir
		mdir=$(lab_moddir_in "$tmp/root" "$v-amd64") || { rm -rf "$tmp"; die "no modules in the $v packages"; }
		# (the packages ship no modules.order/modules.builtin: depmod warns, harmlessly)
		depmod -b "${mdir%/lib/modules/$v-amd64}" "$v-amd64" 2>/dev/null || { rm -rf "$tmp"; die "depmod failed"; }
		touch "$tmp/.complete"
		rm -rf "$LAB_KDIR"; mv "$tmp" "$LAB_KDIR"
	fi
	echo "$v" >"$P2PB_CACHE/kernel/current"
	LAB_KREL=$v-amd64
	LAB_MODDIR=$(lab_moddir_in "$LAB_KDIR/root" "$LAB_KREL") || die "no modules in $LAB_KDIR"
	LAB_VMLINUZ=$LAB_MODDIR/vmlinuz
	[ -f "$LAB_VMLINUZ" ] || LAB_VMLINUZ=$LAB_KDIR/root/boot/vmlinuz-$LAB_KREL
	[ -f "$LAB_VMLINUZ" ] || die "no vmlinuz in $LAB_KDIR"
}

# The prebuilt kernel's .config: its headers package's, in the build chroot
# (the image and modules packages carry none).
lab_stock_config() {
	echo "$LAB_BUILDROOT/usr/src/linux-headers-$LAB_KREL/.config"
}

# /usr/lib/modules (merged /usr) or /lib/modules, whichever the package used.
lab_moddir_in() {
	local root=$1 v=$2 d
	for d in "$root/usr/lib/modules/$v" "$root/lib/modules/$v"; do
		[ -d "$d/kernel" ] && { echo "$d"; return 0; }
	done
	return 1
}

# A Debian trixie chroot with the lab kernel's headers installed through apt,
# so the packaged kbuild tools (built against glibc 2.38+, gcc-14) run as is.
lab_buildroot_prepare() {
	local br=$LAB_BUILDROOT uri
	if [ -f "$br/.headers-$LAB_KVER" ]; then return 0; fi
	need_root
	uri=$(debian_mirror) || die "cannot find the Debian archive in this machine's apt sources"
	if [ ! -f "$br/.complete" ]; then
		log "creating the $P2PB_KSUITE_BASE build chroot for kernel modules (once, a few minutes)"
		rm -rf "$br.tmp"
		debootstrap --variant=minbase --include=make,gcc-14,libc6-dev,ca-certificates \
			"$P2PB_KSUITE_BASE" "$br.tmp" "$uri" >"$P2PB_CACHE/debootstrap.log" 2>&1 ||
			{ rm -rf "$br.tmp"; die "debootstrap failed (see $P2PB_CACHE/debootstrap.log)"; }
		printf 'deb %s %s main\ndeb %s %s main\n' "$uri" "$P2PB_KSUITE_BASE" "$uri" "$P2PB_KSUITE" \
			>"$br.tmp/etc/apt/sources.list"
		touch "$br.tmp/.complete"
		rm -rf "$br"; mv "$br.tmp" "$br"
	fi
	log "installing linux-headers-$LAB_KVER-amd64 in the build chroot"
	chroot "$br" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -t $P2PB_KSUITE linux-headers-$LAB_KVER-amd64" \
		>"$P2PB_CACHE/buildroot-apt.log" 2>&1 ||
		die "installing headers in the build chroot failed (see $P2PB_CACHE/buildroot-apt.log)"
	touch "$br/.headers-$LAB_KVER"
}

# Build an out-of-tree Kbuild directory against the lab kernel inside the
# chroot. The sources are copied in (no bind mounts to leak on Ctrl-C) and the
# .ko files copied back to $3.
lab_build_module() {
	local src=$1 name=$2 out=$3 work
	lab_buildroot_prepare
	# a work directory of its own: builds from two clones may run at once
	work=$LAB_BUILDROOT/build/$name.$$
	rm -rf "$work"; mkdir -p "$work" "$out"
	cp -a "$src"/. "$work"/
	# objtool reads /proc: mount it in a private mount namespace, which
	# vanishes with the build, so nothing stays mounted after Ctrl-C.
	if ! unshare --mount --propagation private sh -c \
		'mount -t proc proc "$1/proc" && exec chroot "$1" make -C "$2" M="/build/$3" modules' \
		sh "$LAB_BUILDROOT" "${LAB_KBUILD:-/usr/src/linux-headers-$LAB_KREL}" "${work##*/}" >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		rm -rf "$work"
		die "building $name against Linux $LAB_KVER failed"
	fi
	cp "$work"/*.ko "$out"/
	rm -rf "$work"
}

# The lab kernel's source package, linux-source-MAJOR.MINOR, and the archive
# it installs in the build chroot.
lab_source_pkg() { echo "linux-source-${LAB_KVER%%.*}.$(echo "$LAB_KVER" | cut -d. -f2)"; }
lab_source_tarball() { echo "$LAB_BUILDROOT/usr/src/$(lab_source_pkg).tar.xz"; }

# Pristine drivers/vfio/pci of the lab kernel's own Debian source
# (linux-source-7.x of the same version, installed in the build chroot).
lab_vfio_source_prepare() {
	local pkg dst
	pkg=$(lab_source_pkg)
	lab_buildroot_prepare
	dst=$P2PB_CACHE/vfio-src-$LAB_KVER
	LAB_VFIO_SRC=$dst
	[ -f "$dst/.complete" ] && return 0
	log "fetching $pkg for drivers/vfio/pci (once)"
	chroot "$LAB_BUILDROOT" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -t $P2PB_KSUITE $pkg" >>"$P2PB_CACHE/buildroot-apt.log" 2>&1 ||
		die "installing $pkg in the build chroot failed (see $P2PB_CACHE/buildroot-apt.log)"
	local pkgver kver
	pkgver=$(chroot "$LAB_BUILDROOT" dpkg-query -W -f='${Version}' "$pkg")
	kver=$(apt-cache $(kapt_opts) show "linux-binary-$LAB_KVER-amd64" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	[ -z "$kver" ] || [ "$pkgver" = "$kver" ] ||
		die "$pkg is $pkgver but the lab kernel is $kver: no matching source"
	rm -rf "$dst.tmp"; mkdir -p "$dst.tmp"
	tar -xJf "$(lab_source_tarball)" -C "$dst.tmp" --strip-components=1 \
		--wildcards "$pkg/drivers/vfio/pci/*" || die "unpacking $pkg failed"
	echo "$pkgver" >"$dst.tmp/VERSION"
	touch "$dst.tmp/.complete"
	rm -rf "$dst"; mv "$dst.tmp" "$dst"
}

# vfio-pci-core.ko + vfio-pci.ko from that source with the patches of
# PATCHDIR applied (none: the unpatched out-of-tree build), built with
# kernel/vfio/Kbuild: lab_vfio_build OUT [PATCHDIR]
lab_vfio_build() {
	local out=$1 pdir=${2:-} tmp p
	# a built kernel's own tree (set by lab_built_kernel_prepare) or the Debian source
	[ -n "${LAB_KBUILD:-}" ] || lab_vfio_source_prepare
	tmp=$(mktemp -d)
	mkdir -p "$tmp/drivers/vfio/pci" "$tmp/mod"
	cp "$LAB_VFIO_SRC"/drivers/vfio/pci/*.[ch] "$LAB_VFIO_SRC"/drivers/vfio/pci/{Makefile,Kconfig} "$tmp/drivers/vfio/pci/"
	for p in ${pdir:+"$pdir"/*.patch}; do
		patch -s -p1 -d "$tmp" <"$p" || { rm -rf "$tmp"; die "$(basename "$p") does not apply to the vfio-pci source of Linux $LAB_KREL"; }
	done
	cp "$tmp"/drivers/vfio/pci/vfio_pci*.c "$tmp"/drivers/vfio/pci/*.h "$tmp/mod/"
	rm -f "$tmp/mod/vfio_pci_zdev.c"
	cp "$P2PB_ROOT/kernel/vfio/Kbuild" "$tmp/mod/Kbuild"
	lab_build_module "$tmp/mod" vfio "$out"
	rm -rf "$tmp"
}
