// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel IOAPIC, MSIs, irqfds and ioeventfds: argument validation
 * of MVM_IRQ_LINE, MVM_SIGNAL_MSI, MVM_IRQFD and MVM_IOEVENTFD, and what
 * a 64-bit guest sees: an interrupt raised on an IOAPIC pin (edge and
 * level), through an irqfd and as an MSI reaches its IDT handler, and a
 * write to a registered address signals an eventfd without an exit.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

/* Ports the guests report on. */
#define REPORT_PORT	0x3f0	/* 32-bit OUT: a value read by the guest */
#define ISR_PORT	0x3f1	/* 32-bit OUT: the vector being handled */
#define DONE_PORT	0x3f2	/* 8-bit OUT: the guest is done */

#define VEC_EDGE	0x40	/* pin 5, edge */
#define VEC_MSI		0x41	/* MSI only */
#define VEC_LEVEL	0x42	/* pin 6, level */
#define PIN_EDGE	5
#define PIN_LEVEL	6

#define IOEV_MMIO	0xd0000050ULL	/* no RAM there */
#define IOEV_PORT	0x500

/* Give up on an interrupt that does not come after this long. */
#define IRQ_TIMEOUT_S	5

/*
 * The interrupt guest: enable the x2APIC, program IOAPIC pin 5 (vector
 * 0x40, edge) and pin 6 (0x42, level), both fixed delivery to APIC ID 0
 * unmasked; report the IOAPIC version register and pin 5's entry; then
 * wait for interrupts with IF set. Each handler reports its vector on
 * ISR_PORT, then EOIs and returns.
 */
