// SPDX-License-Identifier: Apache-2.0
/*
 * mvm_vm_get_stats(): the module's counters of a VM plus what only the
 * VMM knows (its own memory, when the VM was created); and the names of
 * outcomes and exit reasons, for people and scripts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm_priv.h"

/* RssAnon + RssFile of /proc/self/status, in bytes: the process's
 * resident memory without shared memory, where guest RAM (a memfd) is
 * counted. */
static int vmm_rss(uint64_t *bytes)
{
	unsigned long long anon = 0, file = 0, v;
	int found = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -EIO;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "RssAnon: %llu kB", &v) == 1) {
			anon = v;
			found |= 1;
		} else if (sscanf(line, "RssFile: %llu kB", &v) == 1) {
			file = v;
			found |= 2;
		}
	}
	fclose(f);
	if (found != 3)
		return -EIO;
	*bytes = (anon + file) * 1024;
	return 0;
}

MVM_EXPORT int mvm_vm_get_stats(struct mvm_vm *vm, struct mvm_vm_usage *out)
{
	struct mvm_vm_stats st;
	int ret;

	if (!vm || !out)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	if (ioctl(vm->vm_fd, MVM_GET_STATS, &st)) {
		ret = -errno;
		vm_log(vm, MVM_LOG_ERR, "MVM_GET_STATS: %s", strerror(-ret));
		return ret;
	}
	memset(out, 0, sizeof(*out));
	out->kernel = st;
	ret = vmm_rss(&out->vmm_rss_bytes);
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "reading RssAnon and RssFile of /proc/self/status failed");
		return ret;
	}
	out->guest_mem_bytes = vm->mem.ram;
	out->create_ns = vm->create_ns;
	if (st.marks && st.last_mark_ns > vm->create_ns)
		out->mark_after_create_ns = st.last_mark_ns - vm->create_ns;
	out->console_dropped = atomic_load(&vm->console.dropped);
	return 0;
}

MVM_EXPORT const char *mvm_vm_outcome_name(uint32_t outcome)
{
	switch (outcome) {
	case MVM_VM_RUNNING:
		return "running";
	case MVM_VM_POWEROFF:
		return "poweroff";
	case MVM_VM_REBOOT:
		return "reboot";
	case MVM_VM_PANIC:
		return "panic";
	case MVM_VM_TRIPLE_FAULT:
		return "triple-fault";
	case MVM_VM_INTERNAL_ERROR:
		return "internal-error";
	case MVM_VM_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static const char *const exit_names[MVM_STAT_EXIT_NR] = {
	[MVM_STAT_EXIT_IO] = "io",
	[MVM_STAT_EXIT_MMIO] = "mmio",
	[MVM_STAT_EXIT_HLT] = "hlt",
	[MVM_STAT_EXIT_CPUID] = "cpuid",
	[MVM_STAT_EXIT_MSR] = "msr",
	[MVM_STAT_EXIT_CR] = "cr",
	[MVM_STAT_EXIT_EPT_FAULT] = "ept_fault",
	[MVM_STAT_EXIT_EXTINT] = "extint",
	[MVM_STAT_EXIT_OTHER] = "other",
	[MVM_STAT_EXIT_PREEMPT] = "preempt",
	[MVM_STAT_EXIT_INTR_WINDOW] = "intr_window",
	[MVM_STAT_EXIT_APIC] = "apic",
	[MVM_STAT_EXIT_IOAPIC] = "ioapic",
	[MVM_STAT_EXIT_IOEVENTFD] = "ioeventfd",
	[MVM_STAT_EXIT_MARK] = "mark",
};

MVM_EXPORT const char *mvm_stat_exit_name(unsigned int reason)
{
	return reason < MVM_STAT_EXIT_NR ? exit_names[reason] : NULL;
}
