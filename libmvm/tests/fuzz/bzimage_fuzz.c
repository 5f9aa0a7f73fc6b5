// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the bzImage loader (src/loader/bzimage.c) and the
 * boot state built on its result.
 *
 * Input layout:
 *   0   mode: bits 1:0 guest memory size (MEM_SIZES), bit 2 initrd,
 *       bits 4:3 command line (CMDLINES)
 *   1   initrd size, little-endian u16 (bytes of a fixed pattern)
 *   3   the bzImage, the rest of the input
 *
 * Guest memory is a heap buffer of exactly the chosen size, so ASan sees
 * any access past it; the image is libFuzzer's own exactly-sized copy.
 *
 * Checked after a successful load: entry = load address + 0x200 with the
 * load address at or above 1 MiB and the kernel's whole range below the
 * end of RAM; the protected-mode bytes, command line and initrd are in
 * guest memory as given; the initrd is page aligned, at or above 1 MiB,
 * below initrd_addr_max + 1 and the end of RAM, and off the kernel; the
 * zero page holds the header magic, loader type, pointers and an e820
 * map; mvm_boot64_setup() accepts the entry. Failures must use the
 * documented errnos.
 *
 * Run with LOADER_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes a seed input (a small valid bzImage) to <file> and exits.
 */
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

#define HDR_SIZE	3
#define MiB		(1ULL << 20)

/* Odd sizes too, so that the end of memory is not page aligned. */
static const uint64_t MEM_SIZES[4] = {
	2 * MiB, 6 * MiB + 0x800, 24 * MiB, 64 * MiB + 8,
};
static const char *const CMDLINES[4] = {
	NULL, "", "console=ttyS0", "root=/dev/vda rw init=/sbin/init quiet",
};

static uint8_t *mem_buf[4];
static uint8_t initrd_src[0x10000];

