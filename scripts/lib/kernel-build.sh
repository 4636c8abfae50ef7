# shellcheck shell=bash
# Lab kernels built from source: scripts/lab --kernel build|debug[:series=DIR
# |:tree=PATH]. The source is the lab kernel's own Debian source
# (linux-source-7.x of the same version) or a tree the user points at; the
# configuration is allnoconfig (a tree: its defconfig) with kernel/lab/lab.config
# merged on, and kernel/debug/lab-debug.config on top for debug. A series is
# applied, in order, to a copy of its base's built tree, so only what it
# touches is compiled again. Every build is cached outside the clone under a
# name made of what went into it (source, configuration, patches); its build
# tree stays in the build chroot so that our out-of-tree modules build against
# it. Sourced after kernel.sh.

P2PB_LAB_CONFIG=$P2PB_ROOT/kernel/lab/lab.config
P2PB_DEBUG_CONFIG=$P2PB_ROOT/kernel/debug/lab-debug.config
# series builds kept per base build (each is a whole built tree)
P2PB_KBUILD_KEEP=3

# lab_kernel_spec SPEC: parse --kernel; sets KB_FLAVOR (stock, build or
# debug), KB_SERIES (a directory of patches or one mbox) and KB_TREE.
lab_kernel_spec() {
	local spec=$1 rest=
	KB_FLAVOR=${spec%%:*} KB_SERIES= KB_TREE= KB_TREE_DESCRIBE=
	[ "$KB_FLAVOR" = "$spec" ] || rest=${spec#*:}
	case $KB_FLAVOR in
	stock) [ -z "$rest" ] || die "--kernel stock is Debian's prebuilt kernel: it takes no series or tree" ;;
	build|debug) ;;
	*) die "--kernel takes stock, build[:series=DIR|:tree=PATH] or debug[:series=DIR|:tree=PATH], not '$spec'" ;;
	esac
	case $rest in
	'') ;;
	series=?*)
		KB_SERIES=$(readlink -f "${rest#series=}") && [ -r "$KB_SERIES" ] ||
			die "--kernel $spec: no series at '${rest#series=}'"
		kb_series_files >/dev/null ;;
	tree=?*)
		KB_TREE=$(readlink -f "${rest#tree=}") && [ -d "$KB_TREE" ] ||
			die "--kernel $spec: no directory '${rest#tree=}'"
		kb_tree_check ;;
	*) die "--kernel $spec: after '$KB_FLAVOR:' comes series=DIR or tree=PATH" ;;
	esac
}

# The series' patches in the order they apply: DIR/*.patch (git format-patch
# numbers them), or the messages of one mbox file split by git mailsplit.
kb_series_files() {
	local f n
	if [ -d "$KB_SERIES" ]; then
		n=0
		for f in "$KB_SERIES"/*.patch; do
			[ -f "$f" ] || continue
			echo "$f"; n=$((n + 1))
		done
		[ "$n" -gt 0 ] || die "series $KB_SERIES: no *.patch files in it"
		return 0
	fi
	[ -n "${KB_MBOX_DIR:-}" ] || {
		KB_MBOX_DIR=$(mktemp -d)
		git mailsplit -o"$KB_MBOX_DIR" "$KB_SERIES" >/dev/null 2>&1 && [ -n "$(ls "$KB_MBOX_DIR")" ] ||
			die "series $KB_SERIES: neither a directory of *.patch files nor an mbox of patches"
	}
	ls -d "$KB_MBOX_DIR"/*
}

# A patch's subject without its [PATCH n/m] prefix (the file name if none).
kb_patch_subject() {
	local s
	s=$(sed -n '/^Subject:/{s/^Subject: *//;s/^\[[^]]*\] *//;p;q}' "$1")
	echo "${s:-$(basename "$1")}"
}

kb_tree_check() {
	local v
	[ -f "$KB_TREE/Makefile" ] && [ -f "$KB_TREE/Kconfig" ] ||
		die "--kernel tree=$KB_TREE: not a Linux source tree (no top-level Makefile and Kconfig)"
	v=$(sed -n 's/^VERSION = //p' "$KB_TREE/Makefile" | head -n1)
	[ "$v" = 7 ] || die "--kernel tree=$KB_TREE: Linux ${v:-?}.x; the lab boots 7.x kernels"
}

