// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the guest loaders (src/loader/): bzImage and vmlinux
 * loading with synthetic images, the zero page, PVH start info, boot
 * state, CPUID table and MP table. Every malformed image is checked for
 * its errno.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "loader/loader.h"

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t *gpa(struct mvm_guest_mem *m, uint64_t a)
{
	return m->base + a;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* ---- bzImage ---------------------------------------------------------- */

#define BZ_SETUP_SECTS	2
#define BZ_SETUP_SIZE	((BZ_SETUP_SECTS + 1) * 512)
#define BZ_PAYLOAD	8192
#define BZ_PREF		0x1000000ULL
#define BZ_INIT_SIZE	0x400000ULL

/*
 * A bzImage as far as the loader can tell: the setup header of a 2.15
 * kernel (boot.rst), then a payload with a known pattern.
 */
static uint8_t *fake_bzimage(size_t payload, size_t *len)
{
	size_t n = BZ_SETUP_SIZE + payload;
	uint8_t *img = calloc(1, n);
	size_t i;

	img[MVM_HDR_SETUP_SECTS] = BZ_SETUP_SECTS;
	mvm_put_le32(img + MVM_HDR_SYSSIZE, (uint32_t)(payload / 16));
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, 0xaa55);
	img[MVM_HDR_JUMP] = 0xeb;
	img[MVM_HDR_JUMP + 1] = 0x6a;		/* header ends at 0x26c */
	mvm_put_le32(img + MVM_HDR_HEADER, 0x53726448);
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020f);
	img[MVM_HDR_LOADFLAGS] = 0x01;
	mvm_put_le32(img + MVM_HDR_CODE32_START, 0x100000);
	mvm_put_le32(img + MVM_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 0x200000);
	img[MVM_HDR_RELOCATABLE] = 1;
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, 0x3);
	mvm_put_le32(img + MVM_HDR_CMDLINE_SIZE, 255);
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, BZ_PREF);
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, BZ_INIT_SIZE);
	mvm_put_le32(img + 0x268, 0x1234);	/* kernel_info_offset */
	img[0x270] = 0x5a;			/* past the header end */
	for (i = 0; i < payload; i++)
		img[BZ_SETUP_SIZE + i] = pattern(i);
	*len = n;
	return img;
}

FIXTURE(bz) {
	struct mvm_guest_mem m;
	uint8_t *img;
	size_t len;
	struct mvm_boot_info out;
};

FIXTURE_SETUP(bz)
{
	self->m.size = 64 * MiB;
	self->m.base = calloc(1, self->m.size);
	ASSERT_NE(NULL, self->m.base);
	self->img = fake_bzimage(BZ_PAYLOAD, &self->len);
	ASSERT_NE(NULL, self->img);
	memset(&self->out, 0, sizeof(self->out));
}

FIXTURE_TEARDOWN(bz)
{
	free(self->m.base);
	free(self->img);
}

static int bz_load(FIXTURE_DATA(bz) *self, const struct mvm_linux_args *a)
{
	return mvm_bzimage_load(&self->m, self->img, self->len, a, &self->out);
}

/* The whole happy path, field by field. */
TEST_F(bz, load_ok)
{
	static const char cmdline[] = "console=ttyS0 panic=-1";
	size_t isize = 100000, i;
	uint8_t *initrd = malloc(isize);
	struct mvm_linux_args a = { cmdline, initrd, isize };
	uint8_t *zp = gpa(&self->m, MVM_BOOT_ZERO_PAGE), *e;
	uint64_t iaddr = 0x4000000 - 0x19000;	/* 64 MiB - 25 pages */

	for (i = 0; i < isize; i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	ASSERT_EQ(0, bz_load(self, &a));

	EXPECT_EQ(BZ_PREF + 0x200, self->out.entry);
	EXPECT_EQ(MVM_BOOT_ZERO_PAGE, self->out.boot_info);
	EXPECT_EQ(BZ_PREF, self->out.kernel_start);
	EXPECT_EQ(BZ_PREF + BZ_INIT_SIZE, self->out.kernel_end);
	EXPECT_EQ(MVM_BOOT_CMDLINE, self->out.cmdline_addr);
	EXPECT_EQ(strlen(cmdline), self->out.cmdline_len);
	EXPECT_EQ(iaddr, self->out.initrd_addr);
	EXPECT_EQ(isize, self->out.initrd_size);

	EXPECT_EQ(0, memcmp(gpa(&self->m, BZ_PREF), self->img + BZ_SETUP_SIZE,
			    BZ_PAYLOAD));
	EXPECT_STREQ(cmdline, (char *)gpa(&self->m, MVM_BOOT_CMDLINE));
	EXPECT_EQ(0, memcmp(gpa(&self->m, iaddr), initrd, isize));

	/* The setup header, copied then completed. */
	EXPECT_EQ(BZ_SETUP_SECTS, zp[MVM_HDR_SETUP_SECTS]);
	EXPECT_EQ(0xaa55, mvm_get_le16(zp + MVM_HDR_BOOT_FLAG));
	EXPECT_EQ(0x53726448, mvm_get_le32(zp + MVM_HDR_HEADER));
	EXPECT_EQ(0x020f, mvm_get_le16(zp + MVM_HDR_VERSION));
	EXPECT_EQ(0x1234, mvm_get_le32(zp + 0x268));
	EXPECT_EQ(0, zp[0x270]);
	EXPECT_EQ(0, zp[MVM_BP_SENTINEL]);
	EXPECT_EQ(0xffff, mvm_get_le16(zp + MVM_HDR_VID_MODE));
	EXPECT_EQ(0xff, zp[MVM_HDR_TYPE_OF_LOADER]);
	EXPECT_EQ(0x81, zp[MVM_HDR_LOADFLAGS]);
	EXPECT_EQ(BZ_PREF, mvm_get_le32(zp + MVM_HDR_CODE32_START));
	EXPECT_EQ(iaddr, mvm_get_le32(zp + MVM_HDR_RAMDISK_IMAGE));
	EXPECT_EQ(isize, mvm_get_le32(zp + MVM_HDR_RAMDISK_SIZE));
	EXPECT_EQ(0xfe00, mvm_get_le16(zp + MVM_HDR_HEAP_END_PTR));
	EXPECT_EQ(MVM_BOOT_CMDLINE, mvm_get_le32(zp + MVM_HDR_CMD_LINE_PTR));
	EXPECT_EQ(BZ_INIT_SIZE, mvm_get_le32(zp + MVM_HDR_INIT_SIZE));
	EXPECT_EQ(0, mvm_get_le32(zp + MVM_BP_EXT_RAMDISK_IMAGE));
	EXPECT_EQ(0, mvm_get_le32(zp + MVM_BP_EXT_CMD_LINE_PTR));

	/* e820: low RAM, the EBDA KiB, RAM from 1 MiB. */
	ASSERT_EQ(3, zp[MVM_BP_E820_ENTRIES]);
	e = zp + MVM_BP_E820_TABLE;
	EXPECT_EQ(0, mvm_get_le64(e));
	EXPECT_EQ(0x9fc00, mvm_get_le64(e + 8));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(e + 16));
	EXPECT_EQ(0x9fc00, mvm_get_le64(e + 20));
	EXPECT_EQ(0x400, mvm_get_le64(e + 28));
	EXPECT_EQ(MVM_E820_RESERVED, mvm_get_le32(e + 36));
	EXPECT_EQ(MiB, mvm_get_le64(e + 40));
	EXPECT_EQ(63 * MiB, mvm_get_le64(e + 48));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(e + 56));
	EXPECT_TRUE(all_zero(e + 60, 20));
	free(initrd);
}

