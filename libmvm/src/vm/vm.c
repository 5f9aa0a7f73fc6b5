// SPDX-License-Identifier: Apache-2.0
/*
 * A VM's life: mvm_vm_create() builds it paused, mvm_vm_start() starts
 * its threads, it ends once (vm_end(): the first outcome wins), and
 * mvm_vm_wait() / mvm_vm_destroy() collect the threads.
 *
 * State lives under vm->lock: started, ended, the outcome; vm->cond is
 * broadcast when it ends. vm->ending mirrors "ended" for the vCPU loops,
 * which read it without the lock on every exit. Kicks are sent with
 * vm->lock held and threads are joined only after the VM ended (under
 * the same lock), so a thread is never signalled after it was joined.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "probes.h"
#include "vm_priv.h"

#define VM_RL_BURST		10
#define VM_RL_WINDOW_NS		(5ULL * 1000000000ULL)

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- logging ----------------------------------------------------------- */

static void log_locked(struct mvm_vm *vm, int level, const char *msg)
{
	if (level <= MVM_LOG_ERR)
		snprintf(vm->last_error, sizeof(vm->last_error), "%s", msg);
	if (vm->log_fn)
		vm->log_fn(vm->log_opaque, level, msg);
}

/* struct mvm_logger callback: mvm_log(&vm->lg, ...) lands here. */
static void log_tramp(void *opaque, int level, const char *msg)
{
	struct mvm_vm *vm = opaque;

	pthread_mutex_lock(&vm->log_lock);
	log_locked(vm, level, msg);
	pthread_mutex_unlock(&vm->log_lock);
}

void vm_log(struct mvm_vm *vm, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_tramp(vm, level, msg);
}

void vm_log_limited(struct mvm_vm *vm, const char *fmt, ...)
{
	uint64_t now = vm_now_ns();
	char msg[512];
	va_list ap;

	pthread_mutex_lock(&vm->log_lock);
	if (now - vm->rl_window_ns >= VM_RL_WINDOW_NS) {
		if (vm->rl_suppressed) {
			snprintf(msg, sizeof(msg),
				 "%llu similar messages suppressed",
				 (unsigned long long)vm->rl_suppressed);
			log_locked(vm, MVM_LOG_DEBUG, msg);
		}
		vm->rl_window_ns = now;
		vm->rl_count = 0;
		vm->rl_suppressed = 0;
	}
	if (vm->rl_count >= VM_RL_BURST) {
		vm->rl_suppressed++;
	} else {
		vm->rl_count++;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_locked(vm, MVM_LOG_DEBUG, msg);
	}
	pthread_mutex_unlock(&vm->log_lock);
}

/* ---- the end --------------------------------------------------------- */

/* Kick every started thread; vm->lock held. */
static void kick_all(struct mvm_vm *vm)
{
	unsigned int i;

	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vm_vcpu_kick(&vm->vcpus[i]);
	vm_console_wake(&vm->console);
}

void vm_end(struct mvm_vm *vm, uint32_t outcome, int vcpu, const char *fmt,
	    ...)
{
	char detail[sizeof(vm->exit.detail)];
	bool first = false;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&vm->lock);
	if (!vm->ended) {
		first = true;
		if (vm->panic_seen && (outcome == MVM_VM_REBOOT ||
				       outcome == MVM_VM_TRIPLE_FAULT ||
				       outcome == MVM_VM_STOPPED)) {
			outcome = MVM_VM_PANIC;
			vcpu = -1;
			snprintf(detail, sizeof(detail), "%s", vm->panic_line);
		}
		vm->ended = true;
		atomic_store(&vm->ending, true);
		vm->exit.outcome = outcome;
		vm->exit.vcpu = vcpu;
		snprintf(vm->exit.detail, sizeof(vm->exit.detail), "%s",
			 detail);
		kick_all(vm);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);

	if (!first)
		return;
	/* The caller gets @detail from mvm_vm_wait(): log it as
	 * information only, but keep an internal error as the last one. */
	if (outcome == MVM_VM_INTERNAL_ERROR) {
		pthread_mutex_lock(&vm->log_lock);
		snprintf(vm->last_error, sizeof(vm->last_error), "%s", detail);
		pthread_mutex_unlock(&vm->log_lock);
	}
	vm_log(vm, MVM_LOG_INFO, "VM ended (%s): %s",
	       mvm_vm_outcome_name(outcome), detail);
}

