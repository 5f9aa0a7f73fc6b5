// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the VM runtime's parts that need no /dev/mvm: the
 * address buses, guest memory around the MMIO hole, the panic watcher,
 * console output and input with flow control, the end of a VM (first
 * outcome wins, a panic upgrades the reset), the log rate limit, and
 * mvm_vm_create()'s refusals.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm/vm_priv.h"

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

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

struct captured {
	int calls;
	int level;
	char msg[512];
};

static void capture(void *opaque, int level, const char *msg)
{
	struct captured *c = opaque;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

/* A VM with its state and logging but no device, vCPU or fd. */
static struct mvm_vm *fake_vm(struct captured *cap)
{
	struct mvm_vm *vm = calloc(1, sizeof(*vm));

	pthread_mutex_init(&vm->log_lock, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->join_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	atomic_init(&vm->ending, false);
	vm->log_fn = cap ? capture : NULL;
	vm->log_opaque = cap;
	vm->vm_fd = -1;
	vm->console.wake_fd = -1;
	vm->kick_signal = SIGUSR1;
	return vm;
}

static void fake_vm_free(struct mvm_vm *vm)
{
	vm_console_destroy(&vm->console);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->join_lock);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->log_lock);
	free(vm);
}

/* ---- buses ----------------------------------------------------------- */

static int dummy_read(void *dev, uint64_t off, uint8_t *d, unsigned int n)
{
	return 0;
}

static int dummy_write(void *dev, uint64_t off, const uint8_t *d,
		       unsigned int n)
{
	return 0;
}

static struct vm_range range(uint64_t base, uint64_t size, const char *name)
{
	struct vm_range r = {
		.base = base, .size = size, .read = dummy_read,
		.write = dummy_write, .name = name,
	};

	return r;
}

TEST(bus_add_find)
{
	struct vm_bus b = { .n = 0 };
	struct vm_range r;

	r = range(0x70, 2, "rtc");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	r = range(0x3f8, 8, "uart");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	r = range(0x60, 1, "kbd");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	r = range(0x64, 1, "kbd");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	ASSERT_EQ(4, b.n);

	ASSERT_STREQ("kbd", vm_bus_find(&b, 0x60)->name);
	ASSERT_EQ(NULL, vm_bus_find(&b, 0x61));
	ASSERT_EQ(NULL, vm_bus_find(&b, 0x63));
	ASSERT_STREQ("kbd", vm_bus_find(&b, 0x64)->name);
	ASSERT_STREQ("rtc", vm_bus_find(&b, 0x71)->name);
	ASSERT_EQ(NULL, vm_bus_find(&b, 0x72));
	ASSERT_STREQ("uart", vm_bus_find(&b, 0x3f8)->name);
	ASSERT_STREQ("uart", vm_bus_find(&b, 0x3ff)->name);
	ASSERT_EQ(NULL, vm_bus_find(&b, 0x400));
	ASSERT_EQ(NULL, vm_bus_find(&b, 0));
}

TEST(bus_refuses_overlap_and_wrap)
{
	struct vm_bus b = { .n = 0 };
	struct vm_range r;
	unsigned int i;

	r = range(0xd0000000, 0x200, "a");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	r = range(0xd00001ff, 1, "b");
	ASSERT_EQ(-EEXIST, vm_bus_add(&b, &r));
	r = range(0xcfffff00, 0x101, "c");
	ASSERT_EQ(-EEXIST, vm_bus_add(&b, &r));
	r = range(0xcfffff00, 0x100, "d");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	r = range(0, 0, "empty");
	ASSERT_EQ(-EINVAL, vm_bus_add(&b, &r));
	r = range(UINT64_MAX, 2, "wrap");
	ASSERT_EQ(-EINVAL, vm_bus_add(&b, &r));
	r = range(UINT64_MAX, 1, "last");
	ASSERT_EQ(0, vm_bus_add(&b, &r));
	ASSERT_STREQ("last", vm_bus_find(&b, UINT64_MAX)->name);
	for (i = b.n; i < VM_BUS_MAX; i++) {
		r = range(0x1000 * (i + 1), 0x10, "fill");
		ASSERT_EQ(0, vm_bus_add(&b, &r));
	}
	r = range(0x100, 1, "full");
	ASSERT_EQ(-ENOSPC, vm_bus_add(&b, &r));
	/* Still sorted: every range is found at its base. */
	for (i = 0; i < b.n; i++)
		ASSERT_EQ(&b.r[i], vm_bus_find(&b, b.r[i].base));
}

