#!/bin/sh
# Boot a test host and run the selftests in it.
#
#   run.sh --host qemu|bochs [--kernel 6.1|6.12] [--tests a,b]
#          [--timeout SECONDS] [--log FILE] [--bench] [--demo]
#
#   --bench  also run selftests/bench/exit_bench and boot_bench.sh under
#            mvm and then under KVM in the same boot, and print their
#            ratios (QEMU, the boot benchmark's peer, joins the initramfs)
#   --demo   run no selftest: boot the guest payload once with mvm run,
#            showing the test host's console as it comes (make demo)
#
#   qemu   QEMU in software mode, -cpu max: AMD SVM with nested paging
#   bochs  Bochs 2.7, corei7_skylake_x: Intel VMX, EPT, unrestricted guest
#
# Needs mvm.ko built for that kernel (make testhost-module KSERIES=...),
# the selftests (make -C selftests), and the packages of
# scripts/install-deps.sh; builds the guest payload (selftests/guest) for
# the kernel, which goes to /guest in the initramfs. Prints one line per
# test case and a last line
#   TESTHOST <host> passed=N failed=M skipped=K
# and exits non-zero if anything failed. A guest that does not finish in
# time is killed, counted as a failure, and the tail of its console shown.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
host=qemu
series=6.1
tests=""
timeout=""
log=""
bench=0
demo=0

while [ $# -gt 0 ]; do
	case "$1" in
	--host)		host=$2; shift 2 ;;
	--kernel)	series=$2; shift 2 ;;
	--tests)	tests=$2; shift 2 ;;
	--timeout)	timeout=$2; shift 2 ;;
	--log)		log=$2; shift 2 ;;
	--bench)	bench=1; shift ;;
	--demo)		demo=1; shift ;;
	*)		echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

case "$host" in
qemu)	: "${timeout:=300}" ;;
# boot_test boots Linux guests inside Bochs: minutes each.
bochs)	: "${timeout:=1800}" ;;
*)	echo "run.sh: --host must be qemu or bochs, not '$host'" >&2; exit 2 ;;
esac

rel=$("$top/scripts/kver.sh" "$series")
kdir=$("$here/kernel.sh" "$series")
module="$top/build/kmod/$rel/mvm.ko"
work="$top/build/testhost/$host-$rel"
: "${log:=$work/console.log}"
if [ ! -f "$module" ]; then
	echo "run.sh: $module missing; run 'make testhost-module KSERIES=$series'" >&2
	exit 2
fi
mkdir -p "$work"

# The guest that boot_test and boot_bench boot with mvm run.
guest="$top/build/guest/$rel/payload"
if ! make -s -C "$top/selftests/guest" KSERIES="$series" \
	> "$work/guest-build.log" 2>&1; then
	echo "run.sh: building the guest payload failed; last lines of $work/guest-build.log:" >&2
	tail -n 20 "$work/guest-build.log" | sed 's/^/    | /' >&2
	exit 2
fi

extra=""
# debugfs: boot_test reads the guest's file out of the ext4 image with it.
for b in "$top/build/cli/mvm" "$top/build/bpf/mvm-ioctlstat" /usr/sbin/bpftool \
	 /sbin/debugfs; do
	[ -x "$b" ] && extra="$extra $b"
done
# KVM's modules: for the benchmark, and for the check that mvm refuses to
# load while kvm_intel holds VMX (Bochs).
kvm_modules=""
{ [ "$bench" = 1 ] || [ "$host" = bochs ]; } &&
	kvm_modules="$kdir/lib/modules/$rel"
# shellcheck disable=SC2086
MVM_KVM_MODULES="$kvm_modules" MVM_GUEST_DIR="$guest" MVM_QEMU="$bench" \
"$here/mkinitramfs.sh" "$work/initramfs.cpio" "$module" \
	"$top/build/selftests" $extra

