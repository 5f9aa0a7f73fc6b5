// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: a VM fd closed under a running vCPU, a process killed in
 * RUN, a thousand VMs made and destroyed. Afterwards the module's own
 * counters of kernel bytes and pinned pages are back where they started.
 */
#include <errno.h>
#include <sched.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"

/* Touch 16 pages, then spin. */
GUEST_CODE(spin64, 64,
	   "mov $0x100000, %rbx\n mov $16, %ecx\n"
	   "1: movq $1, (%rbx)\n add $4096, %rbx\n loop 1b\n"
	   "2: jmp 2b\n");

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Module counters drop once the last fd's release has run. */
static bool counters_settle(long long bytes, long long pages)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (mvm_module_counter("kernel_bytes") == bytes &&
		    mvm_module_counter("pinned_pages") == pages)
			return true;
		sleep_ms(10);
	}
	return false;
}

struct runner {
	struct test_vcpu *vcpu;
	int ret;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->ret = __vcpu_run(r->vcpu);
	return NULL;
}

FIXTURE(life) {
	long long bytes0, pages0;
};

FIXTURE_SETUP(life)
{
	MVM_REQUIRE_VM();
	MVM_REQUIRE(mvm_module_counter("kernel_bytes") >= 0,
		    "no /sys/module/mvm/parameters/kernel_bytes");
	self->bytes0 = mvm_module_counter("kernel_bytes");
	self->pages0 = mvm_module_counter("pinned_pages");
}

FIXTURE_TEARDOWN(life)
{
}

TEST_F(life, close_vm_fd_while_running)
{
	struct test_vm *vm = vm_create(4 << 20);
	struct runner r = { .vcpu = vcpu_add(vm, 0) };
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t t;

	guest_load(vm, spin64_start, spin64_end);
	vcpu_setup_long64(vm, r.vcpu);
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
	sleep_ms(300);
	/* The vCPU keeps the VM alive: closing its fd changes nothing. */
	close(vm->fd);
	vm->fd = -1;
	sleep_ms(100);
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(-EINTR, r.ret);
	ASSERT_EQ(MVM_EXIT_INTR, r.vcpu->run->exit_reason);
	/* 16 data pages, plus code, stack and page tables. */
	ASSERT_LE(16, mvm_module_counter("pinned_pages") - self->pages0);
	vcpu_free(r.vcpu);
	munmap(vm->mem, vm->mem_size);
	free(vm);
	ASSERT_TRUE(counters_settle(self->bytes0, self->pages0))
		TH_LOG("kernel_bytes %lld pinned_pages %lld",
		       mvm_module_counter("kernel_bytes"),
		       mvm_module_counter("pinned_pages"));
}

TEST_F(life, sigkill_in_run)
{
	int status, pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct test_vm *vm = vm_create(4 << 20);
		struct test_vcpu *v = vcpu_add(vm, 0);

		guest_load(vm, spin64_start, spin64_end);
		vcpu_setup_long64(vm, v);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(2);
		__vcpu_run(v);
		_exit(1);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	sleep_ms(300);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_TRUE(counters_settle(self->bytes0, self->pages0))
		TH_LOG("kernel_bytes %lld pinned_pages %lld",
		       mvm_module_counter("kernel_bytes"),
		       mvm_module_counter("pinned_pages"));
}

TEST_F_TIMEOUT(life, thousand_vms, 600)
{
	int sys = sys_open();
	int i;

	for (i = 0; i < 1000; i++) {
		struct mvm_create_vm c = { 0 };
		struct mvm_create_vcpu vc = { 0 };
		int vm = __sys_ioctl(sys, MVM_CREATE_VM, &c);
		int vcpu;

		ASSERT_GE(vm, 0) TH_LOG("VM %d: %d", i, vm);
		vcpu = __sys_ioctl(vm, MVM_CREATE_VCPU, &vc);
		ASSERT_GE(vcpu, 0) TH_LOG("vCPU %d: %d", i, vcpu);
		close(vcpu);
		close(vm);
	}
	close(sys);
	ASSERT_TRUE(counters_settle(self->bytes0, self->pages0))
		TH_LOG("kernel_bytes %lld pinned_pages %lld",
		       mvm_module_counter("kernel_bytes"),
		       mvm_module_counter("pinned_pages"));
}

