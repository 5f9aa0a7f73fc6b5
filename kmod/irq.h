/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel interrupt controllers and their fast paths, seen by the
 * rest of the module:
 *  - lapic.c: one x2APIC per vCPU (timer, IPIs, EOI, INIT/SIPI);
 *  - ioapic.c: one IOAPIC per VM, 24 pins, its MMIO decoded here;
 *  - msi.c: MSI messages turned into APIC deliveries;
 *  - eventfd.c: irqfd (an eventfd write pulses a GSI) and ioeventfd (a
 *    guest write signals an eventfd without an exit).
 *
 * Contexts: every delivery function may be called from any context,
 * hardirq included (an hrtimer, an eventfd wakeup), and takes only
 * spinlocks with interrupts saved; none sleeps.
 */
#ifndef MVM_KMOD_IRQ_H
#define MVM_KMOD_IRQ_H

#include <linux/types.h>

struct mvm_vm;
struct mvm_vcpu;
struct mvm_irq_level;
struct mvm_msi;
struct mvm_irqfd;
struct mvm_ioeventfd;

/* APIC delivery modes (SDM Vol. 3A 11.6.1), as in ICR bits 10:8. */
enum mvm_apic_dm {
	MVM_DM_FIXED = 0,
	MVM_DM_LOWEST = 1,
	MVM_DM_SMI = 2,
	MVM_DM_NMI = 4,
	MVM_DM_INIT = 5,
	MVM_DM_SIPI = 6,
	MVM_DM_EXTINT = 7,
};

/* ICR destination shorthands (bits 19:18). */
enum mvm_apic_shorthand {
	MVM_SH_NONE = 0,
	MVM_SH_SELF = 1,
	MVM_SH_ALL = 2,
	MVM_SH_OTHERS = 3,
};

/*
 * struct mvm_irq_msg - one interrupt message to local APICs: what an
 * IOAPIC redirection entry, an MSI or an IPI carries.
 * @dest:      x2APIC ID (physical), or logical x2APIC destination
 *             (cluster in bits 31:16, member bitmap in 15:0);
 *             0xffffffff is the broadcast in either mode.
 * @vector:    the interrupt vector (fixed, lowest priority; SIPI page).
 * @dm:        an enum mvm_apic_dm.
 * @logical:   @dest is logical.
 * @level:     level-triggered: the vector's TMR bit is set, and its EOI
 *             is passed on to the IOAPIC (mvm_ioapic_eoi()).
 * @shorthand: an enum mvm_apic_shorthand (IPIs only; else MVM_SH_NONE).
 */
struct mvm_irq_msg {
	u32 dest;
	u8 vector;
	u8 dm;
	bool logical;
	bool level;
	u8 shorthand;
};

/* ---- lapic.c --------------------------------------------------------- */

/*
 * mvm_lapic_deliver() - deliver @msg to every local APIC it addresses.
 * @vm:  the VM.
 * @src: the sending vCPU for IPIs (self and all-but-self shorthands), or
 *       NULL for IOAPIC and MSI messages.
 * @msg: the message.
 *
 * Sets the vector pending in each target's IRR (or the INIT/SIPI/NMI
 * state) and kicks the target: wakes it from HLT, or makes it exit the
 * guest to take the interrupt. Lowest-priority delivery picks one target.
 * SMI and ExtINT are dropped (no SMM, no 8259).
 *
 * Return: the number of vCPUs reached. Context: any; no sleeping.
 */
int mvm_lapic_deliver(struct mvm_vm *vm, struct mvm_vcpu *src,
		      const struct mvm_irq_msg *msg);

/* ---- ioapic.c -------------------------------------------------------- */

/*
 * mvm_ioapic_create() / mvm_ioapic_destroy() - the VM's IOAPIC, all pins
 * masked, at reset. create: 0 or -ENOMEM; sets vm->ioapic. destroy copes
 * with vm->ioapic NULL. Context: process context.
 */
int mvm_ioapic_create(struct mvm_vm *vm);
void mvm_ioapic_destroy(struct mvm_vm *vm);

/*
 * mvm_ioapic_set_irq() - drive pin @pin to @level (0 or 1).
 * Return: 0; -EINVAL for a pin >= MVM_IOAPIC_PINS. Context: any.
 */
int mvm_ioapic_set_irq(struct mvm_vm *vm, u32 pin, int level);

/*
 * mvm_ioapic_eoi() - the guest ended level-triggered interrupt @vector:
 * clear Remote IRR of the pins that deliver it, and deliver again those
 * still asserted. Context: any.
 */
void mvm_ioapic_eoi(struct mvm_vm *vm, u8 vector);

/*
 * mvm_ioapic_mmio() - a guest access to the IOAPIC page.
 * @gpa:   guest-physical address, in [MVM_IOAPIC_ADDR, +4 KiB).
 * @len:   1, 2, 4 or 8 bytes.
 * @write: a store of *@data, else a load into *@data.
 *
 * Unknown registers read 0 and ignore writes, as on the 82093AA.
 * Return: true when @gpa is the IOAPIC's (the access is done), false
 * when not (the caller exits to userspace). Context: any.
 */
bool mvm_ioapic_mmio(struct mvm_vm *vm, u64 gpa, u32 len, bool write,
		     u64 *data);

/* ---- msi.c ----------------------------------------------------------- */

/*
 * mvm_msi_deliver() - a device's MSI write of @data to @addr.
 * Return: the number of vCPUs reached; -EINVAL when @addr is not in
 * 0xfee00000..0xfeefffff or @data has reserved bits or a delivery mode
 * an MSI may not use. Context: any.
 */
int mvm_msi_deliver(struct mvm_vm *vm, u64 addr, u32 data);

/* ---- eventfd.c ------------------------------------------------------- */

/*
 * mvm_eventfds_init() / mvm_eventfds_destroy() - the VM's irqfd and
 * ioeventfd registrations (vm->eventfds). init: 0 or -ENOMEM. destroy
 * releases every registration (the VM is dying, no vCPU runs) and copes
 * with vm->eventfds NULL. Context: process context.
 */
int mvm_eventfds_init(struct mvm_vm *vm);
void mvm_eventfds_destroy(struct mvm_vm *vm);

/* The MVM_IRQFD and MVM_IOEVENTFD ioctls: 0, -EINVAL, -EBADF, -EEXIST,
 * -ENOENT, -ENOSPC (too many), -ENOMEM. Context: process context. */
int mvm_irqfd(struct mvm_vm *vm, const struct mvm_irqfd *arg);
int mvm_ioeventfd(struct mvm_vm *vm, const struct mvm_ioeventfd *arg);

/*
 * mvm_ioeventfd_write() - offer a guest write to the ioeventfds.
 * @pio:  a port write (else MMIO).
 * @addr: the port or guest-physical address.
 * @len:  bytes written; @val their value.
 * Return: true when an ioeventfd took it (its eventfd was signalled and
 * the write is complete); false to handle the write as usual.
 * Context: any, preemption may be disabled; takes no sleeping lock.
 */
bool mvm_ioeventfd_write(struct mvm_vm *vm, bool pio, u64 addr, u32 len,
			 u64 val);

/* Limits reported by MVM_CAP_MAX_IRQFDS / MVM_CAP_MAX_IOEVENTFDS. */
#define MVM_MAX_IRQFDS		64
#define MVM_MAX_IOEVENTFDS	256

#endif /* MVM_KMOD_IRQ_H */
