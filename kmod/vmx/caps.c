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
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include <linux/mvm.h>

#include "../mvm.h"
#include "vmx.h"
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

struct vmcs_config vmcs_config __ro_after_init;

/*
 * Combine required (@min) and wanted (@opt) controls with what the
 * capability MSR allows: bits 31:0 must be 1 where set, bits 63:32 may be
 * 1 where set (SDM Vol. 3D A.3). Returns -EOPNOTSUPP if @min is not
 * allowed.
 */
static int adjust_controls(u32 min, u32 opt, u32 msr, u32 *result)
{
	u32 must, may;
	u64 val;

	if (rdmsrl_safe(msr, &val))
		return -EOPNOTSUPP;
	must = (u32)val;
	may = (u32)(val >> 32);
	if (min & ~may)
		return -EOPNOTSUPP;
	*result = ((min | opt) & may) | must;
	return 0;
}

static int refuse_control(const char *which, u32 min, u32 msr)
{
	u64 val = 0;

	rdmsrl_safe(msr, &val);
	pr_err("mvm: VMX cannot be used: %s controls %#x not all allowed (capability %#llx)\n",
	       which, min, val);
	return -EOPNOTSUPP;
}

u32 mvm_xsave_size_for(u64 xcr0)
{
	u32 size = 512 + 64, eax, ebx, ecx, edx;
	unsigned int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, ebx + eax);
	}
	return size;
}

