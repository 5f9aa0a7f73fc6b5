// SPDX-License-Identifier: Apache-2.0
/*
 * The files of a VM: kernel and initrd (mapped read-only until they are
 * loaded), disks (opened as the guest will use them), and the kernel
 * probe that tells a user what is wrong with an image before any guest
 * memory exists.
 *
 * The probe reads the same headers as the loaders (src/loader/) and
 * rejects what they would reject, so that bad input is reported without
 * /dev/mvm; the loaders stay the authority and check everything again
 * when mvm_vm_create() loads the image.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_priv.h"

#define MIB(x)	((unsigned long long)((x) + (1ULL << 20) - 1) >> 20)

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Compressed files people pass by mistake, by their magic bytes. */
static const char *compressed_kind(const uint8_t *p, size_t len)
{
	static const struct {
		const char *name;
		unsigned int len;
		uint8_t magic[6];
	} kinds[] = {
		{ "gzip", 2, { 0x1f, 0x8b } },
		{ "xz", 6, { 0xfd, '7', 'z', 'X', 'Z', 0 } },
		{ "zstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } },
		{ "bzip2", 3, { 'B', 'Z', 'h' } },
		{ "lz4", 4, { 0x04, 0x22, 0x4d, 0x18 } },
		{ "lzma", 3, { 0x5d, 0x00, 0x00 } },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (len >= kinds[i].len &&
		    !memcmp(p, kinds[i].magic, kinds[i].len))
			return kinds[i].name;
	return NULL;
}

/*
 * A bzImage (Documentation/arch/x86/boot.rst): (setup_sects + 1)
 * sectors of setup, the setup header at 0x1f1, then the protected-mode
 * kernel of syssize paragraphs, loaded at pref_address when relocatable
 * (else 1 MiB) and needing init_size bytes from its aligned start.
 */
static int probe_bzimage(const uint8_t *img, size_t len, uint64_t ram_end,
			 struct vm_kernel_info *k, char *why, size_t wl)
{
	uint64_t sects, setup, pm, sys, align, pref, init, load, rt, end, rtend;
	unsigned int version;
	bool reloc;

	if (len < MVM_HDR_MIN_END) {
		snprintf(why, wl,
			 "is truncated: %zu bytes, less than a bzImage's header",
			 len);
		return -ENOEXEC;
	}
	if (mvm_get_le16(img + MVM_HDR_BOOT_FLAG) != MVM_HDR_BOOT_FLAG_MAGIC) {
		snprintf(why, wl, "has a bzImage header without the 0xaa55 boot flag: the file is damaged");
		return -ENOEXEC;
	}
	version = mvm_get_le16(img + MVM_HDR_VERSION);
	if (version < MVM_HDR_MIN_VERSION) {
		snprintf(why, wl,
			 "uses boot protocol %u.%02u; mvm needs 2.12 or later (Linux 3.8 or later)",
			 version >> 8, version & 0xff);
		return -ENOTSUP;
	}
	if (img[MVM_HDR_JUMP] != 0xeb ||
	    0x202 + (uint64_t)img[MVM_HDR_JUMP + 1] < MVM_HDR_MIN_END) {
		snprintf(why, wl, "has a malformed bzImage header");
		return -ENOEXEC;
	}
	if (!(mvm_get_le16(img + MVM_HDR_XLOADFLAGS) & MVM_XLF_KERNEL_64)) {
		snprintf(why, wl,
			 "has no 64-bit entry point (XLF_KERNEL_64): mvm boots x86-64 kernels");
		return -ENOTSUP;
	}
	sects = img[MVM_HDR_SETUP_SECTS] ? img[MVM_HDR_SETUP_SECTS] : 4;
	setup = (sects + 1) * 512;
	sys = (uint64_t)mvm_get_le32(img + MVM_HDR_SYSSIZE) * 16;
	if (len <= setup || sys > len - setup) {
		snprintf(why, wl,
			 "is truncated: its header describes %llu bytes, the file has %zu",
			 (unsigned long long)(setup + (sys ? sys : 1)), len);
		return -ENOEXEC;
	}
	pm = len - setup;
	reloc = img[MVM_HDR_RELOCATABLE] != 0;
	align = mvm_get_le32(img + MVM_HDR_KERNEL_ALIGN);
	pref = mvm_get_le64(img + MVM_HDR_PREF_ADDRESS);
	init = mvm_get_le32(img + MVM_HDR_INIT_SIZE);
	if (reloc && !is_pow2(align)) {
		snprintf(why, wl, "has a malformed bzImage header (kernel_alignment 0x%llx)",
			 (unsigned long long)align);
		return -ENOEXEC;
	}

	/* Placement, as the loader does it: see mvm_bzimage_load(). */
	load = MVM_BOOT_HIGH_MEM;
	if (reloc && pref >= MVM_BOOT_HIGH_MEM && !(pref & (align - 1)))
		load = pref;
	rt = load;
	if ((reloc && __builtin_add_overflow(rt, align - 1, &rt)) ||
	    __builtin_add_overflow(load, pm, &end) ||
	    __builtin_add_overflow(rt & ~(reloc ? align - 1 : 0), init,
				   &rtend)) {
		snprintf(why, wl, "asks to be loaded beyond any address (pref_address 0x%llx)",
			 (unsigned long long)pref);
		return -ENOSPC;
	}
	if (rtend > end)
		end = rtend;
	if (end > ram_end) {
		snprintf(why, wl,
			 "needs %llu MiB of guest memory (it is loaded at %llu MiB and needs %llu MiB from there): raise the memory size",
			 MIB(end), MIB(load), MIB(end - load));
		return -ENOSPC;
	}
	k->kind = VM_KERNEL_BZIMAGE;
	k->kstart = load;
	k->kend = end;
	k->cmdline_max = mvm_get_le32(img + MVM_HDR_CMDLINE_SIZE);
	k->initrd_limit = (uint64_t)mvm_get_le32(img + MVM_HDR_INITRD_ADDR_MAX) + 1;
	return 0;
}

/* An ELF vmlinux: its PT_LOAD segments go to their physical addresses. */
static int probe_elf(const uint8_t *img, size_t len, uint64_t ram_end,
		     struct vm_kernel_info *k, char *why, size_t wl)
{
	uint64_t lo = UINT64_MAX, hi = 0, ph_end;
	Elf64_Ehdr eh;
	unsigned int i;

	if (len < sizeof(eh)) {
		snprintf(why, wl, "is truncated: %zu bytes, less than an ELF header", len);
		return -ENOEXEC;
	}
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		snprintf(why, wl, "is an ELF file but not for x86-64: mvm boots x86-64 kernels");
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC) {
		snprintf(why, wl, "is an ELF file but not an executable (a module or object file?): give vmlinux");
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum ||
	    eh.e_phnum > MVM_ELF_MAX_PHNUM) {
		snprintf(why, wl, "has a malformed ELF header");
		return -ENOEXEC;
	}
	if (__builtin_add_overflow(eh.e_phoff,
				   (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr),
				   &ph_end) || ph_end > len) {
		snprintf(why, wl, "is truncated: its program headers end past the file (%zu bytes)", len);
		return -ENOEXEC;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		uint64_t fend, mend;
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    __builtin_add_overflow(ph.p_paddr, ph.p_memsz, &mend)) {
			snprintf(why, wl, "has a malformed segment %u", i);
			return -ENOEXEC;
		}
		if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &fend) ||
		    fend > len) {
			snprintf(why, wl,
				 "is truncated: segment %u ends at byte %llu, the file has %zu",
				 i, (unsigned long long)fend, len);
			return -ENOEXEC;
		}
		if (ph.p_paddr < MVM_BOOT_HIGH_MEM) {
			snprintf(why, wl, "has segment %u below 1 MiB (0x%llx): not a Linux vmlinux",
				 i, (unsigned long long)ph.p_paddr);
			return -ENOEXEC;
		}
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (mend > hi)
			hi = mend;
	}
	if (!hi) {
		snprintf(why, wl, "has nothing to load (no PT_LOAD segment)");
		return -ENOEXEC;
	}
	if (hi > ram_end) {
		snprintf(why, wl,
			 "needs %llu MiB of guest memory (its segments end there): raise the memory size",
			 MIB(hi));
		return -ENOSPC;
	}
	k->kind = VM_KERNEL_ELF;
	k->kstart = lo;
	k->kend = hi;
	k->cmdline_max = MVM_BOOT_CMDLINE_MAX - 1;
	k->initrd_limit = ram_end;
	return 0;
}

