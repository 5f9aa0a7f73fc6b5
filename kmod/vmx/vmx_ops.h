/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Each VMX instruction wrapped once. A VMfail (CF or ZF set, SDM Vol. 3C
 * 31.2) goes to one error path that reads VM_INSTRUCTION_ERROR when a
 * VMCS is current, logs once per call site (ratelimited) and returns -EIO;
 * nothing here ever BUGs.
 *
 * VMCS accessors are typed by width: vmcs_read16/32/64/nat and the
 * matching writes refuse at compile time a field whose encoding has
 * another width.
 */
#ifndef MVM_VMX_OPS_H
#define MVM_VMX_OPS_H

#include <linux/build_bug.h>
#include <linux/printk.h>
#include <linux/types.h>

#include "vmx_arch.h"

/* Width of a VMCS field from its encoding, bits 14:13 (SDM Vol. 3D B). */
#define VMCS_W16	0
#define VMCS_W64	1
#define VMCS_W32	2
#define VMCS_WNAT	3
#define vmcs_width(f)	(((f) >> 13) & 3)

#define vmcs_check(f, w)						\
	BUILD_BUG_ON_MSG(__builtin_constant_p(f) &&			\
			 (vmcs_width(f) != (w) || ((f) & 1)),		\
			 "VMCS field of the wrong width")

void mvm_vmx_fail(const char *insn, unsigned long field, bool valid);

/* VMREAD of a field; 0 (after logging) when it fails. */
static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value;
	bool fail;

	asm volatile("vmread %[field], %[value]"
		     : [value] "=rm" (value), "=@ccbe" (fail)
		     : [field] "r" (field)
		     : "cc");
	if (unlikely(fail)) {
		mvm_vmx_fail("vmread", field, true);
		return 0;
	}
	return value;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %[value], %[field]"
		     : "=@ccbe" (fail)
		     : [field] "r" (field), [value] "rm" (value)
		     : "cc", "memory");
	if (unlikely(fail))
		mvm_vmx_fail("vmwrite", field, true);
}

#define vmcs_read16(f)	({ vmcs_check(f, VMCS_W16); (u16)__vmcs_read(f); })
#define vmcs_read32(f)	({ vmcs_check(f, VMCS_W32); (u32)__vmcs_read(f); })
#define vmcs_read64(f)	({ vmcs_check(f, VMCS_W64); (u64)__vmcs_read(f); })
#define vmcs_readl(f)	({ vmcs_check(f, VMCS_WNAT); __vmcs_read(f); })

#define vmcs_write16(f, v)						\
	do {								\
		vmcs_check(f, VMCS_W16);				\
		__vmcs_write(f, (u16)(v));				\
	} while (0)
#define vmcs_write32(f, v)						\
	do {								\
		vmcs_check(f, VMCS_W32);				\
		__vmcs_write(f, (u32)(v));				\
	} while (0)
#define vmcs_write64(f, v)						\
	do {								\
		vmcs_check(f, VMCS_W64);				\
		__vmcs_write(f, (u64)(v));				\
	} while (0)
#define vmcs_writel(f, v)						\
	do {								\
		vmcs_check(f, VMCS_WNAT);				\
		__vmcs_write(f, (unsigned long)(v));			\
	} while (0)

/* Instructions taking a physical address operand in memory. */
static __always_inline int vmx_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %[pa]"
		     : "=@ccbe" (fail) : [pa] "m" (pa) : "cc", "memory");
	if (unlikely(fail)) {
		mvm_vmx_fail("vmxon", 0, false);
		return -EIO;
	}
	return 0;
}

static __always_inline void vmx_vmxoff(void)
{
	asm volatile("vmxoff" ::: "cc", "memory");
}

static __always_inline int vmx_vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %[pa]"
		     : "=@ccbe" (fail) : [pa] "m" (pa) : "cc", "memory");
	if (unlikely(fail)) {
		mvm_vmx_fail("vmclear", 0, false);
		return -EIO;
	}
	return 0;
}

static __always_inline int vmx_vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %[pa]"
		     : "=@ccbe" (fail) : [pa] "m" (pa) : "cc", "memory");
	if (unlikely(fail)) {
		mvm_vmx_fail("vmptrld", 0, false);
		return -EIO;
	}
	return 0;
}

/* INVEPT / INVVPID descriptors (SDM Vol. 3C 30.3). */
static __always_inline int vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };
	bool fail;

	asm volatile("invept %[desc], %[type]"
		     : "=@ccbe" (fail)
		     : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
	if (unlikely(fail)) {
		mvm_vmx_fail("invept", type, false);
		return -EIO;
	}
	return 0;
}

static __always_inline int vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };
	bool fail;

	asm volatile("invvpid %[desc], %[type]"
		     : "=@ccbe" (fail)
		     : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
	if (unlikely(fail)) {
		mvm_vmx_fail("invvpid", type, false);
		return -EIO;
	}
	return 0;
}

#endif /* MVM_VMX_OPS_H */
