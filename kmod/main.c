// SPDX-License-Identifier: GPL-2.0
/*
 * mvm.ko: a microVM hypervisor driving Intel VMX or AMD SVM directly.
 *
 * Module load probes the hardware once into the read-only mvm_hw, then
 * creates /dev/mvm. Loading fails with one log line when neither backend
 * can run here.
 */
#include <linux/module.h>
#include <linux/printk.h>

#include <linux/mvm.h>

#include "mvm.h"
#include "vm.h"

struct mvm_hw mvm_hw __ro_after_init;

static int __init mvm_hw_probe(void)
{
	int vmx, svm;

	vmx = mvm_vmx_probe(&mvm_hw);
	if (!vmx)
		return 0;
	svm = mvm_svm_probe(&mvm_hw);
	if (!svm)
		return 0;

	/* The probes already said why when the CPU had the feature. */
	if (vmx == -ENODEV && svm == -ENODEV)
		pr_err("mvm: this CPU has neither VMX nor SVM; a host with VT-x or AMD-V (and it enabled in firmware) is needed\n");
	return -ENODEV;
}

static int __init mvm_init(void)
{
	int ret;

	ret = mvm_hw_probe();
	if (ret)
		return ret;

	if (mvm_hw.backend == MVM_BACKEND_VMX) {
		ret = mvm_vmx_init();
		if (ret)
			return ret;
	}

	ret = mvm_dev_register();
	if (ret) {
		pr_err("mvm: cannot register /dev/mvm (%d)\n", ret);
		if (mvm_hw.backend == MVM_BACKEND_VMX)
			mvm_vmx_exit();
		return ret;
	}
	pr_info("mvm: %s backend ready, features %#llx\n", mvm_hw.name,
		mvm_hw.features);
	return 0;
}

static void __exit mvm_exit(void)
{
	/* Every VM holds a module reference, so none is left here. */
	mvm_dev_unregister();
	if (mvm_hw.backend == MVM_BACKEND_VMX)
		mvm_vmx_exit();
}

module_init(mvm_init);
module_exit(mvm_exit);

MODULE_DESCRIPTION("mvm microVM hypervisor");
MODULE_LICENSE("GPL");
