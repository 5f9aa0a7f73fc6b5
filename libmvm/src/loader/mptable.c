// SPDX-License-Identifier: Apache-2.0
/*
 * MP tables: how a guest without ACPI finds its processors, IOAPIC and
 * ISA interrupt routing. Formats from the Intel MultiProcessor
 * Specification 1.4: 4.1 (MP floating pointer structure), 4.2 (header
 * of the MP configuration table), 4.3 (base table entries).
 *
 * Both go in the last KiB of 640 KiB (MVM_BOOT_EBDA), one of the places
 * the spec (4.0) tells the OS to search and Linux's smp_scan_config()
 * does: the floating pointer at its start, the configuration table right
 * after it. The e820 map reserves that KiB.
 */
#include <errno.h>
#include <string.h>

#include "loader.h"

#define MP_AREA_SIZE	(MVM_BOOT_LOW_RAM_END - MVM_BOOT_EBDA)
#define MP_FPS_SIZE	16
#define MP_HDR_SIZE	44
#define MP_CPU_SIZE	20
#define MP_ENTRY_SIZE	8	/* bus, IOAPIC, interrupt entries */
#define MP_NR_LINT	2

#define MP_SPEC_REV	4	/* 1.4 */
#define MP_LAPIC_VER	0x14	/* integrated xAPIC */
#define MP_IOAPIC_VER	0x20	/* as mvm.ko's IOAPIC version register */
#define MP_CPU_EN	0x01
#define MP_CPU_BP	0x02
#define MP_CPU_SIG	0x600	/* family 6; Linux only prints it */
/* CPUID.1 EDX feature flags: FPU, APIC. */
#define MP_CPU_FEAT	((1U << 0) | (1U << 9))

enum { MP_CPU, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint64_t fixed_size(void)
{
	return MP_FPS_SIZE + MP_HDR_SIZE + MP_ENTRY_SIZE * (1 + 1 +
	       MVM_MP_ISA_IRQS + MP_NR_LINT);
}

uint64_t mvm_mptable_size(unsigned int nr_vcpus)
{
	return fixed_size() + (uint64_t)nr_vcpus * MP_CPU_SIZE;
}

unsigned int mvm_mptable_max_vcpus(void)
{
	return (unsigned int)((MP_AREA_SIZE - fixed_size()) / MP_CPU_SIZE);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static uint8_t *put_intr(uint8_t *p, uint8_t type, uint8_t kind,
			 uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	p[0] = type;
	p[1] = kind;
	/* Polarity and trigger conform to the bus: ISA, edge, active high. */
	mvm_put_le16(p + 2, 0);
	p[4] = 0;			/* source bus: ISA */
	p[5] = src_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + MP_ENTRY_SIZE;
}

int mvm_mptable_write(const struct mvm_guest_mem *m, unsigned int nr_vcpus)
{
	uint8_t buf[MP_AREA_SIZE];
	uint8_t *fps = buf, *hdr = buf + MP_FPS_SIZE, *p;
	uint8_t ioapic_id = (uint8_t)nr_vcpus;
	uint64_t size, table_len;
	unsigned int i;

	if (!m || !m->base || !nr_vcpus)
		return -EINVAL;
	if (nr_vcpus > mvm_mptable_max_vcpus())
		return -ENOSPC;
	size = mvm_mptable_size(nr_vcpus);
	table_len = size - MP_FPS_SIZE;
	if (mvm_gmem_check(m, MVM_BOOT_EBDA, size))
		return -ENOSPC;

	memset(buf, 0, sizeof(buf));
	p = hdr + MP_HDR_SIZE;
	for (i = 0; i < nr_vcpus; i++) {
		p[0] = MP_CPU;
		p[1] = (uint8_t)i;		/* local APIC ID */
		p[2] = MP_LAPIC_VER;
		p[3] = MP_CPU_EN | (i == 0 ? MP_CPU_BP : 0);
		mvm_put_le32(p + 4, MP_CPU_SIG);
		mvm_put_le32(p + 8, MP_CPU_FEAT);
		p += MP_CPU_SIZE;
	}

	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_ENTRY_SIZE;

	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VER;
	p[3] = 1;			/* enabled */
	mvm_put_le32(p + 4, MVM_MP_IOAPIC_ADDR);
	p += MP_ENTRY_SIZE;

	/* ISA IRQ n on IOAPIC pin n: no 8259 cascade in the way. */
	for (i = 0; i < MVM_MP_ISA_IRQS; i++)
		p = put_intr(p, MP_IOINT, MP_INT, (uint8_t)i, ioapic_id,
			     (uint8_t)i);
	/* Virtual wire on every local APIC (0xff): LINT0 ExtINT, LINT1 NMI. */
	p = put_intr(p, MP_LINT, MP_EXTINT, 0, 0xff, 0);
	p = put_intr(p, MP_LINT, MP_NMI, 0, 0xff, 1);

	memcpy(hdr, "PCMP", 4);
	mvm_put_le16(hdr + 4, (uint16_t)table_len);
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "MVM     ", 8);		/* OEM ID */
	memcpy(hdr + 16, "MVM MICROVM ", 12);	/* product ID */
	mvm_put_le16(hdr + 34, (uint16_t)(nr_vcpus + 2 + MVM_MP_ISA_IRQS +
					  MP_NR_LINT));
	mvm_put_le32(hdr + 36, MVM_MP_LAPIC_ADDR);
	hdr[7] = checksum(hdr, table_len);

	memcpy(fps, "_MP_", 4);
	mvm_put_le32(fps + 4, (uint32_t)(MVM_BOOT_EBDA + MP_FPS_SIZE));
	fps[8] = 1;			/* length in 16-byte units */
	fps[9] = MP_SPEC_REV;
	/* feature bytes 0: configuration table present, virtual wire */
	fps[10] = checksum(fps, MP_FPS_SIZE);

	return mvm_gmem_write(m, MVM_BOOT_EBDA, buf, size) ? -ENOSPC : 0;
}
