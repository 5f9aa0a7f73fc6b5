// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the ACPI tables (src/loader/acpi.c) and the AML writer
 * behind the DSDT (src/loader/aml.c), and of how the loaders hand the
 * RSDP to the kernel and reserve its region in the e820 map.
 *
 * Every table is read back the way an OS finds it: RSDP -> XSDT -> FADT
 * -> DSDT and XSDT -> MADT, checking signatures, lengths and checksums;
 * the DSDT's AML is decoded by a small reader (acpi_reader.h) that knows
 * only what acpi.c writes and rejects anything else. When acpica-tools is
 * installed, iasl disassembles the tables, recompiles them to the same
 * bytes, and acpiexec loads them and evaluates \_S5 and a _CRS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "loader/aml.h"
#include "loader/loader.h"
#include "acpi_reader.h"

#define MiB		(1ULL << 20)
#define MEM_SIZE	(2 * MiB)

/* mvm's own layout (src/vm/devices.c, cmdline.c): 9 windows. */
#define NR_MVM_VIRTIO	9
static const uint32_t mvm_gsis[NR_MVM_VIRTIO] = {
	5, 6, 7, 9, 10, 11, 13, 14, 15,
};

static void mvm_layout(struct mvm_acpi_virtio *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		v[i].base = 0xd0000000ULL + i * 0x1000ULL;
		v[i].size = 0x200;
		v[i].gsi = mvm_gsis[i];
	}
}

/* ---- fixture ---------------------------------------------------------- */

FIXTURE(acpi) {
	struct mvm_guest_mem m;
	struct mvm_acpi_virtio v[MVM_ACPI_MAX_VIRTIO + 1];
	struct mvm_acpi_config cfg;
	uint64_t rsdp;
	struct tables t;
	struct aml_tree tree;
};

FIXTURE_SETUP(acpi)
{
	self->m.size = MEM_SIZE;
	self->m.base = calloc(1, MEM_SIZE);
	ASSERT_NE(NULL, self->m.base);
	memset(self->v, 0, sizeof(self->v));
	mvm_layout(self->v, NR_MVM_VIRTIO);
	self->cfg = (struct mvm_acpi_config){
		.nr_vcpus = 2,
		.legacy = MVM_ACPI_LEGACY_ALL,
		.virtio = self->v,
		.nr_virtio = NR_MVM_VIRTIO,
	};
	self->rsdp = 0;
}

FIXTURE_TEARDOWN(acpi)
{
	free(self->m.base);
}

static int acpi_write(FIXTURE_DATA(acpi) *self)
{
	return mvm_acpi_write(&self->m, &self->cfg, &self->rsdp);
}

/* RSDP -> XSDT -> FADT -> DSDT, and XSDT -> MADT; all inside the region. */
TEST_F(acpi, table_chain)
{
	ASSERT_EQ(0, acpi_write(self));
	EXPECT_EQ(MVM_ACPI_RSDP, self->rsdp);
	EXPECT_EQ(0xe0000, self->rsdp);
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	/* In that order, 16-byte aligned, apart. */
	EXPECT_LE(self->rsdp + 36, self->t.xsdt_gpa);
	EXPECT_LE(self->t.xsdt_gpa + 52, self->t.fadt_gpa);
	EXPECT_LE(self->t.fadt_gpa + 276, self->t.madt_gpa);
	EXPECT_LE(self->t.madt_gpa + mvm_get_le32(self->t.madt + 4),
		  self->t.dsdt_gpa);
	EXPECT_EQ(0, self->t.xsdt_gpa % 16);
	EXPECT_EQ(0, self->t.fadt_gpa % 16);
	EXPECT_EQ(0, self->t.madt_gpa % 16);
	EXPECT_EQ(0, self->t.dsdt_gpa % 16);
	/* Nothing outside the region was touched. */
	EXPECT_TRUE(all_zero(self->m.base, MVM_ACPI_BASE));
	EXPECT_TRUE(all_zero(self->m.base + MVM_ACPI_END,
			     MEM_SIZE - MVM_ACPI_END));
}

/* FADT: revision 6.5, hardware-reduced, sleep and reset registers. */
TEST_F(acpi, fadt_fields)
{
	const uint8_t *f, *g;

	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	f = self->t.fadt;
	EXPECT_EQ(6, f[8]);				/* revision */
	EXPECT_EQ(5, f[131]);				/* minor version */
	EXPECT_EQ(0, mvm_get_le32(f + 36));		/* no FACS */
	EXPECT_EQ(0, mvm_get_le64(f + 132));		/* no X_FACS */
	EXPECT_EQ(0, mvm_get_le16(f + 46));		/* no SCI */
	EXPECT_TRUE(all_zero(f + 48, 109 - 48));	/* no PM blocks */
	/* HW_REDUCED_ACPI, RESET_REG_SUP, PWR_BUTTON, SLP_BUTTON. */
	EXPECT_EQ((1U << 20) | (1U << 10) | (1U << 4) | (1U << 5),
		  mvm_get_le32(f + 112));
	/* LEGACY_DEVICES, 8042, VGA not present; the RTC is there. */
	EXPECT_EQ(0x07, mvm_get_le16(f + 109));

	g = f + 116;					/* RESET_REG */
	EXPECT_EQ(1, g[0]);				/* SystemIO */
	EXPECT_EQ(8, g[1]);
	EXPECT_EQ(0, g[2]);
	EXPECT_EQ(1, g[3]);				/* byte access */
	EXPECT_EQ(0x64, mvm_get_le64(g + 4));
	EXPECT_EQ(0xfe, f[128]);

	EXPECT_TRUE(all_zero(f + 148, 244 - 148));	/* X_PM blocks */
	g = f + 244;					/* SLEEP_CONTROL_REG */
	EXPECT_EQ(1, g[0]);
	EXPECT_EQ(8, g[1]);
	EXPECT_EQ(0, g[2]);
	EXPECT_EQ(1, g[3]);
	EXPECT_EQ(MVM_ACPI_SLEEP_PORT, mvm_get_le64(g + 4));
	EXPECT_EQ(0x600, MVM_ACPI_SLEEP_PORT);
	g = f + 256;					/* SLEEP_STATUS_REG */
	EXPECT_EQ(1, g[0]);
	EXPECT_EQ(8, g[1]);
	EXPECT_EQ(1, g[3]);
	EXPECT_EQ(MVM_ACPI_SLEEP_STATUS_PORT, mvm_get_le64(g + 4));
	EXPECT_TRUE(all_zero(f + 268, 8));		/* hypervisor ID */
}