cmdline="console=ttyS0 panic=-1 quiet"
[ -n "$tests" ] && cmdline="$cmdline mvm.tests=$tests"
# The benchmark run also traces five guest boots and measures the
# tracer's overhead against two untraced ones (bpf_boot_test).
[ "$bench" = 1 ] && cmdline="$cmdline mvm.bench=1 mvm.boot_trace=5,2"
[ "$demo" = 1 ] && cmdline="$cmdline mvm.demo=1"

boot_qemu() {
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu max -M q35 -smp 2 -m 1024 \
		-net none -display none -monitor none -no-reboot \
		-serial "file:$log" \
		-kernel "$kdir/boot/vmlinuz-$rel" \
		-initrd "$work/initramfs.cpio" \
		-append "$cmdline"
}

boot_bochs() {
	# Linux finds the emulated Skylake's AVX-512 XSAVE layout
	# inconsistent and turns XSAVE off, and so does 6.12 here. On 6.1
	# AVX-512 and AVX are hidden: with AVX, the 6.1 host kernel warns
	# "Bad FPU state" when user space that uses it (glibc's string
	# functions) makes threads, with or without mvm.ko loaded
	# (Documentation/testing.rst): Bochs, not mvm.
	xsave_arg=""
	[ "$series" = 6.1 ] && xsave_arg="clearcpuid=avx,avx512f"
	# Two CPUs on 6.12, for vCPU migration and CPU hotplug; one on 6.1,
	# where the benchmark wants no second CPU in the way.
	cpus=1
	[ "$series" = 6.12 ] && cpus=2
	iso="$work/iso"
	rm -rf "$iso"
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin \
	   /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kdir/boot/vmlinuz-$rel" "$iso/vmlinuz"
	cp "$work/initramfs.cpio" "$iso/initrd"
	# Bochs counts one TSC tick per instruction at ips=50M: tell the
	# kernel so its clock runs at emulated speed (TESTHOST.md).
	cat > "$iso/isolinux/isolinux.cfg" <<-CFG
	DEFAULT mvm
	PROMPT 0
	TIMEOUT 0
	LABEL mvm
	  KERNEL /vmlinuz
	  INITRD /initrd
	  APPEND $cmdline tsc_early_khz=50000 $xsave_arg
	CFG
	xorriso -as mkisofs -quiet -o "$work/boot.iso" \
		-b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
		> "$work/xorriso.log" 2>&1
	cat > "$work/bochsrc" <<-RC
	display_library: rfb, options="timeout=0"
	romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	cpu: model=corei7_skylake_x, count=$cpus, ips=50000000, reset_on_triple_fault=1, ignore_bad_msrs=1
	memory: guest=1024, host=1024
	clock: sync=none
	ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=$log
	magic_break: enabled=0
	speaker: enabled=0
	sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
	panic: action=fatal
	log: $work/bochs.log
	RC
	# Debian's Bochs has its debugger built in: tell it to continue.
	echo c > "$work/debugger.rc"
	timeout -k 10 "$timeout" bochs -q -f "$work/bochsrc" \
		-rc "$work/debugger.rc" </dev/null \
		>"$work/bochs.out" 2>&1
}

rm -f "$log"
start=$(date +%s)
echo "run.sh: booting $host with $rel (timeout ${timeout}s)"
# The demo shows the console as it comes.
follow=""
if [ "$demo" = 1 ]; then
	: > "$log"
	tail -n +1 -F "$log" 2>/dev/null &
	follow=$!
fi
status=0
"boot_$host" || status=$?
end=$(date +%s)
if [ -n "$follow" ]; then
	sleep 1
	kill "$follow" 2>/dev/null
	wait "$follow" 2>/dev/null
fi
[ -f "$log" ] || : > "$log"

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run.sh: $host timed out after ${timeout}s; last console lines:"
	tail -n 40 "$log" | sed 's/^/    | /'
