// SPDX-License-Identifier: GPL-2.0
/*
 * Message-signalled interrupts: a device's 32-bit write of a data word to
 * an address in 0xfee00000..0xfeefffff, decoded as Intel SDM Vol. 3A
 * 11.11.1 (address) and 11.11.2 (data) lay them out, and sent to the
 * local APICs. There is no interrupt remapping, so the destination is the
 * 8-bit field of the address, seen zero-extended by the x2APICs.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>

#include "irq.h"
#include "vm.h"

/* Message address register (SDM Vol. 3A 11.11.1). */
#define MSI_ADDR_BASE		0xfeeULL	/* bits 31:20; 63:32 zero */
#define MSI_ADDR_BASE_SHIFT	20
#define MSI_ADDR_DEST		GENMASK_ULL(19, 12)
#define MSI_ADDR_RESERVED	GENMASK_ULL(11, 4)
#define MSI_ADDR_RH		BIT_ULL(3)	/* redirection hint */
#define MSI_ADDR_DM_LOGICAL	BIT_ULL(2)
/* Bits 1:0 are "don't care": accepted and ignored. */

/* Message data register (SDM Vol. 3A 11.11.2). */
#define MSI_DATA_VECTOR		GENMASK(7, 0)
#define MSI_DATA_DELMODE	GENMASK(10, 8)
#define MSI_DATA_ASSERT		BIT(14)		/* level: assert / deassert */
#define MSI_DATA_LEVEL		BIT(15)		/* trigger mode: level */
#define MSI_DATA_RESERVED	(GENMASK(31, 16) | GENMASK(13, 11))

/* Vectors 0-15 are illegal for fixed and lowest-priority delivery (SDM
 * Vol. 3A 11.5.2): the local APIC would refuse them. */
#define APIC_FIRST_LEGAL_VECTOR	16

/*
 * mvm_msi_deliver() - a device's MSI write of @data to @addr.
 *
 * The redirection hint with logical destination makes fixed delivery
 * lowest-priority. A level-triggered message that deasserts, and a fixed
 * or lowest-priority one with a vector below 16, reach nobody (0).
 *
 * Return: the number of vCPUs reached; -EINVAL when @addr is not in
 * 0xfee00000..0xfeefffff or has reserved bits 11:4 set, or @data has a
 * reserved bit (31:16, 13:11) or a reserved delivery mode (3 or 6).
 * Context: any; no lock of its own (mvm_lapic_deliver() takes the
 * LAPICs').
 */
int mvm_msi_deliver(struct mvm_vm *vm, u64 addr, u32 data)
{
	struct mvm_irq_msg msg = { .shorthand = MVM_SH_NONE };
	u8 dest;

	if ((addr >> MSI_ADDR_BASE_SHIFT) != MSI_ADDR_BASE ||
	    (addr & MSI_ADDR_RESERVED) || (data & MSI_DATA_RESERVED))
		return -EINVAL;

	msg.dm = FIELD_GET(MSI_DATA_DELMODE, data);
	msg.vector = FIELD_GET(MSI_DATA_VECTOR, data);
	msg.logical = addr & MSI_ADDR_DM_LOGICAL;
	switch (msg.dm) {
	case MVM_DM_FIXED:
	case MVM_DM_LOWEST:
		if (msg.vector < APIC_FIRST_LEGAL_VECTOR)
			return 0;
		/* A level-triggered deassert message carries nothing. */
		if ((data & MSI_DATA_LEVEL) && !(data & MSI_DATA_ASSERT))
			return 0;
		/* Delivered as an edge: a level one would set the vector's
		 * TMR and make its EOI clear an IOAPIC pin's Remote IRR. */
		msg.level = false;
		if (msg.dm == MVM_DM_FIXED && msg.logical &&
		    (addr & MSI_ADDR_RH))
			msg.dm = MVM_DM_LOWEST;
		break;
	case MVM_DM_SMI:
	case MVM_DM_NMI:
	case MVM_DM_INIT:
	case MVM_DM_EXTINT:
		break;
	default:
		return -EINVAL;
	}
	dest = FIELD_GET(MSI_ADDR_DEST, addr);
	msg.dest = dest == 0xff ? U32_MAX : dest;
	return mvm_lapic_deliver(vm, NULL, &msg);
}