/* Deleting a region unpins exactly its pages, while the VM lives on. */
TEST_F(life, region_delete_unpins)
{
	struct test_vm *vm = vm_create(4 << 20);
	struct test_vcpu *v = vcpu_add(vm, 0);

	guest_load(vm, spin64_start, spin64_end);
	vcpu_setup_long64(vm, v);
	{
		struct runner r = { .vcpu = v };
		struct sigaction sa = { .sa_handler = on_usr1 };
		pthread_t t;

		sigaction(SIGUSR1, &sa, NULL);
		ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
		sleep_ms(300);
		pthread_kill(t, SIGUSR1);
		pthread_join(t, NULL);
	}
	ASSERT_LT(16, mvm_module_counter("pinned_pages") - self->pages0);
	ASSERT_EQ(0, __vm_set_region(vm, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, mvm_module_counter("pinned_pages") - self->pages0);
	vcpu_free(v);
	vm_destroy(vm);
	ASSERT_TRUE(counters_settle(self->bytes0, self->pages0));
}

GUEST_CODE(touch64, 64,
	   "mov $0x100000, %rbx\n mov $64, %ecx\n"
	   "1: movq $1, (%rbx)\n add $4096, %rbx\n loop 1b\n hlt\n");

/* Without CAP_IPC_LOCK, pinned guest pages count against RLIMIT_MEMLOCK. */
TEST_F(life, memlock_limit_enforced)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2] = { { 0 } };
		struct rlimit rl = { 32 * 4096, 32 * 4096 };
		struct test_vm *vm = vm_create(4 << 20);
		struct test_vcpu *v = vcpu_add(vm, 0);
		int ret;

		guest_load(vm, touch64_start, touch64_end);
		vcpu_setup_long64(vm, v);
		/* Drop every capability, CAP_IPC_LOCK included. */
		if (syscall(SYS_capset, &h, d) || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(2);
		ret = __vcpu_run(v);
		if (ret != -ENOMEM)
			_exit(3);
		if (v->run->exit_reason != MVM_EXIT_MEMORY_FAULT ||
		    v->run->memory_fault.error != -ENOMEM)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(counters_settle(self->bytes0, self->pages0));
}

/* Each pass: one OUT carrying a counter that only the guest increments. */
GUEST_CODE(count_out, 64,
	   "xor %eax, %eax\n 1: inc %eax\n out %eax, $0x80\n jmp 1b\n");

static bool run_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

static uint32_t next_count(struct __test_metadata *_metadata,
			   struct test_vcpu *v)
{
	uint32_t n;

	vcpu_run(v);
	EXPECT_EQ(MVM_EXIT_IO, v->run->exit_reason);
	memcpy(&n, (uint8_t *)v->run + v->run->io.data_offset, 4);
	return n;
}

/* A vCPU moved between CPUs keeps its state (VMCLEAR on the old CPU,
 * VMPTRLD and a TLB flush on the new one). */
TEST_F(life, vcpu_migrates_between_cpus)
{
	struct test_vm *vm;
	struct test_vcpu *v;
	uint32_t i;

	MVM_REQUIRE(sysconf(_SC_NPROCESSORS_ONLN) >= 2,
		    "needs two online CPUs");
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, count_out_start, count_out_end);
	vcpu_setup_long64(vm, v);
	for (i = 1; i <= 40; i++) {
		ASSERT_TRUE(run_on_cpu(i % 2));
		ASSERT_EQ(i, next_count(_metadata, v));
	}
	vcpu_free(v);
	vm_destroy(vm);
}

static int set_online(int cpu, int on)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	f = fopen(path, "we");
	if (!f)
		return -1;
	ok = fprintf(f, "%d\n", on) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* CPU 1 goes offline while a vCPU's VMCS is active there, and back. */
TEST_F(life, cpu_hotplug_with_running_vcpu)
{
	struct test_vm *vm;
	struct test_vcpu *v;

	MVM_REQUIRE(sysconf(_SC_NPROCESSORS_ONLN) >= 2,
		    "needs two online CPUs");
	MVM_REQUIRE(access("/sys/devices/system/cpu/cpu1/online", W_OK) == 0,
		    "CPU 1 cannot be taken offline here");
	vm = vm_create(1 << 21);
	v = vcpu_add(vm, 0);
	guest_load(vm, count_out_start, count_out_end);
	vcpu_setup_long64(vm, v);
	ASSERT_TRUE(run_on_cpu(1));
	ASSERT_EQ(1, next_count(_metadata, v));
	ASSERT_TRUE(run_on_cpu(0));
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(2, next_count(_metadata, v));
	ASSERT_EQ(0, set_online(1, 1));
	ASSERT_TRUE(run_on_cpu(1));
	ASSERT_EQ(3, next_count(_metadata, v));
	ASSERT_TRUE(run_on_cpu(0));
	vcpu_free(v);
	vm_destroy(vm);
}

TEST_HARNESS_MAIN