static int load(const uint8_t *data, size_t size)
{
	unsigned int mode = data[0], i;
	uint64_t msize = MEM_SIZES[mode & 3];
	struct mvm_guest_mem m;
	struct mvm_linux_args a = { CMDLINES[(mode >> 3) & 3], NULL, 0 };
	struct mvm_boot_info out;
	struct mvm_boot_regs regs;
	const uint8_t *img = data + HDR_SIZE;
	size_t len = size - HDR_SIZE;
	uint64_t ram_end, setup, limit;
	uint8_t *zp;
	int ret;

	if (!mem_buf[mode & 3]) {
		mem_buf[mode & 3] = malloc(msize);
		CHECK(mem_buf[mode & 3]);
	}
	m.base = mem_buf[mode & 3];
	m.size = msize;
	ram_end = mvm_boot_ram_end(msize);
	if (mode & 4) {
		a.initrd = initrd_src;
		a.initrd_size = data[1] | data[2] << 8;
	}

	ret = mvm_bzimage_load(&m, img, len, &a, &out);
	if (ret) {
		CHECK(ret == -ENOEXEC || ret == -ENOTSUP || ret == -ENOSPC ||
		      ret == -E2BIG);
		return 0;
	}

	CHECK(out.kernel_start >= MVM_BOOT_HIGH_MEM);
	CHECK(out.kernel_start < out.kernel_end);
	CHECK(out.kernel_end <= ram_end);
	CHECK(out.entry == out.kernel_start + 0x200);
	CHECK(out.boot_info == MVM_BOOT_ZERO_PAGE);

	setup = (uint64_t)(img[MVM_HDR_SETUP_SECTS] ?
			   img[MVM_HDR_SETUP_SECTS] : 4) * 512 + 512;
	CHECK(setup < len);
	CHECK(out.kernel_start + (len - setup) <= out.kernel_end);
	CHECK(!memcmp(m.base + out.kernel_start, img + setup, len - setup));

	CHECK(out.cmdline_addr == MVM_BOOT_CMDLINE);
	CHECK(!strcmp((char *)m.base + MVM_BOOT_CMDLINE,
		      a.cmdline ? a.cmdline : ""));
	CHECK(out.cmdline_len == strlen(a.cmdline ? a.cmdline : ""));

	if (a.initrd_size) {
		limit = (uint64_t)mvm_get_le32(img + MVM_HDR_INITRD_ADDR_MAX)
			+ 1;
		CHECK(out.initrd_size == a.initrd_size);
		CHECK(!(out.initrd_addr & 0xfff));
		CHECK(out.initrd_addr >= MVM_BOOT_HIGH_MEM);
		CHECK(out.initrd_addr + out.initrd_size <= ram_end);
		CHECK(out.initrd_addr + out.initrd_size <= limit);
		CHECK(out.initrd_addr + out.initrd_size <= out.kernel_start ||
		      out.initrd_addr >= out.kernel_end);
		CHECK(!memcmp(m.base + out.initrd_addr, initrd_src,
			      out.initrd_size));
	} else {
		CHECK(!out.initrd_addr && !out.initrd_size);
	}

	zp = m.base + MVM_BOOT_ZERO_PAGE;
	CHECK(mvm_get_le32(zp + MVM_HDR_HEADER) == MVM_HDR_MAGIC);
	CHECK(zp[MVM_HDR_TYPE_OF_LOADER] == 0xff);
	CHECK((zp[MVM_HDR_LOADFLAGS] & 0x81) == 0x81);
	CHECK(mvm_get_le32(zp + MVM_HDR_CMD_LINE_PTR) == MVM_BOOT_CMDLINE);
	CHECK(mvm_get_le32(zp + MVM_HDR_RAMDISK_IMAGE) == out.initrd_addr);
	CHECK(mvm_get_le32(zp + MVM_HDR_RAMDISK_SIZE) == out.initrd_size);
	CHECK(zp[MVM_BP_SENTINEL] == 0);
	CHECK(zp[MVM_BP_E820_ENTRIES] >= 3 && zp[MVM_BP_E820_ENTRIES] <= 4);
	for (i = 0; i < zp[MVM_BP_E820_ENTRIES]; i++) {
		const uint8_t *e = zp + MVM_BP_E820_TABLE + i * 20;

		CHECK(mvm_get_le64(e) + mvm_get_le64(e + 8) <= msize);
	}

	CHECK(!mvm_boot64_setup(&m, out.entry, out.boot_info, &regs));
	CHECK(regs.rip == out.entry && regs.rsi == MVM_BOOT_ZERO_PAGE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR_SIZE)
		return 0;
	return load(data, size);
}

static int write_seed(const char *path)
{
	size_t payload = 2048, n = HDR_SIZE + 1536 + payload;
	uint8_t *buf = calloc(1, n), *img = buf + HDR_SIZE;
	FILE *f;
	size_t i;

	if (!buf)
		return 1;
	buf[0] = 3 | 4 | (2 << 3);	/* 64 MiB, initrd, a command line */
	buf[1] = 0x00;
	buf[2] = 0x10;			/* 4 KiB initrd */
	img[MVM_HDR_SETUP_SECTS] = 2;
	mvm_put_le32(img + MVM_HDR_SYSSIZE, payload / 16);
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, MVM_HDR_BOOT_FLAG_MAGIC);
	img[MVM_HDR_JUMP] = 0xeb;
	img[MVM_HDR_JUMP + 1] = 0x6a;
	mvm_put_le32(img + MVM_HDR_HEADER, MVM_HDR_MAGIC);
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020f);
	img[MVM_HDR_LOADFLAGS] = 1;
	mvm_put_le32(img + MVM_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 0x200000);
	img[MVM_HDR_RELOCATABLE] = 1;
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, 3);
	mvm_put_le32(img + MVM_HDR_CMDLINE_SIZE, 2047);
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, 0x1000000);
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, 0x800000);
	for (i = 0; i < payload; i++)
		img[1536 + i] = (uint8_t)i;

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
		initrd_src[i] = (uint8_t)(i * 13 + 1);
	return 0;
}
