// SPDX-License-Identifier: Apache-2.0
/*
 * The whole life of a VM (create, start, exits, end, wait, destroy)
 * against a fake /dev/mvm: this program defines ioctl() itself and plays
 * mvm.ko's part of the ABI for the fds it hands out, with scripted
 * MVM_RUN exits. It checks what libmvm does with each exit (port and
 * MMIO buses, console output, poweroff, reboot, panic, triple fault,
 * internal errors), stopping and destroying a running VM, and that no
 * fd, thread or mapping is left behind on any path, errors included.
 *
 * Only the ABI as written in linux/mvm.h is played; the selftests in the
 * test hosts run the real module.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm/vm_priv.h"

#define MiB	(1ULL << 20)

/* ---- the fake module ---------------------------------------------------- */

enum step_kind {
	S_END = 0,	/* wait for a kick, like a vCPU that never exits */
	S_OUT,		/* OUT of @data (count items of @size) at @port */
	S_IN,		/* IN at @port; the next RUN checks the data */
	S_MMIO_READ,	/* read @len at @addr; the next RUN checks it */
	S_MMIO_WRITE,
	S_HLT,		/* HLT, interrupts per @data[0] */
	S_SHUTDOWN,
	S_INTERNAL,
	S_FAIL_ENTRY,
	S_MEMORY_FAULT,
};

struct step {
	enum step_kind kind;
	uint16_t port;
	uint8_t size;
	uint32_t count;
	uint64_t addr;
	uint32_t len;
	const char *data;
	uint64_t want;		/* what an IN or MMIO read must have got */
};

#define MAX_VCPUS	4

static struct fake {
	dev_t dev;
	ino_t ino;
	int vm_fd;
	struct {
		int fd;
		struct mvm_run *run;
		const struct step *script;
		unsigned int next;
		bool cpuid_ok;
		bool boot_set;
		uint32_t flags;
	} vcpu[MAX_VCPUS];
	unsigned int nr_vcpus;
	const struct step *scripts[MAX_VCPUS];
	unsigned int regions;
	unsigned int irq_calls;
	unsigned int checks_failed;
	char check_msg[256];
	uint64_t caps[16];
	int fail_create_vcpu;	/* id whose MVM_CREATE_VCPU fails, or -1 */
} fk;

static int (*real_ioctl)(int, unsigned long, ...);

static void fake_reset(void)
{
	unsigned int i;

	memset(&fk, 0, sizeof(fk));
	fk.vm_fd = -1;
	for (i = 0; i < MAX_VCPUS; i++)
		fk.vcpu[i].fd = -1;
	fk.caps[MVM_CAP_VM] = 1;
	fk.caps[MVM_CAP_RUN_SIZE] = 4096;
	fk.caps[MVM_CAP_MAX_MEMORY_REGIONS] = 8;
	fk.caps[MVM_CAP_MAX_VCPUS] = MAX_VCPUS;
	fk.caps[MVM_CAP_MAX_CPUID_ENTRIES] = 256;
	fk.caps[MVM_CAP_IRQCHIP] = MVM_IOAPIC_PINS;
	fk.caps[MVM_CAP_TSC_KHZ] = 2000000;
	fk.fail_create_vcpu = -1;
}

static void fail_check(const char *msg)
{
	fk.checks_failed++;
	snprintf(fk.check_msg, sizeof(fk.check_msg), "%s", msg);
}

static bool is_sys_fd(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_dev == fk.dev && st.st_ino == fk.ino;
}

