// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest may not do, seen from inside it: CPUID never shows VMX or
 * SVM and always the hypervisor bit; MSRs outside the allow-list and the
 * emulated set give #GP; XSETBV is validated; VMX instructions and VMCALL
 * give #UD. Guest exceptions are reported through vm_setup_idt64()'s
 * stubs as an OUT to GUEST_EXC_PORT carrying the vector.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

#define X86_UD	6
#define X86_GP	13

GUEST_CODE(cpuid_guest, 64,
	   "mov $1, %eax\n xor %ecx, %ecx\n cpuid\n"
	   "mov %ecx, %r8d\n mov %ebx, %r9d\n"
	   "mov $0x80000001, %eax\n xor %ecx, %ecx\n cpuid\n"
	   "mov %ecx, %r10d\n"
	   "mov $0x7fffffff, %eax\n cpuid\n"	/* absent leaf */
	   "hlt\n");

GUEST_CODE(rdmsr_unknown, 64, "mov $0x12345, %ecx\n rdmsr\n hlt\n");
GUEST_CODE(wrmsr_tsc, 64,
	   "mov $0x10, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n hlt\n");
GUEST_CODE(msr_allowed, 64,
	   "mov $0xc0000082, %ecx\n mov $0x1000, %eax\n mov $0xffff8000, %edx\n"
	   "wrmsr\n xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
	   "mov %eax, %r8d\n mov %edx, %r9d\n hlt\n");
GUEST_CODE(msr_lstar_noncanonical, 64,
	   "mov $0xc0000082, %ecx\n xor %eax, %eax\n mov $0x00800000, %edx\n"
	   "wrmsr\n hlt\n");
GUEST_CODE(xsetbv_ok, 64,
	   "xor %ecx, %ecx\n mov $3, %eax\n xor %edx, %edx\n xsetbv\n"
	   "xgetbv\n hlt\n");
GUEST_CODE(xgetbv_guest, 64, "xor %ecx, %ecx\n xgetbv\n hlt\n");
GUEST_CODE(xsetbv_bad, 64,
	   "xor %ecx, %ecx\n mov $2, %eax\n xor %edx, %edx\n xsetbv\n hlt\n");
GUEST_CODE(osxsave_guest, 64,
	   "mov %cr4, %rax\n or $0x40000, %rax\n mov %rax, %cr4\n hlt\n");
GUEST_CODE(vmxon_guest, 64, "vmxon (%rax)\n hlt\n");
GUEST_CODE(vmcall_guest, 64, "vmcall\n hlt\n");
GUEST_CODE(vmread_guest, 64, "vmread %rax, %rbx\n hlt\n");
GUEST_CODE(cr4_vmxe, 64,
	   "mov %cr4, %rax\n or $0x2000, %rax\n mov %rax, %cr4\n hlt\n");
GUEST_CODE(cr8_guest, 64,
	   "mov $9, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n hlt\n");
GUEST_CODE(dr_guest, 64,
	   "mov $0x1234, %eax\n mov %rax, %dr0\n mov %dr0, %rbx\n"
	   "mov %dr7, %rcx\n hlt\n");

FIXTURE(p) {
	struct test_vm *vm;
	struct test_vcpu *vcpu;
};

FIXTURE_SETUP(p)
{
	MVM_REQUIRE_VM();
	self->vm = vm_create(1 << 21);
	self->vcpu = vcpu_add(self->vm, 0);
	vm_setup_idt64(self->vm);
	vcpu_set_host_cpuid(self->vcpu);
}

FIXTURE_TEARDOWN(p)
{
	if (self->vcpu)
		vcpu_free(self->vcpu);
	if (self->vm)
		vm_destroy(self->vm);
}

static void start(struct test_vm *vm, struct test_vcpu *vcpu,
		  const uint8_t *s, const uint8_t *e)
{
	guest_load(vm, s, e);
	vcpu_setup_long64(vm, vcpu);
}

