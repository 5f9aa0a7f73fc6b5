// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the VM configuration (src/vm/config.c, image.c,
 * cmdline.c): every bad value and file gives its errno and one error
 * line naming the problem, leaves no fd open, and writes nothing; the
 * kernel probe agrees with the loaders; the command line has its fixed
 * part, the virtio devices and the caller's text, in that order.
 * Nothing here needs /dev/mvm.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm/vm_priv.h"

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

struct captured {
	int calls;
	int level;
	char msg[512];
};

static void capture(void *opaque, int level, const char *msg)
{
	struct captured *c = opaque;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* ---- synthetic kernels ----------------------------------------------- */

#define SETUP_SECTS	1
#define SETUP_SIZE	((SETUP_SECTS + 1) * 512)
#define PM_SIZE		4096
#define PREF		(16 * MiB)
#define INIT_SIZE	(8 * MiB)

/* A bzImage header as boot.rst describes it, protocol 2.15. */
static size_t make_bzimage(uint8_t *img, size_t room)
{
	size_t len = SETUP_SIZE + PM_SIZE;

	if (room < len)
		abort();
	memset(img, 0, len);
	img[MVM_HDR_SETUP_SECTS] = SETUP_SECTS;
	mvm_put_le32(img + MVM_HDR_SYSSIZE, PM_SIZE / 16);
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, MVM_HDR_BOOT_FLAG_MAGIC);
	img[MVM_HDR_JUMP] = 0xeb;
	img[MVM_HDR_JUMP + 1] = 0x66;
	mvm_put_le32(img + MVM_HDR_HEADER, MVM_HDR_MAGIC);
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020f);
	mvm_put_le32(img + MVM_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 2 * MiB);
	img[MVM_HDR_RELOCATABLE] = 1;
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, MVM_XLF_KERNEL_64);
	mvm_put_le32(img + MVM_HDR_CMDLINE_SIZE, 2047);
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, PREF);
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, INIT_SIZE);
	return len;
}

/* An ELF vmlinux with one PT_LOAD of @filesz bytes at 16 MiB. */
static size_t make_elf(uint8_t *img, size_t room, uint64_t filesz)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	size_t len = 0x1000 + filesz;

	if (room < len)
		abort();
	memset(img, 0, len);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = PREF;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_offset = 0x1000;
	ph.p_paddr = ph.p_vaddr = PREF;
	ph.p_filesz = filesz;
	ph.p_memsz = filesz + 0x1000;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	return len;
}

static uint8_t img[64 * 1024];

/* The probe and the loader must agree on @len bytes of img in @ram. */
static void probe_vs_loader(struct __test_metadata *_metadata, size_t len,
			    uint64_t ram, int want)
{
	struct mvm_guest_mem m = { .size = ram };
	struct mvm_boot_info bi;
	struct mvm_elf_kernel ek;
	struct vm_kernel_info k;
	char why[256] = "";
	int probe, load;

	probe = vm_kernel_probe(img, len, ram, &k, why, sizeof(why));
	ASSERT_EQ(want, probe) TH_LOG("probe: %s", why);
	if (probe)
		ASSERT_NE(0, why[0]);
	m.base = calloc(1, ram);
	ASSERT_NE(NULL, m.base);
	if (len >= 4 && !memcmp(img, ELFMAG, SELFMAG))
		load = mvm_elf_load(&m, img, len, &ek);
	else
		load = mvm_bzimage_load(&m, img, len, NULL, &bi);
	free(m.base);
	/* The probe may say more precisely why (empty, compressed), but
	 * never accepts what the loader refuses nor the reverse. */
	ASSERT_EQ(!!probe, !!load) TH_LOG("probe %d, loader %d", probe, load);
}

