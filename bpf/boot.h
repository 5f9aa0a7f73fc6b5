/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared between boot.bpf.c and its loaders (mvm trace boot, the
 * selftests): the keys and values of the maps pinned under
 * /sys/fs/bpf/mvm, and the milestones of a boot.
 *
 * Every timestamp is CLOCK_MONOTONIC in ns: bpf_ktime_get_ns() in the
 * programs, and the clock libmvm passes as its USDT probes' second
 * argument. 0 means "not seen".
 */
#ifndef MVM_BPF_BOOT_H
#define MVM_BPF_BOOT_H

/*
 * The milestones of one VM's boot, in the order they happen. The main
 * ones (BOOT_MAIN_MASK) are what "mvm trace boot" breaks a boot into;
 * the others are libmvm's USDT probes between them, shown as detail.
 */
enum boot_milestone {
	BOOT_LAUNCH,		/* USDT mvm:process_start: mvm_vm_create() entered */
	BOOT_CONFIG_PARSED,	/* USDT mvm:config_parsed */
	BOOT_VM_CREATE,		/* tracepoint mvm:vm_create */
	BOOT_MEMORY_READY,	/* USDT mvm:memory_ready */
	BOOT_KERNEL_LOADED,	/* USDT mvm:kernel_loaded */
	BOOT_VM_CREATED,	/* USDT mvm:vm_created: libmvm returns the VM */
	BOOT_FIRST_ENTRY,	/* USDT mvm:first_entry: vCPU 0's first MVM_RUN */
	BOOT_FIRST_INSN,	/* tracepoint mvm:vcpu_run, first of vCPU 0 */
	BOOT_KERNEL_ENTRY,	/* first mvm:exit with a kernel-half rip */
	BOOT_INIT,		/* mvm:guest_mark value BOOT_MARK_INIT */
	BOOT_READY,		/* mvm:guest_mark value BOOT_MARK_READY */
	BOOT_NR_MILESTONES,
};

#define BOOT_MAIN_MASK	((1u << BOOT_LAUNCH) | (1u << BOOT_VM_CREATE) |	\
			 (1u << BOOT_FIRST_INSN) | (1u << BOOT_KERNEL_ENTRY) | \
			 (1u << BOOT_INIT) | (1u << BOOT_READY))

/* Milestone values a guest writes to MVM_GUEST_MARK_PORT (0x440). */
#define BOOT_MARK_INIT	1	/* its /init started */
#define BOOT_MARK_READY	2	/* its workload is ready */

#define BOOT_COMM_LEN	16

/*
 * struct boot_timeline - one VM's boot; the value of map boot_timelines,
 * whose key is the VM id (__u32) of mvm.ko.
 * @ts:           when each milestone happened, 0 if it has not (yet).
 * @destroyed_ns: mvm:vm_destroy, 0 while the VM exists.
 * @first_rip:    the guest rip at BOOT_FIRST_INSN.
 * @kernel_rip:   the rip of the exit that set BOOT_KERNEL_ENTRY.
 * @boot_exits:   VM exits of every vCPU before BOOT_READY.
 * @marks:        writes to the milestone port, any value.
 * @pid:          the process (thread group) that created the VM.
 * @comm:         its name.
 */
struct boot_timeline {
	unsigned long long ts[BOOT_NR_MILESTONES];
	unsigned long long destroyed_ns;
	unsigned long long first_rip;
	unsigned long long kernel_rip;
	unsigned long long boot_exits;
	unsigned int marks;
	unsigned int pid;
	char comm[BOOT_COMM_LEN];
};

/*
 * struct boot_launch - the milestones a process passes before mvm.ko
 * knows its VM; the value of map boot_launches, whose key is the pid
 * (__u32, thread group id). mvm:vm_create moves them into the new VM's
 * timeline and deletes the entry, so the map holds the processes that
 * are between mvm_vm_create()'s start and MVM_CREATE_VM.
 */
struct boot_launch {
	unsigned long long launch_ns;		/* BOOT_LAUNCH */
	unsigned long long config_parsed_ns;	/* BOOT_CONFIG_PARSED */
};

#endif /* MVM_BPF_BOOT_H */
