/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared between exits.bpf.c and its loaders (mvm trace exits): the keys
 * and values of the maps pinned under /sys/fs/bpf/mvm.
 */
#ifndef MVM_BPF_EXITS_H
#define MVM_BPF_EXITS_H

/* VM exits of one VM for one hardware exit reason. */
struct exit_key {
	unsigned int vm_id;
	unsigned int reason;	/* VMX basic exit reason (or SVM exit code) */
};

/* What is known of a VM: who made it, and when (bpf_ktime_get_ns()). */
struct vm_info {
	unsigned long long created_ns;
	unsigned int pid;
	unsigned int destroyed;	/* 1 once mvm:vm_destroy fired */
};

#endif /* MVM_BPF_EXITS_H */