GUEST_CODE(irqguest, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0xfec00000, %ebx\n"
	   "movl $0x1b, (%rbx)\n movl $0, 0x10(%rbx)\n"
	   "movl $0x1a, (%rbx)\n movl $0x40, 0x10(%rbx)\n"
	   "movl $0x1d, (%rbx)\n movl $0, 0x10(%rbx)\n"
	   "movl $0x1c, (%rbx)\n movl $0x8042, 0x10(%rbx)\n"
	   "mov $0x3f0, %dx\n"
	   "movl $0x01, (%rbx)\n mov 0x10(%rbx), %eax\n out %eax, %dx\n"
	   "movl $0x1a, (%rbx)\n mov 0x10(%rbx), %eax\n out %eax, %dx\n"
	   "sti\n"
	   "1: hlt\n jmp 1b\n"
	   ".globl irqguest_isr40, irqguest_isr41, irqguest_isr42\n"
	   "irqguest_isr40: push %rax\n mov $0x40, %eax\n jmp 2f\n"
	   "irqguest_isr41: push %rax\n mov $0x41, %eax\n jmp 2f\n"
	   "irqguest_isr42: push %rax\n mov $0x42, %eax\n jmp 2f\n"
	   "2: push %rcx\n push %rdx\n"
	   "mov $0x3f1, %dx\n out %eax, %dx\n"
	   "mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   "pop %rdx\n pop %rcx\n pop %rax\n iretq\n");
extern const uint8_t irqguest_isr40[], irqguest_isr41[], irqguest_isr42[];

/*
 * The ioeventfd guest, IF clear: a 4-byte store to IOEV_MMIO (taken by
 * an ioeventfd), a 1-byte store there (a width no ioeventfd has: an MMIO
 * exit), at IOEV_MMIO + 8 a store of 1 then of 0x1234 (datamatch 0x1234:
 * an exit, then taken), a 2-byte OUT to IOEV_PORT (taken); then done.
 */
GUEST_CODE(ioevguest, 64,
	   "mov $0xd0000050, %ebx\n"
	   "movl $0x1234, (%rbx)\n"
	   "mov $7, %cl\n mov %cl, (%rbx)\n"
	   "movl $1, 8(%rbx)\n"
	   "movl $0x1234, 8(%rbx)\n"
	   "mov $0x500, %dx\n mov $0xabcd, %ax\n out %ax, %dx\n"
	   "mov $0x3f2, %dx\n out %al, %dx\n"
	   "hlt\n");

FIXTURE(irq) {
	struct test_vm *vm;
	struct test_vcpu *vcpu;
};

FIXTURE_SETUP(irq)
{
	int sys;

	MVM_REQUIRE_VM();
	sys = sys_open();
	MVM_REQUIRE(sys_check_cap(sys, MVM_CAP_IRQCHIP) == MVM_IOAPIC_PINS,
		    "no in-kernel IOAPIC with %d pins (MVM_CAP_IRQCHIP)",
		    MVM_IOAPIC_PINS);
	close(sys);
	self->vm = vm_create(1 << 21);
	self->vcpu = vcpu_add(self->vm, 0);
}

FIXTURE_TEARDOWN(irq)
{
	if (self->vcpu)
		vcpu_free(self->vcpu);
	if (self->vm)
		vm_destroy(self->vm);
}

static long irq_line(struct test_vm *vm, uint32_t gsi, uint32_t level)
{
	struct mvm_irq_level l = { .gsi = gsi, .level = level };

	return __sys_ioctl(vm->fd, MVM_IRQ_LINE, &l);
}

static long signal_msi(struct test_vm *vm, uint64_t address, uint32_t data)
{
	struct mvm_msi m = { .address = address, .data = data };

	return __sys_ioctl(vm->fd, MVM_SIGNAL_MSI, &m);
}

static long irqfd(struct test_vm *vm, int fd, uint32_t gsi, uint32_t flags)
{
	struct mvm_irqfd f = { .fd = fd, .gsi = gsi, .flags = flags };

	return __sys_ioctl(vm->fd, MVM_IRQFD, &f);
}

static long ioeventfd(struct test_vm *vm, int fd, uint64_t addr,
		      uint32_t len, uint64_t datamatch, uint32_t flags)
{
	struct mvm_ioeventfd e = {
		.addr = addr, .datamatch = datamatch, .len = len, .fd = fd,
		.flags = flags,
	};

	return __sys_ioctl(vm->fd, MVM_IOEVENTFD, &e);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	MVM_TEST_ASSERT(fd >= 0, "eventfd");
	return fd;
}

/* The eventfd's count (reading resets it), or -errno (-EAGAIN: 0). */
static long long eventfd_count(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	return (long long)v;
}

static long long vm_kernel_bytes(struct test_vm *vm)
{
	struct mvm_vm_stats st;

	sys_ioctl(vm->fd, MVM_GET_STATS, &st);
	return (long long)st.kernel_bytes;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * RUN, interrupted by SIGALRM after IRQ_TIMEOUT_S: a guest in HLT whose
 * interrupt never comes makes RUN return -EINTR instead of hanging.
 */
static int run_bounded(struct test_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm(IRQ_TIMEOUT_S);
	ret = __vcpu_run(vcpu);
	alarm(0);
	return ret;
}

/* RUN until the guest's next OUT; check its port, size and value. */
static void expect_out(struct __test_metadata *_metadata,
		       struct test_vcpu *vcpu, uint16_t port,
		       unsigned int size, uint32_t value)
{
	struct mvm_run *run = vcpu->run;
	uint32_t got = 0;
	int ret = run_bounded(vcpu);

	ASSERT_EQ(0, ret) TH_LOG("RUN: %d (%s): no interrupt came?", ret,
				 exit_reason_str(run->exit_reason));
	ASSERT_EQ(MVM_EXIT_IO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	ASSERT_EQ(MVM_IO_OUT, run->io.direction);
	ASSERT_EQ(port, run->io.port)
		TH_LOG("port %#x (exception port is %#x)", run->io.port,
		       GUEST_EXC_PORT);
	ASSERT_EQ(size, run->io.size);
	ASSERT_EQ(1, run->io.count);
	memcpy(&got, (uint8_t *)run + run->io.data_offset, size);
	ASSERT_EQ(value, got);
}

static void set_gate(struct test_vm *vm, unsigned int vector,
		     const uint8_t *handler)
{
	uint64_t *idt = (uint64_t *)(vm->mem + GUEST_IDT);
	uint64_t off = GUEST_CODE_GPA + (uint64_t)(handler - irqguest_start);

	/* 64-bit interrupt gate, selector 0x18, present, DPL 0 (SDM Vol.
	 * 3A 7.14.1). */
	idt[vector * 2] = (off & 0xffff) | (0x18ULL << 16) |
			  (0x8eULL << 40) | ((off >> 16 & 0xffff) << 48);
	idt[vector * 2 + 1] = off >> 32;
}

/*
 * Load the interrupt guest and run it through its setup: it reports the
 * IOAPIC version (24 pins, version 0x20) and pin 5's entry as written
 * (vector 0x40, unmasked, idle), and then waits in HLT.
 */
static void irqguest_setup(struct __test_metadata *_metadata,
			   struct test_vm *vm, struct test_vcpu *vcpu)
{
	guest_load(vm, irqguest_start, irqguest_end);
	vcpu_setup_long64(vm, vcpu);
	vm_setup_idt64(vm);
	set_gate(vm, VEC_EDGE, irqguest_isr40);
	set_gate(vm, VEC_MSI, irqguest_isr41);
	set_gate(vm, VEC_LEVEL, irqguest_isr42);
	expect_out(_metadata, vcpu, REPORT_PORT, 4,
		   ((MVM_IOAPIC_PINS - 1) << 16) | 0x20);
	expect_out(_metadata, vcpu, REPORT_PORT, 4, VEC_EDGE);
}

/* ---- argument validation --------------------------------------------- */

TEST_F(irq, irq_line_validation)
{
	struct mvm_irq_level l = { .gsi = 0, .level = 1 };
	struct test_vm *vm = self->vm;

	ASSERT_EQ(-EINVAL, irq_line(vm, MVM_IOAPIC_PINS, 1));
	ASSERT_EQ(-EINVAL, irq_line(vm, 0xffffffff, 0));
	ASSERT_EQ(-EINVAL, irq_line(vm, 0, 2));
	l.flags = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQ_LINE, &l));
	l.flags = 0;
	l.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQ_LINE, &l));
	l.reserved0 = 0;
	l.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQ_LINE, &l));
	ASSERT_EQ(-EFAULT, __sys_ioctl(vm->fd, MVM_IRQ_LINE, NULL));
	/* Every pin can be driven, masked or not. */
	ASSERT_EQ(0, irq_line(vm, 0, 1));
	ASSERT_EQ(0, irq_line(vm, 0, 0));
	ASSERT_EQ(0, irq_line(vm, MVM_IOAPIC_PINS - 1, 1));
	ASSERT_EQ(0, irq_line(vm, MVM_IOAPIC_PINS - 1, 0));
}