TEST(probe_bzimage_ok)
{
	struct vm_kernel_info k;
	char why[256];
	size_t len = make_bzimage(img, sizeof(img));

	ASSERT_EQ(0, vm_kernel_probe(img, len, 64 * MiB, &k, why, sizeof(why)));
	ASSERT_EQ(VM_KERNEL_BZIMAGE, k.kind);
	ASSERT_EQ(PREF, k.kstart);
	ASSERT_EQ(PREF + INIT_SIZE, k.kend);
	ASSERT_EQ(2047, k.cmdline_max);
	ASSERT_EQ(0x80000000ULL, k.initrd_limit);
	probe_vs_loader(_metadata, len, 64 * MiB, 0);
}

TEST(probe_bzimage_truncated)
{
	size_t len = make_bzimage(img, sizeof(img));
	struct vm_kernel_info k;
	char why[256];

	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(img, len - 1, 64 * MiB, &k, why,
					    sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "truncated"));
	probe_vs_loader(_metadata, len - 16, 64 * MiB, -ENOEXEC);
	probe_vs_loader(_metadata, SETUP_SIZE, 64 * MiB, -ENOEXEC);
	probe_vs_loader(_metadata, 0x240, 64 * MiB, -ENOEXEC);
	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(img, 100, 64 * MiB, &k, why,
					    sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "neither")) TH_LOG("%s", why);
	img[0] = 'M';
	img[1] = 'Z';
	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(img, 100, 64 * MiB, &k, why,
					    sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "truncated")) TH_LOG("%s", why);
}

TEST(probe_bzimage_refusals)
{
	size_t len;

	len = make_bzimage(img, sizeof(img));
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020b);
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOTSUP);

	len = make_bzimage(img, sizeof(img));
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, 0);
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOTSUP);

	len = make_bzimage(img, sizeof(img));
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, 0x1234);
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);

	len = make_bzimage(img, sizeof(img));
	img[MVM_HDR_JUMP] = 0x90;
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);

	len = make_bzimage(img, sizeof(img));
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 3 * MiB);
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);

	len = make_bzimage(img, sizeof(img));
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, UINT64_MAX & ~(2 * MiB - 1));
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOSPC);

	len = make_bzimage(img, sizeof(img));
	mvm_put_le32(img + MVM_HDR_SYSSIZE, 0xffffffff);
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);
}

TEST(probe_bzimage_memory)
{
	size_t len = make_bzimage(img, sizeof(img));
	struct vm_kernel_info k;
	char why[256];

	/* Loaded at 16 MiB, 8 MiB to unpack: 24 MiB is just enough. */
	probe_vs_loader(_metadata, len, 24 * MiB, 0);
	probe_vs_loader(_metadata, len, 24 * MiB - 4096, -ENOSPC);
	ASSERT_EQ(-ENOSPC, vm_kernel_probe(img, len, 20 * MiB, &k, why,
					   sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "24 MiB")) TH_LOG("%s", why);
	ASSERT_NE(NULL, strstr(why, "raise the memory size"));
	/* Not relocatable: 1 MiB, whatever pref_address says. */
	img[MVM_HDR_RELOCATABLE] = 0;
	probe_vs_loader(_metadata, len, 12 * MiB, 0);
	ASSERT_EQ(0, vm_kernel_probe(img, len, 12 * MiB, &k, why,
				     sizeof(why)));
	ASSERT_EQ(MVM_BOOT_HIGH_MEM, k.kstart);
}

TEST(probe_elf)
{
	struct vm_kernel_info k;
	char why[256];
	size_t len = make_elf(img, sizeof(img), 0x2000);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));

	ASSERT_EQ(0, vm_kernel_probe(img, len, 64 * MiB, &k, why, sizeof(why)));
	ASSERT_EQ(VM_KERNEL_ELF, k.kind);
	ASSERT_EQ(PREF, k.kstart);
	ASSERT_EQ(PREF + 0x3000, k.kend);
	probe_vs_loader(_metadata, len, 64 * MiB, 0);

	probe_vs_loader(_metadata, len - 1, 64 * MiB, -ENOEXEC);
	probe_vs_loader(_metadata, 40, 64 * MiB, -ENOEXEC);
	probe_vs_loader(_metadata, len, 16 * MiB, -ENOSPC);

	eh->e_machine = EM_386;
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);
	eh->e_machine = EM_X86_64;
	eh->e_type = ET_REL;
	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(img, len, 64 * MiB, &k, why,
					    sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "not an executable"));
	eh->e_type = ET_EXEC;
	eh->e_phoff = len - 8;
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);
	eh->e_phoff = sizeof(*eh);
	ph->p_filesz = ph->p_memsz + 1;
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);
	ph->p_filesz = 0x2000;
	ph->p_type = PT_NOTE;
	probe_vs_loader(_metadata, len, 64 * MiB, -ENOEXEC);
}