/* Without legacy devices: no 8042 flag, no reset register, "no RTC". */
TEST_F(acpi, fadt_no_legacy)
{
	const uint8_t *f;

	self->cfg.legacy = 0;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	f = self->t.fadt;
	EXPECT_EQ((1U << 20) | (1U << 4) | (1U << 5), mvm_get_le32(f + 112));
	/* VGA not present, CMOS RTC not present. */
	EXPECT_EQ((1U << 2) | (1U << 5), mvm_get_le16(f + 109));
	EXPECT_TRUE(all_zero(f + 116, 13));

	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	EXPECT_EQ(NULL, find(&self->tree, "\\_SB_.COM1"));
	EXPECT_EQ(NULL, find(&self->tree, "\\_SB_.PS2K"));
	EXPECT_EQ(NULL, find(&self->tree, "\\_SB_.RTC_"));
	EXPECT_EQ(NR_MVM_VIRTIO, count_kind(&self->tree, K_DEVICE));
}

/* Only the RTC: the FADT says "no 8042" and the DSDT has just it. */
TEST_F(acpi, fadt_rtc_only)
{
	ASSERT_EQ(0, acpi_write(self));
	self->cfg.legacy = MVM_ACPI_RTC;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	EXPECT_EQ((1U << 0) | (1U << 2), mvm_get_le16(self->t.fadt + 109));
	EXPECT_EQ(0, mvm_get_le32(self->t.fadt + 112) & (1U << 10));
	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	EXPECT_NE(NULL, find(&self->tree, "\\_SB_.RTC_"));
	EXPECT_EQ(NULL, find(&self->tree, "\\_SB_.COM1"));
	EXPECT_EQ(1 + NR_MVM_VIRTIO, count_kind(&self->tree, K_DEVICE));
	/* The region was rewritten whole: nothing stale after the DSDT. */
	EXPECT_TRUE(all_zero(self->t.dsdt + mvm_get_le32(self->t.dsdt + 4),
			     MVM_ACPI_END - self->t.dsdt_gpa -
			     mvm_get_le32(self->t.dsdt + 4)));
}

static void check_madt(struct __test_metadata *_metadata,
		       const uint8_t *madt, unsigned int n)
{
	const uint8_t *p = madt + 44, *end = madt + mvm_get_le32(madt + 4);
	unsigned int i;

	EXPECT_EQ(5, madt[8]);
	EXPECT_EQ(44 + 8 * n + 12 + 6, mvm_get_le32(madt + 4));
	EXPECT_EQ(0xfee00000, mvm_get_le32(madt + 36));
	EXPECT_EQ(0, mvm_get_le32(madt + 40));		/* no PCAT_COMPAT */
	for (i = 0; i < n; i++, p += 8) {
		ASSERT_LE(p + 8, end);
		EXPECT_EQ(0, p[0]);			/* local APIC */
		EXPECT_EQ(8, p[1]);
		EXPECT_EQ(i, p[2]);			/* UID */
		EXPECT_EQ(i, p[3]);			/* APIC ID */
		EXPECT_EQ(1, mvm_get_le32(p + 4));	/* enabled */
	}
	ASSERT_LE(p + 12, end);
	EXPECT_EQ(1, p[0]);				/* I/O APIC */
	EXPECT_EQ(12, p[1]);
	EXPECT_EQ(n & 0xff, p[2]);			/* as the MP table */
	EXPECT_EQ(0, p[3]);
	EXPECT_EQ(MVM_MP_IOAPIC_ADDR, mvm_get_le32(p + 4));
	EXPECT_EQ(0, mvm_get_le32(p + 8));		/* GSI base */
	p += 12;
	ASSERT_LE(p + 6, end);
	EXPECT_EQ(4, p[0]);				/* local APIC NMI */
	EXPECT_EQ(6, p[1]);
	EXPECT_EQ(0xff, p[2]);				/* all processors */
	EXPECT_EQ(0, mvm_get_le16(p + 3));
	EXPECT_EQ(1, p[5]);				/* LINT1 */
	EXPECT_EQ(end, p + 6);
}

TEST_F(acpi, madt_one_cpu)
{
	self->cfg.nr_vcpus = 1;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	check_madt(_metadata, self->t.madt, 1);
}

TEST_F(acpi, madt_four_cpus)
{
	self->cfg.nr_vcpus = 4;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	check_madt(_metadata, self->t.madt, 4);
}

/* The most vCPUs: APIC IDs 0..254, all Processor Local APIC entries. */
TEST_F(acpi, madt_max_cpus)
{
	self->cfg.nr_vcpus = MVM_ACPI_MAX_VCPUS;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	check_madt(_metadata, self->t.madt, MVM_ACPI_MAX_VCPUS);
	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	expect_virtio(_metadata, &self->tree, 8, &self->v[8]);
}

/* One device and no legacy ones: the DSDT's AML, byte for byte. */
TEST_F(acpi, dsdt_one_device_bytes)
{
	static const uint8_t expect[] = {
		/* Name (\_S5, Package (4) { 5, Zero, Zero, Zero }) */
		0x08, '\\', '_', 'S', '5', '_',
		0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00,
		/* Scope (\_SB): 67 bytes, a two-byte PkgLength. */
		0x10, 0x43, 0x04, '\\', '_', 'S', 'B', '_',
		/* Device (VR00) */
		0x5b, 0x82, 0x3a, 'V', 'R', '0', '0',
		/* Name (_HID, "LNRO0005") */
		0x08, '_', 'H', 'I', 'D',
		0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		/* Name (_UID, Zero) */
		0x08, '_', 'U', 'I', 'D', 0x00,
		/* Name (_CRS, Buffer (0x17) { ... }) */
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		/* Memory32Fixed (ReadWrite, 0xd0000000, 0x200) */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0,
		0x00, 0x02, 0x00, 0x00,
		/* Interrupt (ResourceConsumer, Edge, ActiveHigh,
		 * Exclusive) { 5 } */
		0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
		/* EndTag */
		0x79, 0x00,
	};

	self->cfg.legacy = 0;
	self->cfg.nr_virtio = 1;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	ASSERT_EQ(36 + sizeof(expect), mvm_get_le32(self->t.dsdt + 4));
	EXPECT_EQ(0, memcmp(self->t.dsdt + 36, expect, sizeof(expect)));
	EXPECT_EQ(0, memcmp(self->t.dsdt + 16, "MVMDSDT ", 8));

	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	expect_s5(_metadata, &self->tree);
	expect_virtio(_metadata, &self->tree, 0, &self->v[0]);
	EXPECT_EQ(1, count_kind(&self->tree, K_DEVICE));
}

