// SPDX-License-Identifier: GPL-2.0
/*
 * Register and state access for the vCPU ioctls: GPRs, segments and
 * control registers, MSRs, FPU. Each call loads the VMCS on this CPU with
 * preemption off for the time it touches it.
 */
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <asm/fpu/types.h>
#include <asm/processor-flags.h>

#include "vmx.h"
#include "vmx_ops.h"

static void vmcs_get(struct vmx_vcpu *vmx)
{
	preempt_disable();
	vmx_vcpu_load(vmx);
}

static void vmcs_put(void)
{
	preempt_enable();
}

unsigned long vmx_guest_cr0(void)
{
	unsigned long mask = vmcs_readl(CR0_GUEST_HOST_MASK);

	return (vmcs_readl(GUEST_CR0) & ~mask) |
	       (vmcs_readl(CR0_READ_SHADOW) & mask);
}

unsigned long vmx_guest_cr4(void)
{
	unsigned long mask = vmcs_readl(CR4_GUEST_HOST_MASK);

	return (vmcs_readl(GUEST_CR4) & ~mask) |
	       (vmcs_readl(CR4_READ_SHADOW) & mask);
}

static void vmx_get_regs(struct mvm_vcpu *vcpu, struct mvm_regs *r)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const u64 *g = vcpu->gprs;

	r->rax = g[MVM_RAX]; r->rbx = g[MVM_RBX];
	r->rcx = g[MVM_RCX]; r->rdx = g[MVM_RDX];
	r->rsi = g[MVM_RSI]; r->rdi = g[MVM_RDI];
	r->rsp = g[MVM_RSP]; r->rbp = g[MVM_RBP];
	r->r8 = g[MVM_R8];   r->r9 = g[MVM_R9];
	r->r10 = g[MVM_R10]; r->r11 = g[MVM_R11];
	r->r12 = g[MVM_R12]; r->r13 = g[MVM_R13];
	r->r14 = g[MVM_R14]; r->r15 = g[MVM_R15];
	r->rip = vmx->rip;
	r->rflags = vmx->rflags;
}

/* RFLAGS bits software may set: all defined ones but VM (no virtual-8086
 * mode under unrestricted guest entry rules) and the reserved ones. */
#define RFLAGS_SETTABLE	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | \
			 X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			 X86_EFLAGS_AC | X86_EFLAGS_VIF | X86_EFLAGS_VIP | \
			 X86_EFLAGS_ID)

static int vmx_set_regs(struct mvm_vcpu *vcpu, const struct mvm_regs *r)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 *g = vcpu->gprs;

	if ((r->rflags & ~RFLAGS_SETTABLE) != X86_EFLAGS_FIXED)
		return -EINVAL;
	g[MVM_RAX] = r->rax; g[MVM_RBX] = r->rbx;
	g[MVM_RCX] = r->rcx; g[MVM_RDX] = r->rdx;
	g[MVM_RSI] = r->rsi; g[MVM_RDI] = r->rdi;
	g[MVM_RSP] = r->rsp; g[MVM_RBP] = r->rbp;
	g[MVM_R8] = r->r8;   g[MVM_R9] = r->r9;
	g[MVM_R10] = r->r10; g[MVM_R11] = r->r11;
	g[MVM_R12] = r->r12; g[MVM_R13] = r->r13;
	g[MVM_R14] = r->r14; g[MVM_R15] = r->r15;
	vmx->rip = r->rip;
	vmx->rflags = r->rflags;
	vmx->regs_dirty = true;
	/* Userspace took over: an exit it did not complete is dropped. */
	vmx->pending = VMX_PENDING_NONE;
	return 0;
}

/* Segment registers in VMCS order: ES CS SS DS FS GS LDTR TR. */
static const u16 seg_sel[8] = {
	GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
	GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
	GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR,
};

static void get_seg(int i, struct mvm_segment *s)
{
	u32 ar;

	memset(s, 0, sizeof(*s));
	s->selector = __vmcs_read(seg_sel[i]);
	s->base = __vmcs_read(GUEST_ES_BASE + 2 * i);
	s->limit = __vmcs_read(GUEST_ES_LIMIT + 2 * i);
	ar = __vmcs_read(GUEST_ES_AR_BYTES + 2 * i);
	s->type = ar & VMX_AR_TYPE_MASK;
	s->s = !!(ar & VMX_AR_S);
	s->dpl = (ar >> VMX_AR_DPL_SHIFT) & 3;
	s->present = !!(ar & VMX_AR_P);
	s->avl = !!(ar & VMX_AR_AVL);
	s->l = !!(ar & VMX_AR_L);
	s->db = !!(ar & VMX_AR_DB);
	s->g = !!(ar & VMX_AR_G);
	s->unusable = !!(ar & VMX_AR_UNUSABLE);
}

