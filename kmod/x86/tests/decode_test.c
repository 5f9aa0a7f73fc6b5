// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the MMIO instruction decoder (kmod/x86/decode.c).
 *
 * Every accepted byte string is hand-assembled, with the assembly in the
 * label, and checked field by field; check_ok() also checks that every
 * truncation of it asks for more bytes and that trailing bytes change
 * nothing.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "decode.h"

#define R	X86_MODE_REAL
#define P16	X86_MODE_PROT16
#define P32	X86_MODE_PROT32
#define L64	X86_MODE_LONG64

/* A byte string as (pointer, length) arguments. */
#define B(...)	(const uint8_t[]){ __VA_ARGS__ }, \
		sizeof((const uint8_t[]){ __VA_ARGS__ })

/*
 * Expected results, with the fields most cases share.  A dst_size left
 * at 0 means "equal to size" (check_ok()).
 */
#define LOAD(sz, r, as, sg, ...) (&(struct x86_insn){ \
	.op = X86_OP_LOAD, .size = (sz), .reg = (r), \
	.addr_size = (as), .seg = (sg), __VA_ARGS__ })
#define STORE(sz, r, as, sg, ...) (&(struct x86_insn){ \
	.op = X86_OP_STORE, .size = (sz), .reg = (r), \
	.addr_size = (as), .seg = (sg), __VA_ARGS__ })

#define ES	X86_SEG_ES
#define CS	X86_SEG_CS
#define SS	X86_SEG_SS
#define DS	X86_SEG_DS
#define FS	X86_SEG_FS
#define GS	X86_SEG_GS

static const char *const mode_names[] = { "real", "prot16", "prot32",
					  "long64" };

static int decode(const uint8_t *b, size_t n, enum x86_mode mode,
		  struct x86_insn *out)
{
	return x86_decode_mmio(b, n, mode, out);
}

/*
 * @b[0..n) must decode in @mode to exactly *@exp (with len == n), every
 * shorter prefix must be NEED_MORE, and trailing bytes must not matter.
 */
static void check_ok(struct __test_metadata *_metadata, const char *what,
		     enum x86_mode mode, const uint8_t *b, size_t n,
		     const struct x86_insn *exp)
{
	struct x86_insn got, again;
	uint8_t buf[32];
	size_t k;

	memset(&got, 0xa5, sizeof(got));
	ASSERT_EQ(X86_DECODE_OK, decode(b, n, mode, &got))
		TH_LOG("%s (%s)", what, mode_names[mode]);
	ASSERT_EQ(n, got.len) TH_LOG("%s: len", what);
	EXPECT_EQ(exp->op, got.op) TH_LOG("%s: op", what);
	EXPECT_EQ(exp->size, got.size) TH_LOG("%s: size", what);
	EXPECT_EQ(exp->reg, got.reg) TH_LOG("%s: reg", what);
	EXPECT_EQ(exp->reg_high8, got.reg_high8) TH_LOG("%s: high8", what);
	EXPECT_EQ(exp->dst_size ? exp->dst_size : exp->size, got.dst_size)
		TH_LOG("%s: dst_size", what);
	EXPECT_EQ(exp->ext, got.ext) TH_LOG("%s: ext", what);
	EXPECT_EQ(exp->has_imm, got.has_imm) TH_LOG("%s: has_imm", what);
	EXPECT_EQ(exp->imm, got.imm) TH_LOG("%s: imm", what);
	EXPECT_EQ(exp->rep, got.rep) TH_LOG("%s: rep", what);
	EXPECT_EQ(exp->addr_size, got.addr_size)
		TH_LOG("%s: addr_size", what);
	EXPECT_EQ(exp->seg, got.seg) TH_LOG("%s: seg", what);
	EXPECT_EQ(exp->df_relevant, got.df_relevant)
		TH_LOG("%s: df_relevant", what);
	EXPECT_EQ(exp->rip_relative, got.rip_relative)
		TH_LOG("%s: rip_relative", what);

	for (k = 0; k < n; k++)
		EXPECT_EQ(X86_DECODE_NEED_MORE, decode(b, k, mode, &again))
			TH_LOG("%s: truncated to %zu bytes", what, k);

	memcpy(buf, b, n);
	memset(buf + n, 0x0f, sizeof(buf) - n);
	memset(&again, 0x5a, sizeof(again));
	ASSERT_EQ(X86_DECODE_OK, decode(buf, sizeof(buf), mode, &again))
		TH_LOG("%s: with trailing bytes", what);
	EXPECT_EQ(got.len, again.len) TH_LOG("%s: trailing len", what);
	EXPECT_EQ(got.size, again.size) TH_LOG("%s: trailing size", what);
	EXPECT_EQ(got.imm, again.imm) TH_LOG("%s: trailing imm", what);
}

static void check_err(struct __test_metadata *_metadata, const char *what,
		      int want, enum x86_mode mode, const uint8_t *b,
		      size_t n)
{
	struct x86_insn out;

	memset(&out, 0x77, sizeof(out));
	EXPECT_EQ(want, decode(b, n, mode, &out))
		TH_LOG("%s (%s)", what, mode_names[mode]);
	/* *out is left alone on failure. */
	EXPECT_EQ(0x77, out.len) TH_LOG("%s: out written", what);
}

/* 89 /r: mov m, r in every mode. */
TEST(mov_store_every_mode)
{
	check_ok(_metadata, "mov [bx],ax", R, B(0x89, 0x07),
		 STORE(2, 0, 2, DS));
	check_ok(_metadata, "mov [bp-2],ax", P16, B(0x89, 0x46, 0xfe),
		 STORE(2, 0, 2, SS));
	check_ok(_metadata, "mov [eax],ecx", P32, B(0x89, 0x08),
		 STORE(4, 1, 4, DS));
	check_ok(_metadata, "mov [rax],ecx", L64, B(0x89, 0x08),
		 STORE(4, 1, 8, DS));
	check_ok(_metadata, "mov [rax],rcx", L64, B(0x48, 0x89, 0x08),
		 STORE(8, 1, 8, DS));
	check_ok(_metadata, "mov [rax],r9", L64, B(0x4c, 0x89, 0x08),
		 STORE(8, 9, 8, DS));
	check_ok(_metadata, "mov [r8],cx", L64, B(0x66, 0x41, 0x89, 0x08),
		 STORE(2, 1, 8, DS));
}

