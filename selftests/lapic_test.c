// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel x2APIC seen from a guest: the TSC-deadline and periodic
 * timers waking HLT, task priority holding an interrupt back, EOI, INIT
 * and STARTUP of an application processor, the boot-milestone port, the
 * VM's TSC offset, and #GP for register values the APIC refuses.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

#define PORT_IRQ	0x10	/* handler: OUT of the vector */
#define PORT_STEP	0x11	/* guest progress marks */
#define PORT_TSC	0x14

/* Point IDT vector @vec at guest-physical @gpa (64-bit interrupt gate). */
static void idt_set(struct test_vm *vm, unsigned int vec, uint64_t gpa)
{
	uint64_t *idt = (uint64_t *)(vm->mem + GUEST_IDT);

	idt[vec * 2] = (gpa & 0xffff) | (0x18ULL << 16) | (0x8eULL << 40) |
		       ((gpa >> 16 & 0xffff) << 48);
	idt[vec * 2 + 1] = gpa >> 32;
}

#define GUEST_SYM(name, sym) \
	(GUEST_CODE_GPA + (uint64_t)(sym - name##_start))

/* Enable the APIC (SVR), arm the TSC deadline 5M ticks ahead on vector
 * 0x30, and halt with interrupts on. The handler reports its vector,
 * EOIs and halts with interrupts off. */
GUEST_CODE(deadline, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0x832, %ecx\n mov $0x40030, %eax\n wrmsr\n"
	   "rdtsc\n add $5000000, %eax\n adc $0, %edx\n"
	   "mov $0x6e0, %ecx\n wrmsr\n"
	   "sti\n"
	   "1: hlt\n jmp 1b\n"
	   ".globl deadline_isr\n deadline_isr:\n"
	   "mov $0x30, %al\n out %al, $0x10\n"
	   "mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   "cli\n hlt\n");
extern const uint8_t deadline_isr[];

static void get_stats(struct test_vm *vm, struct mvm_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ioctl(vm->fd, MVM_GET_STATS, st))
		abort();
}

TEST(tsc_deadline_wakes_hlt)
{
	struct test_vm *vm;
	struct test_vcpu *v;
	struct mvm_vm_stats st;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, deadline_start, deadline_end);
	vcpu_setup_long64(vm, v);
	vm_setup_idt64(vm);
	idt_set(vm, 0x30, GUEST_SYM(deadline, deadline_isr));

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(v->run->exit_reason));
	ASSERT_EQ(PORT_IRQ, v->run->io.port);
	ASSERT_EQ(0x30, *((uint8_t *)v->run + v->run->io.data_offset));
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_HLT, v->run->exit_reason);

	get_stats(vm, &st);
	EXPECT_EQ(1, st.irqs_injected);
	EXPECT_GE(st.halts, 1);
	EXPECT_GE(st.exits[MVM_STAT_EXIT_APIC], 4);
	vcpu_free(v);
	vm_destroy(vm);
}

/* Periodic timer, divide by 1, 2000 ticks (2 ms): three interrupts. */
GUEST_CODE(periodic, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0x83e, %ecx\n mov $0xb, %eax\n wrmsr\n"
	   "mov $0x832, %ecx\n mov $0x20031, %eax\n wrmsr\n"
	   "mov $0x838, %ecx\n mov $2000, %eax\n wrmsr\n"
	   "sti\n"
	   "1: hlt\n jmp 1b\n"
	   ".globl periodic_isr\n periodic_isr:\n"
	   "push %rax\n push %rcx\n push %rdx\n"
	   "mov $0x31, %al\n out %al, $0x10\n"
	   "mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   "pop %rdx\n pop %rcx\n pop %rax\n iretq\n");
extern const uint8_t periodic_isr[];

TEST(periodic_timer)
{
	struct test_vm *vm;
	struct test_vcpu *v;
	int i;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, periodic_start, periodic_end);
	vcpu_setup_long64(vm, v);
	vm_setup_idt64(vm);
	idt_set(vm, 0x31, GUEST_SYM(periodic, periodic_isr));
	for (i = 0; i < 3; i++) {
		vcpu_run(v);
		ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
		ASSERT_EQ(PORT_IRQ, v->run->io.port);
	}
	vcpu_free(v);
	vm_destroy(vm);
}

/*
 * A self IPI on vector 0x40 while TPR is 0x50 waits; lowering TPR
 * delivers it. Port 0x11 marks each step so the order is visible.
 */
