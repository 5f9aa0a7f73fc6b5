// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop of a vCPU.
 *
 * MVM_RUN completes what userspace answered, then alternates between two
 * levels until an exit needs userspace:
 *  - the outer level, preemptible, where slow exits are handled and the
 *    task may be rescheduled or migrated;
 *  - the inner level (vmx_run_atomic), with preemption off and the guest's
 *    FPU and syscall MSRs loaded, which enters the guest, handles fast
 *    exits in place, and leaves on a slow exit, an exit to userspace, a
 *    signal or a reschedule request.
 *
 * Host state the VMCS does not restore on exit is saved when the inner
 * level starts and put back when it ends: DS/ES/FS/GS selectors and LDT,
 * the FS and kernel GS bases, STAR/LSTAR/CSTAR/SFMASK/TSC_AUX, the FPU
 * registers (through kernel_fpu_begin()), and the GDT and TSS
 * limits the exit sets to their maximum and minimum.
 */
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/sched/signal.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/special_insns.h>

#include "../trace.h"
#include "../vm.h"
#include "vmx.h"
#include "vmx_ops.h"

struct host_state {
	unsigned long dr7;
	u64 debugctl;
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base, kernel_gs_base;
	u64 star, lstar, cstar, sfmask, tsc_aux;
	u64 xcr0;
};

/*
 * XSAVE/XRSTOR of the guest's FPU state, under the host's XCR0 and for
 * every component a guest may have (vmcs_config.xcr0_allowed), whatever
 * its own XCR0 says: SSE registers, for one, are live without XCR0[1].
 * The area was validated when userspace set it; a fault only resets it.
 */
static void guest_fpu_load(struct vmx_vcpu *vmx)
{
	u32 lo = vmcs_config.xcr0_allowed, hi = vmcs_config.xcr0_allowed >> 32;
	int err = 0;

	if (!boot_cpu_has(X86_FEATURE_XSAVE)) {
		asm volatile("1: fxrstorq %[a]\n"
			     "2:\n"
			     _ASM_EXTABLE(1b, 2b)
			     :: [a] "m" (*(u8 *)vmx->xsave) : "memory");
		return;
	}
	asm volatile("1: xrstor64 %[a]\n"
		     "   xor %[err], %[err]\n"
		     "   jmp 3f\n"
		     "2: mov $1, %[err]\n"
		     "3:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [err] "+r" (err)
		     : [a] "m" (*(u8 *)vmx->xsave), "a" (lo), "d" (hi)
		     : "memory");
	if (err) {
		/* Start over from the init state (XSTATE_BV = 0). */
		memset(vmx->xsave + 512, 0, 64);
		asm volatile("xrstor64 %[a]"
			     :: [a] "m" (*(u8 *)vmx->xsave), "a" (lo), "d" (hi)
			     : "memory");
	}
}

static void guest_fpu_save(struct vmx_vcpu *vmx)
{
	u32 lo = vmcs_config.xcr0_allowed, hi = vmcs_config.xcr0_allowed >> 32;

	if (!boot_cpu_has(X86_FEATURE_XSAVE)) {
		asm volatile("fxsaveq %[a]" : [a] "=m" (*(u8 *)vmx->xsave)
			     :: "memory");
		return;
	}
	asm volatile("xsave64 %[a]"
		     : [a] "+m" (*(u8 *)vmx->xsave)
		     : "a" (lo), "d" (hi) : "memory");
}

static void load_guest_state(struct vmx_vcpu *vmx, struct host_state *h)
{
	/* Exits set DR7 to 0x400 and clear DEBUGCTL: keep the host's. */
	get_debugreg(h->dr7, 7);
	h->debugctl = get_debugctlmsr();
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=r" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	rdmsrl(MSR_STAR, h->star);
	rdmsrl(MSR_LSTAR, h->lstar);
	rdmsrl(MSR_CSTAR, h->cstar);
	rdmsrl(MSR_SYSCALL_MASK, h->sfmask);
	if (boot_cpu_has(X86_FEATURE_RDTSCP))
		rdmsrl(MSR_TSC_AUX, h->tsc_aux);

	/* The exit loads FS base from HOST_FS_BASE: the task's own. */
	if (vmx->host_fs_base != h->fs_base) {
		vmcs_writel(HOST_FS_BASE, h->fs_base);
		vmx->host_fs_base = h->fs_base;
	}

	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_STAR, vmx->star);
	wrmsrl(MSR_LSTAR, vmx->lstar);
	wrmsrl(MSR_CSTAR, vmx->cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	if (boot_cpu_has(X86_FEATURE_RDTSCP))
		wrmsrl(MSR_TSC_AUX, vmx->tsc_aux);

	/* The guest's XCR0 is loaded only around VM entry, with
	 * interrupts off: host code never runs under it. */
	h->xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ?
		  xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	guest_fpu_load(vmx);
}