/* mvm's nine windows and the legacy devices, decoded. */
TEST_F(acpi, dsdt_mvm_devices)
{
	static const uint16_t com1[] = { 0x3f8 }, kbd[] = { 0x60, 0x64 },
			      rtc[] = { 0x70 };
	static const uint8_t com1_len[] = { 8 }, kbd_len[] = { 1, 1 },
			     rtc_len[] = { 2 };
	unsigned int i;

	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	expect_s5(_metadata, &self->tree);
	ASSERT_NE(NULL, find(&self->tree, "\\_SB_"));
	EXPECT_EQ(K_SCOPE, find(&self->tree, "\\_SB_")->kind);
	EXPECT_EQ(4 + NR_MVM_VIRTIO, count_kind(&self->tree, K_DEVICE));

	/* EISAID("PNP0501") and friends, as ASL compilers encode them. */
	expect_legacy(_metadata, &self->tree, "COM1", 0x0105d041, 1, com1,
		      com1_len, 4);
	expect_legacy(_metadata, &self->tree, "PS2K", 0x0303d041, 2, kbd,
		      kbd_len, 1);
	expect_legacy(_metadata, &self->tree, "PS2M", 0x130fd041, 0, NULL,
		      NULL, 12);
	expect_legacy(_metadata, &self->tree, "RTC_", 0x000bd041, 1, rtc,
		      rtc_len, 8);
	for (i = 0; i < NR_MVM_VIRTIO; i++)
		expect_virtio(_metadata, &self->tree, i, &self->v[i]);
}

/* As many devices as there are IOAPIC inputs, with windows up to 4 GiB. */
TEST_F(acpi, dsdt_max_devices)
{
	unsigned int i;

	for (i = 0; i < MVM_ACPI_MAX_VIRTIO; i++) {
		self->v[i].base = 0xfffff000ULL - i * 0x1000ULL;
		self->v[i].size = 0x1000;
		self->v[i].gsi = i;
	}
	self->cfg.legacy = 0;
	self->cfg.nr_virtio = MVM_ACPI_MAX_VIRTIO;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
	parse_dsdt(_metadata, self->t.dsdt, &self->tree);
	EXPECT_EQ(MVM_ACPI_MAX_VIRTIO, count_kind(&self->tree, K_DEVICE));
	for (i = 0; i < MVM_ACPI_MAX_VIRTIO; i++)
		expect_virtio(_metadata, &self->tree, i, &self->v[i]);
	/* _UIDs above 1 are ByteConst: VR17's is 0x17 = 23. */
	EXPECT_EQ(23, find(&self->tree, "\\_SB_.VR17._UID")->ival);
}

/* Arguments are checked before anything is written. */
TEST_F(acpi, errors)
{
	struct mvm_guest_mem small = { self->m.base, MVM_ACPI_END - 1 };
	struct mvm_guest_mem nobase = { NULL, MEM_SIZE };
	struct mvm_acpi_config c;

	EXPECT_EQ(-EINVAL, mvm_acpi_write(NULL, &self->cfg, &self->rsdp));
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&nobase, &self->cfg, &self->rsdp));
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&self->m, NULL, &self->rsdp));
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&self->m, &self->cfg, NULL));

	c = self->cfg;
	c.nr_vcpus = 0;
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&self->m, &c, &self->rsdp));
	c.nr_vcpus = MVM_ACPI_MAX_VCPUS + 1;
	EXPECT_EQ(-ENOSPC, mvm_acpi_write(&self->m, &c, &self->rsdp));
	c.nr_vcpus = UINT32_MAX;
	EXPECT_EQ(-ENOSPC, mvm_acpi_write(&self->m, &c, &self->rsdp));

	c = self->cfg;
	c.legacy = 0x8;
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&self->m, &c, &self->rsdp));

	c = self->cfg;
	c.virtio = NULL;
	EXPECT_EQ(-EINVAL, mvm_acpi_write(&self->m, &c, &self->rsdp));
	/* NULL is fine with no devices: the arguments pass, and the
	 * small memory then stops it before writing. */
	c.nr_virtio = 0;
	EXPECT_EQ(-ENOSPC, mvm_acpi_write(&small, &c, &self->rsdp));

	c = self->cfg;
	c.nr_virtio = MVM_ACPI_MAX_VIRTIO + 1;
	EXPECT_EQ(-ENOSPC, mvm_acpi_write(&self->m, &c, &self->rsdp));

	/* Memory that ends before 1 MiB has no ACPI region. */
	EXPECT_EQ(-ENOSPC, mvm_acpi_write(&small, &self->cfg, &self->rsdp));

	EXPECT_TRUE(all_zero(self->m.base, MEM_SIZE));
	EXPECT_EQ(0, self->rsdp);
}

/* Each virtio window is checked, and so is every GSI. */
TEST_F(acpi, bad_devices)
{
	struct mvm_acpi_virtio saved = self->v[3];

	self->v[3].size = 0;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3] = saved;

	/* Memory32Fixed: the window must end by 4 GiB. */
	self->v[3].base = 0xfffff000;
	self->v[3].size = 0x1001;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3].base = 0x100000000ULL;
	self->v[3].size = 0x200;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3].base = UINT64_MAX - 0x1ff;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3] = saved;

	self->v[3].gsi = MVM_IOAPIC_PINS;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3].gsi = UINT32_MAX;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	/* Used twice, or by a legacy device described. */
	self->v[3].gsi = self->v[0].gsi;
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3].gsi = 4;				/* COM1 */
	EXPECT_EQ(-EINVAL, acpi_write(self));
	self->v[3].gsi = 12;				/* PS/2 aux */
	EXPECT_EQ(-EINVAL, acpi_write(self));
	EXPECT_TRUE(all_zero(self->m.base, MEM_SIZE));

	/* Without the UART, its IRQ is free. */
	self->v[3].gsi = 4;
	self->cfg.legacy = MVM_ACPI_I8042 | MVM_ACPI_RTC;
	EXPECT_EQ(0, acpi_write(self));

	/* A window that ends exactly at 4 GiB is fine. */
	self->v[3] = saved;
	self->v[3].base = 0xfffffe00;
	EXPECT_EQ(0, acpi_write(self));
}