GUEST_CODE(tpr, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0x808, %ecx\n mov $0x50, %eax\n wrmsr\n"
	   "sti\n"
	   "mov $0x83f, %ecx\n mov $0x40, %eax\n wrmsr\n"
	   "mov $1, %al\n out %al, $0x11\n"
	   "mov $0x808, %ecx\n xor %eax, %eax\n wrmsr\n"
	   "nop\n"
	   "mov $2, %al\n out %al, $0x11\n"
	   "cli\n hlt\n"
	   ".globl tpr_isr\n tpr_isr:\n"
	   "mov $0x40, %al\n out %al, $0x10\n"
	   "mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   "iretq\n");
extern const uint8_t tpr_isr[];

TEST(tpr_holds_interrupt)
{
	static const uint16_t ports[] = { PORT_STEP, PORT_IRQ, PORT_STEP };
	struct test_vm *vm;
	struct test_vcpu *v;
	unsigned int i;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, tpr_start, tpr_end);
	vcpu_setup_long64(vm, v);
	vm_setup_idt64(vm);
	idt_set(vm, 0x40, GUEST_SYM(tpr, tpr_isr));
	for (i = 0; i < 3; i++) {
		vcpu_run(v);
		ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
		ASSERT_EQ(ports[i], v->run->io.port) TH_LOG("step %u", i);
	}
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_HLT, v->run->exit_reason);
	vcpu_free(v);
	vm_destroy(vm);
}

/* The BSP starts vCPU 1 with INIT and STARTUP (vector 9: 0x9000). */
GUEST_CODE(bsp, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0x830, %ecx\n mov $1, %edx\n mov $0xc500, %eax\n wrmsr\n"
	   "mov $0x8500, %eax\n wrmsr\n"
	   "mov $0x0609, %eax\n wrmsr\n"
	   "mov $0x12, %al\n out %al, $0x12\n"
	   "cli\n hlt\n");

/* Real-mode code of the AP at 0x9000: report CS, then halt. */
static const uint8_t ap_code[] = {
	0x8c, 0xc8,		/* mov %cs, %ax */
	0xe7, 0x13,		/* out %ax, $0x13 */
	0xfa, 0xf4,		/* cli; hlt */
};

struct ap_result {
	struct test_vcpu *v;
	int ret;
	uint32_t reason;
	uint16_t port, cs;
};

static void *ap_thread(void *arg)
{
	struct ap_result *r = arg;

	r->ret = __vcpu_run(r->v);
	r->reason = r->v->run->exit_reason;
	r->port = r->v->run->io.port;
	memcpy(&r->cs, (uint8_t *)r->v->run + r->v->run->io.data_offset, 2);
	return NULL;
}

static struct test_vcpu *vcpu_add_ap(struct test_vm *vm, uint32_t id)
{
	struct mvm_create_vcpu c = { .id = id, .flags = MVM_VCPU_AP };
	struct test_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		abort();
	v->fd = ioctl(vm->fd, MVM_CREATE_VCPU, &c);
	if (v->fd < 0)
		abort();
	v->id = id;
	v->run = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		abort();
	return v;
}

TEST(init_sipi_starts_ap)
{
	struct ap_result r = { 0 };
	struct test_vm *vm;
	struct test_vcpu *bsp;
	pthread_t t;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	bsp = vcpu_add(vm, 0);
	r.v = vcpu_add_ap(vm, 1);
	memcpy(vm->mem + 0x9000, ap_code, sizeof(ap_code));
	guest_load(vm, bsp_start, bsp_end);
	vcpu_setup_long64(vm, bsp);
	ASSERT_EQ(0, pthread_create(&t, NULL, ap_thread, &r));

	vcpu_run(bsp);
	ASSERT_EQ(MVM_EXIT_IO, bsp->run->exit_reason);
	ASSERT_EQ(0x12, bsp->run->io.port);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, r.ret) TH_LOG("AP RUN: %s", strerror(-r.ret));
	ASSERT_EQ(MVM_EXIT_IO, r.reason);
	ASSERT_EQ(0x13, r.port);
	EXPECT_EQ(0x900, r.cs);
	vcpu_free(r.v);
	vcpu_free(bsp);
	vm_destroy(vm);
}

