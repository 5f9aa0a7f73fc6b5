// SPDX-License-Identifier: GPL-2.0
/*
 * VM-exit handlers, one per basic exit reason, from a table indexed by the
 * reason; an unknown reason becomes an internal-error exit to userspace.
 *
 * vmx_handle_exit() runs right after the exit with preemption disabled
 * and the VMCS current; a handler that must sleep (pin a page, read guest
 * memory) returns VMX_EXIT_SLOW and continues in vmx_handle_exit_slow()
 * with preemption enabled, working only from what the exit saved in
 * struct vmx_vcpu.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "../irq.h"
#include "../trace.h"
#include "vmx.h"
#include "vmx_ops.h"

#define X86_UD	6
#define X86_GP	13

void vmx_queue_exception(struct vmx_vcpu *vmx, u8 vector, bool has_code,
			 u32 code)
{
	vmx->inject = true;
	vmx->inject_vector = vector;
	vmx->inject_has_code = has_code;
	vmx->inject_code = code;
}

static int inject_ud(struct vmx_vcpu *vmx)
{
	vmx_queue_exception(vmx, X86_UD, false, 0);
	return VMX_EXIT_RESUME;
}

static int inject_gp(struct vmx_vcpu *vmx)
{
	vmx_queue_exception(vmx, X86_GP, true, 0);
	return VMX_EXIT_RESUME;
}

/*
 * Step over the instruction that exited; it then no longer blocks events
 * (applied at the next entry). Needs no VMCS: usable when completing an
 * exit from process context.
 */
void vmx_skip_instruction(struct vmx_vcpu *vmx, u32 len)
{
	vmx->rip += len;
	if (!vmx->long_mode)
		vmx->rip &= 0xffffffffULL;
	vmx->regs_dirty = true;
	vmx->clear_intr_shadow = true;
}

static int skip(struct vmx_vcpu *vmx)
{
	vmx_skip_instruction(vmx, vmx->exit_insn_len);
	return VMX_EXIT_RESUME;
}

int vmx_exit_internal(struct vmx_vcpu *vmx, u32 suberror, const u8 *insn,
		      unsigned int len)
{
	struct mvm_run *run = vmx->vcpu->run;

	run->exit_reason = MVM_EXIT_INTERNAL_ERROR;
	memset(&run->internal, 0, sizeof(run->internal));
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	run->internal.data[0] = vmx->exit_reason;
	run->internal.data[1] = vmx->exit_qual;
	run->internal.data[2] = vmx->exit_gpa;
	run->internal.data[3] = vmx->rip;
	if (insn) {
		len = min_t(unsigned int, len, sizeof(run->internal.insn));
		memcpy(run->internal.insn, insn, len);
		run->internal.insn_len = len;
	}
	return VMX_EXIT_USER;
}

static int internal_error(struct vmx_vcpu *vmx, u32 suberror)
{
	return vmx_exit_internal(vmx, suberror, NULL, 0);
}

static int handle_unknown(struct vmx_vcpu *vmx)
{
	return internal_error(vmx, MVM_INTERNAL_UNKNOWN_EXIT);
}

#define X86_AC	17
#define X86_MC	18

/* Run the host's machine-check handler, as if the #MC hit the host. */
static void host_machine_check(void)
{
	asm volatile("int $0x12");
}

static int handle_exception_nmi(struct vmx_vcpu *vmx)
{
	u32 info = vmx->exit_intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	/* NMIs are the host's: send one to this CPU again (NMI delivery
	 * mode, also under x2APIC), to be taken once NMIs unblock. */
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		apic->send_IPI(smp_processor_id(), NMI_VECTOR);
		return VMX_EXIT_RESUME;
	}
	switch (vector) {
	case X86_MC:
		host_machine_check();
		return VMX_EXIT_RESUME;
	case X86_AC:
		/* Intercepted so that a guest cannot loop delivering #AC
		 * without ever exiting (CVE-2015-5307); given back to it. */
		vmx_queue_exception(vmx, X86_AC, true,
				    vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
		return VMX_EXIT_RESUME;
	}
	return handle_unknown(vmx);
}

