// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the vmlinux loader (src/loader/elf.c): ELF
 * loading, the PVH note, hvm_start_info and the 64-bit zero page.
 *
 * Input layout:
 *   0   mode: bits 1:0 guest memory size (MEM_SIZES), bit 2 initrd
 *   1   the ELF image, the rest of the input
 *
 * Guest memory is a heap buffer of exactly the chosen size, so ASan sees
 * any access past it; the image is libFuzzer's own exactly-sized copy.
 *
 * Checked after a successful load: the kernel range lies in [1 MiB, end
 * of RAM); the 64-bit and PVH entries lie inside it; every PT_LOAD is in
 * guest memory byte for byte with its bss zeroed (re-read here from the
 * program headers); mvm_pvh_setup() (with a PVH note) and
 * mvm_elf_setup_linux64() succeed or say -ENOSPC, and on success leave a
 * well-formed start info or zero page, an initrd off the kernel, and
 * accepted boot state. Failures must use the documented errnos.
 *
 * Run with LOADER_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes a seed input (a small vmlinux with a PVH note) to <file> and
 * exits.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "INVARIANT: %s (%s:%d)\n", #cond, \
			__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

#define HDR_SIZE	1
#define MiB		(1ULL << 20)

static const uint64_t MEM_SIZES[4] = {
	2 * MiB, 3 * MiB + 0x10, 8 * MiB, 16 * MiB + 0x100,
};

static uint8_t *mem_buf[4];
static uint8_t initrd_src[0x3000];

