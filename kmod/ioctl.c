// SPDX-License-Identifier: GPL-2.0
/*
 * One ioctl dispatcher for every mvm fd: table lookup, exact command
 * check, and the copy in and out of the payload. Handlers see only kernel
 * memory, so no handler can forget a copy_from_user() or read a user
 * pointer twice.
 */
#include <linux/ioctl.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mvm.h"
#include "trace.h"

static long dispatch(const struct mvm_ioctl_table *table, void *obj,
		     unsigned int cmd, unsigned long arg)
{
	u8 stack_buf[MVM_IOCTL_STACK_PAYLOAD] __aligned(8);
	void __user *uarg = (void __user *)arg;
	void *buf = stack_buf;
	const struct mvm_ioctl_desc *desc;
	unsigned int nr = _IOC_NR(cmd);
	unsigned int size;
	long ret;

	if (nr >= table->n)
		return -ENOTTY;
	desc = &table->descs[array_index_nospec(nr, table->n)];
	/* Type, direction and size must all match: a caller built against
	 * a different struct layout gets -ENOTTY, not a misread payload. */
	if (!desc->fn || desc->cmd != cmd)
		return -ENOTTY;

	size = _IOC_SIZE(cmd);
	if (!size)
		return desc->fn(obj, NULL, arg);

	if (size > sizeof(stack_buf)) {
		/* The table's sizes are bounded at compile time. */
		buf = kmalloc(size, GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}

	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		if (copy_from_user(buf, uarg, size)) {
			ret = -EFAULT;
			goto out;
		}
	} else {
		memset(buf, 0, size);
	}

	ret = desc->fn(obj, buf, arg);

	if (ret >= 0 && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, buf, size))
		ret = -EFAULT;
out:
	if (buf != stack_buf)
		kfree(buf);
	return ret;
}

long mvm_ioctl_dispatch(const struct mvm_ioctl_table *table, void *obj,
			unsigned int cmd, unsigned long arg)
{
	long ret = dispatch(table, obj, cmd, arg);

	trace_ioctl(table->kind, cmd, ret);
	return ret;
}
