/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Xen PVH entry note of the tiny test guests, for assembly files.
 *
 * An ELF note (System V gABI, "Note Section"): name size, descriptor
 * size, type, the name "Xen" NUL-terminated and padded to 4 bytes, then
 * the descriptor: the 32-bit physical address of the entry point.
 * XEN_ELFNOTE_PHYS32_ENTRY is 18 in Xen's public/elfnote.h. A loader that
 * honours the note starts the vCPU there in 32-bit protected mode with
 * paging off (Xen's docs/misc/pvh.pandoc).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY	18

#define PVH_NOTE(entry)				\
	.pushsection .note.Xen, "a", @note;	\
	.balign 4;				\
	.long 4;				\
	.long 4;				\
	.long XEN_ELFNOTE_PHYS32_ENTRY;		\
	.asciz "Xen";				\
	.balign 4;				\
	.long entry;				\
	.popsection
