#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# boot_bench: how long a Linux guest takes to reach its init, mvm against
# QEMU/KVM, inside the same test host.
#
#   boot_bench.sh mvm|kvm
#
# Boots the selftests' guest (selftests/guest: the Debian cloud kernel the
# test host runs, and the guest initramfs, whose /init writes milestone 1
# to MVM_GUEST_MARK_PORT as its first act, then powers off) once:
#
#   mvm   mvm run --kernel K --initrd I --mem 256M --vcpus 1
#         --cmdline quiet --stats
#   kvm   qemu-system-x86_64 -accel kvm -M microvm,rtc=on -cpu host -m 256
#         ... -append 'console=ttyS0 reboot=k panic=-1 quiet'
#         (QEMU's microVM machine: a fair peer; kvm_intel must be loaded)
#
# and measures, with tracefs on the x86-tsc clock, from a trace_marker
# write just before the launch to the guest's milestone 1 (mvm:guest_mark,
# or kvm:kvm_pio on port 0x440): the TSC ticks, and the VM exits (mvm:exit,
# kvm:kvm_exit) in between, by reason. Inside the Bochs test host the TSC
# counts emulated instructions (shared/TESTHOST.md), so both numbers are
# costs that do not depend on the load of the machine running Bochs.
# Prints
#
#   BOOTBENCH <hv> ticks=N exits=N status=S seconds=S
#   BOOTBENCH-EXITS <hv> REASON=N ...     (VMX exit reasons, SDM names)
#
# or "BOOTBENCH <hv> error=..." and exits 1. The guest payload is
# $MVM_GUEST_DIR (default /guest); the CLI is $MVM_CLI or mvm on PATH.
set -u

hv=${1:?usage: boot_bench.sh mvm|kvm}
g=${MVM_GUEST_DIR:-/guest}
cli=${MVM_CLI:-mvm}
limit=${MVM_BOOT_BENCH_TIMEOUT:-180}	# seconds for the guest boot
t=/sys/kernel/tracing
out=/tmp/boot_bench.$hv.out

fail() {
	echo "BOOTBENCH $hv error=$*"
	exit 1
}

[ -r "$g/bzImage" ] && [ -r "$g/guest.cpio" ] ||
	fail "no guest payload in $g"
[ -d "$t/events" ] || mount -t tracefs tracefs "$t" 2>/dev/null
[ -w "$t/trace_marker" ] || fail "no tracefs at $t"
grep -qw x86-tsc "$t/trace_clock" || fail "no x86-tsc trace clock"

case "$hv" in
mvm)
	[ -d "$t/events/mvm/guest_mark" ] ||
		fail "no mvm:guest_mark tracepoint (is mvm.ko loaded?)"
	mark_ev=guest_mark
	exit_ev=exit
	events="mvm/guest_mark mvm/exit"
	set -- "$cli" run --kernel "$g/bzImage" --initrd "$g/guest.cpio" \
		--mem 256M --vcpus 1 --cmdline quiet --timeout "$limit" \
		--stats
	;;
kvm)
	[ -c /dev/kvm ] || fail "no /dev/kvm (load kvm_intel)"
	[ -d "$t/events/kvm/kvm_pio" ] || fail "no kvm tracepoints"
	command -v qemu-system-x86_64 >/dev/null || fail "no qemu-system-x86_64"
	mark_ev=kvm_pio
	exit_ev=kvm_exit
	events="kvm/kvm_pio kvm/kvm_exit"
	set -- qemu-system-x86_64 -accel kvm -M microvm,rtc=on -cpu host \
		-m 256 -smp 1 -nodefaults -no-user-config -nographic \
		-serial stdio -kernel "$g/bzImage" -initrd "$g/guest.cpio" \
		-append 'console=ttyS0 reboot=k panic=-1 quiet'
	;;
*)
	echo "usage: boot_bench.sh mvm|kvm" >&2
	exit 2
	;;
esac

# A clean buffer on the TSC clock, large enough for every exit of a boot
# (about 27k under KVM: shared/TESTHOST.md), and only our events.
echo 0 > "$t/tracing_on"
echo > "$t/set_event"
echo x86-tsc > "$t/trace_clock"
echo 16384 > "$t/buffer_size_kb"
echo > "$t/trace"
[ "$hv" = kvm ] && echo 'port == 1088' > "$t/events/kvm/kvm_pio/filter"
for e in $events; do
	echo 1 > "$t/events/$e/enable"
done
echo 1 > "$t/tracing_on"