/* Exactly 1 MiB of memory holds the region. */
TEST_F(acpi, memory_ends_at_region_end)
{
	self->m.size = MVM_ACPI_END;
	ASSERT_EQ(0, acpi_write(self));
	find_tables(_metadata, &self->m, self->rsdp, &self->t);
}

/* What the VMM's port handler recognises, and that it matches \_S5. */
TEST(sleep_register_values)
{
	/* Linux (ACPICA's hwesleep.c) writes SLP_TYP << 2 | SLP_EN. */
	EXPECT_EQ(0x34, MVM_ACPI_S5_SLP_TYP << MVM_ACPI_SLP_TYP_SHIFT |
		  MVM_ACPI_SLP_EN);
	EXPECT_TRUE(mvm_acpi_sleep_is_poweroff(0x34));
	EXPECT_TRUE(mvm_acpi_sleep_is_poweroff(0x34 | 0x03));
	EXPECT_FALSE(mvm_acpi_sleep_is_poweroff(0x14));	/* no SLP_EN */
	EXPECT_FALSE(mvm_acpi_sleep_is_poweroff(0x20));	/* S0 */
	EXPECT_FALSE(mvm_acpi_sleep_is_poweroff(0x2c));	/* SLP_TYP 3 */
	EXPECT_FALSE(mvm_acpi_sleep_is_poweroff(0x00));
	EXPECT_FALSE(mvm_acpi_sleep_is_poweroff(MVM_ACPI_WAK_STS));
	EXPECT_EQ(0x1c, MVM_ACPI_SLP_TYP_MASK);
	EXPECT_EQ(0x80, MVM_ACPI_WAK_STS);
}

TEST(rsdp_valid)
{
	EXPECT_TRUE(mvm_acpi_rsdp_valid(0));
	EXPECT_TRUE(mvm_acpi_rsdp_valid(MVM_ACPI_RSDP));
	EXPECT_TRUE(mvm_acpi_rsdp_valid(0xfffd0));
	EXPECT_FALSE(mvm_acpi_rsdp_valid(0xfffe0));	/* 36 bytes past */
	EXPECT_FALSE(mvm_acpi_rsdp_valid(0xe0008));	/* not aligned */
	EXPECT_FALSE(mvm_acpi_rsdp_valid(0xdfff0));
	EXPECT_FALSE(mvm_acpi_rsdp_valid(0x100000));
	EXPECT_FALSE(mvm_acpi_rsdp_valid(UINT64_MAX & ~15ULL));
}

/* ---- the AML writer ---------------------------------------------------- */

TEST(aml_names)
{
	uint8_t buf[64];
	struct mvm_aml a;

	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_name(&a, "_HID");
	mvm_aml_name(&a, "\\_SB");
	mvm_aml_name(&a, "\\");
	mvm_aml_name(&a, "\\_SB.PCI0");
	mvm_aml_name(&a, "A.B1.C_");
	mvm_aml_name(&a, "RTC");
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(4 + 5 + 2 + 10 + 14 + 4, a.len);
	EXPECT_EQ(0, memcmp(buf, "_HID\\_SB_\\\0\\\x2e_SB_PCI0"
			    "\x2f\x03" "A___B1__C___RTC_", a.len));

	/* Bad names: nothing written, -EINVAL sticks. */
	static const char *const bad[] = {
		"", "1ABC", "ABCDE", "A..B", "a", "AB.", ".AB", "\\\\A",
		"A-B", "\\_SB.",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mvm_aml_init(&a, buf, sizeof(buf));
		mvm_aml_name(&a, bad[i]);
		EXPECT_EQ(-EINVAL, a.err);
		EXPECT_EQ(0, a.len);
		mvm_aml_byte(&a, 1);
		EXPECT_EQ(0, a.len);
	}
	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_name(&a, NULL);
	EXPECT_EQ(-EINVAL, a.err);
}

TEST(aml_integers)
{
	static const struct {
		uint64_t v;
		uint8_t len;
		uint8_t bytes[9];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 2, 2, { 0x0a, 0x02 } },
		{ 0xff, 2, { 0x0a, 0xff } },
		{ 0x100, 3, { 0x0b, 0x00, 0x01 } },
		{ 0xffff, 3, { 0x0b, 0xff, 0xff } },
		{ 0x10000, 5, { 0x0c, 0x00, 0x00, 0x01, 0x00 } },
		{ 0xffffffff, 5, { 0x0c, 0xff, 0xff, 0xff, 0xff } },
		{ 0x100000000ULL, 9, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 } },
		{ UINT64_MAX, 9, { 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff } },
	};
	uint8_t buf[16];
	struct mvm_aml a;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mvm_aml_init(&a, buf, sizeof(buf));
		mvm_aml_integer(&a, cases[i].v);
		ASSERT_EQ(0, a.err);
		ASSERT_EQ(cases[i].len, a.len);
		EXPECT_EQ(0, memcmp(buf, cases[i].bytes, a.len));
	}
}

