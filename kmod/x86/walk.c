// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker and instruction fetch (see walk.h for what it
 * models and what it leaves out).
 *
 * Every walk reads at most five paging entries, one per level, into a
 * local 8-byte buffer, and loops over a fixed number of levels: it always
 * terminates and never indexes outside what read_gpa filled in.
 */
#include "walk.h"

/* Paging-entry bits (SDM Vol. 3A 4.3, 4.4.2, 4.5.4). */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)

/* Bits hi:lo set, for 0 <= lo <= hi <= 63. */
#define BITS(hi, lo)	((~0ULL >> (63 - (hi))) & (~0ULL << (lo)))

/* The error-code bits of a reserved-bit fault (SDM Vol. 3A 4.7). */
#define PF_RSVD_FAULT	(X86_WALK_PF_P | X86_WALK_PF_RSVD)

#define PAGE_SHIFT_4K	12
#define PAGE_SIZE_4K	(1ULL << PAGE_SHIFT_4K)

enum paging_mode {
	PAGING_NONE,
	PAGING_32,
	PAGING_PAE,
	PAGING_4LEVEL,
	PAGING_5LEVEL,
};

/* One walk in progress. */
struct walk {
	const struct x86_walk_ctx *ctx;
	unsigned int access;
	unsigned int maxpa;	/* clamped MAXPHYADDR */
	bool nx_enabled;	/* XD bits exist: PAE/4/5-level and NXE */
	/* Rights accumulated over the levels seen so far. */
	bool writable;
	bool user;
	bool nx;
};

static enum paging_mode paging_mode(const struct x86_walk_ctx *ctx)
{
	if (!(ctx->cr0 & X86_WALK_CR0_PG))
		return PAGING_NONE;
	/*
	 * EFER.LMA=1 implies CR4.PAE=1 (setting CR0.PG with EFER.LME=1 and
	 * CR4.PAE=0 is #GP); an inconsistent state is walked as long mode.
	 */
	if (ctx->efer & X86_WALK_EFER_LMA)
		return (ctx->cr4 & X86_WALK_CR4_LA57) ? PAGING_5LEVEL :
						    PAGING_4LEVEL;
	if (ctx->cr4 & X86_WALK_CR4_PAE)
		return PAGING_PAE;
	return PAGING_32;
}

static unsigned int clamp_maxpa(uint8_t maxphyaddr)
{
	if (maxphyaddr < 32)
		return 32;
	if (maxphyaddr > 52)
		return 52;
	return maxphyaddr;
}

/*
 * The #PF error code for the access being walked plus @flags (P, RSVD).
 * SDM Vol. 3A 4.7: I/D is set for a fetch only when SMEP is on or XD
 * bits exist (PAE, 4-level or 5-level paging with EFER.NXE=1).
 */
static uint32_t walk_error_code(const struct walk *w, uint32_t flags)
{
	uint32_t ec = flags;

	if (w->access & X86_ACC_WRITE)
		ec |= X86_WALK_PF_W;
	if (w->access & X86_ACC_USER)
		ec |= X86_WALK_PF_U;
	if ((w->access & X86_ACC_FETCH) &&
	    ((w->ctx->cr4 & X86_WALK_CR4_SMEP) || w->nx_enabled))
		ec |= X86_WALK_PF_I;
	return ec;
}

/* Read a little-endian paging entry of @len (4 or 8) bytes at @gpa. */
static int walk_read_entry(const struct walk *w, uint64_t gpa,
			   unsigned int len, uint64_t *entry)
{
	uint8_t buf[8] = { 0 };
	uint64_t v = 0;
	unsigned int i;

	if (w->ctx->read_gpa(w->ctx->opaque, gpa, buf, len) != 0)
		return X86_WALK_READ_ERROR;
	for (i = len; i > 0; i--)
		v = (v << 8) | buf[i - 1];
	*entry = v;
	return X86_WALK_OK;
}

/* Fold one entry's R/W, U/S and XD bits into the accumulated rights. */
static void walk_accumulate(struct walk *w, uint64_t entry)
{
	if (!(entry & PTE_RW))
		w->writable = false;
	if (!(entry & PTE_US))
		w->user = false;
	if (w->nx_enabled && (entry & PTE_NX))
		w->nx = true;
}

/*
 * Whether the accumulated rights allow the access (SDM Vol. 3A 4.6).
 * SMAP is not modelled: supervisor data accesses to user pages pass.
 */
