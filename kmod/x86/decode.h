/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder for the x86 instructions a guest uses to access MMIO.
 *
 * Freestanding: compiled into mvm.ko and into the host unit tests and
 * fuzz targets (kmod/x86/tests, kmod/x86/fuzz).  It only decodes; it does
 * not compute the effective address (the exit information gives the
 * guest-physical address) and it never touches guest state.
 *
 * Supported forms (SDM Vol. 2, one-byte and two-byte opcode maps):
 *   88 /r        mov r/m8, r8            STORE
 *   89 /r        mov r/m, r              STORE
 *   8A /r        mov r8, r/m8            LOAD
 *   8B /r        mov r, r/m              LOAD
 *   C6 /0 ib     mov r/m8, imm8          STORE (immediate)
 *   C7 /0 iw/id  mov r/m, imm            STORE (immediate)
 *   A0..A3       mov al/rAX <-> moffs    LOAD / STORE
 *   0F B6/B7     movzx r, r/m8/16        LOAD, zero-extending
 *   0F BE/BF     movsx r, r/m8/16        LOAD, sign-extending
 *   63 /r        movsxd r, r/m32         LOAD (64-bit mode only)
 *   AA/AB        stos                    STOS, optional F3 (rep)
 *   A4/A5        movs                    MOVS, optional F3 (rep)
 */
#ifndef MVM_X86_DECODE_H
#define MVM_X86_DECODE_H

#include "x86_types.h"

/* Architectural limit on the length of one instruction (SDM Vol. 2 2.3.11). */
#define X86_MAX_INSN_LEN	15

/**
 * enum x86_mode - the processor mode the instruction executes in
 * @X86_MODE_REAL: real or virtual-8086 mode: 16-bit operand and address
 *	size by default.
 * @X86_MODE_PROT16: protected or compatibility mode with CS.D=0: 16-bit
 *	defaults.
 * @X86_MODE_PROT32: protected or compatibility mode with CS.D=1: 32-bit
 *	defaults.
 * @X86_MODE_LONG64: 64-bit mode (EFER.LMA=1, CS.L=1): 32-bit operand and
 *	64-bit address size by default, REX prefixes.
 */
enum x86_mode {
	X86_MODE_REAL,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/**
 * enum x86_mmio_op - what the instruction does with memory
 * @X86_OP_LOAD: memory -> register: mov r,m; movzx; movsx; movsxd;
 *	mov al/ax/eax/rax,moffs.
 * @X86_OP_STORE: register or immediate -> memory: mov m,r; mov m,imm;
 *	mov moffs,al/ax/eax/rax.
 * @X86_OP_STOS: stos: AL/AX/EAX/RAX -> ES:[rDI], optional REP.
 * @X86_OP_MOVS: movs: seg:[rSI] -> ES:[rDI], optional REP.
 */
enum x86_mmio_op {
	X86_OP_LOAD,
	X86_OP_STORE,
	X86_OP_STOS,
	X86_OP_MOVS,
};

/**
 * enum x86_ext - how a LOAD widens the value it read
 * @X86_EXT_NONE: no widening (dst_size == size).
 * @X86_EXT_ZERO: zero-extend from size to dst_size (movzx).
 * @X86_EXT_SIGN: sign-extend from size to dst_size (movsx, movsxd).
 */
enum x86_ext {
	X86_EXT_NONE,
	X86_EXT_ZERO,
	X86_EXT_SIGN,
};

/**
 * enum x86_seg - segment register numbers, as encoded in instructions
 * (SDM Vol. 2 3.1.1.3, "Sreg").
 */
enum x86_seg {
	X86_SEG_ES = 0,
	X86_SEG_CS = 1,
	X86_SEG_SS = 2,
	X86_SEG_DS = 3,
	X86_SEG_FS = 4,
	X86_SEG_GS = 5,
};

/**
 * struct x86_insn - one decoded MMIO instruction
 * @len: total instruction length, 1..15.
 * @op: enum x86_mmio_op.
 * @size: memory access width in bytes: 1, 2, 4 or 8.  For STOS/MOVS the
 *	width of one element.
 * @reg: GPR number 0..15 (0=RAX ... 15=R15) of the register operand.
 *	0 (rAX) for moffs forms and STOS; 0 and meaningless for MOVS and
 *	for stores of an immediate.
 * @reg_high8: the register is AH, CH, DH or BH (8-bit operand, no REX
 *	prefix); @reg is then 0..3.
 * @dst_size: LOAD: width written to @reg (> @size for movzx/movsx/
 *	movsxd).  Other operations: equal to @size.
 * @ext: enum x86_ext for LOAD; X86_EXT_NONE otherwise.
 * @has_imm: STORE of an immediate (C6/C7).
 * @imm: that immediate, sign-extended to 64 bits from its encoded width
 *	(imm8, imm16 or imm32); only its low @size bytes are stored.
 * @rep: F3 prefix on STOS/MOVS.
 * @addr_size: effective address size 2, 4 or 8 (width of rSI/rDI/rCX
 *	for STOS/MOVS, of the offset for moffs forms).
 * @seg: effective segment (enum x86_seg) of the memory operand; for
 *	MOVS of the source (the destination is always ES); for STOS always
 *	ES.  In 64-bit mode, overrides other than FS/GS are ignored and the
 *	default (DS, or SS for an rSP/rBP base) is reported.
 * @df_relevant: true for STOS/MOVS (EFLAGS.DF selects the direction).
 * @rip_relative: the memory operand is RIP- (or EIP-) relative (64-bit
 *	mode, ModRM mod=00 r/m=101).  Informational.
 */
struct x86_insn {
	uint8_t len;
	uint8_t op;
	uint8_t size;
	uint8_t reg;
	bool reg_high8;
	uint8_t dst_size;
	uint8_t ext;
	bool has_imm;
	uint64_t imm;
	bool rep;
	uint8_t addr_size;
	uint8_t seg;
	bool df_relevant;
	bool rip_relative;
};

/**
 * enum x86_decode_result - return values of x86_decode_mmio()
 * @X86_DECODE_OK: decoded; the struct is filled in.
 * @X86_DECODE_NEED_MORE: the bytes end before the instruction does.
 * @X86_DECODE_UNSUPPORTED: a valid (or possibly valid) instruction this
 *	decoder does not emulate.
 * @X86_DECODE_INVALID: longer than 15 bytes, or an encoding that cannot
 *	be an MMIO access (register form, LOCK on mov).
 */
enum x86_decode_result {
	X86_DECODE_OK = 0,
	X86_DECODE_NEED_MORE = -1,
	X86_DECODE_UNSUPPORTED = -2,
	X86_DECODE_INVALID = -3,
};

int x86_decode_mmio(const uint8_t *bytes, size_t n, enum x86_mode mode,
		    struct x86_insn *out);

uint64_t x86_insn_load_writeback(const struct x86_insn *insn,
				 uint64_t old_reg, uint64_t mem_value);

uint64_t x86_insn_store_value(const struct x86_insn *insn,
			      uint64_t reg_value);

#endif /* MVM_X86_DECODE_H */
