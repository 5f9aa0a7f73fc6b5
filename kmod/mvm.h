/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvm.ko internal interfaces shared by the core and the backends.
 */
#ifndef MVM_KMOD_MVM_H
#define MVM_KMOD_MVM_H

#include <linux/fs.h>
#include <linux/types.h>

/*
 * struct mvm_hw - what the hardware backend probe found, fixed at load.
 *
 * Written once by mvm_hw_probe() before /dev/mvm exists and read-only
 * afterwards, so readers need no lock.
 */
struct mvm_hw {
	u32 backend;		/* MVM_BACKEND_* */
	u64 features;		/* MVM_HW_* */
	const char *name;	/* "vmx" or "svm", for log lines */
};

extern struct mvm_hw mvm_hw;

/*
 * mvm_vmx_probe() - check that this machine can run the VMX backend.
 * @hw: filled in with the backend and its features on success.
 *
 * Reads CPUID and the VMX capability MSRs on every online CPU and checks
 * that they agree. Return: 0 when VMX is usable; -ENODEV when the CPU has
 * no VMX (silently); -EOPNOTSUPP when VMX exists but is disabled or lacks
 * something required, after logging one line that names what is missing.
 * Context: process context; takes the CPU hotplug read lock.
 */
int mvm_vmx_probe(struct mvm_hw *hw);

/*
 * mvm_svm_probe() - check that this machine can run the SVM backend.
 * @hw: filled in with the backend and its features on success.
 *
 * Same contract and return values as mvm_vmx_probe(), for AMD-V with
 * nested paging.
 */
int mvm_svm_probe(struct mvm_hw *hw);

/*
 * struct mvm_ioctl_desc - one entry of an fd's ioctl table.
 * @cmd: the full ioctl number; direction and size must match exactly.
 * @fn:  the handler. For commands with a payload, @karg is a kernel copy
 *       of it (copied in for _IOW, copied back out for _IOR after @fn
 *       returns >= 0); for _IO commands @karg is NULL and @arg is the raw
 *       argument.
 *
 * Tables are indexed by _IOC_NR(cmd) with designated initializers; see
 * mvm_ioctl_dispatch().
 */
struct mvm_ioctl_desc {
	unsigned int cmd;
	long (*fn)(void *obj, void *karg, unsigned long arg);
};

/* Which kind of fd an ioctl table serves; reported by mvm:ioctl. */
enum mvm_fd_kind {
	MVM_FD_SYS = 0,
	MVM_FD_VM = 1,
	MVM_FD_VCPU = 2,
};

/*
 * struct mvm_ioctl_table - the ioctls of one kind of fd.
 * @kind:  an enum mvm_fd_kind.
 * @descs: entries indexed by _IOC_NR.
 * @n:     number of entries.
 */
struct mvm_ioctl_table {
	unsigned int kind;
	const struct mvm_ioctl_desc *descs;
	size_t n;
};

/*
 * Largest ioctl payload the dispatcher copies; payloads up to
 * MVM_IOCTL_STACK_PAYLOAD bytes use its stack, larger ones kmalloc().
 */
#define MVM_IOCTL_MAX_PAYLOAD	1024
#define MVM_IOCTL_STACK_PAYLOAD	128

/*
 * MVM_IOCTL() - a table entry, checked at compile time to fit the
 * dispatcher's buffer.
 */
#define MVM_IOCTL(_cmd, _fn)						\
	[_IOC_NR(_cmd)] = {						\
		.cmd = (_cmd) + BUILD_BUG_ON_ZERO(_IOC_SIZE(_cmd) >	\
						  MVM_IOCTL_MAX_PAYLOAD), \
		.fn = (_fn),						\
	}

/*
 * mvm_ioctl_dispatch() - look up @cmd in @table and run its handler.
 * @table: the fd's ioctls.
 * @obj:   the fd's object, passed through to the handler.
 * @cmd:   ioctl number from userspace.
 * @arg:   ioctl argument from userspace.
 *
 * Return: the handler's result; -ENOTTY when @cmd is not in the table or
 * its direction or size differ from the table's; -EFAULT when the payload
 * cannot be copied in or out. Every call ends in the mvm:ioctl tracepoint.
 * Context: process context; takes no lock itself (handlers do).
 */
long mvm_ioctl_dispatch(const struct mvm_ioctl_table *table, void *obj,
			unsigned int cmd, unsigned long arg);

/*
 * mvm_dev_register() / mvm_dev_unregister() - create and remove /dev/mvm.
 *
 * mvm_dev_register() returns 0 or the negative errno of misc_register().
 * After mvm_dev_unregister() returns no new fd can be opened; fds still
 * open keep the module pinned through the file's owner.
 */
int mvm_dev_register(void);
void mvm_dev_unregister(void);

#endif /* MVM_KMOD_MVM_H */