int vmx_setup_vmcs_config(void)
{
	struct vmcs_config *c = &vmcs_config;
	u32 min, opt, pin_msr, proc_msr, exit_msr, entry_msr;
	u64 basic, ept, xcr0, msr;

	rdmsrl(MVMX_MSR_BASIC, basic);
	c->revision_id = basic & MVMX_BASIC_REVISION_MASK;
	c->vmcs_size = MVMX_BASIC_VMCS_SIZE(basic);
	c->inout_info = basic & MVMX_BASIC_INOUT;
	if (c->vmcs_size > PAGE_SIZE)
		return vmx_refuse("VMCS region larger than a page");

	/* The "true" MSRs let default-1 controls such as CR3-load exiting
	 * be cleared (SDM Vol. 3D A.2). */
	if (basic & MVMX_BASIC_TRUE_CTLS) {
		pin_msr = MVMX_MSR_TRUE_PINBASED_CTLS;
		proc_msr = MVMX_MSR_TRUE_PROCBASED_CTLS;
		exit_msr = MVMX_MSR_TRUE_EXIT_CTLS;
		entry_msr = MVMX_MSR_TRUE_ENTRY_CTLS;
	} else {
		pin_msr = MVMX_MSR_PINBASED_CTLS;
		proc_msr = MVMX_MSR_PROCBASED_CTLS;
		exit_msr = MVMX_MSR_EXIT_CTLS;
		entry_msr = MVMX_MSR_ENTRY_CTLS;
	}

	/* The preemption timer bounds each stay in the guest, so a guest
	 * cannot keep a CPU even where interrupts fail to make it exit. */
	min = MVMX_PIN_EXT_INTR | MVMX_PIN_NMI;
	if (adjust_controls(min, MVMX_PIN_PREEMPTION_TIMER, pin_msr, &c->pin))
		return refuse_control("pin-based", min, pin_msr);
	if (c->pin & MVMX_PIN_PREEMPTION_TIMER) {
		u64 misc;

		rdmsrl(MVMX_MSR_MISC, misc);
		/* It counts down at the TSC rate >> MISC[4:0] (SDM Vol. 3C
		 * 26.5.1): 10 ms per entry. Host interrupts (the tick, a
		 * kick) make the guest exit anyway; the timer only bounds a
		 * stay where they would not, and a shorter one costs a
		 * Linux guest's boot tens of thousands of exits. */
		c->preemption_ticks = max_t(u64, 1, ((u64)tsc_khz * 10) >>
					    (misc & 0x1f));
	}

	/* Exits that keep the guest off host state: HLT, MWAIT/MONITOR,
	 * RDPMC (host counters), CR8 (the host's TPR), debug registers,
	 * all port I/O, and MSRs through the bitmap. */
	min = MVMX_PROC_HLT | MVMX_PROC_MWAIT | MVMX_PROC_RDPMC |
	      MVMX_PROC_CR8_LOAD | MVMX_PROC_CR8_STORE | MVMX_PROC_MOV_DR |
	      MVMX_PROC_UNCOND_IO | MVMX_PROC_MSR_BITMAPS |
	      MVMX_PROC_MONITOR | MVMX_PROC_SECONDARY_CTLS |
	      MVMX_PROC_TSC_OFFSET;
	if (adjust_controls(min, 0, proc_msr, &c->proc))
		return refuse_control("processor-based", min, proc_msr);
	/* Interrupt-window exiting is turned on per entry, when an
	 * interrupt waits for the guest to become interruptible. */
	rdmsrl(proc_msr, msr);
	if (!(MVMX_CTL_ALLOWED1(msr) & MVMX_PROC_INTR_WINDOW))
		return vmx_refuse("interrupt-window exiting is not available");
	c->proc &= ~MVMX_PROC_INTR_WINDOW;
	if (c->proc & MVMX_PROC_TPR_SHADOW)
		return vmx_refuse("TPR shadow cannot be turned off");

	min = MVMX_PROC2_EPT | MVMX_PROC2_UNRESTRICTED_GUEST |
	      MVMX_PROC2_WBINVD;
	opt = MVMX_PROC2_VPID | MVMX_PROC2_RDTSCP | MVMX_PROC2_INVPCID;
	if (adjust_controls(min, opt, MVMX_MSR_PROCBASED_CTLS2, &c->proc2))
		return refuse_control("secondary", min,
				      MVMX_MSR_PROCBASED_CTLS2);

	min = MVMX_EXIT_HOST_64 | MVMX_EXIT_SAVE_EFER | MVMX_EXIT_LOAD_EFER |
	      MVMX_EXIT_SAVE_PAT | MVMX_EXIT_LOAD_PAT | MVMX_EXIT_SAVE_DEBUG;
	if (adjust_controls(min, 0, exit_msr, &c->exit))
		return refuse_control("VM-exit", min, exit_msr);
	c->exit &= ~MVMX_EXIT_ACK_INTR;

	/* Load debug controls: the guest runs with its own (inert) DR7 and
	 * DEBUGCTL, never the host's. */
	min = MVMX_ENTRY_LOAD_EFER | MVMX_ENTRY_LOAD_PAT |
	      MVMX_ENTRY_LOAD_DEBUG;
	if (adjust_controls(min, 0, entry_msr, &c->entry))
		return refuse_control("VM-entry", min, entry_msr);
	c->entry &= ~MVMX_ENTRY_IA32E;

	rdmsrl(MVMX_MSR_EPT_VPID_CAP, ept);
	c->invept_single = ept & MVMX_EPT_CAP_INVEPT_SINGLE;
	c->invept_all = ept & MVMX_EPT_CAP_INVEPT_ALL;
	c->vpid = (c->proc2 & MVMX_PROC2_VPID) &&
		  (ept & MVMX_VPID_CAP_INVVPID) &&
		  (ept & MVMX_VPID_CAP_INVVPID_SINGLE);
	if (!c->vpid)
		c->proc2 &= ~MVMX_PROC2_VPID;

	rdmsrl(MVMX_MSR_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MVMX_MSR_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MVMX_MSR_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MVMX_MSR_CR4_FIXED1, c->cr4_fixed1);

	/* A guest may use x87, SSE, AVX and AVX-512 state where the host
	 * has them on; not PKRU, AMX or supervisor states, whose registers
	 * would leak into the host. */
	c->xsave = boot_cpu_has(X86_FEATURE_XSAVE);
	xcr0 = c->xsave ? xgetbv(0) : XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	c->xcr0_allowed = xcr0 & (XFEATURE_MASK_FP | XFEATURE_MASK_SSE |
				  XFEATURE_MASK_YMM | XFEATURE_MASK_OPMASK |
				  XFEATURE_MASK_ZMM_Hi256 |
				  XFEATURE_MASK_Hi16_ZMM);
	c->xsave_size = mvm_xsave_size_for(c->xcr0_allowed);
	return 0;
}

unsigned long vmx_cr4_never(void)
{
	return X86_CR4_VMXE | X86_CR4_SMXE | X86_CR4_PKE | X86_CR4_CET |
	       BIT(24) /* PKS */ | (vmcs_config.xsave ? 0 : X86_CR4_OSXSAVE);
}

u64 mvm_guest_xcr0_allowed(void)
{
	return vmcs_config.xcr0_allowed;
}

bool vmx_xcr0_valid(u64 xcr0)
{
	u64 avx512 = XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 |
		     XFEATURE_MASK_Hi16_ZMM;

	/* x87 always on; AVX needs SSE; AVX-512 states all or none, and
	 * only with AVX; nothing mvm does not switch. */
	return (xcr0 & XFEATURE_MASK_FP) &&
	       !(xcr0 & ~vmcs_config.xcr0_allowed) &&
	       (!(xcr0 & XFEATURE_MASK_YMM) || (xcr0 & XFEATURE_MASK_SSE)) &&
	       (!(xcr0 & avx512) || ((xcr0 & avx512) == avx512 &&
				     (xcr0 & XFEATURE_MASK_YMM)));
}