TEST(probe_empty_and_compressed)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0, 0, 0 };
	static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 };
	struct vm_kernel_info k;
	char why[256];

	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(img, 0, 64 * MiB, &k, why,
					    sizeof(why)));
	ASSERT_STREQ("is empty", why);
	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(gz, sizeof(gz), 64 * MiB, &k,
					    why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "gzip-compressed"));
	ASSERT_EQ(-ENOEXEC, vm_kernel_probe(zst, sizeof(zst), 64 * MiB, &k,
					    why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "zstd-compressed"));
}

/* Whatever kernel this host has, the probe must take it. */
TEST(probe_host_kernels)
{
	struct vm_kernel_info k;
	char why[256];
	glob_t g;
	size_t i;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc) {
		globfree(&g);
		SKIP(return, "no /boot/vmlinuz-* on this host");
	}
	for (i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		uint8_t *buf;
		FILE *f = fopen(g.gl_pathv[i], "rb");

		if (!f)
			continue;
		ASSERT_EQ(0, fstat(fileno(f), &st));
		buf = malloc((size_t)st.st_size);
		ASSERT_EQ((size_t)st.st_size,
			  fread(buf, 1, (size_t)st.st_size, f));
		fclose(f);
		ASSERT_EQ(0, vm_kernel_probe(buf, (size_t)st.st_size,
					     256 * MiB, &k, why, sizeof(why)))
			TH_LOG("%s %s", g.gl_pathv[i], why);
		ASSERT_EQ(VM_KERNEL_BZIMAGE, k.kind);
		free(buf);
	}
	globfree(&g);
}

/* ---- command line ---------------------------------------------------- */

TEST(cmdline_fixed_part_only)
{
	char buf[256];

	ASSERT_EQ(31, vm_cmdline_build(buf, sizeof(buf), 0, NULL));
	ASSERT_STREQ("console=ttyS0 reboot=k panic=-1", buf);
	ASSERT_EQ(31, vm_cmdline_build(buf, sizeof(buf), 0, ""));
	ASSERT_STREQ("console=ttyS0 reboot=k panic=-1", buf);
}

TEST(cmdline_devices_then_user)
{
	const char *want = "console=ttyS0 reboot=k panic=-1"
		" virtio_mmio.device=512@0xd0000000:5"
		" virtio_mmio.device=512@0xd0001000:6"
		" virtio_mmio.device=512@0xd0002000:7"
		" root=/dev/vda panic=0";
	char buf[512];

	ASSERT_EQ((int)strlen(want),
		  vm_cmdline_build(buf, sizeof(buf), 3, "root=/dev/vda panic=0"));
	ASSERT_STREQ(want, buf);
}

TEST(cmdline_all_devices_skip_legacy_irqs)
{
	char buf[1024];
	unsigned int i;

	ASSERT_LT(0, vm_cmdline_build(buf, sizeof(buf), VM_MAX_VIRTIO, NULL));
	for (i = 0; i < VM_MAX_VIRTIO; i++) {
		unsigned int gsi = vm_virtio_gsi(i);

		ASSERT_NE(4, gsi);	/* the UART */
		ASSERT_NE(8, gsi);	/* the RTC */
		ASSERT_NE(12, gsi);	/* the PS/2 mouse */
		ASSERT_LT(gsi, 16);	/* ISA IRQs of the MP table */
		ASSERT_EQ(0xd0000000ULL + i * 0x1000ULL, vm_virtio_base(i));
	}
	ASSERT_NE(NULL, strstr(buf, "virtio_mmio.device=512@0xd0008000:15"));
	ASSERT_EQ(-EINVAL, vm_cmdline_build(buf, sizeof(buf),
					    VM_MAX_VIRTIO + 1, NULL));
}

