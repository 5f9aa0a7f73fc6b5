// SPDX-License-Identifier: Apache-2.0
/*
 * vmlinux (ELF64) loading, the PVH entry note and hvm_start_info.
 *
 * Formats: the System V gABI and "ELF-64 Object File Format" 1.5 for the
 * headers; Xen's public headers for the note (elfnote.h,
 * XEN_ELFNOTE_PHYS32_ENTRY) and the start info
 * (arch-x86/hvm/start_info.h); docs/misc/pvh.pandoc for the entry state.
 * Headers are read with memcpy into <elf.h> structs, so the image needs
 * no alignment; x86 hosts only (the fields are little-endian as is).
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "loader.h"

/* Start info, module list and memory map share one page. */
_Static_assert(MVM_PVH_MODLIST >= MVM_BOOT_PVH_INFO + MVM_PVH_START_INFO_SIZE &&
	       MVM_PVH_MEMMAP >= MVM_PVH_MODLIST + MVM_PVH_MODLIST_SIZE &&
	       MVM_PVH_MEMMAP + MVM_E820_MAX * MVM_PVH_MEMMAP_SIZE <=
	       MVM_BOOT_PVH_INFO + MVM_BOOT_PAGE_SIZE,
	       "PVH start info layout");

/* One validated PT_LOAD. */
struct elf_seg {
	uint64_t offset, filesz, paddr, vaddr, memsz;
};

static int elf_check_ehdr(const uint8_t *img, size_t len, Elf64_Ehdr *eh)
{
	uint64_t ph_bytes, ph_end;

	if (len < sizeof(*eh))
		return -ENOEXEC;
	memcpy(eh, img, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_type != ET_EXEC || eh->e_machine != EM_X86_64 ||
	    eh->e_version != EV_CURRENT)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > MVM_ELF_MAX_PHNUM)
		return -ENOEXEC;
	ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (__builtin_add_overflow(eh->e_phoff, ph_bytes, &ph_end) ||
	    ph_end > len)
		return -ENOEXEC;
	return 0;
}

static void elf_phdr(const uint8_t *img, const Elf64_Ehdr *eh, unsigned int i,
		     Elf64_Phdr *ph)
{
	memcpy(ph, img + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* Does [@off, @off + @size) lie within the @len bytes of the file? */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, size, &end) && end <= len;
}

static bool in_segs(const struct elf_seg *s, unsigned int n, uint64_t paddr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (paddr >= s[i].paddr && paddr - s[i].paddr < s[i].memsz)
			return true;
	return false;
}

/*
 * Walk the notes of one PT_NOTE segment (gABI "Note Section": namesz,
 * descsz, type, then name and descriptor each padded to the segment's
 * alignment, 4 or 8). Sets *@found and *@entry at the first PVH note.
 */
static int elf_find_pvh(const uint8_t *img, const Elf64_Phdr *ph, bool *found,
			uint32_t *entry)
{
	uint64_t pad = ph->p_align == 8 ? 8 : 4;
	uint64_t off = ph->p_offset, left = ph->p_filesz;

	while (left && !*found) {
		uint32_t nh[3];
		uint64_t name_len, desc_len, total;

		if (left < sizeof(nh))
			return -ENOEXEC;
		memcpy(nh, img + off, sizeof(nh));
		/* Both at most 4 GiB: these sums cannot overflow. */
		name_len = ((uint64_t)nh[0] + pad - 1) & ~(pad - 1);
		desc_len = ((uint64_t)nh[1] + pad - 1) & ~(pad - 1);
		total = sizeof(nh) + name_len + desc_len;
		if (total > left)
			return -ENOEXEC;
		if (nh[2] == MVM_XEN_ELFNOTE_PHYS32_ENTRY && nh[0] == 4 &&
		    !memcmp(img + off + sizeof(nh), "Xen", 4)) {
			const uint8_t *d = img + off + sizeof(nh) + name_len;

			if (nh[1] == 4) {
				*entry = mvm_get_le32(d);
			} else if (nh[1] == 8 && !mvm_get_le32(d + 4)) {
				*entry = mvm_get_le32(d);
			} else {
				return -ENOEXEC;
			}
			*found = true;
		}
		off += total;
		left -= total;
	}
	return 0;
}