static bool walk_allowed(const struct walk *w)
{
	bool write = w->access & X86_ACC_WRITE;
	bool fetch = w->access & X86_ACC_FETCH;

	if (fetch && w->nx)
		return false;
	if (w->access & X86_ACC_USER) {
		if (!w->user)
			return false;
		if (write && !w->writable)
			return false;
		return true;
	}
	/* Supervisor writes to read-only pages fault only with CR0.WP. */
	if (write && !w->writable && (w->ctx->cr0 & X86_WALK_CR0_WP))
		return false;
	/* SMEP: no supervisor fetches from user-mode pages. */
	if (fetch && w->user && (w->ctx->cr4 & X86_WALK_CR4_SMEP))
		return false;
	return true;
}

/*
 * 32-bit paging (SDM Vol. 3A 4.3): a page directory of 1024 4-byte PDEs
 * at CR3[31:12], 4 MiB pages when CR4.PSE and PDE.PS, else page tables.
 */
static int walk_32(struct walk *w, uint32_t la, uint64_t *phys,
		   uint64_t *size, uint32_t *ec)
{
	unsigned int m = w->maxpa > 40 ? 40 : w->maxpa;
	uint64_t table, pde, pte;
	int ret;

	table = w->ctx->cr3 & BITS(31, 12);
	ret = walk_read_entry(w, table + ((la >> 22) & 0x3ff) * 4, 4, &pde);
	if (ret)
		return ret;
	if (!(pde & PTE_P)) {
		*ec = walk_error_code(w, 0);
		return X86_WALK_FAULT;
	}
	walk_accumulate(w, pde);

	if ((pde & PTE_PS) && (w->ctx->cr4 & X86_WALK_CR4_PSE)) {
		/*
		 * PSE-36: PDE bits (M-20):13 are physical address bits
		 * (M-1):32, with M = min(MAXPHYADDR, 40); bits 21:(M-19)
		 * are reserved (SDM Vol. 3A Table 4-4).
		 */
		if (pde & BITS(21, m - 19)) {
			*ec = walk_error_code(w, PF_RSVD_FAULT);
			return X86_WALK_FAULT;
		}
		*phys = (pde & BITS(31, 22)) | (((pde >> 13) & 0xff) << 32);
		*size = 1ULL << 22;
		return X86_WALK_OK;
	}

	table = pde & BITS(31, 12);
	ret = walk_read_entry(w, table + ((la >> 12) & 0x3ff) * 4, 4, &pte);
	if (ret)
		return ret;
	if (!(pte & PTE_P)) {
		*ec = walk_error_code(w, 0);
		return X86_WALK_FAULT;
	}
	walk_accumulate(w, pte);
	*phys = pte & BITS(31, 12);
	*size = PAGE_SIZE_4K;
	return X86_WALK_OK;
}

/*
 * The 8-byte-entry levels shared by PAE, 4-level and 5-level paging,
 * from @top (5: PML5, 4: PML4, 3: PDPT, 2: PD) down to the page table,
 * starting at the table at @table.  @rsvd_hi holds the reserved high
 * bits of every entry: 62:M for PAE (SDM Vol. 3A Tables 4-10..4-12),
 * 51:M for 4/5-level paging (Tables 4-15..4-20).
 */
static int walk_levels(struct walk *w, uint64_t la, unsigned int top,
		       uint64_t table, uint64_t rsvd_hi, uint64_t *phys,
		       uint64_t *size, uint32_t *ec)
{
	uint64_t addr_mask = BITS(w->maxpa - 1, 12), entry, rsvd;
	unsigned int level, shift;
	bool leaf;
	int ret;

	for (level = top; level >= 1; level--) {
		shift = PAGE_SHIFT_4K + 9 * (level - 1);
		ret = walk_read_entry(w, table + ((la >> shift) & 0x1ff) * 8,
				      8, &entry);
		if (ret)
			return ret;
		if (!(entry & PTE_P)) {
			*ec = walk_error_code(w, 0);
			return X86_WALK_FAULT;
		}

		rsvd = rsvd_hi;
		if (!w->nx_enabled)
			rsvd |= PTE_NX;
		leaf = level == 1;
		if (level >= 4) {
			/* PS is reserved in PML4Es and PML5Es. */
			rsvd |= PTE_PS;
		} else if (level >= 2 && (entry & PTE_PS)) {
			/*
			 * 1 GiB (PDPTE) or 2 MiB (PDE) page: the address
			 * bits below the page size, except PAT (bit 12),
			 * are reserved.
			 */
			rsvd |= BITS(shift - 1, 13);
			leaf = true;
		}
		if (entry & rsvd) {
			*ec = walk_error_code(w, PF_RSVD_FAULT);
			return X86_WALK_FAULT;
		}
		walk_accumulate(w, entry);

		if (leaf) {
			*size = 1ULL << shift;
			*phys = entry & addr_mask & ~(*size - 1);
			return X86_WALK_OK;
		}
		table = entry & addr_mask;
	}
	/* Not reached: level 1 is always a leaf. */
	return X86_WALK_READ_ERROR;
}

