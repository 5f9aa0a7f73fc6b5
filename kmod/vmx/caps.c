// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability probe: is VT-x present, enabled by firmware, and able to
 * run the way mvm needs (EPT with unrestricted guest)?
 *
 * Capability MSRs are read on every online CPU; a machine whose CPUs
 * disagree is refused, since a vCPU may migrate between them.
 */
#include <linux/cpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include <linux/mvm.h>

#include "../mvm.h"
#include "vmx_arch.h"

/*
 * Raw capabilities of one CPU, compared across CPUs with memcmp(): keep it
 * free of padding.
 */
struct vmx_cpu_caps {
	u64 feature_control;
	u64 basic;
	u64 pinbased;
	u64 procbased;
	u64 procbased2;
	u64 ept_vpid;
	u32 cpuid1_ecx_vmx;
	s32 status;		/* 0, or -ENODEV if any MSR read faulted */
};

struct vmx_probe {
	struct vmx_cpu_caps first;
	bool have_first;
	bool mismatch;
	int mismatch_cpu;
	spinlock_t lock;
};

static int vmx_read(u32 msr, u64 *val)
{
	return rdmsrl_safe(msr, val);
}

static void vmx_read_cpu_caps(struct vmx_cpu_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->cpuid1_ecx_vmx = cpuid_ecx(1) & MVMX_CPUID1_ECX_VMX;
	if (!c->cpuid1_ecx_vmx) {
		c->status = -ENODEV;
		return;
	}
	if (vmx_read(MVMX_MSR_FEATURE_CONTROL, &c->feature_control) ||
	    vmx_read(MVMX_MSR_BASIC, &c->basic) ||
	    vmx_read(MVMX_MSR_PINBASED_CTLS, &c->pinbased) ||
	    vmx_read(MVMX_MSR_PROCBASED_CTLS, &c->procbased)) {
		c->status = -ENODEV;
		return;
	}
	/* Secondary controls and EPT/VPID caps exist only when advertised
	 * (SDM Vol. 3D A.3.3, A.10). */
	if (MVMX_CTL_ALLOWED1(c->procbased) & MVMX_PROC_SECONDARY_CTLS) {
		if (vmx_read(MVMX_MSR_PROCBASED_CTLS2, &c->procbased2))
			c->status = -ENODEV;
		else if ((MVMX_CTL_ALLOWED1(c->procbased2) &
			  (MVMX_PROC2_EPT | MVMX_PROC2_VPID)) &&
			 vmx_read(MVMX_MSR_EPT_VPID_CAP, &c->ept_vpid))
			c->status = -ENODEV;
	}
}

static void vmx_probe_one(void *data)
{
	struct vmx_probe *p = data;
	struct vmx_cpu_caps c;

	vmx_read_cpu_caps(&c);

	spin_lock(&p->lock);
	if (!p->have_first) {
		memcpy(&p->first, &c, sizeof(c));
		p->have_first = true;
	} else if (memcmp(&p->first, &c, sizeof(c)) && !p->mismatch) {
		p->mismatch = true;
		p->mismatch_cpu = smp_processor_id();
	}
	spin_unlock(&p->lock);
}

static int vmx_refuse(const char *what)
{
	pr_err("mvm: VMX cannot be used: %s\n", what);
	return -EOPNOTSUPP;
}

int mvm_vmx_probe(struct mvm_hw *hw)
{
	struct vmx_probe p = { .lock = __SPIN_LOCK_UNLOCKED(p.lock) };
	const struct vmx_cpu_caps *c = &p.first;
	u32 proc2;
	u64 ept;

	/* Cheap first look on this CPU; the others are checked below, as
	 * their CPUID bit is part of what must agree. */
	if (!(cpuid_ecx(1) & MVMX_CPUID1_ECX_VMX))
		return -ENODEV;

	cpus_read_lock();
	on_each_cpu(vmx_probe_one, &p, 1);
	cpus_read_unlock();

	if (c->status)
		return vmx_refuse("a VMX capability MSR cannot be read");
	if (p.mismatch) {
		pr_err("mvm: VMX cannot be used: CPU %d reports different VMX capabilities from the others\n",
		       p.mismatch_cpu);
		return -EOPNOTSUPP;
	}

	if (!(c->feature_control & MVMX_FC_LOCKED) ||
	    !(c->feature_control & MVMX_FC_VMXON_OUTSIDE_SMX))
		return vmx_refuse("disabled by firmware (IA32_FEATURE_CONTROL); enable VT-x in the BIOS setup");
	if (MVMX_BASIC_MEMTYPE(c->basic) != MVMX_MEMTYPE_WB ||
	    (c->basic & MVMX_BASIC_32BIT_ADDR))
		return vmx_refuse("VMCS needs write-back memory with 64-bit addresses");
	if (!(MVMX_CTL_ALLOWED1(c->procbased) & MVMX_PROC_SECONDARY_CTLS))
		return vmx_refuse("no secondary processor-based controls");

	proc2 = MVMX_CTL_ALLOWED1(c->procbased2);
	ept = c->ept_vpid;
	if (!(proc2 & MVMX_PROC2_EPT))
		return vmx_refuse("no EPT");
	if (!(ept & MVMX_EPT_CAP_WALK_4) || !(ept & MVMX_EPT_CAP_MEMTYPE_WB))
		return vmx_refuse("EPT lacks 4-level walks with write-back memory");
	if (!(ept & MVMX_EPT_CAP_INVEPT) ||
	    !(ept & (MVMX_EPT_CAP_INVEPT_SINGLE | MVMX_EPT_CAP_INVEPT_ALL)))
		return vmx_refuse("no INVEPT");
	if (!(proc2 & MVMX_PROC2_UNRESTRICTED_GUEST))
		return vmx_refuse("no unrestricted guest");

	hw->backend = MVM_BACKEND_VMX;
	hw->name = "vmx";
	hw->features = MVM_HW_TDP | MVM_HW_UNRESTRICTED_GUEST;
	/* VPID is used only with INVVPID to flush a VPID's translations. */
	if ((proc2 & MVMX_PROC2_VPID) && (ept & MVMX_VPID_CAP_INVVPID) &&
	    (ept & (MVMX_VPID_CAP_INVVPID_SINGLE | MVMX_VPID_CAP_INVVPID_ALL)))
		hw->features |= MVM_HW_TAGGED_TLB;
	if (ept & MVMX_EPT_CAP_AD)
		hw->features |= MVM_HW_TDP_AD;
	if (MVMX_CTL_ALLOWED1(c->pinbased) & MVMX_PIN_PREEMPTION_TIMER)
		hw->features |= MVM_HW_PREEMPTION_TIMER;
	if (proc2 & MVMX_PROC2_TSC_SCALING)
		hw->features |= MVM_HW_TSC_SCALING;
	return 0;
}
