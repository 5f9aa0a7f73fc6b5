// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in real mode, 32-bit protected mode and 64-bit mode: port I/O of
 * every size, string I/O, MMIO through mov and movzx, HLT, triple fault.
 * The same guest program is assembled for each mode.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

#define IO_PORT		0x3f0
#define MMIO_ADDR	0xc0001000

/*
 * out of 1, 2 and 4 bytes; in of 1, 2, 4 (results written back with
 * out); rep outsb of 4 bytes; a store and loads to MMIO; hlt.
 * Register use is width-neutral so the text assembles in every mode.
 */
#define IO_BODY								\
	"mov $0x3f0, %dx\n"						\
	"mov $0x11, %al\n out %al, %dx\n"				\
	"mov $0x2222, %ax\n out %ax, %dx\n"				\
	"mov $0x44444444, %eax\n out %eax, %dx\n"			\
	"in %dx, %al\n out %al, %dx\n"					\
	"in %dx, %ax\n out %ax, %dx\n"					\
	"in %dx, %eax\n out %eax, %dx\n"				\
	"hlt\n"

GUEST_CODE(io16, 16, IO_BODY);
GUEST_CODE(io32, 32, IO_BODY);
GUEST_CODE(io64, 64, IO_BODY);

/* Guest code is position-dependent only through its load address. */
GUEST_CODE(triple16, 16,
	   "lidt %cs:(idt16 - triple16_start)\n int3\n"
	   "idt16: .word 0\n .long 0\n");
GUEST_CODE(triple32, 32,
	   "lidt (0x10000 + idt32 - triple32_start)\n int3\n"
	   "idt32: .word 0\n .long 0\n");

/* Real mode: DS=0xc000 reaches 0xc0000 (no RAM there: MMIO). */
GUEST_CODE(mmio16, 16,
	   "mov $0xc000, %ax\n mov %ax, %ds\n"
	   "movw $0xbeef, (0x10)\n"
	   "movzbw (0x12), %si\n"
	   "hlt\n");

GUEST_CODE(outs16, 16,
	   "mov $0x3f0, %dx\n mov $0x2000, %ax\n mov %ax, %ds\n"
	   "xor %si, %si\n mov $4, %cx\n cld\n rep outsb\n hlt\n");

GUEST_CODE(ins64, 64,
	   "mov $0x3f0, %dx\n mov $0x20000, %rdi\n mov $2, %ecx\n"
	   "cld\n rep insw\n hlt\n");

GUEST_CODE(triple64, 64,
	   "lidt idt0(%rip)\n int3\n"
	   "idt0: .word 0\n .quad 0\n");

GUEST_CODE(mmio64, 64,
	   "mov $0xc0001000, %ebx\n"
	   "movl $0xdeadbeef, (%rbx)\n"	/* store imm32 */
	   "mov $0x1234, %cx\n mov %cx, 8(%rbx)\n"	/* store r16 */
	   "mov (%rbx), %eax\n"		/* load 32 */
	   "movzbl 4(%rbx), %esi\n"	/* movzx 8 -> 32 */
	   "movzwq 6(%rbx), %rdi\n"	/* movzx 16 -> 64 */
	   "hlt\n");

GUEST_CODE(mmio32, 32,
	   "mov $0xc0001000, %ebx\n"
	   "movl $0xdeadbeef, (%ebx)\n"
	   "mov (%ebx), %eax\n"
	   "movzbl 4(%ebx), %esi\n"
	   "hlt\n");

GUEST_CODE(outs32, 32,
	   "mov $0x3f0, %dx\n mov $0x20000, %esi\n mov $4, %ecx\n"
	   "cld\n rep outsb\n hlt\n");

FIXTURE(g) {
	struct test_vm *vm;
	struct test_vcpu *vcpu;
};

FIXTURE_SETUP(g)
{
	MVM_REQUIRE_VM();
	self->vm = vm_create(1 << 21);
	self->vcpu = vcpu_add(self->vm, 0);
}

FIXTURE_TEARDOWN(g)
{
	if (self->vcpu)
		vcpu_free(self->vcpu);
	if (self->vm)
		vm_destroy(self->vm);
}

static void expect_out(struct __test_metadata *_metadata,
		       struct test_vcpu *v, unsigned int size, uint32_t val)
{
	uint32_t got = 0;

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(v->run->exit_reason));
	ASSERT_EQ(MVM_IO_OUT, v->run->io.direction);
	ASSERT_EQ(size, v->run->io.size);
	ASSERT_EQ(IO_PORT, v->run->io.port);
	ASSERT_EQ(1, v->run->io.count);
	memcpy(&got, (uint8_t *)v->run + v->run->io.data_offset, size);
	ASSERT_EQ(val, got);
}

