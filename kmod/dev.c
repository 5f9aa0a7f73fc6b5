// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mvm and the system fd: API version, capabilities.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/mvm.h>

#include <asm/tsc.h>

#include "irq.h"
#include "mvm.h"
#include "vm.h"

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
	bool vms = mvm_hw.backend == MVM_BACKEND_VMX;

	if (cc->flags || cc->reserved[0] || cc->reserved[1])
		return -EINVAL;

	switch (cc->cap) {
	case MVM_CAP_BACKEND:
		cc->value = mvm_hw.backend;
		break;
	case MVM_CAP_HW_FEATURES:
		cc->value = mvm_hw.features;
		break;
	case MVM_CAP_VM:
		cc->value = mvm_hw.backend == MVM_BACKEND_VMX;
		break;
	case MVM_CAP_RUN_SIZE:
		cc->value = PAGE_SIZE;
		break;
	case MVM_CAP_MAX_MEMORY_REGIONS:
		cc->value = MVM_MAX_MEMSLOTS;
		break;
	case MVM_CAP_MAX_VCPUS:
		cc->value = MVM_MAX_VCPUS;
		break;
	case MVM_CAP_MAX_VMS_PER_PROCESS:
		cc->value = mvm_max_vms_per_process();
		break;
	case MVM_CAP_MAX_CPUID_ENTRIES:
		cc->value = MVM_MAX_CPUID_ENTRIES;
		break;
	case MVM_CAP_XSAVE_SIZE:
		cc->value = mvm_hw.backend == MVM_BACKEND_VMX ?
			    mvm_vmx_xsave_size() : 0;
		break;
	/* What VMs have: nothing while the backend cannot run them. */
	case MVM_CAP_IRQCHIP:
		cc->value = vms ? MVM_IOAPIC_PINS : 0;
		break;
	case MVM_CAP_GUEST_MARK:
		cc->value = vms ? MVM_GUEST_MARK_PORT : 0;
		break;
	case MVM_CAP_MAX_IRQFDS:
		cc->value = vms ? MVM_MAX_IRQFDS : 0;
		break;
	case MVM_CAP_MAX_IOEVENTFDS:
		cc->value = vms ? MVM_MAX_IOEVENTFDS : 0;
		break;
	case MVM_CAP_TSC_KHZ:
		cc->value = tsc_khz;
		break;
	default:
		/* Unknown capabilities read as unsupported. */
		cc->value = 0;
		break;
	}
	return 0;
}

static long sys_create_vm(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_create_vm *c = karg;
	unsigned int i;

	if (c->flags || c->reserved0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(c->reserved); i++)
		if (c->reserved[i])
			return -EINVAL;
	return mvm_vm_create(c->flags);
}

static const struct mvm_ioctl_desc sys_ioctl_descs[] = {
	MVM_IOCTL(MVM_GET_API_VERSION, sys_get_api_version),
	MVM_IOCTL(MVM_CHECK_CAP, sys_check_cap),
	MVM_IOCTL(MVM_CREATE_VM, sys_create_vm),
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
