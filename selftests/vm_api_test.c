// SPDX-License-Identifier: GPL-2.0
/*
 * Input validation of the VM and vCPU ioctls: every field that must be
 * zero, every range, every kind of fd. Each case gets a clean errno.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

#define PAGE	4096UL

FIXTURE(api) {
	int sys;
	struct test_vm *vm;
};

FIXTURE_SETUP(api)
{
	MVM_REQUIRE_VM();
	self->sys = sys_open();
	self->vm = vm_create(1 << 20);
}

FIXTURE_TEARDOWN(api)
{
	if (self->vm)
		vm_destroy(self->vm);
	if (self->sys > 0)
		close(self->sys);
}

TEST_F(api, create_vm_validation)
{
	struct mvm_create_vm c = { 0 };

	c.flags = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->sys, MVM_CREATE_VM, &c));
	c.flags = 0;
	c.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->sys, MVM_CREATE_VM, &c));
	c.reserved0 = 0;
	c.reserved[2] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->sys, MVM_CREATE_VM, &c));
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->sys, MVM_CREATE_VM, NULL));
}

TEST_F(api, region_validation)
{
	struct test_vm *vm = self->vm;
	uint8_t *m = vm->mem;
	struct mvm_memory_region r = { 0 };

	/* slot, flags, reserved */
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 32, 0, 1 << 30, PAGE, m));
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 2, 1 << 30, PAGE, m));
	r.slot = 1;
	r.guest_phys_addr = 1 << 30;
	r.size = PAGE;
	r.userspace_addr = (uintptr_t)m;
	r.reserved[3] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_SET_MEMORY_REGION, &r));
	/* alignment */
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, (1 << 30) + 1, PAGE, m));
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, 1 << 30, 100, m));
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, 1 << 30, PAGE, m + 1));
	/* overflow and range */
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, -PAGE, 2 * PAGE, m));
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, 1ULL << 48, PAGE, m));
	ASSERT_EQ(-EFAULT, __vm_set_region(vm, 1, 0, 1 << 30, PAGE,
					   (void *)0xffff880000000000ULL));
	ASSERT_EQ(-EINVAL, __vm_set_region(vm, 1, 0, 1 << 30, -PAGE, m));
	ASSERT_EQ(-EFAULT, __vm_set_region(vm, 1, 0, 1 << 30, 2 * PAGE,
					   (void *)-PAGE));
	/* overlap with slot 0 ([0, 1 MiB)) and a busy slot */
	ASSERT_EQ(-EEXIST, __vm_set_region(vm, 1, 0, 0xff000, 2 * PAGE, m));
	ASSERT_EQ(-EBUSY, __vm_set_region(vm, 0, 0, 1 << 30, PAGE, m));
	/* delete, then the range is free again */
	ASSERT_EQ(0, __vm_set_region(vm, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, __vm_set_region(vm, 1, 0, 0xff000, 2 * PAGE, m));
	/* deleting an empty slot is fine */
	ASSERT_EQ(0, __vm_set_region(vm, 5, 0, 0, 0, NULL));
}

TEST_F(api, every_slot_usable)
{
	int sys = sys_open();
	uint64_t max = sys_check_cap(sys, MVM_CAP_MAX_MEMORY_REGIONS);
	uint64_t s;

	close(sys);
	ASSERT_GE(max, 2);
	for (s = 1; s < max; s++)
		ASSERT_EQ(0, __vm_set_region(self->vm, s, 0, s << 30, PAGE,
					     self->vm->mem));
	ASSERT_EQ(-EINVAL, __vm_set_region(self->vm, max, 0, max << 30,
					   PAGE, self->vm->mem));
}

GUEST_CODE(touch64, 64, "movq $1, 0x40000000\n hlt\n");

