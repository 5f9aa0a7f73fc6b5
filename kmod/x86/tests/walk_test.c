// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the guest page-table walker and instruction fetch
 * (kmod/x86/walk.c).
 *
 * Each test builds page tables in a 1 MiB array standing in for guest
 * memory, with tables handed out from a bump allocator, and walks them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "decode.h"
#include "walk.h"

#define MEM_SIZE	(1u << 20)

/* Paging-entry bits. */
#define P		(1ULL << 0)
#define RW		(1ULL << 1)
#define US		(1ULL << 2)
#define PS		(1ULL << 7)
#define NX		(1ULL << 63)

/* Error-code bits. */
#define E_P		X86_WALK_PF_P
#define E_W		X86_WALK_PF_W
#define E_U		X86_WALK_PF_U
#define E_RSVD		X86_WALK_PF_RSVD
#define E_I		X86_WALK_PF_I

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)

enum mode { NOPAGING, PG32, PAE, LM4, LM5 };

struct guest {
	uint8_t *mem;
	uint64_t next_table;
	unsigned int reads;
	unsigned int misaligned;	/* entry reads not naturally aligned */
	uint64_t fail_gpa;		/* reads covering it fail... */
	bool fail;			/* ...when this is set */
	struct x86_walk_ctx ctx;
	enum mode mode;
};

static int fake_read_gpa(void *opaque, uint64_t gpa, void *buf,
			 unsigned int len)
{
	struct guest *g = opaque;

	g->reads++;
	if ((len == 4 || len == 8) && (gpa % len))
		g->misaligned++;
	if (g->fail && gpa <= g->fail_gpa && g->fail_gpa - gpa < len)
		return -EIO;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, g->mem + gpa, len);
	return 0;
}

static uint64_t alloc_table(struct guest *g)
{
	uint64_t t = g->next_table;

	g->next_table += 4 * KiB;
	return t;
}

static void wr32(struct guest *g, uint64_t gpa, uint32_t v)
{
	memcpy(g->mem + gpa, &v, 4);
}

static uint32_t rd32(struct guest *g, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, g->mem + gpa, 4);
	return v;
}

static void wr64(struct guest *g, uint64_t gpa, uint64_t v)
{
	memcpy(g->mem + gpa, &v, 8);
}

static uint64_t rd64(struct guest *g, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, g->mem + gpa, 8);
	return v;
}

static void set_bits64(struct guest *g, uint64_t gpa, uint64_t set,
		       uint64_t clear)
{
	wr64(g, gpa, (rd64(g, gpa) | set) & ~clear);
}

/* Put the guest in @mode with an empty root table. */
static void guest_mode(struct guest *g, enum mode mode)
{
	g->mode = mode;
	g->ctx.cr0 = 1;		/* PE */
	g->ctx.cr4 = 0;
	g->ctx.efer = 0;
	g->ctx.cr3 = 0;
	if (mode == NOPAGING)
		return;
	g->ctx.cr0 |= X86_WALK_CR0_PG;
	g->ctx.cr3 = alloc_table(g);
	if (mode == PAE) {
		/* The PDPT is only 32-byte aligned. */
		g->ctx.cr3 += 0x60;
		g->ctx.cr4 |= X86_WALK_CR4_PAE;
	}
	if (mode == LM4 || mode == LM5) {
		g->ctx.cr4 |= X86_WALK_CR4_PAE;
		g->ctx.efer |= X86_WALK_EFER_LMA | (1ULL << 8);	/* LME */
	}
	if (mode == LM5)
		g->ctx.cr4 |= X86_WALK_CR4_LA57;
}

/*
 * Map @gva to @phys in the 8-byte-entry tables rooted at @root (@top
 * levels), with a leaf at @leaf (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) carrying
 * @flags.  Missing tables are allocated with P|RW|US.  Returns the gpa of
 * the leaf entry.
 */