# The tree's files that make up its source, relative to it: what git tracks
# (less what was deleted) plus untracked files it does not ignore (no build
# outputs), or every file and symlink of a non-git tree.
kb_tree_files() {
	local f
	if git -C "$KB_TREE" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$KB_TREE" ls-files -z -c -o --exclude-standard --deduplicate |
			while IFS= read -r -d '' f; do
				[ -e "$KB_TREE/$f" ] || [ -L "$KB_TREE/$f" ] && printf '%s\0' "$f"
			done
	else
		(cd "$KB_TREE" && find . \( -type f -o -type l \) ! -path './.git/*' -print0)
	fi
}

# What the tree's source is, as one hash: every file's path and content, a
# symlink's target in place of content (the tree links to directories).
kb_tree_digest() {
	local list f
	list=$(mktemp)
	(
		cd "$KB_TREE" || exit 1
		kb_tree_files | sort -z >"$list"
		while IFS= read -r -d '' f; do
			[ ! -L "$f" ] || printf 'link %s %s\n' "$f" "$(readlink "$f")"
		done <"$list"
		while IFS= read -r -d '' f; do
			[ -L "$f" ] || printf '%s\0' "$f"
		done <"$list" | xargs -0 -r sha256sum
	) | kb_hash
	local rc=${PIPESTATUS[0]}
	rm -f "$list"
	return "$rc"
}

# The tree's git describe (kb_source_identify reads it once into KB_TREE_DESCRIBE).
kb_tree_describe() {
	git -C "$KB_TREE" describe --always --dirty --tags --abbrev=12 2>/dev/null || echo "(not a git tree)"
}

kb_hash() { sha256sum | cut -c1-12; }

# Build ID's cache directory, its build tree in the chroot (a path inside the
# chroot), and whether it is complete.
kb_out() { echo "$P2PB_CACHE/kernel-built/$1"; }
kb_src() { echo "/usr/src/p2pb-kernel-$1"; }
kb_built() { [ -f "$(kb_out "$1")/.complete" ]; }

# Forget build ID: its cache directory and its tree in the chroot.
kb_remove() { rm -rf "$(kb_out "$1")" "$LAB_BUILDROOT$(kb_src "$1")"; }

# Sets KB_SOURCE (what the source is, for provenance) and KB_SOURCE_ID.
kb_source_identify() {
	if [ -n "$KB_TREE" ]; then
		log "hashing the source of $KB_TREE"
		KB_TREE_DESCRIBE=$(kb_tree_describe)
		KB_SOURCE="tree $KB_TREE_DESCRIBE"
		KB_SOURCE_ID=$(kb_tree_digest) || die "--kernel tree=$KB_TREE: reading its files failed"
	else
		lab_vfio_source_prepare	# installs linux-source-7.x in the chroot
		KB_SOURCE="$(lab_source_pkg) $(cat "$LAB_VFIO_SRC/VERSION")"
		KB_SOURCE_ID=$(echo "$KB_SOURCE" | kb_hash)
	fi
}

# The fragments the flavour merges, in order.
kb_fragments() {
	echo "$P2PB_LAB_CONFIG"
	[ "$KB_FLAVOR" != debug ] || echo "$P2PB_DEBUG_CONFIG"
}

