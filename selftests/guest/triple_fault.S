/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest that triple-faults at once, whichever way it is entered.
 *
 * It loads an IDT with limit 0 and executes INT3. Vector 3 lies beyond
 * the limit, so the CPU raises #GP; #GP's gate is beyond it too, so #DF;
 * and #DF's as well, which is a triple fault: shutdown (Intel SDM Vol. 3A
 * 6.15, "Interrupt 8 - Double Fault Exception (#DF)"). A hypervisor sees
 * the shutdown as a VM exit (VMX exit reason 2).
 *
 * Two entries, because a vmlinux-style ELF can be started either way:
 * the PVH note's 32-bit entry (protected mode, paging off) and e_entry in
 * 64-bit mode (the Linux 64-bit boot protocol). They differ only in how
 * LIDT addresses its operand: absolute in 32-bit code, RIP-relative in
 * 64-bit code, and the descriptor's base is 4 or 8 bytes.
 */
#include "pvh_note.h"

	.text
	.code32
	.globl	entry32
entry32:
	cli
	lidt	idt_none
	int3
1:	hlt			/* not reached */
	jmp	1b

	.code64
	.globl	entry64
entry64:
	cli
	lidt	idt_none(%rip)
	int3
2:	hlt			/* not reached */
	jmp	2b

	.balign 16
	/* Limit 0, base 0; the upper bytes of the base are 0 in both modes. */
idt_none:
	.word	0
	.quad	0

	PVH_NOTE(entry32)