/* Backing that cannot be used fails at first touch, not at setup. */
TEST_F(api, unusable_backing_memory_fault)
{
	struct test_vcpu *v;
	uint64_t *pd;
	void *hole;

	/* PROT_NONE: mapped, so nothing else lands there, but unusable. */
	hole = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, __vm_set_region(self->vm, 1, 0, 1 << 30, PAGE, hole));

	v = vcpu_add(self->vm, 0);
	guest_load(self->vm, touch64_start, touch64_end);
	vcpu_setup_long64(self->vm, v);
	/* Map 1 GiB..1 GiB+2 MiB too. */
	pd = (uint64_t *)(self->vm->mem + GUEST_PML4 + 0x1000);
	pd[1] = (GUEST_PML4 + 0x3000) | 3;
	((uint64_t *)(self->vm->mem + GUEST_PML4 + 0x3000))[0] =
		(1ULL << 30) | 0x83;
	ASSERT_EQ(-EFAULT, __vcpu_run(v));
	ASSERT_EQ(MVM_EXIT_MEMORY_FAULT, v->run->exit_reason);
	ASSERT_EQ(1ULL << 30, v->run->memory_fault.gpa);
	vcpu_free(v);
	munmap(hole, PAGE);
}

TEST_F(api, vcpu_validation)
{
	struct mvm_create_vcpu c = { .id = 64 };
	int sys = sys_open();
	uint64_t max = sys_check_cap(sys, MVM_CAP_MAX_VCPUS);
	struct test_vcpu *v;

	close(sys);
	c.id = max;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vm->fd, MVM_CREATE_VCPU, &c));
	c.id = 0xffffffff;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vm->fd, MVM_CREATE_VCPU, &c));
	c.id = 1;
	c.flags = 2;	/* 1 is MVM_VCPU_AP */
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vm->fd, MVM_CREATE_VCPU, &c));
	c.flags = 0;
	c.reserved[0] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->vm->fd, MVM_CREATE_VCPU, &c));
	v = vcpu_add(self->vm, 1);
	c.reserved[0] = 0;
	ASSERT_EQ(-EEXIST, __sys_ioctl(self->vm->fd, MVM_CREATE_VCPU, &c));
	vcpu_free(v);
	/* Freed ids can be used again. */
	v = vcpu_add(self->vm, 1);
	vcpu_free(v);
}

TEST_F(api, wrong_kind_of_fd_enotty)
{
	struct test_vcpu *v = vcpu_add(self->vm, 0);
	struct mvm_create_vcpu c = { 0 };
	struct mvm_check_cap cc = { 0 };
	struct mvm_memory_region r = { 0 };

	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->sys, MVM_CREATE_VCPU, &c));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->sys, MVM_RUN, NULL));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->vm->fd, MVM_CHECK_CAP, &cc));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->vm->fd, MVM_RUN, NULL));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(v->fd, MVM_SET_MEMORY_REGION, &r));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(v->fd, MVM_CREATE_VM, &c));
	vcpu_free(v);
}

TEST_F(api, regs_validation)
{
	struct test_vcpu *v = vcpu_add(self->vm, 0);
	struct mvm_sregs sr, good;
	struct mvm_regs regs;

	vcpu_regs_get(v, &regs);
	regs.flags = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_REGS, &regs));
	regs.flags = 0;
	regs.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_REGS, &regs));
	regs.reserved[1] = 0;
	regs.rflags = 0;		/* bit 1 must be set */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_REGS, &regs));
	regs.rflags = 2 | (1ULL << 40);
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_REGS, &regs));

	vcpu_sregs_get(v, &good);
	sr = good;
	sr.reserved[7] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.cs.type = 16;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.ss.present = 2;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.cr4 |= 1 << 13;		/* VMXE */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.efer = 1ULL << 20;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.cr0 = 0x80000000;		/* PG without PE */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	sr = good;
	sr.cr8 = 16;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_SREGS, &sr));
	ASSERT_EQ(0, __sys_ioctl(v->fd, MVM_SET_SREGS, &good));
	vcpu_free(v);
}