/* ---- guest memory -------------------------------------------------- */

TEST(memory_small)
{
	struct vm_memory m;
	int fds = count_fds();
	uint8_t v = 0;

	ASSERT_EQ(0, vm_memory_create(&m, 64 * MiB, NULL));
	ASSERT_EQ(64 * MiB, m.gmem.size);
	ASSERT_EQ(64 * MiB, m.low);
	ASSERT_EQ(0, (uintptr_t)m.gmem.base % (2 * MiB));
	m.gmem.base[64 * MiB - 1] = 0xa5;
	ASSERT_EQ(1, pread(m.memfd, &v, 1, 64 * MiB - 1));
	ASSERT_EQ(0xa5, v);
	vm_memory_destroy(&m);
	vm_memory_destroy(&m);
	ASSERT_EQ(fds, count_fds());
}

TEST(memory_above_the_hole)
{
	struct vm_memory m;
	uint8_t v = 0;

	ASSERT_EQ(4 * GiB + 4096, vm_mem_map_size(3 * GiB + 4096));
	ASSERT_EQ(3 * GiB, vm_mem_map_size(3 * GiB));
	ASSERT_EQ(0, vm_memory_create(&m, 3 * GiB + 512 * MiB, NULL));
	ASSERT_EQ(4 * GiB + 512 * MiB, m.gmem.size);
	ASSERT_EQ(3 * GiB, m.low);
	ASSERT_EQ(3 * GiB, mvm_boot_ram_end(m.gmem.size));
	/* 4 GiB in the guest is 3 GiB into the memfd. */
	m.gmem.base[4 * GiB] = 0x5a;
	ASSERT_EQ(1, pread(m.memfd, &v, 1, 3 * GiB));
	ASSERT_EQ(0x5a, v);
	m.gmem.base[3 * GiB - 1] = 0x11;
	ASSERT_EQ(1, pread(m.memfd, &v, 1, 3 * GiB - 1));
	ASSERT_EQ(0x11, v);
	/* The hole is harmless memory, not RAM. */
	m.gmem.base[3 * GiB + 4096] = 0x77;
	ASSERT_EQ(0x77, m.gmem.base[3 * GiB + 4096]);
	vm_memory_destroy(&m);
}

/* ---- panic watcher -------------------------------------------------- */

static int feed(struct vm_panic_scan *s, const char *text)
{
	int last = 0;

	while (*text) {
		int r = vm_panic_scan_feed(s, (uint8_t)*text++);

		if (r)
			last = r;
	}
	return last;
}

TEST(panic_banner_and_line)
{
	struct vm_panic_scan s = { 0 };

	ASSERT_EQ(0, feed(&s, "[    1.0] Run /init as init process\r\n"));
	ASSERT_FALSE(s.seen);
	ASSERT_EQ(1, feed(&s, "[    1.2] Kernel panic - not syncing"));
	ASSERT_TRUE(s.seen);
	ASSERT_EQ(2, feed(&s, ": VFS: Unable to mount root fs on unknown-block(0,0)\r\nCPU: 0 PID: 1\r\n"));
	ASSERT_STREQ("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
		     s.line);
	/* Later output changes nothing. */
	ASSERT_EQ(0, feed(&s, "Kernel panic - not syncing: again\n"));
	ASSERT_NE(NULL, strstr(s.line, "VFS"));
}

TEST(panic_near_misses)
{
	struct vm_panic_scan s = { 0 };

	ASSERT_EQ(0, feed(&s, "Kernel panic - not syncin\nKernel: panic\n"));
	ASSERT_FALSE(s.seen);
	/* A restart in the middle of a partial match. */
	ASSERT_EQ(1, feed(&s, "KerKernel panic - not syncing"));
	ASSERT_TRUE(s.seen);
}

TEST(panic_long_line_truncated)
{
	struct vm_panic_scan s = { 0 };
	char text[1000];

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	feed(&s, "Kernel panic - not syncing: ");
	feed(&s, text);
	ASSERT_EQ(2, feed(&s, "\n"));
	ASSERT_EQ(VM_PANIC_LINE_MAX - 1, strlen(s.line));
}

