// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder for the x86 instructions a guest uses to access MMIO.
 *
 * The decoder works in one forward pass over the bytes and asks for each
 * byte before it looks at it (decode_need()), so that:
 *  - it never reads past the n bytes it was given;
 *  - an instruction that would need a 16th byte is X86_DECODE_INVALID
 *    (SDM Vol. 2 2.3.11: the CPU raises #GP), whatever n is;
 *  - every truncation of an instruction it accepts is
 *    X86_DECODE_NEED_MORE, and the answer for the first len bytes equals
 *    the answer for more bytes.
 * Anything it does not recognise is X86_DECODE_UNSUPPORTED: the caller
 * reports the bytes instead of guessing.
 */
#include "decode.h"

/* Legacy prefixes (SDM Vol. 2 2.1.1). */
#define PFX_LOCK	0xf0
#define PFX_REPNE	0xf2
#define PFX_REP		0xf3
#define PFX_OPSIZE	0x66
#define PFX_ADSIZE	0x67
#define PFX_ES		0x26
#define PFX_CS		0x2e
#define PFX_SS		0x36
#define PFX_DS		0x3e
#define PFX_FS		0x64
#define PFX_GS		0x65

/* REX prefix bits (SDM Vol. 2 2.2.1). */
#define REX_B		0x01
#define REX_X		0x02
#define REX_R		0x04
#define REX_W		0x08

#define SEG_NONE	0xff

/* What the bytes after the opcode look like. */
enum form {
	FORM_MODRM,	/* ModRM (+ SIB, displacement, immediate) */
	FORM_MOFFS,	/* an address-size-wide offset */
	FORM_STRING,	/* nothing: stos, movs */
};

/* Prefix state collected before the opcode. */
struct prefixes {
	bool lock;
	bool f2;
	bool f3;
	bool opsize;
	bool adsize;
	uint8_t seg;	/* SEG_NONE or the last override's enum x86_seg */
	uint8_t rex;	/* 0, or the REX byte immediately before the opcode */
};

/*
 * Whether bytes [0, end) may be read: INVALID past the architectural
 * length limit, NEED_MORE past what the caller gave, else OK.
 */
static int decode_need(size_t n, unsigned int end)
{
	if (end > X86_MAX_INSN_LEN)
		return X86_DECODE_INVALID;
	if (end > n)
		return X86_DECODE_NEED_MORE;
	return X86_DECODE_OK;
}

/* Sign-extend the low @bytes bytes of @v to 64 bits. */
static uint64_t sign_extend(uint64_t v, unsigned int bytes)
{
	uint64_t sign, mask;

	if (bytes >= 8)
		return v;
	mask = (1ULL << (bytes * 8)) - 1;
	sign = 1ULL << (bytes * 8 - 1);
	v &= mask;
	return (v ^ sign) - sign;
}

static uint64_t low_bytes(uint64_t v, unsigned int bytes)
{
	if (bytes >= 8)
		return v;
	return v & ((1ULL << (bytes * 8)) - 1);
}

/* Little-endian immediate of @len bytes at @p. */
static uint64_t read_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = len; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

/*
 * The segment a memory operand uses: an override if one applies, else
 * @def.  In 64-bit mode only FS and GS overrides have an effect (SDM
 * Vol. 1 3.3.7.1); ES/CS/SS/DS overrides are consumed but ignored.
 */
static uint8_t effective_seg(const struct prefixes *p, enum x86_mode mode,
			     uint8_t def)
{
	if (p->seg == SEG_NONE)
		return def;
	if (mode == X86_MODE_LONG64 &&
	    p->seg != X86_SEG_FS && p->seg != X86_SEG_GS)
		return def;
	return p->seg;
}

/*
 * Consume the legacy and REX prefixes.  Returns the position of the
 * opcode byte in *pos, or a decode error.
 */
static int decode_prefixes(const uint8_t *bytes, size_t n,
			   enum x86_mode mode, struct prefixes *p,
			   unsigned int *pos)
{
	unsigned int i = 0;
	int ret;
	uint8_t b;

	for (;;) {
		ret = decode_need(n, i + 1);
		if (ret)
			return ret;
		b = bytes[i];
		switch (b) {
		case PFX_LOCK:
			p->lock = true;
			break;
		case PFX_REPNE:
			p->f2 = true;
			break;
		case PFX_REP:
			p->f3 = true;
			break;
		case PFX_OPSIZE:
			p->opsize = true;
			break;
		case PFX_ADSIZE:
			p->adsize = true;
			break;
		case PFX_ES:
			p->seg = X86_SEG_ES;
			break;
		case PFX_CS:
			p->seg = X86_SEG_CS;
			break;
		case PFX_SS:
			p->seg = X86_SEG_SS;
			break;
		case PFX_DS:
			p->seg = X86_SEG_DS;
			break;
		case PFX_FS:
			p->seg = X86_SEG_FS;
			break;
		case PFX_GS:
			p->seg = X86_SEG_GS;
			break;
		default:
			if (mode == X86_MODE_LONG64 && (b & 0xf0) == 0x40) {
				/* A later REX replaces an earlier one. */
				p->rex = b;
				i++;
				continue;
			}
			*pos = i;
			return X86_DECODE_OK;
		}
		/*
		 * A REX prefix only counts when it immediately precedes the
		 * opcode; one followed by a legacy prefix is ignored (SDM
		 * Vol. 2 2.2.1).
		 */
		p->rex = 0;
		i++;
	}
}

/*
 * Decode ModRM, SIB, displacement and the @imm_len byte immediate that
 * follow the opcode at *pos.  Fills reg (from ModRM.reg if @want_reg),
 * seg, rip_relative, imm and moves *pos to the end of the instruction.
 * @group: ModRM.reg is an opcode extension that must be 0 (C6/C7 /0).
 * @byte_reg: ModRM.reg names an 8-bit register (AH..BH without REX).
 */
static int decode_modrm(const uint8_t *bytes, size_t n, enum x86_mode mode,
			const struct prefixes *p, unsigned int *pos,
			bool group, bool byte_reg, unsigned int imm_len,
			struct x86_insn *insn)
{
	unsigned int i = *pos, disp = 0, mod, regf, rm, base;
	bool has_base = true;
	uint8_t def_seg = X86_SEG_DS;
	int ret;

	ret = decode_need(n, i + 1);
	if (ret)
		return ret;
	mod = bytes[i] >> 6;
	regf = (bytes[i] >> 3) & 7;
	rm = bytes[i] & 7;
	i++;

	/* C6 /1../7 and C7 /1../7 are other (or no) instructions. */
	if (group && regf != 0)
		return X86_DECODE_UNSUPPORTED;
	/* mod=11 names a register: no memory is accessed. */
	if (mod == 3)
		return X86_DECODE_INVALID;

	if (group) {
		insn->reg = 0;
	} else if (byte_reg && !p->rex && regf >= 4) {
		/* Without REX, 8-bit registers 4..7 are AH, CH, DH, BH. */
		insn->reg = regf - 4;
		insn->reg_high8 = true;
	} else {
		insn->reg = regf | ((p->rex & REX_R) ? 8 : 0);
	}

	if (insn->addr_size == 2) {
		/* SDM Vol. 2 Table 2-1: 16-bit addressing, no SIB. */
		if (mod == 0 && rm == 6) {
			disp = 2;
			has_base = false;
		} else if (mod == 1) {
			disp = 1;
		} else if (mod == 2) {
			disp = 2;
		}
		/* [bp+si], [bp+di] and [bp+disp] default to SS. */
		if (rm == 2 || rm == 3 || (rm == 6 && has_base))
			def_seg = X86_SEG_SS;
	} else {
		/* SDM Vol. 2 Tables 2-2 and 2-3: 32/64-bit addressing. */
		base = rm;
		if (rm == 4) {
			ret = decode_need(n, i + 1);
			if (ret)
				return ret;
			base = bytes[i] & 7;
			i++;
			if (mod == 0 && base == 5) {
				/* [index*scale + disp32], no base */
				disp = 4;
				has_base = false;
			}
		} else if (mod == 0 && rm == 5) {
			/* disp32; RIP/EIP-relative in 64-bit mode */
			disp = 4;
			has_base = false;
			insn->rip_relative = mode == X86_MODE_LONG64;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2)
			disp = 4;
		/* An rSP or rBP base defaults to SS (r12/r13 do not). */
		if (has_base && !(p->rex & REX_B) && (base == 4 || base == 5))
			def_seg = X86_SEG_SS;
	}
	insn->seg = effective_seg(p, mode, def_seg);

	ret = decode_need(n, i + disp + imm_len);
	if (ret)
		return ret;
	i += disp;
	if (imm_len) {
		insn->has_imm = true;
		insn->imm = sign_extend(read_le(bytes + i, imm_len), imm_len);
		i += imm_len;
	}
	*pos = i;
	return X86_DECODE_OK;
}

/**
 * x86_decode_mmio() - decode one instruction that accesses MMIO
 * @bytes: the instruction bytes, starting at the first prefix.
 * @n: how many bytes @bytes holds; only the first min(@n, 15) are read.
 * @mode: the mode the instruction executes in (enum x86_mode).
 * @out: filled in on X86_DECODE_OK; left untouched otherwise.
 *
 * Decodes the forms listed in decode.h with every legacy prefix (66, 67,
 * F0, F2, F3, segment overrides) and, in 64-bit mode, REX.  F2/F3 on the
 * one-byte mov forms are accepted and ignored (XACQUIRE/XRELEASE hints,
 * or no meaning); on movzx/movsx they would select another instruction
 * and on stos/movs F2 is REPNE, so those are X86_DECODE_UNSUPPORTED.
 *
 * Return:
 * * %X86_DECODE_OK - decoded, @out holds the result;
 * * %X86_DECODE_NEED_MORE - the @n bytes end before the instruction does
 *   (the caller may fetch more, up to 15, and call again);
 * * %X86_DECODE_UNSUPPORTED - an instruction this decoder does not
 *   emulate (e.g. lock add, VEX/EVEX/XOP, LES/LDS, any other opcode):
 *   the caller reports an internal error with the bytes;
 * * %X86_DECODE_INVALID - the instruction would be longer than 15 bytes,
 *   or its encoding cannot access memory or raises #UD (ModRM mod=11
 *   register form, LOCK on mov/movs/stos), or @mode is not a valid
 *   enum x86_mode.
 */
int x86_decode_mmio(const uint8_t *bytes, size_t n, enum x86_mode mode,
		    struct x86_insn *out)
{
	struct prefixes p = { .seg = SEG_NONE };
	struct x86_insn insn = { 0 };
	unsigned int pos, opsize, imm_len = 0;
	bool lm = mode == X86_MODE_LONG64, group = false, byte_reg = false;
	bool is16;
	enum form form = FORM_MODRM;
	uint8_t opc;
	int ret;

	if (mode != X86_MODE_REAL && mode != X86_MODE_PROT16 &&
	    mode != X86_MODE_PROT32 && mode != X86_MODE_LONG64)
		return X86_DECODE_INVALID;

	ret = decode_prefixes(bytes, n, mode, &p, &pos);
	if (ret)
		return ret;

	/* Operand and address size (SDM Vol. 1 3.6, Vol. 2 2.2.1.2). */
	if (lm) {
		if (p.rex & REX_W)
			opsize = 8;	/* REX.W wins over 66 */
		else
			opsize = p.opsize ? 2 : 4;
		insn.addr_size = p.adsize ? 4 : 8;
	} else {
		is16 = mode != X86_MODE_PROT32;
		opsize = (is16 != p.opsize) ? 2 : 4;
		insn.addr_size = (is16 != p.adsize) ? 2 : 4;
	}

	opc = bytes[pos++];
	switch (opc) {
	case 0x88:	/* mov r/m8, r8 */
	case 0x89:	/* mov r/m, r */
		insn.op = X86_OP_STORE;
		insn.size = (opc & 1) ? opsize : 1;
		byte_reg = !(opc & 1);
		break;
	case 0x8a:	/* mov r8, r/m8 */
	case 0x8b:	/* mov r, r/m */
		insn.op = X86_OP_LOAD;
		insn.size = (opc & 1) ? opsize : 1;
		byte_reg = !(opc & 1);
		break;
	case 0xc6:	/* mov r/m8, imm8 */
	case 0xc7:	/* mov r/m, imm16/imm32 */
		insn.op = X86_OP_STORE;
		insn.size = (opc & 1) ? opsize : 1;
		/* 64-bit operand size takes a sign-extended imm32. */
		imm_len = insn.size > 4 ? 4 : insn.size;
		group = true;
		break;
	case 0xa0:	/* mov al, moffs8 */
	case 0xa1:	/* mov rAX, moffs */
	case 0xa2:	/* mov moffs8, al */
	case 0xa3:	/* mov moffs, rAX */
		insn.op = (opc & 2) ? X86_OP_STORE : X86_OP_LOAD;
		insn.size = (opc & 1) ? opsize : 1;
		form = FORM_MOFFS;
		break;
	case 0xa4:	/* movs m8, m8 */
	case 0xa5:	/* movs m, m */
	case 0xaa:	/* stos m8 */
	case 0xab:	/* stos m */
		insn.op = (opc & 8) ? X86_OP_STOS : X86_OP_MOVS;
		insn.size = (opc & 1) ? opsize : 1;
		form = FORM_STRING;
		break;
	case 0x63:
		/* movsxd in 64-bit mode; ARPL elsewhere. */
		if (!lm)
			return X86_DECODE_UNSUPPORTED;
		insn.op = X86_OP_LOAD;
		if (opsize == 8) {
			insn.size = 4;
			insn.dst_size = 8;
			insn.ext = X86_EXT_SIGN;
		} else {
			/* movsxd r16/r32, r/m16/32: a plain load */
			insn.size = opsize;
		}
		break;
	case 0x0f:
		ret = decode_need(n, pos + 1);
		if (ret)
			return ret;
		opc = bytes[pos++];
		switch (opc) {
		case 0xb6:	/* movzx r, r/m8 */
		case 0xb7:	/* movzx r, r/m16 */
		case 0xbe:	/* movsx r, r/m8 */
		case 0xbf:	/* movsx r, r/m16 */
			break;
		default:
			return X86_DECODE_UNSUPPORTED;
		}
		/* F2/F3 are mandatory prefixes in this map (e.g. F3 0F B8). */
		if (p.f2 || p.f3)
			return X86_DECODE_UNSUPPORTED;
		insn.op = X86_OP_LOAD;
		insn.size = (opc & 1) ? 2 : 1;
		insn.dst_size = opsize;
		insn.ext = (opc & 8) ? X86_EXT_SIGN : X86_EXT_ZERO;
		break;
	default:
		/*
		 * Everything else, including VEX (C4/C5), EVEX (62), XOP
		 * (8F), LES/LDS (C4/C5 outside 64-bit mode) and REX-less
		 * 40..4F (inc/dec) outside 64-bit mode.
		 */
		return X86_DECODE_UNSUPPORTED;
	}

	/* LOCK is only valid on read-modify-write instructions: #UD. */
	if (p.lock)
		return X86_DECODE_INVALID;
	if (!insn.dst_size)
		insn.dst_size = insn.size;

	switch (form) {
	case FORM_MODRM:
		ret = decode_modrm(bytes, n, mode, &p, &pos, group, byte_reg,
				   imm_len, &insn);
		if (ret)
			return ret;
		break;
	case FORM_MOFFS:
		/* The offset is as wide as the address size. */
		ret = decode_need(n, pos + insn.addr_size);
		if (ret)
			return ret;
		pos += insn.addr_size;
		insn.reg = 0;
		insn.seg = effective_seg(&p, mode, X86_SEG_DS);
		break;
	case FORM_STRING:
		if (p.f2)
			return X86_DECODE_UNSUPPORTED;
		insn.rep = p.f3;
		insn.df_relevant = true;
		insn.reg = 0;
		if (insn.op == X86_OP_STOS)
			insn.seg = X86_SEG_ES;
		else
			insn.seg = effective_seg(&p, mode, X86_SEG_DS);
		break;
	}

	insn.len = pos;
	*out = insn;
	return X86_DECODE_OK;
}

/**
 * x86_insn_load_writeback() - register value after a LOAD
 * @insn: a LOAD decoded by x86_decode_mmio().
 * @old_reg: the full 64-bit value of register @insn->reg before the load.
 * @mem_value: the value read from memory; only its low @insn->size bytes
 *	are used.
 *
 * Applies @insn->ext from @insn->size to @insn->dst_size, then writes the
 * destination as the CPU does: a 64-bit destination replaces the
 * register; a 32-bit destination is zero-extended to 64 bits; 16- and
 * 8-bit destinations merge into @old_reg, into bits 15:8 for AH..BH.
 *
 * The 32-bit zero-extension is what 64-bit mode does.  Outside 64-bit mode
 * the SDM leaves bits 63:32 undefined (real CPUs preserve them), and the
 * guest cannot see them until it enters 64-bit mode; this function
 * zero-extends 32-bit destinations in every mode, so its result does not
 * depend on the mode.
 *
 * Return: the new 64-bit value of register @insn->reg.
 */
uint64_t x86_insn_load_writeback(const struct x86_insn *insn,
				 uint64_t old_reg, uint64_t mem_value)
{
	uint64_t v;

	if (insn->ext == X86_EXT_SIGN)
		v = sign_extend(mem_value, insn->size);
	else
		v = low_bytes(mem_value, insn->size);

	switch (insn->dst_size) {
	case 1:
		if (insn->reg_high8)
			return (old_reg & ~0xff00ULL) | ((v & 0xff) << 8);
		return (old_reg & ~0xffULL) | (v & 0xff);
	case 2:
		return (old_reg & ~0xffffULL) | (v & 0xffff);
	case 4:
		return v & 0xffffffffULL;
	default:
		return v;
	}
}

/**
 * x86_insn_store_value() - the value a STORE or STOS writes to memory
 * @insn: a STORE or STOS decoded by x86_decode_mmio().
 * @reg_value: the full 64-bit value of register @insn->reg (rAX for moffs
 *	and STOS); ignored for a store of an immediate.
 *
 * Return: the immediate, or the register's low @insn->size bytes (bits
 * 15:8 for AH..BH), zero-extended to 64 bits: bytes above @insn->size are
 * always zero.
 */
uint64_t x86_insn_store_value(const struct x86_insn *insn,
			      uint64_t reg_value)
{
	if (insn->has_imm)
		return low_bytes(insn->imm, insn->size);
	if (insn->reg_high8)
		return (reg_value >> 8) & 0xff;
	return low_bytes(reg_value, insn->size);
}
