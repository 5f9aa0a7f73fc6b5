// SPDX-License-Identifier: Apache-2.0
/*
 * Guest memory access for the loaders, and the layout decisions the
 * bzImage, ELF and PVH paths share: the e820 map, the command line and
 * where the initrd goes.
 */
#include <errno.h>
#include <string.h>

#include "loader.h"

/* The fixed boot areas of loader.h, in order and apart. */
_Static_assert(MVM_BOOT_GDT + MVM_BOOT_PAGE_SIZE <= MVM_BOOT_PVH_INFO &&
	       MVM_BOOT_PVH_INFO + MVM_BOOT_PAGE_SIZE <= MVM_BOOT_ZERO_PAGE &&
	       MVM_BOOT_ZERO_PAGE + MVM_BP_SIZE < MVM_BOOT_STACK_TOP &&
	       MVM_BOOT_STACK_TOP <= MVM_BOOT_PML4 &&
	       MVM_BOOT_PML4 + MVM_BOOT_PAGE_SIZE <= MVM_BOOT_PDPT &&
	       MVM_BOOT_PDPT + MVM_BOOT_PAGE_SIZE <= MVM_BOOT_PD &&
	       MVM_BOOT_PD + 4 * MVM_BOOT_PAGE_SIZE <= MVM_BOOT_CMDLINE &&
	       MVM_BOOT_CMDLINE + MVM_BOOT_CMDLINE_MAX <= MVM_BOOT_EBDA &&
	       MVM_BOOT_EBDA < MVM_BOOT_LOW_RAM_END &&
	       MVM_BOOT_LOW_RAM_END <= MVM_ACPI_BASE &&
	       MVM_ACPI_BASE < MVM_ACPI_END &&
	       MVM_ACPI_END <= MVM_BOOT_HIGH_MEM &&
	       MVM_BOOT_LOW_RAM_END <= MVM_BOOT_HIGH_MEM,
	       "boot layout overlaps");

int mvm_gmem_check(const struct mvm_guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (!m || !m->base)
		return -ERANGE;
	if (__builtin_add_overflow(gpa, len, &end) || end > m->size)
		return -ERANGE;
	return 0;
}

void *mvm_gmem_ptr(const struct mvm_guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (mvm_gmem_check(m, gpa, len))
		return NULL;
	return m->base + gpa;
}

int mvm_gmem_write(const struct mvm_guest_mem *m, uint64_t gpa,
		   const void *src, uint64_t len)
{
	void *dst = mvm_gmem_ptr(m, gpa, len);

	if (!dst)
		return -ERANGE;
	if (len)
		memcpy(dst, src, len);
	return 0;
}

int mvm_gmem_zero(const struct mvm_guest_mem *m, uint64_t gpa, uint64_t len)
{
	void *dst = mvm_gmem_ptr(m, gpa, len);

	if (!dst)
		return -ERANGE;
	memset(dst, 0, len);
	return 0;
}

uint64_t mvm_boot_ram_end(uint64_t mem_size)
{
	return mem_size < MVM_BOOT_MMIO_HOLE ? mem_size : MVM_BOOT_MMIO_HOLE;
}

int mvm_e820_build(uint64_t mem_size, struct mvm_e820_entry *map,
		   unsigned int max, unsigned int *nr)
{
	return mvm_e820_build_acpi(mem_size, false, map, max, nr);
}

int mvm_e820_build_acpi(uint64_t mem_size, bool acpi,
			struct mvm_e820_entry *map, unsigned int max,
			unsigned int *nr)
{
	uint64_t ram_end = mvm_boot_ram_end(mem_size);
	unsigned int n = 3 + acpi + (mem_size > MVM_BOOT_4G), i = 0;

	if (!map || !nr)
		return -EINVAL;
	if (ram_end <= MVM_BOOT_HIGH_MEM || max < n)
		return -ENOSPC;

	map[i++] = (struct mvm_e820_entry){ 0, MVM_BOOT_EBDA, MVM_E820_RAM };
	map[i++] = (struct mvm_e820_entry){ MVM_BOOT_EBDA,
		MVM_BOOT_LOW_RAM_END - MVM_BOOT_EBDA, MVM_E820_RESERVED };
	if (acpi)
		map[i++] = (struct mvm_e820_entry){ MVM_ACPI_BASE,
			MVM_ACPI_END - MVM_ACPI_BASE, MVM_E820_RESERVED };
	map[i++] = (struct mvm_e820_entry){ MVM_BOOT_HIGH_MEM,
		ram_end - MVM_BOOT_HIGH_MEM, MVM_E820_RAM };
	if (mem_size > MVM_BOOT_4G)
		map[i++] = (struct mvm_e820_entry){ MVM_BOOT_4G,
			mem_size - MVM_BOOT_4G, MVM_E820_RAM };
	*nr = i;
	return 0;
}

int mvm_boot_cmdline_write(const struct mvm_guest_mem *m, const char *cmdline,
			   uint64_t max_len, uint64_t *len)
{
	size_t n;

	if (!cmdline)
		cmdline = "";
	if (max_len > MVM_BOOT_CMDLINE_MAX - 1)
		max_len = MVM_BOOT_CMDLINE_MAX - 1;
	/* Never scan further than one byte past what is allowed. */
	n = strnlen(cmdline, (size_t)max_len + 1);
	if (n > max_len)
		return -E2BIG;
	if (mvm_gmem_write(m, MVM_BOOT_CMDLINE, cmdline, n + 1))
		return -ENOSPC;
	if (len)
		*len = n;
	return 0;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

int mvm_initrd_place(uint64_t mem_size, uint64_t size, uint64_t limit,
		     uint64_t kstart, uint64_t kend, uint64_t *addr)
{
	uint64_t ram_end = mvm_boot_ram_end(mem_size);
	uint64_t top, a;

	if (!addr || !size || kstart > kend)
		return -EINVAL;
	if (limit > ram_end)
		limit = ram_end;

	/* Above the kernel: the highest page-aligned start that ends by
	 * the limit. */
	if (size <= limit) {
		a = align_down(limit - size, MVM_BOOT_PAGE_SIZE);
		if (a >= kend && a >= MVM_BOOT_HIGH_MEM) {
			*addr = a;
			return 0;
		}
	}
	/* Between 1 MiB and the kernel. */
	top = kstart < limit ? kstart : limit;
	if (size <= top) {
		a = align_down(top - size, MVM_BOOT_PAGE_SIZE);
		if (a >= MVM_BOOT_HIGH_MEM) {
			*addr = a;
			return 0;
		}
	}
	return -ENOSPC;
}