/* ---- the end of a VM ----------------------------------------------- */

TEST(end_first_outcome_wins)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_vm_exit e;

	vm->started = true;
	ASSERT_EQ(-ETIMEDOUT, mvm_vm_wait(vm, 0, &e));
	ASSERT_EQ(-ETIMEDOUT, mvm_vm_wait(vm, 20, &e));
	vm_end(vm, MVM_VM_POWEROFF, 0, "vCPU 0 halted");
	vm_end(vm, MVM_VM_TRIPLE_FAULT, 1, "too late");
	ASSERT_EQ(0, mvm_vm_stop(vm));
	ASSERT_TRUE(atomic_load(&vm->ending));
	ASSERT_EQ(0, mvm_vm_wait(vm, -1, &e));
	ASSERT_EQ(MVM_VM_POWEROFF, e.outcome);
	ASSERT_EQ(0, e.vcpu);
	ASSERT_STREQ("vCPU 0 halted", e.detail);
	ASSERT_EQ(0, mvm_vm_wait(vm, 0, &e));
	ASSERT_EQ(MVM_VM_POWEROFF, e.outcome);
	fake_vm_free(vm);
}

TEST(end_panic_upgrades_reset)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_vm_exit e;

	vm->started = true;
	vm_note_panic(vm, "Kernel panic - not syncing: Attempted to kill init!");
	vm_end(vm, MVM_VM_REBOOT, -1, "reset");
	ASSERT_EQ(0, mvm_vm_wait(vm, 1000, &e));
	ASSERT_EQ(MVM_VM_PANIC, e.outcome);
	ASSERT_EQ(-1, e.vcpu);
	ASSERT_STREQ("Kernel panic - not syncing: Attempted to kill init!",
		     e.detail);
	fake_vm_free(vm);
}

TEST(end_panic_does_not_hide_internal_error)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_vm_exit e;

	vm->started = true;
	vm_note_panic(vm, "Kernel panic - not syncing");
	vm_end(vm, MVM_VM_INTERNAL_ERROR, 2, "vCPU 2: bad");
	ASSERT_EQ(0, mvm_vm_wait(vm, 1000, &e));
	ASSERT_EQ(MVM_VM_INTERNAL_ERROR, e.outcome);
	fake_vm_free(vm);
}

TEST(wait_before_start)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_vm_exit e;

	ASSERT_EQ(-EINVAL, mvm_vm_wait(vm, 0, &e));
	ASSERT_EQ(-EINVAL, mvm_vm_wait(NULL, 0, &e));
	ASSERT_EQ(-EINVAL, mvm_vm_wait(vm, 0, NULL));
	/* Stopped before it started: ends at once, cannot start. */
	ASSERT_EQ(0, mvm_vm_stop(vm));
	ASSERT_EQ(-EALREADY, mvm_vm_start(vm));
	ASSERT_EQ(0, mvm_vm_wait(vm, 0, &e));
	ASSERT_EQ(MVM_VM_STOPPED, e.outcome);
	fake_vm_free(vm);
}

static void *park_thread(void *arg)
{
	vm_park(arg);
	return NULL;
}

TEST(park_until_end)
{
	struct mvm_vm *vm = fake_vm(NULL);
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, park_thread, vm));
	usleep(10000);
	vm_end(vm, MVM_VM_STOPPED, -1, "stop");
	ASSERT_EQ(0, pthread_join(t, NULL));
	fake_vm_free(vm);
}

TEST(log_rate_limit_and_last_error)
{
	struct captured cap = { 0 };
	struct mvm_vm *vm = fake_vm(&cap);
	char buf[64];
	int i;

	for (i = 0; i < 100; i++)
		vm_log_limited(vm, "port 0x%x", i);
	ASSERT_EQ(10, cap.calls);
	ASSERT_EQ(MVM_LOG_DEBUG, cap.level);
	ASSERT_EQ(0, mvm_vm_last_error(vm, buf, sizeof(buf)));
	ASSERT_STREQ("", buf);
	vm_log(vm, MVM_LOG_ERR, "something %s", "broke");
	ASSERT_EQ(15, mvm_vm_last_error(vm, buf, sizeof(buf)));
	ASSERT_STREQ("something broke", buf);
	ASSERT_EQ(15, mvm_vm_last_error(vm, buf, 4));
	ASSERT_STREQ("som", buf);
	ASSERT_EQ(-EINVAL, mvm_vm_last_error(vm, NULL, 4));
	fake_vm_free(vm);
}

