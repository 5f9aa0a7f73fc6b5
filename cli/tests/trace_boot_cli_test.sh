#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mvm trace boot without mvm.ko: bad usage exits 2, and every way of not
# being able to trace exits 1 with one message that names what is
# missing, before anything is pinned. Needs no /dev/mvm.
#
# The missing-feature cases make the feature go away for the one
# command, as root, in a private mount namespace (unshare -m): a tmpfs
# over /sys/kernel/btf (no BTF), over /sys/fs/bpf (no bpffs); and a
# bpffs of its own so the mvm.ko check is reached. "Tracepoints
# missing" fakes a loaded mvm.ko with a tmpfs over /sys/module holding
# an empty mvm/: the kernel then really has no mvm:* tracepoint to
# attach to. Without root (or unshare) those cases SKIP.
#
#   trace_boot_cli_test.sh      uses $MVM, else the CLI's sanitizer
#                               build, else build/cli/mvm
#
# Output: KTAP lines, read by selftests/testhost/summary.awk through
# scripts/run-unit-tests.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${MVM:-}" ]; then
	MVM=$top/build/cli/tests/mvm-asan
	[ -x "$MVM" ] || MVM=$top/build/cli/mvm
fi
# A leak on an error path fails the case (LeakSanitizer's exit status).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=23}

total=17
work=$(mktemp -d /tmp/mvm_trace_test.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

echo "TAP version 13"
echo "1..$total"

if [ ! -x "$MVM" ]; then
	echo "# $MVM is missing: build the CLI first (make cli)"
	for i in $(seq 1 $total); do echo "not ok $i cli_binary_missing"; done
	exit 1
fi

report() {
	if [ -z "$2" ]; then
		echo "ok $n $1"
	else
		printf '%s\n' "# $2" "# output: $3" | sed '3,$s/^/# /'
		echo "not ok $n $1"
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "#  RUN           $1 ..."
	echo "ok $n # SKIP $2"
}

# expect NAME STATUS NEEDLE COMMAND...: run COMMAND, stdout and stderr
# together; pass when the status matches and the output has NEEDLE, and
# nothing was left pinned.
expect() {
	name=$1 want=$2 needle=$3
	shift 3
	n=$((n + 1))
	echo "#  RUN           $name ..."
	out=$("$@" 2>&1)
	st=$?
	why=""
	[ "$st" -eq "$want" ] || why="exit status $st, expected $want"
	[ -z "$why" ] && ! printf '%s' "$out" | grep -qF -- "$needle" &&
		why="output lacks '$needle'"
	report "$name" "$why" "$out"
}

expect both_pid_and_vm 2 "--pid and --vm exclude each other" \
	"$MVM" trace boot --pid 1 --vm 1
expect count_zero 2 "--count takes a positive number, not '0'" \
	"$MVM" trace boot --count 0
expect vm_not_a_number 2 "--vm takes a positive number, not '3x'" \
	"$MVM" trace boot --vm 3x
expect pid_too_big 2 "--pid takes a positive number" \
	"$MVM" trace boot --pid 99999999999
expect timeout_without_value 2 "--timeout needs a value" \
	"$MVM" trace boot --timeout
expect unknown_option 2 "unknown option '--bogus'" \
	"$MVM" trace boot --bogus
expect stray_argument 2 "unexpected argument 'now'" \
	"$MVM" trace boot now
expect help 0 "usage: mvm trace boot [--pid P | --vm ID]" \
	"$MVM" trace boot --help
expect trace_lists_boot 2 "mvm trace boot [--pid P" "$MVM" trace
expect unknown_trace 2 "unknown trace 'bots'" "$MVM" trace bots

# Without privileges: nobody, no groups, no capabilities. The binary is
# copied where nobody can run it.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$work"
	cp "$MVM" "$work/mvm"
	chmod 0755 "$work/mvm"
	expect unprivileged 1 "needs root, or CAP_BPF and CAP_PERFMON" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$work/mvm" trace boot --count 1
else
	skip unprivileged "needs root to drop to nobody with setpriv"
fi

# in_ns SETUP COMMAND...: run COMMAND after shell SETUP in a private
# mount namespace.
in_ns() {
	setup=$1
	shift
	unshare -m --propagation private sh -c "$setup && exec \"\$@\"" sh "$@"
}

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	for c in no_btf no_bpffs module_not_loaded tracepoints_missing \
		 no_such_pid no_pin_left; do
		skip "$c" "needs root and unshare -m"
	done
	echo "# $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

expect no_btf 1 "this kernel has no BTF (/sys/kernel/btf/vmlinux)" \
	in_ns "mount -t tmpfs none /sys/kernel/btf" "$MVM" trace boot
expect no_bpffs 1 "no bpffs on /sys/fs/bpf" \
	in_ns "mount -t tmpfs none /sys/fs/bpf" "$MVM" trace boot

bpffs="mount -t bpf bpf /sys/fs/bpf"
fake_mvm="$bpffs && mount -t tmpfs none /sys/module && mkdir /sys/module/mvm"
if [ -e /sys/module/mvm ]; then
	skip module_not_loaded "mvm.ko is loaded on this host"
	skip tracepoints_missing "mvm.ko is loaded on this host"
	skip no_such_pid "mvm.ko is loaded on this host"
else
	expect module_not_loaded 1 "mvm.ko is not loaded (modprobe mvm)" \
		in_ns "$bpffs" "$MVM" trace boot
	expect tracepoints_missing 1 \
		"cannot attach to the tracepoint mvm:vm_create (No such file or directory): this mvm.ko does not have it" \
		in_ns "$fake_mvm" "$MVM" trace boot --count 1
	expect no_such_pid 1 "no process 2147483647" \
		in_ns "$fake_mvm" "$MVM" trace boot --pid 2147483647
fi

# A failed start leaves nothing pinned: the run above, again, then a
# look at its bpffs.
n=$((n + 1))
echo "#  RUN           no_pin_left ..."
if [ -e /sys/module/mvm ]; then
	echo "ok $n # SKIP mvm.ko is loaded on this host"
else
	out=$(in_ns "$fake_mvm" sh -c '"$1" trace boot --count 1 >/dev/null 2>&1; ls -A /sys/fs/bpf/mvm 2>/dev/null' sh "$MVM")
	why=""
	[ -n "$out" ] && why="left pinned in /sys/fs/bpf/mvm: $out"
	report no_pin_left "$why" "$out"
fi

echo "# $failed failed"
[ "$failed" -eq 0 ]