static void answer_in(struct __test_metadata *_metadata,
		      struct test_vcpu *v, unsigned int size, uint32_t val)
{
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
	ASSERT_EQ(MVM_IO_IN, v->run->io.direction);
	ASSERT_EQ(size, v->run->io.size);
	memcpy((uint8_t *)v->run + v->run->io.data_offset, &val, size);
}

static void run_io_program(struct __test_metadata *_metadata,
			   struct test_vcpu *v)
{
	expect_out(_metadata, v, 1, 0x11);
	expect_out(_metadata, v, 2, 0x2222);
	expect_out(_metadata, v, 4, 0x44444444);
	answer_in(_metadata, v, 1, 0xa5);
	expect_out(_metadata, v, 1, 0xa5);
	answer_in(_metadata, v, 2, 0xbeef);
	expect_out(_metadata, v, 2, 0xbeef);
	answer_in(_metadata, v, 4, 0xcafef00d);
	expect_out(_metadata, v, 4, 0xcafef00d);
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_HLT, v->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(v->run->exit_reason));
}

TEST_F(g, real_mode_io)
{
	guest_load(self->vm, io16_start, io16_end);
	vcpu_setup_real(self->vm, self->vcpu);
	run_io_program(_metadata, self->vcpu);
}

TEST_F(g, prot32_io)
{
	guest_load(self->vm, io32_start, io32_end);
	vcpu_setup_prot32(self->vm, self->vcpu);
	run_io_program(_metadata, self->vcpu);
}

TEST_F(g, long64_io)
{
	guest_load(self->vm, io64_start, io64_end);
	vcpu_setup_long64(self->vm, self->vcpu);
	run_io_program(_metadata, self->vcpu);
}

TEST_F(g, prot32_string_io)
{
	struct mvm_run *run = self->vcpu->run;
	struct mvm_regs regs;

	memcpy(self->vm->mem + GUEST_DATA, "mvm!", 4);
	guest_load(self->vm, outs32_start, outs32_end);
	vcpu_setup_prot32(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_IO, run->exit_reason);
	ASSERT_EQ(4, run->io.count);
	ASSERT_EQ(1, run->io.size);
	ASSERT_EQ(0, memcmp((uint8_t *)run + run->io.data_offset, "mvm!", 4));
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_HLT, run->exit_reason);
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(0, regs.rcx);
	ASSERT_EQ(GUEST_DATA + 4, regs.rsi);
}

TEST_F(g, real_mode_string_io)
{
	struct mvm_run *run = self->vcpu->run;

	memcpy(self->vm->mem + GUEST_DATA, "real", 4);
	guest_load(self->vm, outs16_start, outs16_end);
	vcpu_setup_real(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_IO, run->exit_reason);
	ASSERT_EQ(4, run->io.count);
	ASSERT_EQ(0, memcmp((uint8_t *)run + run->io.data_offset, "real", 4));
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_HLT, run->exit_reason);
}

/* INS: userspace's data lands in guest memory at ES:RDI. */
TEST_F(g, long64_string_in)
{
	struct mvm_run *run = self->vcpu->run;
	struct mvm_regs regs;

	guest_load(self->vm, ins64_start, ins64_end);
	vcpu_setup_long64(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_IO, run->exit_reason);
	ASSERT_EQ(MVM_IO_IN, run->io.direction);
	ASSERT_EQ(2, run->io.size);
	ASSERT_EQ(2, run->io.count);
	memcpy((uint8_t *)run + run->io.data_offset, "ab12", 4);
	/* A size rewritten in the shared page changes nothing. */
	run->io.size = 4;
	run->io.count = 1000;
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_HLT, run->exit_reason);
	ASSERT_EQ(0, memcmp(self->vm->mem + GUEST_DATA, "ab12", 4));
	ASSERT_EQ(0, self->vm->mem[GUEST_DATA + 4]);
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(GUEST_DATA + 4, regs.rdi);
	ASSERT_EQ(0, regs.rcx);
}