int mvm_elf_load(const struct mvm_guest_mem *m, const void *image,
		 size_t len, struct mvm_elf_kernel *out)
{
	struct elf_seg seg[MVM_ELF_MAX_PHNUM];
	struct mvm_elf_kernel k = { 0 };
	const uint8_t *img = image;
	uint64_t ram_end, e;
	unsigned int i, j, n = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int ret;

	if (!m || !m->base || !img || !out)
		return -EINVAL;
	ram_end = mvm_boot_ram_end(m->size);
	ret = elf_check_ehdr(img, len, &eh);
	if (ret)
		return ret;

	k.kernel_start = UINT64_MAX;
	for (i = 0; i < eh.e_phnum; i++) {
		uint64_t end;

		elf_phdr(img, &eh, i, &ph);
		if (ph.p_type == PT_NOTE) {
			if (!in_file(ph.p_offset, ph.p_filesz, len))
				return -ENOEXEC;
			ret = elf_find_pvh(img, &ph, &k.has_pvh, &k.pvh_entry);
			if (ret)
				return ret;
			continue;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    !in_file(ph.p_offset, ph.p_filesz, len) ||
		    __builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end))
			return -ENOEXEC;
		if (ph.p_paddr < MVM_BOOT_HIGH_MEM || end > ram_end)
			return -ENOSPC;
		for (j = 0; j < n; j++)
			if (ph.p_paddr < seg[j].paddr + seg[j].memsz &&
			    seg[j].paddr < end)
				return -ENOEXEC;
		seg[n++] = (struct elf_seg){ ph.p_offset, ph.p_filesz,
					     ph.p_paddr, ph.p_vaddr,
					     ph.p_memsz };
		if (ph.p_paddr < k.kernel_start)
			k.kernel_start = ph.p_paddr;
		if (end > k.kernel_end)
			k.kernel_end = end;
	}
	if (!n)
		return -ENOEXEC;
	if (k.has_pvh && !in_segs(seg, n, k.pvh_entry))
		return -ENOEXEC;

	/* e_entry: physical if a segment holds it there, else virtual. */
	e = eh.e_entry;
	if (in_segs(seg, n, e)) {
		k.entry64 = e;
	} else {
		for (i = 0; i < n; i++)
			if (e >= seg[i].vaddr &&
			    e - seg[i].vaddr < seg[i].memsz)
				break;
		if (i == n)
			return -ENOEXEC;
		k.entry64 = seg[i].paddr + (e - seg[i].vaddr);
	}

	for (i = 0; i < n; i++) {
		uint8_t *dst = mvm_gmem_ptr(m, seg[i].paddr, seg[i].memsz);

		/* Checked above: this cannot fail. */
		if (!dst)
			return -ENOSPC;
		memcpy(dst, img + seg[i].offset, seg[i].filesz);
		memset(dst + seg[i].filesz, 0, seg[i].memsz - seg[i].filesz);
	}
	*out = k;
	return 0;
}

/* Command line and initrd for either entry of a loaded vmlinux. */
static int elf_place_args(const struct mvm_guest_mem *m,
			  const struct mvm_elf_kernel *k,
			  const struct mvm_linux_args *args,
			  struct mvm_boot_info *info)
{
	size_t cl;
	int ret;

	if (args->initrd_size && !args->initrd)
		return -EINVAL;
	if (k->kernel_start > k->kernel_end || k->kernel_end > m->size)
		return -EINVAL;
	cl = strnlen(args->cmdline ? args->cmdline : "",
		     MVM_BOOT_CMDLINE_MAX);
	if (cl > MVM_BOOT_CMDLINE_MAX - 1)
		return -E2BIG;
	if (args->initrd_size) {
		ret = mvm_initrd_place(m->size, args->initrd_size, MVM_BOOT_4G,
				       k->kernel_start, k->kernel_end,
				       &info->initrd_addr);
		if (ret)
			return ret;
		info->initrd_size = args->initrd_size;
	}
	info->kernel_start = k->kernel_start;
	info->kernel_end = k->kernel_end;
	info->cmdline_addr = MVM_BOOT_CMDLINE;
	ret = mvm_boot_cmdline_write(m, args->cmdline, MVM_BOOT_CMDLINE_MAX - 1,
				     &info->cmdline_len);
	if (ret)
		return ret;
	if (info->initrd_size &&
	    mvm_gmem_write(m, info->initrd_addr, args->initrd,
			   info->initrd_size))
		return -ENOSPC;
	return 0;
}