int vm_kernel_probe(const uint8_t *img, size_t len, uint64_t ram,
		    struct vm_kernel_info *info, char *why, size_t why_len)
{
	uint64_t ram_end = mvm_boot_ram_end(vm_mem_map_size(ram));
	const char *z;

	if (!len) {
		snprintf(why, why_len, "is empty");
		return -ENOEXEC;
	}
	if (len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG))
		return probe_elf(img, len, ram_end, info, why, why_len);
	if (len >= MVM_HDR_HEADER + 4 &&
	    mvm_get_le32(img + MVM_HDR_HEADER) == MVM_HDR_MAGIC)
		return probe_bzimage(img, len, ram_end, info, why, why_len);
	z = compressed_kind(img, len);
	if (z) {
		snprintf(why, why_len,
			 "is %s-compressed: give the bzImage (vmlinuz) or an uncompressed vmlinux",
			 z);
		return -ENOEXEC;
	}
	if (len < MVM_HDR_HEADER + 4 && len >= 2 && img[0] == 'M' &&
	    img[1] == 'Z') {
		snprintf(why, why_len,
			 "is truncated: %zu bytes, less than a bzImage's header",
			 len);
		return -ENOEXEC;
	}
	snprintf(why, why_len,
		 "is neither a bzImage nor an ELF vmlinux: give the kernel image (e.g. /boot/vmlinuz-*)");
	return -ENOEXEC;
}

/* ---- opening ------------------------------------------------------------ */

