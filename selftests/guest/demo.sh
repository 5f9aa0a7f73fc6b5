#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo: boot a stock Debian cloud kernel to a busybox init with
# `mvm run`, showing the guest's console and mvm's --stats (last_mark_ms:
# the time from mvm's start to the guest's init, which writes its boot
# milestone and powers off at once).
#
#   demo.sh [6.1|6.12]      the guest kernel series (default 6.1)
#
# On a host with VT-x where mvm.ko loads (or is loaded), the guest runs
# right here; the module is built for the running kernel and loaded with
# insmod when /dev/mvm is missing (root needed). Anywhere else (no VT-x,
# like the project's machines) the Bochs test host boots with the test
# kernel, mvm.ko and the guest, and runs the same command inside it: a
# few minutes of emulation, its console shown as it comes.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
series=${1:-6.1}
rel=$("$top/scripts/kver.sh" "$series")
payload="$top/build/guest/$rel/payload"

make -s --no-print-directory -C "$top/selftests/guest" KSERIES="$series"

# VT-x here, and a module that loads?
native=0
if grep -qw vmx /proc/cpuinfo; then
	if [ -e /dev/mvm ]; then
		native=1
	elif [ "$(id -u)" = 0 ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
		make -s --no-print-directory -C "$top" module
		if insmod "$top/mvm.ko"; then
			native=1
		else
			echo "demo: mvm.ko does not load here (see dmesg); using the Bochs test host" >&2
		fi
	else
		echo "demo: VT-x is here but /dev/mvm is not: load mvm.ko as root first; using the Bochs test host" >&2
	fi
fi

if [ "$native" = 1 ]; then
	echo "demo: mvm run on this host ($(uname -r)), guest kernel $rel"
	set -x
	exec "$top/build/cli/mvm" run --kernel "$payload/bzImage" \
		--initrd "$payload/guest.cpio" --mem 256M --cmdline quiet --stats
fi

echo "demo: no usable VT-x here: booting the Bochs test host ($rel) to run mvm run inside it"
make -s --no-print-directory -C "$top" testhost-module KSERIES="$series"
make -s --no-print-directory -C "$top" selftests
exec "$top/selftests/testhost/run.sh" --host bochs --kernel "$series" --demo \
	--log "$top/build/demo-console.log"
