// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's IOAPIC: an 82093AA-compatible I/O APIC with the version 0x20
 * EOI register, MVM_IOAPIC_PINS input pins, at MVM_IOAPIC_ADDR.
 *
 * State is a redirection table, the level each input pin is driven to,
 * and the index register. One spinlock (interrupts saved) guards it all:
 * pins are driven from ioctls, from eventfd wakeups (under the eventfd's
 * own lock) and from hardirq context, and the guest reaches the registers
 * from its vCPU threads.
 *
 * Messages are built under the lock and handed to mvm_lapic_deliver()
 * after it is dropped, so the IOAPIC lock never nests outside a LAPIC
 * lock; the only path back in, a level-triggered EOI, runs on a vCPU
 * thread holding no LAPIC lock.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "irq.h"
#include "vm.h"

/* Direct registers: offsets in the IOAPIC page (82093AA datasheet 3.1;
 * the EOI register is that of version 0x20 IOAPICs). Each is 32 bits. */
#define IOAPIC_PAGE_SIZE	0x1000
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Indirect registers, selected by IOREGSEL bits 7:0. */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_RTE0		0x10	/* entry n: 0x10 + 2n (low), +1 (high) */
#define IOAPIC_REG_RTE_END	(IOAPIC_REG_RTE0 + 2 * MVM_IOAPIC_PINS)

#define IOAPIC_IOREGSEL_MASK	GENMASK(7, 0)
#define IOAPIC_ID_MASK		GENMASK(27, 24)
#define IOAPIC_VERSION		0x20
#define IOAPIC_VER_MAXREDIR	GENMASK(23, 16)

/* Redirection table entry (82093AA datasheet 3.2.4). */
#define RTE_VECTOR		GENMASK_ULL(7, 0)
#define RTE_DELMODE		GENMASK_ULL(10, 8)
#define RTE_DEST_LOGICAL	BIT_ULL(11)
#define RTE_DELIVS		BIT_ULL(12)	/* read-only; always 0 here */
#define RTE_ACTIVE_LOW		BIT_ULL(13)
#define RTE_REMOTE_IRR		BIT_ULL(14)	/* read-only */
#define RTE_LEVEL		BIT_ULL(15)
#define RTE_MASKED		BIT_ULL(16)
#define RTE_DEST		GENMASK_ULL(63, 56)
#define RTE_WRITABLE		(RTE_VECTOR | RTE_DELMODE | RTE_DEST_LOGICAL | \
				 RTE_ACTIVE_LOW | RTE_LEVEL | RTE_MASKED | \
				 RTE_DEST)

/* Vectors 0-15 are illegal for fixed and lowest-priority delivery (SDM
 * Vol. 3A 11.5.2): the local APIC would refuse them. */
#define APIC_FIRST_LEGAL_VECTOR	16

struct mvm_ioapic {
	struct mvm_vm *vm;
	spinlock_t lock;	/* all that follows */
	u32 ioregsel;		/* index register, bits 7:0 */
	u32 id;			/* ID register: bits 27:24 */
	u32 lines;		/* bit n: the level pin n is driven to */
	u64 rte[MVM_IOAPIC_PINS];
};

/*
 * Whether the pin's input is asserted: its level adjusted by the entry's
 * polarity (an active-low pin is asserted when driven to 0).
 */
static bool pin_asserted(const struct mvm_ioapic *ioapic, unsigned int pin)
{
	bool high = ioapic->lines & BIT(pin);

	return high != !!(ioapic->rte[pin] & RTE_ACTIVE_LOW);
}

/*
 * Level semantics hold only for fixed and lowest-priority delivery: the
 * 82093AA sends SMI, NMI, INIT and ExtINT as edges whatever bit 15 says.
 */
static bool rte_is_level(u64 rte)
{
	u8 dm = FIELD_GET(RTE_DELMODE, rte);

	return (rte & RTE_LEVEL) && (dm == MVM_DM_FIXED || dm == MVM_DM_LOWEST);
}

/*
 * The message entry @rte sends, or false when it sends none: a reserved
 * delivery mode (3, 6), or an illegal vector for a vectored mode.
 */