void vm_note_panic(struct mvm_vm *vm, const char *line)
{
	pthread_mutex_lock(&vm->lock);
	vm->panic_seen = true;
	snprintf(vm->panic_line, sizeof(vm->panic_line), "%s", line);
	pthread_mutex_unlock(&vm->lock);
}

void vm_park(struct mvm_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	while (!vm->ended)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- creation ---------------------------------------------------------- */

static void kick_handler(int sig)
{
	(void)sig;
}

/* A handler for the kick signal, unless the application has one. */
static int install_kick(struct mvm_vm *vm)
{
	struct sigaction old, sa;

	if (sigaction(vm->kick_signal, NULL, &old))
		return -errno;
	if (!(old.sa_flags & SA_SIGINFO) &&
	    (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kick_handler;
		sigemptyset(&sa.sa_mask);
		/* No SA_RESTART: MVM_RUN must return. */
		sa.sa_flags = 0;
		if (sigaction(vm->kick_signal, &sa, NULL))
			return -errno;
	}
	return 0;
}

/* Pages the kernel pins count against RLIMIT_MEMLOCK (unless the
 * process has CAP_IPC_LOCK): warn when the guest could hit it. */
static void check_memlock(struct mvm_vm *vm, uint64_t ram)
{
	struct rlimit rl;
	char line[256];
	bool ipc_lock = false;
	FILE *f;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= ram)
		return;
	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long caps;

			if (sscanf(line, "CapEff: %llx", &caps) == 1)
				ipc_lock = caps & (1ULL << 14);
		}
		fclose(f);
	}
	if (!ipc_lock)
		vm_log(vm, MVM_LOG_WARNING,
		       "RLIMIT_MEMLOCK is %llu KiB but the guest has %llu KiB of RAM: the VM stops with an error when the guest uses more; raise it (ulimit -l) or grant CAP_IPC_LOCK",
		       (unsigned long long)(rl.rlim_cur >> 10),
		       (unsigned long long)(ram >> 10));
}

struct vm_caps {
	uint64_t vm, run_size, slots, vcpus, cpuid, irqchip, tsc_khz;
};

static int read_caps(struct mvm_vm *vm, struct mvm_sys *sys,
		     const struct vm_plan *p, struct vm_caps *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = mvm_sys_check_cap(sys, MVM_CAP_VM, &c->vm);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_RUN_SIZE, &c->run_size);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_MAX_MEMORY_REGIONS,
					&c->slots);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_MAX_VCPUS, &c->vcpus);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_MAX_CPUID_ENTRIES,
					&c->cpuid);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_IRQCHIP, &c->irqchip);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_TSC_KHZ, &c->tsc_khz);
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "reading mvm.ko's capabilities: %s",
		       strerror(-ret));
		return ret;
	}
	if (!c->vm) {
		vm_log(vm, MVM_LOG_ERR,
		       "mvm.ko cannot run guests on this host (no usable VT-x): see 'mvm info'");
		return -ENOTSUP;
	}
	if (p->cfg.nr_vcpus > c->vcpus) {
		vm_log(vm, MVM_LOG_ERR, "%u vCPUs: this mvm.ko allows at most %llu",
		       p->cfg.nr_vcpus, (unsigned long long)c->vcpus);
		return -EINVAL;
	}
	if (c->irqchip < 16) {
		vm_log(vm, MVM_LOG_ERR,
		       "this mvm.ko has no in-kernel IOAPIC (MVM_CAP_IRQCHIP): install a newer module");
		return -ENOTSUP;
	}
	if (!c->run_size || c->run_size > (uint64_t)sysconf(_SC_PAGESIZE) ||
	    c->run_size < sizeof(struct mvm_run)) {
		vm_log(vm, MVM_LOG_ERR, "mvm.ko reports a run page of %llu bytes: libmvm and mvm.ko do not match",
		       (unsigned long long)c->run_size);
		return -ENOTSUP;
	}
	if (c->tsc_khz > UINT32_MAX)
		c->tsc_khz = 0;
	if (!c->tsc_khz)
		c->tsc_khz = vm_host_tsc_khz();
	if (c->tsc_khz < 1000) {
		vm_log(vm, MVM_LOG_ERR,
		       "the host's TSC frequency is unknown (mvm.ko lacks MVM_CAP_TSC_KHZ and CPUID does not say): install a newer module");
		return -ENOTSUP;
	}
	return 0;
}

