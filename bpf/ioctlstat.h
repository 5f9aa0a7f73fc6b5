/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared between ioctlstat.bpf.c and its loaders: the key and value of
 * the pinned map /sys/fs/bpf/mvm/ioctl_stats.
 */
#ifndef MVM_BPF_IOCTLSTAT_H
#define MVM_BPF_IOCTLSTAT_H

/* Where the maps of every mvm BPF program are pinned. */
#define MVM_BPF_PIN_ROOT	"/sys/fs/bpf/mvm"

/* One kind of outcome of one ioctl. */
struct ioctl_key {
	unsigned int fd_kind;	/* enum mvm_fd_kind of mvm.ko */
	unsigned int cmd;	/* ioctl number */
	int err;		/* errno returned, 0 on success */
	unsigned int pad;	/* zero */
};

#endif /* MVM_BPF_IOCTLSTAT_H */