static int vcpu_of(int fd)
{
	unsigned int i;

	for (i = 0; i < fk.nr_vcpus; i++)
		if (fk.vcpu[i].fd == fd)
			return (int)i;
	return -1;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int sys_ioctl(unsigned long req, void *arg)
{
	struct mvm_check_cap *cc = arg;

	switch (req) {
	case MVM_GET_API_VERSION:
		return MVM_API_VERSION;
	case MVM_CHECK_CAP:
		cc->value = cc->cap < 16 ? fk.caps[cc->cap] : 0;
		return 0;
	case MVM_CREATE_VM:
		fk.vm_fd = memfd_create("fake-vm", MFD_CLOEXEC);
		return fk.vm_fd;
	}
	return fail(ENOTTY);
}

static int vm_ioctl(unsigned long req, void *arg)
{
	struct mvm_create_vcpu *cv = arg;
	struct mvm_irq_level *irq = arg;
	struct mvm_vm_stats *st = arg;
	struct mvm_memory_region *mr = arg;
	int fd;

	switch (req) {
	case MVM_SET_MEMORY_REGION:
		if (mr->slot != fk.regions || mr->userspace_addr % 4096 ||
		    mr->size % 4096 || mr->flags)
			fail_check("bad memory region");
		fk.regions++;
		return 0;
	case MVM_CREATE_VCPU:
		if (cv->id >= MAX_VCPUS || cv->id != fk.nr_vcpus)
			return fail(EINVAL);
		if ((int)cv->id == fk.fail_create_vcpu)
			return fail(ENOMEM);
		if (cv->flags != (cv->id ? MVM_VCPU_AP : 0))
			fail_check("vCPU created with the wrong flags");
		fd = memfd_create("fake-vcpu", MFD_CLOEXEC);
		if (ftruncate(fd, 4096))
			abort();
		fk.vcpu[cv->id].fd = fd;
		fk.vcpu[cv->id].flags = cv->flags;
		fk.vcpu[cv->id].run = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fd, 0);
		fk.vcpu[cv->id].script = fk.scripts[cv->id];
		fk.nr_vcpus++;
		return fd;
	case MVM_IRQ_LINE:
		if (irq->gsi >= MVM_IOAPIC_PINS || irq->level > 1)
			fail_check("bad MVM_IRQ_LINE");
		__atomic_fetch_add(&fk.irq_calls, 1, __ATOMIC_RELAXED);
		return 0;
	case MVM_GET_STATS:
		memset(st, 0, sizeof(*st));
		st->nr_vcpus = fk.nr_vcpus;
		st->exits[MVM_STAT_EXIT_IO] = 7;
		st->marks = 1;
		st->last_mark = 42;
		st->last_mark_ns = vm_now_ns();
		return 0;
	}
	return fail(ENOTTY);
}

/* Park in "the guest" until kicked, as the kernel does. */
static int run_wait(struct mvm_run *run)
{
	struct timespec ms = { .tv_nsec = 1000000 };

	for (;;) {
		if (__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST))
			break;
		if (nanosleep(&ms, NULL) && errno == EINTR)
			break;
	}
	run->exit_reason = MVM_EXIT_INTR;
	return fail(EINTR);
}

/* Check what userspace did with the previous step. */
static void run_check_previous(unsigned int id)
{
	const struct step *s;
	struct mvm_run *run = fk.vcpu[id].run;
	uint64_t got = 0;

	if (!fk.vcpu[id].next)
		return;
	s = &fk.vcpu[id].script[fk.vcpu[id].next - 1];
	if (s->kind == S_IN) {
		memcpy(&got, (uint8_t *)run + run->io.data_offset, s->size);
		if (got != s->want)
			fail_check("IN did not get what the device has");
	} else if (s->kind == S_MMIO_READ) {
		memcpy(&got, run->mmio.data, s->len);
		if (got != s->want)
			fail_check("MMIO read did not get what the device has");
	}
}

