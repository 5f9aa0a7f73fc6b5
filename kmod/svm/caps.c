// SPDX-License-Identifier: GPL-2.0
/*
 * SVM capability probe: AMD-V present, not disabled by firmware, and with
 * nested paging. Only the probe exists so far: MVM_CAP_BACKEND reports
 * SVM, and creating a VM is left to the SVM backend proper.
 */
#include <linux/cpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include <linux/mvm.h>

#include "../mvm.h"
#include "svm_arch.h"

/* Per-CPU verdict, gathered with on_each_cpu(). */
struct svm_probe {
	atomic_t no_svm;	/* CPUs without the CPUID bit */
	atomic_t disabled;	/* CPUs with VM_CR.SVMDIS set */
};

static void svm_probe_one(void *data)
{
	struct svm_probe *p = data;
	u64 vm_cr;

	if (!(cpuid_ecx(0x80000001) & MSVM_CPUID_EXT_ECX_SVM)) {
		atomic_inc(&p->no_svm);
		return;
	}
	if (rdmsrl_safe(MSVM_MSR_VM_CR, &vm_cr) || (vm_cr & MSVM_VM_CR_SVMDIS))
		atomic_inc(&p->disabled);
}

int mvm_svm_probe(struct mvm_hw *hw)
{
	struct svm_probe p = {
		.no_svm = ATOMIC_INIT(0),
		.disabled = ATOMIC_INIT(0),
	};
	u32 edx;

	if (cpuid_eax(0x80000000) < MSVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & MSVM_CPUID_EXT_ECX_SVM))
		return -ENODEV;

	cpus_read_lock();
	on_each_cpu(svm_probe_one, &p, 1);
	cpus_read_unlock();

	if (atomic_read(&p.no_svm)) {
		pr_err("mvm: SVM cannot be used: not every CPU reports it\n");
		return -EOPNOTSUPP;
	}
	if (atomic_read(&p.disabled)) {
		pr_err("mvm: SVM cannot be used: disabled by firmware (VM_CR.SVMDIS); enable SVM/AMD-V in the BIOS setup\n");
		return -EOPNOTSUPP;
	}

	edx = cpuid_edx(MSVM_CPUID_LEAF);
	if (!(edx & MSVM_FEAT_NP)) {
		pr_err("mvm: SVM cannot be used: no nested paging\n");
		return -EOPNOTSUPP;
	}

	hw->backend = MVM_BACKEND_SVM;
	hw->name = "svm";
	/* Real mode and unpaged guests run natively under SVM, and every
	 * SVM implementation tags the TLB with ASIDs. */
	hw->features = MVM_HW_TDP | MVM_HW_UNRESTRICTED_GUEST |
		       MVM_HW_TAGGED_TLB;
	if (edx & MSVM_FEAT_NRIPS)
		hw->features |= MVM_HW_NRIP_SAVE;
	if (edx & MSVM_FEAT_DECODE_ASSISTS)
		hw->features |= MVM_HW_DECODE_ASSISTS;
	if (edx & MSVM_FEAT_TSC_RATE)
		hw->features |= MVM_HW_TSC_SCALING;
	return 0;
}
