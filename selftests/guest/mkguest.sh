#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs of the selftests' Linux guest for one kernel.
#
#   mkguest.sh OUT KDIR REL TOOLS
#
# OUT    the cpio (newc) archive to write, uncompressed: Bochs unpacks a
#        compressed one slowly (shared/TESTHOST.md), and so would a guest
#        running inside it
# KDIR   the unpacked kernel package (selftests/testhost/kernel.sh)
# REL    its release (scripts/kver.sh)
# TOOLS  a directory with mvm-mark, mvm-pattern, mvm-net, ttydrain
#        (static) and mvm_vmmio.ko built for REL
#
# Holds static busybox, ./init, the tools and the modules virtio-blk and
# virtio-net over virtio-mmio need, with what they depend on (virtio_net
# needs net_failover and failover), in load order (lib/modules/order). Modules the kernel has built in are left out;
# compressed ones (.ko.xz, .ko.zst in 6.12) are stored decompressed,
# because busybox's insmod reads only plain ones.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mkguest.sh OUT KDIR REL TOOLS}
kdir=${2:?missing KDIR}
rel=${3:?missing REL}
tools=${4:?missing TOOLS}
mods="$kdir/lib/modules/$rel"

busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkguest.sh: $busybox is not static; install busybox-static" >&2
	exit 1
fi
[ -d "$mods/kernel" ] || { echo "mkguest.sh: no modules in $mods" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
index="$tmp/index"
mkdir -p "$root/bin" "$root/lib/modules" "$root/dev" "$root/proc" \
	 "$root/sys" "$root/mnt" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
for t in mvm-mark mvm-pattern mvm-net ttydrain; do
	cp "$tools/$t" "$root/bin/$t"
done
cp "$tools/mvm_vmmio.ko" "$root/lib/modules/mvm_vmmio.ko"

# add_module NAME: NAME's dependencies, then NAME, unless built in or
# already added. Module names use '_' where file names may use '-'.
add_module() {
	local name f plain d

	name=$(echo "$1" | tr '-' '_')
	grep -qx "$name" "$root/lib/modules/order" 2>/dev/null && return 0
	if sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$mods/modules.builtin" |
		grep -qx "$name"; then
		return 0
	fi
	f=$(awk -v n="$name" '$1 == n { print $2; exit }' "$index")
	if [ -z "$f" ]; then
		echo "mkguest.sh: module $name not found in $mods" >&2
		exit 1
	fi
	plain="$root/lib/modules/$name.ko"
	case "$f" in
	*.ko)		cp "$f" "$plain" ;;
	*.ko.xz)	xz -dc "$f" > "$plain" ;;
	*.ko.zst)	zstd -dcq "$f" > "$plain" ;;
	*.ko.gz)	gzip -dc "$f" > "$plain" ;;
	*)		echo "mkguest.sh: cannot read $f" >&2; exit 1 ;;
	esac
	for d in $(/sbin/modinfo -F depends "$plain" | tr ',' ' '); do
		add_module "$d"
	done
	echo "$name" >> "$root/lib/modules/order"
}
: > "$root/lib/modules/order"
# "name path" of every module file, to look names up in.
find "$mods/kernel" -name '*.ko*' |
	sed 's|^.*/\([^/]*\)\.ko[^/]*$|\1 &|' |
	awk '{ n = $1; gsub(/-/, "_", n); print n, $2 }' > "$index"
for m in virtio virtio_ring virtio_mmio virtio_blk virtio_net; do
	add_module "$m"
done

(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