static int vcpu_run(unsigned int id)
{
	struct mvm_run *run = fk.vcpu[id].run;
	const struct step *s;

	run_check_previous(id);
	if (run->immediate_exit) {
		run->exit_reason = MVM_EXIT_INTR;
		return fail(EINTR);
	}
	if (!fk.vcpu[id].script)
		return run_wait(run);
	s = &fk.vcpu[id].script[fk.vcpu[id].next];
	if (s->kind == S_END)
		return run_wait(run);
	fk.vcpu[id].next++;
	memset((uint8_t *)run + 8, 0, 4096 - 8);
	switch (s->kind) {
	case S_OUT:
	case S_IN:
		run->exit_reason = MVM_EXIT_IO;
		run->io.direction = s->kind == S_OUT ? MVM_IO_OUT : MVM_IO_IN;
		run->io.size = s->size;
		run->io.port = s->port;
		run->io.count = s->count ? s->count : 1;
		run->io.data_offset = 512;
		if (s->data)
			memcpy((uint8_t *)run + 512, s->data,
			       run->io.count * s->size);
		return 0;
	case S_MMIO_READ:
	case S_MMIO_WRITE:
		run->exit_reason = MVM_EXIT_MMIO;
		run->mmio.phys_addr = s->addr;
		run->mmio.len = s->len;
		run->mmio.is_write = s->kind == S_MMIO_WRITE;
		if (s->data)
			memcpy(run->mmio.data, s->data, s->len);
		return 0;
	case S_HLT:
		run->exit_reason = MVM_EXIT_HLT;
		run->hlt.interrupts_enabled = s->data && s->data[0];
		return 0;
	case S_SHUTDOWN:
		run->exit_reason = MVM_EXIT_SHUTDOWN;
		return 0;
	case S_INTERNAL:
		run->exit_reason = MVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = MVM_INTERNAL_DECODE;
		run->internal.ndata = 1;
		run->internal.data[0] = 0x1234;
		run->internal.insn_len = 2;
		run->internal.insn[0] = 0x0f;
		run->internal.insn[1] = 0x0b;
		return 0;
	case S_FAIL_ENTRY:
		run->exit_reason = MVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = 0x80000021;
		run->fail_entry.cpu = 3;
		return 0;
	case S_MEMORY_FAULT:
		run->exit_reason = MVM_EXIT_MEMORY_FAULT;
		run->memory_fault.gpa = 0x2000000;
		run->memory_fault.size = 4096;
		run->memory_fault.error = -ENOMEM;
		return fail(EFAULT);
	case S_END:
		break;
	}
	return fail(EINVAL);
}

static int vcpu_ioctl(unsigned int id, unsigned long req, void *arg)
{
	struct mvm_cpuid *ct = arg;
	struct mvm_sregs *sregs = arg;
	struct mvm_regs *regs = arg;
	unsigned int i;

	switch (req) {
	case MVM_SET_CPUID: {
		const struct mvm_cpuid_entry *e =
			(const void *)(uintptr_t)ct->entries;

		for (i = 0; i < ct->nent; i++)
			if (e[i].function == 0xb && e[i].index == 0 &&
			    e[i].edx == id)
				fk.vcpu[id].cpuid_ok = true;
		return 0;
	}
	case MVM_GET_SREGS:
		memset(sregs, 0, sizeof(*sregs));
		sregs->apic_base = 0xfee00c00 | (id ? 0 : 0x100);
		return 0;
	case MVM_SET_SREGS:
		if (id || !(sregs->efer & 0x400) ||
		    sregs->apic_base != 0xfee00d00)
			fail_check("bad SET_SREGS");
		return 0;
	case MVM_SET_REGS:
		if (id || regs->rip != 16 * MiB + 0x200 ||
		    regs->rsi != MVM_BOOT_ZERO_PAGE)
			fail_check("bad SET_REGS");
		fk.vcpu[id].boot_set = true;
		return 0;
	case MVM_GET_REGS:
		memset(regs, 0, sizeof(*regs));
		regs->rip = 0xffffffff81000000ULL;
		return 0;
	case MVM_RUN:
		return vcpu_run(id);
	}
	return fail(ENOTTY);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int id;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fk.ino && fd >= 0 && fd == fk.vm_fd)
		return vm_ioctl(req, arg);
	id = fk.ino ? vcpu_of(fd) : -1;
	if (id >= 0)
		return vcpu_ioctl((unsigned int)id, req, arg);
	if (fk.ino && is_sys_fd(fd))
		return sys_ioctl(req, arg);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
								    "ioctl");
	return real_ioctl(fd, req, arg);
}

/* ---- the tests ---------------------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Mappings of guest RAM still present. */
static int count_guest_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (fgets(line, sizeof(line), f))
		if (strstr(line, "mvm-guest-ram"))
			n++;
	fclose(f);
	return n;
}

struct captured {
	pthread_mutex_t lock;
	int errors;
	char last[512];
};

static void capture(void *opaque, int level, const char *msg)
{
	struct captured *c = opaque;

	pthread_mutex_lock(&c->lock);
	if (level <= MVM_LOG_ERR) {
		c->errors++;
		snprintf(c->last, sizeof(c->last), "%s", msg);
	}
	pthread_mutex_unlock(&c->lock);
}

