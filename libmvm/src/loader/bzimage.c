// SPDX-License-Identifier: Apache-2.0
/*
 * bzImage loading for Linux's 64-bit boot protocol, and the boot_params
 * ("zero page") it starts with.
 *
 * Protocol facts are from the kernel's Documentation/arch/x86/boot.rst
 * (setup header, loading, 64-bit boot protocol) and zero-page.rst
 * (boot_params layout). A bzImage is (setup_sects + 1) 512-byte sectors
 * of real-mode setup code, whose second sector holds the setup header at
 * 0x1f1, followed by the protected-mode kernel. mvm skips the real-mode
 * code and the 32-bit entry: it loads the protected-mode part and enters
 * it at offset 0x200 in 64-bit mode (XLF_KERNEL_64).
 */
#include <errno.h>
#include <string.h>

#include "loader.h"

/* Everything the checks decided, before guest memory is written. */
struct bz_plan {
	uint64_t setup_size;
	uint64_t pm_size;
	uint64_t hdr_end;
	uint64_t load;
	uint64_t kernel_end;
	uint64_t cmdline_max;
	uint64_t initrd_limit;
};

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Header checks and placement; no side effects. */
static int bz_plan(const uint8_t *img, size_t len, uint64_t mem_size,
		   struct bz_plan *p)
{
	uint64_t ram_end = mvm_boot_ram_end(mem_size);
	uint64_t sects, align, pref, init_size, syssize, rt, end;
	bool relocatable;

	/* The header must be there before any field is believed. */
	if (len < MVM_HDR_MIN_END)
		return -ENOEXEC;
	if (mvm_get_le32(img + MVM_HDR_HEADER) != MVM_HDR_MAGIC ||
	    mvm_get_le16(img + MVM_HDR_BOOT_FLAG) != MVM_HDR_BOOT_FLAG_MAGIC)
		return -ENOEXEC;
	if (mvm_get_le16(img + MVM_HDR_VERSION) < MVM_HDR_MIN_VERSION)
		return -ENOTSUP;
	/* boot.rst: the header ends at 0x202 + the byte at 0x201, the
	 * target of the short jump at 0x200. */
	if (img[MVM_HDR_JUMP] != 0xeb)
		return -ENOEXEC;
	p->hdr_end = 0x202 + (uint64_t)img[MVM_HDR_JUMP + 1];
	if (p->hdr_end < MVM_HDR_MIN_END)
		return -ENOEXEC;
	/* Fields past boot_params' room for the header are not ours. */
	if (p->hdr_end > MVM_BP_HDR_MAX_END)
		p->hdr_end = MVM_BP_HDR_MAX_END;
	if (!(mvm_get_le16(img + MVM_HDR_XLOADFLAGS) & MVM_XLF_KERNEL_64))
		return -ENOTSUP;

	sects = img[MVM_HDR_SETUP_SECTS];
	if (!sects)
		sects = 4;
	p->setup_size = (sects + 1) * 512;	/* at most 128 KiB */
	if (len <= p->setup_size)
		return -ENOEXEC;
	p->pm_size = len - p->setup_size;
	/* syssize (2.04+) counts 16-byte paragraphs of the protected-mode
	 * part; more than the file holds means a truncated image. */
	syssize = mvm_get_le32(img + MVM_HDR_SYSSIZE);
	if (syssize * 16 > p->pm_size)
		return -ENOEXEC;

	relocatable = img[MVM_HDR_RELOCATABLE] != 0;
	align = mvm_get_le32(img + MVM_HDR_KERNEL_ALIGN);
	pref = mvm_get_le64(img + MVM_HDR_PREF_ADDRESS);
	init_size = mvm_get_le32(img + MVM_HDR_INIT_SIZE);
	if (relocatable && !is_pow2(align))
		return -ENOEXEC;

	p->load = MVM_BOOT_HIGH_MEM;
	if (relocatable && pref >= MVM_BOOT_HIGH_MEM && !(pref & (align - 1)))
		p->load = pref;
	rt = p->load;
	if (relocatable && __builtin_add_overflow(rt, align - 1, &rt))
		return -ENOSPC;
	if (relocatable)
		rt &= ~(align - 1);

	if (__builtin_add_overflow(p->load, p->pm_size, &p->kernel_end) ||
	    __builtin_add_overflow(rt, init_size, &end))
		return -ENOSPC;
	if (end > p->kernel_end)
		p->kernel_end = end;
	if (p->kernel_end > ram_end)
		return -ENOSPC;

	p->cmdline_max = mvm_get_le32(img + MVM_HDR_CMDLINE_SIZE);
	p->initrd_limit = (uint64_t)mvm_get_le32(img + MVM_HDR_INITRD_ADDR_MAX)
			  + 1;
	return 0;
}