/* ---- console -------------------------------------------------------- */

TEST(console_output_and_panic)
{
	struct mvm_vm *vm = fake_vm(NULL);
	const char *text = "hello\r\nKernel panic - not syncing: oops\r\n";
	char got[128] = "";
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, vm_console_init(&vm->console, vm, p[1], -1));
	vm_console_out(&vm->console, (const uint8_t *)text, strlen(text));
	ASSERT_EQ((ssize_t)strlen(text), read(p[0], got, sizeof(got) - 1));
	ASSERT_STREQ(text, got);
	ASSERT_TRUE(vm->panic_seen);
	ASSERT_STREQ("Kernel panic - not syncing: oops", vm->panic_line);
	close(p[0]);
	close(p[1]);
	fake_vm_free(vm);
}

TEST(console_nonblocking_full_drops)
{
	struct mvm_vm *vm = fake_vm(NULL);
	uint8_t buf[4096];
	int p[2], i;

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	ASSERT_EQ(0, vm_console_init(&vm->console, vm, p[1], -1));
	/* A pipe holds 64 KiB: the rest is dropped, nothing blocks. */
	for (i = 0; i < 32; i++)
		vm_console_out(&vm->console, buf, sizeof(buf));
	ASSERT_EQ(32 * 4096 - 65536, atomic_load(&vm->console.dropped));
	ASSERT_FALSE(vm->console.out_broken);
	close(p[0]);
	close(p[1]);
	fake_vm_free(vm);
}

TEST(console_broken_pipe)
{
	struct captured cap = { 0 };
	struct mvm_vm *vm = fake_vm(&cap);
	sigset_t pipe_set, old;
	int p[2];

	/* As in a VM thread, SIGPIPE is blocked: write() says EPIPE. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ASSERT_EQ(0, pipe(p));
	close(p[0]);
	ASSERT_EQ(0, vm_console_init(&vm->console, vm, p[1], -1));
	vm_console_out(&vm->console, (const uint8_t *)"ab", 2);
	vm_console_out(&vm->console, (const uint8_t *)"cd", 2);
	ASSERT_TRUE(vm->console.out_broken);
	ASSERT_EQ(4, atomic_load(&vm->console.dropped));
	ASSERT_EQ(1, cap.calls);
	ASSERT_NE(NULL, strstr(cap.msg, "dropping"));
	close(p[1]);
	fake_vm_free(vm);
	{
		struct timespec zero = { 0 };

		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Read what the UART received, as a guest would: LSR.DR, then RBR. */
static int guest_getc(struct mvm_vm *vm)
{
	uint8_t lsr = 0, c = 0;

	mvm_serial_pio_ops.read(vm->serial, 5, &lsr, 1);
	vm_console_uart_touched(&vm->console);
	if (!(lsr & 1))
		return -1;
	mvm_serial_pio_ops.read(vm->serial, 0, &c, 1);
	vm_console_uart_touched(&vm->console);
	return c;
}

TEST(console_input_flow_control)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_serial_config sc = { .irq = { .gsi = 4 } };
	char text[600], got[600];
	size_t n = 0;
	int p[2], tries = 0;
	unsigned int i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, mvm_serial_create(&sc, &vm->serial));
	ASSERT_EQ(0, vm_console_init(&vm->console, vm, -1, p[0]));
	vm->console.serial = vm->serial;
	ASSERT_EQ(0, vm_console_start(&vm->console));
	/* More than the input thread's buffer and the FIFO together. */
	ASSERT_EQ((ssize_t)sizeof(text), write(p[1], text, sizeof(text)));
	while (n < sizeof(text) && tries < 100000) {
		int c = guest_getc(vm);

		if (c < 0) {
			tries++;
			usleep(100);
			continue;
		}
		got[n++] = (char)c;
	}
	ASSERT_EQ(sizeof(text), n);
	ASSERT_EQ(0, memcmp(text, got, sizeof(text)));
	vm_end(vm, MVM_VM_STOPPED, -1, "done");
	vm_console_join(&vm->console);
	close(p[0]);
	close(p[1]);
	mvm_serial_destroy(vm->serial);
	fake_vm_free(vm);
}