start=$(cut -d' ' -f1 /proc/uptime)
echo "BOOTBENCH-LAUNCH $hv" > "$t/trace_marker"
timeout -s KILL "$((limit + 60))" "$@" < /dev/null > "$out" 2>&1
status=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo 0 > "$t/tracing_on"
for e in $events; do
	echo 0 > "$t/events/$e/enable"
done
[ "$hv" = kvm ] && echo 0 > "$t/events/kvm/kvm_pio/filter"

# The guest's console and the VMM's own lines, for the log.
sed "s/^/# $hv| /" "$out" | tail -n 30
# A guest that never reached its init filled the buffer for nothing:
# parsing it would take minutes of emulated time.
grep -q '^mvmtest: init running' "$out" ||
	fail "the guest never reached its init (status $status)"

# Ticks from the launch marker to the first milestone-1 write, and the
# exits in between. Timestamps on the x86-tsc clock print as the raw TSC
# ("12345678:"); the event name is the field after them.
awk -v hv="$hv" -v mark_ev="$mark_ev:" -v exit_ev="$exit_ev:" \
    -v status="$status" -v secs="$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')" '
BEGIN {
	# VMX basic exit reasons (Intel SDM Vol. 3D, Appendix C), named as
	# kvm:kvm_exit names them.
	split("EXCEPTION_NMI EXTERNAL_INTERRUPT TRIPLE_FAULT INIT_SIGNAL " \
	      "SIPI_SIGNAL 5 6 INTERRUPT_WINDOW NMI_WINDOW TASK_SWITCH " \
	      "CPUID 11 HLT INVD INVLPG RDPMC RDTSC 17 VMCALL VMCLEAR " \
	      "VMLAUNCH VMPTRLD VMPTRST VMREAD VMRESUME VMWRITE VMOFF VMON " \
	      "CR_ACCESS DR_ACCESS IO_INSTRUCTION MSR_READ MSR_WRITE " \
	      "INVALID_STATE MSR_LOAD_FAIL 35 MWAIT_INSTRUCTION MONITOR_TRAP_FLAG " \
	      "38 MONITOR_INSTRUCTION PAUSE_INSTRUCTION MCE_DURING_VMENTRY 42 " \
	      "TPR_BELOW_THRESHOLD APIC_ACCESS EOI_INDUCED GDTR_IDTR LDTR_TR " \
	      "EPT_VIOLATION EPT_MISCONFIG INVEPT RDTSCP PREEMPTION_TIMER " \
	      "INVVPID WBINVD XSETBV APIC_WRITE RDRAND INVPCID VMFUNC ENCLS " \
	      "RDSEED PML_FULL XSAVES XRSTORS", vmx, " ")
	launch = ""; mark = ""; exits = 0
}
/^# entries-in-buffer\/entries-written:/ {
	split($3, e, "/")
	if (e[1] != e[2])
		lost = e[2] - e[1]
	next
}
/^#/ { next }
{
	ts = ""; ev = ""
	for (i = 1; i < NF; i++)
		if ($i ~ /^[0-9]+(\.[0-9]+)?:$/) {
			ts = substr($i, 1, length($i) - 1); ev = $(i + 1)
			break
		}
	if (ts == "")
		next
	if (launch == "") {
		if (index($0, "BOOTBENCH-LAUNCH " hv))
			launch = ts
		next
	}
	if (mark != "")
		next
	if (ev == exit_ev) {
		exits++
		r = ""
		for (j = i + 2; j < NF; j++)
			if ($j == "reason") {
				r = $(j + 1)
				break
			}
		if (r ~ /^[0-9]+$/)
			r = (r + 1) in vmx ? vmx[r + 1] : "reason_" r
		by[r]++
		next
	}
	if (ev == mark_ev) {
		# mvm: "value 1"; kvm: "pio_write at 0x440 size 4 count 1 val 0x1"
		if ($0 ~ /value 1( |$)/ || $0 ~ /val 0x1( |$)/)
			mark = ts
	}
}
END {
	if (launch == "") {
		print "BOOTBENCH " hv " error=no launch marker in the trace"
		exit 1
	}
	if (mark == "") {
		print "BOOTBENCH " hv " error=the guest wrote no milestone 1 (status " status ")"
		exit 1
	}
	if (lost) {
		print "BOOTBENCH " hv " error=the trace buffer lost " lost " events"
		exit 1
	}
	printf "BOOTBENCH %s ticks=%.0f exits=%d status=%s seconds=%s\n",
	       hv, mark - launch, exits, status, secs
	line = "BOOTBENCH-EXITS " hv
	for (r in by)
		line = line " " r "=" by[r]
	print line
}' "$t/trace"