TEST_F(bz, no_args)
{
	uint8_t *zp = gpa(&self->m, MVM_BOOT_ZERO_PAGE);

	ASSERT_EQ(0, bz_load(self, NULL));
	EXPECT_EQ(0, self->out.cmdline_len);
	EXPECT_EQ(0, self->out.initrd_addr);
	EXPECT_EQ(0, mvm_get_le32(zp + MVM_HDR_RAMDISK_IMAGE));
	EXPECT_EQ(0, mvm_get_le32(zp + MVM_HDR_RAMDISK_SIZE));
	EXPECT_EQ(MVM_BOOT_CMDLINE, mvm_get_le32(zp + MVM_HDR_CMD_LINE_PTR));
	EXPECT_EQ(0, *gpa(&self->m, MVM_BOOT_CMDLINE));
}

/* boot.rst: setup_sects 0 means 4. */
TEST_F(bz, setup_sects_zero_means_four)
{
	self->img[MVM_HDR_SETUP_SECTS] = 0;
	mvm_put_le32(self->img + MVM_HDR_SYSSIZE, (self->len - 2560) / 16);
	ASSERT_EQ(0, bz_load(self, NULL));
	EXPECT_EQ(0, memcmp(gpa(&self->m, BZ_PREF), self->img + 2560,
			    self->len - 2560));
}

/* A kernel that is not relocatable goes to 1 MiB, whatever pref says. */
TEST_F(bz, not_relocatable_loads_at_1m)
{
	self->img[MVM_HDR_RELOCATABLE] = 0;
	ASSERT_EQ(0, bz_load(self, NULL));
	EXPECT_EQ(MiB + 0x200, self->out.entry);
	EXPECT_EQ(MiB, self->out.kernel_start);
	EXPECT_EQ(MiB + BZ_INIT_SIZE, self->out.kernel_end);
	EXPECT_EQ(0, memcmp(gpa(&self->m, MiB), self->img + BZ_SETUP_SIZE,
			    BZ_PAYLOAD));
	EXPECT_EQ(MiB, mvm_get_le32(gpa(&self->m, MVM_BOOT_ZERO_PAGE) +
				    MVM_HDR_CODE32_START));
}

/* An unaligned pref_address is not used; the kernel realigns itself
 * from 1 MiB to 2 MiB, so init_size counts from there. */
TEST_F(bz, unaligned_pref_falls_back)
{
	mvm_put_le64(self->img + MVM_HDR_PREF_ADDRESS, BZ_PREF + 0x1000);
	ASSERT_EQ(0, bz_load(self, NULL));
	EXPECT_EQ(MiB, self->out.kernel_start);
	EXPECT_EQ(2 * MiB + BZ_INIT_SIZE, self->out.kernel_end);
}

TEST_F(bz, pref_beyond_memory)
{
	mvm_put_le64(self->img + MVM_HDR_PREF_ADDRESS, 0x80000000);
	ASSERT_EQ(-ENOSPC, bz_load(self, NULL));
}

TEST_F(bz, initrd_respects_addr_max)
{
	static uint8_t initrd[4096] = { 1, 2, 3 };
	struct mvm_linux_args a = { NULL, initrd, sizeof(initrd) };

	mvm_put_le32(self->img + MVM_HDR_INITRD_ADDR_MAX, 0x1ffffff);
	ASSERT_EQ(0, bz_load(self, &a));
	EXPECT_EQ(0x1fff000, self->out.initrd_addr);
	EXPECT_EQ(0, memcmp(gpa(&self->m, 0x1fff000), initrd, 4096));
}

/* No room above the kernel below initrd_addr_max: below it instead. */
TEST_F(bz, initrd_below_kernel)
{
	size_t isize = 5 * MiB;
	uint8_t *initrd = calloc(1, isize);
	struct mvm_linux_args a = { NULL, initrd, isize };

	initrd[isize - 1] = 0x77;
	mvm_put_le32(self->img + MVM_HDR_INITRD_ADDR_MAX, 0x17fffff);
	ASSERT_EQ(0, bz_load(self, &a));
	EXPECT_EQ(BZ_PREF - isize, self->out.initrd_addr);
	EXPECT_EQ(0x77, *gpa(&self->m, BZ_PREF - 1));
	free(initrd);
}

/* An initrd larger than guest memory: -ENOSPC, nothing written. */
TEST_F(bz, initrd_larger_than_memory)
{
	size_t isize = 65 * MiB;
	uint8_t *initrd = malloc(isize);	/* never read */
	struct mvm_linux_args a = { "x", initrd, isize };

	ASSERT_EQ(-ENOSPC, bz_load(self, &a));
	EXPECT_TRUE(all_zero(gpa(&self->m, 0), 2 * MiB));
	EXPECT_EQ(0, *gpa(&self->m, BZ_PREF));
	free(initrd);
}

/* Fits in memory but neither above nor below the kernel. */
TEST_F(bz, initrd_no_room)
{
	size_t isize = 45 * MiB;
	uint8_t *initrd = malloc(isize);	/* never read */
	struct mvm_linux_args a = { NULL, initrd, isize };

	ASSERT_EQ(-ENOSPC, bz_load(self, &a));
	free(initrd);
}

TEST_F(bz, initrd_null_with_size)
{
	struct mvm_linux_args a = { NULL, NULL, 10 };

	ASSERT_EQ(-EINVAL, bz_load(self, &a));
}

TEST_F(bz, null_arguments)
{
	EXPECT_EQ(-EINVAL, mvm_bzimage_load(NULL, self->img, self->len, NULL,
					    &self->out));
	EXPECT_EQ(-EINVAL, mvm_bzimage_load(&self->m, NULL, self->len, NULL,
					    &self->out));
	EXPECT_EQ(-EINVAL, mvm_bzimage_load(&self->m, self->img, self->len,
					    NULL, NULL));
}

/* cmdline_size is the limit: 255 bytes load, 256 do not. */
TEST_F(bz, cmdline_too_long)
{
	char line[257];
	struct mvm_linux_args a = { line, NULL, 0 };

	memset(line, 'a', 256);
	line[256] = '\0';
	ASSERT_EQ(-E2BIG, bz_load(self, &a));
	EXPECT_TRUE(all_zero(gpa(&self->m, 0), 2 * MiB));
	EXPECT_EQ(0, *gpa(&self->m, BZ_PREF));

	line[255] = '\0';
	ASSERT_EQ(0, bz_load(self, &a));
	EXPECT_EQ(255, self->out.cmdline_len);
	EXPECT_EQ(0, strcmp(line, (char *)gpa(&self->m, MVM_BOOT_CMDLINE)));
}

