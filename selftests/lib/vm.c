// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU helpers for the selftests; see include/mvm_vm.h.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mvm_vm.h"

bool mvm_vm_supported(void)
{
	struct mvm_check_cap cc = { .cap = MVM_CAP_VM };
	int fd = open(MVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = !ioctl(fd, MVM_CHECK_CAP, &cc) && cc.value;
	close(fd);
	return ok;
}

long long mvm_module_counter(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/mvm/parameters/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int __vm_set_region(struct test_vm *vm, uint32_t slot, uint32_t flags,
		    uint64_t gpa, uint64_t size, void *uaddr)
{
	struct mvm_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)uaddr,
	};

	return __sys_ioctl(vm->fd, MVM_SET_MEMORY_REGION, &r);
}

struct test_vm *vm_create(size_t mem_size)
{
	struct mvm_create_vm c = { 0 };
	struct test_vm *vm = calloc(1, sizeof(*vm));
	int sys;

	MVM_TEST_ASSERT(vm, "calloc");
	sys = sys_open();
	vm->fd = __sys_ioctl(sys, MVM_CREATE_VM, &c);
	MVM_TEST_ASSERT(vm->fd >= 0, "MVM_CREATE_VM: %d", vm->fd);
	close(sys);
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	MVM_TEST_ASSERT(vm->mem != MAP_FAILED, "mmap guest memory");
	MVM_TEST_ASSERT(!__vm_set_region(vm, 0, 0, 0, mem_size, vm->mem),
			"set region 0");
	return vm;
}

void vm_destroy(struct test_vm *vm)
{
	close(vm->fd);
	munmap(vm->mem, vm->mem_size);
	free(vm);
}

struct test_vcpu *vcpu_add(struct test_vm *vm, uint32_t id)
{
	struct mvm_create_vcpu c = { .id = id };
	struct test_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int sys = sys_open();
	long size = sys_check_cap(sys, MVM_CAP_RUN_SIZE);

	close(sys);
	MVM_TEST_ASSERT(vcpu, "calloc");
	vcpu->id = id;
	vcpu->fd = __sys_ioctl(vm->fd, MVM_CREATE_VCPU, &c);
	MVM_TEST_ASSERT(vcpu->fd >= 0, "MVM_CREATE_VCPU %u: %d", id,
			vcpu->fd);
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	MVM_TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap run page");
	return vcpu;
}

void vcpu_free(struct test_vcpu *vcpu)
{
	munmap(vcpu->run, 4096);
	close(vcpu->fd);
	free(vcpu);
}

int __vcpu_run(struct test_vcpu *vcpu)
{
	return __sys_ioctl(vcpu->fd, MVM_RUN, NULL);
}

void vcpu_run(struct test_vcpu *vcpu)
{
	int ret = __vcpu_run(vcpu);

	MVM_TEST_ASSERT(ret == 0, "MVM_RUN returned %d (exit %s)", ret,
			exit_reason_str(vcpu->run->exit_reason));
}

void vcpu_regs_get(struct test_vcpu *vcpu, struct mvm_regs *regs)
{
	sys_ioctl(vcpu->fd, MVM_GET_REGS, regs);
}

void vcpu_regs_set(struct test_vcpu *vcpu, const struct mvm_regs *regs)
{
	sys_ioctl(vcpu->fd, MVM_SET_REGS, (void *)regs);
}

void vcpu_sregs_get(struct test_vcpu *vcpu, struct mvm_sregs *sregs)
{
	sys_ioctl(vcpu->fd, MVM_GET_SREGS, sregs);
}

void vcpu_sregs_set(struct test_vcpu *vcpu, const struct mvm_sregs *sregs)
{
	sys_ioctl(vcpu->fd, MVM_SET_SREGS, (void *)sregs);
}

void guest_load(struct test_vm *vm, const uint8_t *start, const uint8_t *end)
{
	MVM_TEST_ASSERT(end > start && GUEST_CODE_GPA + (end - start) <=
			GUEST_DATA, "guest code too large");
	memcpy(vm->mem + GUEST_CODE_GPA, start, end - start);
}