elif ! grep -q '^MVM-SUITE-END' "$log"; then
	echo "run.sh: $host ended (status $status) before the suite did; last console lines:"
	tail -n 40 "$log" | sed 's/^/    | /'
fi
echo "run.sh: $host ran for $((end - start))s; console in $log"
# Side by side: mvm's cost per exit against KVM's in the same boot.
if [ "$bench" = 1 ]; then
	awk '/^BENCH / {
		split($6, r, "="); split($7, t, "=");
		rate[$2 " " $3] = r[2]; tsc[$2 " " $3] = t[2]
	}
	END {
		for (k = 0; k < 2; k++) {
			kind = k ? "cpuid" : "io"
			m = rate["mvm " kind]; v = rate["kvm " kind]
			if (m == "" || v == "")
				continue
			printf "run.sh: %-5s exits: mvm %s/s, kvm %s/s (mvm %.2fx); TSC ticks per exit: mvm %s, kvm %s (kvm/mvm %.2f)\n",
			       kind, m, v, m / v, tsc["mvm " kind],
			       tsc["kvm " kind], tsc["kvm " kind] / tsc["mvm " kind]
		}
	}' "$log"
fi
# Boot to the guest's init, mvm against QEMU/KVM (selftests/bench/
# boot_bench.sh): TSC ticks and VM exits, by reason, and their ratios.
if [ "$bench" = 1 ]; then
	awk '
	function num(v) { return v == "" ? 0 : v + 0 }
	function val(v) { return v == "" ? "-" : v }
	function ratio(a, b) { return a != "" && b > 0 ? sprintf("%.2f", a / b) : "-" }
	/^BOOTBENCH / {
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			v[$2, kv[1]] = kv[2]
		}
		seen[$2] = 1
	}
	/^BOOTBENCH-EXITS / {
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			x[$2, kv[1]] = kv[2]
			names[kv[1]] = 1
		}
	}
	END {
		# A side that failed shows "-" (its RESULT line says why).
		if (v["mvm", "ticks"] == "" && v["kvm", "ticks"] == "")
			exit
		printf "run.sh: boot to the guest init (launch to milestone 1), same kernel and initramfs, 1 vCPU, 256 MiB\n"
		printf "run.sh:   %-26s %14s %14s %8s\n", "", "mvm", "QEMU/KVM", "mvm/kvm"
		printf "run.sh:   %-26s %14s %14s %8s\n", "TSC ticks",
		       val(v["mvm", "ticks"]), val(v["kvm", "ticks"]),
		       ratio(v["mvm", "ticks"], v["kvm", "ticks"])
		printf "run.sh:   %-26s %14s %14s %8s\n", "VM exits",
		       val(v["mvm", "exits"]), val(v["kvm", "exits"]),
		       ratio(v["mvm", "exits"], v["kvm", "exits"])
		# Reasons by their larger count, largest first.
		nr = 0
		for (n in names) {
			r[++nr] = n
			a = num(x["mvm", n]); b = num(x["kvm", n])
			big[n] = a > b ? a : b
		}
		for (i = 2; i <= nr; i++)
			for (j = i; j > 1 && big[r[j]] > big[r[j - 1]]; j--) {
				t = r[j]; r[j] = r[j - 1]; r[j - 1] = t
			}
		for (i = 1; i <= nr; i++) {
			n = r[i]
			m = v["mvm", "ticks"] == "" ? "" : num(x["mvm", n])
			k = v["kvm", "ticks"] == "" ? "" : num(x["kvm", n])
			printf "run.sh:     %-24s %14s %14s %8s\n", n, val(m),
			       val(k), ratio(m, k)
		}
		printf "run.sh:   %-26s %14s %14s\n", "seconds (test-host clock)",
		       val(v["mvm", "seconds"]), val(v["kvm", "seconds"])
	}' "$log"
fi
awk -v host="$host" -f "$here/summary.awk" "$log"