TEST_F(irq, signal_msi_validation)
{
	struct mvm_msi m = { .address = 0xfee00000, .data = 0x41 };
	struct test_vm *vm = self->vm;

	/* Not the MSI window, including above 4 GiB. */
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfed00000, 0x41));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfef00000, 0x41));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0x1fee00000ULL, 0x41));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0, 0x41));
	/* Reserved address bits 11:4, data bits 31:16 and 13:11. */
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00010, 0x41));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00800, 0x41));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x10041));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x80000041));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x0841));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x2041));
	/* Reserved delivery modes 3 and 6. */
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x341));
	ASSERT_EQ(-EINVAL, signal_msi(vm, 0xfee00000, 0x641));
	m.flags = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_SIGNAL_MSI, &m));
	m.flags = 0;
	m.reserved[0] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_SIGNAL_MSI, &m));
	ASSERT_EQ(-EFAULT, __sys_ioctl(vm->fd, MVM_SIGNAL_MSI, NULL));
	/* Valid, but nobody is APIC ID 7, and vector 3 is illegal. */
	ASSERT_EQ(0, signal_msi(vm, 0xfee07000, 0x41));
	ASSERT_EQ(0, signal_msi(vm, 0xfee00000, 0x03));
	/* A level-triggered deassert message carries nothing. */
	ASSERT_EQ(0, signal_msi(vm, 0xfee00000, 0x8041));
}