/* 88 /r: mov m8, r8, with the high-byte registers. */
TEST(mov_store8)
{
	check_ok(_metadata, "mov [bx],al", R, B(0x88, 0x07),
		 STORE(1, 0, 2, DS));
	check_ok(_metadata, "mov [bx+si],bh", P16, B(0x88, 0x38),
		 STORE(1, 3, 2, DS, .reg_high8 = true));
	check_ok(_metadata, "mov [eax],dh", P32, B(0x88, 0x30),
		 STORE(1, 2, 4, DS, .reg_high8 = true));
	check_ok(_metadata, "mov [rax],dh", L64, B(0x88, 0x30),
		 STORE(1, 2, 8, DS, .reg_high8 = true));
	check_ok(_metadata, "mov [rax],sil", L64, B(0x40, 0x88, 0x30),
		 STORE(1, 6, 8, DS));
	check_ok(_metadata, "mov [rax],r8b", L64, B(0x44, 0x88, 0x00),
		 STORE(1, 8, 8, DS));
	check_ok(_metadata, "mov [r15],r15b", L64, B(0x45, 0x88, 0x3f),
		 STORE(1, 15, 8, DS));
}

/* 8A /r and 8B /r: loads. */
TEST(mov_load)
{
	check_ok(_metadata, "mov ax,[si]", R, B(0x8b, 0x04),
		 LOAD(2, 0, 2, DS));
	check_ok(_metadata, "mov cx,[bx+di+0x10]", P16,
		 B(0x8b, 0x49, 0x10), LOAD(2, 1, 2, DS));
	check_ok(_metadata, "mov edx,[ebx+0x12345678]", P32,
		 B(0x8b, 0x93, 0x78, 0x56, 0x34, 0x12), LOAD(4, 2, 4, DS));
	check_ok(_metadata, "mov r15,[rsp]", L64,
		 B(0x4c, 0x8b, 0x3c, 0x24), LOAD(8, 15, 8, SS));
	check_ok(_metadata, "mov al,[rdi]", L64, B(0x8a, 0x07),
		 LOAD(1, 0, 8, DS));
	check_ok(_metadata, "mov ah,[rsp]", L64, B(0x8a, 0x24, 0x24),
		 LOAD(1, 0, 8, SS, .reg_high8 = true));
	check_ok(_metadata, "mov spl,[rsp]", L64, B(0x40, 0x8a, 0x24, 0x24),
		 LOAD(1, 4, 8, SS));
	check_ok(_metadata, "mov r12b,[rsp]", L64,
		 B(0x44, 0x8a, 0x24, 0x24), LOAD(1, 12, 8, SS));
}

/* Each of AH, CH, DH, BH and their REX counterparts SPL..DIL. */
TEST(high8_registers)
{
	check_ok(_metadata, "mov ah,[eax]", P32, B(0x8a, 0x20),
		 LOAD(1, 0, 4, DS, .reg_high8 = true));
	check_ok(_metadata, "mov ch,[eax]", P32, B(0x8a, 0x28),
		 LOAD(1, 1, 4, DS, .reg_high8 = true));
	check_ok(_metadata, "mov dh,[eax]", P32, B(0x8a, 0x30),
		 LOAD(1, 2, 4, DS, .reg_high8 = true));
	check_ok(_metadata, "mov bh,[eax]", P32, B(0x8a, 0x38),
		 LOAD(1, 3, 4, DS, .reg_high8 = true));
	check_ok(_metadata, "mov bl,[eax]", P32, B(0x8a, 0x18),
		 LOAD(1, 3, 4, DS));
	check_ok(_metadata, "mov spl,[rax]", L64, B(0x40, 0x8a, 0x20),
		 LOAD(1, 4, 8, DS));
	check_ok(_metadata, "mov bpl,[rax]", L64, B(0x40, 0x8a, 0x28),
		 LOAD(1, 5, 8, DS));
	/* REX.B only extends r/m: still DIL, not BH. */
	check_ok(_metadata, "mov dil,[r8]", L64, B(0x41, 0x8a, 0x38),
		 LOAD(1, 7, 8, DS));
	/* A REX.W-only prefix also turns AH into SPL. */
	check_ok(_metadata, "mov [rax],spl (REX.W)", L64,
		 B(0x48, 0x88, 0x20), STORE(1, 4, 8, DS));
}

/* C6 /0 ib and C7 /0 iw/id, immediates sign-extended. */
TEST(mov_imm)
{
	check_ok(_metadata, "mov byte [rax],0x7f", L64, B(0xc6, 0x00, 0x7f),
		 STORE(1, 0, 8, DS, .has_imm = true, .imm = 0x7f));
	check_ok(_metadata, "mov byte [rax],0x80", L64, B(0xc6, 0x00, 0x80),
		 STORE(1, 0, 8, DS, .has_imm = true,
		       .imm = 0xffffffffffffff80ULL));
	check_ok(_metadata, "mov dword [rax],0x12345678", L64,
		 B(0xc7, 0x00, 0x78, 0x56, 0x34, 0x12),
		 STORE(4, 0, 8, DS, .has_imm = true, .imm = 0x12345678));
	check_ok(_metadata, "mov qword [rax],-1", L64,
		 B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff),
		 STORE(8, 0, 8, DS, .has_imm = true, .imm = ~0ULL));
	check_ok(_metadata, "mov qword [rax],0x7fffffff", L64,
		 B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f),
		 STORE(8, 0, 8, DS, .has_imm = true, .imm = 0x7fffffff));
	check_ok(_metadata, "mov word [rax],0x8234", L64,
		 B(0x66, 0xc7, 0x00, 0x34, 0x82),
		 STORE(2, 0, 8, DS, .has_imm = true,
		       .imm = 0xffffffffffff8234ULL));
	check_ok(_metadata, "mov word [0x1000],0x1234", R,
		 B(0xc7, 0x06, 0x00, 0x10, 0x34, 0x12),
		 STORE(2, 0, 2, DS, .has_imm = true, .imm = 0x1234));
	check_ok(_metadata, "mov dword [0x1000],0x12345678", R,
		 B(0x66, 0xc7, 0x06, 0x00, 0x10, 0x78, 0x56, 0x34, 0x12),
		 STORE(4, 0, 2, DS, .has_imm = true, .imm = 0x12345678));
	check_ok(_metadata, "mov byte [bp+si+1],5", P16,
		 B(0xc6, 0x42, 0x01, 0x05),
		 STORE(1, 0, 2, SS, .has_imm = true, .imm = 5));
	check_ok(_metadata, "mov dword [esp+0x100],1", P32,
		 B(0xc7, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00,
		   0x01, 0x00, 0x00, 0x00),
		 STORE(4, 0, 4, SS, .has_imm = true, .imm = 1));
	/* REX.R does not change the /0 opcode extension. */
	check_ok(_metadata, "mov byte [rax],1 (REX.R)", L64,
		 B(0x44, 0xc6, 0x00, 0x01),
		 STORE(1, 0, 8, DS, .has_imm = true, .imm = 1));
}

