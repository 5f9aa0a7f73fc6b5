// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI tables for a firmware-less guest: RSDP, XSDT, FADT, MADT and a
 * DSDT, hardware-reduced (ACPI 6.5, 4.1 "Hardware-Reduced ACPI"), so
 * there is no FACS, no SCI, no PM timer or PM1 event and control blocks
 * to emulate: only two one-byte sleep registers for power-off.
 *
 * Layouts are from ACPI 6.5: 5.2.5.3 (RSDP), 5.2.6 (table header), 5.2.8
 * (XSDT), 5.2.9 (FADT, with 5.2.9.3 IA-PC boot architecture flags and
 * 5.2.3.2 the generic address structure), 5.2.12 (MADT), 7.4.2 (\_Sx)
 * and chapter 20 (AML, through aml.c).
 *
 * Everything goes in [MVM_ACPI_BASE, MVM_ACPI_END): the RSDP at the
 * start, then each table at the next 16-byte boundary, the DSDT last
 * because only its size varies much. mvm_boot_set_acpi() then points the
 * kernel's boot structure (zero page or PVH start info) at the RSDP and
 * reserves the region in its e820 map.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aml.h"
#include "loader.h"

#define REGION_SIZE	(MVM_ACPI_END - MVM_ACPI_BASE)
#define TABLE_ALIGN	16

#define OEM_ID		"MVM   "	/* 6 bytes */
#define OEM_REVISION	1
#define CREATOR_ID	"MVM "		/* 4 bytes */
#define CREATOR_REV	1

/* System description table header (5.2.6). */
#define HDR_SIZE	36
#define HDR_LENGTH	4
#define HDR_REVISION	8
#define HDR_CHECKSUM	9
#define HDR_OEM_ID	10
#define HDR_OEM_TABLE	16
#define HDR_OEM_REV	24
#define HDR_CREATOR	28
#define HDR_CREATOR_REV	32

/* RSDP (5.2.5.3). */
#define RSDP_CHECKSUM	8
#define RSDP_OEM_ID	9
#define RSDP_REVISION	15
#define RSDP_LENGTH	20
#define RSDP_XSDT	24
#define RSDP_EXT_CHECKSUM 32
#define RSDP_V1_SIZE	20		/* what the first checksum covers */

#define XSDT_ENTRIES	2		/* FADT, MADT */

/* FADT (5.2.9), revision 6 minor 5: 276 bytes. */
#define FADT_SIZE	276
#define FADT_REVISION	6
#define FADT_MINOR	5
#define FADT_DSDT	40
#define FADT_PM_PROFILE	45
#define FADT_BOOT_ARCH	109
#define FADT_FLAGS	112
#define FADT_RESET_REG	116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VER	131
#define FADT_X_DSDT	140
#define FADT_SLEEP_CTL	244
#define FADT_SLEEP_STS	256

/* FADT flags (Table 5.10). */
#define FADT_F_PWR_BUTTON	(1U << 4)
#define FADT_F_SLP_BUTTON	(1U << 5)
#define FADT_F_RESET_REG_SUP	(1U << 10)
#define FADT_F_HW_REDUCED	(1U << 20)

/* IA-PC boot architecture flags (Table 5.11). */
#define BOOT_LEGACY_DEVICES	(1U << 0)
#define BOOT_8042		(1U << 1)
#define BOOT_VGA_NOT_PRESENT	(1U << 2)
#define BOOT_CMOS_RTC_NOT_PRESENT (1U << 5)

/* Generic address structure (5.2.3.2): 12 bytes. */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

/* MADT (5.2.12). */
#define MADT_REVISION		5
#define MADT_LAPIC_ADDR		36
#define MADT_FLAGS		40
#define MADT_ENTRIES		44
#define MADT_LAPIC		0	/* Processor Local APIC, 8 bytes */
#define MADT_LAPIC_SIZE		8
#define MADT_LAPIC_ENABLED	0x1
#define MADT_IOAPIC		1	/* I/O APIC, 12 bytes */
#define MADT_IOAPIC_SIZE	12
#define MADT_LAPIC_NMI		4	/* Local APIC NMI, 6 bytes */
#define MADT_LAPIC_NMI_SIZE	6
#define MADT_ALL_PROCESSORS	0xff