TEST_F(irq, irqfd_validation)
{
	struct mvm_irqfd f = { 0 };
	struct test_vm *vm = self->vm;
	int efd = new_eventfd(), efd2 = new_eventfd(), dupfd;

	f.fd = efd;
	f.flags = 2;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQFD, &f));
	f.flags = 0;
	f.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQFD, &f));
	f.reserved0 = 0;
	f.reserved[0] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IRQFD, &f));
	ASSERT_EQ(-EFAULT, __sys_ioctl(vm->fd, MVM_IRQFD, NULL));
	ASSERT_EQ(-EINVAL, irqfd(vm, efd, MVM_IOAPIC_PINS, 0));
	ASSERT_EQ(-EINVAL, irqfd(vm, efd, MVM_IOAPIC_PINS,
				 MVM_IRQFD_DEASSIGN));
	/* Bad fds: negative, closed, not an eventfd. */
	ASSERT_EQ(-EBADF, irqfd(vm, -1, 0, 0));
	ASSERT_EQ(-EBADF, irqfd(vm, 1000000, 0, 0));
	ASSERT_EQ(-EINVAL, irqfd(vm, vm->fd, 0, 0));
	ASSERT_EQ(-EBADF, irqfd(vm, -1, 0, MVM_IRQFD_DEASSIGN));

	ASSERT_EQ(0, irqfd(vm, efd, 3, 0));
	ASSERT_EQ(-EEXIST, irqfd(vm, efd, 3, 0));
	/* The same eventfd on another pin, another eventfd on the pin. */
	ASSERT_EQ(0, irqfd(vm, efd, 4, 0));
	ASSERT_EQ(0, irqfd(vm, efd2, 3, 0));
	/* A dup of the fd is the same eventfd. */
	dupfd = dup(efd);
	ASSERT_GE(dupfd, 0);
	ASSERT_EQ(-EEXIST, irqfd(vm, dupfd, 3, 0));
	close(dupfd);
	ASSERT_EQ(0, irqfd(vm, efd, 3, MVM_IRQFD_DEASSIGN));
	ASSERT_EQ(-ENOENT, irqfd(vm, efd, 3, MVM_IRQFD_DEASSIGN));
	ASSERT_EQ(-ENOENT, irqfd(vm, efd, 5, MVM_IRQFD_DEASSIGN));
	/* Deassigned, it can be assigned again. */
	ASSERT_EQ(0, irqfd(vm, efd, 3, 0));
	/* A write pulses pins 3 and 4, both still masked: nothing to see,
	 * but the irqfds consumed the count. */
	ASSERT_EQ(8, write(efd, &(uint64_t){ 1 }, 8));
	ASSERT_EQ(-EAGAIN, eventfd_count(efd));
	close(efd);
	close(efd2);
}

TEST_F(irq, irqfd_limit)
{
	int sys = sys_open();
	uint64_t max = sys_check_cap(sys, MVM_CAP_MAX_IRQFDS);
	int fds[257];
	uint64_t i;

	close(sys);
	ASSERT_GT(max, 0);
	ASSERT_LT(max, 257);
	for (i = 0; i <= max; i++)
		fds[i] = new_eventfd();
	for (i = 0; i < max; i++)
		ASSERT_EQ(0, irqfd(self->vm, fds[i], 0, 0));
	ASSERT_EQ(-ENOSPC, irqfd(self->vm, fds[max], 0, 0));
	/* Room again after one is deassigned. */
	ASSERT_EQ(0, irqfd(self->vm, fds[0], 0, MVM_IRQFD_DEASSIGN));
	ASSERT_EQ(0, irqfd(self->vm, fds[max], 0, 0));
	/* ... or after its eventfd is closed (released asynchronously). */
	close(fds[1]);
	ASSERT_EQ(0, irqfd(self->vm, fds[0], 0, 0));
	for (i = 0; i <= max; i++)
		if (i != 1)
			close(fds[i]);
}

/* Closing an irqfd's eventfd releases it: the VM's bytes come back. */
TEST_F(irq, irqfd_close_releases)
{
	long long before = vm_kernel_bytes(self->vm);
	int efd = new_eventfd(), i;

	ASSERT_EQ(0, irqfd(self->vm, efd, 1, 0));
	ASSERT_GT(vm_kernel_bytes(self->vm), before);
	close(efd);
	for (i = 0; i < 200 && vm_kernel_bytes(self->vm) != before; i++)
		sleep_ms(10);
	ASSERT_EQ(before, vm_kernel_bytes(self->vm));
}