static void put_host_state(struct vmx_vcpu *vmx, struct host_state *h)
{
	guest_fpu_save(vmx);

	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	rdmsrl(MSR_STAR, vmx->star);
	rdmsrl(MSR_LSTAR, vmx->lstar);
	rdmsrl(MSR_CSTAR, vmx->cstar);
	rdmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	wrmsrl(MSR_STAR, h->star);
	wrmsrl(MSR_LSTAR, h->lstar);
	wrmsrl(MSR_CSTAR, h->cstar);
	wrmsrl(MSR_SYSCALL_MASK, h->sfmask);
	if (boot_cpu_has(X86_FEATURE_RDTSCP)) {
		rdmsrl(MSR_TSC_AUX, vmx->tsc_aux);
		wrmsrl(MSR_TSC_AUX, h->tsc_aux);
	}

	/* Exits leave DS/ES/FS/GS null and LDTR unusable. Loading GS
	 * changes the kernel GS base, so it is written after. */
	if (h->ldt)
		asm volatile("lldt %0" :: "r" (h->ldt));
	loadsegment(ds, h->ds);
	loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs)
		load_gs_index(h->gs);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);

	if (h->dr7 & ~0x400UL)
		set_debugreg(h->dr7, 7);
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);

	/* The exit set the GDT limit to 0xffff and the TR limit to 0x67. */
	load_fixmap_gdt(raw_smp_processor_id());
	invalidate_tss_limit();
}

/* Host values that can change between entries. */
static void update_host_state(struct vmx_vcpu *vmx)
{
	unsigned long cr3 = __read_cr3(), cr4 = __read_cr4();

	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_writel(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_writel(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
}

static void set_intr_window(struct vmx_vcpu *vmx, bool on)
{
	if (vmx->intr_window == on)
		return;
	vmx->intr_window = on;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, on ?
		     vmcs_config.proc | MVMX_PROC_INTR_WINDOW :
		     vmcs_config.proc);
}

/*
 * Inject the highest pending APIC interrupt if the guest can take it now
 * (RFLAGS.IF set, no STI or MOV SS shadow, no other event this entry);
 * else ask for an exit as soon as it can (SDM Vol. 3C 26.7.5).
 */
static void inject_interrupt(struct vmx_vcpu *vmx, bool event_queued)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	int vector = mvm_lapic_pending_vector(vcpu);

	if (vector < 0) {
		set_intr_window(vmx, false);
		return;
	}
	if (event_queued || !(vmx->rflags & X86_EFLAGS_IF) ||
	    (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
	     (GUEST_INTR_STI | GUEST_INTR_MOV_SS))) {
		set_intr_window(vmx, true);
		return;
	}
	mvm_lapic_accept(vcpu, vector);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		     vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID);
	vmx->injected = vector;
	atomic64_inc(&vcpu->vm->irqs_injected);
	set_intr_window(vmx, false);
}

static void prepare_entry(struct vmx_vcpu *vmx)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	s64 tsc_offset = READ_ONCE(vcpu->vm->tsc_offset);
	bool event_queued = false;

	vmx->injected = -1;

	if (vmx->regs_dirty) {
		vmcs_writel(GUEST_RIP, vmx->rip);
		vmcs_writel(GUEST_RSP, vcpu->gprs[MVM_RSP]);
		vmcs_writel(GUEST_RFLAGS, vmx->rflags);
		vmx->regs_dirty = false;
	}
	if (vmx->clear_intr_shadow) {
		u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

		if (intr & (GUEST_INTR_STI | GUEST_INTR_MOV_SS))
			vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
				     intr & ~(GUEST_INTR_STI |
					      GUEST_INTR_MOV_SS));
		vmx->clear_intr_shadow = false;
	}
	if (vmx->load_pdptes) {
		vmcs_write64(GUEST_PDPTE0, vmx->pdptes[0]);
		vmcs_write64(GUEST_PDPTE1, vmx->pdptes[1]);
		vmcs_write64(GUEST_PDPTE2, vmx->pdptes[2]);
		vmcs_write64(GUEST_PDPTE3, vmx->pdptes[3]);
		vmx->load_pdptes = false;
	}

	if (unlikely(tsc_offset != vmx->tsc_offset)) {
		vmcs_write64(TSC_OFFSET, tsc_offset);
		vmx->tsc_offset = tsc_offset;
	}

	/* An event whose delivery the exit interrupted is delivered again
	 * (SDM Vol. 3C 28.2.4); else a queued exception. */
	if (vmx->idt_vectoring & INTR_INFO_VALID) {
		event_queued = true;
		u32 type = vmx->idt_vectoring & INTR_INFO_TYPE_MASK;

		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
			     vmx->idt_vectoring & ~BIT(12));
		if (vmx->idt_vectoring & INTR_INFO_DELIVER_CODE)
			vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     vmx->idt_vectoring_code);
		/* Software interrupts and exceptions need the length. */
		if (type >= (4u << 8))
			vmcs_write32(VM_ENTRY_INSTRUCTION_LEN,
				     vmx->exit_insn_len);
		vmx->idt_vectoring = 0;
	} else if (vmx->inject) {
		u32 info = vmx->inject_vector | INTR_TYPE_HARD_EXCEPTION |
			   INTR_INFO_VALID;

		/* Real mode pushes no error code; entry would fail with
		 * one (SDM Vol. 3C 27.2.1.3). */
		if (vmx->inject_has_code &&
		    (vmcs_readl(GUEST_CR0) & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE;
			vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     vmx->inject_code);
		}
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
		vmx->inject = false;
		event_queued = true;
	}
	inject_interrupt(vmx, event_queued);
}

