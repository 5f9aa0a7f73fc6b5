/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Architectural SVM constants, from the AMD64 Architecture Programmer's
 * Manual Vol. 2, chapter 15 (Secure Virtual Machine) and Vol. 3,
 * appendix E (CPUID). Prefixed MSVM_ so they never collide with the
 * kernel's own names.
 */
#ifndef MVM_SVM_ARCH_H
#define MVM_SVM_ARCH_H

#include <linux/bits.h>

/* CPUID Fn8000_0001_ECX[SVM] (bit 2). */
#define MSVM_CPUID_EXT_ECX_SVM		BIT(2)
/* CPUID Fn8000_000A: SVM revision (EAX), ASID count (EBX), features (EDX). */
#define MSVM_CPUID_LEAF			0x8000000a
#define MSVM_FEAT_NP			BIT(0)
#define MSVM_FEAT_NRIPS			BIT(3)
#define MSVM_FEAT_TSC_RATE		BIT(4)
#define MSVM_FEAT_DECODE_ASSISTS		BIT(7)

/* VM_CR (APM Vol. 2 15.30.1): SVMDIS set means EFER.SVME cannot be set. */
#define MSVM_MSR_VM_CR			0xc0010114
#define MSVM_VM_CR_SVMDIS		BIT_ULL(4)

#endif /* MVM_SVM_ARCH_H */
