// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mvm and the system fd: API version, capabilities.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/mvm.h>

#include "mvm.h"

static long sys_get_api_version(void *obj, void *karg, unsigned long arg)
{
	/* No argument today; insisting on 0 keeps it free for later. */
	if (arg)
		return -EINVAL;
	return MVM_API_VERSION;
}

static long sys_check_cap(void *obj, void *karg, unsigned long arg)
{
	struct mvm_check_cap *cc = karg;

	if (cc->flags || cc->reserved[0] || cc->reserved[1])
		return -EINVAL;

	switch (cc->cap) {
	case MVM_CAP_BACKEND:
		cc->value = mvm_hw.backend;
		break;
	case MVM_CAP_HW_FEATURES:
		cc->value = mvm_hw.features;
		break;
	default:
		/* Unknown capabilities read as unsupported. */
		cc->value = 0;
		break;
	}
	return 0;
}

static const struct mvm_ioctl_desc sys_ioctl_descs[] = {
	MVM_IOCTL(MVM_GET_API_VERSION, sys_get_api_version),
	MVM_IOCTL(MVM_CHECK_CAP, sys_check_cap),
};

static const struct mvm_ioctl_table sys_ioctls = {
	.kind = MVM_FD_SYS,
	.descs = sys_ioctl_descs,
	.n = ARRAY_SIZE(sys_ioctl_descs),
};

static long mvm_sys_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	return mvm_ioctl_dispatch(&sys_ioctls, NULL, cmd, arg);
}

static const struct file_operations mvm_sys_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= mvm_sys_ioctl,
	/* Every payload is fixed-width, so 32-bit callers share the path. */
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice mvm_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "mvm",
	.fops	= &mvm_sys_fops,
	/* Group access comes from the udev rule (group mvm, 0660). */
	.mode	= 0600,
};

int mvm_dev_register(void)
{
	return misc_register(&mvm_miscdev);
}

void mvm_dev_unregister(void)
{
	misc_deregister(&mvm_miscdev);
}
