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