TEST(cmdline_truncates_like_snprintf)
{
	char buf[8];
	int n = vm_cmdline_build(buf, sizeof(buf), 1, "quiet");

	ASSERT_EQ((int)strlen("console=ttyS0 reboot=k panic=-1 virtio_mmio.device=512@0xd0000000:5 quiet"), n);
	ASSERT_STREQ("console", buf);
	ASSERT_EQ(n, vm_cmdline_build(NULL, 0, 1, "quiet"));
	ASSERT_EQ(-EINVAL, vm_cmdline_build(NULL, 4, 1, "quiet"));
}

/* ---- mvm_vm_config_check() -------------------------------------------- */

FIXTURE(cfg) {
	char dir[64];
	char kernel[96];
	char disk[96];
	struct mvm_vm_config c;
	struct mvm_vm_disk d;
	struct captured cap;
	int fds;
};

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, len, f) != len || fclose(f))
		abort();
}

FIXTURE_SETUP(cfg)
{
	size_t len = make_bzimage(img, sizeof(img));

	snprintf(self->dir, sizeof(self->dir), "/tmp/vm_config_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->kernel, sizeof(self->kernel), "%s/bzImage", self->dir);
	snprintf(self->disk, sizeof(self->disk), "%s/disk.img", self->dir);
	write_file(self->kernel, img, len);
	write_file(self->disk, img, 4096);
	mvm_vm_config_init(&self->c);
	self->c.kernel = self->kernel;
	self->c.mem_bytes = 64 * MiB;
	memset(&self->d, 0, sizeof(self->d));
	self->d.path = self->disk;
	memset(&self->cap, 0, sizeof(self->cap));
	self->fds = count_fds();
}

FIXTURE_TEARDOWN(cfg)
{
	char cmd[128];

	/* Every check, passing or failing, closes what it opened. */
	EXPECT_EQ(self->fds, count_fds());
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

/* Check fails with @err and one error line containing @needle. */
#define CHECK_FAILS(err, needle)					\
	do {								\
		ASSERT_EQ(err, mvm_vm_config_check(&self->c, capture,	\
						   &self->cap));	\
		ASSERT_EQ(1, self->cap.calls);				\
		ASSERT_EQ(MVM_LOG_ERR, self->cap.level);		\
		ASSERT_NE(NULL, strstr(self->cap.msg, needle))		\
			TH_LOG("message: %s", self->cap.msg);		\
	} while (0)

TEST_F(cfg, defaults)
{
	struct mvm_vm_config c;

	mvm_vm_config_init(&c);
	ASSERT_EQ(sizeof(c), c.size);
	ASSERT_EQ(128 * MiB, c.mem_bytes);
	ASSERT_EQ(1, c.nr_vcpus);
	ASSERT_EQ(-1, c.console_out_fd);
	ASSERT_EQ(-1, c.console_in_fd);
	ASSERT_TRUE(c.rng);
	mvm_vm_config_init(NULL);
}

TEST_F(cfg, valid)
{
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, capture, &self->cap));
	ASSERT_EQ(0, self->cap.calls);
	self->c.nr_disks = 1;
	self->c.disks = &self->d;
	self->c.nr_vcpus = VM_MAX_VCPUS;
	self->c.console_out_fd = 1;
	self->c.console_in_fd = 0;
	self->c.cmdline = "quiet";
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, capture, &self->cap));
}

