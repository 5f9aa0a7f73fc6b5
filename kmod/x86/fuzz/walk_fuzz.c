// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the guest page-table walker and instruction fetch
 * (kmod/x86/walk.c).
 *
 * Input layout (little-endian):
 *   0   cr0, cr3, cr4, efer      4 x 8 bytes
 *   32  maxphyaddr               1 byte
 *   33  access for each address  4 x 1 byte (X86_ACC_* bits)
 *   37  linear addresses         4 x 8 bytes
 *   69  guest memory             the rest, at most 64 KiB, from gpa 0
 * read_gpa fails outside that memory.
 *
 * Checked for every address: the walk terminates after at most five
 * entry reads, all 4 or 8 bytes and naturally aligned; a translation
 * keeps the offset within its page, has a page size the mode allows and
 * stays below MAXPHYADDR; error codes have only architectural bits and
 * match the access; a supervisor read succeeds (to the same place)
 * whenever any access does, and the access type never changes
 * not-present, reserved-bit or read-error outcomes; x86_fetch_insn()
 * agrees with the walker and returns the bytes at the translated address.
 *
 * Run with WALK_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes a seed input (a small 4-level guest) to <file> and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "INVARIANT: %s (%s:%d)\n", #cond, \
			__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

#define HDR_SIZE	69
#define MEM_MAX		(64u << 10)
#define NADDR		4

struct fuzz_mem {
	const uint8_t *mem;
	size_t size;
	unsigned int reads;
	bool fetching;
};