/* A0..A3: moffs is as wide as the address size. */
TEST(moffs)
{
	check_ok(_metadata, "mov ax,[0x1234]", R, B(0xa1, 0x34, 0x12),
		 LOAD(2, 0, 2, DS));
	check_ok(_metadata, "mov al,[0x1234]", P16, B(0xa0, 0x34, 0x12),
		 LOAD(1, 0, 2, DS));
	check_ok(_metadata, "mov [0x12345678],al (a32)", R,
		 B(0x67, 0xa2, 0x78, 0x56, 0x34, 0x12), STORE(1, 0, 4, DS));
	check_ok(_metadata, "mov eax,[0x12345678]", P32,
		 B(0xa1, 0x78, 0x56, 0x34, 0x12), LOAD(4, 0, 4, DS));
	check_ok(_metadata, "mov [0x1234],ax (a16)", P32,
		 B(0x66, 0x67, 0xa3, 0x34, 0x12), STORE(2, 0, 2, DS));
	check_ok(_metadata, "mov eax,[moffs64]", L64,
		 B(0xa1, 1, 2, 3, 4, 5, 6, 7, 8), LOAD(4, 0, 8, DS));
	check_ok(_metadata, "mov [moffs64],rax", L64,
		 B(0x48, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8), STORE(8, 0, 8, DS));
	check_ok(_metadata, "mov al,[moffs32] (a32)", L64,
		 B(0x67, 0xa0, 1, 2, 3, 4), LOAD(1, 0, 4, DS));
	check_ok(_metadata, "mov al,fs:[moffs64]", L64,
		 B(0x64, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8), LOAD(1, 0, 8, FS));
	check_ok(_metadata, "mov es:[0x1234],ax", R,
		 B(0x26, 0xa3, 0x34, 0x12), STORE(2, 0, 2, ES));
	/* REX.B does not turn AL into R8B here. */
	check_ok(_metadata, "mov [moffs64],al (REX.B)", L64,
		 B(0x41, 0xa2, 1, 2, 3, 4, 5, 6, 7, 8), STORE(1, 0, 8, DS));
}

/* 0F B6/B7/BE/BF: movzx, movsx. */
TEST(movzx_movsx)
{
	check_ok(_metadata, "movzx eax,byte [eax]", P32,
		 B(0x0f, 0xb6, 0x00),
		 LOAD(1, 0, 4, DS, .dst_size = 4, .ext = X86_EXT_ZERO));
	check_ok(_metadata, "movzx ax,byte [0x1000]", R,
		 B(0x0f, 0xb6, 0x06, 0x00, 0x10),
		 LOAD(1, 0, 2, DS, .dst_size = 2, .ext = X86_EXT_ZERO));
	check_ok(_metadata, "movsx eax,byte [0x1000]", R,
		 B(0x66, 0x0f, 0xbe, 0x06, 0x00, 0x10),
		 LOAD(1, 0, 2, DS, .dst_size = 4, .ext = X86_EXT_SIGN));
	check_ok(_metadata, "movzx cx,word [bx]", P16,
		 B(0x0f, 0xb7, 0x0f),
		 LOAD(2, 1, 2, DS, .dst_size = 2, .ext = X86_EXT_ZERO));
	check_ok(_metadata, "movsx rcx,word [rsp]", L64,
		 B(0x48, 0x0f, 0xbf, 0x0c, 0x24),
		 LOAD(2, 1, 8, SS, .dst_size = 8, .ext = X86_EXT_SIGN));
	check_ok(_metadata, "movzx r8d,word [rax]", L64,
		 B(0x44, 0x0f, 0xb7, 0x00),
		 LOAD(2, 8, 8, DS, .dst_size = 4, .ext = X86_EXT_ZERO));
	check_ok(_metadata, "movsx r9w,byte [rax]", L64,
		 B(0x66, 0x44, 0x0f, 0xbe, 0x08),
		 LOAD(1, 9, 8, DS, .dst_size = 2, .ext = X86_EXT_SIGN));
	check_ok(_metadata, "movzx rax,byte [rax] (66 REX.W)", L64,
		 B(0x66, 0x48, 0x0f, 0xb6, 0x00),
		 LOAD(1, 0, 8, DS, .dst_size = 8, .ext = X86_EXT_ZERO));
	/* The destination is a full register: never AH..BH. */
	check_ok(_metadata, "movzx esp,byte [eax]", P32,
		 B(0x0f, 0xb6, 0x20),
		 LOAD(1, 4, 4, DS, .dst_size = 4, .ext = X86_EXT_ZERO));
}