/* A bzImage header (boot.rst, protocol 2.15), 16 MiB, 8 MiB to unpack. */
static void write_bzimage(const char *path)
{
	uint8_t img[4096] = { 0 };
	FILE *f;

	img[MVM_HDR_SETUP_SECTS] = 1;
	mvm_put_le32(img + MVM_HDR_SYSSIZE, 3072 / 16);
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, MVM_HDR_BOOT_FLAG_MAGIC);
	img[MVM_HDR_JUMP] = 0xeb;
	img[MVM_HDR_JUMP + 1] = 0x66;
	mvm_put_le32(img + MVM_HDR_HEADER, MVM_HDR_MAGIC);
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020f);
	mvm_put_le32(img + MVM_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 2 * MiB);
	img[MVM_HDR_RELOCATABLE] = 1;
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, MVM_XLF_KERNEL_64);
	mvm_put_le32(img + MVM_HDR_CMDLINE_SIZE, 2047);
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, 16 * MiB);
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, 8 * MiB);
	f = fopen(path, "wb");
	if (!f || fwrite(img, 1, sizeof(img), f) != sizeof(img) || fclose(f))
		abort();
}

FIXTURE(life) {
	char dir[64];
	char dev[96];
	char kernel[96];
	char disk[96];
	struct mvm_vm_config c;
	struct mvm_vm_disk d;
	struct captured cap;
	struct mvm_sys *sys;
	struct mvm_vm *vm;
	int out[2];
	int fds, threads;
};