TEST_F(g, real_mode_mmio)
{
	struct mvm_run *run = self->vcpu->run;
	struct mvm_regs regs;
	uint16_t v;

	/* RAM below 512 KiB only, so 0xc0000 is not RAM. */
	ASSERT_EQ(0, __vm_set_region(self->vm, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, __vm_set_region(self->vm, 0, 0, 0, 0x80000,
				     self->vm->mem));
	guest_load(self->vm, mmio16_start, mmio16_end);
	vcpu_setup_real(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	ASSERT_EQ(0xc0010, run->mmio.phys_addr);
	ASSERT_EQ(2, run->mmio.len);
	ASSERT_TRUE(run->mmio.is_write);
	memcpy(&v, run->mmio.data, 2);
	ASSERT_EQ(0xbeef, v);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(0xc0012, run->mmio.phys_addr);
	ASSERT_EQ(1, run->mmio.len);
	ASSERT_FALSE(run->mmio.is_write);
	run->mmio.data[0] = 0x9c;
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_HLT, run->exit_reason);
	vcpu_regs_get(self->vcpu, &regs);
	ASSERT_EQ(0x9c, regs.rsi & 0xffff);
}

TEST_F(g, real_mode_triple_fault)
{
	guest_load(self->vm, triple16_start, triple16_end);
	vcpu_setup_real(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_SHUTDOWN, self->vcpu->run->exit_reason)
		TH_LOG("exit %s",
		       exit_reason_str(self->vcpu->run->exit_reason));
}

TEST_F(g, prot32_triple_fault)
{
	guest_load(self->vm, triple32_start, triple32_end);
	vcpu_setup_prot32(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_SHUTDOWN, self->vcpu->run->exit_reason)
		TH_LOG("exit %s",
		       exit_reason_str(self->vcpu->run->exit_reason));
}

static void run_mmio(struct __test_metadata *_metadata, struct test_vcpu *v,
		     bool long_mode)
{
	struct mvm_run *run = v->run;
	struct mvm_regs regs;
	uint32_t u32;
	uint16_t u16;

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	ASSERT_EQ(MMIO_ADDR, run->mmio.phys_addr);
	ASSERT_EQ(4, run->mmio.len);
	ASSERT_TRUE(run->mmio.is_write);
	memcpy(&u32, run->mmio.data, 4);
	ASSERT_EQ(0xdeadbeef, u32);

	if (long_mode) {
		vcpu_run(v);
		ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
		ASSERT_EQ(MMIO_ADDR + 8, run->mmio.phys_addr);
		ASSERT_EQ(2, run->mmio.len);
		memcpy(&u16, run->mmio.data, 2);
		ASSERT_EQ(0x1234, u16);
	}

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
	ASSERT_FALSE(run->mmio.is_write);
	ASSERT_EQ(4, run->mmio.len);
	u32 = 0x87654321;
	memcpy(run->mmio.data, &u32, 4);

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(MMIO_ADDR + 4, run->mmio.phys_addr);
	ASSERT_EQ(1, run->mmio.len);
	run->mmio.data[0] = 0xfe;

	if (long_mode) {
		vcpu_run(v);
		ASSERT_EQ(MVM_EXIT_MMIO, run->exit_reason);
		ASSERT_EQ(2, run->mmio.len);
		run->mmio.data[0] = 0x34;
		run->mmio.data[1] = 0x92;
	}

	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_HLT, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	vcpu_regs_get(v, &regs);
	ASSERT_EQ(0x87654321, regs.rax);
	ASSERT_EQ(0xfe, regs.rsi);
	if (long_mode)
		ASSERT_EQ(0x9234, regs.rdi);
}

TEST_F(g, long64_mmio)
{
	struct mvm_vm_stats st;

	guest_load(self->vm, mmio64_start, mmio64_end);
	vcpu_setup_long64(self->vm, self->vcpu);
	run_mmio(_metadata, self->vcpu, true);
	/* Two stores and three loads reached userspace as MMIO. */
	ASSERT_EQ(0, __sys_ioctl(self->vm->fd, MVM_GET_STATS, &st));
	ASSERT_EQ(5, st.exits[MVM_STAT_EXIT_MMIO]);
	ASSERT_GT(st.exits[MVM_STAT_EXIT_EPT_FAULT], 0);
}

TEST_F(g, prot32_mmio)
{
	guest_load(self->vm, mmio32_start, mmio32_end);
	vcpu_setup_prot32(self->vm, self->vcpu);
	run_mmio(_metadata, self->vcpu, false);
}

TEST_F(g, long64_triple_fault)
{
	guest_load(self->vm, triple64_start, triple64_end);
	vcpu_setup_long64(self->vm, self->vcpu);
	vcpu_run(self->vcpu);
	ASSERT_EQ(MVM_EXIT_SHUTDOWN, self->vcpu->run->exit_reason)
		TH_LOG("exit %s",
		       exit_reason_str(self->vcpu->run->exit_reason));
}

TEST_HARNESS_MAIN