/* 63 /r: movsxd, 64-bit mode only. */
TEST(movsxd)
{
	check_ok(_metadata, "movsxd rcx,dword [rax]", L64,
		 B(0x48, 0x63, 0x08),
		 LOAD(4, 1, 8, DS, .dst_size = 8, .ext = X86_EXT_SIGN));
	check_ok(_metadata, "movsxd r8,dword [disp32]", L64,
		 B(0x4c, 0x63, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
		 LOAD(4, 8, 8, DS, .dst_size = 8, .ext = X86_EXT_SIGN));
	/* Without REX.W it is a plain 32-bit (or 16-bit) load. */
	check_ok(_metadata, "movsxd ecx,dword [rax]", L64, B(0x63, 0x08),
		 LOAD(4, 1, 8, DS));
	check_ok(_metadata, "movsxd cx,word [rax]", L64, B(0x66, 0x63, 0x08),
		 LOAD(2, 1, 8, DS));
	/* ARPL outside 64-bit mode. */
	check_err(_metadata, "arpl [eax],cx", X86_DECODE_UNSUPPORTED, P32,
		  B(0x63, 0x08));
	check_err(_metadata, "arpl [bx],cx", X86_DECODE_UNSUPPORTED, R,
		  B(0x63, 0x0f));
}

/* AA/AB: stos, into ES:[rDI] whatever the overrides say. */
TEST(stos)
{
	check_ok(_metadata, "stosb", R, B(0xaa),
		 &(struct x86_insn){ .op = X86_OP_STOS, .size = 1,
				     .dst_size = 1, .addr_size = 2,
				     .seg = ES, .df_relevant = true });
	check_ok(_metadata, "rep stosd", P32, B(0xf3, 0xab),
		 &(struct x86_insn){ .op = X86_OP_STOS, .size = 4,
				     .dst_size = 4, .addr_size = 4,
				     .seg = ES, .df_relevant = true,
				     .rep = true });
	check_ok(_metadata, "rep stosq", L64, B(0xf3, 0x48, 0xab),
		 &(struct x86_insn){ .op = X86_OP_STOS, .size = 8,
				     .dst_size = 8, .addr_size = 8,
				     .seg = ES, .df_relevant = true,
				     .rep = true });
	check_ok(_metadata, "rep stosw (a32)", L64,
		 B(0x66, 0x67, 0xf3, 0xab),
		 &(struct x86_insn){ .op = X86_OP_STOS, .size = 2,
				     .dst_size = 2, .addr_size = 4,
				     .seg = ES, .df_relevant = true,
				     .rep = true });
	check_ok(_metadata, "cs stosb (override ignored)", P16,
		 B(0x2e, 0xaa),
		 &(struct x86_insn){ .op = X86_OP_STOS, .size = 1,
				     .dst_size = 1, .addr_size = 2,
				     .seg = ES, .df_relevant = true });
	check_err(_metadata, "repne stosb", X86_DECODE_UNSUPPORTED, P32,
		  B(0xf2, 0xaa));
	check_err(_metadata, "lock stosb", X86_DECODE_INVALID, P32,
		  B(0xf0, 0xaa));
}

/* A4/A5: movs, the source segment can be overridden. */
TEST(movs)
{
	check_ok(_metadata, "movsb", R, B(0xa4),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 1,
				     .dst_size = 1, .addr_size = 2,
				     .seg = DS, .df_relevant = true });
	check_ok(_metadata, "rep movsd", P32, B(0xf3, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 4,
				     .dst_size = 4, .addr_size = 4,
				     .seg = DS, .df_relevant = true,
				     .rep = true });
	check_ok(_metadata, "rep movsq fs:", L64, B(0x64, 0xf3, 0x48, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 8,
				     .dst_size = 8, .addr_size = 8,
				     .seg = FS, .df_relevant = true,
				     .rep = true });
	check_ok(_metadata, "es movsd (ignored in 64-bit)", L64,
		 B(0x26, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 4,
				     .dst_size = 4, .addr_size = 8,
				     .seg = DS, .df_relevant = true });
	check_ok(_metadata, "es movsd", P32, B(0x26, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 4,
				     .dst_size = 4, .addr_size = 4,
				     .seg = ES, .df_relevant = true });
	check_ok(_metadata, "movsw", L64, B(0x66, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 2,
				     .dst_size = 2, .addr_size = 8,
				     .seg = DS, .df_relevant = true });
	check_ok(_metadata, "movsd (a16)", P32,
		 B(0x67, 0xa5),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 4,
				     .dst_size = 4, .addr_size = 2,
				     .seg = DS, .df_relevant = true });
	check_err(_metadata, "repne movsb", X86_DECODE_UNSUPPORTED, L64,
		  B(0xf2, 0xa4));
	check_err(_metadata, "rep repne movsb", X86_DECODE_UNSUPPORTED, L64,
		  B(0xf3, 0xf2, 0xa4));
}

/* 66 and REX.W: operand size by mode. */
TEST(operand_size_prefixes)
{
	check_ok(_metadata, "mov [eax],cx", P32, B(0x66, 0x89, 0x08),
		 STORE(2, 1, 4, DS));
	check_ok(_metadata, "mov [bx+si],ecx", R, B(0x66, 0x89, 0x08),
		 STORE(4, 1, 2, DS));
	check_ok(_metadata, "mov [bx+si],ecx", P16, B(0x66, 0x89, 0x08),
		 STORE(4, 1, 2, DS));
	check_ok(_metadata, "mov [rax],cx", L64, B(0x66, 0x89, 0x08),
		 STORE(2, 1, 8, DS));
	check_ok(_metadata, "mov [rax],rcx (66 REX.W)", L64,
		 B(0x66, 0x48, 0x89, 0x08), STORE(8, 1, 8, DS));
	check_ok(_metadata, "mov [eax],cx (66 66)", P32,
		 B(0x66, 0x66, 0x89, 0x08), STORE(2, 1, 4, DS));
	/* 8-bit forms ignore 66 and REX.W. */
	check_ok(_metadata, "mov [rax],cl (66 REX.W)", L64,
		 B(0x66, 0x48, 0x88, 0x08), STORE(1, 1, 8, DS));
}

/* A REX prefix followed by a legacy prefix is ignored; the last REX wins. */
TEST(rex_then_legacy_prefix)
{
	check_ok(_metadata, "REX.W 66 mov [rax],cx", L64,
		 B(0x48, 0x66, 0x89, 0x08), STORE(2, 1, 8, DS));
	check_ok(_metadata, "REX.R cs: mov [rax],eax", L64,
		 B(0x44, 0x2e, 0x89, 0x00), STORE(4, 0, 8, DS));
	check_ok(_metadata, "REX cs: mov [rax],ah", L64,
		 B(0x40, 0x2e, 0x88, 0x20),
		 STORE(1, 0, 8, DS, .reg_high8 = true));
	check_ok(_metadata, "REX.W REX.B mov [r8],eax", L64,
		 B(0x48, 0x41, 0x89, 0x00), STORE(4, 0, 8, DS));
	check_ok(_metadata, "REX.W 67 mov [eax],rax -> ignored", L64,
		 B(0x48, 0x67, 0x89, 0x00), STORE(4, 0, 4, DS));
	check_ok(_metadata, "66 REX.W REX.R mov [rax],r8", L64,
		 B(0x66, 0x48, 0x4c, 0x89, 0x00), STORE(8, 8, 8, DS));
	/* 40..4F are inc/dec outside 64-bit mode. */
	check_err(_metadata, "inc eax", X86_DECODE_UNSUPPORTED, P32,
		  B(0x40, 0x89, 0x00));
	check_err(_metadata, "dec eax", X86_DECODE_UNSUPPORTED, R,
		  B(0x48, 0x89, 0x00));
}