TEST_F(irq, ioeventfd_validation)
{
	struct mvm_ioeventfd e = { .addr = IOEV_MMIO, .len = 4 };
	struct test_vm *vm = self->vm;
	const uint32_t dm = MVM_IOEVENTFD_DATAMATCH;
	const uint32_t pio = MVM_IOEVENTFD_PIO;
	const uint32_t de = MVM_IOEVENTFD_DEASSIGN;
	int efd = new_eventfd(), efd2 = new_eventfd();
	const uint64_t a = IOEV_MMIO;

	e.fd = efd;
	e.flags = 1U << 3;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IOEVENTFD, &e));
	e.flags = 0;
	e.reserved0 = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IOEVENTFD, &e));
	e.reserved0 = 0;
	e.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, __sys_ioctl(vm->fd, MVM_IOEVENTFD, &e));
	ASSERT_EQ(-EFAULT, __sys_ioctl(vm->fd, MVM_IOEVENTFD, NULL));
	/* Lengths: 1, 2, 4, 8, and 8 not for ports. */
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 0, 0, 0));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 3, 0, 0));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 16, 0, 0));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, IOEV_PORT, 8, 0, pio));
	/* Ranges: 16-bit ports, 52-bit addresses, no wrap. */
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, 0xffff, 2, 0, pio));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, 0x10000, 1, 0, pio));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, -4ULL, 4, 0, 0));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, 1ULL << 52, 4, 0, 0));
	/* datamatch: fits in len bytes; 0 without the flag. */
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 1, 0x100, dm));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 2, 0x10000, dm));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 4, 0x100000000ULL, dm));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 4, 1, 0));
	/* fds: negative, closed, not an eventfd. */
	ASSERT_EQ(-EBADF, ioeventfd(vm, -1, a, 4, 0, 0));
	ASSERT_EQ(-EBADF, ioeventfd(vm, 1000000, a, 4, 0, 0));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, vm->fd, a, 4, 0, 0));

	ASSERT_EQ(0, ioeventfd(vm, efd, a, 4, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd, 0xfff8, 4, 0, pio));
	ASSERT_EQ(0, ioeventfd(vm, efd, 0xfffe, 2, 0, pio));
	ASSERT_EQ(0, ioeventfd(vm, efd, (1ULL << 52) - 8, 8, 0, 0));
	/* Duplicates and overlaps, even through another eventfd. */
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd, a, 4, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd2, a, 4, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd2, a + 2, 4, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd2, a - 4, 8, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd2, a + 3, 1, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd2, a, 4, 7, dm));
	/* Adjacent is fine; so is the same number in the other space. */
	ASSERT_EQ(0, ioeventfd(vm, efd2, a + 4, 4, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd2, a - 1, 1, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd2, 0x50, 4, 0, pio));
	ASSERT_EQ(0, ioeventfd(vm, efd2, 0x50, 4, 0, 0));
	/* One address and width, several values: each its own. */
	ASSERT_EQ(0, ioeventfd(vm, efd, a + 16, 2, 1, dm));
	ASSERT_EQ(0, ioeventfd(vm, efd2, a + 16, 2, 2, dm));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd, a + 16, 2, 2, dm));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd, a + 16, 2, 0, 0));
	ASSERT_EQ(-EEXIST, ioeventfd(vm, efd, a + 16, 4, 3, dm));

	/* Deassign: every field and the eventfd must match. */
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd2, a, 4, 0, de));
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd, a, 2, 0, de));
	ASSERT_EQ(0, ioeventfd(vm, efd, 0x60, 4, 0, pio));
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd, 0x60, 4, 0, de));
	ASSERT_EQ(0, ioeventfd(vm, efd, 0x60, 4, 0, de | pio));
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd, a, 4, 0, de | dm));
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd, a + 16, 2, 2, de | dm));
	ASSERT_EQ(-EBADF, ioeventfd(vm, -1, a, 4, 0, de));
	ASSERT_EQ(-EINVAL, ioeventfd(vm, efd, a, 3, 0, de));
	ASSERT_EQ(0, ioeventfd(vm, efd, a, 4, 0, de));
	ASSERT_EQ(-ENOENT, ioeventfd(vm, efd, a, 4, 0, de));
	ASSERT_EQ(0, ioeventfd(vm, efd2, a + 16, 2, 2, de | dm));
	/* Gone, the place is free again. */
	ASSERT_EQ(0, ioeventfd(vm, efd2, a, 4, 0, 0));
	close(efd);
	close(efd2);
}