/*
 * PAE paging (SDM Vol. 3A 4.4): four PDPTEs at CR3[31:5], which grant no
 * rights and have their own reserved bits, then a PAE page directory.
 */
static int walk_pae(struct walk *w, uint32_t la, uint64_t *phys,
		    uint64_t *size, uint32_t *ec)
{
	uint64_t pdpte, gpa;
	int ret;

	gpa = (w->ctx->cr3 & BITS(31, 5)) + ((la >> 30) & 3) * 8;
	ret = walk_read_entry(w, gpa, 8, &pdpte);
	if (ret)
		return ret;
	if (!(pdpte & PTE_P)) {
		*ec = walk_error_code(w, 0);
		return X86_WALK_FAULT;
	}
	/* Table 4-8: bits 2:1, 8:5 and 63:M are reserved. */
	if (pdpte & (BITS(2, 1) | BITS(8, 5) | BITS(63, w->maxpa))) {
		*ec = walk_error_code(w, PF_RSVD_FAULT);
		return X86_WALK_FAULT;
	}
	return walk_levels(w, la, 2, pdpte & BITS(w->maxpa - 1, 12),
			   BITS(62, w->maxpa), phys, size, ec);
}

/**
 * x86_linear_is_canonical() - whether a linear address is canonical
 * @ctx: the guest's control registers.
 * @la: the linear address.
 *
 * In long mode (CR0.PG and EFER.LMA) bits 63:47 (4-level paging) or 63:56
 * (5-level paging, CR4.LA57) must all equal; outside long mode every
 * address counts as canonical.
 *
 * Return: true if @la is canonical.
 */
bool x86_linear_is_canonical(const struct x86_walk_ctx *ctx, uint64_t la)
{
	uint64_t hi;
	unsigned int bits;

	switch (paging_mode(ctx)) {
	case PAGING_4LEVEL:
		bits = 48;
		break;
	case PAGING_5LEVEL:
		bits = 57;
		break;
	default:
		return true;
	}
	hi = la >> (bits - 1);
	return hi == 0 || hi == (~0ULL >> (bits - 1));
}

/**
 * x86_gva_to_gpa_size() - translate a guest linear address, with page size
 * @ctx: the guest's paging state and memory reader.
 * @gva: the linear (guest-virtual) address.  Outside long mode only its
 *	low 32 bits are used.
 * @access: X86_ACC_* bits: write, user-mode, instruction fetch; 0 for a
 *	supervisor-mode data read.
 * @gpa: set to the guest-physical address on X86_WALK_OK.
 * @page_size: set on X86_WALK_OK to the size of the page that maps @gva:
 *	4 KiB, 2 MiB, 4 MiB or 1 GiB; 4 KiB when paging is off.  @gva and
 *	*@gpa agree in the bits below it.
 * @pf_error_code: set to the #PF error code on X86_WALK_FAULT (SDM Vol.
 *	3A 4.7: P, W/R, U/S, RSVD, I/D), to 0 otherwise.
 *
 * Walks the guest's page tables as the CPU would for @access, without
 * setting accessed or dirty bits.  Faults, in the order the CPU finds
 * them: non-canonical address (long mode, error code 0: inject #GP, not
 * #PF), a not-present entry (P=0), a reserved bit in a present entry
 * (P=1, RSVD=1), then the access rights over all levels (P=1): U/S for
 * user accesses, R/W for user writes and for supervisor writes when
 * CR0.WP=1, XD for fetches when EFER.NXE=1, and SMEP for supervisor
 * fetches from user pages.  With CR0.PG=0 the linear address is the
 * physical address, truncated to 32 bits (EFER.LMA cannot be 1 without
 * paging).
 *
 * Return: X86_WALK_OK, X86_WALK_FAULT, or X86_WALK_READ_ERROR when
 * read_gpa fails on a paging entry.
 */