static uint64_t map64_at(struct guest *g, uint64_t root, unsigned int top,
			 uint64_t gva, uint64_t phys, unsigned int leaf,
			 uint64_t flags)
{
	uint64_t table = root, e, a;
	unsigned int level, shift;

	for (level = top; level > leaf; level--) {
		shift = 12 + 9 * (level - 1);
		a = table + ((gva >> shift) & 511) * 8;
		e = rd64(g, a);
		if (!(e & P)) {
			e = alloc_table(g) | P | RW | US;
			wr64(g, a, e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
	shift = 12 + 9 * (leaf - 1);
	a = table + ((gva >> shift) & 511) * 8;
	wr64(g, a, phys | flags | (leaf > 1 ? PS : 0));
	return a;
}

/* The gpa of the PAE PDPTE for @gva, made present if it is not. */
static uint64_t pae_pdpte(struct guest *g, uint64_t gva)
{
	uint64_t a = (g->ctx.cr3 & ~0x1fULL) + ((gva >> 30) & 3) * 8;

	if (!(rd64(g, a) & P))
		wr64(g, a, alloc_table(g) | P);
	return a;
}

/* Map @gva in the guest's current mode; returns the leaf entry's gpa. */
static uint64_t map(struct guest *g, uint64_t gva, uint64_t phys,
		    unsigned int leaf, uint64_t flags)
{
	uint64_t root = g->ctx.cr3 & ~0xfffULL;

	switch (g->mode) {
	case PAE:
		root = rd64(g, pae_pdpte(g, gva)) & ~0xfffULL;
		return map64_at(g, root, 2, gva, phys, leaf, flags);
	case LM4:
		return map64_at(g, root, 4, gva, phys, leaf, flags);
	case LM5:
		return map64_at(g, root, 5, gva, phys, leaf, flags);
	default:
		return 0;
	}
}

/* The gpa of the entry at @level for @gva (tables must exist). */
static uint64_t entry_at(struct guest *g, uint64_t gva, unsigned int level)
{
	unsigned int top = g->mode == LM5 ? 5 : g->mode == LM4 ? 4 : 2;
	uint64_t table = g->ctx.cr3 & ~0xfffULL, a = 0;
	unsigned int l, shift;

	if (g->mode == PAE) {
		a = pae_pdpte(g, gva);
		if (level == 3)
			return a;
		table = rd64(g, a) & 0x000ffffffffff000ULL;
	}
	for (l = top; l >= level; l--) {
		shift = 12 + 9 * (l - 1);
		a = table + ((gva >> shift) & 511) * 8;
		table = rd64(g, a) & 0x000ffffffffff000ULL;
	}
	return a;
}

/* 32-bit paging: map a 4 KiB page; returns the PTE's gpa. */
static uint64_t map32_4k(struct guest *g, uint32_t gva, uint32_t phys,
			 uint32_t flags)
{
	uint64_t pde_a = g->ctx.cr3 + (gva >> 22) * 4, pte_a;
	uint32_t pde = rd32(g, pde_a);

	if (!(pde & P)) {
		pde = (uint32_t)alloc_table(g) | P | RW | US;
		wr32(g, pde_a, pde);
	}
	pte_a = (pde & 0xfffff000u) + ((gva >> 12) & 0x3ff) * 4;
	wr32(g, pte_a, phys | flags);
	return pte_a;
}

/* 32-bit paging: a 4 MiB PDE; returns its gpa. */
static uint64_t map32_4m(struct guest *g, uint32_t gva, uint32_t pde)
{
	uint64_t pde_a = g->ctx.cr3 + (gva >> 22) * 4;

	wr32(g, pde_a, pde | PS);
	return pde_a;
}

struct result {
	int ret;
	uint64_t gpa;
	uint64_t size;
	uint32_t ec;
};

static struct result walk(struct guest *g, uint64_t gva, unsigned int acc)
{
	struct result r = { .gpa = ~0ULL, .size = 0, .ec = 0xdead };
	uint64_t gpa2 = ~0ULL;
	uint32_t ec2 = 0xbeef;
	int ret2;

	r.ret = x86_gva_to_gpa_size(&g->ctx, gva, acc, &r.gpa, &r.size,
				    &r.ec);
	/* The plain variant must agree. */
	ret2 = x86_gva_to_gpa(&g->ctx, gva, acc, &gpa2, &ec2);
	if (ret2 != r.ret || ec2 != r.ec ||
	    (r.ret == X86_WALK_OK && gpa2 != r.gpa))
		r.ret = 99;
	return r;
}

#define EXPECT_GPA(g, gva, acc, want_gpa, want_size) do { \
	struct result _r = walk((g), (gva), (acc)); \
	EXPECT_EQ(X86_WALK_OK, _r.ret) TH_LOG("gva %#llx acc %#x ec %#x", \
		(unsigned long long)(gva), (acc), _r.ec); \
	EXPECT_EQ((uint64_t)(want_gpa), _r.gpa); \
	EXPECT_EQ((uint64_t)(want_size), _r.size); \
} while (0)

#define EXPECT_PF(g, gva, acc, want_ec) do { \
	struct result _r = walk((g), (gva), (acc)); \
	EXPECT_EQ(X86_WALK_FAULT, _r.ret) TH_LOG("gva %#llx acc %#x", \
		(unsigned long long)(gva), (acc)); \
	EXPECT_EQ((uint32_t)(want_ec), _r.ec) TH_LOG("gva %#llx acc %#x", \
		(unsigned long long)(gva), (acc)); \
} while (0)

#define RD	0u
#define WR	X86_ACC_WRITE
#define USR	X86_ACC_USER
#define FE	X86_ACC_FETCH

FIXTURE(walk) {
	struct guest g;
};

FIXTURE_SETUP(walk)
{
	memset(&self->g, 0, sizeof(self->g));
	self->g.mem = calloc(1, MEM_SIZE);
	ASSERT_NE(NULL, self->g.mem);
	self->g.next_table = 0x10000;
	self->g.ctx.read_gpa = fake_read_gpa;
	self->g.ctx.opaque = &self->g;
	self->g.ctx.maxphyaddr = 46;
}

FIXTURE_TEARDOWN(walk)
{
	EXPECT_EQ(0, self->g.misaligned);
	free(self->g.mem);
}

/* CR0.PG=0: linear = physical, 32 bits, no memory reads. */
TEST_F(walk, no_paging)
{
	struct guest *g = &self->g;

	guest_mode(g, NOPAGING);
	EXPECT_GPA(g, 0x12345678, RD, 0x12345678, 4 * KiB);
	EXPECT_GPA(g, 0xfffff123, WR | USR | FE, 0xfffff123, 4 * KiB);
	EXPECT_GPA(g, 0x100001234ULL, RD, 0x1234, 4 * KiB);
	EXPECT_EQ(0, g->reads);
}

TEST_F(walk, paging32_4k)
{
	struct guest *g = &self->g;

	guest_mode(g, PG32);
	map32_4k(g, 0x00401000, 0x00085000, P | RW | US);
	map32_4k(g, 0xc0000000, 0x00086000, P);
	EXPECT_GPA(g, 0x00401234, RD, 0x85234, 4 * KiB);
	EXPECT_GPA(g, 0x00401fff, WR | USR, 0x85fff, 4 * KiB);
	EXPECT_GPA(g, 0xc0000010, RD, 0x86010, 4 * KiB);
	/* Bits 63:32 of the address are ignored. */
	EXPECT_GPA(g, 0xffffffff00401234ULL, RD, 0x85234, 4 * KiB);
	/* PDE + PTE, 4 bytes each. */
	g->reads = 0;
	walk(g, 0x00401234, RD);
	EXPECT_EQ(2 * 2, g->reads);	/* walk() walks twice */
}

TEST_F(walk, paging32_4m_and_pse36)
{
	struct guest *g = &self->g;
	uint64_t pde;

	guest_mode(g, PG32);
	g->ctx.cr4 |= X86_WALK_CR4_PSE;
	g->ctx.maxphyaddr = 40;
	map32_4m(g, 0x00800000, 0x00c00000 | P | RW);
	EXPECT_GPA(g, 0x00812345, RD, 0x00c12345, 4 * MiB);
	/* PDE bits 20:13 are physical address bits 39:32. */
	pde = map32_4m(g, 0x01000000, 0x01400000 | (0xffu << 13) | P);
	EXPECT_GPA(g, 0x013fffff, RD, 0xff017fffffULL, 4 * MiB);
	/* With MAXPHYADDR 36, PDE bits 20:17 are reserved. */
	g->ctx.maxphyaddr = 36;
	EXPECT_PF(g, 0x01000000, RD, E_P | E_RSVD);
	wr32(g, pde, 0x01400000 | (0xfu << 13) | P | PS);
	EXPECT_GPA(g, 0x01000000, RD, 0xf01400000ULL, 4 * MiB);
	/* Bit 21 is always reserved. */
	wr32(g, pde, 0x01400000 | (1u << 21) | P | PS);
	EXPECT_PF(g, 0x01000000, WR, E_P | E_RSVD | E_W);
	g->ctx.maxphyaddr = 52;		/* limited to 40 in 32-bit paging */
	EXPECT_PF(g, 0x01000000, RD, E_P | E_RSVD);
	/* Without CR4.PSE the PS bit is ignored: the PDE names a table. */
	g->ctx.cr4 &= ~X86_WALK_CR4_PSE;
	wr32(g, pde, 0x00020000 | P | RW | US | PS);
	wr32(g, 0x00020000, 0x00087000 | P);
	EXPECT_GPA(g, 0x01000abc, RD, 0x87abc, 4 * KiB);
}

TEST_F(walk, paging32_not_present)
{
	struct guest *g = &self->g;
	uint64_t pte;

	guest_mode(g, PG32);
	EXPECT_PF(g, 0x00400000, RD, 0);
	EXPECT_PF(g, 0x00400000, WR | USR, E_W | E_U);
	pte = map32_4k(g, 0x00400000, 0x00085000, RW | US);
	EXPECT_PF(g, 0x00400000, WR, E_W);
	/* No NX and no SMEP: fetches have no I/D bit. */
	EXPECT_PF(g, 0x00400000, FE | USR, E_U);
	wr32(g, pte, 0x00085000 | P);
	EXPECT_GPA(g, 0x00400000, RD, 0x85000, 4 * KiB);
}

TEST_F(walk, paging32_rights)
{
	struct guest *g = &self->g;
	uint64_t pte;

	guest_mode(g, PG32);
	pte = map32_4k(g, 0x00400000, 0x00085000, P);
	/* Supervisor page: no user access at all. */
	EXPECT_PF(g, 0x00400000, USR, E_P | E_U);
	EXPECT_PF(g, 0x00400000, USR | WR, E_P | E_U | E_W);
	/* Read-only: supervisor writes pass unless CR0.WP. */
	EXPECT_GPA(g, 0x00400000, WR, 0x85000, 4 * KiB);
	g->ctx.cr0 |= X86_WALK_CR0_WP;
	EXPECT_PF(g, 0x00400000, WR, E_P | E_W);
	/* User page, read-only: user writes always fault. */
	wr32(g, pte, 0x00085000 | P | US);
	g->ctx.cr0 &= ~X86_WALK_CR0_WP;
	EXPECT_GPA(g, 0x00400000, USR, 0x85000, 4 * KiB);
	EXPECT_PF(g, 0x00400000, USR | WR, E_P | E_U | E_W);
	/* R/W or U/S clear in the PDE alone is enough. */
	wr32(g, pte, 0x00085000 | P | US | RW);
	EXPECT_GPA(g, 0x00400000, USR | WR, 0x85000, 4 * KiB);
	wr32(g, g->ctx.cr3 + 4, rd32(g, g->ctx.cr3 + 4) & ~(uint32_t)RW);
	EXPECT_PF(g, 0x00400000, USR | WR, E_P | E_U | E_W);
	wr32(g, g->ctx.cr3 + 4, rd32(g, g->ctx.cr3 + 4) & ~(uint32_t)US);
	EXPECT_PF(g, 0x00400000, USR, E_P | E_U);
}

TEST_F(walk, paging32_smep)
{
	struct guest *g = &self->g;

	guest_mode(g, PG32);
	map32_4k(g, 0x00400000, 0x00085000, P | US);
	map32_4k(g, 0x00401000, 0x00086000, P);
	EXPECT_GPA(g, 0x00400000, FE, 0x85000, 4 * KiB);
	g->ctx.cr4 |= X86_WALK_CR4_SMEP;
	EXPECT_PF(g, 0x00400000, FE, E_P | E_I);
	/* User fetches, and supervisor fetches from supervisor pages. */
	EXPECT_GPA(g, 0x00400000, FE | USR, 0x85000, 4 * KiB);
	EXPECT_GPA(g, 0x00401000, FE, 0x86000, 4 * KiB);
	EXPECT_PF(g, 0x00401000, FE | USR, E_P | E_U | E_I);
	/* Data reads of user pages are fine (SMAP is not modelled). */
	EXPECT_GPA(g, 0x00400000, RD, 0x85000, 4 * KiB);
	/* With SMEP a not-present fetch has I/D even without NX. */
	EXPECT_PF(g, 0x00800000, FE, E_I);
}

TEST_F(walk, pae_4k)
{
	struct guest *g = &self->g;

	guest_mode(g, PAE);
	map(g, 0x40201000, 0x123456000ULL, 1, P | RW | US);
	map(g, 0xc0000000, 0x00088000, 1, P);
	EXPECT_GPA(g, 0x40201123, RD, 0x123456123ULL, 4 * KiB);
	EXPECT_GPA(g, 0x40201123, WR | USR, 0x123456123ULL, 4 * KiB);
	EXPECT_GPA(g, 0xc0000fff, RD, 0x88fff, 4 * KiB);
	/* PDPTE, PDE, PTE; each walk() walks twice. */
	g->reads = 0;
	walk(g, 0x40201123, RD);
	EXPECT_EQ(3 * 2, g->reads);
	EXPECT_PF(g, 0x80000000, RD, 0);		/* no PDPTE */
	EXPECT_PF(g, 0x40400000, WR, E_W);		/* no PDE */
	EXPECT_PF(g, 0x40202000, USR, E_U);		/* no PTE */
}

TEST_F(walk, pae_2m)
{
	struct guest *g = &self->g;
	uint64_t pde;

	guest_mode(g, PAE);
	pde = map(g, 0x40200000, 0x7fe00000, 2, P | RW);
	EXPECT_GPA(g, 0x40212345, RD, 0x7fe12345, 2 * MiB);
	EXPECT_GPA(g, 0x403fffff, WR, 0x7fffffff, 2 * MiB);
	/* Bits 20:13 of a 2 MiB PDE are reserved; 12 is PAT. */
	set_bits64(g, pde, 1ULL << 12, 0);
	EXPECT_GPA(g, 0x40212345, RD, 0x7fe12345, 2 * MiB);
	set_bits64(g, pde, 1ULL << 13, 0);
	EXPECT_PF(g, 0x40212345, RD, E_P | E_RSVD);
	set_bits64(g, pde, 1ULL << 20, 1ULL << 13);
	EXPECT_PF(g, 0x40212345, USR, E_P | E_RSVD | E_U);
}

TEST_F(walk, pae_pdpte_reserved)
{
	struct guest *g = &self->g;
	uint64_t pdpte;

	guest_mode(g, PAE);
	map(g, 0x00001000, 0x00089000, 1, P | RW);
	pdpte = entry_at(g, 0x1000, 3);
	EXPECT_GPA(g, 0x1000, RD, 0x89000, 4 * KiB);
	/* PDPTEs have no R/W or U/S: bits 2:1 are reserved... */
	set_bits64(g, pdpte, RW, 0);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	set_bits64(g, pdpte, US, RW);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	/* ...as are 8:5 and 63:M, including 63 with NXE. */
	set_bits64(g, pdpte, 1ULL << 5, US);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	set_bits64(g, pdpte, 1ULL << 63, 1ULL << 5);
	g->ctx.efer |= X86_WALK_EFER_NXE;
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	set_bits64(g, pdpte, 1ULL << 46, 1ULL << 63);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	/* A not-present PDPTE's other bits do not matter. */
	set_bits64(g, pdpte, 0, P);
	EXPECT_PF(g, 0x1000, RD, 0);
	set_bits64(g, pdpte, P, 1ULL << 46);
	EXPECT_GPA(g, 0x1000, RD, 0x89000, 4 * KiB);
}

TEST_F(walk, pae_nx)
{
	struct guest *g = &self->g;
	uint64_t pte;

	guest_mode(g, PAE);
	pte = map(g, 0x00400000, 0x00085000, 1, P | RW | US | NX);
	/* NXE=0: XD is a reserved bit. */
	EXPECT_PF(g, 0x00400000, RD, E_P | E_RSVD);
	g->ctx.efer |= X86_WALK_EFER_NXE;
	EXPECT_GPA(g, 0x00400000, RD, 0x85000, 4 * KiB);
	EXPECT_GPA(g, 0x00400000, WR | USR, 0x85000, 4 * KiB);
	EXPECT_PF(g, 0x00400000, FE, E_P | E_I);
	EXPECT_PF(g, 0x00400000, FE | USR, E_P | E_U | E_I);
	/* XD in the PDE alone is enough. */
	set_bits64(g, pte, 0, NX);
	EXPECT_GPA(g, 0x00400000, FE, 0x85000, 4 * KiB);
	set_bits64(g, entry_at(g, 0x00400000, 2), NX, 0);
	EXPECT_PF(g, 0x00400000, FE, E_P | E_I);
	/* I/D is set on not-present fetches once NXE=1 in PAE paging. */
	EXPECT_PF(g, 0x00800000, FE, E_I);
	g->ctx.efer &= ~X86_WALK_EFER_NXE;
	EXPECT_PF(g, 0x00800000, FE, 0);
}

/* Address bits at and above MAXPHYADDR are reserved. */
TEST_F(walk, pae_maxphyaddr)
{
	struct guest *g = &self->g;
	uint64_t pte;

	guest_mode(g, PAE);
	g->ctx.maxphyaddr = 36;
	pte = map(g, 0x1000, 0xf00000000ULL, 1, P);
	EXPECT_GPA(g, 0x1000, RD, 0xf00000000ULL, 4 * KiB);
	set_bits64(g, pte, 1ULL << 36, 0);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
	g->ctx.maxphyaddr = 37;
	EXPECT_GPA(g, 0x1000, RD, 0x1f00000000ULL, 4 * KiB);
	/* In PAE paging bits 62:52 are reserved too (not ignored). */
	g->ctx.maxphyaddr = 52;
	set_bits64(g, pte, 1ULL << 52, 1ULL << 36);
	EXPECT_PF(g, 0x1000, RD, E_P | E_RSVD);
}

TEST_F(walk, lm4_4k)
{
	struct guest *g = &self->g;

	guest_mode(g, LM4);
	map(g, 0x00007f8040201000ULL, 0x00003f0000001000ULL, 1, P | RW | US);
	map(g, 0xffffffff80000000ULL, 0x00090000, 1, P | RW);
	EXPECT_GPA(g, 0x00007f8040201abcULL, RD, 0x00003f0000001abcULL,
		   4 * KiB);
	EXPECT_GPA(g, 0x00007f8040201abcULL, WR | USR | FE,
		   0x00003f0000001abcULL, 4 * KiB);
	EXPECT_GPA(g, 0xffffffff80000123ULL, WR, 0x90123, 4 * KiB);
	g->reads = 0;
	walk(g, 0xffffffff80000123ULL, RD);
	EXPECT_EQ(4 * 2, g->reads);
	EXPECT_PF(g, 0xffffffff80001000ULL, RD, 0);
	EXPECT_PF(g, 0x0000000000001000ULL, USR | WR, E_U | E_W);
}

TEST_F(walk, lm4_2m_1g)
{
	struct guest *g = &self->g;

	guest_mode(g, LM4);
	map(g, 0x40000000, 0x80000000ULL, 3, P | RW);
	map(g, 0x80200000, 0x12345600000ULL, 2, P | RW | US);
	EXPECT_GPA(g, 0x40000000, RD, 0x80000000ULL, GiB);
	EXPECT_GPA(g, 0x7fffffff, WR, 0xbfffffffULL, GiB);
	EXPECT_GPA(g, 0x80212345, USR, 0x12345612345ULL, 2 * MiB);
	g->reads = 0;
	walk(g, 0x40000000, RD);
	EXPECT_EQ(2 * 2, g->reads);
}

TEST_F(walk, lm5)
{
	struct guest *g = &self->g;
	uint64_t gva = 0x00ff800012345000ULL;

	guest_mode(g, LM5);
	/* Bits 56:48 index the PML5: canonical with 57 bits only. */
	map(g, gva, 0x00091000, 1, P | RW | US);
	map(g, 0xff00000000000000ULL, 0x40000000, 3, P);
	EXPECT_GPA(g, gva + 0x678, RD, 0x91678, 4 * KiB);
	EXPECT_GPA(g, 0xff00000000000001ULL, RD, 0x40000001, GiB);
	g->reads = 0;
	walk(g, gva, RD);
	EXPECT_EQ(5 * 2, g->reads);
	/* The PS bit is reserved in PML5Es. */
	set_bits64(g, entry_at(g, gva, 5), PS, 0);
	EXPECT_PF(g, gva, RD, E_P | E_RSVD);
	/* The same address is not canonical with 4-level paging. */
	g->ctx.cr4 &= ~X86_WALK_CR4_LA57;
	EXPECT_FALSE(x86_linear_is_canonical(&g->ctx, gva));
	EXPECT_PF(g, gva, RD, 0);
}

TEST_F(walk, non_canonical)
{
	struct guest *g = &self->g;
	static const uint64_t bad4[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x8000000000000000ULL, 0x00ff800012345000ULL,
	};
	unsigned int i;

	guest_mode(g, LM4);
	map(g, 0x00007ffffffff000ULL, 0x92000, 1, P | RW | US);
	map(g, 0xffff800000000000ULL, 0x93000, 1, P | RW | US);
	EXPECT_GPA(g, 0x00007fffffffffffULL, RD, 0x92fff, 4 * KiB);
	EXPECT_GPA(g, 0xffff800000000000ULL, RD, 0x93000, 4 * KiB);
	for (i = 0; i < ARRAY_SIZE(bad4); i++) {
		g->reads = 0;
		/* Error code 0 and no page-table reads: caller injects #GP. */
		EXPECT_PF(g, bad4[i], WR | USR | FE, 0);
		EXPECT_EQ(0, g->reads);
		EXPECT_FALSE(x86_linear_is_canonical(&g->ctx, bad4[i]));
	}
	EXPECT_TRUE(x86_linear_is_canonical(&g->ctx, 0xffff800000000000ULL));
	g->ctx.cr4 |= X86_WALK_CR4_LA57;
	EXPECT_FALSE(x86_linear_is_canonical(&g->ctx,
					     0x0100000000000000ULL));
	EXPECT_TRUE(x86_linear_is_canonical(&g->ctx, 0x00ff800012345000ULL));
	/* Outside long mode everything is canonical. */
	guest_mode(g, PAE);
	EXPECT_TRUE(x86_linear_is_canonical(&g->ctx, 0x8000000000000000ULL));
}

TEST_F(walk, lm_reserved_bits)
{
	struct guest *g = &self->g;
	uint64_t gva = 0x40201000, pte, pml4e, huge, big;

	guest_mode(g, LM4);
	g->ctx.maxphyaddr = 40;
	pte = map(g, gva, 0x00094000, 1, P | RW);
	pml4e = entry_at(g, gva, 4);
	huge = map(g, 0x80000000ULL, 0xc0000000ULL, 3, P);
	big = map(g, 0x100000000ULL, 0x200000ULL, 2, P);
	EXPECT_GPA(g, gva, RD, 0x94000, 4 * KiB);

	/* PS in a PML4E. */
	set_bits64(g, pml4e, PS, 0);
	EXPECT_PF(g, gva, RD, E_P | E_RSVD);
	set_bits64(g, pml4e, 0, PS);
	/* Bits 51:M. */
	set_bits64(g, pte, 1ULL << 40, 0);
	EXPECT_PF(g, gva, WR | USR, E_P | E_RSVD | E_W | E_U);
	set_bits64(g, pte, 1ULL << 51, 1ULL << 40);
	EXPECT_PF(g, gva, RD, E_P | E_RSVD);
	/* Bits 62:52 are ignored in 4-level paging. */
	set_bits64(g, pte, 1ULL << 52 | 1ULL << 62, 1ULL << 51);
	EXPECT_GPA(g, gva, RD, 0x94000, 4 * KiB);
	/* XD with NXE=0. */
	set_bits64(g, pte, NX, 0);
	EXPECT_PF(g, gva, RD, E_P | E_RSVD);
	g->ctx.efer |= X86_WALK_EFER_NXE;
	EXPECT_GPA(g, gva, RD, 0x94000, 4 * KiB);
	/* 1 GiB: bits 29:13 reserved, 12 (PAT) not. */
	EXPECT_GPA(g, 0x80000000ULL, RD, 0xc0000000ULL, GiB);
	set_bits64(g, huge, 1ULL << 12, 0);
	EXPECT_GPA(g, 0x80000000ULL, RD, 0xc0000000ULL, GiB);
	set_bits64(g, huge, 1ULL << 29, 0);
	EXPECT_PF(g, 0x80000000ULL, RD, E_P | E_RSVD);
	set_bits64(g, huge, 1ULL << 13, 1ULL << 29);
	EXPECT_PF(g, 0x80000000ULL, RD, E_P | E_RSVD);
	/* 2 MiB: bits 20:13. */
	EXPECT_GPA(g, 0x100000000ULL, RD, 0x200000ULL, 2 * MiB);
	set_bits64(g, big, 1ULL << 16, 0);
	EXPECT_PF(g, 0x100000000ULL, FE, E_P | E_RSVD | E_I);
	/* Reserved bits in a not-present entry do not matter. */
	set_bits64(g, big, 0, P);
	EXPECT_PF(g, 0x100000000ULL, RD, 0);
	/* MAXPHYADDR in CR3: bits above it are ignored, not faulted. */
	g->ctx.cr3 |= 1ULL << 45 | 0x18;
	EXPECT_GPA(g, gva, RD, 0x94000, 4 * KiB);
}

TEST_F(walk, lm_rights)
{
	struct guest *g = &self->g;
	uint64_t gva = 0x00007f0000000000ULL, pdpte;

	guest_mode(g, LM4);
	map(g, gva, 0x00095000, 1, P | RW | US);
	pdpte = entry_at(g, gva, 3);
	EXPECT_GPA(g, gva, USR | WR | FE, 0x95000, 4 * KiB);
	/* U/S clear at the PDPT level. */
	set_bits64(g, pdpte, 0, US);
	EXPECT_PF(g, gva, USR, E_P | E_U);
	EXPECT_GPA(g, gva, WR, 0x95000, 4 * KiB);
	/* R/W clear at the PML4 level. */
	set_bits64(g, pdpte, US, 0);
	set_bits64(g, entry_at(g, gva, 4), 0, RW);
	EXPECT_PF(g, gva, USR | WR, E_P | E_U | E_W);
	EXPECT_GPA(g, gva, WR, 0x95000, 4 * KiB);
	g->ctx.cr0 |= X86_WALK_CR0_WP;
	EXPECT_PF(g, gva, WR, E_P | E_W);
	/* XD at the PML4 level, NXE=1. */
	g->ctx.efer |= X86_WALK_EFER_NXE;
	set_bits64(g, entry_at(g, gva, 4), NX | RW, 0);
	EXPECT_PF(g, gva, FE, E_P | E_I);
	EXPECT_PF(g, gva, FE | USR, E_P | E_U | E_I);
	EXPECT_GPA(g, gva, WR | USR, 0x95000, 4 * KiB);
	/* SMEP: the page is user at every level. */
	set_bits64(g, entry_at(g, gva, 4), 0, NX);
	g->ctx.cr4 |= X86_WALK_CR4_SMEP;
	EXPECT_PF(g, gva, FE, E_P | E_I);
	EXPECT_GPA(g, gva, FE | USR, 0x95000, 4 * KiB);
	/* One supervisor level makes it a supervisor page. */
	set_bits64(g, entry_at(g, gva, 2), 0, US);
	EXPECT_GPA(g, gva, FE, 0x95000, 4 * KiB);
}

/* A reserved bit wins over a rights violation found later. */
TEST_F(walk, reserved_before_rights)
{
	struct guest *g = &self->g;
	uint64_t pte;

	guest_mode(g, LM4);
	pte = map(g, 0x1000, 0x96000, 1, P);
	EXPECT_PF(g, 0x1000, USR, E_P | E_U);
	set_bits64(g, pte, 1ULL << 50, 0);
	EXPECT_PF(g, 0x1000, USR, E_P | E_U | E_RSVD);
	/* And a not-present lower level wins over an upper level's rights. */
	set_bits64(g, pte, 0, P);
	EXPECT_PF(g, 0x1000, USR, E_U);
}

TEST_F(walk, read_errors)
{
	struct guest *g = &self->g;
	uint64_t pte;
	struct result r;

	guest_mode(g, LM4);
	pte = map(g, 0x1000, 0x97000, 1, P);
	g->fail = true;
	g->fail_gpa = entry_at(g, 0x1000, 4);
	r = walk(g, 0x1000, RD);
	EXPECT_EQ(X86_WALK_READ_ERROR, r.ret);
	EXPECT_EQ(0, r.ec);
	g->fail_gpa = pte;
	r = walk(g, 0x1000, RD);
	EXPECT_EQ(X86_WALK_READ_ERROR, r.ret);
	g->fail = false;
	/* A table outside guest memory. */
	set_bits64(g, entry_at(g, 0x1000, 2), 0x40000000, 0);
	r = walk(g, 0x1000, RD);
	EXPECT_EQ(X86_WALK_READ_ERROR, r.ret);
	g->ctx.cr3 = 0xfff000000ULL;
	r = walk(g, 0x1000, RD);
	EXPECT_EQ(X86_WALK_READ_ERROR, r.ret);
	/* In 32-bit paging too. */
	guest_mode(g, PG32);
	map32_4k(g, 0x1000, 0x97000, P);
	g->fail = true;
	g->fail_gpa = g->ctx.cr3;
	r = walk(g, 0x1000, RD);
	EXPECT_EQ(X86_WALK_READ_ERROR, r.ret);
}

/* Helpers for the fetch tests: a long-mode guest with code pages. */
static void code_guest(struct guest *g)
{
	guest_mode(g, LM4);
	g->ctx.efer |= X86_WALK_EFER_NXE;
}

TEST_F(walk, fetch_one_page)
{
	struct guest *g = &self->g;
	static const uint8_t code[] = { 0x48, 0xc7, 0x05, 0x10, 0, 0, 0,
					0xfe, 0xff, 0xff, 0xff };
	unsigned int fetched = 99;
	uint32_t ec = 99;
	uint8_t buf[15];
	int ret;

	code_guest(g);
	map(g, 0x400000, 0xa0000, 1, P | US);
	memcpy(g->mem + 0xa0100, code, sizeof(code));
	ret = x86_fetch_insn(&g->ctx, 0x400100, true, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(15, fetched);
	EXPECT_EQ(0, ec);
	EXPECT_EQ(0, memcmp(buf, code, sizeof(code)));
	/* len is capped at 15. */
	ret = x86_fetch_insn(&g->ctx, 0x400100, false, buf, 100, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(15, fetched);
}

TEST_F(walk, fetch_across_pages)
{
	struct guest *g = &self->g;
	static const uint8_t code[] = { 0x48, 0xc7, 0x05, 0x10, 0, 0, 0,
					0xfe, 0xff, 0xff, 0xff };
	unsigned int fetched;
	struct x86_insn insn;
	uint8_t buf[15];
	uint32_t ec;
	int ret;

	code_guest(g);
	/* Two virtually adjacent pages, physically apart and reversed. */
	map(g, 0x400000, 0xa5000, 1, P);
	map(g, 0x401000, 0xa2000, 1, P);
	memcpy(g->mem + 0xa5ffb, code, 5);
	memcpy(g->mem + 0xa2000, code + 5, sizeof(code) - 5);
	ret = x86_fetch_insn(&g->ctx, 0x400ffb, false, buf, sizeof(code),
			     &fetched, &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(sizeof(code), fetched);
	EXPECT_EQ(0, memcmp(buf, code, sizeof(code)));
	ASSERT_EQ(X86_DECODE_OK,
		  x86_decode_mmio(buf, fetched, X86_MODE_LONG64, &insn));
	EXPECT_EQ(sizeof(code), insn.len);
}

TEST_F(walk, fetch_second_page_not_present)
{
	struct guest *g = &self->g;
	static const uint8_t code[] = { 0x48, 0xc7, 0x05, 0x10, 0, 0, 0,
					0xfe, 0xff, 0xff, 0xff };
	unsigned int fetched;
	struct x86_insn insn;
	uint8_t buf[15];
	uint32_t ec;
	int ret;

	code_guest(g);
	map(g, 0x400000, 0xa5000, 1, P | US);
	memcpy(g->mem + 0xa5ffb, code, 5);
	/* Partial success: the five bytes of the first page. */
	ret = x86_fetch_insn(&g->ctx, 0x400ffb, true, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(5, fetched);
	EXPECT_EQ(0, ec);
	EXPECT_EQ(0, memcmp(buf, code, 5));
	EXPECT_EQ(X86_DECODE_NEED_MORE,
		  x86_decode_mmio(buf, fetched, X86_MODE_LONG64, &insn));
	/* Fetching from the second page gives its fault. */
	ret = x86_fetch_insn(&g->ctx, 0x400ffb + fetched, true, buf, 10,
			     &fetched, &ec);
	EXPECT_EQ(X86_WALK_FAULT, ret);
	EXPECT_EQ(0, fetched);
	EXPECT_EQ(E_U | E_I, ec);
	/* An instruction that ends on the first page decodes fine. */
	memcpy(g->mem + 0xa5ffd, (const uint8_t[]){ 0x89, 0x08, 0x90 }, 3);
	ret = x86_fetch_insn(&g->ctx, 0x400ffd, true, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(3, fetched);
	ASSERT_EQ(X86_DECODE_OK,
		  x86_decode_mmio(buf, fetched, X86_MODE_LONG64, &insn));
	EXPECT_EQ(2, insn.len);
}

TEST_F(walk, fetch_faults)
{
	struct guest *g = &self->g;
	unsigned int fetched = 99;
	uint8_t buf[15];
	uint32_t ec;
	int ret;

	code_guest(g);
	map(g, 0x400000, 0xa6000, 1, P);
	map(g, 0x401000, 0xa7000, 1, P | US | NX);
	/* User fetch from a supervisor page. */
	ret = x86_fetch_insn(&g->ctx, 0x400000, true, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_FAULT, ret);
	EXPECT_EQ(0, fetched);
	EXPECT_EQ(E_P | E_U | E_I, ec);
	/* Supervisor fetch from an XD page. */
	ret = x86_fetch_insn(&g->ctx, 0x401000, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_FAULT, ret);
	EXPECT_EQ(E_P | E_I, ec);
	/* Not present. */
	ret = x86_fetch_insn(&g->ctx, 0x800000, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_FAULT, ret);
	EXPECT_EQ(E_I, ec);
	/* The second page is XD: partial success. */
	ret = x86_fetch_insn(&g->ctx, 0x400ff8, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(8, fetched);
	/* Non-canonical rip. */
	ret = x86_fetch_insn(&g->ctx, 0x0000800000000000ULL, false, buf, 15,
			     &fetched, &ec);
	EXPECT_EQ(X86_WALK_FAULT, ret);
	EXPECT_EQ(0, ec);
	/* len 0 reads nothing. */
	g->reads = 0;
	ret = x86_fetch_insn(&g->ctx, 0x400000, false, buf, 0, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(0, fetched);
	EXPECT_EQ(0, g->reads);
}

TEST_F(walk, fetch_read_error)
{
	struct guest *g = &self->g;
	unsigned int fetched = 99;
	uint8_t buf[15];
	uint32_t ec = 99;
	int ret;

	code_guest(g);
	map(g, 0x400000, 0xa6000, 1, P);
	map(g, 0x401000, 0x7f000000, 1, P);	/* outside guest memory */
	ret = x86_fetch_insn(&g->ctx, 0x401000, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_READ_ERROR, ret);
	EXPECT_EQ(0, fetched);
	EXPECT_EQ(0, ec);
	ret = x86_fetch_insn(&g->ctx, 0x400ffe, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(2, fetched);
	/* A page-table read error on the first page. */
	g->fail = true;
	g->fail_gpa = entry_at(g, 0x400000, 1);
	ret = x86_fetch_insn(&g->ctx, 0x400000, false, buf, 15, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_READ_ERROR, ret);
	EXPECT_EQ(0, fetched);
}

/* Outside long mode the linear address wraps at 4 GiB. */
TEST_F(walk, fetch_wraps_at_4g)
{
	struct guest *g = &self->g;
	unsigned int fetched;
	uint8_t buf[15];
	uint32_t ec;
	int ret;

	guest_mode(g, PG32);
	map32_4k(g, 0xfffff000, 0x000a8000, P);
	map32_4k(g, 0x00000000, 0x000a9000, P);
	g->mem[0xa8ffe] = 0x89;
	g->mem[0xa8fff] = 0x08;
	g->mem[0xa9000] = 0xaa;
	g->mem[0xa9001] = 0xbb;
	ret = x86_fetch_insn(&g->ctx, 0xfffffffe, false, buf, 4, &fetched,
			     &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(4, fetched);
	EXPECT_EQ(0, memcmp(buf, "\x89\x08\xaa\xbb", 4));
	/* Without paging as well. */
	guest_mode(g, NOPAGING);
	g->mem[0] = 0xcc;
	ret = x86_fetch_insn(&g->ctx, 0xffffffffULL, false, buf, 2,
			     &fetched, &ec);
	/* 0xffffffff is outside the fake memory: nothing read. */
	EXPECT_EQ(X86_WALK_READ_ERROR, ret);
	ret = x86_fetch_insn(&g->ctx, 0x100000000ULL, false, buf, 1,
			     &fetched, &ec);
	EXPECT_EQ(X86_WALK_OK, ret);
	EXPECT_EQ(0xcc, buf[0]);
}

/* Access types match the error-code bit positions (SDM Vol. 3A 4.7). */
TEST(error_code_bits)
{
	EXPECT_EQ(X86_WALK_PF_W, X86_ACC_WRITE);
	EXPECT_EQ(X86_WALK_PF_U, X86_ACC_USER);
	EXPECT_EQ(X86_WALK_PF_I, X86_ACC_FETCH);
	EXPECT_EQ(0x1fu, E_P | E_W | E_U | E_RSVD | E_I);
}

TEST_HARNESS_MAIN
