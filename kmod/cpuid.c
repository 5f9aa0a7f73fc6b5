// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID table and mvm's policy over it.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>

#include "vm.h"

/* Bits mvm forces whatever the table says (Intel SDM Vol. 2A, CPUID). */
#define CPUID1_ECX_MONITOR	BIT(3)
#define CPUID1_ECX_VMX		BIT(5)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID7_EBX_TSC_ADJUST	BIT(1)
#define CPUID1_ECX_XSAVE	BIT(26)
#define CPUID1_ECX_OSXSAVE	BIT(27)
#define CPUID1_ECX_AVX		BIT(28)
#define CPUID1_ECX_HYPERVISOR	BIT(31)
#define CPUID_EXT1_ECX_SVM	BIT(2)

int mvm_cpuid_set(struct mvm_vcpu *vcpu, const struct mvm_cpuid *arg)
{
	struct mvm_cpuid_entry *e = NULL;
	long delta;
	u32 i;

	if (arg->flags || arg->reserved[0] || arg->reserved[1])
		return -EINVAL;
	if (arg->nent > MVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (arg->nent) {
		e = memdup_user(u64_to_user_ptr(arg->entries),
				array_size(arg->nent, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	for (i = 0; i < arg->nent; i++) {
		if ((e[i].flags & ~MVM_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		    e[i].reserved[0] || e[i].reserved[1] || e[i].reserved[2]) {
			kfree(e);
			return -EINVAL;
		}
	}
	delta = (long)arg->nent - (long)vcpu->cpuid_nent;
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = arg->nent;
	mvm_account_bytes(vcpu->vm, delta * (long)sizeof(*e));
	return 0;
}

int mvm_cpuid_get(struct mvm_vcpu *vcpu, struct mvm_cpuid *arg,
		  struct mvm_cpuid __user *uarg)
{
	u32 room = arg->nent;

	if (arg->flags || arg->reserved[0] || arg->reserved[1])
		return -EINVAL;
	arg->nent = vcpu->cpuid_nent;
	if (room < vcpu->cpuid_nent) {
		/* Tell the caller the room it needs, with the error (the
		 * dispatcher copies out only on success). */
		if (put_user(vcpu->cpuid_nent, &uarg->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (vcpu->cpuid_nent &&
	    copy_to_user(u64_to_user_ptr(arg->entries), vcpu->cpuid,
			 array_size(vcpu->cpuid_nent, sizeof(*vcpu->cpuid))))
		return -EFAULT;
	return 0;
}

/* AVX-512 feature bits (SDM Vol. 2A, CPUID leaf 7 subleaf 0). */
#define CPUID7_EBX_AVX512	(BIT(16) | BIT(17) | BIT(21) | BIT(26) | \
				 BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define CPUID7_ECX_AVX512	(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
#define CPUID7_EDX_AVX512	(BIT(2) | BIT(3) | BIT(8) | BIT(23))
#define CPUID7_EBX_AVX2		BIT(5)
#define CPUID1_ECX_FMA		BIT(12)
#define CPUID1_ECX_F16C		BIT(29)
#define XCR0_AVX512		(XFEATURE_MASK_OPMASK | \
				 XFEATURE_MASK_ZMM_Hi256 | \
				 XFEATURE_MASK_Hi16_ZMM)

/*
 * Hide what needs XSAVE state the guest may not enable: a guest shown
 * AVX-512 would set XCR0 bits that XSETBV then refuses with #GP, and a
 * leaf 0xD that names them would make its XSAVE sizes disagree.
 */
static void xsave_policy(u32 fn, u32 idx, u64 xcr0, u32 *eax, u32 *ebx,
			 u32 *ecx, u32 *edx)
{
	u64 allowed = mvm_guest_xcr0_allowed();

	switch (fn) {
	case 1:
		if (!(allowed & XFEATURE_MASK_YMM))
			*ecx &= ~(CPUID1_ECX_AVX | CPUID1_ECX_FMA |
				  CPUID1_ECX_F16C);
		break;
	case 7:
		if (idx != 0)
			break;
		if ((allowed & XCR0_AVX512) != XCR0_AVX512) {
			*ebx &= ~CPUID7_EBX_AVX512;
			*ecx &= ~CPUID7_ECX_AVX512;
			*edx &= ~CPUID7_EDX_AVX512;
		}
		if (!(allowed & XFEATURE_MASK_YMM))
			*ebx &= ~CPUID7_EBX_AVX2;
		break;
	case 0xd:
		if (idx == 0) {
			*eax &= (u32)allowed;
			*edx &= (u32)(allowed >> 32);
			/* EBX: the size for the XCR0 in force; ECX: for
			 * every component offered (SDM Vol. 2A, leaf 0DH). */
			*ebx = mvm_xsave_size_for(xcr0 & allowed);
			*ecx = mvm_xsave_size_for(((u64)*edx << 32 | *eax) &
						  allowed);
		} else if (idx >= 2 && idx < 64 && !(allowed & BIT_ULL(idx))) {
			*eax = *ebx = *ecx = *edx = 0;
		}
		break;
	}
}

void mvm_cpuid_lookup(struct mvm_vcpu *vcpu, u32 fn, u32 idx,
		      bool cr4_osxsave, u64 xcr0, u32 *eax, u32 *ebx,
		      u32 *ecx, u32 *edx)
{
	const struct mvm_cpuid_entry *e = NULL;
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct mvm_cpuid_entry *c = &vcpu->cpuid[i];

		if (c->function != fn)
			continue;
		if ((c->flags & MVM_CPUID_FLAG_SIGNIFICANT_INDEX) &&
		    c->index != idx)
			continue;
		e = c;
		break;
	}
	if (e) {
		*eax = e->eax;
		*ebx = e->ebx;
		*ecx = e->ecx;
		*edx = e->edx;
	} else {
		*eax = *ebx = *ecx = *edx = 0;
	}

	xsave_policy(fn, idx, xcr0, eax, ebx, ecx, edx);
	switch (fn) {
	case 1:
		/* MONITOR/MWAIT raise #UD; the APIC is an x2APIC. */
		*ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_OSXSAVE |
			  CPUID1_ECX_MONITOR);
		*ecx |= CPUID1_ECX_X2APIC;
		*edx |= CPUID1_EDX_APIC;
		/* XSAVE state is switched only when the host uses XSAVE. */
		if (!boot_cpu_has(X86_FEATURE_XSAVE))
			*ecx &= ~(CPUID1_ECX_XSAVE | CPUID1_ECX_AVX);
		*ecx |= CPUID1_ECX_HYPERVISOR;
		if (cr4_osxsave && (*ecx & CPUID1_ECX_XSAVE))
			*ecx |= CPUID1_ECX_OSXSAVE;
		/* Initial APIC ID: the vCPU id. */
		*ebx = (*ebx & 0x00ffffff) | (vcpu->id << 24);
		break;
	case 7:
		/* No IA32_TSC_ADJUST: the TSC offset is the VM's. */
		if (idx == 0)
			*ebx &= ~CPUID7_EBX_TSC_ADJUST;
		break;
	case 0xb:
	case 0x1f:
		/* Extended topology: EDX is the x2APIC ID. */
		*edx = vcpu->id;
		break;
	case 0x80000001:
		*ecx &= ~CPUID_EXT1_ECX_SVM;
		break;
	}
}