static int create_vm_fd(struct mvm_vm *vm, struct mvm_sys *sys)
{
	struct mvm_create_vm cv;

	memset(&cv, 0, sizeof(cv));
	vm->vm_fd = ioctl(mvm_sys_fd(sys), MVM_CREATE_VM, &cv);
	if (vm->vm_fd < 0) {
		int err = errno;

		vm->vm_fd = -1;
		vm_log(vm, MVM_LOG_ERR, "MVM_CREATE_VM: %s%s", strerror(err),
		       err == EMFILE ?
		       " (too many VMs in this process, see MVM_CAP_MAX_VMS_PER_PROCESS)" : "");
		return -err;
	}
	/* The id the tracepoints and the USDT probes share; the ioctl
	 * cannot fail on a fresh VM fd but for EFAULT. */
	{
		struct mvm_vm_stats st;

		memset(&st, 0, sizeof(st));
		if (!ioctl(vm->vm_fd, MVM_GET_STATS, &st))
			vm->kernel_id = st.vm_id;
	}
	return 0;
}

static int create_vcpus(struct mvm_vm *vm, const struct vm_caps *caps,
			const struct mvm_boot_regs *regs)
{
	struct mvm_cpuid_entry host[VM_CPUID_MAX], table[VM_CPUID_MAX];
	unsigned int nhost, n, i;
	int ret;

	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].fd = -1;
		vm->vcpus[i].vm = vm;
	}

	nhost = vm_host_cpuid(host, VM_CPUID_MAX);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct mvm_cpuid_config cc = {
			.tsc_khz = (uint32_t)caps->tsc_khz,
			.nr_vcpus = vm->nr_vcpus,
			.vcpu_id = i,
		};
		unsigned int max = VM_CPUID_MAX;

		if (caps->cpuid < max)
			max = (unsigned int)caps->cpuid;
		ret = mvm_cpuid_build(host, nhost, &cc, table, max, &n);
		if (ret) {
			vm_log(vm, MVM_LOG_ERR,
			       "building vCPU %u's CPUID table: %s%s", i,
			       strerror(-ret), ret == -ENOSPC ?
			       " (more leaves than mvm.ko accepts)" : "");
			return ret;
		}
		ret = vm_vcpu_create(vm, &vm->vcpus[i], i,
				     (size_t)caps->run_size, table, n);
		if (ret)
			return ret;
	}
	return vm_vcpu_set_boot(&vm->vcpus[0], regs);
}

/* Everything of @vm, whatever was built; threads already joined. */
static void vm_free(struct mvm_vm *vm)
{
	unsigned int i;

	vm_devices_destroy(vm);
	vm_console_destroy(&vm->console);
	if (vm->vcpus)
		for (i = 0; i < vm->nr_vcpus; i++)
			vm_vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm_memory_destroy(&vm->mem);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->join_lock);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->log_lock);
	free(vm);
}

static struct mvm_vm *vm_alloc(mvm_log_fn log, void *opaque)
{
	pthread_condattr_t ca;
	struct mvm_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->log_fn = log;
	vm->log_opaque = opaque;
	vm->lg.fn = log_tramp;
	vm->lg.opaque = vm;
	vm->vm_fd = -1;
	vm->mem.memfd = -1;
	vm->console.wake_fd = -1;
	atomic_init(&vm->ending, false);
	pthread_mutex_init(&vm->log_lock, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->join_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->cond, &ca);
	pthread_condattr_destroy(&ca);
	return vm;
}

MVM_EXPORT int mvm_vm_create(struct mvm_sys *sys,
			     const struct mvm_vm_config *cfg, mvm_log_fn log,
			     void *opaque, struct mvm_vm **out)
{
	uint64_t t0 = vm_now_ns();
	struct mvm_boot_regs regs;
	struct vm_caps caps;
	struct vm_plan plan;
	struct mvm_vm *vm;
	int ret;

	MVM_PROBE(process_start, 0);
	if (!out)
		return -EINVAL;
	*out = NULL;
	vm = vm_alloc(log, opaque);
	if (!vm)
		return -ENOMEM;
	vm->create_ns = t0;
	if (!sys) {
		vm_log(vm, MVM_LOG_ERR, "no /dev/mvm handle: open it with mvm_sys_open()");
		vm_free(vm);
		return -EINVAL;
	}

	ret = vm_plan_prepare(&plan, cfg, &vm->lg);
	if (ret) {
		vm_free(vm);
		return ret;
	}
	vm->nr_vcpus = plan.cfg.nr_vcpus;
	vm->kick_signal = plan.cfg.kick_signal;
	MVM_PROBE(config_parsed, 0);

	ret = read_caps(vm, sys, &plan, &caps);
	if (ret)
		goto fail;
	ret = install_kick(vm);
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "installing the handler of signal %d: %s",
		       vm->kick_signal, strerror(-ret));
		goto fail;
	}
	ret = vm_console_init(&vm->console, vm, plan.cfg.console_out_fd,
			      plan.cfg.console_in_fd);
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "console: eventfd: %s", strerror(-ret));
		goto fail;
	}
	check_memlock(vm, plan.cfg.mem_bytes);
	ret = vm_memory_create(&vm->mem, plan.cfg.mem_bytes, &vm->lg);
	if (!ret)
		ret = create_vm_fd(vm, sys);
	if (!ret)
		ret = vm_memory_register(&vm->mem, vm->vm_fd, caps.slots,
					 &vm->lg);
	if (ret)
		goto fail;
	MVM_PROBE(memory_ready, vm->kernel_id);

	ret = vm_boot_load(vm, &plan, &regs);
	if (ret)
		goto fail;
	vm_plan_unmap_images(&plan);
	MVM_PROBE(kernel_loaded, vm->kernel_id);

	ret = vm_devices_create(vm, &plan);
	if (!ret)
		ret = create_vcpus(vm, &caps, &regs);
	if (ret)
		goto fail;

	/* The devices hold their own fds of the disks. */
	vm_plan_release(&plan);
	MVM_PROBE(vm_created, vm->kernel_id);
	*out = vm;
	return 0;