int x86_gva_to_gpa_size(const struct x86_walk_ctx *ctx, uint64_t gva,
			unsigned int access, uint64_t *gpa,
			uint64_t *page_size, uint32_t *pf_error_code)
{
	struct walk w = {
		.ctx = ctx,
		.access = access,
		.maxpa = clamp_maxpa(ctx->maxphyaddr),
		.writable = true,
		.user = true,
	};
	enum paging_mode mode = paging_mode(ctx);
	uint64_t phys = 0, size = PAGE_SIZE_4K, root;
	uint32_t ec = 0;
	int ret;

	w.nx_enabled = mode >= PAGING_PAE && (ctx->efer & X86_WALK_EFER_NXE);

	switch (mode) {
	case PAGING_NONE:
		/* LMA is architecturally 0 here; keep 64 bits if it is not. */
		phys = (ctx->efer & X86_WALK_EFER_LMA) ? gva : (uint32_t)gva;
		ret = X86_WALK_OK;
		break;
	case PAGING_32:
		ret = walk_32(&w, (uint32_t)gva, &phys, &size, &ec);
		break;
	case PAGING_PAE:
		ret = walk_pae(&w, (uint32_t)gva, &phys, &size, &ec);
		break;
	default:
		if (!x86_linear_is_canonical(ctx, gva)) {
			ec = 0;
			ret = X86_WALK_FAULT;
			break;
		}
		root = ctx->cr3 & BITS(w.maxpa - 1, 12);
		ret = walk_levels(&w, gva, mode == PAGING_5LEVEL ? 5 : 4,
				  root, BITS(51, w.maxpa), &phys, &size, &ec);
		break;
	}

	if (ret == X86_WALK_OK && mode != PAGING_NONE && !walk_allowed(&w)) {
		ec = walk_error_code(&w, X86_WALK_PF_P);
		ret = X86_WALK_FAULT;
	}
	if (ret == X86_WALK_OK) {
		*gpa = phys | (gva & (size - 1));
		*page_size = size;
	}
	*pf_error_code = ret == X86_WALK_FAULT ? ec : 0;
	return ret;
}

/**
 * x86_gva_to_gpa() - translate a guest linear address
 * @ctx: the guest's paging state and memory reader.
 * @gva: the linear (guest-virtual) address.
 * @access: X86_ACC_* bits; 0 for a supervisor-mode data read.
 * @gpa: set to the guest-physical address on X86_WALK_OK.
 * @pf_error_code: set to the #PF error code on X86_WALK_FAULT, else 0.
 *
 * x86_gva_to_gpa_size() without the page size; see there for the rules.
 *
 * Return: X86_WALK_OK, X86_WALK_FAULT (error code 0 from a long-mode walk
 * may mean a non-canonical address: check x86_linear_is_canonical()), or
 * X86_WALK_READ_ERROR.
 */
int x86_gva_to_gpa(const struct x86_walk_ctx *ctx, uint64_t gva,
		   unsigned int access, uint64_t *gpa,
		   uint32_t *pf_error_code)
{
	uint64_t size;

	return x86_gva_to_gpa_size(ctx, gva, access, gpa, &size,
				   pf_error_code);
}

/**
 * x86_fetch_insn() - read instruction bytes at a linear address
 * @ctx: the guest's paging state and memory reader.
 * @linear_rip: linear address of the first byte (CS base + rIP).
 * @user: the fetch is a user-mode one (CPL 3).
 * @buf: receives the bytes.
 * @len: how many bytes to read, at most 15 (larger values read 15).
 * @fetched: set to the number of bytes read into @buf.
 * @pf_error_code: set to the #PF error code when the first byte cannot
 *	be fetched because of a fault, else 0.
 *
 * Translates each 4 KiB page separately, so an instruction that straddles
 * a page boundary is read from both pages.  Outside long mode the linear
 * address wraps at 2^32.  If the first byte cannot be read, the error is
 * returned.  If some bytes were read and the next page faults or cannot
 * be read, the function still succeeds with the bytes it has (*@fetched <
 * @len): the decoder then says X86_DECODE_NEED_MORE only if the
 * instruction really continues there, and the caller can call again at
 * @linear_rip + *@fetched to get that page's fault.
 *
 * Return: X86_WALK_OK (with *@fetched >= 1 when @len >= 1),
 * X86_WALK_FAULT or X86_WALK_READ_ERROR for the first byte.
 */
int x86_fetch_insn(const struct x86_walk_ctx *ctx, uint64_t linear_rip,
		   bool user, uint8_t *buf, unsigned int len,
		   unsigned int *fetched, uint32_t *pf_error_code)
{
	unsigned int access = X86_ACC_FETCH | (user ? X86_ACC_USER : 0);
	bool lm = paging_mode(ctx) >= PAGING_4LEVEL;
	unsigned int done = 0, chunk;
	uint64_t la, gpa;
	uint32_t ec = 0;
	int ret;

	*fetched = 0;
	*pf_error_code = 0;
	if (len > 15)
		len = 15;

	while (done < len) {
		la = linear_rip + done;
		if (!lm)
			la = (uint32_t)la;
		chunk = PAGE_SIZE_4K - (la & (PAGE_SIZE_4K - 1));
		if (chunk > len - done)
			chunk = len - done;

		ret = x86_gva_to_gpa(ctx, la, access, &gpa, &ec);
		if (ret == X86_WALK_OK &&
		    ctx->read_gpa(ctx->opaque, gpa, buf + done, chunk) != 0)
			ret = X86_WALK_READ_ERROR;
		if (ret != X86_WALK_OK) {
			if (done)
				break;
			*pf_error_code = ec;
			return ret;
		}
		done += chunk;
	}
	*fetched = done;
	return X86_WALK_OK;
}
