#!/bin/sh
# Print the kernel release (e.g. 6.1.0-57-cloud-amd64) of a test-host
# kernel series, as pinned by the installed Debian headers meta-package.
#
#   scripts/kver.sh 6.1     -> release of linux-headers-cloud-amd64
#   scripts/kver.sh 6.12    -> release of linux-headers-6.12-cloud-amd64
#
# Exits 1 with a message naming the fix when the headers are missing.
set -eu

series=${1:?usage: kver.sh 6.1|6.12}
case "$series" in
6.1)	meta=linux-headers-cloud-amd64 ;;
6.12)	meta=linux-headers-6.12-cloud-amd64 ;;
*)	echo "kver.sh: unknown series '$series' (use 6.1 or 6.12)" >&2; exit 1 ;;
esac

dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null || true)
rel=$(printf '%s\n' "$dep" | tr ',' '\n' | sed -n 's/^ *linux-headers-\([^ ]*\).*/\1/p' | head -n1)
if [ -z "$rel" ]; then
	echo "kver.sh: $meta is not installed; run scripts/install-deps.sh" >&2
	exit 1
fi
echo "$rel"