static int handle_mce_during_entry(struct vmx_vcpu *vmx)
{
	host_machine_check();
	return handle_unknown(vmx);
}

static int handle_external_interrupt(struct vmx_vcpu *vmx)
{
	/* Taken by the host when the run loop enables interrupts. */
	return VMX_EXIT_RESUME;
}

static int handle_triple_fault(struct vmx_vcpu *vmx)
{
	vmx->vcpu->run->exit_reason = MVM_EXIT_SHUTDOWN;
	return VMX_EXIT_USER;
}

static int handle_cpuid(struct vmx_vcpu *vmx)
{
	u64 *g = vmx->vcpu->gprs;
	u32 a, b, c, d;

	mvm_cpuid_lookup(vmx->vcpu, (u32)g[MVM_RAX], (u32)g[MVM_RCX],
			 vmx_guest_cr4() & X86_CR4_OSXSAVE, vmx->xcr0,
			 &a, &b, &c, &d);
	g[MVM_RAX] = a;
	g[MVM_RBX] = b;
	g[MVM_RCX] = c;
	g[MVM_RDX] = d;
	return skip(vmx);
}

static int handle_hlt(struct vmx_vcpu *vmx)
{
	struct mvm_run *run = vmx->vcpu->run;

	vmx_skip_instruction(vmx, vmx->exit_insn_len);
	/* With interrupts on, the vCPU sleeps in the kernel until one is
	 * due (or returns at once when one is); with them off, nothing
	 * but INIT could wake it: that is userspace's to see. */
	if (vmx->rflags & X86_EFLAGS_IF) {
		if (mvm_lapic_pending_vector(vmx->vcpu) >= 0)
			return VMX_EXIT_RESUME;
		vmx->halted = true;
		return VMX_EXIT_SLOW;
	}
	run->exit_reason = MVM_EXIT_HLT;
	memset(&run->hlt, 0, sizeof(run->hlt));
	run->hlt.interrupts_enabled = 0;
	/* If userspace runs it again unchanged, it sleeps until INIT. */
	vmx->parked = true;
	return VMX_EXIT_USER;
}

/* The guest can take interrupts again: the next entry injects. */
static int handle_intr_window(struct vmx_vcpu *vmx)
{
	return VMX_EXIT_RESUME;
}

/* Where the data of an I/O exit sits in the run page. */
#define RUN_IO_DATA_OFFSET	512
#define RUN_IO_DATA_MAX		(PAGE_SIZE - RUN_IO_DATA_OFFSET)

static int handle_io(struct vmx_vcpu *vmx)
{
	struct mvm_run *run = vmx->vcpu->run;
	u64 q = vmx->exit_qual;
	u8 size = (q & 7) + 1;
	bool in = q & BIT(3);
	u16 port = q >> 16;	/* never re-read from the shared run page */

	vmx->io_size = size;
	vmx->io_in = in;
	run->exit_reason = MVM_EXIT_IO;
	memset(&run->io, 0, sizeof(run->io));
	run->io.direction = in ? MVM_IO_IN : MVM_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.data_offset = RUN_IO_DATA_OFFSET;

	if (q & BIT(4))		/* INS/OUTS: guest memory, process context */
		return VMX_EXIT_SLOW;

	if (port == MVM_GUEST_MARK_PORT) {
		struct mvm_vcpu *vcpu = vmx->vcpu;
		u64 *rax = &vcpu->gprs[MVM_RAX];

		atomic64_inc(&vcpu->vm->exits[MVM_STAT_EXIT_MARK]);
		if (in)
			*rax = size == 4 ? 0 : *rax & ~((1ULL << (size * 8)) - 1);
		else
			mvm_vm_guest_mark(vcpu, *rax & (size == 4 ? 0xffffffffULL :
						(1ULL << (size * 8)) - 1));
		return skip(vmx);
	}
	if (!in && mvm_ioeventfd_write(vmx->vcpu->vm, true, port,
				       size, vmx->vcpu->gprs[MVM_RAX] &
				       (size == 4 ? 0xffffffffULL :
					(1ULL << (size * 8)) - 1))) {
		atomic64_inc(&vmx->vcpu->vm->exits[MVM_STAT_EXIT_IOEVENTFD]);
		return skip(vmx);
	}
	atomic64_inc(&vmx->vcpu->vm->exits[MVM_STAT_EXIT_IO]);

	run->io.count = 1;
	vmx->io_string = false;
	vmx->io_count = 1;
	if (in) {
		vmx->pending = VMX_PENDING_IO_IN;
	} else {
		memcpy((u8 *)run + RUN_IO_DATA_OFFSET,
		       &vmx->vcpu->gprs[MVM_RAX], size);
		vmx->pending = VMX_PENDING_IO_OUT;
	}
	return VMX_EXIT_USER;
}