#define DSDT_REVISION		2	/* 64-bit integers */

/* The PC's legacy devices, as mvm's devices.c places them. */
#define COM1_PORT	0x3f8
#define COM1_NR_PORTS	8
#define COM1_IRQ	4
#define I8042_DATA_PORT	0x60
#define I8042_CMD_PORT	0x64
#define I8042_KBD_IRQ	1
#define I8042_AUX_IRQ	12
#define RTC_PORT	0x70
#define RTC_NR_PORTS	2
#define RTC_IRQ		8

/* Room for one device's _CRS resource template. */
#define CRS_MAX		64

/* Where each table goes, as offsets into the region. */
struct acpi_layout {
	uint64_t xsdt, fadt, madt, dsdt;
	uint32_t madt_len;
};

static uint64_t align_up(uint64_t v)
{
	return (v + TABLE_ALIGN - 1) & ~(uint64_t)(TABLE_ALIGN - 1);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* The header of a table of @len bytes; the checksum comes last. */
static void put_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev,
		       const char *oem_table)
{
	memcpy(t, sig, 4);
	mvm_put_le32(t + HDR_LENGTH, len);
	t[HDR_REVISION] = rev;
	memcpy(t + HDR_OEM_ID, OEM_ID, 6);
	memcpy(t + HDR_OEM_TABLE, oem_table, 8);
	mvm_put_le32(t + HDR_OEM_REV, OEM_REVISION);
	memcpy(t + HDR_CREATOR, CREATOR_ID, 4);
	mvm_put_le32(t + HDR_CREATOR_REV, CREATOR_REV);
}

static void seal(uint8_t *t, uint32_t len)
{
	t[HDR_CHECKSUM] = 0;
	t[HDR_CHECKSUM] = checksum(t, len);
}

/* A one-byte register in I/O space. */
static void put_gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = 8;			/* register bit width */
	p[2] = 0;			/* register bit offset */
	p[3] = GAS_ACCESS_BYTE;
	mvm_put_le64(p + 4, port);
}

/* The ISA IRQs the described legacy devices use, as a mask. */
static uint32_t legacy_irqs(uint32_t legacy)
{
	uint32_t mask = 0;

	if (legacy & MVM_ACPI_COM1)
		mask |= 1U << COM1_IRQ;
	if (legacy & MVM_ACPI_I8042)
		mask |= 1U << I8042_KBD_IRQ | 1U << I8042_AUX_IRQ;
	if (legacy & MVM_ACPI_RTC)
		mask |= 1U << RTC_IRQ;
	return mask;
}

static int check_config(const struct mvm_acpi_config *cfg)
{
	uint32_t used;
	unsigned int i;

	if (!cfg->nr_vcpus || cfg->legacy & ~(uint32_t)MVM_ACPI_LEGACY_ALL ||
	    (cfg->nr_virtio && !cfg->virtio))
		return -EINVAL;
	if (cfg->nr_vcpus > MVM_ACPI_MAX_VCPUS ||
	    cfg->nr_virtio > MVM_ACPI_MAX_VIRTIO)
		return -ENOSPC;

	_Static_assert(MVM_IOAPIC_PINS <= 32, "GSI mask");
	used = legacy_irqs(cfg->legacy);
	for (i = 0; i < cfg->nr_virtio; i++) {
		const struct mvm_acpi_virtio *v = &cfg->virtio[i];

		/* Memory32Fixed: the window ends at or below 4 GiB. */
		if (!v->size || v->base > MVM_BOOT_4G - v->size)
			return -EINVAL;
		if (v->gsi >= MVM_IOAPIC_PINS || used & 1U << v->gsi)
			return -EINVAL;
		used |= 1U << v->gsi;
	}
	return 0;
}

