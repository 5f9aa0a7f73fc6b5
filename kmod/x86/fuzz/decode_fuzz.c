// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the MMIO instruction decoder (kmod/x86/decode.c).
 *
 * Input: byte 0 selects the mode (low two bits: real, prot16, prot32,
 * long64), the rest are the instruction bytes.  Besides the sanitizers'
 * checks it verifies the decoder's contract: field ranges, that the
 * first len bytes decode the same, that every shorter prefix (in a buffer
 * of exactly that size, so over-reads trip ASan) asks for more bytes, and
 * the write-back helpers' merging rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "INVARIANT: %s (%s:%d)\n", #cond, \
			__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

static bool same_insn(const struct x86_insn *a, const struct x86_insn *b)
{
	return a->len == b->len && a->op == b->op && a->size == b->size &&
	       a->reg == b->reg && a->reg_high8 == b->reg_high8 &&
	       a->dst_size == b->dst_size && a->ext == b->ext &&
	       a->has_imm == b->has_imm && a->imm == b->imm &&
	       a->rep == b->rep && a->addr_size == b->addr_size &&
	       a->seg == b->seg && a->df_relevant == b->df_relevant &&
	       a->rip_relative == b->rip_relative;
}

/* Decode from a heap copy of exactly @n bytes. */
static int decode_exact(const uint8_t *b, size_t n, enum x86_mode mode,
			struct x86_insn *out)
{
	uint8_t *copy = malloc(n ? n : 1);
	int ret;

	CHECK(copy);
	memcpy(copy, b, n);
	ret = x86_decode_mmio(copy, n, mode, out);
	free(copy);
	return ret;
}

static bool valid_size(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static uint64_t mask_of(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static void check_fields(const struct x86_insn *i, enum x86_mode mode,
			 size_t n)
{
	bool lm = mode == X86_MODE_LONG64;

	CHECK(i->len >= 1 && i->len <= X86_MAX_INSN_LEN && i->len <= n);
	CHECK(i->op <= X86_OP_MOVS);
	CHECK(valid_size(i->size));
	CHECK(valid_size(i->dst_size));
	CHECK(i->dst_size >= i->size);
	CHECK(i->ext <= X86_EXT_SIGN);
	CHECK(i->reg < 16);
	CHECK(lm || i->reg < 8);
	CHECK(lm || (i->size <= 4 && i->dst_size <= 4));
	CHECK(!i->reg_high8 || (i->reg < 4 && i->size == 1 &&
				i->dst_size == 1));
	CHECK(i->addr_size == 2 || i->addr_size == 4 || i->addr_size == 8);
	CHECK(lm ? i->addr_size != 2 : i->addr_size != 8);
	CHECK(i->seg <= X86_SEG_GS);
	CHECK(!lm || i->seg == X86_SEG_DS || i->seg == X86_SEG_SS ||
	      i->seg == X86_SEG_FS || i->seg == X86_SEG_GS ||
	      i->op == X86_OP_STOS);
	CHECK(i->df_relevant ==
	      (i->op == X86_OP_STOS || i->op == X86_OP_MOVS));
	CHECK(!i->rep || i->df_relevant);
	CHECK(i->op != X86_OP_STOS || i->seg == X86_SEG_ES);
	CHECK(!i->has_imm || i->op == X86_OP_STORE);
	CHECK(i->op == X86_OP_LOAD || i->ext == X86_EXT_NONE);
	CHECK(i->op == X86_OP_LOAD || i->dst_size == i->size);
	CHECK(i->ext != X86_EXT_NONE || i->dst_size == i->size);
	CHECK(!i->rip_relative || lm);
}

static void check_helpers(const struct x86_insn *i, uint64_t old,
			  uint64_t mem)
{
	uint64_t wb, sv, v, m = mask_of(i->size);

	if (i->op == X86_OP_LOAD) {
		wb = x86_insn_load_writeback(i, old, mem);
		/* Only the low size bytes of the memory value count. */
		CHECK(wb == x86_insn_load_writeback(i, old, mem & m));
		v = mem & m;
		if (i->ext == X86_EXT_SIGN && i->size < 8 &&
		    (v >> (i->size * 8 - 1)) & 1)
			v |= ~m;
		switch (i->dst_size) {
		case 1:
			if (i->reg_high8)
				CHECK(wb == ((old & ~0xff00ULL) |
					     ((v & 0xff) << 8)));
			else
				CHECK(wb == ((old & ~0xffULL) | (v & 0xff)));
			break;
		case 2:
			CHECK(wb == ((old & ~0xffffULL) | (v & 0xffff)));
			break;
		case 4:
			CHECK(wb == (v & 0xffffffffULL));
			break;
		default:
			CHECK(wb == v);
			break;
		}
	} else if (i->op != X86_OP_MOVS) {
		sv = x86_insn_store_value(i, old);
		CHECK((sv & ~m) == 0);
		if (i->has_imm)
			CHECK(sv == (i->imm & m));
		else if (i->reg_high8)
			CHECK(sv == ((old >> 8) & 0xff));
		else
			CHECK(sv == (old & m));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86_insn insn, again;
	enum x86_mode mode;
	const uint8_t *b;
	uint64_t seed;
	size_t n, k;
	int ret;

	if (size < 1)
		return 0;
	mode = (enum x86_mode)(data[0] & 3);
	b = data + 1;
	n = size - 1;

	ret = decode_exact(b, n, mode, &insn);
	CHECK(ret == X86_DECODE_OK || ret == X86_DECODE_NEED_MORE ||
	      ret == X86_DECODE_UNSUPPORTED || ret == X86_DECODE_INVALID);
	/* Only the first 15 bytes are ever looked at. */
	if (n > X86_MAX_INSN_LEN)
		CHECK(decode_exact(b, X86_MAX_INSN_LEN, mode, &again) == ret);
	/* More bytes can always be had below 15, never at or above. */
	if (ret == X86_DECODE_NEED_MORE)
		CHECK(n < X86_MAX_INSN_LEN);
	if (ret != X86_DECODE_OK)
		return 0;

	check_fields(&insn, mode, n);

	CHECK(decode_exact(b, insn.len, mode, &again) == X86_DECODE_OK);
	CHECK(same_insn(&insn, &again));
	for (k = 0; k < insn.len; k++)
		CHECK(decode_exact(b, k, mode, &again) ==
		      X86_DECODE_NEED_MORE);

	/* Register and memory values from the input's bytes. */
	seed = 0x9e3779b97f4a7c15ULL;
	for (k = 0; k < size; k++)
		seed = (seed ^ data[k]) * 0x100000001b3ULL;
	check_helpers(&insn, seed, ~seed);
	check_helpers(&insn, 0, ~0ULL);
	check_helpers(&insn, ~0ULL, 0x80);
	check_helpers(&insn, 0x0123456789abcdefULL, 0x8000800080008080ULL);
	return 0;
}
