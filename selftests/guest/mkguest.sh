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
# needs net_failover and failover), in load order (lib/modules/order).
# Modules the kernel has built in are left out; compressed ones (.ko.xz,
# .ko.zst in 6.12) are stored decompressed, because busybox's insmod
# reads only plain ones (../testhost/modules.sh).
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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root/bin" "$root/lib/modules" "$root/dev" "$root/proc" \
	 "$root/sys" "$root/mnt" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
for t in mvm-mark mvm-pattern mvm-net ttydrain; do
	cp "$tools/$t" "$root/bin/$t"
done
cp "$tools/mvm_vmmio.ko" "$root/lib/modules/mvm_vmmio.ko"

# The virtio modules, with what they depend on, and lib/modules/order.
"$here/../testhost/modules.sh" "$root/lib/modules" "$mods" \
	virtio virtio_ring virtio_mmio virtio_blk virtio_net

(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