static void put_rsdp(uint8_t *p, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, OEM_ID, 6);
	p[RSDP_REVISION] = 2;
	/* RsdtAddress stays 0: an OS that understands revision 2 uses the
	 * XSDT, and mvm has no RSDT. */
	mvm_put_le32(p + RSDP_LENGTH, MVM_ACPI_RSDP_SIZE);
	mvm_put_le64(p + RSDP_XSDT, xsdt);
	p[RSDP_CHECKSUM] = checksum(p, RSDP_V1_SIZE);
	p[RSDP_EXT_CHECKSUM] = checksum(p, MVM_ACPI_RSDP_SIZE);
}

static void put_xsdt(uint8_t *t, uint64_t fadt, uint64_t madt)
{
	uint32_t len = HDR_SIZE + 8 * XSDT_ENTRIES;

	put_header(t, "XSDT", len, 1, "MVMXSDT ");
	mvm_put_le64(t + HDR_SIZE, fadt);
	mvm_put_le64(t + HDR_SIZE + 8, madt);
	seal(t, len);
}

static void put_fadt(uint8_t *t, uint64_t dsdt, uint32_t legacy)
{
	uint32_t flags = FADT_F_HW_REDUCED | FADT_F_PWR_BUTTON |
			 FADT_F_SLP_BUTTON;
	uint16_t boot = BOOT_VGA_NOT_PRESENT;

	put_header(t, "FACP", FADT_SIZE, FADT_REVISION, "MVMFACP ");
	/*
	 * Hardware-reduced: FIRMWARE_CTRL/X_FIRMWARE_CTRL (no FACS),
	 * SCI_INT, SMI_CMD, the PM1/PM2/PM timer/GPE blocks and their
	 * lengths stay 0 (5.2.9: "ignored by OSPM" on such a machine).
	 * Preferred_PM_Profile 0 is "unspecified".
	 */
	mvm_put_le32(t + FADT_DSDT, (uint32_t)dsdt);
	mvm_put_le64(t + FADT_X_DSDT, dsdt);
	t[FADT_PM_PROFILE] = 0;

	if (legacy)
		boot |= BOOT_LEGACY_DEVICES;
	if (legacy & MVM_ACPI_I8042) {
		/* Bit set: there is an 8042. Clear, Linux skips its i8042
		 * driver's probe of the ports. */
		boot |= BOOT_8042;
		flags |= FADT_F_RESET_REG_SUP;
		put_gas_io8(t + FADT_RESET_REG, MVM_ACPI_RESET_PORT);
		t[FADT_RESET_VALUE] = MVM_ACPI_RESET_VALUE;
	}
	if (!(legacy & MVM_ACPI_RTC))
		boot |= BOOT_CMOS_RTC_NOT_PRESENT;
	mvm_put_le16(t + FADT_BOOT_ARCH, boot);
	/*
	 * PWR_BUTTON and SLP_BUTTON set mean "no fixed-feature button";
	 * there is no control-method one either: the VMM stops a guest
	 * from outside, not through a button.
	 */
	mvm_put_le32(t + FADT_FLAGS, flags);
	t[FADT_MINOR_VER] = FADT_MINOR;
	put_gas_io8(t + FADT_SLEEP_CTL, MVM_ACPI_SLEEP_PORT);
	put_gas_io8(t + FADT_SLEEP_STS, MVM_ACPI_SLEEP_STATUS_PORT);
	seal(t, FADT_SIZE);
}

static uint32_t madt_size(uint32_t nr_vcpus)
{
	return MADT_ENTRIES + nr_vcpus * MADT_LAPIC_SIZE + MADT_IOAPIC_SIZE +
	       MADT_LAPIC_NMI_SIZE;
}