static bool all_zero(const uint8_t *p, uint64_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* The loaded segments must be exactly the file's. */
static void check_segments(const struct mvm_guest_mem *m, const uint8_t *img,
			   size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	CHECK(len >= sizeof(eh));
	memcpy(&eh, img, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		CHECK(ph.p_paddr >= MVM_BOOT_HIGH_MEM);
		CHECK(ph.p_paddr + ph.p_memsz <= m->size);
		CHECK(ph.p_offset + ph.p_filesz <= len);
		CHECK(!memcmp(m->base + ph.p_paddr, img + ph.p_offset,
			      ph.p_filesz));
		CHECK(all_zero(m->base + ph.p_paddr + ph.p_filesz,
			       ph.p_memsz - ph.p_filesz));
	}
}

static void check_initrd(const struct mvm_boot_info *out,
			 const struct mvm_elf_kernel *k, uint64_t ram_end,
			 const struct mvm_guest_mem *m)
{
	CHECK(out->initrd_size == sizeof(initrd_src));
	CHECK(!(out->initrd_addr & 0xfff));
	CHECK(out->initrd_addr >= MVM_BOOT_HIGH_MEM);
	CHECK(out->initrd_addr + out->initrd_size <= ram_end);
	CHECK(out->initrd_addr + out->initrd_size <= k->kernel_start ||
	      out->initrd_addr >= k->kernel_end);
	CHECK(!memcmp(m->base + out->initrd_addr, initrd_src,
		      sizeof(initrd_src)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode;
	uint64_t msize, ram_end;
	struct mvm_guest_mem m;
	struct mvm_linux_args a = { "console=hvc0", NULL, 0 };
	struct mvm_elf_kernel k;
	struct mvm_boot_info out;
	struct mvm_boot_regs regs;
	const uint8_t *img = data + HDR_SIZE;
	size_t len;
	int ret;

	if (size < HDR_SIZE)
		return 0;
	mode = data[0];
	len = size - HDR_SIZE;
	msize = MEM_SIZES[mode & 3];
	if (!mem_buf[mode & 3]) {
		mem_buf[mode & 3] = malloc(msize);
		CHECK(mem_buf[mode & 3]);
	}
	m.base = mem_buf[mode & 3];
	m.size = msize;
	ram_end = mvm_boot_ram_end(msize);
	if (mode & 4) {
		a.initrd = initrd_src;
		a.initrd_size = sizeof(initrd_src);
	}

	ret = mvm_elf_load(&m, img, len, &k);
	if (ret) {
		CHECK(ret == -ENOEXEC || ret == -ENOSPC);
		return 0;
	}
	CHECK(k.kernel_start >= MVM_BOOT_HIGH_MEM);
	CHECK(k.kernel_start < k.kernel_end && k.kernel_end <= ram_end);
	CHECK(k.entry64 >= k.kernel_start && k.entry64 < k.kernel_end);
	if (k.has_pvh)
		CHECK(k.pvh_entry >= k.kernel_start &&
		      k.pvh_entry < k.kernel_end);
	check_segments(&m, img, len);

	ret = mvm_pvh_setup(&m, &k, &a, &out);
	if (!k.has_pvh) {
		CHECK(ret == -ENOTSUP);
	} else if (ret) {
		CHECK(ret == -ENOSPC);
	} else {
		const uint8_t *si = m.base + MVM_BOOT_PVH_INFO;

		CHECK(out.entry == k.pvh_entry);
		CHECK(mvm_get_le32(si) == MVM_PVH_MAGIC);
		CHECK(mvm_get_le32(si + 12) == (a.initrd_size ? 1 : 0));
		CHECK(mvm_get_le64(si + 24) == MVM_BOOT_CMDLINE);
		CHECK(!strcmp((char *)m.base + MVM_BOOT_CMDLINE, a.cmdline));
		if (a.initrd_size)
			check_initrd(&out, &k, ram_end, &m);
		CHECK(!mvm_boot_pvh_setup(&m, k.pvh_entry, out.boot_info,
					  &regs));
		CHECK(regs.rbx == MVM_BOOT_PVH_INFO);
	}

	ret = mvm_elf_setup_linux64(&m, &k, &a, &out);
	if (ret) {
		CHECK(ret == -ENOSPC);
	} else {
		const uint8_t *zp = m.base + MVM_BOOT_ZERO_PAGE;

		CHECK(out.entry == k.entry64);
		CHECK(mvm_get_le32(zp + MVM_HDR_HEADER) == MVM_HDR_MAGIC);
		CHECK(mvm_get_le32(zp + MVM_HDR_RAMDISK_IMAGE) ==
		      out.initrd_addr);
		if (a.initrd_size)
			check_initrd(&out, &k, ram_end, &m);
		CHECK(!mvm_boot64_setup(&m, out.entry, out.boot_info, &regs));
	}
	return 0;
}

static int write_seed(const char *path)
{
	size_t n = HDR_SIZE + 0x1000;
	uint8_t *buf = calloc(1, n), *img = buf + HDR_SIZE, *note;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	FILE *f;
	size_t i;

	if (!buf)
		return 1;
	buf[0] = 3 | 4;			/* 16 MiB, initrd */
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0x400000;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(img, &eh, sizeof(eh));
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x400,
		.p_vaddr = 0xffffffff80400000ULL, .p_paddr = 0x400000,
		.p_filesz = 0x800, .p_memsz = 0x800, .p_align = 0x200000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0xc00,
		.p_vaddr = 0xffffffff80600000ULL, .p_paddr = 0x600000,
		.p_filesz = 0x400, .p_memsz = 0x3000, .p_align = 0x200000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x200,
		.p_filesz = 24, .p_align = 4 };
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	note = img + 0x200;
	mvm_put_le32(note, 4);
	mvm_put_le32(note + 4, 8);
	mvm_put_le32(note + 8, MVM_XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(note + 12, "Xen", 4);
	mvm_put_le64(note + 16, 0x400100);
	for (i = 0x400; i < 0x1000; i++)
		img[i] = (uint8_t)(i * 5);

	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		free(buf);
		return 1;
	}
	free(buf);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("LOADER_FUZZ_WRITE_SEED");
	size_t i;

	if (seed)
		exit(write_seed(seed));
	for (i = 0; i < sizeof(initrd_src); i++)
		initrd_src[i] = (uint8_t)(i * 11 + 7);
	return 0;
}
