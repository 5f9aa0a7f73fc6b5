// SPDX-License-Identifier: Apache-2.0
/*
 * The vCPU state a kernel starts in: GDT, identity page tables and
 * registers for Linux's 64-bit boot protocol (boot.rst), and the 32-bit
 * protected-mode state of the PVH entry (Xen docs/misc/pvh.pandoc).
 *
 * Descriptor and paging formats: Intel SDM Vol. 3A 3.4.5 (segment
 * descriptors), 4.5 (4-level paging), 2.5 (CR0, CR4), 2.2.1 (EFER).
 */
#include <errno.h>
#include <string.h>

#include "loader.h"

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_FIXED	(1ULL << 1)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

/* Type fields: code execute/read accessed, data read/write accessed,
 * 32/64-bit busy TSS. Accessed already set, so the CPU never writes the
 * GDT when a selector is loaded. */
#define SEG_TYPE_CODE	0xb
#define SEG_TYPE_DATA	0x3
#define SEG_TYPE_TSS	0xb

#define GDT_ENTRIES	4

/* A flat 4 GiB descriptor (base 0, limit 0xfffff pages) of @type. */
static uint64_t gdt_flat(uint8_t type, bool l, bool db)
{
	return 0xffffULL |			/* limit 15:0 */
	       (uint64_t)(0x10 | type) << 40 |	/* S=1, type */
	       1ULL << 47 |			/* P */
	       0xfULL << 48 |			/* limit 19:16 */
	       (uint64_t)l << 53 | (uint64_t)db << 54 |
	       1ULL << 55;			/* G */
}

static void seg_flat(struct mvm_segment *s, uint16_t sel, uint8_t type,
		     bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

static void seg_tss(struct mvm_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0x67;
	s->type = SEG_TYPE_TSS;
	s->present = 1;
}

/* The GDT both entries share: null, code32, code64, data. */
static int write_gdt(const struct mvm_guest_mem *m)
{
	uint8_t *g = mvm_gmem_ptr(m, MVM_BOOT_GDT, GDT_ENTRIES * 8);

	if (!g)
		return -ENOSPC;
	mvm_put_le64(g + 0, 0);
	mvm_put_le64(g + MVM_BOOT_SEL_CODE32,
		     gdt_flat(SEG_TYPE_CODE, false, true));
	mvm_put_le64(g + MVM_BOOT_SEL_CODE64,
		     gdt_flat(SEG_TYPE_CODE, true, false));
	mvm_put_le64(g + MVM_BOOT_SEL_DATA,
		     gdt_flat(SEG_TYPE_DATA, false, true));
	return 0;
}

int mvm_boot64_setup(const struct mvm_guest_mem *m, uint64_t entry,
		     uint64_t zero_page, struct mvm_boot_regs *regs)
{
	uint8_t *pml4, *pdpt, *pd;
	unsigned int i;
	int ret;

	if (!m || !m->base || !regs || entry >= MVM_BOOT_4G ||
	    zero_page >= MVM_BOOT_4G)
		return -EINVAL;
	pml4 = mvm_gmem_ptr(m, MVM_BOOT_PML4, MVM_BOOT_PAGE_SIZE);
	pdpt = mvm_gmem_ptr(m, MVM_BOOT_PDPT, MVM_BOOT_PAGE_SIZE);
	pd = mvm_gmem_ptr(m, MVM_BOOT_PD, 4 * MVM_BOOT_PAGE_SIZE);
	if (!pml4 || !pdpt || !pd)
		return -ENOSPC;
	ret = write_gdt(m);
	if (ret)
		return ret;

	memset(pml4, 0, MVM_BOOT_PAGE_SIZE);
	memset(pdpt, 0, MVM_BOOT_PAGE_SIZE);
	mvm_put_le64(pml4, MVM_BOOT_PDPT | PTE_P | PTE_RW);
	for (i = 0; i < 4; i++)
		mvm_put_le64(pdpt + i * 8, MVM_BOOT_PD +
			     i * MVM_BOOT_PAGE_SIZE + (PTE_P | PTE_RW));
	/* 2048 2 MiB pages: entry i of the four directories maps i << 21. */
	for (i = 0; i < 4 * 512; i++)
		mvm_put_le64(pd + i * 8, ((uint64_t)i << 21) | PTE_P | PTE_RW |
			     PTE_PS);

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsi = zero_page;
	regs->rsp = MVM_BOOT_STACK_TOP;
	regs->rflags = RFLAGS_FIXED;
	regs->cr0 = CR0_PE | CR0_ET | CR0_PG;
	regs->cr3 = MVM_BOOT_PML4;
	regs->cr4 = CR4_PAE;
	regs->efer = EFER_LME | EFER_LMA;
	regs->gdt_base = MVM_BOOT_GDT;
	regs->gdt_limit = GDT_ENTRIES * 8 - 1;
	seg_flat(&regs->cs, MVM_BOOT_SEL_CODE64, SEG_TYPE_CODE, true, false);
	seg_flat(&regs->ds, MVM_BOOT_SEL_DATA, SEG_TYPE_DATA, false, true);
	seg_tss(&regs->tr);
	return 0;
}

int mvm_boot_pvh_setup(const struct mvm_guest_mem *m, uint32_t entry,
		       uint64_t start_info, struct mvm_boot_regs *regs)
{
	int ret;

	if (!m || !m->base || !regs || start_info >= MVM_BOOT_4G)
		return -EINVAL;
	ret = write_gdt(m);
	if (ret)
		return ret;

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rbx = start_info;
	regs->rsp = MVM_BOOT_STACK_TOP;
	regs->rflags = RFLAGS_FIXED;
	regs->cr0 = CR0_PE | CR0_ET;
	regs->gdt_base = MVM_BOOT_GDT;
	regs->gdt_limit = GDT_ENTRIES * 8 - 1;
	seg_flat(&regs->cs, MVM_BOOT_SEL_CODE32, SEG_TYPE_CODE, false, true);
	seg_flat(&regs->ds, MVM_BOOT_SEL_DATA, SEG_TYPE_DATA, false, true);
	seg_tss(&regs->tr);
	return 0;
}

void mvm_boot_regs_apply(const struct mvm_boot_regs *b, struct mvm_regs *regs,
			 struct mvm_sregs *sregs)
{
	if (!b || !regs || !sregs)
		return;
	memset(regs, 0, sizeof(*regs));
	regs->rip = b->rip;
	regs->rsp = b->rsp;
	regs->rsi = b->rsi;
	regs->rbx = b->rbx;
	regs->rflags = b->rflags;

	sregs->cs = b->cs;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = b->ds;
	sregs->tr = b->tr;
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.type = 2;
	sregs->ldt.present = 1;
	sregs->ldt.unusable = 1;
	memset(&sregs->gdt, 0, sizeof(sregs->gdt));
	sregs->gdt.base = b->gdt_base;
	sregs->gdt.limit = b->gdt_limit;
	memset(&sregs->idt, 0, sizeof(sregs->idt));
	sregs->cr0 = b->cr0;
	sregs->cr2 = 0;
	sregs->cr3 = b->cr3;
	sregs->cr4 = b->cr4;
	sregs->cr8 = 0;
	sregs->efer = b->efer;
}
