#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copy kernel modules, and the modules they depend on, for busybox's
# insmod: the test hosts' network modules (mkinitramfs.sh) and the
# guest's virtio modules (../guest/mkguest.sh).
#
#   modules.sh OUTDIR MODULES_DIR NAME...
#
# OUTDIR       where NAME.ko of every module goes, and "order": their
#              names in load order, dependencies (modinfo's "depends")
#              first, one a line
# MODULES_DIR  a kernel's lib/modules/REL directory, unpacked
#              (selftests/testhost/kernel.sh)
# NAME         a module to add
#
# Module names use '_' where file names may use '-'. Modules the kernel
# has built in (MODULES_DIR/modules.builtin) are left out; compressed ones
# (.ko.xz, .ko.zst in 6.12, .ko.gz) are stored decompressed, because
# busybox's insmod reads only plain ones. OUTDIR's other files stay.
set -eu

out=${1:?usage: modules.sh OUTDIR MODULES_DIR NAME...}
mods=${2:?missing MODULES_DIR}
shift 2

[ -d "$mods/kernel" ] || { echo "modules.sh: no modules in $mods" >&2; exit 1; }

index=$(mktemp)
trap 'rm -f "$index"' EXIT
mkdir -p "$out"
: > "$out/order"
# "name path" of every module file, to look names up in ('_' for '-').
find "$mods/kernel" -name '*.ko*' |
	sed 's|^.*/\([^/]*\)\.ko[^/]*$|\1 &|' |
	awk '{ n = $1; gsub(/-/, "_", n); print n, $2 }' > "$index"

# add_module NAME: NAME's dependencies, then NAME, unless built in or
# already added.
add_module() {
	local name f plain d

	name=$(echo "$1" | tr '-' '_')
	grep -qx "$name" "$out/order" && return 0
	if sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$mods/modules.builtin" |
		grep -qx "$name"; then
		return 0
	fi
	f=$(awk -v n="$name" '$1 == n { print $2; exit }' "$index")
	if [ -z "$f" ]; then
		echo "modules.sh: module $name not found in $mods" >&2
		exit 1
	fi
	plain="$out/$name.ko"
	case "$f" in
	*.ko)		cp "$f" "$plain" ;;
	*.ko.xz)	xz -dc "$f" > "$plain" ;;
	*.ko.zst)	zstd -dcq "$f" > "$plain" ;;
	*.ko.gz)	gzip -dc "$f" > "$plain" ;;
	*)		echo "modules.sh: cannot read $f" >&2; exit 1 ;;
	esac
	for d in $(/sbin/modinfo -F depends "$plain" | tr ',' ' '); do
		add_module "$d"
	done
	echo "$name" >> "$out/order"
}
for m in "$@"; do
	add_module "$m"
done