static int open_error(const struct mvm_logger *lg, const char *what,
		      const char *path, int err)
{
	if (err == ENOENT)
		mvm_log(lg, MVM_LOG_ERR, "%s %s: no such file", what, path);
	else
		mvm_log(lg, MVM_LOG_ERR, "%s %s: cannot open it: %s", what,
			path, strerror(err));
	return -err;
}

/* Open @path read-only and map it whole; a regular file only. */
static int open_image(struct vm_file *f, const char *what, const char *path,
		      const struct mvm_logger *lg)
{
	struct stat st;
	void *map;

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return open_error(lg, what, path, errno);
	if (fstat(f->fd, &st)) {
		int err = errno;

		mvm_log(lg, MVM_LOG_ERR, "%s %s: %s", what, path,
			strerror(err));
		return -err;
	}
	if (S_ISDIR(st.st_mode)) {
		mvm_log(lg, MVM_LOG_ERR, "%s %s is a directory: give a file",
			what, path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		mvm_log(lg, MVM_LOG_ERR, "%s %s is not a regular file", what,
			path);
		return -EINVAL;
	}
	f->size = (uint64_t)st.st_size;
	if (!f->size)
		return 0;
	map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (map == MAP_FAILED) {
		int err = errno;

		mvm_log(lg, MVM_LOG_ERR, "%s %s: cannot map it: %s", what,
			path, strerror(err));
		return -err;
	}
	f->map = map;
	return 0;
}

static int open_disk(struct vm_file *f, unsigned int i,
		     const struct mvm_vm_disk *d, const struct mvm_logger *lg)
{
	bool ro = d->flags & MVM_VM_DISK_READ_ONLY;
	struct stat st;
	int err;

	f->fd = open(d->path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (f->fd < 0) {
		err = errno;
		if (!ro && (err == EROFS || err == EACCES || err == EPERM)) {
			mvm_log(lg, MVM_LOG_ERR,
				"disk %s cannot be opened read-write (%s): attach it read-only",
				d->path, strerror(err));
			return -err;
		}
		return open_error(lg, "disk", d->path, err);
	}
	if (fstat(f->fd, &st)) {
		err = errno;
		mvm_log(lg, MVM_LOG_ERR, "disk %s: %s", d->path,
			strerror(err));
		return -err;
	}
	if (S_ISDIR(st.st_mode)) {
		mvm_log(lg, MVM_LOG_ERR, "disk %s is a directory: give an image file or a block device",
			d->path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		mvm_log(lg, MVM_LOG_ERR,
			"disk %s is neither a file nor a block device", d->path);
		return -EINVAL;
	}
	f->size = (uint64_t)st.st_size;
	if (S_ISREG(st.st_mode) && f->size < 512)
		mvm_log(lg, MVM_LOG_WARNING,
			"disk %u (%s) is smaller than one 512-byte sector: the guest sees an empty disk",
			i, d->path);
	return 0;
}

int vm_plan_open_files(struct vm_plan *p, const struct mvm_logger *lg)
{
	const struct mvm_vm_config *c = &p->cfg;
	uint64_t map_size = vm_mem_map_size(c->mem_bytes), addr;
	char why[256];
	unsigned int i;
	int ret;

	ret = open_image(&p->kernel, "kernel", c->kernel, lg);
	if (ret)
		return ret;
	ret = vm_kernel_probe(p->kernel.map, p->kernel.size, c->mem_bytes,
			      &p->kinfo, why, sizeof(why));
	if (ret) {
		mvm_log(lg, MVM_LOG_ERR, "kernel %s %s", c->kernel, why);
		return ret;
	}

	if (c->initrd) {
		ret = open_image(&p->initrd, "initrd", c->initrd, lg);
		if (ret)
			return ret;
		if (!p->initrd.size) {
			mvm_log(lg, MVM_LOG_ERR, "initrd %s is empty", c->initrd);
			return -EINVAL;
		}
		ret = mvm_initrd_place(map_size, p->initrd.size,
				       p->kinfo.initrd_limit, p->kinfo.kstart,
				       p->kinfo.kend, &addr);
		if (ret) {
			mvm_log(lg, MVM_LOG_ERR,
				"initrd %s (%llu MiB) does not fit in guest memory beside the kernel (%llu MiB of RAM, %llu MiB used by the kernel): raise the memory size",
				c->initrd, MIB(p->initrd.size),
				(unsigned long long)(c->mem_bytes >> 20),
				MIB(p->kinfo.kend - p->kinfo.kstart));
			return -ENOSPC;
		}
	}

	for (i = 0; i < c->nr_disks; i++) {
		ret = open_disk(&p->disks[i], i, &c->disks[i], lg);
		if (ret)
			return ret;
	}
	return 0;
}

void vm_plan_unmap_images(struct vm_plan *p)
{
	if (p->kernel.map)
		munmap((void *)p->kernel.map, p->kernel.size);
	if (p->initrd.map)
		munmap((void *)p->initrd.map, p->initrd.size);
	p->kernel.map = p->initrd.map = NULL;
}