TEST(aml_eisaid_and_strings)
{
	uint8_t buf[32];
	struct mvm_aml a;

	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_eisaid(&a, "PNP0501");
	mvm_aml_eisaid(&a, "PNP0A03");
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(10, a.len);
	EXPECT_EQ(0x0c, buf[0]);
	EXPECT_EQ(0x0105d041, mvm_get_le32(buf + 1));
	EXPECT_EQ(0x030ad041, mvm_get_le32(buf + 6));

	static const char *const bad[] = {
		"PNP050", "PNP05011", "pnp0501", "PNP05G1", "PN10501",
		"PNP0a03",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mvm_aml_init(&a, buf, sizeof(buf));
		mvm_aml_eisaid(&a, bad[i]);
		EXPECT_EQ(-EINVAL, a.err);
		EXPECT_EQ(0, a.len);
	}

	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_string(&a, "AB");
	mvm_aml_string(&a, "");
	ASSERT_EQ(0, a.err);
	EXPECT_EQ(0, memcmp(buf, "\x0d" "AB\0\x0d", 5));
	EXPECT_EQ(6, a.len);
	mvm_aml_string(&a, "\xc3\xa9");
	EXPECT_EQ(-EINVAL, a.err);
	EXPECT_EQ(6, a.len);
}

/* PkgLength: one byte up to 63, then 2, 3 and 4 bytes. */
static void pkg_case(struct __test_metadata *_metadata, size_t body,
		     unsigned int k)
{
	size_t cap = body + 8, total = body + k, mark;
	uint8_t *buf = malloc(cap);
	const uint8_t *p, *end;
	struct mvm_aml a;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	mvm_aml_init(&a, buf, cap);
	mvm_aml_byte(&a, 0x10);
	mark = a.len;
	for (i = 0; i < body; i++)
		mvm_aml_byte(&a, (uint8_t)(i * 7));
	mvm_aml_end(&a, mark);
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(1 + total, a.len);
	p = buf + 1;
	ASSERT_EQ(0, rd_pkglen(&p, buf + a.len, &end));
	EXPECT_EQ(buf + 1 + k, p);
	EXPECT_EQ(buf + a.len, end);
	EXPECT_EQ(k - 1, buf[1] >> 6);
	for (i = 0; i < body; i++)
		ASSERT_EQ((uint8_t)(i * 7), p[i]);
	free(buf);
}

TEST(aml_pkg_lengths)
{
	pkg_case(_metadata, 0, 1);
	pkg_case(_metadata, 62, 1);
	pkg_case(_metadata, 63, 2);
	pkg_case(_metadata, 0xfff - 2, 2);
	pkg_case(_metadata, 0xfff - 1, 3);
	pkg_case(_metadata, 0xfffff - 3, 3);
	pkg_case(_metadata, 0xfffff - 2, 4);
}

TEST(aml_nesting_and_overflow)
{
	uint8_t buf[40], res[16];
	struct mvm_aml a, r;
	size_t s, d, pkg;

	mvm_aml_init(&a, buf, sizeof(buf));
	s = mvm_aml_scope_begin(&a, "\\_SB");
	d = mvm_aml_device_begin(&a, "DEV0");
	pkg = mvm_aml_package_begin(&a, 1);
	mvm_aml_integer(&a, 7);
	mvm_aml_end(&a, pkg);
	mvm_aml_end(&a, d);
	mvm_aml_end(&a, s);
	ASSERT_EQ(0, a.err);
	EXPECT_EQ(19, a.len);
	EXPECT_EQ(0, memcmp(buf, "\x10\x12\\_SB_\x5b\x82\x0a" "DEV0"
			    "\x12\x04\x01\x0a\x07", 19));

	/* Full: -ENOSPC, nothing past the end, and it sticks. */
	mvm_aml_init(&a, buf, 3);
	mvm_aml_integer(&a, 0x12345678);
	EXPECT_EQ(-ENOSPC, a.err);
	EXPECT_EQ(0, a.len);
	mvm_aml_byte(&a, 1);
	EXPECT_EQ(0, a.len);

	/* No room for the PkgLength byte at the end. */
	mvm_aml_init(&a, buf, 2);
	s = mvm_aml_package_begin(&a, 0);
	mvm_aml_end(&a, s);
	EXPECT_EQ(-ENOSPC, a.err);

	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_end(&a, 1);				/* past the end */
	EXPECT_EQ(-EINVAL, a.err);
	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_package_begin(&a, 256);
	EXPECT_EQ(-EINVAL, a.err);
	mvm_aml_init(&a, NULL, 4);
	EXPECT_EQ(-EINVAL, a.err);

	/* Resource descriptors and their argument checks. */
	mvm_aml_init(&r, res, sizeof(res));
	mvm_aml_res_irq(&r, 16);
	EXPECT_EQ(-EINVAL, r.err);
	mvm_aml_init(&r, res, sizeof(res));
	mvm_aml_res_io(&r, 0x3f8, 0);
	EXPECT_EQ(-EINVAL, r.err);
	mvm_aml_init(&r, res, sizeof(res));
	mvm_aml_res_mem32_fixed(&r, 1, 0xffffffff, 2);
	EXPECT_EQ(-EINVAL, r.err);
	mvm_aml_init(&r, res, sizeof(res));
	mvm_aml_res_mem32_fixed(&r, 0, 0xffffffff, 1);
	mvm_aml_res_end(&r);
	ASSERT_EQ(0, r.err);
	EXPECT_EQ(0, memcmp(res, "\x86\x09\x00\x00\xff\xff\xff\xff"
			    "\x01\x00\x00\x00\x79\x00", 14));
	mvm_aml_init(&a, buf, sizeof(buf));
	mvm_aml_buffer(&a, res, 14);
	ASSERT_EQ(0, a.err);
	EXPECT_EQ(0, memcmp(buf, "\x11\x11\x0a\x0e", 4));
	EXPECT_EQ(0, memcmp(buf + 4, res, 14));
}

/* ---- the loaders: RSDP handed over, region reserved ------------------- */

#define BZ_SECTS	2
#define BZ_SETUP	((BZ_SECTS + 1) * 512)
#define BZ_PAYLOAD	4096