static bool rte_to_msg(u64 rte, struct mvm_irq_msg *msg)
{
	u8 dm = FIELD_GET(RTE_DELMODE, rte);
	u8 vector = FIELD_GET(RTE_VECTOR, rte);
	u8 dest = FIELD_GET(RTE_DEST, rte);

	switch (dm) {
	case MVM_DM_FIXED:
	case MVM_DM_LOWEST:
		if (vector < APIC_FIRST_LEGAL_VECTOR)
			return false;
		break;
	case MVM_DM_SMI:
	case MVM_DM_NMI:
	case MVM_DM_INIT:
	case MVM_DM_EXTINT:
		break;
	default:
		return false;
	}
	/*
	 * Without interrupt remapping an IOAPIC names at most 8 bits of
	 * destination; the x2APIC sees them zero-extended, physical or
	 * logical (cluster 0). All ones is the broadcast in either mode.
	 */
	msg->dest = dest == 0xff ? U32_MAX : dest;
	msg->vector = vector;
	msg->dm = dm;
	msg->logical = rte & RTE_DEST_LOGICAL;
	msg->level = rte_is_level(rte);
	msg->shorthand = MVM_SH_NONE;
	return true;
}

/*
 * Decide, under the lock, whether pin @pin sends a message now, and build
 * it. @was_asserted is the input before the change being evaluated: an
 * edge pin sends on a rise only; a level pin sends while asserted and its
 * Remote IRR is clear, and sets Remote IRR (cleared by the EOI).
 */
static bool ioapic_evaluate(struct mvm_ioapic *ioapic, unsigned int pin,
			    bool was_asserted, struct mvm_irq_msg *msg)
{
	u64 rte = ioapic->rte[pin];
	bool asserted = pin_asserted(ioapic, pin);

	lockdep_assert_held(&ioapic->lock);
	if ((rte & RTE_MASKED) || !asserted)
		return false;
	if (rte_is_level(rte)) {
		if (rte & RTE_REMOTE_IRR)
			return false;
	} else if (was_asserted) {
		return false;
	}
	if (!rte_to_msg(rte, msg))
		return false;
	if (msg->level)
		ioapic->rte[pin] |= RTE_REMOTE_IRR;
	return true;
}