static int handle_cr(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit_qual;
	unsigned int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	u64 *g = vmx->vcpu->gprs;
	u64 val = g[reg];

	switch (type) {
	case 0:		/* MOV to CR */
		switch (cr) {
		case 0: {
			u64 old = vmx_guest_cr0();

			if ((val >> 32) ||
			    ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
			    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
				return inject_gp(vmx);
			vmcs_writel(CR0_READ_SHADOW, val);
			vmcs_writel(GUEST_CR0,
				    (val | (vmcs_config.cr0_fixed0 &
					    ~(X86_CR0_PE | X86_CR0_PG))) &
				    vmcs_config.cr0_fixed1);
			/* Emulating the write, mvm also does what the CPU
			 * would: long mode turns on or off with paging. */
			if ((old ^ val) & X86_CR0_PG) {
				u64 efer = vmcs_read64(GUEST_IA32_EFER);
				u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);

				if ((val & X86_CR0_PG) && (efer & EFER_LME)) {
					efer |= EFER_LMA;
					entry |= MVMX_ENTRY_IA32E;
				} else if (!(val & X86_CR0_PG)) {
					efer &= ~EFER_LMA;
					entry &= ~MVMX_ENTRY_IA32E;
				}
				vmcs_write64(GUEST_IA32_EFER, efer);
				vmcs_write32(VM_ENTRY_CONTROLS, entry);
				if ((val & X86_CR0_PG) &&
				    (vmx_guest_cr4() & X86_CR4_PAE) &&
				    !(efer & EFER_LMA)) {
					vmx_skip_instruction(vmx,
							     vmx->exit_insn_len);
					vmx->snap.cr3 = vmcs_readl(GUEST_CR3);
					vmx->exit_reason = MVMX_EXIT_PDPTE_LOAD;
					return VMX_EXIT_SLOW;
				}
			}
			return skip(vmx);
		}
		case 3:
			vmcs_writel(GUEST_CR3, val);
			return skip(vmx);
		case 4: {
			unsigned long owned = vmcs_readl(CR4_GUEST_HOST_MASK);

			if ((val & vmx_cr4_never()) ||
			    (val & owned & ~vmcs_config.cr4_fixed1))
				return inject_gp(vmx);
			vmcs_writel(CR4_READ_SHADOW, val);
			vmcs_writel(GUEST_CR4, val | vmcs_config.cr4_fixed0);
			return skip(vmx);
		}
		case 8:
			if (val & ~0xfULL)
				return inject_gp(vmx);
			mvm_lapic_set_cr8(vmx->vcpu, val);
			return skip(vmx);
		}
		break;
	case 1:		/* MOV from CR */
		switch (cr) {
		case 3:
			val = vmcs_readl(GUEST_CR3);
			break;
		case 8:
			val = mvm_lapic_get_cr8(vmx->vcpu);
			break;
		default:
			return handle_unknown(vmx);
		}
		g[reg] = val;
		return skip(vmx);
	}
	/* CLTS and LMSW touch no bit mvm owns, so they never exit. */
	return handle_unknown(vmx);
}