TEST_F(bz, truncated_header)
{
	self->len = 0x200;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	self->len = MVM_HDR_MIN_END - 1;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

/* Setup code but no protected-mode part, or not even all the setup. */
TEST_F(bz, truncated_setup)
{
	self->len = BZ_SETUP_SIZE;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	self->len = BZ_SETUP_SIZE - 1;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

/* setup_sects 255 claims 128 KiB of setup in a 9.5 KiB file. */
TEST_F(bz, setup_sects_overflow)
{
	self->img[MVM_HDR_SETUP_SECTS] = 0xff;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

/* syssize says the protected-mode part is longer than the file. */
TEST_F(bz, syssize_past_end)
{
	mvm_put_le32(self->img + MVM_HDR_SYSSIZE, BZ_PAYLOAD / 16 + 1);
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	mvm_put_le32(self->img + MVM_HDR_SYSSIZE, 0xffffffff);
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

TEST_F(bz, bad_magic)
{
	self->img[MVM_HDR_HEADER + 3] = 'X';
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

TEST_F(bz, bad_boot_flag)
{
	mvm_put_le16(self->img + MVM_HDR_BOOT_FLAG, 0x55aa);
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

/* The header end comes from the jump at 0x200. */
TEST_F(bz, bad_jump)
{
	self->img[MVM_HDR_JUMP] = 0xe9;
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	self->img[MVM_HDR_JUMP] = 0xeb;
	self->img[MVM_HDR_JUMP + 1] = 0x60;	/* ends at 0x262 < 0x268 */
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	self->img[MVM_HDR_JUMP + 1] = 0xff;	/* past 0x290: clamped */
	ASSERT_EQ(0, bz_load(self, NULL));
	EXPECT_EQ(0x5a, *gpa(&self->m, MVM_BOOT_ZERO_PAGE + 0x270));
	EXPECT_EQ(0, *gpa(&self->m, MVM_BOOT_ZERO_PAGE + 0x290));
}

TEST_F(bz, old_protocol)
{
	mvm_put_le16(self->img + MVM_HDR_VERSION, 0x020b);
	ASSERT_EQ(-ENOTSUP, bz_load(self, NULL));
}

TEST_F(bz, no_kernel64)
{
	mvm_put_le16(self->img + MVM_HDR_XLOADFLAGS, 0x2);
	ASSERT_EQ(-ENOTSUP, bz_load(self, NULL));
}

TEST_F(bz, bad_kernel_alignment)
{
	mvm_put_le32(self->img + MVM_HDR_KERNEL_ALIGN, 0x300000);
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
	mvm_put_le32(self->img + MVM_HDR_KERNEL_ALIGN, 0);
	ASSERT_EQ(-ENOEXEC, bz_load(self, NULL));
}

/* pref_address + init_size past the end of memory. */
TEST_F(bz, init_size_past_memory)
{
	self->m.size = 20 * MiB - 1;
	ASSERT_EQ(-ENOSPC, bz_load(self, NULL));
	self->m.size = 20 * MiB;
	ASSERT_EQ(0, bz_load(self, NULL));
	mvm_put_le32(self->img + MVM_HDR_INIT_SIZE, 0xffffffff);
	ASSERT_EQ(-ENOSPC, bz_load(self, NULL));
}

/* A protected-mode part larger than memory: exactly fitting is fine. */
TEST_F(bz, kernel_larger_than_memory)
{
	size_t len;
	uint8_t *img = fake_bzimage(MiB + 16, &len);

	img[MVM_HDR_RELOCATABLE] = 0;
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, 0);
	self->m.size = 2 * MiB;
	ASSERT_EQ(-ENOSPC, mvm_bzimage_load(&self->m, img, len, NULL,
					    &self->out));
	mvm_put_le32(img + MVM_HDR_SYSSIZE, MiB / 16);
	ASSERT_EQ(0, mvm_bzimage_load(&self->m, img, len - 16, NULL,
				      &self->out));
	EXPECT_EQ(2 * MiB, self->out.kernel_end);
	free(img);
}

TEST_F(bz, memory_too_small)
{
	self->m.size = MiB;
	ASSERT_EQ(-ENOSPC, bz_load(self, NULL));
}

/* ---- guest memory, e820, initrd placement ------------------------------ */

TEST(gmem_bounds)
{
	uint8_t buf[64];
	struct mvm_guest_mem m = { buf, sizeof(buf) };

	EXPECT_EQ(0, mvm_gmem_check(&m, 0, 64));
	EXPECT_EQ(0, mvm_gmem_check(&m, 64, 0));
	EXPECT_EQ(-ERANGE, mvm_gmem_check(&m, 1, 64));
	EXPECT_EQ(-ERANGE, mvm_gmem_check(&m, 65, 0));
	EXPECT_EQ(-ERANGE, mvm_gmem_check(&m, UINT64_MAX, 2));
	EXPECT_EQ(-ERANGE, mvm_gmem_check(&m, 2, UINT64_MAX));
	EXPECT_EQ(-ERANGE, mvm_gmem_check(NULL, 0, 0));
	EXPECT_EQ(buf + 10, mvm_gmem_ptr(&m, 10, 54));
	EXPECT_EQ(NULL, mvm_gmem_ptr(&m, 10, 55));
	EXPECT_EQ(-ERANGE, mvm_gmem_write(&m, 60, "hello", 5));
	EXPECT_EQ(0, mvm_gmem_write(&m, 59, "hello", 5));
	EXPECT_EQ(0, memcmp(buf + 59, "hello", 5));
	EXPECT_EQ(0, mvm_gmem_zero(&m, 59, 5));
	EXPECT_TRUE(all_zero(buf + 59, 5));
}

/* Above 3 GiB the MMIO hole is skipped and RAM resumes at 4 GiB. */
TEST(e820_maps)
{
	struct mvm_e820_entry e[MVM_E820_MAX];
	unsigned int n;

	ASSERT_EQ(0, mvm_e820_build(8 * GiB, e, MVM_E820_MAX, &n));
	ASSERT_EQ(4, n);
	EXPECT_EQ(MiB, e[2].addr);
	EXPECT_EQ(3 * GiB - MiB, e[2].size);
	EXPECT_EQ(4 * GiB, e[3].addr);
	EXPECT_EQ(4 * GiB, e[3].size);
	EXPECT_EQ(MVM_E820_RAM, e[3].type);

	ASSERT_EQ(0, mvm_e820_build(3 * GiB + 512 * MiB, e, 3, &n));
	ASSERT_EQ(3, n);
	EXPECT_EQ(3 * GiB - MiB, e[2].size);

	EXPECT_EQ(-ENOSPC, mvm_e820_build(8 * GiB, e, 3, &n));
	EXPECT_EQ(-ENOSPC, mvm_e820_build(MiB, e, MVM_E820_MAX, &n));
	EXPECT_EQ(0, mvm_e820_build(MiB + 1, e, MVM_E820_MAX, &n));
}

TEST(initrd_place_edges)
{
	uint64_t a;

	/* Exactly the room between the kernel and the limit. */
	ASSERT_EQ(0, mvm_initrd_place(64 * MiB, 4 * MiB, UINT64_MAX,
				      MiB, 60 * MiB, &a));
	EXPECT_EQ(60 * MiB, a);
	/* One byte more: below the kernel, which starts at 16 MiB. */
	ASSERT_EQ(0, mvm_initrd_place(64 * MiB, 4 * MiB + 1, UINT64_MAX,
				      16 * MiB, 60 * MiB, &a));
	EXPECT_EQ(12 * MiB - 4096, a);
	/* Never below 1 MiB. */
	EXPECT_EQ(-ENOSPC, mvm_initrd_place(64 * MiB, 4 * MiB + 1,
					    UINT64_MAX, 5 * MiB, 60 * MiB,
					    &a));
	/* The limit caps the top; a kernel above the limit is no obstacle. */
	ASSERT_EQ(0, mvm_initrd_place(64 * MiB, 1, 8 * MiB, 16 * MiB,
				      20 * MiB, &a));
	EXPECT_EQ(8 * MiB - 4096, a);
	EXPECT_EQ(-ENOSPC, mvm_initrd_place(64 * MiB, UINT64_MAX, UINT64_MAX,
					    MiB, 2 * MiB, &a));
	/* Never into the MMIO hole, however large memory is. */
	ASSERT_EQ(0, mvm_initrd_place(8 * GiB, 4096, UINT64_MAX, MiB,
				      2 * MiB, &a));
	EXPECT_EQ(3 * GiB - 4096, a);
}

/* ---- ELF (vmlinux) ----------------------------------------------------- */

#define ELF_SEG0_OFF	0x200
#define ELF_SEG0_PA	0x200000ULL
#define ELF_SEG0_SIZE	0x1000
#define ELF_SEG1_OFF	0x1200
#define ELF_SEG1_PA	0x300000ULL
#define ELF_SEG1_FILE	0x800
#define ELF_SEG1_MEM	0x2000
#define ELF_NOTE_OFF	0x100
#define ELF_LEN		0x1a00
#define ELF_VBASE	0xffffffff80000000ULL
#define ELF_ENTRY	(ELF_SEG0_PA + 0x40)
#define ELF_PVH		(ELF_SEG0_PA + 0x100)

/*
 * A vmlinux-shaped ELF: two PT_LOADs (text, data with bss) linked at
 * virtual ELF_VBASE + physical, a PT_NOTE with a GNU note and then the
 * Xen PVH note, whose descriptor is @pvh_desc_size (4 or 8) bytes.
 */
static uint8_t *fake_elf(unsigned int pvh_desc_size)
{
	uint8_t *img = calloc(1, ELF_LEN);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	uint8_t *n = img + ELF_NOTE_OFF;
	size_t i;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = ELF_ENTRY;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(img, &eh, sizeof(eh));

	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = ELF_SEG0_OFF, .p_vaddr = ELF_VBASE + ELF_SEG0_PA,
		.p_paddr = ELF_SEG0_PA, .p_filesz = ELF_SEG0_SIZE,
		.p_memsz = ELF_SEG0_SIZE, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = ELF_SEG1_OFF, .p_vaddr = ELF_VBASE + ELF_SEG1_PA,
		.p_paddr = ELF_SEG1_PA, .p_filesz = ELF_SEG1_FILE,
		.p_memsz = ELF_SEG1_MEM, .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = ELF_NOTE_OFF,
		.p_filesz = 24 + 16 + pvh_desc_size, .p_align = 4 };
	memcpy(img + sizeof(eh), ph, sizeof(ph));

	/* GNU build-id-like note: 4-byte name, 8-byte descriptor. */
	mvm_put_le32(n, 4);
	mvm_put_le32(n + 4, 8);
	mvm_put_le32(n + 8, 3);
	memcpy(n + 12, "GNU", 4);
	memset(n + 16, 0xee, 8);
	n += 24;
	mvm_put_le32(n, 4);
	mvm_put_le32(n + 4, pvh_desc_size);
	mvm_put_le32(n + 8, MVM_XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(n + 12, "Xen", 4);
	if (pvh_desc_size == 8)
		mvm_put_le64(n + 16, ELF_PVH);
	else
		mvm_put_le32(n + 16, (uint32_t)ELF_PVH);

	for (i = 0; i < ELF_SEG0_SIZE; i++)
		img[ELF_SEG0_OFF + i] = pattern(i);
	for (i = 0; i < ELF_SEG1_FILE; i++)
		img[ELF_SEG1_OFF + i] = pattern(i + 99);
	return img;
}

FIXTURE(elf) {
	struct mvm_guest_mem m;
	uint8_t *img;
	Elf64_Phdr *ph;
	struct mvm_elf_kernel k;
};

FIXTURE_SETUP(elf)
{
	self->m.size = 16 * MiB;
	self->m.base = calloc(1, self->m.size);
	ASSERT_NE(NULL, self->m.base);
	self->img = fake_elf(4);
	ASSERT_NE(NULL, self->img);
	self->ph = (Elf64_Phdr *)(self->img + sizeof(Elf64_Ehdr));
	memset(&self->k, 0, sizeof(self->k));
}

FIXTURE_TEARDOWN(elf)
{
	free(self->m.base);
	free(self->img);
}

static Elf64_Ehdr *ehdr(FIXTURE_DATA(elf) *self)
{
	return (Elf64_Ehdr *)self->img;
}

static int elf_load(FIXTURE_DATA(elf) *self)
{
	return mvm_elf_load(&self->m, self->img, ELF_LEN, &self->k);
}

TEST_F(elf, load_ok)
{
	/* Stale bytes where the bss goes must be zeroed. */
	memset(gpa(&self->m, ELF_SEG1_PA), 0xcc, ELF_SEG1_MEM + 16);
	ASSERT_EQ(0, elf_load(self));
	EXPECT_EQ(ELF_ENTRY, self->k.entry64);
	EXPECT_TRUE(self->k.has_pvh);
	EXPECT_EQ(ELF_PVH, self->k.pvh_entry);
	EXPECT_EQ(ELF_SEG0_PA, self->k.kernel_start);
	EXPECT_EQ(ELF_SEG1_PA + ELF_SEG1_MEM, self->k.kernel_end);
	EXPECT_EQ(0, memcmp(gpa(&self->m, ELF_SEG0_PA),
			    self->img + ELF_SEG0_OFF, ELF_SEG0_SIZE));
	EXPECT_EQ(0, memcmp(gpa(&self->m, ELF_SEG1_PA),
			    self->img + ELF_SEG1_OFF, ELF_SEG1_FILE));
	EXPECT_TRUE(all_zero(gpa(&self->m, ELF_SEG1_PA + ELF_SEG1_FILE),
			     ELF_SEG1_MEM - ELF_SEG1_FILE));
	EXPECT_EQ(0xcc, *gpa(&self->m, ELF_SEG1_PA + ELF_SEG1_MEM));
}

/* Kernels of 6.x pad the PVH descriptor to 8 bytes (_ASM_PTR). */
TEST_F(elf, pvh_note_8_bytes)
{
	free(self->img);
	self->img = fake_elf(8);
	ASSERT_EQ(0, elf_load(self));
	EXPECT_TRUE(self->k.has_pvh);
	EXPECT_EQ(ELF_PVH, self->k.pvh_entry);
}

TEST_F(elf, pvh_note_bad_desc)
{
	free(self->img);
	self->img = fake_elf(8);
	/* The high half of the 8-byte descriptor. */
	mvm_put_le32(self->img + ELF_NOTE_OFF + 24 + 20, 1);
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, pvh_entry_outside_segments)
{
	mvm_put_le32(self->img + ELF_NOTE_OFF + 24 + 16, 0x5000000);
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, no_pvh_note)
{
	struct mvm_boot_info out;

	mvm_put_le32(self->img + ELF_NOTE_OFF + 24 + 8, 17);
	ASSERT_EQ(0, elf_load(self));
	EXPECT_FALSE(self->k.has_pvh);
	EXPECT_EQ(-ENOTSUP, mvm_pvh_setup(&self->m, &self->k, NULL, &out));
}

/* A note whose name runs past the segment. */
TEST_F(elf, truncated_note)
{
	mvm_put_le32(self->img + ELF_NOTE_OFF, 0x1000);
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	mvm_put_le32(self->img + ELF_NOTE_OFF, 4);
	mvm_put_le32(self->img + ELF_NOTE_OFF + 4, 0xffffffff);
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	mvm_put_le32(self->img + ELF_NOTE_OFF + 4, 8);
	self->ph[2].p_filesz = 30;	/* ends inside the second note */
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	self->ph[2].p_offset = ELF_LEN - 8;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

/* A virtual e_entry is translated through its segment. */
TEST_F(elf, virtual_entry)
{
	ehdr(self)->e_entry = ELF_VBASE + ELF_SEG1_PA + 0x80;
	ASSERT_EQ(0, elf_load(self));
	EXPECT_EQ(ELF_SEG1_PA + 0x80, self->k.entry64);
}

TEST_F(elf, entry_in_no_segment)
{
	ehdr(self)->e_entry = 0x5000000;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	ehdr(self)->e_entry = ELF_SEG1_PA + ELF_SEG1_MEM;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, segment_past_memory)
{
	self->ph[1].p_paddr = 16 * MiB - 0x1000;
	ASSERT_EQ(-ENOSPC, elf_load(self));
	EXPECT_TRUE(all_zero(gpa(&self->m, ELF_SEG0_PA), ELF_SEG0_SIZE));
	self->ph[1].p_paddr = 16 * MiB - ELF_SEG1_MEM;
	ASSERT_EQ(0, elf_load(self));
}

TEST_F(elf, segment_below_1m)
{
	self->ph[0].p_paddr = 0x1000;
	ASSERT_EQ(-ENOSPC, elf_load(self));
}

TEST_F(elf, paddr_overflow)
{
	self->ph[1].p_paddr = UINT64_MAX - 0x10;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, offset_filesz_overflow)
{
	self->ph[0].p_offset = UINT64_MAX - 0x10;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, filesz_past_image)
{
	self->ph[1].p_filesz = ELF_LEN - ELF_SEG1_OFF + 1;
	self->ph[1].p_memsz = 0x10000;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	self->ph[1].p_filesz = ELF_LEN - ELF_SEG1_OFF;
	ASSERT_EQ(0, elf_load(self));
}

TEST_F(elf, filesz_over_memsz)
{
	self->ph[1].p_memsz = ELF_SEG1_FILE - 1;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, overlapping_segments)
{
	self->ph[1].p_paddr = ELF_SEG0_PA + ELF_SEG0_SIZE - 1;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	self->ph[1].p_paddr = ELF_SEG0_PA - ELF_SEG1_MEM + 1;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, bad_phentsize)
{
	ehdr(self)->e_phentsize = 32;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, huge_phnum)
{
	ehdr(self)->e_phnum = 0xffff;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	ehdr(self)->e_phnum = MVM_ELF_MAX_PHNUM + 1;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	ehdr(self)->e_phnum = 0;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	/* 64 headers would run past the end of the file. */
	ehdr(self)->e_phnum = MVM_ELF_MAX_PHNUM;
	ehdr(self)->e_phoff = ELF_LEN - 64 * sizeof(Elf64_Phdr) + 1;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
	ehdr(self)->e_phoff = UINT64_MAX - 8;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, bad_ident)
{
	Elf64_Ehdr *eh = ehdr(self);

	EXPECT_EQ(-ENOEXEC, mvm_elf_load(&self->m, self->img, 63, &self->k));
	eh->e_ident[EI_MAG1] = 'e';
	EXPECT_EQ(-ENOEXEC, elf_load(self));
	eh->e_ident[EI_MAG1] = 'E';
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_EQ(-ENOEXEC, elf_load(self));
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	EXPECT_EQ(-ENOEXEC, elf_load(self));
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_386;
	EXPECT_EQ(-ENOEXEC, elf_load(self));
	eh->e_machine = EM_X86_64;
	eh->e_type = ET_DYN;
	EXPECT_EQ(-ENOEXEC, elf_load(self));
	eh->e_type = ET_EXEC;
	EXPECT_EQ(0, elf_load(self));
}

TEST_F(elf, no_load_segment)
{
	self->ph[0].p_type = PT_NULL;
	self->ph[1].p_type = PT_NULL;
	ASSERT_EQ(-ENOEXEC, elf_load(self));
}

TEST_F(elf, pvh_setup)
{
	static const char cmdline[] = "console=hvc0 root=/dev/vda";
	static uint8_t initrd[10000];
	struct mvm_linux_args a = { cmdline, initrd, sizeof(initrd) };
	struct mvm_boot_info out;
	uint8_t *si = gpa(&self->m, MVM_BOOT_PVH_INFO), *mm;
	uint64_t iaddr = 16 * MiB - 0x3000;

	memset(initrd, 0x42, sizeof(initrd));
	ASSERT_EQ(0, elf_load(self));
	ASSERT_EQ(0, mvm_pvh_setup(&self->m, &self->k, &a, &out));
	EXPECT_EQ(ELF_PVH, out.entry);
	EXPECT_EQ(MVM_BOOT_PVH_INFO, out.boot_info);
	EXPECT_EQ(iaddr, out.initrd_addr);
	EXPECT_EQ(0, memcmp(gpa(&self->m, iaddr), initrd, sizeof(initrd)));
	EXPECT_STREQ(cmdline, (char *)gpa(&self->m, MVM_BOOT_CMDLINE));

	EXPECT_EQ(0x336ec578, mvm_get_le32(si));
	EXPECT_EQ(1, mvm_get_le32(si + 4));
	EXPECT_EQ(0, mvm_get_le32(si + 8));
	EXPECT_EQ(1, mvm_get_le32(si + 12));
	EXPECT_EQ(MVM_PVH_MODLIST, mvm_get_le64(si + 16));
	EXPECT_EQ(MVM_BOOT_CMDLINE, mvm_get_le64(si + 24));
	EXPECT_EQ(0, mvm_get_le64(si + 32));
	EXPECT_EQ(MVM_PVH_MEMMAP, mvm_get_le64(si + 40));
	EXPECT_EQ(3, mvm_get_le32(si + 48));
	EXPECT_EQ(iaddr, mvm_get_le64(gpa(&self->m, MVM_PVH_MODLIST)));
	EXPECT_EQ(sizeof(initrd),
		  mvm_get_le64(gpa(&self->m, MVM_PVH_MODLIST + 8)));
	EXPECT_EQ(0, mvm_get_le64(gpa(&self->m, MVM_PVH_MODLIST + 16)));

	mm = gpa(&self->m, MVM_PVH_MEMMAP);
	EXPECT_EQ(0, mvm_get_le64(mm));
	EXPECT_EQ(0x9fc00, mvm_get_le64(mm + 8));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(mm + 16));
	EXPECT_EQ(MVM_E820_RESERVED, mvm_get_le32(mm + 24 + 16));
	EXPECT_EQ(MiB, mvm_get_le64(mm + 48));
	EXPECT_EQ(15 * MiB, mvm_get_le64(mm + 48 + 8));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(mm + 48 + 16));
	EXPECT_EQ(0, mvm_get_le32(mm + 48 + 20));
}

TEST_F(elf, pvh_setup_no_initrd)
{
	struct mvm_boot_info out;
	uint8_t *si = gpa(&self->m, MVM_BOOT_PVH_INFO);

	ASSERT_EQ(0, elf_load(self));
	ASSERT_EQ(0, mvm_pvh_setup(&self->m, &self->k, NULL, &out));
	EXPECT_EQ(0, mvm_get_le32(si + 12));
	EXPECT_EQ(0, mvm_get_le64(si + 16));
	EXPECT_EQ(0, out.initrd_addr);
	EXPECT_EQ(0, *gpa(&self->m, MVM_BOOT_CMDLINE));
}

TEST_F(elf, pvh_cmdline_too_long)
{
	char *line = malloc(MVM_BOOT_CMDLINE_MAX + 1);
	struct mvm_linux_args a = { line, NULL, 0 };
	struct mvm_boot_info out;

	memset(line, 'q', MVM_BOOT_CMDLINE_MAX);
	line[MVM_BOOT_CMDLINE_MAX] = '\0';
	ASSERT_EQ(0, elf_load(self));
	ASSERT_EQ(-E2BIG, mvm_pvh_setup(&self->m, &self->k, &a, &out));
	line[MVM_BOOT_CMDLINE_MAX - 1] = '\0';
	ASSERT_EQ(0, mvm_pvh_setup(&self->m, &self->k, &a, &out));
	EXPECT_EQ(MVM_BOOT_CMDLINE_MAX - 1, out.cmdline_len);
	free(line);
}

/* The 64-bit entry of a vmlinux, with a made-up setup header. */
TEST_F(elf, linux64_setup)
{
	static uint8_t initrd[4096] = { 9 };
	struct mvm_linux_args a = { "quiet", initrd, sizeof(initrd) };
	struct mvm_boot_info out;
	uint8_t *zp = gpa(&self->m, MVM_BOOT_ZERO_PAGE);

	ASSERT_EQ(0, elf_load(self));
	ASSERT_EQ(0, mvm_elf_setup_linux64(&self->m, &self->k, &a, &out));
	EXPECT_EQ(ELF_ENTRY, out.entry);
	EXPECT_EQ(MVM_BOOT_ZERO_PAGE, out.boot_info);
	EXPECT_EQ(16 * MiB - 4096, out.initrd_addr);
	EXPECT_EQ(0xaa55, mvm_get_le16(zp + MVM_HDR_BOOT_FLAG));
	EXPECT_EQ(0x53726448, mvm_get_le32(zp + MVM_HDR_HEADER));
	EXPECT_EQ(0x020c, mvm_get_le16(zp + MVM_HDR_VERSION));
	EXPECT_EQ(0xff, zp[MVM_HDR_TYPE_OF_LOADER]);
	EXPECT_EQ(MVM_BOOT_CMDLINE, mvm_get_le32(zp + MVM_HDR_CMD_LINE_PTR));
	EXPECT_EQ(16 * MiB - 4096, mvm_get_le32(zp + MVM_HDR_RAMDISK_IMAGE));
	EXPECT_EQ(4096, mvm_get_le32(zp + MVM_HDR_RAMDISK_SIZE));
	EXPECT_EQ(16 * MiB - 1, mvm_get_le32(zp + MVM_HDR_INITRD_ADDR_MAX));
	EXPECT_EQ(ELF_SEG0_PA, mvm_get_le32(zp + MVM_HDR_CODE32_START));
	EXPECT_EQ(3, zp[MVM_BP_E820_ENTRIES]);
	EXPECT_STREQ("quiet", (char *)gpa(&self->m, MVM_BOOT_CMDLINE));
}

/* ---- boot state --------------------------------------------------------- */

/* Walk the guest's 4-level tables: the physical address of @va. */
static uint64_t walk(struct mvm_guest_mem *m, uint64_t cr3, uint64_t va,
		     bool *ok)
{
	uint64_t pml4e = mvm_get_le64(gpa(m, cr3 + ((va >> 39) & 511) * 8));
	uint64_t pdpte, pde;

	*ok = false;
	if (!(pml4e & 1))
		return 0;
	pdpte = mvm_get_le64(gpa(m, (pml4e & ~0xfffULL) +
				 ((va >> 30) & 511) * 8));
	if (!(pdpte & 1) || (pdpte & 0x80))
		return 0;
	pde = mvm_get_le64(gpa(m, (pdpte & ~0xfffULL) +
			       ((va >> 21) & 511) * 8));
	if (!(pde & 1) || !(pde & 0x80) || !(pde & 2))
		return 0;
	*ok = true;
	return (pde & ~0x1fffffULL) + (va & 0x1fffff);
}

TEST(boot64_state)
{
	struct mvm_guest_mem m = { calloc(1, 2 * MiB), 2 * MiB };
	static const uint64_t va[] = { 0, 0x7000, 0x1234567, 0x80000000,
				       0xc0000000, 0xfee00000, 0xffffffff };
	struct mvm_boot_regs r;
	uint8_t *g = gpa(&m, MVM_BOOT_GDT);
	unsigned int i;
	bool ok;

	ASSERT_EQ(0, mvm_boot64_setup(&m, 0x1000200, MVM_BOOT_ZERO_PAGE, &r));
	EXPECT_EQ(0x1000200, r.rip);
	EXPECT_EQ(MVM_BOOT_ZERO_PAGE, r.rsi);
	EXPECT_EQ(MVM_BOOT_STACK_TOP, r.rsp);
	EXPECT_EQ(2, r.rflags);
	EXPECT_EQ(0x80000011, r.cr0);
	EXPECT_EQ(MVM_BOOT_PML4, r.cr3);
	EXPECT_EQ(0x20, r.cr4);
	EXPECT_EQ(0x500, r.efer);
	EXPECT_EQ(MVM_BOOT_GDT, r.gdt_base);
	EXPECT_EQ(31, r.gdt_limit);
	EXPECT_EQ(0x10, r.cs.selector);
	EXPECT_EQ(1, r.cs.l);
	EXPECT_EQ(0, r.cs.db);
	EXPECT_EQ(0xb, r.cs.type);
	EXPECT_EQ(0x18, r.ds.selector);
	EXPECT_EQ(0x3, r.ds.type);
	EXPECT_EQ(0xffffffff, r.ds.limit);
	EXPECT_EQ(0xb, r.tr.type);
	EXPECT_EQ(0x67, r.tr.limit);

	/* The descriptors Linux's own boot GDT has, accessed bit set. */
	EXPECT_EQ(0, mvm_get_le64(g));
	EXPECT_EQ(0x00cf9b000000ffffULL, mvm_get_le64(g + 0x08));
	EXPECT_EQ(0x00af9b000000ffffULL, mvm_get_le64(g + 0x10));
	EXPECT_EQ(0x00cf93000000ffffULL, mvm_get_le64(g + 0x18));

	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		EXPECT_EQ(va[i], walk(&m, r.cr3, va[i], &ok));
		EXPECT_TRUE(ok);
	}
	walk(&m, r.cr3, 0x100000000ULL, &ok);
	EXPECT_FALSE(ok);

	EXPECT_EQ(-EINVAL, mvm_boot64_setup(&m, 1ULL << 32, 0x7000, &r));
	m.size = MVM_BOOT_PD + 4 * 4096 - 1;
	EXPECT_EQ(-ENOSPC, mvm_boot64_setup(&m, 0x100200, 0x7000, &r));
	free(m.base);
}

TEST(boot_pvh_state)
{
	struct mvm_guest_mem m = { calloc(1, 2 * MiB), 2 * MiB };
	struct mvm_boot_regs r;

	ASSERT_EQ(0, mvm_boot_pvh_setup(&m, 0x1000850, MVM_BOOT_PVH_INFO, &r));
	EXPECT_EQ(0x1000850, r.rip);
	EXPECT_EQ(MVM_BOOT_PVH_INFO, r.rbx);
	EXPECT_EQ(0x11, r.cr0);
	EXPECT_EQ(0, r.cr3);
	EXPECT_EQ(0, r.cr4);
	EXPECT_EQ(0, r.efer);
	EXPECT_EQ(2, r.rflags);
	EXPECT_EQ(0x08, r.cs.selector);
	EXPECT_EQ(0, r.cs.l);
	EXPECT_EQ(1, r.cs.db);
	EXPECT_EQ(0, r.cs.base);
	EXPECT_EQ(0xffffffff, r.cs.limit);
	EXPECT_EQ(0x18, r.ds.selector);
	EXPECT_EQ(1, r.ds.db);
	EXPECT_EQ(0x67, r.tr.limit);
	EXPECT_EQ(0x00cf9b000000ffffULL,
		  mvm_get_le64(gpa(&m, MVM_BOOT_GDT + 8)));
	m.size = MVM_BOOT_GDT + 16;
	EXPECT_EQ(-ENOSPC, mvm_boot_pvh_setup(&m, 0x1000850, 0x6000, &r));
	free(m.base);
}

TEST(boot_regs_apply)
{
	struct mvm_guest_mem m = { calloc(1, 2 * MiB), 2 * MiB };
	struct mvm_boot_regs b;
	struct mvm_regs regs;
	struct mvm_sregs sr;

	memset(&regs, 0x55, sizeof(regs));
	memset(&sr, 0, sizeof(sr));
	sr.apic_base = 0xfee00900;
	sr.cr2 = 0x1234;
	ASSERT_EQ(0, mvm_boot64_setup(&m, 0x1000200, 0x7000, &b));
	mvm_boot_regs_apply(&b, &regs, &sr);
	EXPECT_EQ(0x1000200, regs.rip);
	EXPECT_EQ(0x7000, regs.rsi);
	EXPECT_EQ(MVM_BOOT_STACK_TOP, regs.rsp);
	EXPECT_EQ(0, regs.rax);
	EXPECT_EQ(0, regs.flags);
	EXPECT_EQ(0, regs.reserved[0]);
	EXPECT_EQ(0x10, sr.cs.selector);
	EXPECT_EQ(0x18, sr.ss.selector);
	EXPECT_EQ(0x18, sr.es.selector);
	EXPECT_EQ(0x18, sr.gs.selector);
	EXPECT_EQ(1, sr.ldt.unusable);
	EXPECT_EQ(0xb, sr.tr.type);
	EXPECT_EQ(MVM_BOOT_GDT, sr.gdt.base);
	EXPECT_EQ(31, sr.gdt.limit);
	EXPECT_EQ(0, sr.idt.limit);
	EXPECT_EQ(0x80000011, sr.cr0);
	EXPECT_EQ(0, sr.cr2);
	EXPECT_EQ(0x500, sr.efer);
	EXPECT_EQ(0xfee00900, sr.apic_base);
	free(m.base);
}

/* ---- CPUID -------------------------------------------------------------- */

#define H(fn, idx, a, b, c, d) \
	{ .function = (fn), .index = (idx), .eax = (a), .ebx = (b), \
	  .ecx = (c), .edx = (d) }

/* An Intel host (vendor "GenuineIntel") with more than mvm keeps. */
static const struct mvm_cpuid_entry intel_host[] = {
	H(0, 0, 0x20, 0x756e6547, 0x6c65746e, 0x49656e69),
	H(1, 0, 0x906ea, 0x05100800, 0xfffa3223, 0xbfebfbff),
	H(2, 0, 0x76036301, 0xf0b5ff, 0, 0xc30000),
	H(4, 0, 0x1c004121, 0x1c0003f, 0x3f, 0),
	H(4, 1, 0x1c004122, 0x1c0003f, 0x3f, 0),
	H(4, 2, 0x1c004143, 0x3c0003f, 0x3ff, 0),
	H(4, 3, 0x1c03c163, 0x3c0003f, 0x2fff, 6),
	H(4, 4, 0, 0, 0, 0),
	H(6, 0, 0x27f7, 2, 9, 0),
	H(7, 0, 2, 0xffffffff, 0xffffffff, 0xffffffff),
	H(7, 1, 0x30, 0, 0, 0),
	H(7, 2, 0, 0, 0, 0x3f),
	H(0xa, 0, 0x7300404, 0, 0, 0x603),
	H(0xb, 0, 1, 2, 0x100, 3),
	H(0xd, 0, 0x1f, 0x440, 0x440, 0),
	H(0xd, 1, 0x1f, 0x3c0, 0x100, 0),
	H(0xd, 2, 0x100, 0x240, 0, 0),
	H(0x1f, 0, 1, 2, 0x100, 3),
	H(0x80000000, 0, 0x80000008, 0, 0, 0),
	H(0x80000001, 0, 0, 0, 0xffffffff, 0x2c100800),
	H(0x80000002, 0, 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865),
	H(0x80000006, 0, 0, 0, 0x1006040, 0),
	H(0x80000007, 0, 0, 0, 0, 0x100),
	H(0x80000008, 0, 0x3027, 0x1234, 0, 0),
};

static const struct mvm_cpuid_entry *find(const struct mvm_cpuid_entry *e,
					  unsigned int n, uint32_t fn,
					  uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

TEST(cpuid_intel)
{
	struct mvm_cpuid_config cfg = { .tsc_khz = 2995200, .nr_vcpus = 6,
					.vcpu_id = 3 };
	struct mvm_cpuid_entry out[64];
	const struct mvm_cpuid_entry *e;
	unsigned int n, i;
	char sig[13] = { 0 };

	ASSERT_EQ(0, mvm_cpuid_build(intel_host, sizeof(intel_host) /
				     sizeof(intel_host[0]), &cfg, out, 64, &n));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, out[i].reserved[0]);
		EXPECT_EQ(0, out[i].flags & ~MVM_CPUID_FLAG_SIGNIFICANT_INDEX);
	}

	e = find(out, n, 0, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x16, e->eax);
	EXPECT_EQ(0x756e6547, e->ebx);

	e = find(out, n, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x906ea, e->eax);
	EXPECT_EQ(0x03080800, e->ebx);		/* APIC ID 3, 8 IDs */
	EXPECT_TRUE(e->ecx & (1U << 31));	/* hypervisor */
	EXPECT_TRUE(e->ecx & (1U << 21));	/* x2APIC */
	EXPECT_FALSE(e->ecx & (1U << 3));	/* MONITOR */
	EXPECT_FALSE(e->ecx & (1U << 5));	/* VMX */
	EXPECT_TRUE(e->ecx & (1U << 24));	/* TSC deadline */
	EXPECT_TRUE(e->ecx & (1U << 0));	/* SSE3 kept */
	EXPECT_TRUE(e->edx & (1U << 28));	/* HTT */
	EXPECT_FALSE(e->edx & (1U << 7));	/* MCE */
	EXPECT_FALSE(e->edx & (1U << 12));	/* MTRR */
	EXPECT_TRUE(e->edx & (1U << 9));	/* APIC kept */

	/* Leaf 4: 8 core IDs per package (7 << 26); L3 shared by all. */
	e = find(out, n, 4, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(MVM_CPUID_FLAG_SIGNIFICANT_INDEX, e->flags);
	EXPECT_EQ(0x1c000121 & 0x3fff, e->eax & 0x3fff);
	EXPECT_EQ(7, e->eax >> 26);
	EXPECT_EQ(0, (e->eax >> 14) & 0xfff);
	e = find(out, n, 4, 3);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(7, (e->eax >> 14) & 0xfff);
	EXPECT_EQ(6, e->edx);
	e = find(out, n, 4, 4);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->eax);

	e = find(out, n, 7, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1, e->eax);
	EXPECT_FALSE(e->ebx & (1U << 2));	/* SGX */
	EXPECT_FALSE(e->ebx & (1U << 1));	/* TSC_ADJUST */
	EXPECT_TRUE(e->ebx & (1U << 5));	/* AVX2 kept */
	EXPECT_FALSE(e->edx & (1U << 29));	/* ARCH_CAPABILITIES */
	EXPECT_FALSE(e->edx & (1U << 26));	/* SPEC_CTRL */
	EXPECT_FALSE(e->ecx & (1U << 5));	/* WAITPKG */
	EXPECT_NE(NULL, find(out, n, 7, 1));
	EXPECT_EQ(NULL, find(out, n, 7, 2));

	/* Topology: SMT level of one, core level of 6 behind 3 bits. */
	e = find(out, n, 0xb, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->eax);
	EXPECT_EQ(1, e->ebx);
	EXPECT_EQ(0x100, e->ecx);
	EXPECT_EQ(3, e->edx);
	e = find(out, n, 0xb, 1);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3, e->eax);
	EXPECT_EQ(6, e->ebx);
	EXPECT_EQ(0x201, e->ecx);
	EXPECT_EQ(3, e->edx);
	e = find(out, n, 0xb, 2);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ebx);
	EXPECT_EQ(2, e->ecx);

	e = find(out, n, 0xd, 1);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x7, e->eax);			/* no XSAVES, XFD */
	EXPECT_EQ(0, e->ecx);
	EXPECT_NE(NULL, find(out, n, 0xd, 2));

	/* 2995.2 MHz: 1 MHz crystal, ratio 2995. */
	e = find(out, n, 0x15, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1, e->eax);
	EXPECT_EQ(2995, e->ebx);
	EXPECT_EQ(1000000, e->ecx);
	e = find(out, n, 0x16, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2995, e->eax);
	EXPECT_EQ(2995, e->ebx);

	e = find(out, n, 0x40000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x40000010, e->eax);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	EXPECT_STREQ("KVMKVMKVM", sig);
	e = find(out, n, 0x40000010, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2995200, e->eax);
	EXPECT_EQ(1000, e->ebx);

	e = find(out, n, 0x80000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x80000008, e->eax);
	e = find(out, n, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->ecx & (1U << 2));	/* SVM */
	EXPECT_TRUE(e->ecx & (1U << 0));	/* LAHF kept */
	EXPECT_EQ(0x2c100800, e->edx);
	e = find(out, n, 0x80000007, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x100, e->edx);
	e = find(out, n, 0x80000008, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x3027, e->eax);
	EXPECT_EQ(0, e->ebx);
	EXPECT_EQ(0, e->ecx);			/* reserved on Intel */
	/* Absent leaf 0x80000003 reads as zeros, explicitly. */
	e = find(out, n, 0x80000003, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->eax);

	/* Leaf 6 is ARAT alone. */
	e = find(out, n, 6, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1U << 2, e->eax);
	EXPECT_EQ(0, e->ecx);
	EXPECT_EQ(NULL, find(out, n, 0xa, 0));
	EXPECT_EQ(NULL, find(out, n, 0x1f, 0));
}