static void put_madt(uint8_t *t, uint32_t nr_vcpus)
{
	uint32_t len = madt_size(nr_vcpus), i;
	uint8_t *p = t + MADT_ENTRIES;

	put_header(t, "APIC", len, MADT_REVISION, "MVMAPIC ");
	mvm_put_le32(t + MADT_LAPIC_ADDR, MVM_MP_LAPIC_ADDR);
	/* PCAT_COMPAT (bit 0) clear: there is no 8259 to mask. */
	mvm_put_le32(t + MADT_FLAGS, 0);

	/*
	 * APIC IDs below 255 are described with Processor Local APIC
	 * structures, whether the guest runs its APIC in xAPIC or x2APIC
	 * mode (5.2.12.12: x2APIC structures are for IDs of 255 and up);
	 * Linux registers these for an x2APIC guest as well, and 6.x
	 * ignores x2APIC structures with small IDs when local APIC ones
	 * exist.
	 */
	for (i = 0; i < nr_vcpus; i++) {
		p[0] = MADT_LAPIC;
		p[1] = MADT_LAPIC_SIZE;
		p[2] = (uint8_t)i;		/* ACPI processor UID */
		p[3] = (uint8_t)i;		/* APIC ID */
		mvm_put_le32(p + 4, MADT_LAPIC_ENABLED);
		p += MADT_LAPIC_SIZE;
	}

	p[0] = MADT_IOAPIC;
	p[1] = MADT_IOAPIC_SIZE;
	p[2] = (uint8_t)nr_vcpus;		/* the MP table's IOAPIC ID */
	p[3] = 0;
	mvm_put_le32(p + 4, MVM_MP_IOAPIC_ADDR);
	mvm_put_le32(p + 8, 0);			/* GSI base */
	p += MADT_IOAPIC_SIZE;

	/* NMI on LINT1 of every local APIC, polarity and trigger
	 * conforming, as the MP table's local interrupt entry. */
	p[0] = MADT_LAPIC_NMI;
	p[1] = MADT_LAPIC_NMI_SIZE;
	p[2] = MADT_ALL_PROCESSORS;
	mvm_put_le16(p + 3, 0);
	p[5] = 1;				/* LINT1 */

	seal(t, len);
}

/* Name(_CRS, ResourceTemplate () { ... }) from a built template. */
static void put_crs(struct mvm_aml *a, struct mvm_aml *res)
{
	mvm_aml_res_end(res);
	if (res->err) {
		if (!a->err)
			a->err = res->err;
		return;
	}
	mvm_aml_name_begin(a, "_CRS");
	mvm_aml_buffer(a, res->buf, res->len);
}

/* Device(@name) { Name(_HID, EISAID(@hid)) Name(_CRS, ...) } */
static void put_legacy(struct mvm_aml *a, const char *name, const char *hid,
		       const uint16_t *ports, const uint8_t *nr_ports,
		       unsigned int nr_ranges, unsigned int irq)
{
	uint8_t crs[CRS_MAX];
	struct mvm_aml res;
	unsigned int i;
	size_t dev;

	mvm_aml_init(&res, crs, sizeof(crs));
	for (i = 0; i < nr_ranges; i++)
		mvm_aml_res_io(&res, ports[i], nr_ports[i]);
	mvm_aml_res_irq(&res, irq);

	dev = mvm_aml_device_begin(a, name);
	mvm_aml_name_begin(a, "_HID");
	mvm_aml_eisaid(a, hid);
	put_crs(a, &res);
	mvm_aml_end(a, dev);
}

static void put_legacy_devices(struct mvm_aml *a, uint32_t legacy)
{
	static const uint16_t com1_port[] = { COM1_PORT };
	static const uint8_t com1_len[] = { COM1_NR_PORTS };
	static const uint16_t kbd_port[] = { I8042_DATA_PORT, I8042_CMD_PORT };
	static const uint8_t kbd_len[] = { 1, 1 };
	static const uint16_t rtc_port[] = { RTC_PORT };
	static const uint8_t rtc_len[] = { RTC_NR_PORTS };

	if (legacy & MVM_ACPI_COM1)
		put_legacy(a, "COM1", "PNP0501", com1_port, com1_len, 1,
			   COM1_IRQ);
	if (legacy & MVM_ACPI_I8042) {
		/* Linux's i8042 driver takes the ports from the keyboard
		 * and the aux IRQ from the mouse (PNP0F13) device. */
		put_legacy(a, "PS2K", "PNP0303", kbd_port, kbd_len, 2,
			   I8042_KBD_IRQ);
		put_legacy(a, "PS2M", "PNP0F13", NULL, NULL, 0, I8042_AUX_IRQ);
	}
	if (legacy & MVM_ACPI_RTC)
		put_legacy(a, "RTC", "PNP0B00", rtc_port, rtc_len, 1, RTC_IRQ);
}