static int handle_dr(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit_qual;
	unsigned int dr = q & 7, reg = (q >> 8) & 15;
	bool from = q & BIT(4);
	u64 *g = vmx->vcpu->gprs;
	u64 val;

	/* DR4/DR5 alias DR6/DR7 unless CR4.DE (SDM Vol. 3B 18.2.2). */
	if (dr == 4 || dr == 5) {
		if (vmx_guest_cr4() & X86_CR4_DE)
			return inject_ud(vmx);
		dr += 2;
	}
	if (from) {
		g[reg] = dr < 4 ? vmx->dr[dr] : dr == 6 ? vmx->dr6 : vmx->dr7;
		return skip(vmx);
	}
	val = g[reg];
	/* Debug registers are virtual: the guest's breakpoints are kept
	 * but never armed in hardware, so they cannot hit the host. */
	if (dr < 4) {
		vmx->dr[dr] = val;
	} else if (dr == 6) {
		if (val >> 32)
			return inject_gp(vmx);
		vmx->dr6 = (val & 0x1e00f) | 0xffff0ff0;
	} else {
		if (val >> 32)
			return inject_gp(vmx);
		vmx->dr7 = (val & 0xffff2bff) | 0x400;
	}
	return skip(vmx);
}

static int handle_rdmsr(struct vmx_vcpu *vmx)
{
	u64 *g = vmx->vcpu->gprs;
	u64 data;

	if (vmx_guest_rdmsr(vmx, (u32)g[MVM_RCX], &data))
		return inject_gp(vmx);
	g[MVM_RAX] = (u32)data;
	g[MVM_RDX] = data >> 32;
	return skip(vmx);
}

static int handle_wrmsr(struct vmx_vcpu *vmx)
{
	u64 *g = vmx->vcpu->gprs;
	u32 index = g[MVM_RCX];
	u64 data = (u32)g[MVM_RAX] | (g[MVM_RDX] << 32);

	if (index == MSR_EFER) {
		u64 old = vmcs_read64(GUEST_IA32_EFER);

		/* LMA is read-only, and LME cannot change with paging on
		 * (SDM Vol. 3A 10.8.5). */
		data = (data & ~EFER_LMA) | (old & EFER_LMA);
		if (((data ^ old) & EFER_LME) &&
		    (vmx_guest_cr0() & X86_CR0_PG))
			return inject_gp(vmx);
	}
	if (vmx_guest_wrmsr(vmx, index, data))
		return inject_gp(vmx);
	return skip(vmx);
}

static int handle_xsetbv(struct vmx_vcpu *vmx)
{
	u64 *g = vmx->vcpu->gprs;
	u64 xcr0 = (u32)g[MVM_RAX] | (g[MVM_RDX] << 32);

	/* Without host XSAVE the guest cannot set CR4.OSXSAVE, so the CPU
	 * gives #UD before any exit; refuse anyway. */
	if (!vmcs_config.xsave)
		return inject_ud(vmx);
	/* Only XCR0 exists. */
	if ((u32)g[MVM_RCX] != 0 || !vmx_xcr0_valid(xcr0))
		return inject_gp(vmx);
	/* Loaded at the next VM entry (run.c switches XCR0 only around
	 * entry and exit); the registers keep every allowed component. */
	vmx->xcr0 = xcr0;
	return skip(vmx);
}

static int handle_ept_violation(struct vmx_vcpu *vmx)
{
	return VMX_EXIT_SLOW;
}

static int handle_ept_misconfig(struct vmx_vcpu *vmx)
{
	/* mvm never writes a misconfigured entry; say so loudly. */
	return internal_error(vmx, MVM_INTERNAL_UNKNOWN_EXIT);
}

typedef int (*exit_handler_t)(struct vmx_vcpu *vmx);