TEST(cpuid_amd_single)
{
	struct mvm_cpuid_entry host[] = {
		/* "AuthenticAMD" */
		H(0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65),
		H(1, 0, 0x800f12, 0x10800, 0x7ed8320b, 0x178bfbff),
		H(0x80000000, 0, 0x80000020, 0x68747541, 0x444d4163,
		  0x69746e65),
		H(0x80000001, 0, 0, 0, 0x75c237ff, 0x2fd3fbff),
		H(0x80000008, 0, 0x3030, 0x7, 0x700f, 0),
	};
	struct mvm_cpuid_config cfg = { 3000000, 1, 0 };
	struct mvm_cpuid_entry out[64];
	const struct mvm_cpuid_entry *e;
	unsigned int n;

	ASSERT_EQ(0, mvm_cpuid_build(host, 5, &cfg, out, 64, &n));
	e = find(out, n, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x00010800, e->ebx);
	EXPECT_FALSE(e->edx & (1U << 28));
	e = find(out, n, 0xb, 1);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->eax);
	EXPECT_EQ(1, e->ebx);
	e = find(out, n, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->ecx & (1U << 22));	/* TOPOEXT */
	EXPECT_FALSE(e->ecx & (1U << 1));	/* CmpLegacy */
	e = find(out, n, 0x80000008, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ecx);			/* 1 core, 0 bits */
	EXPECT_EQ(NULL, find(out, n, 0x8000001e, 0));
	e = find(out, n, 0x15, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3000, e->ebx);

	cfg.nr_vcpus = 5;
	cfg.vcpu_id = 4;
	ASSERT_EQ(0, mvm_cpuid_build(host, 5, &cfg, out, 64, &n));
	e = find(out, n, 0x80000008, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3 << 12 | 4, e->ecx);
}