TEST_F(api, fpu_validation)
{
	struct test_vcpu *v = vcpu_add(self->vm, 0);
	int sys = sys_open();
	uint32_t size = sys_check_cap(sys, MVM_CAP_XSAVE_SIZE);
	struct mvm_fpu f = { 0 };
	uint8_t *area;

	close(sys);
	ASSERT_GE(size, 576);
	area = calloc(1, size);
	f.size = size;
	f.data = (uintptr_t)area;
	ASSERT_EQ(0, __sys_ioctl(v->fd, MVM_GET_FPU, &f));
	ASSERT_EQ(1, f.xcr0);
	ASSERT_EQ(0x1f80, *(uint32_t *)(area + 24));	/* MXCSR */
	ASSERT_EQ(0, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	f.size = size - 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	f.size = size;
	area[512] = 4;			/* XSTATE_BV beyond XCR0 */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	area[512] = 0;
	area[512 + 8] = 0x80;		/* XCOMP_BV: compacted */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	area[512 + 8] = 0;
	*(uint32_t *)(area + 24) = 0xffffffff;	/* reserved MXCSR bits */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	*(uint32_t *)(area + 24) = 0x1f80;
	f.xcr0 = 0;			/* x87 must stay on */
	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	f.xcr0 = 1;
	f.data = 8;
	ASSERT_EQ(-EFAULT, __sys_ioctl(v->fd, MVM_SET_FPU, &f));
	free(area);
	vcpu_free(v);
}

TEST_F(api, run_validation_and_immediate_exit)
{
	struct test_vcpu *v = vcpu_add(self->vm, 0);
	void *p;

	ASSERT_EQ(-EINVAL, __sys_ioctl(v->fd, MVM_RUN, (void *)1));
	v->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, __vcpu_run(v));
	ASSERT_EQ(MVM_EXIT_INTR, v->run->exit_reason);
	/* Only one page at offset 0 maps. */
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, v->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, v->fd, PAGE);
	ASSERT_EQ(MAP_FAILED, p);
	vcpu_free(v);
}

TEST_F(api, stats)
{
	struct test_vcpu *v = vcpu_add(self->vm, 0);
	struct mvm_vm_stats st;

	ASSERT_EQ(0, __sys_ioctl(self->vm->fd, MVM_GET_STATS, &st));
	ASSERT_EQ(1, st.nr_vcpus);
	ASSERT_GT(st.vcpu_kernel_bytes, 0);
	ASSERT_GT(st.kernel_bytes, st.vcpu_kernel_bytes);
	TH_LOG("kernel bytes: %llu for the VM with one vCPU, %llu per vCPU",
	       (unsigned long long)st.kernel_bytes,
	       (unsigned long long)st.vcpu_kernel_bytes);
	vcpu_free(v);
}

/* A VM belongs to the process that made it. */
TEST_F(api, other_process_eio)
{
	struct mvm_vm_stats st;
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(__sys_ioctl(self->vm->fd, MVM_GET_STATS, &st) == -EIO ?
		      0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(api, vms_per_process_limit)
{
	struct mvm_create_vm c = { 0 };
	int fds[80], n = 0, ret;

	/* The fixture holds one VM already; the default limit is 64. */
	for (;;) {
		ret = __sys_ioctl(self->sys, MVM_CREATE_VM, &c);
		if (ret < 0)
			break;
		ASSERT_LT(n, 80);
		fds[n++] = ret;
	}
	ASSERT_EQ(-EMFILE, ret);
	ASSERT_EQ(sys_check_cap(self->sys, MVM_CAP_MAX_VMS_PER_PROCESS),
		  (uint64_t)n + 1);
	while (n)
		close(fds[--n]);
	ret = __sys_ioctl(self->sys, MVM_CREATE_VM, &c);
	ASSERT_GE(ret, 0);
	close(ret);
}

TEST_HARNESS_MAIN