static void set_rip_rsp(struct test_vcpu *vcpu, uint64_t rip, uint64_t rsp)
{
	struct mvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2;
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_setup_real(struct test_vm *vm, struct test_vcpu *vcpu)
{
	struct mvm_sregs sr;

	(void)vm;
	vcpu_sregs_get(vcpu, &sr);
	sr.cs.selector = 0;
	sr.cs.base = 0;
	vcpu_sregs_set(vcpu, &sr);
	set_rip_rsp(vcpu, GUEST_CODE_GPA, GUEST_STACK);
	/* Real-mode CS:IP reaches 0x10000 only with CS=0x1000. */
	vcpu_sregs_get(vcpu, &sr);
	sr.cs.selector = GUEST_CODE_GPA >> 4;
	sr.cs.base = GUEST_CODE_GPA;
	vcpu_sregs_set(vcpu, &sr);
	set_rip_rsp(vcpu, 0, GUEST_STACK);
}

static void flat_seg(struct mvm_segment *s, uint16_t sel, uint8_t type,
		     bool code64)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

/* GDT: null, 32-bit code 0x08, data 0x10, 64-bit code 0x18, TSS 0x20. */
static void build_gdt(struct test_vm *vm)
{
	uint64_t *gdt = (uint64_t *)(vm->mem + GUEST_GDT);

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;	/* code32, DPL0, accessed */
	gdt[2] = 0x00cf93000000ffffULL;	/* data, accessed */
	gdt[3] = 0x00af9b000000ffffULL;	/* code64 */
	gdt[4] = 0x00008b0000000067ULL | ((uint64_t)(GUEST_GDT + 0x100) << 16);
	gdt[5] = 0;
}

static void sregs_flat(struct test_vcpu *vcpu, struct mvm_sregs *sr,
		       bool long_mode)
{
	vcpu_sregs_get(vcpu, sr);
	flat_seg(&sr->cs, long_mode ? 0x18 : 0x08, 0xb, long_mode);
	flat_seg(&sr->ds, 0x10, 0x3, false);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.selector = 0x20;
	sr->tr.base = GUEST_GDT + 0x100;
	sr->tr.limit = 0x67;
	sr->tr.type = 0xb;
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.type = 2;
	sr->ldt.present = 1;
	sr->ldt.unusable = 1;
	sr->gdt.base = GUEST_GDT;
	sr->gdt.limit = 6 * 8 - 1;
	sr->idt.base = GUEST_IDT;
	sr->idt.limit = 0;
}

void vcpu_setup_prot32(struct test_vm *vm, struct test_vcpu *vcpu)
{
	struct mvm_sregs sr;

	build_gdt(vm);
	sregs_flat(vcpu, &sr, false);
	sr.cr0 = 0x11;		/* PE, ET */
	sr.cr4 = 0;
	sr.efer = 0;
	vcpu_sregs_set(vcpu, &sr);
	set_rip_rsp(vcpu, GUEST_CODE_GPA, GUEST_STACK);
}

void vcpu_setup_long64(struct test_vm *vm, struct test_vcpu *vcpu)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + GUEST_PML4);
	uint64_t *pdpt = (uint64_t *)(vm->mem + GUEST_PML4 + 0x1000);
	uint64_t *pd = (uint64_t *)(vm->mem + GUEST_PML4 + 0x2000);
	uint64_t *pd3 = (uint64_t *)(vm->mem + GUEST_PML4 + 0x3000);
	struct mvm_sregs sr;
	int i;

	build_gdt(vm);
	memset(pml4, 0, 4 * 4096);
	pml4[0] = (GUEST_PML4 + 0x1000) | 3;
	pdpt[0] = (GUEST_PML4 + 0x2000) | 3;
	pdpt[3] = (GUEST_PML4 + 0x3000) | 3;	/* 3 GiB: the MMIO window */
	for (i = 0; i < 512; i++) {
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB, RW, P */
		pd3[i] = (GUEST_MMIO + ((uint64_t)i << 21)) | 0x83;
	}
	sregs_flat(vcpu, &sr, true);
	sr.cr0 = 0x80010031;	/* PG, WP, NE, ET, PE */
	sr.cr3 = GUEST_PML4;
	sr.cr4 = 0x20;		/* PAE */
	sr.efer = 0x500;	/* LME, LMA */
	sr.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sr);
	set_rip_rsp(vcpu, GUEST_CODE_GPA, GUEST_STACK);
}

/* Exception stubs live in the last 256 bytes below GUEST_DATA. */
#define GUEST_EXC_STUBS	(GUEST_DATA - 0x100)

void vm_setup_idt64(struct test_vm *vm)
{
	uint64_t *idt = (uint64_t *)(vm->mem + GUEST_IDT);
	unsigned int v;

	memset(idt, 0, 4096);
	for (v = 0; v < 32; v++) {
		uint8_t *stub = vm->mem + GUEST_EXC_STUBS + v * 8;
		uint64_t off = GUEST_EXC_STUBS + v * 8;

		stub[0] = 0xb0;		/* mov $v, %al */
		stub[1] = v;
		stub[2] = 0xe6;		/* out %al, $port */
		stub[3] = GUEST_EXC_PORT;
		stub[4] = 0xf4;		/* hlt */
		/* 64-bit interrupt gate, selector 0x18, present, DPL 0
		 * (SDM Vol. 3A 7.14.1). */
		idt[v * 2] = (off & 0xffff) | (0x18ULL << 16) |
			     (0x8eULL << 40) | ((off >> 16 & 0xffff) << 48);
		idt[v * 2 + 1] = off >> 32;
	}
}

void vcpu_set_host_cpuid(struct test_vcpu *vcpu)
{
	struct mvm_cpuid_entry e[64];
	struct mvm_cpuid c = { 0 };
	unsigned int a, b, cx, d, max, n = 0;
	uint32_t fn;

	memset(e, 0, sizeof(e));
	max = __get_cpuid_max(0, NULL);
	for (fn = 0; fn <= max && n < 32; fn++) {
		__cpuid_count(fn, 0, a, b, cx, d);
		e[n++] = (struct mvm_cpuid_entry){ .function = fn,
			.flags = MVM_CPUID_FLAG_SIGNIFICANT_INDEX,
			.eax = a, .ebx = b, .ecx = cx, .edx = d };
	}
	max = __get_cpuid_max(0x80000000, NULL);
	for (fn = 0x80000000; fn <= max && n < 64; fn++) {
		__cpuid_count(fn, 0, a, b, cx, d);
		e[n++] = (struct mvm_cpuid_entry){ .function = fn,
			.eax = a, .ebx = b, .ecx = cx, .edx = d };
	}
	c.nent = n;
	c.entries = (uintptr_t)e;
	sys_ioctl(vcpu->fd, MVM_SET_CPUID, &c);
}

const char *exit_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		"UNKNOWN", "IO", "MMIO", "HLT", "SHUTDOWN", "FAIL_ENTRY",
		"INTERNAL_ERROR", "INTR", "MEMORY_FAULT",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] :
							     "?";
}