static void set_seg(int i, const struct mvm_segment *s)
{
	u32 ar = s->type | (s->s ? VMX_AR_S : 0) | (s->dpl << VMX_AR_DPL_SHIFT) |
		 (s->present ? VMX_AR_P : 0) | (s->avl ? VMX_AR_AVL : 0) |
		 (s->l ? VMX_AR_L : 0) | (s->db ? VMX_AR_DB : 0) | (s->g ? VMX_AR_G : 0) |
		 (s->unusable ? VMX_AR_UNUSABLE : 0);

	__vmcs_write(seg_sel[i], s->selector);
	__vmcs_write(GUEST_ES_BASE + 2 * i, s->base);
	__vmcs_write(GUEST_ES_LIMIT + 2 * i, s->limit);
	__vmcs_write(GUEST_ES_AR_BYTES + 2 * i, ar);
}

static void vmx_get_sregs(struct mvm_vcpu *vcpu, struct mvm_sregs *sr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmcs_get(vmx);
	get_seg(0, &sr->es);
	get_seg(1, &sr->cs);
	get_seg(2, &sr->ss);
	get_seg(3, &sr->ds);
	get_seg(4, &sr->fs);
	get_seg(5, &sr->gs);
	get_seg(6, &sr->ldt);
	get_seg(7, &sr->tr);
	sr->gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	sr->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	sr->idt.base = vmcs_readl(GUEST_IDTR_BASE);
	sr->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	sr->cr0 = vmx_guest_cr0();
	sr->cr2 = vmx->cr2;
	sr->cr3 = vmcs_readl(GUEST_CR3);
	sr->cr4 = vmx_guest_cr4();
	sr->cr8 = mvm_lapic_get_cr8(vcpu);
	sr->efer = vmcs_read64(GUEST_IA32_EFER);
	sr->apic_base = vcpu->lapic.apic_base;
	vmcs_put();
}