TEST(cpuid_errors)
{
	struct mvm_cpuid_config cfg = { 2000000, 4, 0 };
	struct mvm_cpuid_entry out[64];
	unsigned int n, nh = sizeof(intel_host) / sizeof(intel_host[0]);

	EXPECT_EQ(-ENOSPC, mvm_cpuid_build(intel_host, nh, &cfg, out, 5, &n));
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(intel_host + 1, nh - 1, &cfg, out,
					   64, &n));
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(NULL, 0, &cfg, out, 64, &n));
	cfg.vcpu_id = 4;
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(intel_host, nh, &cfg, out, 64, &n));
	cfg.vcpu_id = 0;
	cfg.nr_vcpus = 0;
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(intel_host, nh, &cfg, out, 64, &n));
	cfg.nr_vcpus = 256;
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(intel_host, nh, &cfg, out, 64, &n));
	cfg.nr_vcpus = 1;
	cfg.tsc_khz = 999;
	EXPECT_EQ(-EINVAL, mvm_cpuid_build(intel_host, nh, &cfg, out, 64, &n));
	/* Just enough room succeeds. */
	cfg.tsc_khz = 2999600;
	ASSERT_EQ(0, mvm_cpuid_build(intel_host, nh, &cfg, out, 64, &n));
	ASSERT_EQ(0, mvm_cpuid_build(intel_host, nh, &cfg, out, n, &n));
	EXPECT_EQ(3000, find(out, n, 0x15, 0)->ebx);
	EXPECT_EQ(-ENOSPC, mvm_cpuid_build(intel_host, nh, &cfg, out, n - 1,
					   &n));
}