int mvm_zeropage_write(const struct mvm_guest_mem *m, const uint8_t *hdr,
		       size_t hdr_len, const struct mvm_boot_info *info)
{
	struct mvm_e820_entry map[MVM_E820_MAX];
	unsigned int nr, i;
	uint8_t *zp;
	int ret;

	if (!hdr || !info || hdr_len < MVM_HDR_MIN_END - MVM_BP_HDR ||
	    hdr_len > MVM_BP_HDR_MAX_END - MVM_BP_HDR)
		return -EINVAL;
	if (info->kernel_start >= MVM_BOOT_4G ||
	    info->cmdline_addr >= MVM_BOOT_4G ||
	    info->initrd_addr >= MVM_BOOT_4G ||
	    info->initrd_size >= MVM_BOOT_4G ||
	    info->initrd_addr + info->initrd_size > MVM_BOOT_4G ||
	    !mvm_acpi_rsdp_valid(info->acpi_rsdp))
		return -EINVAL;
	zp = mvm_gmem_ptr(m, MVM_BOOT_ZERO_PAGE, MVM_BP_SIZE);
	if (!zp)
		return -ENOSPC;
	ret = mvm_e820_build_acpi(m->size, info->acpi_rsdp != 0, map,
				  MVM_E820_MAX, &nr);
	if (ret)
		return ret;

	memset(zp, 0, MVM_BP_SIZE);
	memcpy(zp + MVM_BP_HDR, hdr, hdr_len);
	/* zero-page.rst: acpi_rsdp_addr, where Linux 5.0 and later look
	 * before scanning the BIOS area for the RSDP. */
	mvm_put_le64(zp + MVM_BP_ACPI_RSDP_ADDR, info->acpi_rsdp);

	mvm_put_le16(zp + MVM_HDR_VID_MODE, 0xffff);	/* "normal" */
	zp[MVM_HDR_TYPE_OF_LOADER] = MVM_TYPE_OF_LOADER;
	zp[MVM_HDR_LOADFLAGS] |= MVM_LOADFLAG_LOADED_HIGH |
				 MVM_LOADFLAG_CAN_USE_HEAP;
	mvm_put_le32(zp + MVM_HDR_CODE32_START, (uint32_t)info->kernel_start);
	mvm_put_le32(zp + MVM_HDR_RAMDISK_IMAGE, (uint32_t)info->initrd_addr);
	mvm_put_le32(zp + MVM_HDR_RAMDISK_SIZE, (uint32_t)info->initrd_size);
	/* Only the real-mode setup code uses the heap; set as boot.rst
	 * asks of any loader setting CAN_USE_HEAP. */
	mvm_put_le16(zp + MVM_HDR_HEAP_END_PTR, MVM_HEAP_END_PTR);
	zp[MVM_HDR_EXT_LOADER_VER] = 0;
	zp[MVM_HDR_EXT_LOADER_TYPE] = 0;
	mvm_put_le32(zp + MVM_HDR_CMD_LINE_PTR, (uint32_t)info->cmdline_addr);
	mvm_put_le64(zp + MVM_HDR_SETUP_DATA, 0);

	zp[MVM_BP_E820_ENTRIES] = (uint8_t)nr;
	for (i = 0; i < nr; i++) {
		uint8_t *e = zp + MVM_BP_E820_TABLE + i * 20;

		mvm_put_le64(e, map[i].addr);
		mvm_put_le64(e + 8, map[i].size);
		mvm_put_le32(e + 16, map[i].type);
	}
	return 0;
}

int mvm_bzimage_load(const struct mvm_guest_mem *m, const void *image,
		     size_t len, const struct mvm_linux_args *args,
		     struct mvm_boot_info *out)
{
	static const struct mvm_linux_args no_args;
	const uint8_t *img = image;
	struct mvm_boot_info info = { 0 };
	struct bz_plan p;
	uint64_t max;
	size_t cl;
	int ret;

	if (!m || !m->base || !img || !out)
		return -EINVAL;
	if (!args)
		args = &no_args;
	if (args->initrd_size && !args->initrd)
		return -EINVAL;
	if (mvm_boot_ram_end(m->size) <= MVM_BOOT_HIGH_MEM)
		return -ENOSPC;

	ret = bz_plan(img, len, m->size, &p);
	if (ret)
		return ret;

	/* Everything that can fail is decided before the first write. */
	max = p.cmdline_max < MVM_BOOT_CMDLINE_MAX - 1 ?
	      p.cmdline_max : MVM_BOOT_CMDLINE_MAX - 1;
	cl = strnlen(args->cmdline ? args->cmdline : "", (size_t)max + 1);
	if (cl > max)
		return -E2BIG;
	if (args->initrd_size) {
		ret = mvm_initrd_place(m->size, args->initrd_size,
				       p.initrd_limit, p.load, p.kernel_end,
				       &info.initrd_addr);
		if (ret)
			return ret;
		info.initrd_size = args->initrd_size;
	}

	info.entry = p.load + 0x200;
	info.boot_info = MVM_BOOT_ZERO_PAGE;
	info.kernel_start = p.load;
	info.kernel_end = p.kernel_end;
	info.cmdline_addr = MVM_BOOT_CMDLINE;

	ret = mvm_boot_cmdline_write(m, args->cmdline, max, &info.cmdline_len);
	if (ret)
		return ret;
	if (mvm_gmem_write(m, p.load, img + p.setup_size, p.pm_size))
		return -ENOSPC;
	if (info.initrd_size &&
	    mvm_gmem_write(m, info.initrd_addr, args->initrd, info.initrd_size))
		return -ENOSPC;
	ret = mvm_zeropage_write(m, img + MVM_BP_HDR, p.hdr_end - MVM_BP_HDR,
				 &info);
	if (ret)
		return ret;
	*out = info;
	return 0;
}