static const exit_handler_t exit_handlers[MVMX_EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXCEPTION_NMI]	= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	/* The slice ended: the loop checks for signals and rescheduling. */
	[EXIT_REASON_PREEMPTION_TIMER]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]	= handle_triple_fault,
	[EXIT_REASON_CPUID]		= handle_cpuid,
	[EXIT_REASON_HLT]		= handle_hlt,
	[EXIT_REASON_INTERRUPT_WINDOW]	= handle_intr_window,
	/* INVD would drop the host's dirty cache lines: a no-op instead,
	 * as is WBINVD, whose flush would only slow the host. */
	[EXIT_REASON_INVD]		= skip,
	[EXIT_REASON_WBINVD]		= skip,
	/* No performance counters, no nested VMX, no SGX, no SMX. */
	[EXIT_REASON_RDPMC]		= inject_gp,
	[EXIT_REASON_GETSEC]		= inject_ud,
	[EXIT_REASON_VMCALL]		= inject_ud,
	[EXIT_REASON_VMCLEAR]		= inject_ud,
	[EXIT_REASON_VMLAUNCH]		= inject_ud,
	[EXIT_REASON_VMPTRLD]		= inject_ud,
	[EXIT_REASON_VMPTRST]		= inject_ud,
	[EXIT_REASON_VMREAD]		= inject_ud,
	[EXIT_REASON_VMRESUME]		= inject_ud,
	[EXIT_REASON_VMWRITE]		= inject_ud,
	[EXIT_REASON_VMXOFF]		= inject_ud,
	[EXIT_REASON_VMXON]		= inject_ud,
	[EXIT_REASON_INVEPT]		= inject_ud,
	[EXIT_REASON_INVVPID]		= inject_ud,
	[EXIT_REASON_VMFUNC]		= inject_ud,
	[EXIT_REASON_ENCLS]		= inject_ud,
	/* MONITOR/MWAIT are not offered in CPUID. */
	[EXIT_REASON_MWAIT]		= inject_ud,
	[EXIT_REASON_MONITOR]		= inject_ud,
	[EXIT_REASON_CR_ACCESS]		= handle_cr,
	[EXIT_REASON_DR_ACCESS]		= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]	= handle_io,
	[EXIT_REASON_MSR_READ]		= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]		= handle_wrmsr,
	[EXIT_REASON_XSETBV]		= handle_xsetbv,
	[EXIT_REASON_EPT_VIOLATION]	= handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]	= handle_ept_misconfig,
	[EXIT_REASON_MCE_DURING_ENTRY]	= handle_mce_during_entry,
};

/* The statistics bucket of an exit reason. */
static unsigned int exit_stat(struct vmx_vcpu *vmx, u32 reason)
{
	switch (reason) {
	case EXIT_REASON_HLT:			return MVM_STAT_EXIT_HLT;
	case EXIT_REASON_CPUID:			return MVM_STAT_EXIT_CPUID;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		return mvm_lapic_is_msr((u32)vmx->vcpu->gprs[MVM_RCX]) ?
		       MVM_STAT_EXIT_APIC : MVM_STAT_EXIT_MSR;
	case EXIT_REASON_PREEMPTION_TIMER:	return MVM_STAT_EXIT_PREEMPT;
	case EXIT_REASON_INTERRUPT_WINDOW:	return MVM_STAT_EXIT_INTR_WINDOW;
	case EXIT_REASON_CR_ACCESS:		return MVM_STAT_EXIT_CR;
	case EXIT_REASON_EXTERNAL_INTERRUPT:	return MVM_STAT_EXIT_EXTINT;
	}
	return MVM_STAT_EXIT_OTHER;
}

int vmx_handle_exit(struct vmx_vcpu *vmx)
{
	struct mvm_vcpu *vcpu = vmx->vcpu;
	u32 reason = vmx->exit_reason;

	trace_exit(vcpu->vm->id, vcpu->id, reason, vmx->rip, vmx->exit_qual);

	if (reason & MVMX_EXIT_REASON_FAILED_ENTRY) {
		if ((reason & 0xffff) == EXIT_REASON_MCE_DURING_ENTRY)
			host_machine_check();
		vcpu->run->exit_reason = MVM_EXIT_FAIL_ENTRY;
		memset(&vcpu->run->fail_entry, 0, sizeof(vcpu->run->fail_entry));
		vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
		vcpu->run->fail_entry.cpu = smp_processor_id();
		return VMX_EXIT_USER;
	}
	reason &= 0xffff;
	/* EPT violations are counted once known to be MMIO or RAM, I/O
	 * once its port is known. */
	if (reason != EXIT_REASON_EPT_VIOLATION &&
	    reason != EXIT_REASON_IO_INSTRUCTION)
		atomic64_inc(&vcpu->vm->exits[exit_stat(vmx, reason)]);
	if (reason > MVMX_EXIT_REASON_MAX || !exit_handlers[reason])
		return handle_unknown(vmx);
	return exit_handlers[reason](vmx);
}