/* Send @msg for @pin; called without the lock. */
static void ioapic_send(struct mvm_ioapic *ioapic, unsigned int pin,
			const struct mvm_irq_msg *msg)
{
	unsigned long flags;

	if (mvm_lapic_deliver(ioapic->vm, NULL, msg) > 0 || !msg->level)
		return;
	/*
	 * No local APIC took a level-triggered message, so no EOI will
	 * clear Remote IRR: clear it here, or the pin would be stuck until
	 * reset. The next assertion or EOI evaluates the pin again.
	 */
	spin_lock_irqsave(&ioapic->lock, flags);
	/* Unless the guest reprogrammed the pin meanwhile, and a newer
	 * delivery's Remote IRR is the one now set. */
	if (FIELD_GET(RTE_VECTOR, ioapic->rte[pin]) == msg->vector)
		ioapic->rte[pin] &= ~RTE_REMOTE_IRR;
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

/*
 * mvm_ioapic_create() - allocate the VM's IOAPIC at reset: ID 0, every
 * pin masked, edge-triggered, active high, driven low.
 * Return: 0, or -ENOMEM. Context: process context; sets vm->ioapic.
 */
int mvm_ioapic_create(struct mvm_vm *vm)
{
	struct mvm_ioapic *ioapic;
	unsigned int pin;

	ioapic = kzalloc(sizeof(*ioapic), GFP_KERNEL_ACCOUNT);
	if (!ioapic)
		return -ENOMEM;
	ioapic->vm = vm;
	spin_lock_init(&ioapic->lock);
	for (pin = 0; pin < MVM_IOAPIC_PINS; pin++)
		ioapic->rte[pin] = RTE_MASKED;
	mvm_account_bytes(vm, sizeof(*ioapic));
	vm->ioapic = ioapic;
	return 0;
}

/*
 * mvm_ioapic_destroy() - free the VM's IOAPIC (vm->ioapic may be NULL).
 * Context: process context, VM dying: no vCPU runs, and the irqfds that
 * drive pins are gone (mvm_eventfds_destroy() ran first).
 */
void mvm_ioapic_destroy(struct mvm_vm *vm)
{
	struct mvm_ioapic *ioapic = vm->ioapic;

	if (!ioapic)
		return;
	vm->ioapic = NULL;
	mvm_account_bytes(vm, -(long)sizeof(*ioapic));
	kfree(ioapic);
}

/*
 * mvm_ioapic_set_irq() - drive pin @pin to electrical @level, 0 or 1
 * (an active-low pin is asserted at 0).
 * Return: 0; -EINVAL for a pin >= MVM_IOAPIC_PINS or another level;
 * -ENODEV when the VM has no IOAPIC. Context: any; takes the IOAPIC
 * spinlock, then (after dropping it) the LAPICs'.
 */
int mvm_ioapic_set_irq(struct mvm_vm *vm, u32 pin, int level)
{
	struct mvm_ioapic *ioapic = vm->ioapic;
	struct mvm_irq_msg msg;
	unsigned long flags;
	bool was, send;

	if (pin >= MVM_IOAPIC_PINS || (level != 0 && level != 1))
		return -EINVAL;
	if (!ioapic)
		return -ENODEV;
	pin = array_index_nospec(pin, MVM_IOAPIC_PINS);

	spin_lock_irqsave(&ioapic->lock, flags);
	was = pin_asserted(ioapic, pin);
	if (level)
		ioapic->lines |= BIT(pin);
	else
		ioapic->lines &= ~BIT(pin);
	send = ioapic_evaluate(ioapic, pin, was, &msg);
	spin_unlock_irqrestore(&ioapic->lock, flags);

	if (send)
		ioapic_send(ioapic, pin, &msg);
	return 0;
}

/*
 * mvm_ioapic_eoi() - end of level-triggered interrupt @vector: clear
 * Remote IRR of the pins that deliver it and send again those still
 * asserted. Context: any (a vCPU thread holding no LAPIC lock, or the
 * guest's write to the EOI register).
 */
void mvm_ioapic_eoi(struct mvm_vm *vm, u8 vector)
{
	struct mvm_ioapic *ioapic = vm->ioapic;
	struct mvm_irq_msg msgs[MVM_IOAPIC_PINS];
	u8 pins[MVM_IOAPIC_PINS];
	unsigned int pin, i, n = 0;
	unsigned long flags;

	if (!ioapic)
		return;
	spin_lock_irqsave(&ioapic->lock, flags);
	for (pin = 0; pin < MVM_IOAPIC_PINS; pin++) {
		u64 rte = ioapic->rte[pin];

		if (!(rte & RTE_REMOTE_IRR) ||
		    FIELD_GET(RTE_VECTOR, rte) != vector)
			continue;
		ioapic->rte[pin] &= ~RTE_REMOTE_IRR;
		if (ioapic_evaluate(ioapic, pin, true, &msgs[n]))
			pins[n++] = pin;
	}
	spin_unlock_irqrestore(&ioapic->lock, flags);

	for (i = 0; i < n; i++)
		ioapic_send(ioapic, pins[i], &msgs[i]);
}

/* The indirect register @reg as IOWIN reads it; lock held. */
static u32 ioapic_read_indirect(struct mvm_ioapic *ioapic, u32 reg)
{
	unsigned int pin;
	u64 rte;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:	/* arbitration ID: the APIC ID */
		return ioapic->id;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION |
		       FIELD_PREP(IOAPIC_VER_MAXREDIR, MVM_IOAPIC_PINS - 1);
	}
	if (reg < IOAPIC_REG_RTE0 || reg >= IOAPIC_REG_RTE_END)
		return 0;
	pin = array_index_nospec((reg - IOAPIC_REG_RTE0) / 2,
				 MVM_IOAPIC_PINS);
	rte = ioapic->rte[pin];
	return (reg & 1) ? upper_32_bits(rte) : lower_32_bits(rte);
}

/*
 * Write indirect register @reg with @val; lock held. Returns true with
 * *@msg and *@pin filled when the write makes a pin send (unmasking an
 * asserted level pin, say).
 */
static bool ioapic_write_indirect(struct mvm_ioapic *ioapic, u32 reg,
				  u32 val, unsigned int *pin,
				  struct mvm_irq_msg *msg)
{
	u64 old, rte;
	unsigned int n;