/* The smallest bzImage mvm_bzimage_load() accepts (boot.rst fields). */
static uint8_t *tiny_bzimage(size_t *len)
{
	uint8_t *img = calloc(1, BZ_SETUP + BZ_PAYLOAD);

	if (!img)
		return NULL;
	img[MVM_HDR_SETUP_SECTS] = BZ_SECTS;
	mvm_put_le32(img + MVM_HDR_SYSSIZE, BZ_PAYLOAD / 16);
	mvm_put_le16(img + MVM_HDR_BOOT_FLAG, MVM_HDR_BOOT_FLAG_MAGIC);
	img[MVM_HDR_JUMP] = 0xeb;
	img[MVM_HDR_JUMP + 1] = MVM_HDR_MIN_END - 0x202;
	mvm_put_le32(img + MVM_HDR_HEADER, MVM_HDR_MAGIC);
	mvm_put_le16(img + MVM_HDR_VERSION, 0x020f);
	mvm_put_le32(img + MVM_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	mvm_put_le32(img + MVM_HDR_KERNEL_ALIGN, 0x200000);
	img[MVM_HDR_RELOCATABLE] = 1;
	mvm_put_le16(img + MVM_HDR_XLOADFLAGS, MVM_XLF_KERNEL_64);
	mvm_put_le32(img + MVM_HDR_CMDLINE_SIZE, 255);
	mvm_put_le64(img + MVM_HDR_PREF_ADDRESS, 0x1000000);
	mvm_put_le32(img + MVM_HDR_INIT_SIZE, 0x400000);
	*len = BZ_SETUP + BZ_PAYLOAD;
	return img;
}

/* The e820 map with the ACPI region: 4 entries, the third reserved. */
static void expect_acpi_e820(struct __test_metadata *_metadata,
			     const uint8_t *e, unsigned int stride,
			     uint64_t mem)
{
	EXPECT_EQ(0, mvm_get_le64(e));
	EXPECT_EQ(MVM_BOOT_EBDA, mvm_get_le64(e + 8));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(e + 16));
	e += stride;
	EXPECT_EQ(MVM_BOOT_EBDA, mvm_get_le64(e));
	EXPECT_EQ(MVM_E820_RESERVED, mvm_get_le32(e + 16));
	e += stride;
	EXPECT_EQ(0xe0000, mvm_get_le64(e));
	EXPECT_EQ(0x20000, mvm_get_le64(e + 8));
	EXPECT_EQ(MVM_E820_RESERVED, mvm_get_le32(e + 16));
	e += stride;
	EXPECT_EQ(MiB, mvm_get_le64(e));
	EXPECT_EQ(mem - MiB, mvm_get_le64(e + 8));
	EXPECT_EQ(MVM_E820_RAM, mvm_get_le32(e + 16));
}

TEST(bzimage_gets_rsdp)
{
	struct mvm_guest_mem m = { calloc(1, 64 * MiB), 64 * MiB };
	struct mvm_acpi_config cfg = { .nr_vcpus = 1 };
	struct mvm_linux_args args = { .cmdline = "console=ttyS0" };
	struct mvm_boot_info out, bad;
	uint8_t *img, *zp, *copy;
	uint64_t rsdp;
	size_t len;

	ASSERT_NE(NULL, m.base);
	img = tiny_bzimage(&len);
	ASSERT_NE(NULL, img);
	zp = m.base + MVM_BOOT_ZERO_PAGE;

	/* The loader alone: acpi_rsdp_addr 0, no ACPI entry. */
	ASSERT_EQ(0, mvm_bzimage_load(&m, img, len, &args, &out));
	EXPECT_EQ(0, out.acpi_rsdp);
	EXPECT_EQ(0, mvm_get_le64(zp + MVM_BP_ACPI_RSDP_ADDR));
	EXPECT_EQ(3, zp[MVM_BP_E820_ENTRIES]);

	ASSERT_EQ(0, mvm_acpi_write(&m, &cfg, &rsdp));
	ASSERT_EQ(0, mvm_boot_set_acpi(&m, &out, rsdp));
	EXPECT_EQ(MVM_ACPI_RSDP, out.acpi_rsdp);
	EXPECT_EQ(0x070, MVM_BP_ACPI_RSDP_ADDR);
	EXPECT_EQ(MVM_ACPI_RSDP, mvm_get_le64(zp + MVM_BP_ACPI_RSDP_ADDR));
	ASSERT_EQ(4, zp[MVM_BP_E820_ENTRIES]);
	expect_acpi_e820(_metadata, zp + MVM_BP_E820_TABLE, 20, 64 * MiB);
	EXPECT_TRUE(all_zero(zp + MVM_BP_E820_TABLE + 4 * 20, 20));
	/* The setup header and the tables are as they were. */
	EXPECT_EQ(MVM_HDR_MAGIC, mvm_get_le32(zp + MVM_HDR_HEADER));
	EXPECT_EQ(0, memcmp(m.base + MVM_ACPI_RSDP, "RSD PTR ", 8));

	/* Refused without a trace: bad RSDPs, no boot structure. */
	copy = malloc(MiB);
	ASSERT_NE(NULL, copy);
	memcpy(copy, m.base, MiB);
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, &out, MVM_ACPI_RSDP + 8));
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, &out, MVM_BOOT_EBDA));
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, &out, MVM_ACPI_END));
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(NULL, &out, rsdp));
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, NULL, rsdp));
	bad = out;
	bad.boot_info = 0x8000;
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, &bad, rsdp));
	bad.boot_info = MVM_BOOT_PVH_INFO;		/* never written */
	EXPECT_EQ(-EINVAL, mvm_boot_set_acpi(&m, &bad, rsdp));
	EXPECT_EQ(0, memcmp(copy, m.base, MiB));
	free(copy);

	/* And 0 takes it back. */
	ASSERT_EQ(0, mvm_boot_set_acpi(&m, &out, 0));
	EXPECT_EQ(0, out.acpi_rsdp);
	EXPECT_EQ(0, mvm_get_le64(zp + MVM_BP_ACPI_RSDP_ADDR));
	EXPECT_EQ(3, zp[MVM_BP_E820_ENTRIES]);
	EXPECT_EQ(MiB, mvm_get_le64(zp + MVM_BP_E820_TABLE + 2 * 20));
	EXPECT_TRUE(all_zero(zp + MVM_BP_E820_TABLE + 3 * 20, 2 * 20));
	free(img);
	free(m.base);
}

