/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux guest loaders of libmvm: internal, never installed, nothing
 * here is exported from libmvm.so.
 *
 * mvm boots an unmodified Linux kernel without firmware. These functions
 * put the kernel, its command line and initrd into guest memory, build
 * the tables firmware would have left (boot_params or hvm_start_info with
 * an e820 map, an MP table, a CPUID table) and describe the vCPU state to
 * start in. They touch nothing but the buffers they are given: no
 * ioctls, no printing, no global state.
 *
 * The kernel image is hostile input. Every header field is checked, every
 * offset and size with overflow-safe arithmetic, and nothing is read or
 * written outside the image and guest memory buffers. The loaders check
 * everything they can before writing guest memory, so most failures
 * leave it untouched; a failure never leaves it half-described as
 * bootable, but the caller should not reuse it without clearing.
 *
 * Errnos, the same meaning everywhere:
 *   -EINVAL      a bad argument from the caller (NULL buffer, zero vCPUs).
 *   -ENOEXEC     the image is malformed: truncated, bad magic, header
 *                fields that contradict each other or the buffer.
 *   -ENOTSUP     a well-formed image without something mvm needs: boot
 *                protocol older than 2.12, no 64-bit entry, no PVH note.
 *   -ENOSPC      it does not fit in guest memory: kernel, init_size,
 *                initrd, an ELF segment, the MP table's vCPUs, a table
 *                larger than the room the caller gave.
 *   -E2BIG       the command line is longer than the kernel accepts.
 *
 * Guest-physical layout (all of it below the 640 KiB of low RAM except
 * the ACPI tables, the kernel and initrd):
 *
 *   0x001000  GDT (MVM_BOOT_GDT): null, 0x08 code32, 0x10 code64
 *             (Linux's __BOOT_CS), 0x18 data (__BOOT_DS)
 *   0x006000  PVH hvm_start_info, modlist at +0x40, memmap at +0x80
 *   0x007000  boot_params, the "zero page" (4 KiB)
 *   0x008000  boot stack, RSP starts at 0x9000
 *   0x009000  PML4, 0x00a000 PDPT, 0x00b000-0x00efff four page
 *             directories: 4 GiB identity-mapped with 2 MiB pages
 *   0x020000  kernel command line (up to 64 KiB with its NUL)
 *   0x09fc00  MP floating pointer and configuration table (the last KiB
 *             of low RAM, where an EBDA would be; reserved in e820)
 *   0x0e0000  ACPI tables, RSDP first (MVM_ACPI_BASE up to 1 MiB, in the
 *             BIOS area; reserved in e820 when present)
 *   0x100000  kernel: bzImage protected-mode part or vmlinux segments
 *             (a relocatable bzImage goes to its pref_address)
 *   top       initrd, page aligned, as high as it may go below 4 GiB
 *
 * Guest memory is one buffer: guest-physical 0 .. size maps to base. A
 * buffer larger than 3 GiB overlaps the 32-bit MMIO hole
 * [MVM_BOOT_MMIO_HOLE, 4 GiB): that part of it is not RAM (the e820 map
 * skips it) and nothing is loaded there; RAM resumes at 4 GiB.
 */
#ifndef MVM_LOADER_H
#define MVM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/mvm.h>

#define MVM_BOOT_PAGE_SIZE	0x1000ULL

#define MVM_BOOT_GDT		0x1000ULL
#define MVM_BOOT_PVH_INFO	0x6000ULL
#define MVM_BOOT_ZERO_PAGE	0x7000ULL
#define MVM_BOOT_STACK_TOP	0x9000ULL
#define MVM_BOOT_PML4		0x9000ULL
#define MVM_BOOT_PDPT		0xa000ULL
#define MVM_BOOT_PD		0xb000ULL	/* four pages */
#define MVM_BOOT_CMDLINE	0x20000ULL
#define MVM_BOOT_CMDLINE_MAX	0x10000ULL	/* bytes, NUL included */
#define MVM_BOOT_EBDA		0x9fc00ULL
#define MVM_BOOT_LOW_RAM_END	0xa0000ULL
#define MVM_BOOT_HIGH_MEM	0x100000ULL	/* kernels go above 1 MiB */
#define MVM_BOOT_MMIO_HOLE	0xc0000000ULL	/* 3..4 GiB is not RAM */
#define MVM_BOOT_4G		0x100000000ULL

/* GDT selectors (boot.rst, "64-bit Boot Protocol": __BOOT_CS/__BOOT_DS). */
#define MVM_BOOT_SEL_CODE32	0x08
#define MVM_BOOT_SEL_CODE64	0x10
#define MVM_BOOT_SEL_DATA	0x18

/* Little-endian field access in byte buffers (images, guest tables). */
static inline uint16_t mvm_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t mvm_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t mvm_get_le64(const uint8_t *p)
{
	return (uint64_t)mvm_get_le32(p) | (uint64_t)mvm_get_le32(p + 4) << 32;
}

static inline void mvm_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void mvm_put_le32(uint8_t *p, uint32_t v)
{
	mvm_put_le16(p, (uint16_t)v);
	mvm_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void mvm_put_le64(uint8_t *p, uint64_t v)
{
	mvm_put_le32(p, (uint32_t)v);
	mvm_put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Guest memory: guest-physical 0 .. @size maps to @base .. @base + @size.
 * The loaders never touch anything outside it.
 */
struct mvm_guest_mem {
	uint8_t *base;
	uint64_t size;
};

/*
 * mvm_gmem_check() - is [@gpa, @gpa + @len) inside guest memory?
 * @m:   guest memory; NULL or a NULL base is never in range.
 * @gpa: guest-physical start.
 * @len: length in bytes; 0 is in range for any @gpa <= size.
 *
 * Return: 0, or -ERANGE when the range is outside or @gpa + @len wraps.
 */
int mvm_gmem_check(const struct mvm_guest_mem *m, uint64_t gpa,
		   uint64_t len);

/*
 * mvm_gmem_ptr() - host pointer to [@gpa, @gpa + @len) of guest memory.
 * Same arguments as mvm_gmem_check().
 *
 * Return: the pointer, or NULL when mvm_gmem_check() would fail.
 */
void *mvm_gmem_ptr(const struct mvm_guest_mem *m, uint64_t gpa,
		   uint64_t len);

/*
 * mvm_gmem_write() - copy @len bytes from @src to guest-physical @gpa.
 * @src must not overlap guest memory.
 *
 * Return: 0, or -ERANGE (nothing written) as mvm_gmem_check().
 */
int mvm_gmem_write(const struct mvm_guest_mem *m, uint64_t gpa,
		   const void *src, uint64_t len);

/*
 * mvm_gmem_zero() - zero [@gpa, @gpa + @len) of guest memory.
 *
 * Return: 0, or -ERANGE (nothing written) as mvm_gmem_check().
 */
int mvm_gmem_zero(const struct mvm_guest_mem *m, uint64_t gpa,
		  uint64_t len);

/*
 * mvm_boot_ram_end() - end of the RAM below 4 GiB for @mem_size bytes
 * of guest memory: min(@mem_size, MVM_BOOT_MMIO_HOLE). Kernel, initrd
 * and boot tables all go below it.
 */
uint64_t mvm_boot_ram_end(uint64_t mem_size);

/* e820 types (zero-page.rst; ACPI 6.5, 15.1 "Address Range Types"). */
#define MVM_E820_RAM		1
#define MVM_E820_RESERVED	2

/* Most entries mvm_e820_build() and mvm_e820_build_acpi() produce. */
#define MVM_E820_MAX		5

struct mvm_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * mvm_e820_build() - the guest's memory map, shared by boot_params and
 * hvm_start_info.
 * @mem_size: size of guest memory (struct mvm_guest_mem.size).
 * @map:      receives the entries, in address order.
 * @max:      room at @map; MVM_E820_MAX always suffices.
 * @nr:       receives the number of entries.
 *
 * The map:
 *   [0, 0x9fc00)            RAM (low memory minus the last KiB)
 *   [0x9fc00, 0xa0000)      reserved: the MP table, where the EBDA is
 *   [1 MiB, ram_end)        RAM, ram_end = mvm_boot_ram_end(@mem_size)
 *   [4 GiB, @mem_size)      RAM, only when @mem_size > 4 GiB
 * 0xa0000-0xfffff (VGA, option ROMs, BIOS) appears in no entry, as on a
 * PC; Linux treats it as reserved. The 32-bit MMIO hole (IOAPIC, local
 * APIC, virtio-mmio) is in no entry either.
 *
 * Return: 0; -ENOSPC when @mem_size does not reach past 1 MiB (no room
 * for a kernel) or @max is too small.
 */
int mvm_e820_build(uint64_t mem_size, struct mvm_e820_entry *map,
		   unsigned int max, unsigned int *nr);

/*
 * mvm_e820_build_acpi() - mvm_e820_build(), plus, when @acpi is true,
 * [MVM_ACPI_BASE, MVM_ACPI_END) as reserved, after the EBDA entry: the
 * ACPI tables of mvm_acpi_write() live there. Reserved rather than
 * "ACPI reclaimable" (type 3): like the MP table's KiB, it is firmware
 * data the OS must leave alone, at the place a PC BIOS's ROM would be.
 * @max must then be one more than mvm_e820_build() needs.
 *
 * Return: as mvm_e820_build().
 */
int mvm_e820_build_acpi(uint64_t mem_size, bool acpi,
			struct mvm_e820_entry *map, unsigned int max,
			unsigned int *nr);

/* What to boot the kernel with. */
struct mvm_linux_args {
	const char *cmdline;	/* NUL-terminated; NULL means "" */
	const void *initrd;	/* NULL when @initrd_size is 0 */
	uint64_t initrd_size;	/* 0: no initrd */
};

/*
 * mvm_boot_cmdline_write() - copy @cmdline with its NUL to
 * MVM_BOOT_CMDLINE.
 * @max_len: longest accepted length, NUL excluded; it is also capped at
 *           MVM_BOOT_CMDLINE_MAX - 1.
 * @len:     receives strlen(@cmdline); may be NULL.
 *
 * Return: 0; -E2BIG (nothing written) when longer than allowed; -ENOSPC
 * when guest memory does not reach the command line area.
 */
int mvm_boot_cmdline_write(const struct mvm_guest_mem *m, const char *cmdline,
			   uint64_t max_len, uint64_t *len);

/*
 * mvm_initrd_place() - choose where an initrd of @size bytes goes.
 * @mem_size:   size of guest memory.
 * @size:       initrd size, > 0.
 * @limit:      first address the initrd may not reach (for a bzImage,
 *              initrd_addr_max + 1); capped at mvm_boot_ram_end().
 * @kstart:     start of the kernel's memory, page aligned or not.
 * @kend:       end of it: the initrd never overlaps [@kstart, @kend).
 * @addr:       receives the address.
 *
 * The address is page aligned, and the highest one whose initrd ends at
 * or below the limit without overlapping the kernel: above the kernel if
 * it fits there, else below it but above 1 MiB (where the boot tables
 * live). This is what boot.rst recommends (as high as possible) and keeps
 * the initrd out of the way of the kernel's decompression (init_size).
 *
 * Return: 0, or -ENOSPC when there is no such address.
 */
int mvm_initrd_place(uint64_t mem_size, uint64_t size, uint64_t limit,
		     uint64_t kstart, uint64_t kend, uint64_t *addr);

/*
 * Where a kernel was put and how to enter it: the result of the loaders.
 * @entry:        RIP (64-bit entry) or EIP (PVH entry), guest-physical.
 * @boot_info:    RSI (zero page) or EBX (hvm_start_info).
 * @kernel_start: first byte of guest memory the kernel uses,
 * @kernel_end:   and the end: loaded bytes, bss, and for a bzImage its
 *                init_size from the runtime start address.
 * @cmdline_addr: where the command line is; @cmdline_len its strlen().
 * @initrd_addr:  where the initrd is (0 when none); @initrd_size.
 * @acpi_rsdp:    the RSDP handed to the kernel: 0 from the loaders,
 *                set by mvm_boot_set_acpi().
 */
struct mvm_boot_info {
	uint64_t entry;
	uint64_t boot_info;
	uint64_t kernel_start;
	uint64_t kernel_end;
	uint64_t cmdline_addr;
	uint64_t cmdline_len;
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t acpi_rsdp;
};

/*
 * boot_params ("zero page") offsets used here, from the kernel's
 * Documentation/arch/x86/zero-page.rst and boot.rst (setup header).
 */
#define MVM_BP_SIZE		0x1000
#define MVM_BP_ACPI_RSDP_ADDR	0x070	/* u64, read by Linux 5.0+ */
#define MVM_BP_EXT_RAMDISK_IMAGE 0x0c0
#define MVM_BP_EXT_RAMDISK_SIZE	0x0c4
#define MVM_BP_EXT_CMD_LINE_PTR	0x0c8
#define MVM_BP_E820_ENTRIES	0x1e8
#define MVM_BP_SENTINEL		0x1ef
#define MVM_BP_HDR		0x1f1	/* setup header starts here */
#define MVM_BP_HDR_MAX_END	0x290	/* ... and ends at most here */
#define MVM_BP_E820_TABLE	0x2d0	/* 20 bytes an entry */
#define MVM_BP_E820_MAX		128

/* Setup header fields, at the same offsets in a bzImage and boot_params. */
#define MVM_HDR_SETUP_SECTS	0x1f1	/* u8, 0 means 4 */
#define MVM_HDR_SYSSIZE		0x1f4	/* u32, 16-byte units */
#define MVM_HDR_VID_MODE	0x1fa	/* u16 */
#define MVM_HDR_BOOT_FLAG	0x1fe	/* u16, 0xaa55 */
#define MVM_HDR_JUMP		0x200	/* jmp short: 0xeb, offset */
#define MVM_HDR_HEADER		0x202	/* u32 "HdrS" */
#define MVM_HDR_VERSION		0x206	/* u16 */
#define MVM_HDR_TYPE_OF_LOADER	0x210	/* u8 */
#define MVM_HDR_LOADFLAGS	0x211	/* u8 */
#define MVM_HDR_CODE32_START	0x214	/* u32 */
#define MVM_HDR_RAMDISK_IMAGE	0x218	/* u32 */
#define MVM_HDR_RAMDISK_SIZE	0x21c	/* u32 */
#define MVM_HDR_HEAP_END_PTR	0x224	/* u16 */
#define MVM_HDR_EXT_LOADER_VER	0x226	/* u8 */
#define MVM_HDR_EXT_LOADER_TYPE	0x227	/* u8 */
#define MVM_HDR_CMD_LINE_PTR	0x228	/* u32 */
#define MVM_HDR_INITRD_ADDR_MAX	0x22c	/* u32 */
#define MVM_HDR_KERNEL_ALIGN	0x230	/* u32 */
#define MVM_HDR_RELOCATABLE	0x234	/* u8 */
#define MVM_HDR_XLOADFLAGS	0x236	/* u16 */
#define MVM_HDR_CMDLINE_SIZE	0x238	/* u32 */
#define MVM_HDR_SETUP_DATA	0x250	/* u64 */
#define MVM_HDR_PREF_ADDRESS	0x258	/* u64 */
#define MVM_HDR_INIT_SIZE	0x260	/* u32 */
#define MVM_HDR_MIN_END		0x268	/* end of a 2.12 header */

#define MVM_HDR_MAGIC		0x53726448	/* "HdrS" */
#define MVM_HDR_BOOT_FLAG_MAGIC	0xaa55
#define MVM_HDR_MIN_VERSION	0x020c		/* 2.12: xloadflags */
#define MVM_LOADFLAG_LOADED_HIGH 0x01
#define MVM_LOADFLAG_CAN_USE_HEAP 0x80
#define MVM_XLF_KERNEL_64	0x0001
#define MVM_TYPE_OF_LOADER	0xff		/* "undefined" loader */
#define MVM_HEAP_END_PTR	0xfe00

/*
 * mvm_zeropage_write() - build boot_params at MVM_BOOT_ZERO_PAGE.
 * @m:       guest memory.
 * @hdr:     the setup header as found at 0x1f1 of a bzImage (@hdr[0] is
 *           setup_sects), copied to 0x1f1 before the fields below are
 *           set; boot.rst, "Details of Header Fields" and the 64-bit
 *           boot protocol.
 * @hdr_len: its length: at least MVM_HDR_MIN_END - 0x1f1, at most
 *           MVM_BP_HDR_MAX_END - 0x1f1.
 * @info:    the kernel's placement: @kernel_start goes to code32_start,
 *           @cmdline_addr, @initrd_addr and @initrd_size to their fields.
 *           All of them must be below 4 GiB. @acpi_rsdp goes to
 *           acpi_rsdp_addr and, when not 0, the e820 map reserves the
 *           ACPI region (mvm_e820_build_acpi()); it must be 0 or pass
 *           mvm_acpi_rsdp_valid().
 *
 * The rest of the page is zeroed, then: vid_mode 0xffff ("normal"),
 * type_of_loader 0xff, loadflags |= LOADED_HIGH | CAN_USE_HEAP,
 * heap_end_ptr 0xfe00, cmd_line_ptr, ramdisk_image/size, setup_data 0
 * and the e820 table (see @info). The ext_* high halves stay
 * 0: everything is below 4 GiB.
 *
 * Return: 0; -EINVAL for a bad @hdr_len, an address >= 4 GiB or a bad
 * @acpi_rsdp; -ENOSPC when guest memory is too small for the zero page
 * or the e820 map.
 */
int mvm_zeropage_write(const struct mvm_guest_mem *m, const uint8_t *hdr,
		       size_t hdr_len, const struct mvm_boot_info *info);

/*
 * mvm_bzimage_load() - load a bzImage for the 64-bit boot protocol.
 * @m:     guest memory, at least MVM_BOOT_HIGH_MEM plus the kernel.
 * @image: the whole bzImage file; must not overlap guest memory.
 * @len:   its length.
 * @args:  command line and initrd; NULL for neither.
 * @out:   receives the placement; @entry = load address + 0x200 (the
 *         64-bit entry, XLF_KERNEL_64), @boot_info = MVM_BOOT_ZERO_PAGE.
 *
 * Checks (boot.rst): boot_flag 0xaa55, "HdrS" at 0x202, a short jump at
 * 0x200 whose target (the header end) covers the 2.12 header, protocol
 * >= 2.12, XLF_KERNEL_64, setup_sects (0 means 4) within the image,
 * a non-empty protected-mode part at least syssize paragraphs long and,
 * for a relocatable kernel, a power-of-two kernel_alignment.
 *
 * Placement: a relocatable kernel whose pref_address is aligned to
 * kernel_alignment and at least 1 MiB goes to pref_address. Linux never
 * runs a relocatable kernel below its pref_address (LOAD_PHYSICAL_ADDR),
 * so loading it lower would save nothing: when [pref_address,
 * pref_address + init_size) does not fit in RAM below 4 GiB the load
 * fails with -ENOSPC instead of falling back. Any other kernel goes to
 * 0x100000, the protocol's default. The kernel needs [load, load +
 * protected-mode size) and [runtime start, runtime start + init_size),
 * where the runtime start is the load address rounded up to
 * kernel_alignment for a relocatable kernel and the load address
 * otherwise; both must be below mvm_boot_ram_end().
 *
 * The command line goes to MVM_BOOT_CMDLINE, at most cmdline_size bytes
 * (-E2BIG beyond); the initrd where mvm_initrd_place() says, below
 * initrd_addr_max + 1. The zero page is mvm_zeropage_write()'s.
 *
 * Return: 0; -EINVAL, -ENOEXEC, -ENOTSUP, -ENOSPC, -E2BIG as above.
 * Nothing is written to guest memory unless every check passed.
 */
int mvm_bzimage_load(const struct mvm_guest_mem *m, const void *image,
		     size_t len, const struct mvm_linux_args *args,
		     struct mvm_boot_info *out);

/* Xen's PVH entry note (xen/include/public/elfnote.h). */
#define MVM_XEN_ELFNOTE_PHYS32_ENTRY	18

/* Most program headers mvm_elf_load() accepts (Linux has about 5). */
#define MVM_ELF_MAX_PHNUM	64

/*
 * What mvm_elf_load() found.
 * @entry64:      physical address of the 64-bit entry (e_entry, see
 *                mvm_elf_load()).
 * @has_pvh:      a PVH entry note was found;
 * @pvh_entry:    then its 32-bit physical entry point.
 * @kernel_start: lowest p_paddr of the PT_LOAD segments,
 * @kernel_end:   highest p_paddr + p_memsz.
 */
struct mvm_elf_kernel {
	uint64_t entry64;
	bool has_pvh;
	uint32_t pvh_entry;
	uint64_t kernel_start;
	uint64_t kernel_end;
};

/*
 * mvm_elf_load() - load a vmlinux (ELF64, x86-64, ET_EXEC).
 * @m:     guest memory.
 * @image: the ELF file; must not overlap guest memory.
 * @len:   its length.
 * @out:   receives what was loaded.
 *
 * Checks (System V gABI, ELF-64 Object File Format 1.5): ELF magic,
 * ELFCLASS64, little endian, EV_CURRENT, ET_EXEC, EM_X86_64, e_phentsize
 * of an Elf64_Phdr, 1..MVM_ELF_MAX_PHNUM program headers inside the
 * file; for each PT_LOAD with p_memsz > 0: p_filesz <= p_memsz, the
 * file bytes inside the file, [p_paddr, p_paddr + p_memsz) within
 * [1 MiB, mvm_boot_ram_end()) and overlapping no other PT_LOAD. At
 * least one PT_LOAD. Segments are loaded by physical address, p_filesz
 * bytes copied and the rest up to p_memsz zeroed.
 *
 * PT_NOTE segments are searched for a "Xen" note of type 18
 * (XEN_ELFNOTE_PHYS32_ENTRY, xen/include/public/elfnote.h) with a 4-byte
 * or 8-byte (upper half zero) descriptor; the first one gives
 * @pvh_entry, which must lie inside a loaded segment.
 *
 * The 64-bit entry: Linux links vmlinux with ENTRY(phys_startup_64), so
 * e_entry is already physical (0x1000000 in Debian's 6.1). When e_entry
 * lies in some PT_LOAD's [p_paddr, p_paddr + p_memsz) it is taken as
 * physical. Otherwise, when it lies in some PT_LOAD's [p_vaddr, p_vaddr +
 * p_memsz), it is translated with the first such segment: p_paddr +
 * (e_entry - p_vaddr) (an older or foreign image linked with a virtual
 * entry). Physical first, because Linux's per-CPU segment has p_vaddr 0
 * and a virtual match there would be wrong.
 *
 * Return: 0; -EINVAL for bad arguments; -ENOEXEC for a malformed image,
 * a malformed note, or an entry in no segment; -ENOSPC for a segment
 * outside the usable RAM. Nothing is written unless every check passed.
 */
int mvm_elf_load(const struct mvm_guest_mem *m, const void *image,
		 size_t len, struct mvm_elf_kernel *out);

/* PVH start info (xen/include/public/arch-x86/hvm/start_info.h). */
#define MVM_PVH_MAGIC		0x336ec578
#define MVM_PVH_VERSION		1
#define MVM_PVH_START_INFO_SIZE	56
#define MVM_PVH_MODLIST		(MVM_BOOT_PVH_INFO + 0x40)
#define MVM_PVH_MODLIST_SIZE	32
#define MVM_PVH_MEMMAP		(MVM_BOOT_PVH_INFO + 0x80)
#define MVM_PVH_MEMMAP_SIZE	24

/*
 * mvm_pvh_setup() - command line, initrd and hvm_start_info for the PVH
 * entry of a kernel mvm_elf_load() loaded.
 * @m:    guest memory.
 * @k:    the loaded kernel; it must have a PVH note.
 * @args: command line (at most MVM_BOOT_CMDLINE_MAX - 1 bytes) and
 *        initrd; NULL for neither.
 * @out:  receives the placement; @entry = @k->pvh_entry, @boot_info =
 *        MVM_BOOT_PVH_INFO (for EBX).
 *
 * hvm_start_info: magic 0x336ec578, version 1, flags 0, cmdline_paddr,
 * one module (the initrd, no command line of its own) when there is an
 * initrd, rsdp_paddr 0 (no ACPI: Linux finds the MP table, until
 * mvm_boot_set_acpi() says otherwise), and the memory map of
 * mvm_e820_build() at MVM_PVH_MEMMAP. The initrd goes
 * where mvm_initrd_place() says, below mvm_boot_ram_end().
 *
 * Return: 0; -EINVAL; -ENOTSUP without a PVH note; -E2BIG; -ENOSPC.
 */
int mvm_pvh_setup(const struct mvm_guest_mem *m,
		  const struct mvm_elf_kernel *k,
		  const struct mvm_linux_args *args, struct mvm_boot_info *out);

/*
 * mvm_elf_setup_linux64() - command line, initrd and a zero page for
 * entering a loaded vmlinux at its 64-bit entry (@k->entry64), the way
 * the bzImage decompressor enters it.
 * @m, @args: as mvm_pvh_setup(); @out->entry = @k->entry64, @boot_info
 *            = MVM_BOOT_ZERO_PAGE.
 *
 * A vmlinux has no setup header, so one is made up: boot_flag, "HdrS",
 * version 2.12, kernel_alignment 2 MiB, initrd_addr_max and cmdline_size
 * describing what this function placed; then mvm_zeropage_write().
 *
 * Return: 0; -EINVAL; -E2BIG; -ENOSPC.
 */
int mvm_elf_setup_linux64(const struct mvm_guest_mem *m,
			  const struct mvm_elf_kernel *k,
			  const struct mvm_linux_args *args,
			  struct mvm_boot_info *out);

/*
 * The vCPU state to start a guest in, for MVM_SET_REGS/MVM_SET_SREGS
 * (see mvm_boot_regs_apply()). Segment fields are those of struct
 * mvm_segment (Intel SDM Vol. 3A 3.4.5); @ds is loaded into DS, ES, FS,
 * GS and SS.
 */
struct mvm_boot_regs {
	uint64_t rip, rsp, rsi, rbx, rflags;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	struct mvm_segment cs, ds, tr;
};

/*
 * mvm_boot64_setup() - GDT, identity page tables and register state for
 * Linux's 64-bit boot protocol (boot.rst, "64-bit Boot Protocol").
 * @m:         guest memory, at least 0xf000 bytes.
 * @entry:     RIP, below 4 GiB (from mvm_bzimage_load() or
 *             mvm_elf_setup_linux64()).
 * @zero_page: RSI, below 4 GiB.
 * @regs:      receives the state.
 *
 * Writes the GDT at MVM_BOOT_GDT and page tables mapping guest-virtual
 * 0..4 GiB to the same physical addresses with 2 MiB pages, present and
 * writable (PML4 at MVM_BOOT_PML4, PDPT, four page directories). 2 MiB
 * pages work on every x86-64 CPU; 1 GiB pages would need CPUID
 * Page1GB in the guest's table and save only four page-table pages.
 * Linux replaces the tables and GDT within its first instructions.
 *
 * State: CS = 0x10 (64-bit code, L=1), DS/ES/FS/GS/SS = 0x18 (flat data),
 * TR a busy TSS at 0 limit 0x67, CR0 = PE|ET|PG, CR4 = PAE, EFER =
 * LME|LMA, CR3 = MVM_BOOT_PML4, RFLAGS = 0x2 (interrupts off), RSP =
 * MVM_BOOT_STACK_TOP, RSI = @zero_page, RIP = @entry.
 *
 * Return: 0; -EINVAL for NULL arguments (or a NULL base) or addresses
 * >= 4 GiB; -ENOSPC when guest memory does not hold the tables.
 */
int mvm_boot64_setup(const struct mvm_guest_mem *m, uint64_t entry,
		     uint64_t zero_page, struct mvm_boot_regs *regs);

/*
 * mvm_boot_pvh_setup() - GDT and register state for the PVH entry (Xen
 * docs/misc/pvh.pandoc, "Initial state"): 32-bit protected mode, paging
 * off.
 * @m:          guest memory, at least MVM_BOOT_GDT + 4 KiB.
 * @entry:      EIP (struct mvm_elf_kernel.pvh_entry).
 * @start_info: EBX (MVM_BOOT_PVH_INFO from mvm_pvh_setup()), < 4 GiB.
 * @regs:       receives the state.
 *
 * State: CS = 0x08 (32-bit flat code), DS/ES/FS/GS/SS = 0x18 (32-bit
 * flat data), TR a 32-bit busy TSS at 0 limit 0x67, CR0 = PE|ET, CR4 = 0,
 * EFER = 0, RFLAGS = 0x2, RBX = @start_info, RIP = @entry, RSP =
 * MVM_BOOT_STACK_TOP (the ABI leaves ESP undefined).
 *
 * Return: 0; -EINVAL; -ENOSPC when guest memory does not hold the GDT.
 */
int mvm_boot_pvh_setup(const struct mvm_guest_mem *m, uint32_t entry,
		       uint64_t start_info, struct mvm_boot_regs *regs);

/*
 * mvm_boot_regs_apply() - put @b into the register structs of a vCPU.
 * @regs:  general registers; all set (zero except RIP, RSP, RSI, RBX,
 *         RFLAGS).
 * @sregs: special registers as MVM_GET_SREGS returned them: segments,
 *         LDT (unusable), GDT, IDT (base 0, limit 0), CR0, CR2 (0), CR3,
 *         CR4, CR8 (0) and EFER are set; apic_base and the rest stay.
 * Does nothing when an argument is NULL.
 */
void mvm_boot_regs_apply(const struct mvm_boot_regs *b, struct mvm_regs *regs,
			 struct mvm_sregs *sregs);

/*
 * The guest CPUID table (cpuid.c has the policy, leaf by leaf).
 * @tsc_khz:  guest TSC frequency in kHz, at least 1000.
 * @nr_vcpus: vCPUs in the VM, 1..MVM_CPUID_MAX_VCPUS.
 * @vcpu_id:  the vCPU this table is for, < @nr_vcpus: its APIC ID and
 *            x2APIC ID (the table is per vCPU because leaf 0xB reports
 *            the x2APIC ID).
 */
struct mvm_cpuid_config {
	uint32_t tsc_khz;
	uint32_t nr_vcpus;
	uint32_t vcpu_id;
};

/* One package of N cores, one thread each; APIC IDs 0..N-1. */
#define MVM_CPUID_MAX_VCPUS	255
/* Hypervisor leaves: signature and range (0x40000000.EAX). */
#define MVM_CPUID_SIGNATURE	"KVMKVMKVM\0\0\0"
#define MVM_CPUID_HV_MAX_LEAF	0x40000010
/* Core crystal clock of leaf 0x15, and the APIC timer's frequency. */
#define MVM_CPUID_CRYSTAL_HZ	1000000
/* Highest basic leaf of the guest table. */
#define MVM_CPUID_MAX_BASIC	0x16
/* Highest extended leaf of the guest table. */
#define MVM_CPUID_MAX_EXT	0x80000008

/*
 * mvm_cpuid_build() - build a vCPU's CPUID table from the host's.
 * @host:    host leaves as CPUID returned them: leaf 0 required, subleaf
 *           leaves (4, 7, 0xD) one entry per subleaf with @index set;
 *           absent leaves read as zeros. @flags and @reserved ignored.
 * @nr_host: number of @host entries.
 * @cfg:     TSC frequency and topology.
 * @out:     receives the table for MVM_SET_CPUID.
 * @max_out: room at @out (64 is plenty for any host).
 * @nr_out:  receives the number of entries.
 *
 * Return: 0; -EINVAL for bad arguments or a host table without leaf 0;
 * -ENOSPC when @max_out is too small.
 */
int mvm_cpuid_build(const struct mvm_cpuid_entry *host, unsigned int nr_host,
		    const struct mvm_cpuid_config *cfg,
		    struct mvm_cpuid_entry *out, unsigned int max_out,
		    unsigned int *nr_out);

/* MP tables (Intel MultiProcessor Specification 1.4, chapter 4). */
#define MVM_MP_IOAPIC_ADDR	0xfec00000U
#define MVM_MP_LAPIC_ADDR	0xfee00000U
#define MVM_MP_ISA_IRQS		16

/*
 * mvm_mptable_size() - bytes the floating pointer and configuration
 * table take for @nr_vcpus processors.
 */
uint64_t mvm_mptable_size(unsigned int nr_vcpus);

/*
 * mvm_mptable_max_vcpus() - the most vCPUs whose MP table fits in the
 * EBDA KiB at MVM_BOOT_EBDA (40).
 */
unsigned int mvm_mptable_max_vcpus(void);

/*
 * mvm_mptable_write() - write the MP floating pointer at MVM_BOOT_EBDA
 * and the configuration table right after it.
 * @m:        guest memory, at least MVM_BOOT_LOW_RAM_END bytes.
 * @nr_vcpus: processors, APIC IDs 0..@nr_vcpus-1, 0 the bootstrap one.
 *
 * Entries: one processor each (enabled, APIC version 0x14, family 6
 * signature, FPU and APIC feature flags); bus 0 "ISA"; the IOAPIC, ID
 * @nr_vcpus, version 0x11, at 0xfec00000; ISA IRQ n -> IOAPIC pin n for
 * n = 0..15, INT, polarity and trigger conforming to the bus (edge, high);
 * local interrupts LINT0 ExtINT and LINT1 NMI on every local APIC. The
 * floating pointer says "configuration table present" and virtual-wire
 * mode (no IMCR). Both checksums make their structure sum to 0. Linux
 * finds the floating pointer by scanning the last KiB of 640 KiB.
 *
 * Return: 0; -EINVAL for zero vCPUs or no guest memory; -ENOSPC for
 * more than mvm_mptable_max_vcpus() or memory without the EBDA.
 */
int mvm_mptable_write(const struct mvm_guest_mem *m, unsigned int nr_vcpus);

/*
 * ACPI tables (acpi.c; ACPI Specification 6.5). Linux kernels whose
 * virtio_mmio driver lacks CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES (Debian's)
 * find virtio-mmio devices only in the DSDT, so mvm writes a minimal,
 * hardware-reduced set: RSDP, XSDT, FADT, MADT, DSDT. The MP table
 * stays; Linux prefers the MADT when both are there. Calls: the loader
 * and mvm_acpi_write() in either order, then mvm_boot_set_acpi() with
 * the loader's struct mvm_boot_info (Documentation/acpi.rst).
 *
 * The region is the top of the PC BIOS area, which Linux also scans for
 * the RSDP (ACPI 6.5, 5.2.5.1) when no boot protocol field names it.
 */
#define MVM_ACPI_BASE		0xe0000ULL
#define MVM_ACPI_END		0x100000ULL
#define MVM_ACPI_RSDP		MVM_ACPI_BASE	/* where the RSDP goes */
#define MVM_ACPI_RSDP_SIZE	36		/* revision 2 */

/* vCPUs: APIC IDs 0..254, each a Processor Local APIC structure. */
#define MVM_ACPI_MAX_VCPUS	255
/* virtio-mmio devices: one IOAPIC input each. */
#define MVM_ACPI_MAX_VIRTIO	MVM_IOAPIC_PINS

/*
 * Legacy devices the DSDT describes (struct mvm_acpi_config.legacy), at
 * their PC addresses and ISA IRQs (= GSIs, no overrides). They must be
 * described: on a hardware-reduced machine Linux has no legacy PIC and
 * numbers IOAPIC interrupts dynamically, so it maps an ISA IRQ only for
 * a device the namespace names. A driver asking for IRQ 4 or 8 by number
 * gets nothing (a console on an undescribed COM1 cannot be opened from
 * user space).
 */
#define MVM_ACPI_COM1		0x1	/* 16550A, ports 0x3f8-0x3ff, IRQ 4 */
#define MVM_ACPI_I8042		0x2	/* ports 0x60, 0x64, IRQs 1 and 12 */
#define MVM_ACPI_RTC		0x4	/* CMOS RTC, ports 0x70-0x71, IRQ 8 */
#define MVM_ACPI_LEGACY_ALL	(MVM_ACPI_COM1 | MVM_ACPI_I8042 | \
				 MVM_ACPI_RTC)

/*
 * The hardware-reduced sleep registers (FADT SLEEP_CONTROL_REG and
 * SLEEP_STATUS_REG, ACPI 6.5, 4.8.3.7 and 4.8.3.8), one byte each in
 * I/O space. The guest powers off by writing SLP_EN with the SLP_TYP of
 * the DSDT's \_S5 package to the control register: Linux writes 0x34.
 * A VMM port handler ends the VM when mvm_acpi_sleep_is_poweroff() says
 * so; other writes (other sleep types) and the status register are
 * ignored, reads return 0.
 */
#define MVM_ACPI_SLEEP_PORT		0x600	/* control, write-only */
#define MVM_ACPI_SLEEP_STATUS_PORT	0x601	/* status */
#define MVM_ACPI_SLP_TYP_SHIFT		2	/* SLP_TYPx, bits 4:2 */
#define MVM_ACPI_SLP_TYP_MASK		0x1c
#define MVM_ACPI_SLP_EN			0x20	/* bit 5 */
#define MVM_ACPI_WAK_STS		0x80	/* status register bit 7 */
#define MVM_ACPI_S5_SLP_TYP		5	/* \_S5 package element 0 */

/* mvm_acpi_sleep_is_poweroff() - is @v, written to MVM_ACPI_SLEEP_PORT,
 * the guest entering S5 (soft off)? */
static inline bool mvm_acpi_sleep_is_poweroff(uint8_t v)
{
	return (v & MVM_ACPI_SLP_EN) &&
	       (v & MVM_ACPI_SLP_TYP_MASK) >> MVM_ACPI_SLP_TYP_SHIFT ==
	       MVM_ACPI_S5_SLP_TYP;
}

/*
 * The FADT's reset register, present when the i8042 is described: the
 * i8042 command port and its "pulse the reset line" command, so an
 * ACPI reboot is the i8042 reboot mvm already handles.
 */
#define MVM_ACPI_RESET_PORT	0x64
#define MVM_ACPI_RESET_VALUE	0xfe

/*
 * mvm_acpi_rsdp_valid() - may @gpa be handed to a kernel as its RSDP
 * (mvm_boot_set_acpi())? 0 (no ACPI) is; otherwise a 16-byte aligned
 * address whose RSDP lies inside [MVM_ACPI_BASE, MVM_ACPI_END).
 */
static inline bool mvm_acpi_rsdp_valid(uint64_t gpa)
{
	return !gpa || (gpa >= MVM_ACPI_BASE && !(gpa & 15) &&
			gpa <= MVM_ACPI_END - MVM_ACPI_RSDP_SIZE);
}

/*
 * One virtio-mmio device of the DSDT.
 * @base: start of its register window; @base + @size at most 4 GiB.
 * @size: window length, > 0 (MVM_VIRTIO_MMIO_SIZE).
 * @gsi:  its IOAPIC input, < MVM_IOAPIC_PINS, used by no other device.
 */
struct mvm_acpi_virtio {
	uint64_t base;
	uint32_t size;
	uint32_t gsi;
};

/*
 * What the tables describe.
 * @nr_vcpus:  1..MVM_ACPI_MAX_VCPUS, APIC IDs 0..@nr_vcpus-1 (as the MP
 *             table and the CPUID table say).
 * @legacy:    MVM_ACPI_* legacy devices present; other bits are -EINVAL.
 * @virtio:    the virtio-mmio devices, @nr_virtio of them (NULL if 0);
 *             device i is \_SB.VRxx with xx = i in hex, _UID i.
 */
struct mvm_acpi_config {
	uint32_t nr_vcpus;
	uint32_t legacy;
	const struct mvm_acpi_virtio *virtio;
	unsigned int nr_virtio;
};

/*
 * mvm_acpi_write() - write the ACPI tables in [MVM_ACPI_BASE,
 * MVM_ACPI_END), RSDP at MVM_ACPI_RSDP.
 * @m:    guest memory; it must reach MVM_ACPI_END.
 * @cfg:  what to describe.
 * @rsdp: receives the RSDP's address, for mvm_boot_set_acpi().
 *
 * Tables (Documentation/acpi.rst has the details and the reasons):
 *   RSDP   revision 2, XSDT address, both checksums; no RSDT.
 *   XSDT   FADT, MADT.
 *   FADT   revision 6.5, HW_REDUCED_ACPI: no FACS, no SCI, no PM
 *          timer; power and sleep buttons not fixed features; sleep
 *          control/status registers at MVM_ACPI_SLEEP_PORT/_STATUS_PORT;
 *          with the i8042, the 8042 boot flag and the reset register;
 *          "VGA not present"; "CMOS RTC not present" without the RTC.
 *   MADT   local APIC 0xfee00000, PCAT_COMPAT clear (no 8259), one
 *          Processor Local APIC per vCPU (UID = APIC ID = i, enabled),
 *          the IOAPIC (ID @nr_vcpus as in the MP table, 0xfec00000, GSI
 *          base 0), local APIC NMI on LINT1 of every processor. No
 *          interrupt source overrides: ISA IRQ n is GSI n,
 *          edge-triggered, active high.
 *   DSDT   \_S5 (SLP_TYP MVM_ACPI_S5_SLP_TYP), and in \_SB the legacy
 *          devices (PNP0501, PNP0303 + PNP0F13, PNP0B00) and one
 *          LNRO0005 device per virtio-mmio window with Memory32Fixed and
 *          an edge, active-high, exclusive Interrupt.
 * OEM ID "MVM   ", creator "MVM ". The region is zeroed first and the
 * RSDP written last, so a failure leaves no RSDP behind.
 *
 * Return: 0; -EINVAL for NULL arguments, zero vCPUs, unknown @legacy
 * bits, NULL @virtio with @nr_virtio > 0, an empty window or one that
 * ends above 4 GiB, a GSI >= MVM_IOAPIC_PINS or used twice (legacy IRQs
 * included); -ENOSPC for more than MVM_ACPI_MAX_VCPUS vCPUs or
 * MVM_ACPI_MAX_VIRTIO devices, guest memory that does not reach
 * MVM_ACPI_END, or tables that outgrow the region. Nothing is written
 * unless the arguments are valid.
 */
int mvm_acpi_write(const struct mvm_guest_mem *m,
		   const struct mvm_acpi_config *cfg, uint64_t *rsdp);

/*
 * mvm_boot_set_acpi() - tell a loaded kernel where the ACPI tables are.
 * @m:    guest memory, as the loader left it.
 * @info: the loader's result (mvm_bzimage_load(), mvm_elf_setup_linux64()
 *        or mvm_pvh_setup()); @info->boot_info says which structure to
 *        update, and @info->acpi_rsdp receives @rsdp.
 * @rsdp: from mvm_acpi_write(); 0 takes ACPI away again.
 *
 * For a zero page (MVM_BOOT_ZERO_PAGE): boot_params.acpi_rsdp_addr
 * (offset 0x070, read by Linux 5.0 and later; older kernels find the
 * RSDP by scanning the BIOS area, where it is too). For PVH
 * (MVM_BOOT_PVH_INFO): hvm_start_info.rsdp_paddr. In both, the e820 map
 * is rewritten by mvm_e820_build_acpi(), so that a non-zero @rsdp
 * reserves [MVM_ACPI_BASE, MVM_ACPI_END). Call it after the loader and
 * before the vCPU runs; it works whether mvm_acpi_write() ran before or
 * after the loader (their areas are apart).
 *
 * Return: 0; -EINVAL for NULL arguments, an @rsdp that fails
 * mvm_acpi_rsdp_valid(), or an @info whose boot structure is not there
 * (unknown @boot_info, no "HdrS" in the zero page, no PVH magic);
 * -ENOSPC when guest memory does not hold it. Nothing is written on
 * failure.
 */
int mvm_boot_set_acpi(const struct mvm_guest_mem *m,
		      struct mvm_boot_info *info, uint64_t rsdp);

#endif /* MVM_LOADER_H */