/*
 * An AP that halted with interrupts off exits (MVM_EXIT_HLT); RUN again
 * parks it in the kernel until INIT, and a new INIT-STARTUP (vector 10:
 * 0xa000) starts it afresh.
 */
GUEST_CODE(bsp_twice, 64,
	   "mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   "mov $0x830, %ecx\n mov $1, %edx\n mov $0xc500, %eax\n wrmsr\n"
	   "mov $0x0609, %eax\n wrmsr\n mov $0x0609, %eax\n wrmsr\n"
	   "mov $0x12, %al\n out %al, $0x12\n"
	   "mov $0xc500, %eax\n wrmsr\n"
	   "mov $0x060a, %eax\n wrmsr\n mov $0x060a, %eax\n wrmsr\n"
	   "mov $0x16, %al\n out %al, $0x16\n"
	   "cli\n hlt\n");

static const uint8_t ap_code2[] = {
	0xb0, 0x77,		/* mov $0x77, %al */
	0xe6, 0x15,		/* out %al, $0x15 */
	0xfa, 0xf4,		/* cli; hlt */
};

struct parked_ap {
	struct test_vcpu *v;
	volatile int halted;	/* its second RUN returned */
	int ret[3];
	uint32_t reason[3];
	uint16_t port[3];
};

static void *parked_thread(void *arg)
{
	struct parked_ap *p = arg;
	int i;

	for (i = 0; i < 3; i++) {
		p->ret[i] = __vcpu_run(p->v);
		p->reason[i] = p->v->run->exit_reason;
		p->port[i] = p->v->run->io.port;
		if (i == 1)
			__atomic_store_n(&p->halted, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

TEST(halted_ap_restarts_on_init)
{
	struct parked_ap p = { 0 };
	struct test_vm *vm;
	struct test_vcpu *bsp;
	pthread_t t;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	bsp = vcpu_add(vm, 0);
	p.v = vcpu_add_ap(vm, 1);
	memcpy(vm->mem + 0x9000, ap_code, sizeof(ap_code));
	memcpy(vm->mem + 0xa000, ap_code2, sizeof(ap_code2));
	guest_load(vm, bsp_twice_start, bsp_twice_end);
	vcpu_setup_long64(vm, bsp);
	ASSERT_EQ(0, pthread_create(&t, NULL, parked_thread, &p));

	vcpu_run(bsp);
	ASSERT_EQ(0x12, bsp->run->io.port);
	/* The second INIT must find the AP halted, not still waiting for
	 * its first STARTUP (an INIT then would mean nothing). */
	while (!__atomic_load_n(&p.halted, __ATOMIC_ACQUIRE))
		usleep(1000);
	vcpu_run(bsp);
	ASSERT_EQ(0x16, bsp->run->io.port);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, p.ret[0]);
	ASSERT_EQ(0x13, p.port[0]);
	ASSERT_EQ(0, p.ret[1]);
	ASSERT_EQ(MVM_EXIT_HLT, p.reason[1]);
	ASSERT_EQ(0, p.ret[2]);
	ASSERT_EQ(MVM_EXIT_IO, p.reason[2]);
	ASSERT_EQ(0x15, p.port[2]);
	vcpu_free(p.v);
	vcpu_free(bsp);
	vm_destroy(vm);
}

/* An AP waiting for its STARTUP IPI still honours immediate_exit. */
TEST(ap_wait_is_interruptible)
{
	struct test_vm *vm;
	struct test_vcpu *ap;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	ap = vcpu_add_ap(vm, 1);
	ap->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, __vcpu_run(ap));
	ASSERT_EQ(MVM_EXIT_INTR, ap->run->exit_reason);
	vcpu_free(ap);
	vm_destroy(vm);
}

/* Boot milestones never exit; the last one is in the statistics. */
GUEST_CODE(mark, 64,
	   "mov $0x440, %dx\n"
	   "mov $0x1234, %eax\n out %eax, %dx\n"
	   "mov $0x5678, %eax\n out %eax, %dx\n"
	   "mov $-1, %eax\n in %dx, %eax\n out %eax, $0x11\n"
	   "cli\n hlt\n");

TEST(guest_mark_port)
{
	struct test_vm *vm;
	struct test_vcpu *v;
	struct mvm_vm_stats st;
	uint32_t in;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, mark_start, mark_end);
	vcpu_setup_long64(vm, v);
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
	ASSERT_EQ(PORT_STEP, v->run->io.port);
	memcpy(&in, (uint8_t *)v->run + v->run->io.data_offset, 4);
	EXPECT_EQ(0, in);
	get_stats(vm, &st);
	EXPECT_EQ(2, st.marks);
	EXPECT_EQ(0x5678, st.last_mark);
	EXPECT_NE(0, st.last_mark_ns);
	EXPECT_NE(0, st.last_mark_host_tsc);
	EXPECT_EQ(3, st.exits[MVM_STAT_EXIT_MARK]);
	vcpu_free(v);
	vm_destroy(vm);
}