/* Run until HLT (returns -1) or an exception stub (returns the vector). */
static int run_guest(struct __test_metadata *_metadata, struct test_vcpu *v)
{
	struct mvm_run *run = v->run;

	vcpu_run(v);
	if (run->exit_reason == MVM_EXIT_HLT)
		return -1;
	EXPECT_EQ(MVM_EXIT_IO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	EXPECT_EQ(GUEST_EXC_PORT, run->io.port);
	return *((uint8_t *)run + run->io.data_offset);
}

TEST_F(p, cpuid_hides_vmx_svm_shows_hypervisor)
{
	struct mvm_regs regs;

	start(self->vm, self->vcpu, cpuid_guest_start, cpuid_guest_end);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(0, regs.r8 & (1u << 5));		/* VMX */
	ASSERT_NE(0, regs.r8 & (1u << 31));		/* hypervisor */
	ASSERT_EQ(0, regs.r9 >> 24);			/* APIC ID = vCPU 0 */
	ASSERT_EQ(0, regs.r10 & (1u << 2));		/* SVM */
	ASSERT_EQ(0, regs.rax);				/* absent leaf */
	ASSERT_EQ(0, regs.rbx);
}

TEST_F(p, cpuid_table_roundtrip_and_limits)
{
	struct mvm_cpuid_entry e[2] = {
		{ .function = 1, .ecx = (1u << 5) | (1u << 2), .ebx = 7 },
		{ .function = 0x80000001, .ecx = 1u << 2 },
	};
	struct mvm_cpuid_entry out[4];
	struct mvm_cpuid c = { .nent = 2, .entries = (uintptr_t)e };
	struct mvm_regs regs;

	ASSERT_EQ(0, __sys_ioctl(self->vcpu->fd, MVM_SET_CPUID, &c));
	c.nent = 1;
	c.entries = (uintptr_t)out;
	ASSERT_EQ(-E2BIG, __sys_ioctl(self->vcpu->fd, MVM_GET_CPUID, &c));
	ASSERT_EQ(2, c.nent);
	c.nent = 4;
	ASSERT_EQ(0, __sys_ioctl(self->vcpu->fd, MVM_GET_CPUID, &c));
	ASSERT_EQ(0, memcmp(e, out, sizeof(e)));

	/* The table asks for VMX and SVM: the guest still sees neither. */
	start(self->vm, self->vcpu, cpuid_guest_start, cpuid_guest_end);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	/* VMX gone; the hypervisor and x2APIC bits forced on. */
	ASSERT_EQ((1u << 31) | (1u << 21) | (1u << 2), regs.r8);
	ASSERT_EQ(7, regs.r9);
	ASSERT_EQ(0, regs.r10);				/* SVM gone */

	c.nent = 257;
	ASSERT_EQ(-E2BIG, __sys_ioctl(self->vcpu->fd, MVM_SET_CPUID, &c));
	c.nent = 1;
	c.entries = (uintptr_t)e;
	e[0].reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vcpu->fd, MVM_SET_CPUID, &c));
	e[0].reserved[1] = 0;
	e[0].flags = 2;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vcpu->fd, MVM_SET_CPUID, &c));
	c.entries = 8;
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->vcpu->fd, MVM_SET_CPUID, &c));
}