# Sets LAB_KREL, LAB_MODDIR, LAB_VMLINUZ, LAB_KDIR, LAB_KBUILD (the build tree
# in the chroot), LAB_KID (names this build among all) and LAB_VFIO_SRC (the
# booted kernel's own drivers/vfio/pci); builds on first use.
lab_built_kernel_prepare() {
	local base id
	lab_buildroot_prepare
	kb_tools_prepare
	kb_source_identify
	base=$( { echo "$KB_SOURCE_ID $KB_FLAVOR"; [ -n "$KB_TREE" ] && echo defconfig || echo allnoconfig
		kb_fragments | xargs cat; } | kb_hash)
	id=$base
	if [ -n "$KB_SERIES" ]; then
		id=$( { echo "$base"; kb_series_files | xargs cat; } | kb_hash)
		# a series that does not apply is told before any build starts
		kb_built "$id" || kb_series_check "$base"
	fi
	kb_built "$base" || kb_build_base "$base"
	if [ -n "$KB_SERIES" ]; then
		kb_built "$id" || kb_build_series "$base" "$id"
		kb_prune "$base" "$id"
	fi
	kb_selftests "$id"
	LAB_KDIR=$(kb_out "$id")
	touch "$LAB_KDIR/.used"
	LAB_KREL=$(ls "$LAB_KDIR/root/lib/modules")
	LAB_MODDIR=$LAB_KDIR/root/lib/modules/$LAB_KREL
	LAB_VMLINUZ=$LAB_KDIR/vmlinuz
	LAB_KBUILD=$(kb_src "$id")
	LAB_KID=$LAB_KREL-$id
	LAB_VFIO_SRC=$LAB_BUILDROOT$LAB_KBUILD
	[ -z "${KB_MBOX_DIR:-}" ] || rm -rf "$KB_MBOX_DIR"
}

kb_tools_prepare() {
	[ -f "$LAB_BUILDROOT/.kbuild-tools" ] && return 0
	log "installing the kernel build tools in the build chroot"
	chroot "$LAB_BUILDROOT" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -t $P2PB_KSUITE gcc bc bison flex libelf-dev libssl-dev cpio kmod xz-utils" \
		>>"$P2PB_CACHE/buildroot-apt.log" 2>&1 ||
		die "installing the kernel build tools failed (see $P2PB_CACHE/buildroot-apt.log)"
	touch "$LAB_BUILDROOT/.kbuild-tools"
}

# The kernel's own selftests of the paths p2pbench judges (tools/testing/
# selftests/iommu, with IOMMUFD_TEST; tools/testing/selftests/vfio), built
# once per kernel from its tree into kernel-built/ID/selftests, statically:
# the guest runs the host's userspace, older than the chroot's. A build that
# fails is recorded there (.failed) and does not stop the boot: the
# selftest checks report it.
kb_selftests() {
	local id=$1 src out t
	src=$(kb_src "$id") out=$(kb_out "$id")/selftests
	[ -f "$out/.complete" ] || [ -f "$out/.failed" ] && return 0
	kb_selftest_tools_prepare
	log "building the kernel's iommu and vfio selftests (once per kernel)"
	rm -rf "$out.tmp"; mkdir -p "$out.tmp"
	for t in iommu vfio; do
		mkdir -p "$out.tmp/$t"
		kb_make "$src" "$out" headers >>"$out.tmp/build.log" 2>&1 &&
			kb_make "$src" "$out" -C "tools/testing/selftests/$t" OUTPUT="/out/$t" CC="gcc -static" \
				>>"$out.tmp/build.log" 2>&1 && continue
		log "warning: building the $t selftests failed (see $out/build.log)"
		echo "the $t selftests did not build: $(grep -m1 -E 'error|Error' "$out.tmp/build.log")" >>"$out.tmp/.failed"
	done
	[ -f "$out.tmp/.failed" ] || touch "$out.tmp/.complete"
	rm -rf "$out"; mv "$out.tmp" "$out"
}

kb_selftest_tools_prepare() {
	[ -f "$LAB_BUILDROOT/.selftest-tools" ] && return 0
	log "installing what the kernel's selftests link with in the build chroot"
	chroot "$LAB_BUILDROOT" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -t $P2PB_KSUITE libcap-dev uuid-dev" >>"$P2PB_CACHE/buildroot-apt.log" 2>&1 ||
		die "installing libcap-dev and uuid-dev failed (see $P2PB_CACHE/buildroot-apt.log)"
	touch "$LAB_BUILDROOT/.selftest-tools"
}