FIXTURE_SETUP(life)
{
	struct stat st;
	FILE *f;

	fake_reset();
	snprintf(self->dir, sizeof(self->dir), "/tmp/vm_life_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->dev, sizeof(self->dev), "%s/mvm", self->dir);
	snprintf(self->kernel, sizeof(self->kernel), "%s/bzImage", self->dir);
	snprintf(self->disk, sizeof(self->disk), "%s/disk.img", self->dir);
	write_bzimage(self->kernel);
	f = fopen(self->disk, "wb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, ftruncate(fileno(f), 1 * MiB));
	fclose(f);
	f = fopen(self->dev, "wb");
	fclose(f);
	ASSERT_EQ(0, stat(self->dev, &st));

	self->fds = count_fds();
	self->threads = count_threads();
	fk.dev = st.st_dev;
	fk.ino = st.st_ino;
	pthread_mutex_init(&self->cap.lock, NULL);
	ASSERT_EQ(0, pipe2(self->out, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, mvm_sys_open(self->dev, NULL, NULL, &self->sys));
	mvm_vm_config_init(&self->c);
	self->c.kernel = self->kernel;
	self->c.mem_bytes = 64 * MiB;
	self->c.nr_vcpus = 2;
	memset(&self->d, 0, sizeof(self->d));
	self->d.path = self->disk;
	self->c.disks = &self->d;
	self->c.nr_disks = 1;
	self->c.console_out_fd = self->out[1];
	self->vm = NULL;
}

FIXTURE_TEARDOWN(life)
{
	char cmd[128];

	mvm_vm_destroy(self->vm);
	mvm_sys_close(self->sys);
	close(self->out[0]);
	close(self->out[1]);
	/* Nothing of the VM survives it. */
	EXPECT_EQ(self->fds, count_fds());
	EXPECT_EQ(self->threads, count_threads());
	EXPECT_EQ(0, count_guest_maps());
	EXPECT_EQ(0, fk.checks_failed) TH_LOG("%s", fk.check_msg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
	fk.ino = 0;
}

static const char hello[] = "Hi\n";

/* 8-bit characters on the UART (it starts with 5-bit ones, as Linux's
 * 8250 driver knows and changes). */
#define UART_8N1							\
	{ .kind = S_OUT, .port = 0x3fb, .size = 1, .data = "\3" }

/* What every script starts with: console output, an unclaimed port, the
 * first virtio device's magic, an unclaimed MMIO write. */
#define COMMON_STEPS							\
	UART_8N1,							\
	{ .kind = S_OUT, .port = 0x3f8, .size = 1, .count = 3,		\
	  .data = hello },						\
	{ .kind = S_IN, .port = 0x1234, .size = 2, .want = 0xffff },	\
	{ .kind = S_IN, .port = 0x61, .size = 1, .want = 0xff },	\
	{ .kind = S_MMIO_READ, .addr = 0xd0000000, .len = 4,		\
	  .want = 0x74726976 },						\
	{ .kind = S_MMIO_READ, .addr = 0xd0100000, .len = 8,		\
	  .want = UINT64_MAX },						\
	{ .kind = S_MMIO_WRITE, .addr = 0xd0100000, .len = 4,		\
	  .data = "abcd" },						\
	{ .kind = S_HLT, .data = "\1" }

static struct mvm_vm_exit run_to_end(struct __test_metadata *_metadata,
				     FIXTURE_DATA(life) *self)
{
	struct mvm_vm_exit e;

	memset(&e, 0, sizeof(e));
	EXPECT_EQ(0, mvm_vm_create(self->sys, &self->c, capture, &self->cap,
				   &self->vm)) TH_LOG("%s", self->cap.last);
	if (!self->vm)
		return e;
	EXPECT_TRUE(fk.vcpu[0].cpuid_ok);
	EXPECT_TRUE(fk.vcpu[1].cpuid_ok);
	EXPECT_TRUE(fk.vcpu[0].boot_set);
	EXPECT_EQ(1, fk.regions);
	EXPECT_EQ(0, mvm_vm_start(self->vm));
	EXPECT_EQ(-EALREADY, mvm_vm_start(self->vm));
	EXPECT_EQ(0, mvm_vm_wait(self->vm, 10000, &e));
	return e;
}

static void expect_console(struct __test_metadata *_metadata, int fd,
			   const char *want)
{
	char got[256] = "";
	ssize_t n = read(fd, got, sizeof(got) - 1);

	ASSERT_LT(0, n);
	ASSERT_STREQ(want, got);
}

TEST_F(life, poweroff)
{
	static const struct step bsp[] = {
		COMMON_STEPS,
		{ .kind = S_HLT, .data = "\0" },
	};
	struct mvm_vm_usage u;
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_POWEROFF, e.outcome) TH_LOG("%s", e.detail);
	ASSERT_EQ(0, e.vcpu);
	expect_console(_metadata, self->out[0], hello);
	ASSERT_EQ(0, mvm_vm_get_stats(self->vm, &u));
	ASSERT_EQ(7, u.kernel.exits[MVM_STAT_EXIT_IO]);
	ASSERT_EQ(2, u.kernel.nr_vcpus);
	ASSERT_LT(0, u.vmm_rss_bytes);
	ASSERT_EQ(64 * MiB, u.guest_mem_bytes);
	ASSERT_LT(0, u.mark_after_create_ns);
	ASSERT_EQ(0, self->cap.errors) TH_LOG("%s", self->cap.last);
}

TEST_F(life, reboot_through_i8042)
{
	static const struct step bsp[] = {
		COMMON_STEPS,
		{ .kind = S_OUT, .port = 0x64, .size = 1, .data = "\xfe" },
		{ .kind = S_END },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_REBOOT, e.outcome) TH_LOG("%s", e.detail);
	ASSERT_EQ(-1, e.vcpu);
}

TEST_F(life, panic_then_reset)
{
	static const char banner[] =
		"Kernel panic - not syncing: Attempted to kill init!\r\n";
	static const struct step bsp[] = {
		UART_8N1,
		{ .kind = S_OUT, .port = 0x3f8, .size = 1,
		  .count = sizeof(banner) - 1, .data = banner },
		{ .kind = S_OUT, .port = 0x64, .size = 1, .data = "\xfe" },
		{ .kind = S_END },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_PANIC, e.outcome) TH_LOG("%s", e.detail);
	ASSERT_STREQ("Kernel panic - not syncing: Attempted to kill init!",
		     e.detail);
	expect_console(_metadata, self->out[0], banner);
}

TEST_F(life, triple_fault)
{
	static const struct step bsp[] = {
		{ .kind = S_SHUTDOWN },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_TRIPLE_FAULT, e.outcome);
	ASSERT_EQ(0, e.vcpu);
	ASSERT_NE(NULL, strstr(e.detail, "0xffffffff81000000"));
}

TEST_F(life, internal_error_on_an_ap)
{
	static const struct step ap[] = {
		{ .kind = S_INTERNAL },
	};
	struct mvm_vm_exit e;
	char buf[256];

	fk.scripts[1] = ap;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_INTERNAL_ERROR, e.outcome);
	ASSERT_EQ(1, e.vcpu);
	ASSERT_NE(NULL, strstr(e.detail, "instruction not emulated"))
		TH_LOG("%s", e.detail);
	ASSERT_NE(NULL, strstr(e.detail, "0x1234"));
	ASSERT_NE(NULL, strstr(e.detail, "[0f 0b]"));
	ASSERT_LT(0, mvm_vm_last_error(self->vm, buf, sizeof(buf)));
	ASSERT_STREQ(e.detail, buf);
}

TEST_F(life, fail_entry)
{
	static const struct step bsp[] = {
		{ .kind = S_FAIL_ENTRY },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_INTERNAL_ERROR, e.outcome);
	ASSERT_NE(NULL, strstr(e.detail, "0x80000021"));
}

TEST_F(life, memory_fault_names_memlock)
{
	static const struct step bsp[] = {
		{ .kind = S_MEMORY_FAULT },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_INTERNAL_ERROR, e.outcome);
	ASSERT_NE(NULL, strstr(e.detail, "0x2000000"));
	ASSERT_NE(NULL, strstr(e.detail, "RLIMIT_MEMLOCK"));
}

TEST_F(life, halted_ap_parks_until_poweroff)
{
	static const struct step ap[] = {
		{ .kind = S_HLT, .data = "\0" },
	};
	static const struct step bsp[] = {
		COMMON_STEPS,
		{ .kind = S_HLT, .data = "\0" },
	};
	struct mvm_vm_exit e;

	fk.scripts[0] = bsp;
	fk.scripts[1] = ap;
	e = run_to_end(_metadata, self);
	ASSERT_EQ(MVM_VM_POWEROFF, e.outcome);
}

TEST_F(life, stop_while_running)
{
	struct mvm_vm_exit e;

	ASSERT_EQ(0, mvm_vm_create(self->sys, &self->c, capture, &self->cap,
				   &self->vm));
	ASSERT_EQ(0, mvm_vm_start(self->vm));
	ASSERT_EQ(-ETIMEDOUT, mvm_vm_wait(self->vm, 50, &e));
	ASSERT_EQ(0, mvm_vm_stop(self->vm));
	ASSERT_EQ(0, mvm_vm_stop(self->vm));
	ASSERT_EQ(0, mvm_vm_wait(self->vm, 5000, &e));
	ASSERT_EQ(MVM_VM_STOPPED, e.outcome);
}

TEST_F(life, destroy_while_running)
{
	int p[2];

	/* With console input: its thread must go too. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->c.console_in_fd = p[0];
	ASSERT_EQ(0, mvm_vm_create(self->sys, &self->c, capture, &self->cap,
				   &self->vm));
	ASSERT_EQ(0, mvm_vm_start(self->vm));
	usleep(20000);
	mvm_vm_destroy(self->vm);
	self->vm = NULL;
	close(p[0]);
	close(p[1]);
}

TEST_F(life, destroy_without_start)
{
	ASSERT_EQ(0, mvm_vm_create(self->sys, &self->c, capture, &self->cap,
				   &self->vm));
}

TEST_F(life, vcpu_creation_fails_cleanly)
{
	fk.fail_create_vcpu = 1;
	ASSERT_EQ(-ENOMEM, mvm_vm_create(self->sys, &self->c, capture,
					 &self->cap, &self->vm));
	ASSERT_EQ(NULL, self->vm);
	ASSERT_NE(NULL, strstr(self->cap.last, "MVM_CREATE_VCPU 1"));
}

TEST_F(life, no_irqchip)
{
	fk.caps[MVM_CAP_IRQCHIP] = 0;
	ASSERT_EQ(-ENOTSUP, mvm_vm_create(self->sys, &self->c, capture,
					  &self->cap, &self->vm));
	ASSERT_NE(NULL, strstr(self->cap.last, "IOAPIC"));
}

TEST_F(life, more_vcpus_than_the_module)
{
	self->c.nr_vcpus = MAX_VCPUS + 1;
	ASSERT_EQ(-EINVAL, mvm_vm_create(self->sys, &self->c, capture,
					 &self->cap, &self->vm));
	ASSERT_NE(NULL, strstr(self->cap.last, "at most 4"));
}

TEST_F(life, bad_input_before_the_device)
{
	self->c.mem_bytes = 0;
	ASSERT_EQ(-EINVAL, mvm_vm_create(self->sys, &self->c, capture,
					 &self->cap, &self->vm));
	ASSERT_EQ(-1, fk.vm_fd);
}

TEST_HARNESS_MAIN
