/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM and vCPU helpers for the selftests, after KVM's selftests:
 * vm_create() and vcpu_add() abort the test on failure; guest code is
 * assembled into the test binary (see GUEST_CODE()) and copied into guest
 * memory; vcpu_setup_*() put a vCPU in real, 32-bit protected or 64-bit
 * mode with the descriptor and page tables built here.
 */
#ifndef MVM_SELFTEST_VM_H
#define MVM_SELFTEST_VM_H

#include <stddef.h>
#include <stdint.h>

#include "mvm_util.h"

/* Guest-physical layout used by vcpu_setup_*(). */
#define GUEST_GDT	0x1000	/* GDT and TSS */
#define GUEST_IDT	0x2000	/* IDT (64-bit mode) */
#define GUEST_PML4	0x3000	/* page tables: 0x3000..0x6fff */
#define GUEST_STACK	0x8000	/* stack top */
#define GUEST_CODE_GPA	0x10000	/* where guest code is copied */
#define GUEST_DATA	0x20000	/* scratch data page */
#define GUEST_MMIO	0xc0000000ULL	/* no RAM here: MMIO */

struct test_vm {
	int fd;
	uint8_t *mem;		/* RAM at guest-physical 0 */
	size_t mem_size;
};

struct test_vcpu {
	int fd;
	uint32_t id;
	struct mvm_run *run;
};

/*
 * GUEST_CODE(name, bits, body): assemble @body (a string of AT&T
 * instructions) for a @bits-bit guest into the test binary, between the
 * symbols name_start and name_end.
 */
#define GUEST_CODE(name, bits, body)					\
	asm(".pushsection .rodata.guest,\"a\"\n"			\
	    ".code" #bits "\n"						\
	    ".globl " #name "_start, " #name "_end\n"			\
	    #name "_start:\n" body "\n"					\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection\n");						\
	extern const uint8_t name##_start[], name##_end[]

/* Open /dev/mvm, create a VM with @mem_size bytes of RAM at GPA 0 in
 * slot 0 (SKIPs are the caller's: see MVM_REQUIRE_VM). */
struct test_vm *vm_create(size_t mem_size);
void vm_destroy(struct test_vm *vm);

/* MVM_SET_MEMORY_REGION, raw result or -errno. */
int __vm_set_region(struct test_vm *vm, uint32_t slot, uint32_t flags,
		    uint64_t gpa, uint64_t size, void *uaddr);

struct test_vcpu *vcpu_add(struct test_vm *vm, uint32_t id);
void vcpu_free(struct test_vcpu *vcpu);

/* MVM_RUN: raw result or -errno; vcpu_run() asserts success. */
int __vcpu_run(struct test_vcpu *vcpu);
void vcpu_run(struct test_vcpu *vcpu);

void vcpu_regs_get(struct test_vcpu *vcpu, struct mvm_regs *regs);
void vcpu_regs_set(struct test_vcpu *vcpu, const struct mvm_regs *regs);
void vcpu_sregs_get(struct test_vcpu *vcpu, struct mvm_sregs *sregs);
void vcpu_sregs_set(struct test_vcpu *vcpu, const struct mvm_sregs *sregs);

/* Copy guest code [start, end) to GUEST_CODE_GPA. */
void guest_load(struct test_vm *vm, const uint8_t *start, const uint8_t *end);

/* Put @vcpu at GUEST_CODE_GPA in real mode (CS=0), flat 32-bit
 * protected mode, or 64-bit mode with the first 1 GiB identity-mapped
 * and the MMIO window at GUEST_MMIO mapped too. */
void vcpu_setup_real(struct test_vm *vm, struct test_vcpu *vcpu);
void vcpu_setup_prot32(struct test_vm *vm, struct test_vcpu *vcpu);
void vcpu_setup_long64(struct test_vm *vm, struct test_vcpu *vcpu);

/*
 * Fill the 64-bit IDT so that exception vector v (0..31) runs a stub doing
 * "mov $v, %al; out %al, $GUEST_EXC_PORT; hlt": the test sees a guest
 * exception as an I/O exit on GUEST_EXC_PORT carrying the vector.
 */
#define GUEST_EXC_PORT	0x80
void vm_setup_idt64(struct test_vm *vm);

/* Identity CPUID table from the host's CPUID (basic and extended). */
void vcpu_set_host_cpuid(struct test_vcpu *vcpu);

/* Name of an MVM_EXIT_* value, for messages. */
const char *exit_reason_str(uint32_t reason);

/* True when this host can run VMs (MVM_CAP_VM). */
bool mvm_vm_supported(void);

/* Module-wide counters from /sys/module/mvm/parameters; -1 if absent. */
long long mvm_module_counter(const char *name);

/* SKIP unless VMs can be created here. */
#define MVM_REQUIRE_VM()						\
	do {								\
		MVM_REQUIRE(mvm_dev_present(),				\
			    "%s missing: mvm.ko is not loaded",		\
			    MVM_DEV_PATH);				\
		MVM_REQUIRE(mvm_vm_supported(),				\
			    "this backend cannot run guests yet "	\
			    "(MVM_CAP_VM is 0)");			\
	} while (0)

#endif /* MVM_SELFTEST_VM_H */
