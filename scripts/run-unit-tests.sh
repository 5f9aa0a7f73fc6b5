#!/bin/sh
# Run host unit-test programs (kselftest harness) and summarize them with
# the same reader as the test hosts.
#
#   run-unit-tests.sh PROGRAM...
#
# Prints a line per test case and "TESTHOST unit passed=N failed=M
# skipped=K"; exits non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for p in "$@"; do
	name=$(basename "$p")
	echo "MVM-BEGIN $name" >> "$log"
	"$p" >> "$log" 2>&1
	echo "MVM-END $name $?" >> "$log"
done
echo "MVM-SUITE-END" >> "$log"
awk -v host=unit -f "$here/../selftests/testhost/summary.awk" "$log"
