#!/bin/sh
# Fetch and unpack the stock Debian cloud kernel of a test host.
#
#   kernel.sh 6.1|6.12     print the directory holding boot/vmlinuz-REL
#                          and lib/modules/REL, fetching it if needed
#
# The image package is downloaded with apt-get and unpacked with dpkg-deb
# into $MVM_CACHE (default ~/.cache/mvm): its postinst, which would build
# an initramfs for this machine, never runs. The release is the one the
# installed headers pin (scripts/kver.sh), so mvm.ko always matches.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
series=${1:?usage: kernel.sh 6.1|6.12}
rel=$("$here/../../scripts/kver.sh" "$series")
cache=${MVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mvm}
dir="$cache/kernels/$rel"

if [ ! -f "$dir/boot/vmlinuz-$rel" ]; then
	pkg="linux-image-$rel"
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$rel")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chmod 0777 "$tmp"	# apt's _apt user writes the download
	echo "kernel.sh: fetching $pkg $ver" >&2
	if ! (cd "$tmp" && apt-get download -q "$pkg=$ver" >&2); then
		echo "kernel.sh: cannot download $pkg=$ver; run 'apt-get update' and retry" >&2
		exit 1
	fi
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb -x "$tmp"/*.deb "$dir.tmp"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
echo "$dir"