static void put_virtio(struct mvm_aml *a, unsigned int i,
		       const struct mvm_acpi_virtio *v)
{
	uint8_t crs[CRS_MAX];
	struct mvm_aml res;
	char name[8];
	size_t dev;

	mvm_aml_init(&res, crs, sizeof(crs));
	mvm_aml_res_mem32_fixed(&res, 1, v->base, v->size);
	mvm_aml_res_ext_irq(&res, AML_RES_IRQ_CONSUMER | AML_RES_IRQ_EDGE,
			    v->gsi);

	/* i < MVM_ACPI_MAX_VIRTIO: two hex digits. */
	snprintf(name, sizeof(name), "VR%02X", i & 0xff);
	dev = mvm_aml_device_begin(a, name);
	mvm_aml_name_begin(a, "_HID");
	mvm_aml_string(a, "LNRO0005");
	mvm_aml_name_begin(a, "_UID");
	mvm_aml_integer(a, i);
	put_crs(a, &res);
	mvm_aml_end(a, dev);
}

/* The DSDT at @t with room for @cap bytes; its length, or -ENOSPC. */
static int64_t put_dsdt(uint8_t *t, uint64_t cap,
			const struct mvm_acpi_config *cfg)
{
	struct mvm_aml a;
	unsigned int i;
	size_t pkg, sb;
	uint32_t len;

	if (cap < HDR_SIZE)
		return -ENOSPC;
	mvm_aml_init(&a, t + HDR_SIZE, (size_t)(cap - HDR_SIZE));

	/* Name(\_S5, Package(4) { SLP_TYPa, SLP_TYPb, 0, 0 }): only the
	 * first is used on a hardware-reduced machine. */
	mvm_aml_name_begin(&a, "\\_S5");
	pkg = mvm_aml_package_begin(&a, 4);
	mvm_aml_integer(&a, MVM_ACPI_S5_SLP_TYP);
	mvm_aml_integer(&a, 0);
	mvm_aml_integer(&a, 0);
	mvm_aml_integer(&a, 0);
	mvm_aml_end(&a, pkg);

	sb = mvm_aml_scope_begin(&a, "\\_SB");
	put_legacy_devices(&a, cfg->legacy);
	for (i = 0; i < cfg->nr_virtio; i++)
		put_virtio(&a, i, &cfg->virtio[i]);
	mvm_aml_end(&a, sb);

	if (a.err)
		return a.err;
	if (a.len > UINT32_MAX - HDR_SIZE)
		return -ENOSPC;
	len = (uint32_t)(HDR_SIZE + a.len);
	put_header(t, "DSDT", len, DSDT_REVISION, "MVMDSDT ");
	seal(t, len);
	return len;
}