TEST(console_input_eof_keeps_running)
{
	struct mvm_vm *vm = fake_vm(NULL);
	struct mvm_serial_config sc = { .irq = { .gsi = 4 } };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, mvm_serial_create(&sc, &vm->serial));
	ASSERT_EQ(0, vm_console_init(&vm->console, vm, -1, p[0]));
	vm->console.serial = vm->serial;
	ASSERT_EQ(0, vm_console_start(&vm->console));
	close(p[1]);
	usleep(20000);
	ASSERT_FALSE(atomic_load(&vm->ending));
	vm_end(vm, MVM_VM_STOPPED, -1, "done");
	vm_console_join(&vm->console);
	close(p[0]);
	mvm_serial_destroy(vm->serial);
	fake_vm_free(vm);
}

/* ---- mvm_vm_create() without a device --------------------------------- */

TEST(create_refusals_leave_nothing)
{
	struct captured cap = { 0 };
	struct mvm_vm_config c;
	struct mvm_vm *vm = (void *)1;
	int fds = count_fds();

	mvm_vm_config_init(&c);
	c.kernel = "/nonexistent/bzImage";
	ASSERT_EQ(-EINVAL, mvm_vm_create(NULL, &c, capture, &cap, &vm));
	ASSERT_EQ(NULL, vm);
	ASSERT_NE(NULL, strstr(cap.msg, "mvm_sys_open"));
	ASSERT_EQ(-EINVAL, mvm_vm_create(NULL, &c, NULL, NULL, NULL));
	ASSERT_EQ(fds, count_fds());
	mvm_vm_destroy(NULL);
	ASSERT_EQ(-EINVAL, mvm_vm_stop(NULL));
	ASSERT_EQ(-EINVAL, mvm_vm_start(NULL));
	ASSERT_EQ(-EINVAL, mvm_vm_get_stats(NULL, NULL));
}

TEST(names)
{
	ASSERT_STREQ("poweroff", mvm_vm_outcome_name(MVM_VM_POWEROFF));
	ASSERT_STREQ("reboot", mvm_vm_outcome_name(MVM_VM_REBOOT));
	ASSERT_STREQ("panic", mvm_vm_outcome_name(MVM_VM_PANIC));
	ASSERT_STREQ("triple-fault", mvm_vm_outcome_name(MVM_VM_TRIPLE_FAULT));
	ASSERT_STREQ("internal-error",
		     mvm_vm_outcome_name(MVM_VM_INTERNAL_ERROR));
	ASSERT_STREQ("stopped", mvm_vm_outcome_name(MVM_VM_STOPPED));
	ASSERT_STREQ("unknown", mvm_vm_outcome_name(99));
	ASSERT_STREQ("io", mvm_stat_exit_name(MVM_STAT_EXIT_IO));
	ASSERT_STREQ("mark", mvm_stat_exit_name(MVM_STAT_EXIT_MARK));
	ASSERT_STREQ("ept_fault", mvm_stat_exit_name(MVM_STAT_EXIT_EPT_FAULT));
	ASSERT_EQ(NULL, mvm_stat_exit_name(15));
	ASSERT_EQ(NULL, mvm_stat_exit_name(MVM_STAT_EXIT_NR));
}

TEST(host_cpuid_feeds_the_builder)
{
	struct mvm_cpuid_entry host[VM_CPUID_MAX], out[VM_CPUID_MAX];
	struct mvm_cpuid_config cc = { .tsc_khz = 2000000, .nr_vcpus = 4,
				       .vcpu_id = 3 };
	unsigned int n = vm_host_cpuid(host, VM_CPUID_MAX), nout, i;
	bool has_b = false;

	ASSERT_LT(2, n);
	ASSERT_EQ(0, host[0].function);
	ASSERT_EQ(0, mvm_cpuid_build(host, n, &cc, out, VM_CPUID_MAX, &nout));
	for (i = 0; i < nout; i++)
		if (out[i].function == 0xb && out[i].index == 0)
			has_b = out[i].edx == 3;
	ASSERT_TRUE(has_b);
}

TEST_HARNESS_MAIN
