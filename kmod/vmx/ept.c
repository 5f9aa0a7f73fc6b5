// SPDX-License-Identifier: GPL-2.0
/*
 * EPT: 4-level tables mapping guest-physical pages to the pinned pages of
 * the owner's memory, filled lazily on EPT violations (SDM Vol. 3C 29.3).
 *
 * Only 4 KiB leaves are made, each for one page pinned with
 * pin_user_pages_fast(FOLL_LONGTERM) and charged to the owner's
 * RLIMIT_MEMLOCK. Removing a mapping clears the entry, flushes every CPU
 * (INVEPT), and only then unpins the page, so the guest can never reach a
 * page the host has reused. Tables left empty by an unmap are freed.
 *
 * All functions here run with vm->lock held.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vmx.h"
#include "vmx_arch.h"

#define EPT_LEVELS	4
#define EPT_ENTRIES	512

/* Index into the table of @level (4 = PML4 ... 1 = PT) for @gpa. */
static unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/* Bytes of guest-physical space one entry of @level covers. */
static u64 ept_span(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static u64 *ept_table_of(u64 entry)
{
	return __va(entry & EPT_ADDR_MASK);
}

static u64 *ept_alloc_table(struct mvm_vm *vm)
{
	struct vmx_vm *v = to_vmx_vm(vm);
	u64 *table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (!table)
		return NULL;
	v->ept_table_pages++;
	mvm_account_bytes(vm, PAGE_SIZE);
	return table;
}

static void ept_free_table(struct mvm_vm *vm, u64 *table)
{
	struct vmx_vm *v = to_vmx_vm(vm);

	free_page((unsigned long)table);
	v->ept_table_pages--;
	mvm_account_bytes(vm, -(long)PAGE_SIZE);
}

int vmx_ept_init(struct mvm_vm *vm)
{
	struct vmx_vm *v = to_vmx_vm(vm);

	v->ept_root = ept_alloc_table(vm);
	if (!v->ept_root)
		return -ENOMEM;
	v->eptp = __pa(v->ept_root) | EPTP_WALK_4 | EPTP_MT_WB;
	return 0;
}

/* The leaf entry for @gpa, allocating tables when @alloc; NULL if absent
 * (or out of memory when allocating). */
static u64 *ept_leaf(struct mvm_vm *vm, u64 gpa, bool alloc)
{
	u64 *table = to_vmx_vm(vm)->ept_root;
	int level;

	for (level = EPT_LEVELS; level > 1; level--) {
		u64 *e = &table[ept_index(gpa, level)];

		if (!(*e & EPT_READ)) {
			u64 *next;

			if (!alloc)
				return NULL;
			next = ept_alloc_table(vm);
			if (!next)
				return NULL;
			/* Non-leaf entries allow everything; leaves decide. */
			WRITE_ONCE(*e, __pa(next) | EPT_READ | EPT_WRITE |
				       EPT_EXEC);
		}
		table = ept_table_of(*e);
	}
	return &table[ept_index(gpa, 1)];
}

int vmx_ept_map(struct mvm_vm *vm, struct mvm_memslot *slot, u64 gpa,
		bool write)
{
	bool ro = slot->flags & MVM_MEM_READONLY;
	unsigned long hva;
	struct page *page;
	u64 *leaf;
	int ret;

	gpa &= PAGE_MASK;
	leaf = ept_leaf(vm, gpa, false);
	if (leaf && (*leaf & EPT_READ))
		return 0;	/* mapped meanwhile by another vCPU */

	/* Pin and charge first: tables are made only for pages that are
	 * really mapped, so a guest probing unbacked memory costs none. */
	hva = slot->uaddr + (gpa - slot->gpa);
	ret = pin_user_pages_fast(hva, 1, (ro ? 0 : FOLL_WRITE) |
				  FOLL_LONGTERM, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	ret = account_locked_vm(vm->mm, 1, true);
	if (ret) {
		unpin_user_page(page);
		return ret;
	}
	leaf = ept_leaf(vm, gpa, true);
	if (!leaf) {
		account_locked_vm(vm->mm, 1, false);
		unpin_user_page(page);
		return -ENOMEM;
	}
	WRITE_ONCE(*leaf, ((u64)page_to_pfn(page) << PAGE_SHIFT) | EPT_READ |
		   EPT_EXEC | (ro ? 0 : EPT_WRITE) | EPT_MT_WB |
		   EPT_IGNORE_PAT);
	atomic64_inc(&vm->pinned_pages);
	atomic64_inc(&mvm_total_pinned_pages);
	return 0;
}

static bool ept_table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++)
		if (table[i])
			return false;
	return true;
}