TEST_F(irq, ioeventfd_limit)
{
	int sys = sys_open();
	uint64_t max = sys_check_cap(sys, MVM_CAP_MAX_IOEVENTFDS);
	int efd = new_eventfd();
	uint64_t i;

	close(sys);
	ASSERT_GT(max, 0);
	for (i = 0; i < max; i++)
		ASSERT_EQ(0, ioeventfd(self->vm, efd, IOEV_MMIO + 8 * i, 4,
				       0, 0));
	ASSERT_EQ(-ENOSPC, ioeventfd(self->vm, efd, IOEV_MMIO + 8 * max, 4,
				     0, 0));
	ASSERT_EQ(0, ioeventfd(self->vm, efd, IOEV_MMIO, 4, 0,
			       MVM_IOEVENTFD_DEASSIGN));
	ASSERT_EQ(0, ioeventfd(self->vm, efd, IOEV_MMIO + 8 * max, 4, 0, 0));
	close(efd);
}

/*
 * The VM dies with irqfds and ioeventfds registered and their eventfds
 * still open: everything is released, and later writes to the eventfds
 * reach nothing.
 */
TEST_F(irq, teardown_with_registrations)
{
	long long bytes0 = mvm_module_counter("kernel_bytes");
	struct test_vm *vm = vm_create(1 << 20);
	int efd = new_eventfd(), efd2 = new_eventfd(), i;

	ASSERT_EQ(0, irqfd(vm, efd, 0, 0));
	ASSERT_EQ(0, irqfd(vm, efd, 1, 0));
	ASSERT_EQ(0, irqfd(vm, efd2, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd, IOEV_MMIO, 4, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd2, IOEV_PORT, 2, 0,
			       MVM_IOEVENTFD_PIO));
	/* One of them is half gone: its eventfd closed first. */
	close(efd2);
	vm_destroy(vm);
	if (bytes0 >= 0) {
		for (i = 0; i < 200; i++) {
			if (mvm_module_counter("kernel_bytes") == bytes0)
				break;
			sleep_ms(10);
		}
		ASSERT_EQ(bytes0, mvm_module_counter("kernel_bytes"));
	}
	ASSERT_EQ(8, write(efd, &(uint64_t){ 1 }, 8));
	ASSERT_EQ(1, eventfd_count(efd));
	close(efd);
}

/* ---- what the guest sees ---------------------------------------------- */

/* IRQ_LINE on an edge pin: each rising edge is one interrupt. */
TEST_F(irq, irq_line_edge)
{
	struct test_vcpu *v = self->vcpu;

	irqguest_setup(_metadata, self->vm, v);
	ASSERT_EQ(0, irq_line(self->vm, PIN_EDGE, 1));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_EDGE);
	/* Staying high is no new edge; going low and high again is. */
	ASSERT_EQ(0, irq_line(self->vm, PIN_EDGE, 1));
	ASSERT_EQ(0, irq_line(self->vm, PIN_EDGE, 0));
	ASSERT_EQ(0, irq_line(self->vm, PIN_EDGE, 1));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_EDGE);
	/* The next interrupt is the MSI, not a third 0x40. */
	ASSERT_EQ(1, signal_msi(self->vm, 0xfee00000, VEC_MSI));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_MSI);
}

/*
 * IRQ_LINE on a level pin: delivered while high, again after each EOI
 * (Remote IRR), and no more once low.
 */
TEST_F(irq, irq_line_level)
{
	struct test_vcpu *v = self->vcpu;

	irqguest_setup(_metadata, self->vm, v);
	ASSERT_EQ(0, irq_line(self->vm, PIN_LEVEL, 1));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_LEVEL);
	/* Still high at the handler's EOI: delivered again. */
	expect_out(_metadata, v, ISR_PORT, 4, VEC_LEVEL);
	/* Low at the next EOI: the MSI is the next interrupt. */
	ASSERT_EQ(0, irq_line(self->vm, PIN_LEVEL, 0));
	ASSERT_EQ(1, signal_msi(self->vm, 0xfee00000, VEC_MSI));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_MSI);
}