/* Read what the exit reported, while the VMCS is current. */
static void save_exit(struct vmx_vcpu *vmx)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	u32 reason;

	reason = vmcs_read32(VM_EXIT_REASON);
	vmx->exit_reason = reason;
	vmx->exit_qual = vmcs_readl(EXIT_QUALIFICATION);
	vmx->rip = vmcs_readl(GUEST_RIP);
	vcpu->gprs[MVM_RSP] = vmcs_readl(GUEST_RSP);
	vmx->rflags = vmcs_readl(GUEST_RFLAGS);
	vmx->exit_insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	vmx->exit_intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	vmx->idt_vectoring = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	if (vmx->idt_vectoring & INTR_INFO_DELIVER_CODE)
		vmx->idt_vectoring_code = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	vmx->long_mode = vmcs_read32(VM_ENTRY_CONTROLS) & MVMX_ENTRY_IA32E;

	switch (reason) {
	case EXIT_REASON_EPT_VIOLATION:
		vmx->exit_gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		if (!(vmx->exit_qual & BIT(4)))
			return;
		vmx->exit_insn_info = vmcs_read32(VMX_INSTRUCTION_INFO);
		/* INS always writes ES; OUTS reads the segment it names. */
		if (vmx->exit_qual & BIT(3))
			vmx->snap.seg_base = vmcs_readl(GUEST_ES_BASE);
		else
			vmx->snap.seg_base = __vmcs_read(GUEST_ES_BASE +
				2 * ((vmx->exit_insn_info >> 15) & 7));
		break;
	default:
		return;
	}
	vmx->snap.cr0 = vmcs_readl(GUEST_CR0);
	vmx->snap.cr3 = vmcs_readl(GUEST_CR3);
	vmx->snap.cr4 = vmcs_readl(GUEST_CR4);
	vmx->snap.efer = vmcs_read64(GUEST_IA32_EFER);
	vmx->snap.cs_base = vmcs_readl(GUEST_CS_BASE);
	vmx->snap.cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
	vmx->snap.ss_ar = vmcs_read32(GUEST_SS_AR_BYTES);
}

#define VMX_RESCHED	(-1000)	/* internal: leave the inner level */

static int vmx_run_atomic(struct vmx_vcpu *vmx, bool *first)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	struct host_state h;
	int ret;

	preempt_disable();
	kernel_fpu_begin();
	vmx_vcpu_load(vmx);
	load_guest_state(vmx, &h);

	for (;;) {
		local_irq_disable();
		if (need_resched() || signal_pending(current) ||
		    READ_ONCE(vcpu->run->immediate_exit)) {
			local_irq_enable();
			ret = VMX_RESCHED;
			break;
		}
		mvm_lapic_enter_guest(vcpu, smp_processor_id());
		/* An INIT is the outer level's to handle. */
		if (unlikely(mvm_lapic_has_events(vcpu))) {
			mvm_lapic_exit_guest(vcpu);
			local_irq_enable();
			ret = VMX_RESCHED;
			break;
		}
		update_host_state(vmx);
		prepare_entry(vmx);
		if (unlikely(*first)) {
			trace_vcpu_run(vcpu->vm->id, vcpu->id, vmx->rip);
			*first = false;
		}
		if (native_read_cr2() != vmx->cr2)
			native_write_cr2(vmx->cr2);
		if (vmx->xcr0 != h.xcr0 && vmcs_config.xsave)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, vmx->xcr0);

		ret = mvm_vmx_enter(vcpu->gprs, vmx->launched);

		if (vmx->xcr0 != h.xcr0 && vmcs_config.xsave)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, h.xcr0);
		mvm_lapic_exit_guest(vcpu);
		vmx->cr2 = native_read_cr2();
		if (unlikely(ret)) {
			u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

			/* The interrupt was not delivered: pending again. */
			if (vmx->injected >= 0)
				mvm_lapic_unaccept(vcpu, vmx->injected);

			local_irq_enable();
			pr_err_ratelimited("mvm: VM entry failed with VM-instruction error %u\n",
					   err);
			vcpu->run->exit_reason = MVM_EXIT_FAIL_ENTRY;
			memset(&vcpu->run->fail_entry, 0,
			       sizeof(vcpu->run->fail_entry));
			vcpu->run->fail_entry.hardware_entry_failure_reason =
				BIT_ULL(32) | err;
			vcpu->run->fail_entry.cpu = smp_processor_id();
			ret = VMX_EXIT_USER;
			break;
		}
		save_exit(vmx);
		/* After a failed entry the VMCS is still not launched. */
		if (!(vmx->exit_reason & MVMX_EXIT_REASON_FAILED_ENTRY))
			vmx->launched = true;
		local_irq_enable();

		ret = vmx_handle_exit(vmx);
		if (ret != VMX_EXIT_RESUME)
			break;
	}

	put_host_state(vmx, &h);
	kernel_fpu_end();
	preempt_enable();
	return ret;
}

