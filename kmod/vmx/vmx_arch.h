/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Architectural VMX constants, from the Intel SDM Vol. 3D, Appendix A
 * (VMX capability reporting) and Vol. 3C, chapter 25 (VMCS controls).
 * Prefixed MVMX_ so they never collide with the kernel's own names.
 */
#ifndef MVM_VMX_ARCH_H
#define MVM_VMX_ARCH_H

#include <linux/bits.h>

/* CPUID.01H:ECX.VMX[bit 5] (SDM Vol. 3C 24.6). */
#define MVMX_CPUID1_ECX_VMX		BIT(5)

/* IA32_FEATURE_CONTROL (MSR 0x3a), SDM Vol. 3C 24.7. */
#define MVMX_MSR_FEATURE_CONTROL		0x0000003a
#define MVMX_FC_LOCKED			BIT_ULL(0)
#define MVMX_FC_VMXON_OUTSIDE_SMX	BIT_ULL(2)

/* Capability MSRs, SDM Vol. 3D A.1-A.10. */
#define MVMX_MSR_BASIC			0x00000480
#define MVMX_MSR_PINBASED_CTLS		0x00000481
#define MVMX_MSR_PROCBASED_CTLS		0x00000482
#define MVMX_MSR_EXIT_CTLS		0x00000483
#define MVMX_MSR_ENTRY_CTLS		0x00000484
#define MVMX_MSR_PROCBASED_CTLS2		0x0000048b
#define MVMX_MSR_EPT_VPID_CAP		0x0000048c

/* IA32_VMX_BASIC fields, SDM Vol. 3D A.1. */
#define MVMX_BASIC_REVISION_MASK		0x7fffffffULL
#define MVMX_BASIC_VMCS_SIZE(v)		(((v) >> 32) & 0x1fff)
#define MVMX_BASIC_32BIT_ADDR		BIT_ULL(48)
#define MVMX_BASIC_MEMTYPE(v)		(((v) >> 50) & 0xf)
#define MVMX_BASIC_TRUE_CTLS		BIT_ULL(55)
#define MVMX_MEMTYPE_WB			6

/*
 * Control capability MSRs report allowed-0 settings in bits 31:0 and
 * allowed-1 settings in bits 63:32 (SDM Vol. 3D A.3). A control can be
 * set when its allowed-1 bit is 1.
 */
#define MVMX_CTL_ALLOWED1(msr)		((u32)((msr) >> 32))

/* Pin-based controls (SDM Vol. 3C 25.6.1). */
#define MVMX_PIN_PREEMPTION_TIMER	BIT(6)

/* Primary processor-based controls (SDM Vol. 3C 25.6.2, table 25-6). */
#define MVMX_PROC_SECONDARY_CTLS		BIT(31)

/* Secondary processor-based controls (SDM Vol. 3C 25.6.2, table 25-7). */
#define MVMX_PROC2_EPT			BIT(1)
#define MVMX_PROC2_VPID			BIT(5)
#define MVMX_PROC2_UNRESTRICTED_GUEST	BIT(7)
#define MVMX_PROC2_TSC_SCALING		BIT(25)

/* IA32_VMX_EPT_VPID_CAP, SDM Vol. 3D A.10. */
#define MVMX_EPT_CAP_WALK_4		BIT_ULL(6)
#define MVMX_EPT_CAP_MEMTYPE_WB		BIT_ULL(14)
#define MVMX_EPT_CAP_INVEPT		BIT_ULL(20)
#define MVMX_EPT_CAP_AD			BIT_ULL(21)
#define MVMX_EPT_CAP_INVEPT_SINGLE	BIT_ULL(25)
#define MVMX_EPT_CAP_INVEPT_ALL		BIT_ULL(26)
#define MVMX_VPID_CAP_INVVPID		BIT_ULL(32)
#define MVMX_VPID_CAP_INVVPID_SINGLE	BIT_ULL(41)
#define MVMX_VPID_CAP_INVVPID_ALL	BIT_ULL(42)

#endif /* MVM_VMX_ARCH_H */