# kb_build_base ID: unpack or copy the source, configure, build, install.
kb_build_base() {
	local id=$1 src dst
	src=$(kb_src "$id") dst=$(kb_out "$id")
	need_root
	rm -rf "$LAB_BUILDROOT$src" "$dst.tmp"
	mkdir -p "$LAB_BUILDROOT$src" "$dst.tmp/root"
	if [ -n "$KB_TREE" ]; then
		log "copying the source of $KB_TREE into the build chroot"
		(cd "$KB_TREE" && kb_tree_files | tar -c --null -T - -f -) | tar -x -C "$LAB_BUILDROOT$src" ||
			die "copying $KB_TREE failed"
		kb_make "$src" "$dst" mrproper >"$dst.tmp/build.log" 2>&1 || die "make mrproper in the copy of $KB_TREE failed"
	else
		tar -xJf "$(lab_source_tarball)" -C "$LAB_BUILDROOT$src" --strip-components=1 || die "unpacking the kernel source failed"
	fi
	kb_configure "$src" "$dst"
	log "building the $KB_FLAVOR kernel from $KB_SOURCE (once; cached; about $(kb_estimate) on 2 cores)"
	kb_compile "$src" "$dst"
	kb_prune_old_layout "$id"
}

# kb_build_series BASE ID: the base's built tree, copied, with the series on.
kb_build_series() {
	local base=$1 id=$2 src dst
	src=$(kb_src "$id") dst=$(kb_out "$id")
	need_root
	rm -rf "$LAB_BUILDROOT$src" "$dst.tmp"
	mkdir -p "$dst.tmp/root"
	log "copying the built $KB_FLAVOR tree to apply $(basename "$KB_SERIES")"
	cp -a "$LAB_BUILDROOT$(kb_src "$base")" "$LAB_BUILDROOT$src" || die "copying the built tree failed"
	kb_series_apply "$LAB_BUILDROOT$src" || die "series $(basename "$KB_SERIES") did not apply to the copy"
	echo "$base" >"$dst.tmp/.base"
	log "building $(basename "$KB_SERIES") on the $KB_FLAVOR kernel (what the series touches)"
	# at the base's own path: the tree records absolute paths (objtool's
	# objects among them), and a tree seen elsewhere is built again whole
	KB_MAKE_AT=$(kb_src "$base") kb_compile "$src" "$dst"
}

# The paths the patches on stdin touch (git or plain unified diffs).
kb_patch_paths() {
	sed -n -e 's|^--- a/\([^\t]*\).*|\1|p' -e 's|^+++ b/\([^\t]*\).*|\1|p' \
		-e 's|^rename from ||p' -e 's|^copy from ||p' | sort -u
}

# Before anything is built or copied: apply the series, in order, to a copy
# of only the files it touches (from the base's built tree, the user's tree,
# or the Debian source archive); the first patch that does not apply stops the
# run with one line naming it and why.
kb_series_check() {
	local base=$1 scratch p n=0 total err
	scratch=$(mktemp -d)
	kb_series_files | xargs cat | kb_patch_paths >"$scratch/.paths"
	if kb_built "$base"; then
		kb_copy_paths "$LAB_BUILDROOT$(kb_src "$base")" "$scratch"
	elif [ -n "$KB_TREE" ]; then
		kb_copy_paths "$KB_TREE" "$scratch"
	else
		# members the archive does not have are files the series creates
		tar -xJf "$(lab_source_tarball)" -C "$scratch" \
			--strip-components=1 --wildcards $(sed "s|^|*/|" "$scratch/.paths") 2>/dev/null || true
	fi
	total=$(kb_series_files | wc -l)
	while read -r p; do
		n=$((n + 1))
		if ! err=$(kb_git_apply "$scratch" "$p" 2>&1); then
			rm -rf "$scratch"
			err="series $(basename "$KB_SERIES"): patch $n of $total, $(basename "$p") (\"$(kb_patch_subject "$p")\"), does not apply: $(echo "$err" | sed -n 's/^error: //p' | head -n1)"
			[ -z "${KB_MBOX_DIR:-}" ] || rm -rf "$KB_MBOX_DIR"
			die "$err"
		fi
	done < <(kb_series_files)
	rm -rf "$scratch"
}

# kb_copy_paths FROM TO: the files named in TO/.paths that FROM has.
kb_copy_paths() {
	local f
	while read -r f; do
		[ -e "$1/$f" ] || continue
		mkdir -p "$2/$(dirname "$f")" && cp -a "$1/$f" "$2/$f"
	done <"$2/.paths"
}