static int fuzz_read_gpa(void *opaque, uint64_t gpa, void *buf,
			 unsigned int len)
{
	struct fuzz_mem *m = opaque;

	m->reads++;
	if (m->fetching) {
		/* Entries, or instruction bytes within one 4 KiB page. */
		CHECK(len >= 1 && len <= 15);
		CHECK((gpa & 0xfff) + len <= 0x1000);
	} else {
		CHECK((len == 4 || len == 8) && gpa % len == 0);
	}
	if (gpa >= m->size || len > m->size - gpa)
		return -1;
	memcpy(buf, m->mem + gpa, len);
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct outcome {
	int ret;
	uint64_t gpa, size;
	uint32_t ec;
	unsigned int reads;
};

static struct outcome do_walk(const struct x86_walk_ctx *ctx,
			      struct fuzz_mem *m, uint64_t gva,
			      unsigned int acc)
{
	struct outcome o = { .gpa = 0, .size = 0, .ec = 0x5a5a };
	uint64_t gpa2 = 0;
	uint32_t ec2 = 0;
	int ret2;

	m->reads = 0;
	o.ret = x86_gva_to_gpa_size(ctx, gva, acc, &o.gpa, &o.size, &o.ec);
	o.reads = m->reads;
	ret2 = x86_gva_to_gpa(ctx, gva, acc, &gpa2, &ec2);
	CHECK(ret2 == o.ret && ec2 == o.ec);
	CHECK(o.ret != X86_WALK_OK || gpa2 == o.gpa);
	return o;
}

static void check_walk(const struct x86_walk_ctx *ctx, struct fuzz_mem *m,
		       uint64_t gva, unsigned int acc)
{
	bool paging = ctx->cr0 & X86_WALK_CR0_PG;
	bool lm = paging && (ctx->efer & X86_WALK_EFER_LMA);
	bool pae = paging && !lm && (ctx->cr4 & X86_WALK_CR4_PAE);
	bool nx = (lm || pae) && (ctx->efer & X86_WALK_EFER_NXE);
	unsigned int maxpa = ctx->maxphyaddr;
	struct outcome o, s;

	if (maxpa < 32)
		maxpa = 32;
	if (maxpa > 52)
		maxpa = 52;

	o = do_walk(ctx, m, gva, acc);
	CHECK(o.ret == X86_WALK_OK || o.ret == X86_WALK_FAULT ||
	      o.ret == X86_WALK_READ_ERROR);
	/* One read per level at most, none without paging. */
	CHECK(o.reads <= (paging ? 5u : 0u));
	/* Deterministic. */
	s = do_walk(ctx, m, gva, acc);
	CHECK(s.ret == o.ret && s.ec == o.ec && s.reads == o.reads);

	switch (o.ret) {
	case X86_WALK_OK:
		CHECK(o.ec == 0);
		CHECK(s.gpa == o.gpa && s.size == o.size);
		CHECK(o.size == 4096 || o.size == (2u << 20) ||
		      o.size == (4u << 20) || o.size == (1u << 30));
		CHECK(((o.gpa ^ gva) & (o.size - 1)) == 0);
		if (!paging) {
			CHECK(o.size == 4096);
			CHECK(o.gpa == ((ctx->efer & X86_WALK_EFER_LMA) ?
					gva : (uint32_t)gva));
		} else if (lm) {
			CHECK(o.size != (4u << 20));
			CHECK(o.gpa >> maxpa == 0);
			CHECK(x86_linear_is_canonical(ctx, gva));
		} else if (pae) {
			CHECK(o.size == 4096 || o.size == (2u << 20));
			CHECK(o.gpa >> maxpa == 0);
		} else {
			CHECK(o.size == 4096 || o.size == (4u << 20));
			CHECK(o.gpa >> (maxpa > 40 ? 40 : maxpa) == 0);
			CHECK(o.size == 4096 || (ctx->cr4 & X86_WALK_CR4_PSE));
		}
		break;
	case X86_WALK_FAULT:
		CHECK(paging);
		if (lm && !x86_linear_is_canonical(ctx, gva)) {
			CHECK(o.ec == 0 && o.reads == 0);
			break;
		}
		CHECK((o.ec & ~0x1fu) == 0);
		CHECK(!!(o.ec & X86_WALK_PF_W) == !!(acc & X86_ACC_WRITE));
		CHECK(!!(o.ec & X86_WALK_PF_U) == !!(acc & X86_ACC_USER));
		CHECK(!(o.ec & X86_WALK_PF_RSVD) || (o.ec & X86_WALK_PF_P));
		CHECK(!!(o.ec & X86_WALK_PF_I) ==
		      ((acc & X86_ACC_FETCH) &&
		       ((ctx->cr4 & X86_WALK_CR4_SMEP) || nx)));
		break;
	default:
		CHECK(paging && o.ec == 0);
		break;
	}

	/* A supervisor read is allowed wherever anything is. */
	s = do_walk(ctx, m, gva, 0);
	if (o.ret == X86_WALK_OK) {
		CHECK(s.ret == X86_WALK_OK && s.gpa == o.gpa &&
		      s.size == o.size);
	} else if (o.ret == X86_WALK_READ_ERROR) {
		CHECK(s.ret == X86_WALK_READ_ERROR);
	} else if (!(o.ec & X86_WALK_PF_P) || (o.ec & X86_WALK_PF_RSVD)) {
		/* Structure faults do not depend on the access. */
		CHECK(s.ret == X86_WALK_FAULT);
		CHECK((s.ec & (X86_WALK_PF_P | X86_WALK_PF_RSVD)) ==
		      (o.ec & (X86_WALK_PF_P | X86_WALK_PF_RSVD)));
	} else {
		/* Rights faults never hit supervisor reads. */
		CHECK(s.ret == X86_WALK_OK);
	}
}

static void check_fetch(const struct x86_walk_ctx *ctx, struct fuzz_mem *m,
			uint64_t rip, bool user, unsigned int len)
{
	bool lm = (ctx->cr0 & X86_WALK_CR0_PG) &&
		  (ctx->efer & X86_WALK_EFER_LMA);
	unsigned int acc = X86_ACC_FETCH | (user ? X86_ACC_USER : 0);
	unsigned int fetched = 99, chunk;
	uint8_t buf[15];
	struct outcome o;
	uint32_t ec = 0x5a5a;
	int ret;

	m->fetching = true;
	ret = x86_fetch_insn(ctx, rip, user, buf, len, &fetched, &ec);
	m->fetching = false;

	if (len > 15)
		len = 15;
	CHECK(fetched <= len);
	o = do_walk(ctx, m, lm ? rip : (uint32_t)rip, acc);
	if (ret == X86_WALK_OK) {
		CHECK(ec == 0);
		CHECK(len == 0 || fetched >= 1);
		CHECK(len == 0 || fetched == len ||
		      ((rip + fetched) & 0xfff) == 0);
		if (fetched) {
			CHECK(o.ret == X86_WALK_OK);
			CHECK(o.gpa < m->size && buf[0] == m->mem[o.gpa]);
		}
		return;
	}
	CHECK(fetched == 0 && len > 0);
	if (ret == X86_WALK_FAULT) {
		CHECK(o.ret == X86_WALK_FAULT && o.ec == ec);
	} else {
		CHECK(ret == X86_WALK_READ_ERROR && ec == 0);
		/*
		 * The walk failed, or the bytes on the first page were not
		 * all inside guest memory.
		 */
		chunk = 0x1000 - (rip & 0xfff);
		if (chunk > len)
			chunk = len;
		CHECK(o.ret == X86_WALK_READ_ERROR ||
		      (o.ret == X86_WALK_OK && o.gpa + chunk > m->size));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem m = { 0 };
	struct x86_walk_ctx ctx;
	uint8_t *mem;
	unsigned int i, acc;
	uint64_t gva;

	if (size < HDR_SIZE)
		return 0;
	ctx.cr0 = le64(data);
	ctx.cr3 = le64(data + 8);
	ctx.cr4 = le64(data + 16);
	ctx.efer = le64(data + 24);
	ctx.maxphyaddr = data[32];
	ctx.read_gpa = fuzz_read_gpa;
	ctx.opaque = &m;

	/* An exact-size copy, so that over-reads trip ASan. */
	m.size = size - HDR_SIZE;
	if (m.size > MEM_MAX)
		m.size = MEM_MAX;
	mem = malloc(m.size ? m.size : 1);
	CHECK(mem);
	memcpy(mem, data + HDR_SIZE, m.size);
	m.mem = mem;

	for (i = 0; i < NADDR; i++) {
		acc = data[33 + i] & (X86_ACC_WRITE | X86_ACC_USER |
				      X86_ACC_FETCH);
		gva = le64(data + 37 + 8 * i);
		check_walk(&ctx, &m, gva, acc);
		check_fetch(&ctx, &m, gva, acc & X86_ACC_USER,
			    1 + (data[33 + i] >> 5) * 2);
		/* The same page's last bytes, and on into the next page. */
		check_fetch(&ctx, &m, gva | 0xff9, acc & X86_ACC_USER, 15);
	}
	free(mem);
	return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/*
 * The seed: a 4-level guest, PML4 at 0x0 (entries 0 and 256), PDPT at
 * 0x1000 (a table and a 1 GiB page), PD at 0x2000 (a table and a 2 MiB
 * page), PT at 0x3000 (4 KiB pages, one user, one XD).
 */
static int write_seed(const char *path)
{
	static uint8_t in[HDR_SIZE + 0x4000];
	uint8_t *mem = in + HDR_SIZE;
	FILE *f;

	put64(in, X86_WALK_CR0_PG | X86_WALK_CR0_WP | 1);
	put64(in + 8, 0);
	put64(in + 16, X86_WALK_CR4_PAE | X86_WALK_CR4_PSE | X86_WALK_CR4_SMEP);
	put64(in + 24, X86_WALK_EFER_LMA | X86_WALK_EFER_NXE | (1ULL << 8));
	in[32] = 40;
	in[33] = 0;
	in[34] = X86_ACC_WRITE | X86_ACC_USER | (7 << 5);
	in[35] = X86_ACC_FETCH | (2 << 5);
	in[36] = X86_ACC_FETCH | X86_ACC_USER | (7 << 5);
	put64(in + 37, 0x0000000000001ff8ULL);
	put64(in + 45, 0x0000000000000123ULL);
	put64(in + 53, 0x0000000040001000ULL);
	put64(in + 61, 0xffff800000201000ULL);

	put64(mem + 0x0000, 0x1000 | 7);		/* PML4[0] */
	put64(mem + 0x0800, 0x1000 | 7);		/* PML4[256] */
	put64(mem + 0x1000, 0x2000 | 7);		/* PDPT[0] */
	put64(mem + 0x1008, 0x40000000 | 0x80 | 3);	/* 1 GiB */
	put64(mem + 0x2000, 0x3000 | 7);		/* PD[0] */
	put64(mem + 0x2008, 0x00200000 | 0x80 | 7);	/* 2 MiB */
	put64(mem + 0x3000, 0x0000 | 7);		/* PT[0] */
	put64(mem + 0x3008, 0x2000 | 1 | (1ULL << 63));	/* PT[1] XD */

	f = fopen(path, "wb");
	if (!f || fwrite(in, sizeof(in), 1, f) != 1) {
		perror(path);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("WALK_FUZZ_WRITE_SEED");

	if (seed)
		exit(write_seed(seed));
	return 0;
}