TEST_F(p, unknown_msr_read_gp)
{
	start(self->vm, self->vcpu, rdmsr_unknown_start, rdmsr_unknown_end);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

TEST_F(p, tsc_write_gp)
{
	start(self->vm, self->vcpu, wrmsr_tsc_start, wrmsr_tsc_end);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

TEST_F(p, allowed_msr_roundtrip)
{
	struct mvm_msr_entry e = { .index = 0xc0000082 };
	struct mvm_msrs m = { .nmsrs = 1, .entries = (uintptr_t)&e };
	struct mvm_regs regs;

	start(self->vm, self->vcpu, msr_allowed_start, msr_allowed_end);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(0x1000, regs.r8);
	ASSERT_EQ(0xffff8000, regs.r9);
	/* The value the guest wrote is what userspace reads. */
	ASSERT_EQ(1, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
	ASSERT_EQ(0xffff800000001000ULL, e.data);
}

TEST_F(p, noncanonical_lstar_gp)
{
	start(self->vm, self->vcpu, msr_lstar_noncanonical_start,
	      msr_lstar_noncanonical_end);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

TEST_F(p, msr_ioctl_validation)
{
	struct mvm_msr_entry e[2] = { { .index = 0x12345 },
				      { .index = 0xc0000082 } };
	struct mvm_msrs m = { .nmsrs = 2, .entries = (uintptr_t)e };

	/* Stops at the first MSR the vCPU lacks. */
	ASSERT_EQ(0, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
	e[0].index = 0xc0000082;
	e[1].index = 0x12345;
	ASSERT_EQ(1, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
	e[0].data = 0x0080000000000000ULL;	/* non-canonical */
	m.nmsrs = 1;
	ASSERT_EQ(0, __sys_ioctl(self->vcpu->fd, MVM_SET_MSRS, &m));
	e[0].reserved = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vcpu->fd, MVM_SET_MSRS, &m));
	e[0].reserved = 0;
	m.flags = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
	m.flags = 0;
	m.nmsrs = 257;
	ASSERT_EQ(-E2BIG, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
	m.nmsrs = 1;
	m.entries = 16;
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->vcpu->fd, MVM_GET_MSRS, &m));
}

static void enable_osxsave(struct test_vcpu *vcpu)
{
	struct mvm_sregs sr;

	vcpu_sregs_get(vcpu, &sr);
	sr.cr4 |= 1u << 18;	/* OSXSAVE */
	vcpu_sregs_set(vcpu, &sr);
}

static uint64_t vcpu_xcr0(struct test_vcpu *vcpu)
{
	int sys = sys_open();
	uint32_t size = sys_check_cap(sys, MVM_CAP_XSAVE_SIZE);
	struct mvm_fpu f = { .size = size };
	void *area = calloc(1, size);

	close(sys);
	f.data = (uintptr_t)area;
	sys_ioctl(vcpu->fd, MVM_GET_FPU, &f);
	free(area);
	return f.xcr0;
}

/* A new vCPU's XCR0 is the reset value, x87 only. */
TEST_F(p, xgetbv_initial)
{
	unsigned int a, b, c, d;
	struct mvm_regs regs;

	__cpuid(1, a, b, c, d);
	MVM_REQUIRE((c & (1u << 26)) && mvm_cpuinfo_has("flags", "xsave"),
		    "the host kernel runs without XSAVE");
	start(self->vm, self->vcpu, xgetbv_guest_start, xgetbv_guest_end);
	enable_osxsave(self->vcpu);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(1, regs.rax);
}

TEST_F(p, xsetbv_valid)
{
	unsigned int a, b, c, d;
	struct mvm_regs regs;

	__cpuid(1, a, b, c, d);
	MVM_REQUIRE((c & (1u << 26)) && mvm_cpuinfo_has("flags", "xsave"),
		    "the host kernel runs without XSAVE");
	start(self->vm, self->vcpu, xsetbv_ok_start, xsetbv_ok_end);
	enable_osxsave(self->vcpu);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	ASSERT_EQ(3, vcpu_xcr0(self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(3, regs.rax);
}

TEST_F(p, xsetbv_invalid_gp)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	MVM_REQUIRE((c & (1u << 26)) && mvm_cpuinfo_has("flags", "xsave"),
		    "the host kernel runs without XSAVE");
	start(self->vm, self->vcpu, xsetbv_bad_start, xsetbv_bad_end);
	enable_osxsave(self->vcpu);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

/* A host without XSAVE cannot switch XCR0: the guest may not turn it on. */
TEST_F(p, osxsave_refused_without_host_xsave)
{
	struct mvm_sregs sr;

	MVM_REQUIRE(!mvm_cpuinfo_has("flags", "xsave"),
		    "the host kernel uses XSAVE");
	vcpu_sregs_get(self->vcpu, &sr);
	sr.cr4 |= 1u << 18;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vcpu->fd, MVM_SET_SREGS, &sr));
	start(self->vm, self->vcpu, osxsave_guest_start, osxsave_guest_end);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

TEST_F(p, vmxon_ud)
{
	start(self->vm, self->vcpu, vmxon_guest_start, vmxon_guest_end);
	ASSERT_EQ(X86_UD, run_guest(_metadata, self->vcpu));
}

TEST_F(p, vmcall_ud)
{
	start(self->vm, self->vcpu, vmcall_guest_start, vmcall_guest_end);
	ASSERT_EQ(X86_UD, run_guest(_metadata, self->vcpu));
}

TEST_F(p, vmread_ud)
{
	start(self->vm, self->vcpu, vmread_guest_start, vmread_guest_end);
	ASSERT_EQ(X86_UD, run_guest(_metadata, self->vcpu));
}

TEST_F(p, cr4_vmxe_gp)
{
	start(self->vm, self->vcpu, cr4_vmxe_start, cr4_vmxe_end);
	ASSERT_EQ(X86_GP, run_guest(_metadata, self->vcpu));
}

/* CR8 is the guest's own TPR, never the host's. */
TEST_F(p, cr8_virtual)
{
	struct mvm_sregs sr;
	struct mvm_regs regs;

	start(self->vm, self->vcpu, cr8_guest_start, cr8_guest_end);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(9, regs.rbx);
	vcpu_sregs_get(self->vcpu, &sr);
	ASSERT_EQ(9, sr.cr8);
}

/* Debug registers are kept per vCPU and never armed in hardware. */
TEST_F(p, debug_registers_virtual)
{
	struct mvm_regs regs;

	start(self->vm, self->vcpu, dr_guest_start, dr_guest_end);
	ASSERT_EQ(-1, run_guest(_metadata, self->vcpu));
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(0x1234, regs.rbx);
	ASSERT_EQ(0x400, regs.rcx);
}

TEST_HARNESS_MAIN
