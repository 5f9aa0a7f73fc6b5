#!/bin/sh
# Build the uncompressed initramfs of a test host.
#
#   mkinitramfs.sh OUT MODULE SELFTEST_DIR [BINARY...]
#
# OUT           the cpio (newc) archive to write
# MODULE        mvm.ko, built for the test host's kernel
# SELFTEST_DIR  the built selftests and their run order ("list")
# BINARY        further programs (the CLI, bpftool), copied with the
#               shared libraries ldd finds for them
#
# With MVM_KVM_MODULES=/lib/modules/REL of the test-host kernel, KVM's
# modules are added (uncompressed) under /lib/kvm for the side-by-side
# benchmark against KVM.
#
# The network selftests' host-side modules, tun, bridge (with stp and
# llc) and veth, always go under /lib/net-modules, uncompressed, with
# "order", the names in load order (dependencies first); ./init loads
# them. They come from the test-host kernel of MODULE's release (its
# vermagic), as selftests/testhost/kernel.sh unpacks it, unless
# MVM_NET_MODULES names that kernel's /lib/modules/REL directory.
#
# With MVM_GUEST_DIR=DIR, DIR's files (the guest payload that
# selftests/guest builds: kernel, initramfs, disk image, tiny guests) go
# to /guest, for boot_test and boot_bench.
#
# With MVM_QEMU=1, qemu-system-x86_64, its libraries and the firmware of
# its microvm machine are added, for boot_bench's peer (QEMU on KVM). It
# doubles the size of the initramfs: only the benchmark's boot asks.
#
# Uncompressed on purpose: Bochs unpacks a gzip'd initramfs 10x slower
# than it reads a plain one (../shared/TESTHOST.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mkinitramfs.sh OUT MODULE SELFTEST_DIR [BINARY...]}
module=${2:?missing MODULE}
tests=${3:?missing SELFTEST_DIR}
shift 3

busybox=/bin/busybox
# ldd fails on a static program: that is what the initramfs needs.
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs.sh: $busybox is not static; install busybox-static" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/mvm" "$root/selftests" "$root/usr/bin" \
	 "$root/lib64" "$root/lib/x86_64-linux-gnu" "$root/etc"
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
cp "$module" "$root/lib/mvm/mvm.ko"
cp "$tests/list" "$tests/ttydrain" "$tests/exit_bench" "$root/selftests/"
[ -f "$tests/boot_bench" ] && cp "$tests/boot_bench" "$root/selftests/"
while read -r t; do
	cp "$tests/$t" "$root/selftests/$t"
done < "$tests/list"

# Copy a program and every shared library it needs.
add_binary() {
	cp "$1" "$root/usr/bin/"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -f "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for b in "$@"; do
	add_binary "$b"
done

if [ -n "${MVM_GUEST_DIR:-}" ]; then
	mkdir -p "$root/guest"
	cp "$MVM_GUEST_DIR"/* "$root/guest/"
fi

if [ "${MVM_QEMU:-0}" = 1 ]; then
	add_binary "$(command -v qemu-system-x86_64)"
	# -M microvm boots qboot (bios-microvm.bin, a symbolic link) and
	# may ask for the option ROM that loads -kernel.
	mkdir -p "$root/usr/share/qemu"
	for f in bios-microvm.bin linuxboot_dma.bin; do
		cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/$f"
	done
fi

# The network modules, from the kernel MODULE was built for.
rel=$(/sbin/modinfo -F vermagic "$module" | cut -d' ' -f1)
if [ -z "$rel" ]; then
	echo "mkinitramfs.sh: $module has no vermagic: not a kernel module?" >&2
	exit 1
fi
mods=${MVM_NET_MODULES:-}
if [ -z "$mods" ]; then
	# 6.1.0-57-cloud-amd64 is series 6.1, 6.12.117+deb12-cloud-amd64 6.12.
	kdir=$("$here/kernel.sh" "$(echo "$rel" | cut -d. -f1,2)")
	mods="$kdir/lib/modules/$rel"
fi
if [ ! -d "$mods/kernel" ]; then
	echo "mkinitramfs.sh: no modules of $module's kernel $rel in $mods" >&2
	exit 1
fi
# tun, bridge, veth and what they need; "order" for ./init.
"$here/modules.sh" "$root/lib/net-modules" "$mods" tun bridge veth

if [ -n "${MVM_KVM_MODULES:-}" ]; then
	mkdir -p "$root/lib/kvm"
	for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel \
		 arch/x86/kvm/kvm-amd; do
		f="$MVM_KVM_MODULES/kernel/$m.ko"
		name=$(basename "$m").ko
		if [ -f "$f" ]; then
			cp "$f" "$root/lib/kvm/$name"
		elif [ -f "$f.xz" ]; then
			xz -dc "$f.xz" > "$root/lib/kvm/$name"
		elif [ -f "$f.zst" ]; then
			zstd -dcq "$f.zst" > "$root/lib/kvm/$name"
		fi
	done
fi

(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