/* ---- MP table ----------------------------------------------------------- */

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

TEST(mptable_four_cpus)
{
	struct mvm_guest_mem m = { calloc(1, MiB), MiB };
	uint8_t *fps = gpa(&m, 0x9fc00), *t, *p;
	unsigned int i, len;

	ASSERT_EQ(0, mvm_mptable_write(&m, 4));
	EXPECT_EQ(0, memcmp(fps, "_MP_", 4));
	EXPECT_EQ(0x9fc10, mvm_get_le32(fps + 4));
	EXPECT_EQ(1, fps[8]);
	EXPECT_EQ(4, fps[9]);
	EXPECT_EQ(0, fps[11]);
	EXPECT_EQ(0, fps[12]);
	EXPECT_EQ(0, sum(fps, 16));

	t = gpa(&m, 0x9fc10);
	len = mvm_get_le16(t + 4);
	EXPECT_EQ(0, memcmp(t, "PCMP", 4));
	EXPECT_EQ(44 + 4 * 20 + 8 + 8 + 16 * 8 + 2 * 8, len);
	EXPECT_EQ(mvm_mptable_size(4), 16 + len);
	EXPECT_EQ(4, t[6]);
	EXPECT_EQ(0, sum(t, len));
	EXPECT_EQ(4 + 1 + 1 + 16 + 2, mvm_get_le16(t + 34));
	EXPECT_EQ(0xfee00000, mvm_get_le32(t + 36));
	EXPECT_EQ(0, mvm_get_le16(t + 40));

	p = t + 44;
	for (i = 0; i < 4; i++, p += 20) {
		EXPECT_EQ(0, p[0]);
		EXPECT_EQ(i, p[1]);
		EXPECT_EQ(0x14, p[2]);
		EXPECT_EQ(i ? 1 : 3, p[3]);
	}
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(0, p[1]);
	EXPECT_EQ(0, memcmp(p + 2, "ISA   ", 6));
	p += 8;
	EXPECT_EQ(2, p[0]);
	EXPECT_EQ(4, p[1]);			/* IOAPIC ID = N */
	EXPECT_EQ(1, p[3]);
	EXPECT_EQ(0xfec00000, mvm_get_le32(p + 4));
	p += 8;
	for (i = 0; i < 16; i++, p += 8) {
		EXPECT_EQ(3, p[0]);
		EXPECT_EQ(0, p[1]);		/* INT */
		EXPECT_EQ(0, p[4]);		/* ISA bus */
		EXPECT_EQ(i, p[5]);
		EXPECT_EQ(4, p[6]);
		EXPECT_EQ(i, p[7]);
	}
	EXPECT_EQ(4, p[0]);
	EXPECT_EQ(3, p[1]);			/* ExtINT on LINT0 */
	EXPECT_EQ(0xff, p[6]);
	EXPECT_EQ(0, p[7]);
	EXPECT_EQ(4, p[8]);
	EXPECT_EQ(1, p[9]);			/* NMI on LINT1 */
	EXPECT_EQ(1, p[15]);
	EXPECT_EQ(0x9fc10 + len, 0x9fc00 + (p + 16 - fps));
	free(m.base);
}

TEST(mptable_limits)
{
	struct mvm_guest_mem m = { calloc(1, MiB), MiB };
	unsigned int max = mvm_mptable_max_vcpus();
	uint8_t *t = gpa(&m, 0x9fc10);

	EXPECT_EQ(40, max);
	EXPECT_LE(mvm_mptable_size(max), 0x400);
	ASSERT_EQ(0, mvm_mptable_write(&m, max));
	EXPECT_EQ(0, sum(t, mvm_get_le16(t + 4)));
	EXPECT_EQ(max, t[44 + (max - 1) * 20 + 1] + 1);
	EXPECT_EQ(-ENOSPC, mvm_mptable_write(&m, max + 1));
	EXPECT_EQ(-EINVAL, mvm_mptable_write(&m, 0));
	m.size = 0x9fc00 + 100;
	EXPECT_EQ(-ENOSPC, mvm_mptable_write(&m, 1));
	free(m.base);
}

TEST_HARNESS_MAIN
