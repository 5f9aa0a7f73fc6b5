#!/bin/sh
# make check: install dependencies, build everything, run the host unit
# tests and the selftests in every test host, and print one closing line
#   N passed, M failed, K skipped
# Exits non-zero when anything failed. Each stage prints how long it took.
#
# Environment:
#   MVM_CHECK_HOSTS    test hosts to run (default "qemu bochs")
#   MVM_CHECK_KERNELS  kernel series to boot (default "6.1 6.12")
#   MVM_FUZZ_SECONDS   seconds of libFuzzer per target (default 60 for
#                      kmod/x86, 30 for libmvm's loaders and devices)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
logs="$top/build/check"
hosts=${MVM_CHECK_HOSTS:-qemu bochs}
kernels=${MVM_CHECK_KERNELS:-6.1 6.12}
passed=0
failed=0
skipped=0
failures=""
t_all=$(date +%s)

mkdir -p "$logs"

# stage NAME COMMAND...: run a build stage quietly, log to a file.
stage() {
	name=$1
	shift
	t0=$(date +%s)
	if "$@" > "$logs/$name.log" 2>&1; then
		echo "== $name: ok ($(( $(date +%s) - t0 ))s)"
		return 0
	fi
	echo "== $name: FAILED ($(( $(date +%s) - t0 ))s); last lines of $logs/$name.log:"
	tail -n 30 "$logs/$name.log" | sed 's/^/    | /'
	failed=$((failed + 1))
	failures="$failures $name"
	return 1
}

# tests NAME COMMAND...: run a test stage, show its per-test lines and
# add its "TESTHOST ... passed=N failed=M skipped=K" line to the totals.
tests() {
	name=$1
	shift
	t0=$(date +%s)
	"$@" > "$logs/$name.log" 2>&1
	st=$?
	grep -v '^TESTHOST ' "$logs/$name.log"
	line=$(grep '^TESTHOST ' "$logs/$name.log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "== $name: FAILED, no results (status $st)"
		failed=$((failed + 1))
		failures="$failures $name"
		return
	fi
	p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
	f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
	s=$(echo "$line" | sed 's/.*skipped=\([0-9]*\).*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -ne 0 ] || [ "$st" -ne 0 ]; then
		failures="$failures $name"
		[ "$f" -eq 0 ] && { failed=$((failed + 1)); }
	fi
	echo "== $name: $p passed, $f failed, $s skipped ($(( $(date +%s) - t0 ))s)"
}

if stage deps "$top/scripts/install-deps.sh" &&
   stage build make -C "$top" all; then
	for k in $kernels; do
		stage "module-$k" make -C "$top" testhost-module KSERIES="$k"
	done
	tests unit make -s -C "$top/libmvm" unit-tests
	tests x86-unit make -s -C "$top/kmod/x86/tests" unit-tests
	tests fuzz make -s -C "$top/kmod/x86/tests" fuzz \
		FUZZ_SECONDS="${MVM_FUZZ_SECONDS:-60}"
	tests libmvm-fuzz make -s -C "$top/libmvm" fuzz \
		FUZZ_SECONDS="${MVM_FUZZ_SECONDS:-30}"
	tests install "$top/scripts/test-install.sh"
	for k in $kernels; do
		[ -f "$top/build/kmod/$("$top/scripts/kver.sh" "$k")/mvm.ko" ] ||
			continue
		for h in $hosts; do
			# The benchmark against kvm_intel: once, in Bochs on 6.1.
			bench=""
			[ "$h-$k" = bochs-6.1 ] && bench=--bench
			tests "$h-$k" "$top/selftests/testhost/run.sh" \
				--host "$h" --kernel "$k" $bench \
				--log "$logs/$h-$k.console"
		done
	done
fi

echo "== total time $(( $(date +%s) - t_all ))s"
[ -n "$failures" ] && echo "== failed stages:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