/* 26/2E/36/3E/64/65. */
TEST(segment_overrides)
{
	static const struct {
		uint8_t pfx, seg32, seg64;
	} t[] = {
		{ 0x26, ES, DS }, { 0x2e, CS, DS }, { 0x36, SS, DS },
		{ 0x3e, DS, DS }, { 0x64, FS, FS }, { 0x65, GS, GS },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		check_ok(_metadata, "seg: mov [eax],ecx", P32,
			 B(t[i].pfx, 0x89, 0x08), STORE(4, 1, 4, t[i].seg32));
		check_ok(_metadata, "seg: mov [bx+si],ax", R,
			 B(t[i].pfx, 0x89, 0x00), STORE(2, 0, 2, t[i].seg32));
		check_ok(_metadata, "seg: mov [rax],ecx", L64,
			 B(t[i].pfx, 0x89, 0x08), STORE(4, 1, 8, t[i].seg64));
	}
	/* The last override wins. */
	check_ok(_metadata, "es fs mov [eax],ecx", P32,
		 B(0x26, 0x64, 0x89, 0x08), STORE(4, 1, 4, FS));
	check_ok(_metadata, "gs ds mov [eax],ecx", P32,
		 B(0x65, 0x3e, 0x89, 0x08), STORE(4, 1, 4, DS));
	/* An override replaces the SS default of an rBP base... */
	check_ok(_metadata, "ds mov [ebp+0],eax", P32,
		 B(0x3e, 0x89, 0x45, 0x00), STORE(4, 0, 4, DS));
	/* ...except ignored ones in 64-bit mode. */
	check_ok(_metadata, "es mov [rbp+0],eax", L64,
		 B(0x26, 0x89, 0x45, 0x00), STORE(4, 0, 8, SS));
	/* F2/F3 on plain movs are hints (XACQUIRE/XRELEASE): ignored. */
	check_ok(_metadata, "xrelease mov [rax],ecx", L64,
		 B(0xf3, 0x89, 0x08), STORE(4, 1, 8, DS));
	check_ok(_metadata, "repne mov ecx,[rax]", L64,
		 B(0xf2, 0x8b, 0x08), LOAD(4, 1, 8, DS));
}

/* 16-bit addressing: every mod/rm, disp8/disp16, SS for BP forms. */
TEST(addr16_forms)
{
	static const unsigned int disp[3] = { 0, 1, 2 };
	uint8_t b[4] = { 0x8b };
	unsigned int mod, rm, len;
	uint8_t seg;

	for (mod = 0; mod < 3; mod++) {
		for (rm = 0; rm < 8; rm++) {
			b[1] = (mod << 6) | (2 << 3) | rm;	/* dx */
			b[2] = 0x34;
			b[3] = 0x12;
			len = 2 + disp[mod];
			if (mod == 0 && rm == 6)
				len = 4;		/* [disp16] */
			seg = DS;
			if (rm == 2 || rm == 3 || (rm == 6 && mod != 0))
				seg = SS;
			check_ok(_metadata, "mov dx,[addr16]", R, b, len,
				 LOAD(2, 2, 2, seg));
			check_ok(_metadata, "mov edx,[addr16]", P32,
				 (const uint8_t[]){ 0x67, b[0], b[1], b[2],
						    b[3] }, len + 1,
				 LOAD(4, 2, 2, seg));
		}
	}
}

/* 32-bit addressing in 16-bit code (67) and vice versa. */
TEST(address_size_prefix)
{
	check_ok(_metadata, "mov ax,[esp]", R, B(0x67, 0x8b, 0x04, 0x24),
		 LOAD(2, 0, 4, SS));
	check_ok(_metadata, "mov ax,[0x12345678]", P16,
		 B(0x67, 0x8b, 0x05, 0x78, 0x56, 0x34, 0x12),
		 LOAD(2, 0, 4, DS));
	check_ok(_metadata, "mov eax,[0x1234] (a16)", P32,
		 B(0x67, 0x8b, 0x06, 0x34, 0x12), LOAD(4, 0, 2, DS));
	check_ok(_metadata, "mov eax,[ecx] (a32)", L64,
		 B(0x67, 0x8b, 0x01), LOAD(4, 0, 4, DS));
}

