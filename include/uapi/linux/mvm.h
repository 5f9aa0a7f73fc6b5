/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mvm: the /dev/mvm ABI, the one contract between mvm.ko and userspace.
 *
 * Rules that let this ABI grow without a second version:
 *  - only fixed-width types, every struct naturally aligned and padded by
 *    hand, so 32- and 64-bit callers see the same layout;
 *  - every struct carries a flags word and reserved space; the kernel
 *    rejects unknown flags and non-zero reserved fields with -EINVAL;
 *  - features are discovered with MVM_CHECK_CAP, never assumed from the
 *    API version.
 *
 * Documentation/uapi.rst lists every ioctl with its errnos.
 */
#ifndef _UAPI_LINUX_MVM_H
#define _UAPI_LINUX_MVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Returned by MVM_GET_API_VERSION; bumped only for incompatible changes. */
#define MVM_API_VERSION		1

/* ioctl type byte of every mvm ioctl (unassigned in ioctl-number.rst). */
#define MVMIO			0xB8

/*
 * MVM_CHECK_CAP: query one capability.
 *
 * @cap:      in, one of MVM_CAP_*.
 * @flags:    in, must be 0.
 * @value:    out, the capability's value; 0 means "not supported", and a
 *            capability this module does not know also reads as 0, so
 *            newer userspace can probe an older module.
 * @reserved: must be 0.
 */
struct mvm_check_cap {
	__u32 cap;
	__u32 flags;
	__u64 value;
	__u64 reserved[2];
};

/* Which hardware backend drives guests; value is one of MVM_BACKEND_*. */
#define MVM_CAP_BACKEND			0
/* Hardware features found at load; value is a mask of MVM_HW_*. */
#define MVM_CAP_HW_FEATURES		1

#define MVM_BACKEND_NONE		0
#define MVM_BACKEND_VMX			1	/* Intel VT-x */
#define MVM_BACKEND_SVM			2	/* AMD-V */

/* Second-level address translation: EPT (VMX) or nested paging (SVM). */
#define MVM_HW_TDP			(1ULL << 0)
/* Guest may run with paging or protection off (VMX unrestricted guest;
 * always true of SVM). */
#define MVM_HW_UNRESTRICTED_GUEST	(1ULL << 1)
/* Tagged TLB: VPID (VMX) or ASIDs (SVM). */
#define MVM_HW_TAGGED_TLB		(1ULL << 2)
/* EPT accessed/dirty bits (VMX) usable for dirty logging. */
#define MVM_HW_TDP_AD			(1ULL << 3)
/* VMX-preemption timer. */
#define MVM_HW_PREEMPTION_TIMER		(1ULL << 4)
/* Hardware-saved next RIP on intercepts (SVM NRIP_SAVE). */
#define MVM_HW_NRIP_SAVE		(1ULL << 5)
/* Hardware decode assists for intercepted instructions (SVM). */
#define MVM_HW_DECODE_ASSISTS		(1ULL << 6)
/* TSC scaling. */
#define MVM_HW_TSC_SCALING		(1ULL << 7)

/* ioctls on the system fd (open("/dev/mvm")). */

/* Returns MVM_API_VERSION; the argument must be 0. */
#define MVM_GET_API_VERSION	_IO(MVMIO, 0x00)
#define MVM_CHECK_CAP		_IOWR(MVMIO, 0x01, struct mvm_check_cap)

#endif /* _UAPI_LINUX_MVM_H */
