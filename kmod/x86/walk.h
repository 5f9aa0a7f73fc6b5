/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker (guest-virtual/linear -> guest-physical) and an
 * instruction-fetch helper built on it.
 *
 * Freestanding: compiled into mvm.ko and into the host unit tests and
 * fuzz targets (kmod/x86/tests, kmod/x86/fuzz).  It reads guest memory
 * only through the read_gpa callback and never writes it.
 *
 * Paging modes (SDM Vol. 3A chapter 4), chosen from the control registers:
 *   CR0.PG=0                          none: linear = physical
 *   CR0.PG=1, CR4.PAE=0               32-bit paging, 4 KiB / 4 MiB pages
 *   CR0.PG=1, CR4.PAE=1, EFER.LMA=0   PAE paging, 4 KiB / 2 MiB pages
 *   CR0.PG=1, EFER.LMA=1, CR4.LA57=0  4-level paging, 4 KiB / 2 MiB / 1 GiB
 *   CR0.PG=1, EFER.LMA=1, CR4.LA57=1  5-level paging, same page sizes
 *
 * What it deliberately does not do:
 *  - set accessed or dirty bits: it is used to read the bytes of an
 *    instruction the CPU has already fetched (so the CPU has already set
 *    them), and the guest must not see extra writes to its page tables;
 *  - model the TLB or the paging-structure caches: the result reflects
 *    guest memory now, which may differ from what the CPU used;
 *  - SMAP (CR4.SMAP), protection keys (CR4.PKE/PKS), CET shadow stacks,
 *    HLAT or PAT: supervisor data accesses to user pages are allowed;
 *  - in PAE mode, use the PDPTE registers the CPU loaded with CR3: the
 *    four PDPTEs are read from guest memory at CR3[31:5];
 *  - check CPUID: PSE-36, 1 GiB pages and NX are assumed to exist (a
 *    guest that uses them on a CPU without them faults on the CPU first).
 */
#ifndef MVM_X86_WALK_H
#define MVM_X86_WALK_H

#include "x86_types.h"

/*
 * Control-register bits the walker looks at (SDM Vol. 3A 2.5, 2.2.1).
 * Prefixed X86_WALK_ (as are the error-code bits below) so that they do
 * not clash with the kernel's X86_CR0_* / X86_PF_* names.
 */
#define X86_WALK_CR0_WP		(1ULL << 16)
#define X86_WALK_CR0_PG		(1ULL << 31)
#define X86_WALK_CR4_PSE	(1ULL << 4)
#define X86_WALK_CR4_PAE	(1ULL << 5)
#define X86_WALK_CR4_LA57	(1ULL << 12)
#define X86_WALK_CR4_SMEP	(1ULL << 20)
#define X86_WALK_EFER_LMA	(1ULL << 10)
#define X86_WALK_EFER_NXE	(1ULL << 11)

/**
 * struct x86_walk_ctx - the guest state a walk depends on
 * @cr0: guest CR0 (PG, WP).
 * @cr3: guest CR3 (the root table; PCID and flag bits are ignored).
 * @cr4: guest CR4 (PSE, PAE, LA57, SMEP).
 * @efer: guest IA32_EFER (LMA, NXE).
 * @maxphyaddr: guest physical address width, e.g. 39..52; bits at and
 *	above it in paging entries are reserved.  Values below 32 are
 *	treated as 32 and values above 52 as 52.
 * @read_gpa: reads @len bytes of guest-physical memory at @gpa into @buf;
 *	returns 0, or a negative value when the memory cannot be read.
 *	Reads of paging entries are 4 or 8 bytes and naturally aligned;
 *	reads of instruction bytes (x86_fetch_insn()) are 1..15 bytes and
 *	never cross a 4 KiB boundary.
 * @opaque: passed to @read_gpa.
 */
struct x86_walk_ctx {
	uint64_t cr0, cr3, cr4, efer;
	uint8_t maxphyaddr;
	int (*read_gpa)(void *opaque, uint64_t gpa, void *buf,
			unsigned int len);
	void *opaque;
};

/*
 * Access types, passed as @access and reported in the #PF error code; the
 * bit positions match the error code (SDM Vol. 3A 4.7).  No bit set means
 * a supervisor-mode data read.
 */
#define X86_ACC_WRITE	(1u << 1)
#define X86_ACC_USER	(1u << 2)
#define X86_ACC_FETCH	(1u << 4)

/* #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12). */
#define X86_WALK_PF_P		(1u << 0)	/* 0: not present, 1: rights */
#define X86_WALK_PF_W		(1u << 1)	/* a write */
#define X86_WALK_PF_U		(1u << 2)	/* a user-mode access */
#define X86_WALK_PF_RSVD	(1u << 3)	/* a reserved bit was set */
#define X86_WALK_PF_I		(1u << 4)	/* a fetch (NX or SMEP on) */

/**
 * enum x86_walk_result - return values of x86_gva_to_gpa()
 * @X86_WALK_OK: translated.
 * @X86_WALK_FAULT: the access faults; *pf_error_code says how.  A
 *	non-canonical address in long mode also gives X86_WALK_FAULT, with
 *	error code 0: the caller must inject #GP (or #SS for a stack
 *	access), not #PF.  Error code 0 is also a legitimate #PF code (a
 *	supervisor read of a not-present page), so a caller tells the two
 *	apart with x86_linear_is_canonical().
 * @X86_WALK_READ_ERROR: read_gpa failed on a paging entry.
 */
enum x86_walk_result {
	X86_WALK_OK = 0,
	X86_WALK_FAULT = -1,
	X86_WALK_READ_ERROR = -2,
};

int x86_gva_to_gpa(const struct x86_walk_ctx *ctx, uint64_t gva,
		   unsigned int access, uint64_t *gpa,
		   uint32_t *pf_error_code);

int x86_gva_to_gpa_size(const struct x86_walk_ctx *ctx, uint64_t gva,
			unsigned int access, uint64_t *gpa,
			uint64_t *page_size, uint32_t *pf_error_code);

bool x86_linear_is_canonical(const struct x86_walk_ctx *ctx, uint64_t la);

int x86_fetch_insn(const struct x86_walk_ctx *ctx, uint64_t linear_rip,
		   bool user, uint8_t *buf, unsigned int len,
		   unsigned int *fetched, uint32_t *pf_error_code);

#endif /* MVM_X86_WALK_H */