/*
 * INIT and STARTUP (SDM Vol. 3A 9.4.4): INIT parks an AP in
 * wait-for-SIPI; STARTUP starts it in real mode at vector * 4 KiB.
 */
static int handle_init_sipi(struct vmx_vcpu *vmx)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	int vector;

	if (mvm_lapic_take_init(vcpu))
		vmx->pending = VMX_PENDING_NONE;
	if (!vcpu->lapic.wait_sipi)
		return 0;
	vector = mvm_lapic_wait_sipi(vcpu);
	if (vector < 0)
		return vector;

	memset(vcpu->gprs, 0, sizeof(vcpu->gprs));
	vmx->idt_vectoring = 0;
	vmx->inject = false;
	vmx->pending = VMX_PENDING_NONE;
	vmx->clear_intr_shadow = false;
	vmx->load_pdptes = false;
	vmx->halted = false;
	vmx->parked = false;
	preempt_disable();
	vmx_vcpu_load(vmx);
	vmx_vmcs_reset_guest(vmx);
	vmcs_write16(GUEST_CS_SELECTOR, vector << 8);
	vmcs_writel(GUEST_CS_BASE, vector << 12);
	vmcs_writel(GUEST_RIP, 0);
	vmx->rip = 0;
	set_intr_window(vmx, false);
	preempt_enable();
	return 0;
}

/* HLT with interrupts on: sleep until the APIC has something. */
static int halt_vcpu(struct vmx_vcpu *vmx)
{
	vmx->halted = false;
	atomic64_inc(&vmx->vcpu->vm->halts);
	mvm_lapic_halt(vmx->vcpu);
	/* A signal: the outer loop sees it and returns -EINTR. */
	return VMX_EXIT_RESUME;
}

int vmx_vcpu_run(struct mvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct mvm_run *run = vcpu->run;
	bool first = true;
	int ret;

	ret = vmx_complete_pending(vmx);
	if (ret)
		return ret;
	run->exit_reason = MVM_EXIT_UNKNOWN;

	/* Halted with interrupts off: only INIT (or a signal) wakes it. */
	if (vmx->parked) {
		if (mvm_lapic_wait_init(vcpu)) {
			run->exit_reason = MVM_EXIT_INTR;
			return -EINTR;
		}
		vmx->parked = false;
	}
	mvm_lapic_sync(vcpu);

	for (;;) {
		if (READ_ONCE(run->immediate_exit) || signal_pending(current)) {
			run->exit_reason = MVM_EXIT_INTR;
			return -EINTR;
		}
		if (unlikely(vcpu->lapic.wait_sipi ||
			     mvm_lapic_has_events(vcpu))) {
			if (handle_init_sipi(vmx)) {
				run->exit_reason = MVM_EXIT_INTR;
				return -EINTR;
			}
		}
		ret = vmx_run_atomic(vmx, &first);
		if (ret == VMX_EXIT_SLOW && vmx->halted)
			ret = halt_vcpu(vmx);
		else if (ret == VMX_EXIT_SLOW)
			ret = vmx_handle_exit_slow(vmx);
		if (ret == VMX_EXIT_USER) {
			atomic64_inc(&vcpu->vm->exits_to_user);
			return 0;
		}
		if (ret < 0 && ret != VMX_RESCHED)
			return ret;
		cond_resched();
	}
}