TEST_F(cfg, null_and_sizes)
{
	uint8_t big[sizeof(struct mvm_vm_config) + 16];
	struct mvm_vm_config *c = (struct mvm_vm_config *)big;

	ASSERT_EQ(-EINVAL, mvm_vm_config_check(NULL, NULL, NULL));
	self->c.size = 8;
	CHECK_FAILS(-EINVAL, "mvm_vm_config_init");

	/* A newer caller: zeros past our struct are fine. */
	memset(big, 0, sizeof(big));
	memcpy(big, &self->c, sizeof(self->c));
	c->size = sizeof(big);
	ASSERT_EQ(0, mvm_vm_config_check(c, NULL, NULL));
	big[sizeof(big) - 1] = 1;
	self->cap.calls = 0;
	ASSERT_EQ(-E2BIG, mvm_vm_config_check(c, capture, &self->cap));
	ASSERT_NE(NULL, strstr(self->cap.msg, "does not know"));

	/* An older caller: the first version's fields are enough. */
	c->size = VM_CONFIG_SIZE_V1;
	big[sizeof(big) - 1] = 0;
	ASSERT_EQ(0, mvm_vm_config_check(c, NULL, NULL));
}

TEST_F(cfg, bad_values)
{
	self->c.flags = 1;
	CHECK_FAILS(-EINVAL, "flags");
}

TEST_F(cfg, no_kernel)
{
	self->c.kernel = NULL;
	CHECK_FAILS(-EINVAL, "no kernel");
}

TEST_F(cfg, memory_zero)
{
	self->c.mem_bytes = 0;
	CHECK_FAILS(-EINVAL, "memory size 0");
}

TEST_F(cfg, memory_unaligned)
{
	self->c.mem_bytes = 64 * MiB + 1;
	CHECK_FAILS(-EINVAL, "multiple of 4 KiB");
}

TEST_F(cfg, memory_too_big)
{
	self->c.mem_bytes = 2ULL << 40;
	CHECK_FAILS(-EINVAL, "1 TiB");
}

TEST_F(cfg, vcpus_zero)
{
	self->c.nr_vcpus = 0;
	CHECK_FAILS(-EINVAL, "0 vCPUs");
}

TEST_F(cfg, vcpus_too_many)
{
	self->c.nr_vcpus = 65;
	CHECK_FAILS(-EINVAL, "65 vCPUs: must be 1 to 40");
}

TEST_F(cfg, too_many_disks)
{
	struct mvm_vm_disk d[MVM_VM_MAX_DISKS + 1];
	unsigned int i;

	for (i = 0; i <= MVM_VM_MAX_DISKS; i++)
		d[i] = self->d;
	self->c.disks = d;
	self->c.nr_disks = MVM_VM_MAX_DISKS;
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, NULL, NULL));
	self->c.nr_disks = MVM_VM_MAX_DISKS + 1;
	CHECK_FAILS(-EINVAL, "at most 8");
}

TEST_F(cfg, disk_reserved)
{
	self->d.reserved[1] = 1;
	self->c.disks = &self->d;
	self->c.nr_disks = 1;
	CHECK_FAILS(-EINVAL, "reserved");
}

TEST_F(cfg, disk_array_missing)
{
	self->c.nr_disks = 1;
	CHECK_FAILS(-EINVAL, "no disk array");
}

TEST_F(cfg, bad_fds)
{
	int p[2];

	self->c.console_out_fd = -2;
	CHECK_FAILS(-EBADF, "use -1 for none");
	self->c.console_out_fd = 1000;
	self->cap.calls = 0;
	CHECK_FAILS(-EBADF, "not open");
	ASSERT_EQ(0, pipe(p));
	self->c.console_out_fd = p[0];
	self->cap.calls = 0;
	CHECK_FAILS(-EBADF, "not open for writing");
	self->c.console_out_fd = -1;
	self->c.console_in_fd = p[1];
	self->cap.calls = 0;
	CHECK_FAILS(-EBADF, "not open for reading");
	close(p[0]);
	close(p[1]);
}

TEST_F(cfg, bad_kick_signal)
{
	self->c.kick_signal = SIGKILL;
	CHECK_FAILS(-EINVAL, "kick signal");
	self->c.kick_signal = 99;
	self->cap.calls = 0;
	CHECK_FAILS(-EINVAL, "kick signal");
	self->c.kick_signal = SIGRTMIN + 1;
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, NULL, NULL));
}

