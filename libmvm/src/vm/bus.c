// SPDX-License-Identifier: Apache-2.0
/*
 * Address decoding for port I/O and MMIO exits: a short array of ranges
 * sorted by base, searched by bisection. Devices are added while the VM
 * is built and never removed, so lookups from vCPU threads need no lock.
 */
#include <errno.h>
#include <string.h>

#include "vm_priv.h"

int vm_bus_add(struct vm_bus *b, const struct vm_range *r)
{
	uint64_t end;
	unsigned int i;

	if (!r->size || __builtin_add_overflow(r->base, r->size - 1, &end))
		return -EINVAL;
	if (b->n >= VM_BUS_MAX)
		return -ENOSPC;
	for (i = 0; i < b->n && b->r[i].base < r->base; i++)
		;
	/* Neighbours: the one before must end before, the one at i must
	 * start after. */
	if (i > 0 && b->r[i - 1].base + (b->r[i - 1].size - 1) >= r->base)
		return -EEXIST;
	if (i < b->n && b->r[i].base <= end)
		return -EEXIST;
	memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(b->r[0]));
	b->r[i] = *r;
	b->n++;
	return 0;
}

const struct vm_range *vm_bus_find(const struct vm_bus *b, uint64_t addr)
{
	unsigned int lo = 0, hi = b->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vm_range *r = &b->r[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}
