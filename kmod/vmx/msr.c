// SPDX-License-Identifier: GPL-2.0
/*
 * MSR policy. The guest reaches hardware MSRs directly only through an
 * allow-list in the MSR bitmap: ones the VMCS switches on entry and exit,
 * and ones the run loop swaps around guest execution. A few more are
 * emulated here; any other access injects #GP (SDM Vol. 3C 25.6.9).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>

#include "vmx.h"
#include "vmx_ops.h"

unsigned long *vmx_msr_bitmap;

/*
 * The bitmap page has four 1 KiB parts: read-low (0..0x1fff),
 * read-high (0xc0000000..0xc0001fff), write-low, write-high.
 */
static void msr_allow(u32 msr, bool read, bool write)
{
	u8 *bm = (u8 *)vmx_msr_bitmap;
	unsigned int base, bit;

	if (msr <= 0x1fff) {
		base = 0;
		bit = msr;
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base = 1024;
		bit = msr - 0xc0000000;
	} else {
		return;
	}
	if (read)
		bm[base + bit / 8] &= ~BIT(bit % 8);
	if (write)
		bm[base + 2048 + bit / 8] &= ~BIT(bit % 8);
}

int vmx_msr_bitmap_init(void)
{
	vmx_msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		return -ENOMEM;
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);

	/* Switched by the VMCS. */
	msr_allow(MSR_FS_BASE, true, true);
	msr_allow(MSR_GS_BASE, true, true);
	msr_allow(MSR_IA32_SYSENTER_CS, true, true);
	msr_allow(MSR_IA32_SYSENTER_ESP, true, true);
	msr_allow(MSR_IA32_SYSENTER_EIP, true, true);
	msr_allow(MSR_IA32_CR_PAT, true, true);
	/* Swapped by the run loop. */
	msr_allow(MSR_KERNEL_GS_BASE, true, true);
	msr_allow(MSR_STAR, true, true);
	msr_allow(MSR_LSTAR, true, true);
	msr_allow(MSR_CSTAR, true, true);
	msr_allow(MSR_SYSCALL_MASK, true, true);
	if (boot_cpu_has(X86_FEATURE_RDTSCP))
		msr_allow(MSR_TSC_AUX, true, true);
	/* Reading the TSC is harmless; writing it would move the host's. */
	msr_allow(MSR_IA32_TSC, true, false);
	return 0;
}

void vmx_msr_bitmap_free(void)
{
	free_page((unsigned long)vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
}

/* EFER bits a guest may set (SDM Vol. 3A 2.2.1). */
#define EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static int set_efer(struct vmx_vcpu *vmx, u64 data)
{
	u32 entry;

	if (data & ~EFER_ALLOWED)
		return -EINVAL;
	vmcs_write64(GUEST_IA32_EFER, data);
	entry = vmcs_read32(VM_ENTRY_CONTROLS);
	if (data & EFER_LMA)
		entry |= MVMX_ENTRY_IA32E;
	else
		entry &= ~MVMX_ENTRY_IA32E;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
	return 0;
}

/*
 * The guest's view of an MSR. Return 0, or -ENOENT for an MSR it does
 * not have. The VMCS must be loaded.
 */
int vmx_guest_rdmsr(struct vmx_vcpu *vmx, u32 index, u64 *data)
{
	if (mvm_lapic_is_msr(index))
		return mvm_lapic_rdmsr(vmx->vcpu, index, data);
	switch (index) {
	case MSR_FS_BASE:
		*data = vmcs_readl(GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*data = vmcs_readl(GUEST_GS_BASE);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_readl(GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_readl(GUEST_SYSENTER_EIP);
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read64(GUEST_IA32_PAT);
		return 0;
	case MSR_EFER:
		*data = vmcs_read64(GUEST_IA32_EFER);
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = vmx->kernel_gs_base;
		return 0;
	case MSR_STAR:
		*data = vmx->star;
		return 0;
	case MSR_LSTAR:
		*data = vmx->lstar;
		return 0;
	case MSR_CSTAR:
		*data = vmx->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vmx->sfmask;
		return 0;
	case MSR_TSC_AUX:
		if (!boot_cpu_has(X86_FEATURE_RDTSCP))
			return -ENOENT;
		*data = vmx->tsc_aux;
		return 0;
	case MSR_IA32_FEAT_CTL:
		/* Locked, VMX off: nested virtualization is not offered. */
		*data = FEAT_CTL_LOCKED;
		return 0;
	case MSR_IA32_UCODE_REV:
		/* Linux reads it without a fixup; report none loaded. */
		*data = 0x100000000ULL;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		/* Fast strings; no BTS, no PEBS. */
		*data = MSR_IA32_MISC_ENABLE_FAST_STRING |
			MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |
			MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL;
		return 0;
	}
	return -ENOENT;
}

static bool is_canonical(u64 v)
{
	return (s64)(v << 16) >> 16 == (s64)v;
}

/*
 * Set the guest's view of an MSR. Return 0, -ENOENT for an MSR it does
 * not have, -EINVAL for a value it refuses (the guest gets #GP for
 * either). The VMCS must be loaded.
 */
int vmx_guest_wrmsr(struct vmx_vcpu *vmx, u32 index, u64 data)
{
	if (mvm_lapic_is_msr(index))
		return mvm_lapic_wrmsr(vmx->vcpu, index, data);
	switch (index) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* A non-canonical value would make VM entry or a host
		 * WRMSR fault. */
		if (!is_canonical(data))
			return -EINVAL;
		break;
	}

	switch (index) {
	case MSR_FS_BASE:
		vmcs_writel(GUEST_FS_BASE, data);
		return 0;
	case MSR_GS_BASE:
		vmcs_writel(GUEST_GS_BASE, data);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, data);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, data);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, data);
		return 0;
	case MSR_IA32_CR_PAT: {
		unsigned int i;

		/* Each byte a valid memory type: 0, 1, 4, 5, 6 or 7. */
		for (i = 0; i < 8; i++) {
			u8 t = data >> (i * 8);

			if (t > 7 || t == 2 || t == 3)
				return -EINVAL;
		}
		vmcs_write64(GUEST_IA32_PAT, data);
		return 0;
	}
	case MSR_EFER:
		return set_efer(vmx, data);
	case MSR_KERNEL_GS_BASE:
		vmx->kernel_gs_base = data;
		return 0;
	case MSR_STAR:
		vmx->star = data;
		return 0;
	case MSR_LSTAR:
		vmx->lstar = data;
		return 0;
	case MSR_CSTAR:
		vmx->cstar = data;
		return 0;
	case MSR_SYSCALL_MASK:
		vmx->sfmask = data & 0xffffffffULL;
		return 0;
	case MSR_TSC_AUX:
		if (!boot_cpu_has(X86_FEATURE_RDTSCP))
			return -ENOENT;
		if (data >> 32)
			return -EINVAL;
		vmx->tsc_aux = data;
		return 0;
	case MSR_IA32_UCODE_REV:
		return 0;	/* Linux writes 0 before reading */
	}
	return -ENOENT;
}
