/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest that spins forever with interrupts off: it never exits on its
 * own, so only mvm run's --timeout (or a host interrupt) ends it. "jmp ."
 * encodes the same in 32- and 64-bit mode, so one loop serves both the
 * PVH entry and the 64-bit entry.
 */
#include "pvh_note.h"

	.text
	.globl	entry32
	.globl	entry64
entry32:
entry64:
	cli
1:	jmp	1b

	PVH_NOTE(entry32)