TEST_F(irq, irqfd_delivers)
{
	struct test_vcpu *v = self->vcpu;
	int efd = new_eventfd();

	ASSERT_EQ(0, irqfd(self->vm, efd, PIN_EDGE, 0));
	irqguest_setup(_metadata, self->vm, v);
	ASSERT_EQ(8, write(efd, &(uint64_t){ 1 }, 8));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_EDGE);
	/* Each write is one edge. */
	ASSERT_EQ(8, write(efd, &(uint64_t){ 1 }, 8));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_EDGE);
	/* Deassigned, a write reaches nothing: the MSI comes next. */
	ASSERT_EQ(0, irqfd(self->vm, efd, PIN_EDGE, MVM_IRQFD_DEASSIGN));
	ASSERT_EQ(8, write(efd, &(uint64_t){ 1 }, 8));
	ASSERT_EQ(1, signal_msi(self->vm, 0xfee00000, VEC_MSI));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_MSI);
	ASSERT_EQ(1, eventfd_count(efd));
	close(efd);
}

TEST_F(irq, signal_msi_delivers)
{
	struct test_vcpu *v = self->vcpu;

	irqguest_setup(_metadata, self->vm, v);
	/* Physical destination APIC ID 0, fixed, edge. */
	ASSERT_EQ(1, signal_msi(self->vm, 0xfee00000, VEC_MSI));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_MSI);
	/* Broadcast destination. */
	ASSERT_EQ(1, signal_msi(self->vm, 0xfeeff000, VEC_MSI));
	expect_out(_metadata, v, ISR_PORT, 4, VEC_MSI);
}

TEST_F(irq, ioeventfd_guest_writes)
{
	struct mvm_run *run = self->vcpu->run;
	int efd_any = new_eventfd(), efd_dm = new_eventfd();
	int efd_pio = new_eventfd();
	struct mvm_vm_stats st;

	ASSERT_EQ(0, ioeventfd(self->vm, efd_any, IOEV_MMIO, 4, 0, 0));
	ASSERT_EQ(0, ioeventfd(self->vm, efd_dm, IOEV_MMIO + 8, 4, 0x1234,
			       MVM_IOEVENTFD_DATAMATCH));
	ASSERT_EQ(0, ioeventfd(self->vm, efd_pio, IOEV_PORT, 2, 0,
			       MVM_IOEVENTFD_PIO));
	guest_load(self->vm, ioevguest_start, ioevguest_end);
	vcpu_setup_long64(self->vm, self->vcpu);
	vm_setup_idt64(self->vm);

	/* The 4-byte store went to the eventfd; the 1-byte one exits. */
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	ASSERT_EQ(IOEV_MMIO, run->mmio.phys_addr);
	ASSERT_EQ(1, run->mmio.len);
	ASSERT_TRUE(run->mmio.is_write);
	ASSERT_EQ(7, run->mmio.data[0]);
	ASSERT_EQ(1, eventfd_count(efd_any));
	ASSERT_EQ(-EAGAIN, eventfd_count(efd_any));

	/* A value other than the datamatch exits... */
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(IOEV_MMIO + 8, run->mmio.phys_addr);
	ASSERT_EQ(4, run->mmio.len);
	ASSERT_EQ(1, run->mmio.data[0]);
	ASSERT_EQ(-EAGAIN, eventfd_count(efd_dm));

	/* ... the datamatch and the port write do not. */
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_IO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	ASSERT_EQ(DONE_PORT, run->io.port);
	ASSERT_EQ(1, eventfd_count(efd_dm));
	ASSERT_EQ(1, eventfd_count(efd_pio));
	ASSERT_EQ(-EAGAIN, eventfd_count(efd_any));

	sys_ioctl(self->vm->fd, MVM_GET_STATS, &st);
	ASSERT_EQ(3, st.exits[MVM_STAT_EXIT_IOEVENTFD]);

	close(efd_any);
	close(efd_dm);
	close(efd_pio);
}

TEST_HARNESS_MAIN
