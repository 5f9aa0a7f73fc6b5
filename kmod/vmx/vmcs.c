// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS contents: controls and host state, written once per vCPU, per CPU
 * the VMCS is loaded on, or per entry when the host value can change; and
 * the architectural reset state of the guest.
 */
#include <linux/sched.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>

#include "vmx.h"
#include "vmx_ops.h"

extern char mvm_vmx_vmexit[];

/* Base of the TSS that TR selects, from its 16-byte GDT descriptor. */
static unsigned long host_tss_base(unsigned long gdt_base)
{
	u16 tr;
	const u32 *d;

	asm volatile("str %0" : "=r" (tr));
	d = (const u32 *)(gdt_base + (tr & ~7));
	/* SDM Vol. 3A 8.2.3: base 15:0 in d[0] 31:16, 23:16 in d[1] 7:0,
	 * 31:24 in d[1] 31:24, 63:32 in d[2]. */
	return (d[0] >> 16) | ((d[1] & 0xff) << 16) |
	       (d[1] & 0xff000000) | ((unsigned long)d[2] << 32);
}

void vmx_vmcs_set_host_cpu_state(void)
{
	struct desc_ptr gdt, idt;
	u64 v;

	native_store_gdt(&gdt);
	store_idt(&idt);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_IDTR_BASE, idt.address);
	vmcs_writel(HOST_TR_BASE, host_tss_base(gdt.address));
	rdmsrl(MSR_GS_BASE, v);
	vmcs_writel(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write32(HOST_IA32_SYSENTER_CS, v);
}

/* CR0 bits the guest does not own: the fixed ones, but PE and PG, which
 * unrestricted guest frees (SDM Vol. 3C 24.8, 26.3.1.1). */
static unsigned long cr0_host_owned(void)
{
	return ((vmcs_config.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG)) |
		~vmcs_config.cr0_fixed1) & 0xffffffffUL;
}

/* CR4 bits the guest does not own: the fixed ones (VMXE), and those it
 * may never set (vmx_cr4_never()). */
static unsigned long cr4_host_owned(void)
{
	return vmcs_config.cr4_fixed0 | ~vmcs_config.cr4_fixed1 |
	       vmx_cr4_never();
}

void vmx_vmcs_setup(struct vmx_vcpu *vmx)
{
	struct mvm_vm *vm = vmx->vcpu->vm;
	u64 v;

	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmcs_config.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_config.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmcs_config.proc2);
	vmcs_write32(VM_EXIT_CONTROLS, vmcs_config.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_config.entry);
	/* #AC (a guest could loop delivering it forever) and #MC (the
	 * host's to handle) exit; every other exception is the guest's. */
	vmcs_write32(EXCEPTION_BITMAP, BIT(17) | BIT(18));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write64(EPT_POINTER, to_vmx_vm(vm)->eptp);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write64(TSC_OFFSET, vm->tsc_offset);
	vmx->tsc_offset = vm->tsc_offset;
	/* Without "save VMX-preemption timer value" every entry starts the
	 * timer from this field again (SDM Vol. 3C 26.7.4): one write. */
	if (vmcs_config.preemption_ticks)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
			     vmcs_config.preemption_ticks);
	if (vmcs_config.vpid && vmx->vpid)
		vmcs_write16(VPID, vmx->vpid);
	else if (vmcs_config.vpid)
		/* No VPID left: this vCPU runs untagged, VPID off. */
		vmcs_write32(SECONDARY_VM_EXEC_CONTROL,
			     vmcs_config.proc2 & ~MVMX_PROC2_VPID);

	vmcs_writel(CR0_GUEST_HOST_MASK, cr0_host_owned());
	vmcs_writel(CR4_GUEST_HOST_MASK, cr4_host_owned());

	/* Host state that never changes while the module is loaded. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_writel(HOST_RIP, (unsigned long)mvm_vmx_vmexit);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write64(HOST_IA32_PAT, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write64(HOST_IA32_EFER, v);
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
	vmx->host_fs_base = 0;

	vmx_vmcs_reset_guest(vmx);
}

static void set_seg(u32 sel, u32 base, u32 limit, u32 ar, int i)
{
	static const u16 f[8][4] = {
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
		{ GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
		{ GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
		{ GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	};

	__vmcs_write(f[i][0], sel);
	__vmcs_write(f[i][1], base);
	__vmcs_write(f[i][2], limit);
	__vmcs_write(f[i][3], ar);
}

/* The state after RESET (SDM Vol. 3A 10.1.1, table 10-1). */
void vmx_vmcs_reset_guest(struct vmx_vcpu *vmx)
{
	unsigned int i;

	set_seg(0xf000, 0xffff0000, 0xffff, 0x9b, 1);	/* CS */
	for (i = 0; i < 6; i++)
		if (i != 1)
			set_seg(0, 0, 0xffff, 0x93, i);
	set_seg(0, 0, 0xffff, 0x82, 6);			/* LDTR */
	set_seg(0, 0, 0xffff, 0x8b, 7);			/* TR */
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);

	vmcs_writel(CR0_READ_SHADOW, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmcs_writel(GUEST_CR0, ((X86_CR0_ET | X86_CR0_CD | X86_CR0_NW) |
				(vmcs_config.cr0_fixed0 &
				 ~(X86_CR0_PE | X86_CR0_PG))) &
				vmcs_config.cr0_fixed1);
	vmcs_writel(CR4_READ_SHADOW, 0);
	vmcs_writel(GUEST_CR4, vmcs_config.cr4_fixed0);
	vmcs_writel(GUEST_CR3, 0);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ULL);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_DR7, 0x400);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_RIP, 0xfff0);
	vmcs_writel(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_config.entry);

	vmx->rip = 0xfff0;
	vmx->rflags = X86_EFLAGS_FIXED;
	vmx->regs_dirty = false;
	vmx->cr2 = 0;
	memset(vmx->dr, 0, sizeof(vmx->dr));
	vmx->dr6 = 0xffff0ff0;
	vmx->dr7 = 0x400;
	vmx->xcr0 = 1;
	/* RESET puts the CPU signature in EDX (SDM Vol. 3A 10.1.2). */
	vmx->vcpu->gprs[MVM_RDX] = 0x600;
}