kb_series_apply() {
	local tree=$1 p
	while read -r p; do
		kb_git_apply "$tree" "$p" || return 1
	done < <(kb_series_files)
}

# git apply as patch(1) does, in DIR, whatever git repository DIR may sit in.
kb_git_apply() {
	(cd "$1" && GIT_CEILING_DIRECTORIES=$(dirname "$1") git apply --whitespace=nowarn "$2")
}

# configure: allnoconfig (a tree: defconfig), the fragments, LOCALVERSION;
# every fragment line must survive olddefconfig.
kb_configure() {
	local src=$1 dst=$2 f frags=()
	kb_make "$src" "$dst" "$([ -n "$KB_TREE" ] && echo defconfig || echo allnoconfig)" >>"$dst.tmp/build.log" 2>&1 ||
		die "configuring the kernel failed (see $dst.tmp/build.log)"
	while read -r f; do
		cp "$f" "$LAB_BUILDROOT$src/p2pb-$(basename "$f")"; frags+=("p2pb-$(basename "$f")")
	done < <(kb_fragments)
	echo "CONFIG_LOCALVERSION=\"-p2pb-$KB_FLAVOR\"" >"$LAB_BUILDROOT$src/p2pb-localversion.config"
	(cd "$LAB_BUILDROOT$src" && scripts/kconfig/merge_config.sh -m .config "${frags[@]}" p2pb-localversion.config \
		>>"$dst.tmp/build.log" 2>&1) && kb_make "$src" "$dst" olddefconfig >>"$dst.tmp/build.log" 2>&1 ||
		die "configuring the kernel failed (see $dst.tmp/build.log)"
	kb_config_check "$LAB_BUILDROOT$src/.config"
}

# A dropped line would make a claim false ("the debug kernel found nothing",
# "iommufd is there"): every line of every fragment must be in the result.
kb_config_check() {
	local cfg=$1 line missing=
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		grep -qxF "$line" "$cfg" || missing="$missing $line"
	done < <(kb_fragments | xargs cat)
	[ -z "$missing" ] || die "the $KB_FLAVOR kernel's configuration lost:$missing"
}

# kb_compile SRC DST: build, install modules and the image, record provenance.
kb_compile() {
	local src=$1 dst=$2 t0
	t0=$(date +%s)
	kb_make "$src" "$dst" -j"$(nproc)" bzImage modules >>"$dst.tmp/build.log" 2>&1 &
	progress_while $! "building" "kb_compiled $dst.tmp/build.log" ||
		{ tail -n 30 "$dst.tmp/build.log" >&2; die "building the kernel failed (see $dst.tmp/build.log)"; }
	kb_make "$src" "$dst" INSTALL_MOD_PATH=/out/root modules_install >>"$dst.tmp/build.log" 2>&1 ||
		die "installing the kernel's modules failed (see $dst.tmp/build.log)"
	cp "$LAB_BUILDROOT$src/arch/x86/boot/bzImage" "$dst.tmp/vmlinuz"
	# where p2pbench doctor looks for the running kernel's configuration
	cp "$LAB_BUILDROOT$src/.config" "$(ls -d "$dst.tmp"/root/lib/modules/*)/config"
	echo $(($(date +%s) - t0)) >"$dst.tmp/build-seconds"
	kb_provenance "$LAB_BUILDROOT$src/.config" "$(cat "$dst.tmp/build-seconds")" >"$dst.tmp/provenance.json"
	log "kernel built in $(cat "$dst.tmp/build-seconds") s"
	echo "$KB_FLAVOR ${KB_TREE:-debian}" >"$dst.tmp/.kind"
	touch "$dst.tmp/.complete"
	rm -rf "$dst"; mv "$dst.tmp" "$dst"
}

