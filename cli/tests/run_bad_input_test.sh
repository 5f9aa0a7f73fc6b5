#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mvm run with bad input: each case must exit with status 2, say what is
# wrong (and how to fix it) on stderr, and create nothing, not even the
# console file it was given. Needs no /dev/mvm: every case fails before
# the device is opened. One case with valid input checks the other side:
# with no device (--device on a missing path) it exits 1 naming the fix,
# still without creating the console file.
#
#   run_bad_input_test.sh          uses $MVM, else the CLI's sanitizer
#                                  build, else build/cli/mvm
#
# Output: the kselftest harness's KTAP lines, read by
# selftests/testhost/summary.awk through scripts/run-unit-tests.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${MVM:-}" ]; then
	MVM=$top/build/cli/tests/mvm-asan
	[ -x "$MVM" ] || MVM=$top/build/cli/mvm
fi
# A leak on an error path fails the case (LeakSanitizer's exit status).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=23}

work=$(mktemp -d /tmp/mvm_run_test.XXXXXX)
trap 'chattr -i "$work"/* 2>/dev/null; rm -rf "$work"' EXIT
n=0
failed=0

echo "TAP version 13"
echo "1..28"

if [ ! -x "$MVM" ]; then
	echo "# $MVM is missing: build the CLI first (make cli)"
	for i in $(seq 1 28); do echo "not ok $i cli_binary_missing"; done
	exit 1
fi

# put FILE OFFSET OCTAL-BYTES: write bytes at an offset, in place.
put() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# A bzImage header as boot.rst describes it (protocol 2.15, 64-bit entry,
# relocatable, 16 MiB preferred, 8 MiB init_size) and 3 KiB of "kernel".
make_bzimage() {
	head -c 4096 /dev/zero > "$1"
	put "$1" $((0x1f1)) '\001'			# setup_sects
	put "$1" $((0x1f4)) '\300\000\000\000'		# syssize: 3072/16
	put "$1" $((0x1fe)) '\125\252'			# boot_flag 0xaa55
	put "$1" $((0x200)) '\353\146'			# jmp to 0x268
	put "$1" $((0x202)) 'HdrS'
	put "$1" $((0x206)) '\017\002'			# version 2.15
	put "$1" $((0x22c)) '\377\377\377\177'		# initrd_addr_max
	put "$1" $((0x230)) '\000\000\040\000'		# kernel_alignment 2M
	put "$1" $((0x234)) '\001'			# relocatable
	put "$1" $((0x236)) '\001\000'			# XLF_KERNEL_64
	put "$1" $((0x238)) '\377\007\000\000'		# cmdline_size 2047
	put "$1" $((0x258)) '\000\000\000\001\000\000\000\000' # pref 16M
	put "$1" $((0x260)) '\000\000\200\000'		# init_size 8M
}

make_bzimage "$work/bzImage"
head -c 2048 "$work/bzImage" > "$work/truncated"
yes 'not a kernel' | head -c 65536 > "$work/garbage"
: > "$work/empty"
truncate -s 80M "$work/initrd.big"
truncate -s 1M "$work/disk.img"
console=$work/console.log
snapshot() { ls -A "$work" | sort; }

# check NAME STATUS NEEDLE [ARGS...]: run mvm run with ARGS and a console
# file; pass when the status and message match and nothing was created.
check() {
	name=$1 want=$2 needle=$3
	shift 3
	n=$((n + 1))
	echo "#  RUN           $name ..."
	before=$(snapshot)
	err=$("$MVM" run "$@" --console "file:$console" 2>&1 >/dev/null)
	st=$?
	after=$(snapshot)
	why=""
	[ "$st" -eq "$want" ] || why="exit status $st, expected $want"
	[ -z "$why" ] && ! printf '%s' "$err" | grep -qF -- "$needle" &&
		why="message lacks '$needle'"
	[ -z "$why" ] && [ -e "$console" ] && why="the console file was created"
	[ -z "$why" ] && [ "$before" != "$after" ] && why="files appeared: $after"
	report "$name" "$why" "$err"
}

report() {
	if [ -z "$2" ]; then
		echo "ok $n $1"
	else
		printf '%s\n' "# $2" "# stderr: $3" | sed '3,$s/^/# /'
		echo "not ok $n $1"
		failed=$((failed + 1))
	fi
	rm -f "$console"
}

skip() {
	n=$((n + 1))
	echo "#  RUN           $1 ..."
	echo "ok $n # SKIP $2"
}

K=$work/bzImage
check missing_kernel_option 2 "no kernel: give --kernel" --mem 64M
check missing_kernel 2 "no such file" --kernel "$work/nope"
check empty_kernel 2 "is empty" --kernel "$work/empty"
check truncated_kernel 2 "is truncated" --kernel "$work/truncated"
check garbage_kernel 2 "neither a bzImage nor an ELF vmlinux" \
	--kernel "$work/garbage"
check kernel_needs_more_memory 2 "raise the memory size" \
	--kernel "$K" --mem 20M
check initrd_larger_than_memory 2 "does not fit" \
	--kernel "$K" --mem 64M --initrd "$work/initrd.big"