#define EPT_BATCH	64

/* What one pass of an unmap removed, to release after the flush. */
struct ept_batch {
	struct page *pages[EPT_BATCH];
	bool dirty[EPT_BATCH];
	unsigned int npages;
	u64 *tables[EPT_BATCH];
	unsigned int ntables;
};

static bool batch_full(const struct ept_batch *b)
{
	return b->npages == EPT_BATCH || b->ntables == EPT_BATCH;
}

/*
 * Clear the leaves of [gpa, end) under @table (of @level) into @b, and
 * unlink the tables this empties. Returns where it stopped: @end, or
 * earlier when @b is full.
 */
static u64 ept_clear_range(u64 *table, int level, u64 gpa, u64 end,
			   struct ept_batch *b)
{
	while (gpa < end && !batch_full(b)) {
		u64 span = ept_span(level);
		u64 next = min((gpa & ~(span - 1)) + span, end);
		u64 *e = &table[ept_index(gpa, level)];
		u64 *child;

		if (!(*e & EPT_READ)) {
			gpa = next;
			continue;
		}
		if (level == 1) {
			b->pages[b->npages] = pfn_to_page((*e & EPT_ADDR_MASK)
							  >> PAGE_SHIFT);
			b->dirty[b->npages++] = *e & EPT_WRITE;
			WRITE_ONCE(*e, 0);
			gpa = next;
			continue;
		}
		child = ept_table_of(*e);
		gpa = ept_clear_range(child, level - 1, gpa, next, b);
		if (ept_table_empty(child) && b->ntables < EPT_BATCH) {
			/* Freed only after the flush: until then a CPU may
			 * still walk it through a cached entry. */
			WRITE_ONCE(*e, 0);
			b->tables[b->ntables++] = child;
		}
	}
	return gpa;
}

void vmx_ept_unmap(struct mvm_vm *vm, u64 gpa, u64 size)
{
	struct vmx_vm *v = to_vmx_vm(vm);
	struct ept_batch *b;
	u64 end = gpa + size;
	unsigned int i;

	if (!v || !v->ept_root)
		return;
	/* Unmap must not fail; the batch is small. */
	b = kmalloc(sizeof(*b), GFP_KERNEL | __GFP_NOFAIL);
	while (gpa < end) {
		b->npages = 0;
		b->ntables = 0;
		gpa = ept_clear_range(v->ept_root, EPT_LEVELS, gpa, end, b);
		if (!b->npages && !b->ntables)
			continue;
		vmx_flush_ept_all_cpus(v->eptp);
		for (i = 0; i < b->npages; i++)
			unpin_user_pages_dirty_lock(&b->pages[i], 1,
						    b->dirty[i]);
		if (b->npages) {
			account_locked_vm(vm->mm, b->npages, false);
			atomic64_sub(b->npages, &vm->pinned_pages);
			atomic64_sub(b->npages, &mvm_total_pinned_pages);
		}
		for (i = 0; i < b->ntables; i++)
			ept_free_table(vm, b->tables[i]);
	}
	kfree(b);
}

void vmx_ept_destroy(struct mvm_vm *vm)
{
	struct vmx_vm *v = to_vmx_vm(vm);

	if (!v || !v->ept_root)
		return;
	/* Every slot was unmapped already, which freed every table below
	 * the root; map whatever is left, defensively. */
	vmx_ept_unmap(vm, 0, 1ULL << 48);
	WARN_ON_ONCE(!ept_table_empty(v->ept_root));
	ept_free_table(vm, v->ept_root);
	v->ept_root = NULL;
	WARN_ON_ONCE(v->ept_table_pages);
}