/* The guest reads the TSC that MVM_SET_TSC set, on every vCPU. */
GUEST_CODE(tsc, 64,
	   "rdtsc\n out %eax, $0x14\n mov %edx, %eax\n out %eax, $0x14\n"
	   "cli\n hlt\n");

TEST(tsc_offset)
{
	struct mvm_tsc t = { 0 };
	struct test_vm *vm;
	struct test_vcpu *v;
	uint32_t lo, hi;
	uint64_t seen;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	ASSERT_EQ(0, ioctl(vm->fd, MVM_GET_TSC, &t));
	EXPECT_LT(t.guest_tsc, t.host_tsc);	/* started at 0 */
	t.guest_tsc = 1ULL << 40;
	ASSERT_EQ(0, ioctl(vm->fd, MVM_SET_TSC, &t));
	t.flags = 1;
	ASSERT_EQ(-1, ioctl(vm->fd, MVM_SET_TSC, &t));
	ASSERT_EQ(EINVAL, errno);

	v = vcpu_add(vm, 0);
	guest_load(vm, tsc_start, tsc_end);
	vcpu_setup_long64(vm, v);
	vcpu_run(v);
	ASSERT_EQ(PORT_TSC, v->run->io.port);
	memcpy(&lo, (uint8_t *)v->run + v->run->io.data_offset, 4);
	vcpu_run(v);
	memcpy(&hi, (uint8_t *)v->run + v->run->io.data_offset, 4);
	seen = (uint64_t)hi << 32 | lo;
	EXPECT_GE(seen, 1ULL << 40);
	EXPECT_LT(seen, (1ULL << 40) + (1ULL << 39));
	vcpu_free(v);
	vm_destroy(vm);
}

/* Values the x2APIC refuses raise #GP (vector 13 on GUEST_EXC_PORT). */
GUEST_CODE(bad_eoi, 64,
	   "mov $0x80b, %ecx\n mov $1, %eax\n xor %edx, %edx\n wrmsr\n"
	   "cli\n hlt\n");
GUEST_CODE(xapic_mode, 64,
	   "mov $0x1b, %ecx\n mov $0xfee00900, %eax\n xor %edx, %edx\n wrmsr\n"
	   "cli\n hlt\n");
GUEST_CODE(read_eoi, 64,
	   "mov $0x80b, %ecx\n rdmsr\n cli\n hlt\n");

static void expect_gp(struct __test_metadata *_metadata,
		      const uint8_t *start, const uint8_t *end)
{
	struct test_vm *vm = vm_create(1 << 21);
	struct test_vcpu *v = vcpu_add(vm, 0);

	guest_load(vm, start, end);
	vcpu_setup_long64(vm, v);
	vm_setup_idt64(vm);
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
	ASSERT_EQ(GUEST_EXC_PORT, v->run->io.port);
	ASSERT_EQ(13, *((uint8_t *)v->run + v->run->io.data_offset));
	vcpu_free(v);
	vm_destroy(vm);
}

TEST(refused_values_gp)
{
	MVM_REQUIRE_VM();
	expect_gp(_metadata, bad_eoi_start, bad_eoi_end);
	expect_gp(_metadata, xapic_mode_start, xapic_mode_end);
	expect_gp(_metadata, read_eoi_start, read_eoi_end);
}

/* MVM_CREATE_VCPU refuses unknown flags. */
TEST(create_vcpu_flags)
{
	struct mvm_create_vcpu c = { .id = 0, .flags = 2 };
	struct test_vm *vm;

	MVM_REQUIRE_VM();
	vm = vm_create(1 << 21);
	ASSERT_EQ(-1, ioctl(vm->fd, MVM_CREATE_VCPU, &c));
	ASSERT_EQ(EINVAL, errno);
	vm_destroy(vm);
}

TEST_HARNESS_MAIN