# How the kernel was built, for every result made on it (schema: result-v2.md).
kb_provenance() {
	local cfg=$1 secs=$2 patches='[]'
	if [ -n "$KB_SERIES" ]; then
		patches=$(kb_series_files | while read -r p; do kb_patch_subject "$p"; done | jq -R . | jq -s -c .)
	fi
	jq -n --arg flavor "$KB_FLAVOR" --arg source "$KB_SOURCE" --arg cfg "$(sha256sum <"$cfg" | cut -d' ' -f1)" \
		--arg tree "${KB_TREE_DESCRIBE:-}" --arg series "$([ -n "$KB_SERIES" ] && basename "$KB_SERIES")" \
		--argjson secs "$secs" --argjson patches "$patches" '{origin: "built", flavor: $flavor, source: $source,
		config_sha256: $cfg, build_seconds: $secs}
		+ (if $tree != "" then {tree_describe: $tree} else {} end)
		+ (if $series != "" then {series: {name: $series, patches: $patches}} else {} end)'
}

# The booting kernel's provenance: the built one's record, or Debian's package.
lab_kernel_provenance() {
	if [ "$KB_FLAVOR" != stock ]; then
		jq --arg rel "$LAB_KREL" --arg id "$LAB_KID" '{release: $rel, build_id: $id} + .' "$LAB_KDIR/provenance.json"
		return
	fi
	local deb cfg
	cfg=$(lab_stock_config)
	deb=$(ls "$LAB_KDIR"/debs/linux-binary-*.deb 2>/dev/null | head -n1)
	jq -n --arg rel "$LAB_KREL" --arg src "$(basename "${deb:-unknown}" .deb | tr _ ' ')" \
		--arg cfg "$( [ -f "$cfg" ] && sha256sum <"$cfg" | cut -d' ' -f1)" \
		'{release: $rel, origin: "prebuilt", flavor: "stock", source: $src}
		+ (if $cfg != "" then {config_sha256: $cfg} else {} end)'
}

# make in the chroot's source tree SRC, with the cache's .tmp output visible
# as /out; with KB_MAKE_AT set, the tree is seen (bind-mounted) at that path.
kb_make() {
	local src=$1 dst=$2 at=${KB_MAKE_AT:-$1}
	shift 2
	unshare --mount --propagation private sh -c '
		root=$1 out=$2 src=$3 at=$4; shift 4; cd / && export PWD=/
		mount -t proc proc "$root/proc" && mkdir -p "$root/out" && mount --bind "$out" "$root/out" &&
		{ [ "$src" = "$at" ] || mount --bind "$root$src" "$root$at"; } &&
		exec chroot "$root" make -C "$at" ARCH=x86_64 "$@"' sh "$LAB_BUILDROOT" "$dst.tmp" "$src" "$at" "$@"
}

# How many files a build log shows compiled so far.
kb_compiled() { echo "$(grep -c '^  CC' "$1") files compiled"; }

kb_estimate() {
	case $KB_FLAVOR:${KB_TREE:+tree} in
	debug:*) echo "15 minutes" ;;
	build:tree) echo "20 minutes (defconfig)" ;;
	*) echo "8 minutes" ;;
	esac
}

# Series builds of BASE beyond the newest P2PB_KBUILD_KEEP go (each is a
# whole built tree in the chroot).
kb_prune() {
	local base=$1 keep=$2 d n=0
	# shellcheck disable=SC2045 # newest first; cache names have no spaces
	for d in $(ls -dt "$(kb_out "")"*/.used 2>/dev/null); do
		d=$(dirname "$d")
		[ "$(cat "$d/.base" 2>/dev/null)" = "$base" ] && [ "${d##*/}" != "$keep" ] || continue
		n=$((n + 1))
		[ "$n" -lt "$P2PB_KBUILD_KEEP" ] && continue
		kb_remove "${d##*/}"
	done
}

# A new base build replaces the older ones of its kind (same flavour, same
# source tree) with their series, and the layout before kernel-built/.
kb_prune_old_layout() {
	local new=$1 d kind="$KB_FLAVOR ${KB_TREE:-debian}"
	for d in "$(kb_out "")"*/; do
		d=${d%/}
		[ "$(cat "$d/.kind" 2>/dev/null)" = "$kind" ] && [ "${d##*/}" != "$new" ] || continue
		kb_remove "${d##*/}"
	done
	rm -rf "$P2PB_CACHE/kernel-debug" "$LAB_BUILDROOT"/usr/src/linux-p2pb-debug-*
}