/* SIB byte, with and without base, and the SS default. */
TEST(sib_forms)
{
	check_ok(_metadata, "mov eax,[eax+ecx*4]", P32, B(0x8b, 0x04, 0x88),
		 LOAD(4, 0, 4, DS));
	check_ok(_metadata, "mov eax,[ecx*4+0x1000]", P32,
		 B(0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00),
		 LOAD(4, 0, 4, DS));
	check_ok(_metadata, "mov eax,[esp+8]", P32, B(0x8b, 0x44, 0x24, 0x08),
		 LOAD(4, 0, 4, SS));
	check_ok(_metadata, "mov eax,[esp+0x100]", P32,
		 B(0x8b, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00),
		 LOAD(4, 0, 4, SS));
	check_ok(_metadata, "mov eax,[ebp+8]", P32, B(0x8b, 0x45, 0x08),
		 LOAD(4, 0, 4, SS));
	check_ok(_metadata, "mov eax,[ebp+ebp*1+8]", P32,
		 B(0x8b, 0x44, 0x2d, 0x08), LOAD(4, 0, 4, SS));
	check_ok(_metadata, "mov eax,[ebx+ebp*1]", P32, B(0x8b, 0x04, 0x2b),
		 LOAD(4, 0, 4, DS));
	check_ok(_metadata, "mov eax,[disp32] (SIB, no base/index)", L64,
		 B(0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
		 LOAD(4, 0, 8, DS));
	/* r12 and r13 share encodings with rsp and rbp but not SS. */
	check_ok(_metadata, "mov eax,[r12]", L64, B(0x41, 0x8b, 0x04, 0x24),
		 LOAD(4, 0, 8, DS));
	check_ok(_metadata, "mov eax,[r13+0]", L64, B(0x41, 0x8b, 0x45, 0x00),
		 LOAD(4, 0, 8, DS));
	/* mod=00 base=101 stays "no base" with REX.B. */
	check_ok(_metadata, "mov eax,[r12*1+disp32]", L64,
		 B(0x43, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
		 LOAD(4, 0, 8, DS));
	check_ok(_metadata, "mov rax,[rsp+r12*8-8]", L64,
		 B(0x4a, 0x8b, 0x44, 0xe4, 0xf8), LOAD(8, 0, 8, SS));
}

/* mod=00 r/m=101: RIP-relative in 64-bit mode, absolute elsewhere. */
TEST(rip_relative)
{
	check_ok(_metadata, "mov eax,[rip+0x100]", L64,
		 B(0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
		 LOAD(4, 0, 8, DS, .rip_relative = true));
	check_ok(_metadata, "mov eax,[eip+0x100]", L64,
		 B(0x67, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
		 LOAD(4, 0, 4, DS, .rip_relative = true));
	check_ok(_metadata, "mov qword [rip+0x10],-2", L64,
		 B(0x48, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00,
		   0xfe, 0xff, 0xff, 0xff),
		 STORE(8, 0, 8, DS, .rip_relative = true, .has_imm = true,
		       .imm = 0xfffffffffffffffeULL));
	check_ok(_metadata, "mov byte gs:[rip-1],0x11", L64,
		 B(0x65, 0xc6, 0x05, 0xff, 0xff, 0xff, 0xff, 0x11),
		 STORE(1, 0, 8, GS, .rip_relative = true, .has_imm = true,
		       .imm = 0x11));
	check_ok(_metadata, "mov eax,[0x100]", P32,
		 B(0x8b, 0x05, 0x00, 0x01, 0x00, 0x00), LOAD(4, 0, 4, DS));
}

/* The longest legal encodings: exactly 15 bytes. */
TEST(fifteen_bytes)
{
	/* 14 prefixes + movsb */
	check_ok(_metadata, "14x66 movsb", P32,
		 B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		   0x66, 0x66, 0x66, 0x66, 0x66, 0xa4),
		 &(struct x86_insn){ .op = X86_OP_MOVS, .size = 1,
				     .dst_size = 1, .addr_size = 4,
				     .seg = DS, .df_relevant = true });
	/* 4 prefixes + mov qword [rsp+disp32],imm32 (11 bytes) */
	check_ok(_metadata, "fs 66 67 REX.W mov [esp+d32],imm32", L64,
		 B(0x64, 0x66, 0x67, 0x48, 0xc7, 0x84, 0x24,
		   0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00),
		 STORE(8, 0, 4, FS, .has_imm = true, .imm = 0x80));
}

/* Every truncation of a valid instruction asks for more. */
TEST(need_more)
{
	check_err(_metadata, "nothing", X86_DECODE_NEED_MORE, L64,
		  (const uint8_t *)"", 0);
	check_err(_metadata, "66", X86_DECODE_NEED_MORE, P32, B(0x66));
	check_err(_metadata, "REX.W", X86_DECODE_NEED_MORE, L64, B(0x48));
	check_err(_metadata, "0F", X86_DECODE_NEED_MORE, L64, B(0x0f));
	check_err(_metadata, "89 (no ModRM)", X86_DECODE_NEED_MORE, L64,
		  B(0x89));
	check_err(_metadata, "8B 04 (no SIB)", X86_DECODE_NEED_MORE, L64,
		  B(0x8b, 0x04));
	check_err(_metadata, "C7 00 + 3 of 4 imm bytes",
		  X86_DECODE_NEED_MORE, L64, B(0xc7, 0x00, 1, 2, 3));
	check_err(_metadata, "A1 + 7 of 8 offset bytes",
		  X86_DECODE_NEED_MORE, L64, B(0xa1, 1, 2, 3, 4, 5, 6, 7));
	/* Decisions that need no more bytes are made right away. */
	check_err(_metadata, "01 (add, no ModRM)", X86_DECODE_UNSUPPORTED,
		  L64, B(0x01));
}

/* Valid instructions that are not emulated. */
TEST(unsupported)
{
	check_err(_metadata, "add [rax],ecx", X86_DECODE_UNSUPPORTED, L64,
		  B(0x01, 0x08));
	check_err(_metadata, "lock or [rax],ecx", X86_DECODE_UNSUPPORTED,
		  L64, B(0xf0, 0x09, 0x08));
	check_err(_metadata, "lock add [eax],1", X86_DECODE_UNSUPPORTED, P32,
		  B(0xf0, 0x83, 0x00, 0x01));
	check_err(_metadata, "xchg [rax],ecx", X86_DECODE_UNSUPPORTED, L64,
		  B(0x87, 0x08));
	check_err(_metadata, "vzeroupper (VEX2)", X86_DECODE_UNSUPPORTED,
		  L64, B(0xc5, 0xf8, 0x77));
	check_err(_metadata, "vmovdqu ymm0,[rax] (VEX2)",
		  X86_DECODE_UNSUPPORTED, L64, B(0xc5, 0xfe, 0x6f, 0x00));
	check_err(_metadata, "vpbroadcastd xmm0,[rax] (VEX3)",
		  X86_DECODE_UNSUPPORTED, L64,
		  B(0xc4, 0xe2, 0x79, 0x58, 0x00));
	check_err(_metadata, "vmovdqu32 zmm0,[rax] (EVEX)",
		  X86_DECODE_UNSUPPORTED, L64,
		  B(0x62, 0xf1, 0x7e, 0x48, 0x6f, 0x00));
	check_err(_metadata, "XOP", X86_DECODE_UNSUPPORTED, L64,
		  B(0x8f, 0xe9, 0x78, 0xc2, 0x00));
	check_err(_metadata, "les eax,[eax]", X86_DECODE_UNSUPPORTED, P32,
		  B(0xc4, 0x00));
	check_err(_metadata, "lds ax,[bx+si]", X86_DECODE_UNSUPPORTED, R,
		  B(0xc5, 0x00));
	check_err(_metadata, "VEX in 32-bit mode", X86_DECODE_UNSUPPORTED,
		  P32, B(0xc5, 0xf8, 0x77));
	check_err(_metadata, "movd xmm0,[rax]", X86_DECODE_UNSUPPORTED, L64,
		  B(0x66, 0x0f, 0x6e, 0x00));
	check_err(_metadata, "popcnt eax,[rax] (F3 0F B8)",
		  X86_DECODE_UNSUPPORTED, L64, B(0xf3, 0x0f, 0xb8, 0x00));
	check_err(_metadata, "F3 0F B6", X86_DECODE_UNSUPPORTED, L64,
		  B(0xf3, 0x0f, 0xb6, 0x00));
	check_err(_metadata, "F2 0F BF", X86_DECODE_UNSUPPORTED, P32,
		  B(0xf2, 0x0f, 0xbf, 0x00));
	check_err(_metadata, "mov [rax],es (8C)", X86_DECODE_UNSUPPORTED, L64,
		  B(0x8c, 0x00));
	check_err(_metadata, "C7 /1", X86_DECODE_UNSUPPORTED, L64,
		  B(0xc7, 0x08, 0, 0, 0, 0));
	check_err(_metadata, "xbegin (C7 F8)", X86_DECODE_UNSUPPORTED, L64,
		  B(0xc7, 0xf8, 0, 0, 0, 0));
	check_err(_metadata, "xabort (C6 F8)", X86_DECODE_UNSUPPORTED, L64,
		  B(0xc6, 0xf8, 0));
	check_err(_metadata, "lodsb", X86_DECODE_UNSUPPORTED, L64, B(0xac));
	check_err(_metadata, "cmpsb", X86_DECODE_UNSUPPORTED, L64, B(0xa6));
	check_err(_metadata, "nop", X86_DECODE_UNSUPPORTED, L64, B(0x90));
	check_err(_metadata, "syscall", X86_DECODE_UNSUPPORTED, L64,
		  B(0x0f, 0x05));
}

/* Encodings that cannot be an MMIO access or raise #UD/#GP. */
TEST(invalid)
{
	check_err(_metadata, "mov eax,ecx (89 mod=3)", X86_DECODE_INVALID,
		  L64, B(0x89, 0xc8));
	check_err(_metadata, "mov eax,ecx (8B mod=3)", X86_DECODE_INVALID,
		  P32, B(0x8b, 0xc1));
	check_err(_metadata, "mov al,cl (8A mod=3)", X86_DECODE_INVALID, R,
		  B(0x8a, 0xc1));
	check_err(_metadata, "movzx eax,al", X86_DECODE_INVALID, L64,
		  B(0x0f, 0xb6, 0xc0));
	check_err(_metadata, "movsxd rax,eax", X86_DECODE_INVALID, L64,
		  B(0x48, 0x63, 0xc0));
	/* Found invalid before the immediate is needed. */
	check_err(_metadata, "mov eax,imm32 (C7 C0)", X86_DECODE_INVALID,
		  L64, B(0xc7, 0xc0));
	check_err(_metadata, "mov al,imm8 (C6 C0)", X86_DECODE_INVALID,
		  L64, B(0xc6, 0xc0, 0x01));
	check_err(_metadata, "lock mov [rax],ecx", X86_DECODE_INVALID, L64,
		  B(0xf0, 0x89, 0x08));
	check_err(_metadata, "lock mov ecx,[eax]", X86_DECODE_INVALID, P32,
		  B(0xf0, 0x8b, 0x08));
	check_err(_metadata, "lock movzx", X86_DECODE_INVALID, P32,
		  B(0xf0, 0x0f, 0xb6, 0x00));
	check_err(_metadata, "lock mov eax,[moffs]", X86_DECODE_INVALID, P32,
		  B(0xf0, 0xa1, 0, 0, 0, 0));
	check_err(_metadata, "lock rep movsb", X86_DECODE_INVALID, P32,
		  B(0xf0, 0xf3, 0xa4));
	check_err(_metadata, "unknown mode", X86_DECODE_INVALID,
		  (enum x86_mode)4, B(0x89, 0x08));
}

/* More than 15 bytes is #GP, however many bytes the caller has. */
TEST(too_long)
{
	uint8_t b[20];

	/* 15 prefixes: the opcode would be the 16th byte. */
	memset(b, 0x66, sizeof(b));
	check_err(_metadata, "15x66", X86_DECODE_INVALID, P32, b, 15);
	check_err(_metadata, "16x66", X86_DECODE_INVALID, P32, b, 16);
	check_err(_metadata, "20x66", X86_DECODE_INVALID, P32, b, 20);
	/* 14 prefixes and an opcode that needs a ModRM byte. */
	b[14] = 0x89;
	b[15] = 0x08;
	check_err(_metadata, "14x66 mov [eax],ecx", X86_DECODE_INVALID, P32,
		  b, 16);
	check_err(_metadata, "14x66 89, n=15", X86_DECODE_INVALID, P32, b,
		  15);
	/* 9 prefixes + mov eax,[esp+disp32] (7 bytes): 16 bytes */
	memset(b, 0x3e, 9);
	b[9] = 0x8b;
	b[10] = 0x84;
	b[11] = 0x24;
	memset(b + 12, 0, 4);
	check_err(_metadata, "9x3e mov eax,[esp+d32]", X86_DECODE_INVALID,
		  P32, b, 16);
	/* Known too long once the SIB byte is in, with only 12 bytes. */
	check_err(_metadata, "9x3e mov eax,[esp+d32], n=12",
		  X86_DECODE_INVALID, P32, b, 12);
	/* One prefix fewer is fine (and DS overrides the SS default). */
	check_ok(_metadata, "8x3e mov eax,[esp+d32]", P32, b + 1, 15,
		 LOAD(4, 0, 4, DS));
}

/* Helper: decode @b in @mode, which must succeed. */
static struct x86_insn dec(struct __test_metadata *_metadata,
			   enum x86_mode mode, const uint8_t *b, size_t n)
{
	struct x86_insn insn;

	ASSERT_EQ(X86_DECODE_OK, decode(b, n, mode, &insn));
	return insn;
}

#define OLD	0x1122334455667788ULL

TEST(writeback_plain)
{
	struct x86_insn i;

	i = dec(_metadata, L64, B(0x8a, 0x00));		/* mov al,[rax] */
	EXPECT_EQ(0x11223344556677abULL,
		  x86_insn_load_writeback(&i, OLD, 0xffffffffffffffabULL));
	i = dec(_metadata, L64, B(0x8a, 0x20));		/* mov ah,[rax] */
	EXPECT_EQ(0x112233445566ab88ULL,
		  x86_insn_load_writeback(&i, OLD, 0xab));
	i = dec(_metadata, L64, B(0x66, 0x8b, 0x00));	/* mov ax,[rax] */
	EXPECT_EQ(0x112233445566abcdULL,
		  x86_insn_load_writeback(&i, OLD, 0x9999abcd));
	i = dec(_metadata, L64, B(0x8b, 0x00));		/* mov eax,[rax] */
	EXPECT_EQ(0x00000000deadbeefULL,
		  x86_insn_load_writeback(&i, OLD, 0x77777777deadbeefULL));
	i = dec(_metadata, L64, B(0x48, 0x8b, 0x00));	/* mov rax,[rax] */
	EXPECT_EQ(0xfedcba9876543210ULL,
		  x86_insn_load_writeback(&i, OLD, 0xfedcba9876543210ULL));
	/* 32-bit destinations zero-extend outside 64-bit mode too. */
	i = dec(_metadata, P32, B(0x8b, 0x00));		/* mov eax,[eax] */
	EXPECT_EQ(0x80000000ULL, x86_insn_load_writeback(&i, OLD, 0x80000000));
	i = dec(_metadata, R, B(0xa1, 0, 0));		/* mov ax,[0] */
	EXPECT_EQ(0x1122334455668001ULL,
		  x86_insn_load_writeback(&i, OLD, 0x8001));
}

TEST(writeback_zero_extend)
{
	struct x86_insn i;

	i = dec(_metadata, P32, B(0x0f, 0xb6, 0x00));	/* movzx eax,byte */
	EXPECT_EQ(0x80ULL, x86_insn_load_writeback(&i, OLD, 0xffffff80));
	i = dec(_metadata, P32, B(0x66, 0x0f, 0xb6, 0x00)); /* movzx ax,b */
	EXPECT_EQ(0x1122334455660080ULL,
		  x86_insn_load_writeback(&i, OLD, 0x80));
	i = dec(_metadata, L64, B(0x48, 0x0f, 0xb7, 0x00)); /* movzx rax,w */
	EXPECT_EQ(0x8000ULL, x86_insn_load_writeback(&i, OLD, 0xffff8000));
	i = dec(_metadata, L64, B(0x0f, 0xb7, 0x00));	/* movzx eax,word */
	EXPECT_EQ(0xffffULL, x86_insn_load_writeback(&i, OLD, 0xffff));
}

TEST(writeback_sign_extend)
{
	struct x86_insn i;

	i = dec(_metadata, L64, B(0x48, 0x0f, 0xbe, 0x00)); /* movsx rax,b */
	EXPECT_EQ(0xffffffffffffff80ULL,
		  x86_insn_load_writeback(&i, OLD, 0x80));
	EXPECT_EQ(0x7fULL, x86_insn_load_writeback(&i, OLD, 0xff7f));
	i = dec(_metadata, L64, B(0x0f, 0xbe, 0x00));	/* movsx eax,byte */
	EXPECT_EQ(0xffffff80ULL, x86_insn_load_writeback(&i, OLD, 0x80));
	i = dec(_metadata, L64, B(0x66, 0x0f, 0xbe, 0x00)); /* movsx ax,b */
	EXPECT_EQ(0x112233445566ff80ULL,
		  x86_insn_load_writeback(&i, OLD, 0x80));
	i = dec(_metadata, L64, B(0x48, 0x0f, 0xbf, 0x00)); /* movsx rax,w */
	EXPECT_EQ(0xffffffffffff8000ULL,
		  x86_insn_load_writeback(&i, OLD, 0x8000));
	i = dec(_metadata, L64, B(0x0f, 0xbf, 0x00));	/* movsx eax,word */
	EXPECT_EQ(0xffff8000ULL, x86_insn_load_writeback(&i, OLD, 0x8000));
	i = dec(_metadata, L64, B(0x48, 0x63, 0x00));	/* movsxd rax,d */
	EXPECT_EQ(0xffffffff80000000ULL,
		  x86_insn_load_writeback(&i, OLD, 0x80000000));
	EXPECT_EQ(0x7fffffffULL,
		  x86_insn_load_writeback(&i, OLD, 0xffffffff7fffffffULL));
	i = dec(_metadata, L64, B(0x63, 0x00));		/* movsxd eax,d */
	EXPECT_EQ(0x80000000ULL,
		  x86_insn_load_writeback(&i, OLD, 0x80000000));
}

TEST(store_value)
{
	struct x86_insn i;

	i = dec(_metadata, L64, B(0xc6, 0x00, 0x80));	/* mov byte,0x80 */
	EXPECT_EQ(0x80ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x66, 0xc7, 0x00, 0x34, 0x82));
	EXPECT_EQ(0x8234ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff));
	EXPECT_EQ(0xfffffffffffffffeULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x88, 0x00));		/* mov [rax],al */
	EXPECT_EQ(0x88ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x88, 0x20));		/* mov [rax],ah */
	EXPECT_EQ(0x77ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x66, 0x89, 0x00));	/* mov [rax],ax */
	EXPECT_EQ(0x7788ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x89, 0x00));		/* mov [rax],eax */
	EXPECT_EQ(0x55667788ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, L64, B(0x48, 0x89, 0x00));	/* mov [rax],rax */
	EXPECT_EQ(OLD, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, P32, B(0xab));		/* stosd */
	EXPECT_EQ(0x55667788ULL, x86_insn_store_value(&i, OLD));
	i = dec(_metadata, R, B(0xa2, 0, 0));		/* mov [0],al */
	EXPECT_EQ(0x88ULL, x86_insn_store_value(&i, OLD));
}

TEST_HARNESS_MAIN