fail:
	vm_plan_release(&plan);
	vm_free(vm);
	return ret;
}

/* ---- running ----------------------------------------------------------- */

MVM_EXPORT int mvm_vm_start(struct mvm_vm *vm)
{
	unsigned int i;
	int ret = 0;

	if (!vm)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	if (vm->started || vm->ended) {
		pthread_mutex_unlock(&vm->lock);
		return -EALREADY;
	}
	vm->started = true;
	for (i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vm_vcpu_start(&vm->vcpus[i]);
	if (!ret)
		ret = vm_console_start(&vm->console);
	pthread_mutex_unlock(&vm->lock);

	if (ret)
		vm_end(vm, MVM_VM_INTERNAL_ERROR, -1,
		       "starting the VM's threads: %s", strerror(-ret));
	return ret;
}

static void join_all(struct mvm_vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->join_lock);
	if (!vm->joined) {
		for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
			vm_vcpu_join(&vm->vcpus[i]);
		vm_console_join(&vm->console);
		vm->joined = true;
	}
	pthread_mutex_unlock(&vm->join_lock);
}

MVM_EXPORT int mvm_vm_wait(struct mvm_vm *vm, int timeout_ms,
			   struct mvm_vm_exit *result)
{
	struct timespec deadline;
	int ret = 0;

	if (!vm || !result)
		return -EINVAL;
	if (timeout_ms > 0) {
		uint64_t t = vm_now_ns() + (uint64_t)timeout_ms * 1000000ULL;

		deadline.tv_sec = (time_t)(t / 1000000000ULL);
		deadline.tv_nsec = (long)(t % 1000000000ULL);
	}

	pthread_mutex_lock(&vm->lock);
	if (!vm->started && !vm->ended) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	while (!vm->ended && ret != ETIMEDOUT) {
		if (!timeout_ms)
			ret = ETIMEDOUT;
		else if (timeout_ms < 0)
			pthread_cond_wait(&vm->cond, &vm->lock);
		else
			ret = pthread_cond_timedwait(&vm->cond, &vm->lock,
						     &deadline);
	}
	if (!vm->ended) {
		pthread_mutex_unlock(&vm->lock);
		return -ETIMEDOUT;
	}
	pthread_mutex_unlock(&vm->lock);

	join_all(vm);
	pthread_mutex_lock(&vm->lock);
	*result = vm->exit;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

MVM_EXPORT int mvm_vm_stop(struct mvm_vm *vm)
{
	if (!vm)
		return -EINVAL;
	vm_end(vm, MVM_VM_STOPPED, -1, "stopped by mvm_vm_stop()");
	return 0;
}

MVM_EXPORT void mvm_vm_destroy(struct mvm_vm *vm)
{
	if (!vm)
		return;
	vm_end(vm, MVM_VM_STOPPED, -1, "destroyed while running");
	join_all(vm);
	vm_free(vm);
}

MVM_EXPORT int mvm_vm_last_error(struct mvm_vm *vm, char *buf, size_t len)
{
	int n;

	if (!vm || (!buf && len))
		return -EINVAL;
	pthread_mutex_lock(&vm->log_lock);
	n = snprintf(buf, len, "%s", vm->last_error);
	pthread_mutex_unlock(&vm->log_lock);
	return n;
}