static int vmx_set_sregs(struct mvm_vcpu *vcpu, const struct mvm_sregs *sr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 efer = sr->efer;
	bool pae_paging;
	u64 pdptes[4];
	u32 entry;

	/* Refuse what the hardware would refuse at entry, with a clear
	 * errno now rather than a failed entry later. */
	if ((sr->cr0 >> 32) || (sr->cr4 & vmx_cr4_never()) ||
	    (sr->cr4 & ~vmcs_config.cr4_fixed1 & ~X86_CR4_VMXE) ||
	    ((sr->cr0 & X86_CR0_PG) && !(sr->cr0 & X86_CR0_PE)) ||
	    (sr->cr8 & ~0xfULL) ||
	    (efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)))
		return -EINVAL;
	/* LMA follows LME and paging, as the CPU would set it. */
	if ((efer & EFER_LME) && (sr->cr0 & X86_CR0_PG))
		efer |= EFER_LMA;
	else
		efer &= ~EFER_LMA;
	if ((efer & EFER_LMA) && !(sr->cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* x2APIC at the default base is the only mode. */
	if (sr->apic_base != vcpu->lapic.apic_base &&
	    mvm_lapic_wrmsr(vcpu, MSR_IA32_APICBASE, sr->apic_base))
		return -EINVAL;

	/* PAE paging outside long mode: the CPU takes the PDPTEs from the
	 * VMCS at entry, so read them from guest memory now. */
	pae_paging = (sr->cr0 & X86_CR0_PG) && (sr->cr4 & X86_CR4_PAE) &&
		     !(efer & EFER_LMA);
	if (pae_paging &&
	    mvm_vm_read_gpa(vcpu->vm, sr->cr3 & 0xffffffe0ULL, pdptes,
			    sizeof(pdptes)))
		return -EFAULT;

	vmcs_get(vmx);
	set_seg(0, &sr->es);
	set_seg(1, &sr->cs);
	set_seg(2, &sr->ss);
	set_seg(3, &sr->ds);
	set_seg(4, &sr->fs);
	set_seg(5, &sr->gs);
	set_seg(6, &sr->ldt);
	set_seg(7, &sr->tr);
	vmcs_writel(GUEST_GDTR_BASE, sr->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, sr->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, sr->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, sr->idt.limit);

	vmcs_writel(CR0_READ_SHADOW, sr->cr0);
	vmcs_writel(GUEST_CR0, (sr->cr0 | (vmcs_config.cr0_fixed0 &
					   ~(X86_CR0_PE | X86_CR0_PG))) &
				vmcs_config.cr0_fixed1);
	vmcs_writel(GUEST_CR3, sr->cr3);
	vmcs_writel(CR4_READ_SHADOW, sr->cr4);
	vmcs_writel(GUEST_CR4, sr->cr4 | vmcs_config.cr4_fixed0);
	vmcs_write64(GUEST_IA32_EFER, efer);
	entry = vmcs_read32(VM_ENTRY_CONTROLS);
	if (efer & EFER_LMA)
		entry |= MVMX_ENTRY_IA32E;
	else
		entry &= ~MVMX_ENTRY_IA32E;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
	vmx->long_mode = efer & EFER_LMA;
	if (pae_paging) {
		vmcs_write64(GUEST_PDPTE0, pdptes[0]);
		vmcs_write64(GUEST_PDPTE1, pdptes[1]);
		vmcs_write64(GUEST_PDPTE2, pdptes[2]);
		vmcs_write64(GUEST_PDPTE3, pdptes[3]);
	}
	vmcs_put();

	vmx->cr2 = sr->cr2;
	mvm_lapic_set_cr8(vcpu, sr->cr8);
	vmx->pending = VMX_PENDING_NONE;
	vmx->parked = false;
	return 0;
}

static int vmx_get_msr(struct mvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int ret;

	vmcs_get(vmx);
	ret = vmx_guest_rdmsr(vmx, index, data);
	vmcs_put();
	return ret;
}

static int vmx_set_msr(struct mvm_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int ret;

	vmcs_get(vmx);
	ret = vmx_guest_wrmsr(vmx, index, data);
	if (!ret && index == MSR_EFER)
		vmx->long_mode = data & EFER_LMA;
	vmcs_put();
	return ret;
}

static int vmx_get_fpu(struct mvm_vcpu *vcpu, void *xsave, u64 *xcr0)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	memcpy(xsave, vmx->xsave, vmcs_config.xsave_size);
	*xcr0 = vmx->xcr0;
	return 0;
}

/*
 * Accept only an area XRSTOR will load without faulting (SDM Vol. 1
 * 13.8.1): standard format, XSTATE_BV within XCR0, reserved header bytes
 * zero, no reserved MXCSR bit.
 */
static int vmx_set_fpu(struct mvm_vcpu *vcpu, const void *xsave, u64 xcr0)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const u64 *hdr = xsave + 512;
	u32 mxcsr = *(const u32 *)(xsave + 24);
	unsigned int i;

	/* Loaded with XSETBV before the guest runs: it must be a value
	 * XSETBV takes, or the host would fault. */
	if (!vmx_xcr0_valid(xcr0))
		return -EINVAL;
	if ((hdr[0] & ~xcr0) || hdr[1])
		return -EINVAL;
	for (i = 2; i < 8; i++)
		if (hdr[i])
			return -EINVAL;
	if (mxcsr & ~mvm_vmx_mxcsr_mask)
		return -EINVAL;
	memcpy(vmx->xsave, xsave, vmcs_config.xsave_size);
	vmx->xcr0 = xcr0;
	return 0;
}

const struct mvm_backend_ops mvm_vmx_ops = {
	.vm_init	= vmx_vm_init,
	.vm_destroy	= vmx_vm_destroy,
	.vm_unmap	= vmx_ept_unmap,
	.vcpu_init	= vmx_vcpu_init,
	.vcpu_destroy	= vmx_vcpu_destroy,
	.vcpu_run	= vmx_vcpu_run,
	.get_regs	= vmx_get_regs,
	.set_regs	= vmx_set_regs,
	.get_sregs	= vmx_get_sregs,
	.set_sregs	= vmx_set_sregs,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.get_fpu	= vmx_get_fpu,
	.set_fpu	= vmx_set_fpu,
};