/* A zero page written directly carries the RSDP in struct mvm_boot_info. */
TEST(zeropage_checks_rsdp)
{
	struct mvm_guest_mem m = { calloc(1, 4 * MiB), 4 * MiB };
	struct mvm_boot_info info = { .acpi_rsdp = 0xe0001 };
	uint8_t hdr[MVM_HDR_MIN_END - MVM_BP_HDR] = { 0 };
	uint8_t *zp;

	ASSERT_NE(NULL, m.base);
	zp = m.base + MVM_BOOT_ZERO_PAGE;
	EXPECT_EQ(-EINVAL, mvm_zeropage_write(&m, hdr, sizeof(hdr), &info));
	EXPECT_TRUE(all_zero(zp, MVM_BP_SIZE));
	info.acpi_rsdp = 0xfffd0;
	ASSERT_EQ(0, mvm_zeropage_write(&m, hdr, sizeof(hdr), &info));
	EXPECT_EQ(0xfffd0, mvm_get_le64(zp + 0x70));
	ASSERT_EQ(4, zp[MVM_BP_E820_ENTRIES]);
	expect_acpi_e820(_metadata, zp + MVM_BP_E820_TABLE, 20, 4 * MiB);
	free(m.base);
}

/* hvm_start_info.rsdp_paddr and the PVH memory map. */
TEST(pvh_gets_rsdp)
{
	struct mvm_guest_mem m = { calloc(1, 32 * MiB), 32 * MiB };
	struct mvm_elf_kernel k = {
		.entry64 = 0x1000000, .has_pvh = true,
		.pvh_entry = 0x1000100, .kernel_start = 0x1000000,
		.kernel_end = 0x1200000,
	};
	struct mvm_boot_info out;
	uint8_t *si;

	ASSERT_NE(NULL, m.base);
	si = m.base + MVM_BOOT_PVH_INFO;
	ASSERT_EQ(0, mvm_pvh_setup(&m, &k, NULL, &out));
	EXPECT_EQ(0, mvm_get_le64(si + 32));
	EXPECT_EQ(3, mvm_get_le32(si + 48));
	ASSERT_EQ(0, mvm_boot_set_acpi(&m, &out, MVM_ACPI_RSDP));
	EXPECT_EQ(MVM_ACPI_RSDP, mvm_get_le64(si + 32));
	EXPECT_EQ(MVM_ACPI_RSDP, out.acpi_rsdp);
	EXPECT_EQ(MVM_PVH_MAGIC, mvm_get_le32(si));
	EXPECT_EQ(MVM_PVH_MEMMAP, mvm_get_le64(si + 40));
	ASSERT_EQ(4, mvm_get_le32(si + 48));
	expect_acpi_e820(_metadata, m.base + MVM_PVH_MEMMAP,
			 MVM_PVH_MEMMAP_SIZE, 32 * MiB);

	/* The 64-bit entry of a vmlinux: a zero page, as a bzImage's. */
	ASSERT_EQ(0, mvm_elf_setup_linux64(&m, &k, NULL, &out));
	ASSERT_EQ(0, mvm_boot_set_acpi(&m, &out, MVM_ACPI_RSDP));
	EXPECT_EQ(MVM_ACPI_RSDP,
		  mvm_get_le64(m.base + MVM_BOOT_ZERO_PAGE + 0x70));
	EXPECT_EQ(4, m.base[MVM_BOOT_ZERO_PAGE + MVM_BP_E820_ENTRIES]);
	free(m.base);
}

TEST(e820_with_acpi)
{
	struct mvm_e820_entry e[MVM_E820_MAX];
	unsigned int n;

	ASSERT_EQ(0, mvm_e820_build_acpi(8ULL << 30, true, e, MVM_E820_MAX,
					 &n));
	ASSERT_EQ(5, n);
	EXPECT_EQ(MVM_ACPI_BASE, e[2].addr);
	EXPECT_EQ(MVM_ACPI_END - MVM_ACPI_BASE, e[2].size);
	EXPECT_EQ(MVM_E820_RESERVED, e[2].type);
	EXPECT_EQ(MiB, e[3].addr);
	EXPECT_EQ(4ULL << 30, e[4].addr);
	/* In address order, apart. */
	for (unsigned int i = 1; i < n; i++)
		EXPECT_LE(e[i - 1].addr + e[i - 1].size, e[i].addr);
	EXPECT_EQ(-ENOSPC, mvm_e820_build_acpi(8ULL << 30, true, e, 4, &n));
	ASSERT_EQ(0, mvm_e820_build_acpi(8ULL << 30, false, e, 4, &n));
	EXPECT_EQ(4, n);
	EXPECT_EQ(-EINVAL, mvm_e820_build_acpi(8ULL << 30, true, NULL, 5,
					       &n));
}

/* ---- acpica-tools: iasl and acpiexec ---------------------------------- */

static bool have_tool(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static void write_file(struct __test_metadata *_metadata, const char *dir,
		       const char *name, const void *p, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(len, fwrite(p, 1, len, f));
	ASSERT_EQ(0, fclose(f));
}

/* Read @dir/@name into a malloc'd NUL-terminated buffer. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[256], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

/* Run @cmd in @dir with its output in @dir/@log; its exit status. */
static int run_in(const char *dir, const char *cmd, const char *log)
{
	char line[512];
	int st;

	snprintf(line, sizeof(line), "cd '%s' && %s >%s 2>&1", dir, cmd, log);
	st = system(line);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

/* A tool's log with no ACPICA error or warning in it. */
static void expect_clean_log(struct __test_metadata *_metadata,
			     const char *dir, const char *log)
{
	static const char *const bad[] = {
		"Error (", "Warning (", "ACPI Error", "ACPI Warning",
		"Firmware Error", "Firmware Warning", "Exception",
	};
	char *text = read_file(dir, log, NULL);
	unsigned int i;

	ASSERT_NE(NULL, text);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strstr(text, bad[i])) {
			TH_LOG("%s says \"%s\":\n%s", log, bad[i], text);
			EXPECT_EQ(NULL, strstr(text, bad[i]));
		}
	}
	free(text);
}

FIXTURE(acpica) {
	struct mvm_guest_mem m;
	struct mvm_acpi_virtio v[NR_MVM_VIRTIO];
	struct tables t;
	char dir[64];
};

