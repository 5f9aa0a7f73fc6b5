#!/bin/sh
# Install everything mvm needs to build and test, from Debian's archive.
#
# Idempotent: when every package is already present it only checks and
# returns (well under a second).  Run as root, or with sudo available.
#
#   scripts/install-deps.sh          build + test dependencies
#
# Kernel images for the test hosts are not installed here (their postinst
# would regenerate an initramfs for nothing); selftests/testhost/kernel.sh
# fetches and unpacks them into the cache on demand.
set -eu

PKGS="
build-essential pkg-config
clang llvm lld libclang-rt-14-dev
libelf-dev zlib1g-dev libbpf-dev bpftool
libnl-3-dev libnl-route-3-dev
systemtap-sdt-dev
linux-headers-cloud-amd64 linux-headers-6.12-cloud-amd64
linux-source-6.1
qemu-system-x86
bochs bochsbios vgabios
busybox-static cpio isolinux syslinux-common xorriso e2fsprogs
lz4 xz-utils zstd kmod
acpica-tools
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
