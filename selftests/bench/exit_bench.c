// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: the cost of a VM exit, mvm against KVM on the same machine.
 *
 *   exit_bench mvm|kvm [EXITS]
 *
 * Runs the same 64-bit guest twice, each a loop of EXITS (default
 * 100000) exits: once OUT to a port (an exit to userspace each time),
 * once CPUID (handled in the kernel). Prints one line per loop:
 *
 *   BENCH <backend> <io|cpuid> exits=N seconds=S exits_per_sec=R
 *         tsc_per_exit=T
 *
 * Inside the Bochs test host the TSC counts emulated instructions, so
 * tsc_per_exit is a cost that does not depend on how busy the machine
 * running Bochs is. The KVM half uses /dev/kvm (kvm_intel or kvm_amd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/kvm.h>
#include <linux/mvm.h>

#define MEM_SIZE	(2 << 20)
#define GDT		0x1000
#define PML4		0x3000
#define CODE		0x10000
#define STACK		0x8000
#define PORT		0x80

/* r8 counts down; each pass exits once. */
static const uint8_t guest_io[] = {
	0xe6, PORT,			/* out %al, $0x80 */
	0x49, 0xff, 0xc8,		/* dec %r8 */
	0x75, 0xf9,			/* jnz -7 */
	0xf4,				/* hlt */
};

static const uint8_t guest_cpuid[] = {
	0x31, 0xc0,			/* xor %eax, %eax */
	0x31, 0xc9,			/* xor %ecx, %ecx */
	0x0f, 0xa2,			/* cpuid */
	0x49, 0xff, 0xc8,		/* dec %r8 */
	0x75, 0xf5,			/* jnz -11 */
	0xf4,				/* hlt */
};

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Identity-map 1 GiB with 2 MiB pages; flat GDT with a 64-bit code. */
static void build_tables(uint8_t *mem)
{
	uint64_t *gdt = (uint64_t *)(mem + GDT);
	uint64_t *pml4 = (uint64_t *)(mem + PML4);
	uint64_t *pdpt = (uint64_t *)(mem + PML4 + 0x1000);
	uint64_t *pd = (uint64_t *)(mem + PML4 + 0x2000);
	int i;

	gdt[1] = 0x00af9b000000ffffULL;	/* 0x08: code64 */
	gdt[2] = 0x00cf93000000ffffULL;	/* 0x10: data */
	gdt[3] = 0x00008b0000000067ULL | ((uint64_t)(GDT + 0x100) << 16);
	pml4[0] = (PML4 + 0x1000) | 3;
	pdpt[0] = (PML4 + 0x2000) | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *backend, const char *kind, long exits,
		   double secs, uint64_t tsc)
{
	printf("BENCH %s %s exits=%ld seconds=%.3f exits_per_sec=%.0f tsc_per_exit=%llu\n",
	       backend, kind, exits, secs, exits / secs,
	       (unsigned long long)(tsc / exits));
	fflush(stdout);
}

/* ---- mvm ---- */

static void mvm_seg(struct mvm_segment *s, uint16_t sel, uint8_t type,
		    int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static void run_mvm(const char *kind, const uint8_t *code, size_t len,
		    long exits)
{
	struct mvm_create_vm cv = { 0 };
	struct mvm_create_vcpu cc = { 0 };
	struct mvm_memory_region r = { 0 };
	struct mvm_sregs sr;
	struct mvm_regs regs;
	struct mvm_run *run;
	int sys, vm, vcpu;
	uint8_t *mem;
	long n = 0;
	uint64_t t0;
	double s0;

	sys = open("/dev/mvm", O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die("/dev/mvm");
	vm = ioctl(sys, MVM_CREATE_VM, &cv);
	if (vm < 0)
		die("MVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	build_tables(mem);
	memcpy(mem + CODE, code, len);
	r.size = MEM_SIZE;
	r.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, MVM_SET_MEMORY_REGION, &r))
		die("MVM_SET_MEMORY_REGION");
	vcpu = ioctl(vm, MVM_CREATE_VCPU, &cc);
	if (vcpu < 0)
		die("MVM_CREATE_VCPU");
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap run");

	if (ioctl(vcpu, MVM_GET_SREGS, &sr))
		die("MVM_GET_SREGS");
	mvm_seg(&sr.cs, 0x08, 0xb, 1);
	mvm_seg(&sr.ds, 0x10, 0x3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = 0x18;
	sr.tr.base = GDT + 0x100;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	sr.ldt.unusable = 1;
	sr.ldt.type = 2;
	sr.ldt.present = 1;
	sr.gdt.base = GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.cr0 = 0x80010031;
	sr.cr3 = PML4;
	sr.cr4 = 0x20;
	sr.efer = 0x500;
	if (ioctl(vcpu, MVM_SET_SREGS, &sr))
		die("MVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rsp = STACK;
	regs.rflags = 2;
	regs.r8 = exits;
	if (ioctl(vcpu, MVM_SET_REGS, &regs))
		die("MVM_SET_REGS");

	s0 = now();
	t0 = __rdtsc();
	for (;;) {
		if (ioctl(vcpu, MVM_RUN, 0))
			die("MVM_RUN");
		if (run->exit_reason == MVM_EXIT_HLT)
			break;
		if (run->exit_reason != MVM_EXIT_IO) {
			fprintf(stderr, "exit_bench: unexpected exit %u\n",
				run->exit_reason);
			exit(1);
		}
		n++;
	}
	report("mvm", kind, exits, now() - s0, __rdtsc() - t0);
	if (strcmp(kind, "io") == 0 && n != exits) {
		fprintf(stderr, "exit_bench: %ld I/O exits, expected %ld\n",
			n, exits);
		exit(1);
	}
	close(vcpu);
	close(vm);
	close(sys);
	munmap(mem, MEM_SIZE);
}

/* ---- KVM ---- */

static void kvm_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		    int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static void run_kvm(const char *kind, const uint8_t *code, size_t len,
		    long exits)
{
	struct kvm_userspace_memory_region r = { 0 };
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[128];
	} cpuid;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct kvm_run *run;
	int sys, vm, vcpu, size;
	uint8_t *mem;
	long n = 0;
	uint64_t t0;
	double s0;

	sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die("/dev/kvm");
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	build_tables(mem);
	memcpy(mem + CODE, code, len);
	r.memory_size = MEM_SIZE;
	r.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap run");
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.c.nent = 128;
	if (ioctl(sys, KVM_GET_SUPPORTED_CPUID, &cpuid) ||
	    ioctl(vcpu, KVM_SET_CPUID2, &cpuid))
		die("KVM CPUID");

	if (ioctl(vcpu, KVM_GET_SREGS, &sr))
		die("KVM_GET_SREGS");
	kvm_seg(&sr.cs, 0x08, 0xb, 1);
	kvm_seg(&sr.ds, 0x10, 0x3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.cr0 = 0x80010031;
	sr.cr3 = PML4;
	sr.cr4 = 0x20;
	sr.efer = 0x500;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rsp = STACK;
	regs.rflags = 2;
	regs.r8 = exits;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	s0 = now();
	t0 = __rdtsc();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "exit_bench: unexpected KVM exit %u\n",
				run->exit_reason);
			exit(1);
		}
		n++;
	}
	report("kvm", kind, exits, now() - s0, __rdtsc() - t0);
	close(vcpu);
	close(vm);
	close(sys);
	munmap(mem, MEM_SIZE);
}

int main(int argc, char **argv)
{
	long exits = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;

	if (argc < 2 || exits <= 0 ||
	    (strcmp(argv[1], "mvm") && strcmp(argv[1], "kvm"))) {
		fprintf(stderr, "usage: exit_bench mvm|kvm [EXITS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "mvm")) {
		run_mvm("io", guest_io, sizeof(guest_io), exits);
		run_mvm("cpuid", guest_cpuid, sizeof(guest_cpuid), exits);
	} else {
		run_kvm("io", guest_io, sizeof(guest_io), exits);
		run_kvm("cpuid", guest_cpuid, sizeof(guest_cpuid), exits);
	}
	return 0;
}