int mvm_acpi_write(const struct mvm_guest_mem *m,
		   const struct mvm_acpi_config *cfg, uint64_t *rsdp)
{
	struct acpi_layout l;
	int64_t dsdt_len;
	uint8_t *r;
	int ret;

	if (!m || !m->base || !cfg || !rsdp)
		return -EINVAL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	r = mvm_gmem_ptr(m, MVM_ACPI_BASE, REGION_SIZE);
	if (!r)
		return -ENOSPC;

	l.xsdt = align_up(MVM_ACPI_RSDP - MVM_ACPI_BASE + MVM_ACPI_RSDP_SIZE);
	l.fadt = align_up(l.xsdt + HDR_SIZE + 8 * XSDT_ENTRIES);
	l.madt = align_up(l.fadt + FADT_SIZE);
	l.madt_len = madt_size(cfg->nr_vcpus);
	l.dsdt = align_up(l.madt + l.madt_len);
	/* The limits above keep the MADT far below the region's size. */
	_Static_assert(MADT_ENTRIES + MVM_ACPI_MAX_VCPUS * MADT_LAPIC_SIZE +
		       MADT_IOAPIC_SIZE + MADT_LAPIC_NMI_SIZE + 0x200 <
		       REGION_SIZE, "ACPI region too small for the MADT");

	memset(r, 0, REGION_SIZE);
	dsdt_len = put_dsdt(r + l.dsdt, REGION_SIZE - l.dsdt, cfg);
	if (dsdt_len < 0) {
		memset(r, 0, REGION_SIZE);
		return (int)dsdt_len;
	}
	put_madt(r + l.madt, cfg->nr_vcpus);
	put_fadt(r + l.fadt, MVM_ACPI_BASE + l.dsdt, cfg->legacy);
	put_xsdt(r + l.xsdt, MVM_ACPI_BASE + l.fadt, MVM_ACPI_BASE + l.madt);
	/* Last: until now the region holds nothing an OS would look at. */
	put_rsdp(r + (MVM_ACPI_RSDP - MVM_ACPI_BASE), MVM_ACPI_BASE + l.xsdt);
	*rsdp = MVM_ACPI_RSDP;
	return 0;
}

/* Write @nr e820 entries at @dst, @stride bytes apart (20 in boot_params,
 * 24 in hvm_start_info's memory map), zeroing the rest of @max. */
static void put_e820(uint8_t *dst, unsigned int stride, unsigned int max,
		     const struct mvm_e820_entry *map, unsigned int nr)
{
	unsigned int i;

	memset(dst, 0, (size_t)stride * max);
	for (i = 0; i < nr; i++, dst += stride) {
		mvm_put_le64(dst, map[i].addr);
		mvm_put_le64(dst + 8, map[i].size);
		mvm_put_le32(dst + 16, map[i].type);
	}
}

int mvm_boot_set_acpi(const struct mvm_guest_mem *m,
		      struct mvm_boot_info *info, uint64_t rsdp)
{
	struct mvm_e820_entry map[MVM_E820_MAX];
	unsigned int nr;
	uint8_t *p;
	int ret;

	if (!m || !m->base || !info || !mvm_acpi_rsdp_valid(rsdp))
		return -EINVAL;
	ret = mvm_e820_build_acpi(m->size, rsdp != 0, map, MVM_E820_MAX, &nr);
	if (ret)
		return ret;

	switch (info->boot_info) {
	case MVM_BOOT_ZERO_PAGE:
		p = mvm_gmem_ptr(m, MVM_BOOT_ZERO_PAGE, MVM_BP_SIZE);
		if (!p)
			return -ENOSPC;
		if (mvm_get_le32(p + MVM_HDR_HEADER) != MVM_HDR_MAGIC)
			return -EINVAL;
		mvm_put_le64(p + MVM_BP_ACPI_RSDP_ADDR, rsdp);
		p[MVM_BP_E820_ENTRIES] = (uint8_t)nr;
		put_e820(p + MVM_BP_E820_TABLE, 20, MVM_E820_MAX, map, nr);
		break;
	case MVM_BOOT_PVH_INFO:
		p = mvm_gmem_ptr(m, MVM_BOOT_PVH_INFO, MVM_BOOT_PAGE_SIZE);
		if (!p)
			return -ENOSPC;
		if (mvm_get_le32(p) != MVM_PVH_MAGIC)
			return -EINVAL;
		/* hvm_start_info: rsdp_paddr at 32, memmap_entries at 48. */
		mvm_put_le64(p + 32, rsdp);
		mvm_put_le32(p + 48, nr);
		put_e820(p + (MVM_PVH_MEMMAP - MVM_BOOT_PVH_INFO),
			 MVM_PVH_MEMMAP_SIZE, MVM_E820_MAX, map, nr);
		break;
	default:
		return -EINVAL;
	}
	info->acpi_rsdp = rsdp;
	return 0;
}