int mvm_pvh_setup(const struct mvm_guest_mem *m,
		  const struct mvm_elf_kernel *k,
		  const struct mvm_linux_args *args, struct mvm_boot_info *out)
{
	static const struct mvm_linux_args no_args;
	struct mvm_e820_entry map[MVM_E820_MAX];
	struct mvm_boot_info info = { 0 };
	uint8_t *si, *mod, *mm;
	unsigned int nr, i;
	int ret;

	if (!m || !m->base || !k || !out)
		return -EINVAL;
	if (!k->has_pvh)
		return -ENOTSUP;
	if (!args)
		args = &no_args;
	si = mvm_gmem_ptr(m, MVM_BOOT_PVH_INFO, MVM_BOOT_PAGE_SIZE);
	if (!si)
		return -ENOSPC;
	ret = mvm_e820_build(m->size, map, MVM_E820_MAX, &nr);
	if (ret)
		return ret;
	ret = elf_place_args(m, k, args, &info);
	if (ret)
		return ret;

	memset(si, 0, MVM_BOOT_PAGE_SIZE);
	mod = si + (MVM_PVH_MODLIST - MVM_BOOT_PVH_INFO);
	mm = si + (MVM_PVH_MEMMAP - MVM_BOOT_PVH_INFO);

	/* struct hvm_start_info: magic, version, flags, nr_modules,
	 * modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr,
	 * memmap_entries, reserved. */
	mvm_put_le32(si + 0, MVM_PVH_MAGIC);
	mvm_put_le32(si + 4, MVM_PVH_VERSION);
	mvm_put_le32(si + 8, 0);
	mvm_put_le32(si + 12, info.initrd_size ? 1 : 0);
	mvm_put_le64(si + 16, info.initrd_size ? MVM_PVH_MODLIST : 0);
	mvm_put_le64(si + 24, info.cmdline_addr);
	mvm_put_le64(si + 32, 0);
	mvm_put_le64(si + 40, MVM_PVH_MEMMAP);
	mvm_put_le32(si + 48, nr);

	/* struct hvm_modlist_entry: paddr, size, cmdline_paddr, reserved. */
	if (info.initrd_size) {
		mvm_put_le64(mod + 0, info.initrd_addr);
		mvm_put_le64(mod + 8, info.initrd_size);
	}
	/* struct hvm_memmap_table_entry: addr, size, type, reserved; the
	 * types are the e820 ones. */
	for (i = 0; i < nr; i++) {
		uint8_t *e = mm + i * MVM_PVH_MEMMAP_SIZE;

		mvm_put_le64(e, map[i].addr);
		mvm_put_le64(e + 8, map[i].size);
		mvm_put_le32(e + 16, map[i].type);
	}

	info.entry = k->pvh_entry;
	info.boot_info = MVM_BOOT_PVH_INFO;
	*out = info;
	return 0;
}

int mvm_elf_setup_linux64(const struct mvm_guest_mem *m,
			  const struct mvm_elf_kernel *k,
			  const struct mvm_linux_args *args,
			  struct mvm_boot_info *out)
{
	static const struct mvm_linux_args no_args;
	/* A bzImage's first bytes, as far as the setup header reaches. */
	uint8_t bz[MVM_HDR_MIN_END] = { 0 };
	struct mvm_boot_info info = { 0 };
	int ret;

	if (!m || !m->base || !k || !out)
		return -EINVAL;
	if (!args)
		args = &no_args;
	if (k->entry64 >= MVM_BOOT_4G)
		return -EINVAL;
	if (mvm_gmem_check(m, MVM_BOOT_ZERO_PAGE, MVM_BP_SIZE) ||
	    mvm_boot_ram_end(m->size) <= MVM_BOOT_HIGH_MEM)
		return -ENOSPC;
	ret = elf_place_args(m, k, args, &info);
	if (ret)
		return ret;

	mvm_put_le16(bz + MVM_HDR_BOOT_FLAG, MVM_HDR_BOOT_FLAG_MAGIC);
	bz[MVM_HDR_JUMP] = 0xeb;
	bz[MVM_HDR_JUMP + 1] = MVM_HDR_MIN_END - 0x202;
	mvm_put_le32(bz + MVM_HDR_HEADER, MVM_HDR_MAGIC);
	mvm_put_le16(bz + MVM_HDR_VERSION, MVM_HDR_MIN_VERSION);
	mvm_put_le32(bz + MVM_HDR_INITRD_ADDR_MAX,
		     (uint32_t)(mvm_boot_ram_end(m->size) - 1));
	mvm_put_le32(bz + MVM_HDR_KERNEL_ALIGN, 0x200000);
	mvm_put_le16(bz + MVM_HDR_XLOADFLAGS, MVM_XLF_KERNEL_64);
	mvm_put_le32(bz + MVM_HDR_CMDLINE_SIZE, MVM_BOOT_CMDLINE_MAX - 1);

	info.entry = k->entry64;
	info.boot_info = MVM_BOOT_ZERO_PAGE;
	ret = mvm_zeropage_write(m, bz + MVM_BP_HDR, sizeof(bz) - MVM_BP_HDR,
				 &info);
	if (ret)
		return ret;
	*out = info;
	return 0;
}
