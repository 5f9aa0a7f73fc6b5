#!/bin/sh
# Unpack kselftest_harness.h and kselftest.h from Debian's linux-source
# package into DEST (they are never committed to this repository).
#
#   scripts/kselftest-headers.sh DEST
set -eu

dest=${1:?usage: kselftest-headers.sh DEST}
[ -f "$dest/kselftest_harness.h" ] && [ -f "$dest/kselftest.h" ] && exit 0

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
if [ -z "$tarball" ]; then
	echo "kselftest-headers.sh: no /usr/src/linux-source-*.tar.xz; run scripts/install-deps.sh" >&2
	exit 1
fi
top=$(basename "$tarball" .tar.xz)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h"
mkdir -p "$dest"
cp "$tmp/$top/tools/testing/selftests/kselftest_harness.h" \
   "$tmp/$top/tools/testing/selftests/kselftest.h" "$dest/"