TEST_F(cfg, kernel_missing)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/nope", self->dir);
	self->c.kernel = path;
	CHECK_FAILS(-ENOENT, "no such file");
	ASSERT_NE(NULL, strstr(self->cap.msg, path));
}

TEST_F(cfg, kernel_is_directory)
{
	self->c.kernel = self->dir;
	CHECK_FAILS(-EISDIR, "is a directory");
}

TEST_F(cfg, kernel_empty)
{
	write_file(self->kernel, img, 0);
	CHECK_FAILS(-ENOEXEC, "is empty");
}

TEST_F(cfg, kernel_truncated)
{
	write_file(self->kernel, img, SETUP_SIZE + PM_SIZE / 2);
	CHECK_FAILS(-ENOEXEC, "is truncated");
	ASSERT_NE(NULL, strstr(self->cap.msg, self->kernel));
}

TEST_F(cfg, kernel_garbage)
{
	memset(img, 0x42, 8192);
	write_file(self->kernel, img, 8192);
	CHECK_FAILS(-ENOEXEC, "neither a bzImage nor an ELF vmlinux");
}

TEST_F(cfg, kernel_needs_more_memory)
{
	self->c.mem_bytes = 16 * MiB;
	CHECK_FAILS(-ENOSPC, "raise the memory size");
}

TEST_F(cfg, initrd_fits)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/initrd", self->dir);
	ASSERT_EQ(0, truncate(self->disk, 8 * MiB));
	ASSERT_EQ(0, rename(self->disk, path));
	self->c.initrd = path;
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, capture, &self->cap))
		TH_LOG("%s", self->cap.msg);
}

TEST_F(cfg, initrd_larger_than_memory)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/initrd", self->dir);
	write_file(path, img, 1);
	ASSERT_EQ(0, truncate(path, 65 * MiB));
	self->c.initrd = path;
	CHECK_FAILS(-ENOSPC, "does not fit");
	ASSERT_NE(NULL, strstr(self->cap.msg, "raise the memory size"));
}

TEST_F(cfg, initrd_empty_or_missing)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/initrd", self->dir);
	write_file(path, img, 0);
	self->c.initrd = path;
	CHECK_FAILS(-EINVAL, "is empty");
	unlink(path);
	self->cap.calls = 0;
	CHECK_FAILS(-ENOENT, "no such file");
}

TEST_F(cfg, disk_missing)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/nope.img", self->dir);
	self->d.path = path;
	self->c.disks = &self->d;
	self->c.nr_disks = 1;
	CHECK_FAILS(-ENOENT, "no such file");
}

TEST_F(cfg, disk_directory)
{
	self->d.path = self->dir;
	self->d.flags = MVM_VM_DISK_READ_ONLY;
	self->c.disks = &self->d;
	self->c.nr_disks = 1;
	CHECK_FAILS(-EISDIR, "is a directory");
}

/* Root opens a 0444 file read-write; an immutable one it cannot. */
TEST_F(cfg, disk_read_only)
{
	char cmd[256];

	self->c.disks = &self->d;
	self->c.nr_disks = 1;
	if (geteuid()) {
		ASSERT_EQ(0, chmod(self->disk, 0444));
	} else {
		snprintf(cmd, sizeof(cmd), "chattr +i %s 2>/dev/null",
			 self->disk);
		if (system(cmd))
			SKIP(return, "chattr +i is not available here");
	}
	CHECK_FAILS(geteuid() ? -EACCES : -EPERM, "attach it read-only");
	self->d.flags = MVM_VM_DISK_READ_ONLY;
	ASSERT_EQ(0, mvm_vm_config_check(&self->c, NULL, NULL));
	if (!geteuid()) {
		snprintf(cmd, sizeof(cmd), "chattr -i %s", self->disk);
		ASSERT_EQ(0, system(cmd));
	}
}

TEST_F(cfg, cmdline_too_long)
{
	char *s = malloc(4096);

	memset(s, 'x', 4095);
	s[4095] = '\0';
	self->c.cmdline = s;
	CHECK_FAILS(-E2BIG, "accepts 2047");
	free(s);
}

TEST_HARNESS_MAIN
