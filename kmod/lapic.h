/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC of a vCPU, in x2APIC mode only (Intel SDM
 * Vol. 3A chapter 11): its registers are MSRs 0x800-0x8ff, which the
 * backend routes here, plus IA32_TSC_DEADLINE.
 *
 * Who touches what:
 *  - any context (another vCPU's IPI, the IOAPIC, an MSI, an irqfd, this
 *    APIC's hrtimer) sets bits in @irr, @tmr and @events with atomic
 *    bit operations, then kicks the vCPU (mvm_lapic_deliver());
 *  - only the vCPU's own thread, under vcpu->mutex, reads and writes
 *    the rest and moves vectors from @irr to @isr;
 *  - the timer registers change only while the hrtimer is cancelled,
 *    so its callback reads them without a lock.
 * The struct is embedded in struct mvm_vcpu, which is freed after an
 * RCU grace period: senders find their targets under rcu_read_lock().
 */
#ifndef MVM_KMOD_LAPIC_H
#define MVM_KMOD_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct mvm_vcpu;

/* Bits of struct mvm_lapic.events. */
enum {
	MVM_LAPIC_EV_INIT,	/* INIT received */
	MVM_LAPIC_EV_SIPI,	/* STARTUP received; vector in sipi_vector */
};

/* The vCPU's run state as other CPUs see it (struct mvm_lapic.mode). */
enum {
	MVM_LAPIC_OUTSIDE_GUEST,
	MVM_LAPIC_IN_GUEST,
};

/* LVT entries, in register order from 0x832, CMCI (0x82f) last. */
enum {
	MVM_LVT_TIMER, MVM_LVT_THERMAL, MVM_LVT_PERF, MVM_LVT_LINT0,
	MVM_LVT_LINT1, MVM_LVT_ERROR, MVM_LVT_CMCI, MVM_LVT_NR
};

struct mvm_lapic {
	unsigned long irr[BITS_TO_LONGS(256)];
	unsigned long tmr[BITS_TO_LONGS(256)];
	unsigned long isr[BITS_TO_LONGS(256)];
	unsigned long events;
	spinlock_t mp_lock;	/* INIT/STARTUP: the next three fields */
	u8 sipi_vector;
	bool wait_sipi;		/* an AP before its STARTUP IPI */
	int tsc_gen;		/* vm->tsc_gen its timer was armed under */

	u32 id, ldr;
	u64 apic_base;
	u32 tpr, svr, esr;
	u32 lvt[MVM_LVT_NR];

	/* Timer: one-shot and periodic count at MVM_APIC_TIMER_KHZ. */
	u32 timer_icr, timer_dcr;
	u64 tsc_deadline;
	u64 period_ns;		/* periodic mode, else 0 */
	struct hrtimer timer;

	/* For kicks: where the vCPU runs guest code, and whether it does. */
	int cpu;
	atomic_t mode;
	wait_queue_head_t wq;	/* HLT and wait-for-SIPI sleep here */
};

/*
 * mvm_lapic_init() - reset @vcpu's APIC: x2APIC mode at 0xfee00000,
 * software-disabled, all LVTs masked, ID = vcpu->id. An AP (@ap) waits
 * for INIT-SIPI before running. Context: process, vcpu not yet visible.
 */
void mvm_lapic_init(struct mvm_vcpu *vcpu, bool ap);

/* mvm_lapic_destroy() - stop the timer; call before freeing the vCPU. */
void mvm_lapic_destroy(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_rdmsr() / mvm_lapic_wrmsr() - the guest's (or userspace's)
 * access to x2APIC MSR @index (0x800-0x8ff), IA32_TSC_DEADLINE or
 * IA32_APIC_BASE.
 * Return: 0; -ENOENT for an MSR that is not the APIC's (or a register
 * that does not exist, or is write- or read-only for that access);
 * -EINVAL for a value with reserved bits: the guest gets #GP for both.
 * Context: the vCPU's thread, vcpu->mutex held, preemption may be off.
 */
int mvm_lapic_rdmsr(struct mvm_vcpu *vcpu, u32 index, u64 *data);
int mvm_lapic_wrmsr(struct mvm_vcpu *vcpu, u32 index, u64 data);

/* Is @index an MSR of the APIC (x2APIC range, TSC deadline, APIC base)? */
bool mvm_lapic_is_msr(u32 index);

/*
 * mvm_lapic_pending_vector() - the highest vector in the IRR that the
 * processor would take now (its class above the processor priority,
 * APIC software-enabled), or -1. Context: the vCPU's thread.
 */
int mvm_lapic_pending_vector(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_accept() - the vCPU takes @vector: IRR to ISR. Call with
 * the result of mvm_lapic_pending_vector() right before injecting it.
 */
void mvm_lapic_accept(struct mvm_vcpu *vcpu, int vector);

/* mvm_lapic_unaccept() - undo mvm_lapic_accept() after a failed entry. */
void mvm_lapic_unaccept(struct mvm_vcpu *vcpu, int vector);

/*
 * mvm_lapic_wait_init() - for a vCPU halted with interrupts off: sleep
 * until INIT. Return: 0, or -EINTR on a signal. Context: process.
 */
int mvm_lapic_wait_init(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_sync() - before running: re-arm a TSC-deadline timer armed
 * before MVM_SET_TSC moved the guest's TSC. Context: the vCPU's thread.
 */
void mvm_lapic_sync(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_halt() - sleep in HLT until an interrupt the guest would
 * take is pending, an INIT arrives, or a signal.
 * Return: 0, or -EINTR on a signal. Context: process, may sleep.
 */
int mvm_lapic_halt(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_wait_sipi() - for an AP in wait-for-SIPI: sleep until a
 * STARTUP IPI, then leave that state.
 * Return: the SIPI vector (0-255), or -EINTR on a signal.
 * Context: process, may sleep.
 */
int mvm_lapic_wait_sipi(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_take_init() - consume a pending INIT. For an AP it resets
 * the APIC and enters wait-for-SIPI (return true: the backend resets
 * the vCPU); the BSP ignores INIT (return false).
 */
bool mvm_lapic_take_init(struct mvm_vcpu *vcpu);

/*
 * mvm_lapic_enter_guest() / mvm_lapic_exit_guest() - bracket guest
 * execution so that senders know to interrupt this CPU. Call enter with
 * interrupts disabled, then check mvm_lapic_pending_vector() and events.
 */
void mvm_lapic_enter_guest(struct mvm_vcpu *vcpu, int cpu);
void mvm_lapic_exit_guest(struct mvm_vcpu *vcpu);

/* Anything that needs the vCPU's attention before entry (INIT)? */
bool mvm_lapic_has_events(struct mvm_vcpu *vcpu);

/* TPR as CR8 (bits 3:0 are TPR 7:4). */
u64 mvm_lapic_get_cr8(struct mvm_vcpu *vcpu);
void mvm_lapic_set_cr8(struct mvm_vcpu *vcpu, u64 cr8);

#endif /* MVM_KMOD_LAPIC_H */