	if (reg == IOAPIC_REG_ID) {
		ioapic->id = val & IOAPIC_ID_MASK;
		return false;
	}
	if (reg < IOAPIC_REG_RTE0 || reg >= IOAPIC_REG_RTE_END)
		return false;	/* version, arbitration: read-only */

	n = array_index_nospec((reg - IOAPIC_REG_RTE0) / 2, MVM_IOAPIC_PINS);
	old = ioapic->rte[n];
	if (reg & 1)
		rte = (old & GENMASK_ULL(31, 0)) | ((u64)val << 32);
	else
		rte = (old & GENMASK_ULL(63, 32)) | val;
	/* Delivery status and Remote IRR are read-only; reserved bits read
	 * as 0. Remote IRR means nothing for an edge pin, whose EOI never
	 * comes: drop it when the pin stops being level-triggered. */
	rte = (rte & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
	if (!rte_is_level(rte))
		rte &= ~RTE_REMOTE_IRR;
	ioapic->rte[n] = rte;

	/* A write never makes an edge; an unmasked, asserted level pin
	 * sends (was_asserted is irrelevant for level pins). */
	*pin = n;
	return ioapic_evaluate(ioapic, n, pin_asserted(ioapic, n), msg);
}

/*
 * mvm_ioapic_mmio() - a guest load or store in the IOAPIC page.
 *
 * The three registers are 32 bits wide. An access of 1, 2, 4 or 8 bytes
 * aligned to its size is taken as an access to the bytes of the register
 * holding its first byte: a narrower read returns those bytes, a narrower
 * write replaces them and leaves the others (IOWIN: read-modify-write of
 * the selected register); bytes beyond the register read as 0 and are
 * dropped. Misaligned accesses and other sizes read 0 and write nothing;
 * so do unknown offsets, and the EOI register reads 0.
 *
 * Return: true when @gpa is in the IOAPIC page (the access is done);
 * false otherwise, or when the VM has no IOAPIC. Context: any (the
 * VM-exit path); takes the IOAPIC spinlock.
 */
bool mvm_ioapic_mmio(struct mvm_vm *vm, u64 gpa, u32 len, bool write,
		     u64 *data)
{
	struct mvm_ioapic *ioapic = vm->ioapic;
	struct mvm_irq_msg msg;
	unsigned int shift, width, pin = 0;
	unsigned long flags;
	bool send = false;
	u32 reg, mask, cur, val;
	u64 off;

	if (!ioapic || gpa < MVM_IOAPIC_ADDR ||
	    gpa - MVM_IOAPIC_ADDR >= IOAPIC_PAGE_SIZE)
		return false;
	off = gpa - MVM_IOAPIC_ADDR;
	if (!write)
		*data = 0;
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    (off & (len - 1)))
		return true;

	reg = off & ~3ULL;
	shift = (off & 3) * 8;
	width = min_t(unsigned int, len, 4 - (off & 3));
	mask = (width == 4 ? U32_MAX : (u32)BIT(width * 8) - 1) << shift;
	if (reg != IOAPIC_IOREGSEL && reg != IOAPIC_IOWIN &&
	    reg != IOAPIC_EOI)
		return true;

	if (reg == IOAPIC_EOI) {
		/* Write-only: bits 7:0 name the vector; reads give 0. */
		if (write && (mask & 0xff))
			mvm_ioapic_eoi(vm, (u8)*data);
		return true;
	}

	spin_lock_irqsave(&ioapic->lock, flags);
	if (reg == IOAPIC_IOREGSEL)
		cur = ioapic->ioregsel;
	else
		cur = ioapic_read_indirect(ioapic, ioapic->ioregsel);
	if (!write) {
		*data = (cur & mask) >> shift;
	} else {
		val = (cur & ~mask) | (((u32)*data << shift) & mask);
		if (reg == IOAPIC_IOREGSEL)
			ioapic->ioregsel = val & IOAPIC_IOREGSEL_MASK;
		else
			send = ioapic_write_indirect(ioapic, ioapic->ioregsel,
						     val, &pin, &msg);
	}
	spin_unlock_irqrestore(&ioapic->lock, flags);

	if (send)
		ioapic_send(ioapic, pin, &msg);
	return true;
}