FIXTURE_SETUP(acpica)
{
	struct mvm_acpi_config cfg = {
		.nr_vcpus = 4, .legacy = MVM_ACPI_LEGACY_ALL,
		.virtio = self->v, .nr_virtio = NR_MVM_VIRTIO,
	};
	uint64_t rsdp;

	self->dir[0] = '\0';
	self->m.size = MEM_SIZE;
	self->m.base = calloc(1, MEM_SIZE);
	ASSERT_NE(NULL, self->m.base);
	mvm_layout(self->v, NR_MVM_VIRTIO);
	ASSERT_EQ(0, mvm_acpi_write(&self->m, &cfg, &rsdp));
	find_tables(_metadata, &self->m, rsdp, &self->t);
	if (!have_tool("iasl") || !have_tool("acpiexec"))
		return;
	strcpy(self->dir, "/tmp/mvm-acpi-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	write_file(_metadata, self->dir, "xsdt.dat", self->t.xsdt,
		   mvm_get_le32(self->t.xsdt + 4));
	write_file(_metadata, self->dir, "facp.dat", self->t.fadt,
		   mvm_get_le32(self->t.fadt + 4));
	write_file(_metadata, self->dir, "apic.dat", self->t.madt,
		   mvm_get_le32(self->t.madt + 4));
	write_file(_metadata, self->dir, "dsdt.dat", self->t.dsdt,
		   mvm_get_le32(self->t.dsdt + 4));
}

FIXTURE_TEARDOWN(acpica)
{
	char cmd[128];

	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
		if (system(cmd))
			TH_LOG("could not remove %s", self->dir);
	}
	free(self->m.base);
}

/*
 * iasl -d decodes every table without complaint (it checks lengths and
 * checksums), and compiling its output gives back the same bytes: the
 * DSDT's AML exactly (with optimizations off, which would shorten
 * "\_SB" to "_SB"), the data tables except the compiler ID and checksum
 * that iasl stamps.
 */
TEST_F(acpica, iasl_round_trip)
{
	static const char *const tables[] = { "xsdt", "facp", "apic" };
	char cmd[128], log[32], name[32];
	const uint8_t *ours[] = { self->t.xsdt, self->t.fadt, self->t.madt };
	uint8_t *back;
	size_t len;
	unsigned int i;

	if (!self->dir[0])
		SKIP(return, "acpica-tools (iasl, acpiexec) not installed");

	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "iasl -d %s.dat", tables[i]);
		snprintf(log, sizeof(log), "%s.log", tables[i]);
		ASSERT_EQ(0, run_in(self->dir, cmd, log));
		expect_clean_log(_metadata, self->dir, log);
		snprintf(cmd, sizeof(cmd), "iasl -p re_%s %s.dsl", tables[i],
			 tables[i]);
		snprintf(log, sizeof(log), "re_%s.log", tables[i]);
		ASSERT_EQ(0, run_in(self->dir, cmd, log));
		expect_clean_log(_metadata, self->dir, log);
		snprintf(name, sizeof(name), "re_%s.aml", tables[i]);
		back = (uint8_t *)read_file(self->dir, name, &len);
		ASSERT_NE(NULL, back);
		ASSERT_EQ(mvm_get_le32(ours[i] + 4), len);
		EXPECT_EQ(0, memcmp(back, ours[i], 9));
		EXPECT_EQ(0, memcmp(back + 10, ours[i] + 10, 28 - 10));
		EXPECT_EQ(0, memcmp(back + 36, ours[i] + 36, len - 36));
		free(back);
	}

	ASSERT_EQ(0, run_in(self->dir, "iasl -d dsdt.dat", "dsdt.log"));
	expect_clean_log(_metadata, self->dir, "dsdt.log");
	ASSERT_EQ(0, run_in(self->dir, "iasl -oa -p re_dsdt dsdt.dsl",
			    "re_dsdt.log"));
	expect_clean_log(_metadata, self->dir, "re_dsdt.log");
	back = (uint8_t *)read_file(self->dir, "re_dsdt.aml", &len);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(mvm_get_le32(self->t.dsdt + 4), len);
	EXPECT_EQ(0, memcmp(back + 36, self->t.dsdt + 36, len - 36));
	free(back);
}

/* The check above is not blind: iasl does flag a bad checksum. */
TEST_F(acpica, iasl_sees_bad_checksum)
{
	uint32_t len = mvm_get_le32(self->t.madt + 4);
	uint8_t *bad = malloc(len);
	char *text;

	if (!self->dir[0]) {
		free(bad);
		SKIP(return, "acpica-tools (iasl, acpiexec) not installed");
	}
	ASSERT_NE(NULL, bad);
	memcpy(bad, self->t.madt, len);
	bad[9]++;
	write_file(_metadata, self->dir, "bad.dat", bad, len);
	free(bad);
	ASSERT_EQ(0, run_in(self->dir, "iasl -d bad.dat", "bad.log"));
	text = read_file(self->dir, "bad.log", NULL);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "Incorrect checksum"));
	free(text);
}

/*
 * acpiexec (ACPICA, the interpreter Linux uses) loads FADT, DSDT and
 * MADT, builds the namespace and evaluates \_S5 and a device's _CRS.
 */
TEST_F(acpica, acpiexec_evaluates)
{
	char *text;

	if (!self->dir[0])
		SKIP(return, "acpica-tools (iasl, acpiexec) not installed");
	ASSERT_EQ(0, run_in(self->dir,
			    "acpiexec -b 'Evaluate \\_S5; Evaluate \\_SB.VR03._CRS; Evaluate \\_SB.VR03._HID' facp.dat dsdt.dat apic.dat",
			    "exec.log"));
	expect_clean_log(_metadata, self->dir, "exec.log");
	text = read_file(self->dir, "exec.log", NULL);
	ASSERT_NE(NULL, text);
	/* 4 legacy devices and 9 virtio ones. */
	EXPECT_NE(NULL, strstr(text, "13 Devices"));
	EXPECT_NE(NULL, strstr(text, "[Package] Contains 4 Elements"));
	EXPECT_NE(NULL, strstr(text, "[Integer] = 0000000000000005"));
	/* VR03: 0xd0003000, 0x200 bytes, GSI 9. */
	EXPECT_NE(NULL, strstr(text, "86 09 00 01 00 30 00 D0 00 02 00 00 "
				     "89 06 00 03"));
	EXPECT_NE(NULL, strstr(text, "01 09 00 00 00 79 00"));
	EXPECT_NE(NULL, strstr(text, "\"LNRO0005\""));
	if (!_metadata->passed)
		TH_LOG("%s", text);
	free(text);
}

TEST_HARNESS_MAIN
