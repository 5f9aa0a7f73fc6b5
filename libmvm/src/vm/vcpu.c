// SPDX-License-Identifier: Apache-2.0
/*
 * vCPUs: the fd, the shared run page, and one thread that calls MVM_RUN
 * until the VM ends.
 *
 * vCPU 0 is the bootstrap processor: created plain and put in the
 * kernel's 64-bit boot state. The others are application processors
 * (MVM_VCPU_AP): the kernel keeps them in wait-for-SIPI inside MVM_RUN
 * until the guest's BSP starts them with INIT and STARTUP IPIs, so their
 * threads just call MVM_RUN like vCPU 0's.
 *
 * Stopping: vm_vcpu_kick() sets run->immediate_exit, then signals the
 * thread. If the thread is inside MVM_RUN, the signal makes it return
 * -EINTR; if it is about to enter, immediate_exit (written before the
 * signal is sent) makes the kernel return -EINTR at once. Either way the
 * thread then sees vm->ending and returns.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probes.h"
#include "vm_priv.h"

int vm_vcpu_create(struct mvm_vm *vm, struct vm_vcpu *v, unsigned int id,
		   size_t run_size, const struct mvm_cpuid_entry *cpuid,
		   unsigned int n)
{
	struct mvm_create_vcpu cv = { .id = id,
				      .flags = id ? MVM_VCPU_AP : 0 };
	struct mvm_cpuid ct = { .nent = n, .entries = (uintptr_t)cpuid };
	void *run;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, MVM_CREATE_VCPU, &cv);
	if (v->fd < 0) {
		int err = errno;

		v->fd = -1;
		vm_log(vm, MVM_LOG_ERR, "MVM_CREATE_VCPU %u: %s", id,
		       strerror(err));
		return -err;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		   0);
	if (run == MAP_FAILED) {
		int err = errno;

		vm_log(vm, MVM_LOG_ERR, "vCPU %u: mapping its run page: %s",
		       id, strerror(err));
		return -err;
	}
	v->run = run;
	v->run_size = run_size;
	if (ioctl(v->fd, MVM_SET_CPUID, &ct)) {
		int err = errno;

		vm_log(vm, MVM_LOG_ERR, "vCPU %u: MVM_SET_CPUID (%u entries): %s",
		       id, n, strerror(err));
		return -err;
	}
	return 0;
}

int vm_vcpu_set_boot(struct vm_vcpu *v, const struct mvm_boot_regs *b)
{
	struct mvm_sregs sregs;
	struct mvm_regs regs;
	const char *what = "MVM_GET_SREGS";
	int err;

	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	if (!ioctl(v->fd, MVM_GET_SREGS, &sregs)) {
		mvm_boot_regs_apply(b, &regs, &sregs);
		/* The ABI wants zero in what it reserves. */
		sregs.flags = 0;
		sregs.reserved0 = 0;
		memset(sregs.reserved, 0, sizeof(sregs.reserved));
		what = "MVM_SET_SREGS";
		if (!ioctl(v->fd, MVM_SET_SREGS, &sregs)) {
			what = "MVM_SET_REGS";
			if (!ioctl(v->fd, MVM_SET_REGS, &regs))
				return 0;
		}
	}
	err = errno;
	vm_log(v->vm, MVM_LOG_ERR, "vCPU %u: %s: %s", v->id, what,
	       strerror(err));
	return -err;
}

/* Leave MVM_RUN to look at vm->ending; only that thread's exits. */
static bool vcpu_run_once(struct vm_vcpu *v)
{
	struct mvm_vm *vm = v->vm;
	int err;

	if (!ioctl(v->fd, MVM_RUN, 0))
		return vm_exit_handle(v);
	err = errno;
	if (err == EINTR)
		return !atomic_load(&vm->ending);
	if (err == EFAULT && v->run->exit_reason == MVM_EXIT_MEMORY_FAULT)
		return vm_exit_handle(v);
	vm_end(vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
	       "vCPU %u: MVM_RUN failed: %s", v->id, strerror(err));
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vm_vcpu *v = arg;
	struct mvm_vm *vm = v->vm;
	sigset_t kick;

	/* Created with every signal blocked: take only the kick. */
	sigemptyset(&kick);
	sigaddset(&kick, vm->kick_signal);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	if (v->id == 0)
		MVM_PROBE(first_entry, vm->kernel_id);
	while (!atomic_load(&vm->ending) && vcpu_run_once(v))
		;
	return NULL;
}

int vm_vcpu_start(struct vm_vcpu *v)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	v->thread_started = true;
	return 0;
}

void vm_vcpu_kick(struct vm_vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->thread_started)
		pthread_kill(v->thread, v->vm->kick_signal);
}

void vm_vcpu_join(struct vm_vcpu *v)
{
	if (!v->thread_started)
		return;
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}

void vm_vcpu_destroy(struct vm_vcpu *v)
{
	vm_vcpu_join(v);
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