check mem_zero 2 "--mem 0" --kernel "$K" --mem 0
check mem_not_a_size 2 "not a size" --kernel "$K" --mem 12X
check vcpus_zero 2 "at least one vCPU" --kernel "$K" --vcpus 0
check vcpus_65 2 "65 vCPUs: must be 1 to" --kernel "$K" --vcpus 65
check unknown_option 2 "unknown option '--bogus'" --kernel "$K" --bogus
check missing_disk 2 "no such file" --kernel "$K" --disk "$work/nope.img"
check bad_disk_option 2 "the only one is ',ro'" --kernel "$K" \
	--disk "$work/disk.img,rw"
check bad_console 2 "give stdio, pty or file:PATH" --kernel "$K" \
	--console bogus

# --net: each SPEC is checked before the library sees it.
check net_tap_name_too_long 2 \
	"the name is 21 characters; Linux allows at most 15" --kernel "$K" \
	--net tap=averyveryverylongname
check net_bad_mac 2 "give six pairs of hex digits joined by ':'" \
	--kernel "$K" --net tap=auto,mac=02:00:00:00:00
check net_multicast_mac 2 "a multicast address" --kernel "$K" \
	--net mac=01:00:5e:00:00:01
check net_unknown_key 2 "unknown key 'speed'; the keys are" --kernel "$K" \
	--net tap=auto,speed=100mbit
check net_bad_rate_unit 2 "give bit, kbit, mbit or gbit" --kernel "$K" \
	--net rate=100mb
check net_mtu_out_of_range 2 "give a number from 68 to 65521" \
	--kernel "$K" --net mtu=65536
check net_bad_addr 2 "not an IPv4 or IPv6 address" --kernel "$K" \
	--net addr=10.0.2.256/24
check net_five_interfaces 2 "at most 4 network interfaces" --kernel "$K" \
	--net tap=auto --net tap=auto --net tap=auto --net tap=auto \
	--net tap=auto

# A disk that cannot be opened read-write. Root opens a 0444 file
# read-write anyway, so as root: a file on a read-only tmpfs in a
# private mount namespace, else an immutable file; as a user: 0444.
rodisk_case() {
	if [ "$(id -u)" -ne 0 ]; then
		cp "$work/disk.img" "$work/ro.img" && chmod 0444 "$work/ro.img"
		check "$@" "$work/ro.img"
		rm -f "$work/ro.img"
	elif unshare -m true 2>/dev/null; then
		mkdir -p "$work/ro"
		n=$((n + 1))
		echo "#  RUN           $1 ..."
		err=$(unshare -m sh -c '
			mount -t tmpfs -o size=1M mvmtest "$1" &&
			head -c 4096 /dev/zero > "$1/disk.img" &&
			mount -o remount,ro "$1" || exit 99
			shift
			exec "$@"' sh "$work/ro" "$MVM" run --kernel "$K" \
			--mem 64M --console "file:$console" \
			--device /nonexistent/mvm \
			--disk "$work/ro/disk.img$4" 2>&1 >/dev/null)
		st=$?
		rmdir "$work/ro"
		why=""
		[ "$st" -eq "$2" ] || why="exit status $st, expected $2"
		[ -z "$why" ] && ! printf '%s' "$err" | grep -qF -- "$3" &&
			why="message lacks '$3'"
		[ -z "$why" ] && [ -e "$console" ] &&
			why="the console file was created"
		report "$1" "$why" "$err"
	elif cp "$work/disk.img" "$work/imm.img" &&
	     chattr +i "$work/imm.img" 2>/dev/null; then
		check "$1" "$2" "$3" --kernel "$K" --mem 64M \
			--device /nonexistent/mvm --disk "$work/imm.img$4"
		chattr -i "$work/imm.img"
		rm -f "$work/imm.img"
	else
		skip "$1" "no way to make a read-only file as root here"
	fi
}
rodisk_case read_only_disk 2 "add ,ro to attach it read-only" ""
# With ,ro the same disk is fine: the run gets as far as the device.
rodisk_case read_only_disk_ro 1 "modprobe mvm" ",ro"

check valid_input_needs_device 1 "modprobe mvm" --kernel "$K" --mem 64M \
	--disk "$work/disk.img" --device /nonexistent/mvm
# Valid --net input gets as far as the device too (taps come with the VM).
check valid_net_needs_device 1 "modprobe mvm" --kernel "$K" --mem 64M \
	--net tap=auto,addr=10.0.2.1/24,mac=02:00:00:00:00:01,mtu=1500 \
	--net tap=mvmtest0,rate=100mbit,pps=20k --device /nonexistent/mvm

n=$((n + 1))
echo "#  RUN           help ..."
out=$("$MVM" run --help 2>&1)
st=$?
why=""
[ "$st" -eq 0 ] || why="exit status $st"
for s in "Exit status" "130" "--console stdio|file:PATH|pty" "--net SPEC"; do
	[ -z "$why" ] && ! printf '%s' "$out" | grep -qF -- "$s" &&
		why="--help lacks '$s'"
done
report help "$why" "$out"

[ "$failed" -eq 0 ]
