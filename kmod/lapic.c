// SPDX-License-Identifier: GPL-2.0
/*
 * The x2APIC of each vCPU (Intel SDM Vol. 3A chapter 11, "Advanced
 * Programmable Interrupt Controller"): interrupt acceptance and priority,
 * EOI, IPIs including INIT and STARTUP, and the timer in one-shot,
 * periodic and TSC-deadline modes, backed by an hrtimer.
 *
 * x2APIC is the only mode: the APIC base MSR starts with x2APIC enabled
 * and refuses to leave it, so the xAPIC MMIO page never exists.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <asm/msr-index.h>
#include <asm/smp.h>
#include <asm/tsc.h>

#include "irq.h"
#include "trace.h"
#include "vm.h"

/* x2APIC MSR = 0x800 + (xAPIC MMIO offset >> 4) (SDM Vol. 3A 11.12.1). */
#define X2APIC_ID	0x802
#define X2APIC_VERSION	0x803
#define X2APIC_TPR	0x808
#define X2APIC_PPR	0x80a
#define X2APIC_EOI	0x80b
#define X2APIC_LDR	0x80d
#define X2APIC_SVR	0x80f
#define X2APIC_ISR0	0x810
#define X2APIC_TMR0	0x818
#define X2APIC_IRR0	0x820
#define X2APIC_ESR	0x828
#define X2APIC_LVT_CMCI	0x82f
#define X2APIC_ICR	0x830
#define X2APIC_LVT0	0x832	/* timer; thermal, perf, LINT0, LINT1, error */
#define X2APIC_TMICT	0x838
#define X2APIC_TMCCT	0x839
#define X2APIC_TDCR	0x83e
#define X2APIC_SELF_IPI	0x83f

#define APIC_BASE_BSP	BIT_ULL(8)
#define APIC_BASE_EXTD	BIT_ULL(10)
#define APIC_BASE_EN	BIT_ULL(11)
#define APIC_BASE_ADDR	0xfee00000ULL

#define SVR_ENABLE	BIT(8)
#define LVT_MASKED	BIT(16)
#define LVT_TIMER_MODE(v)	(((v) >> 17) & 3)
#define TIMER_ONESHOT	0
#define TIMER_PERIODIC	1
#define TIMER_DEADLINE	2

/* Writable bits of each LVT (vector, delivery mode, polarity, trigger,
 * mask, timer mode), indexed like struct mvm_lapic.lvt. */
static const u32 lvt_writable[MVM_LVT_NR] = {
	[MVM_LVT_TIMER]		= 0x700ff,
	[MVM_LVT_THERMAL]	= 0x107ff,
	[MVM_LVT_PERF]		= 0x107ff,
	[MVM_LVT_LINT0]		= 0x1a7ff,
	[MVM_LVT_LINT1]		= 0x1a7ff,
	[MVM_LVT_ERROR]		= 0x100ff,
	[MVM_LVT_CMCI]		= 0x107ff,
};

/* Version 0x14, six LVT entries (max LVT index 6: CMCI), no EOI-broadcast
 * suppression. */
#define APIC_VERSION_VALUE	(0x14 | (6 << 16))

/* A guest's periodic timer may not fire more often than this: each
 * firing is a host hard interrupt. */
#define MIN_PERIOD_NS		(200 * NSEC_PER_USEC)

static inline struct mvm_lapic *lapic(struct mvm_vcpu *vcpu)
{
	return &vcpu->lapic;
}

static int highest_bit(const unsigned long *bm)
{
	unsigned long b = find_last_bit(bm, 256);

	return b < 256 ? (int)b : -1;
}

static u32 ppr(struct mvm_lapic *a)
{
	int isrv = highest_bit(a->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

/* Make @vcpu notice new work: wake it from HLT, or interrupt its CPU
 * when it runs guest code. Any context. */
static void kick(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);

	/* Pairs with the barrier in mvm_lapic_enter_guest(): either the
	 * vCPU sees the new bit before entry, or we see it in the guest. */
	smp_mb__after_atomic();
	if (atomic_read(&a->mode) == MVM_LAPIC_IN_GUEST) {
		int cpu = READ_ONCE(a->cpu);

		if (cpu != raw_smp_processor_id())
			(smp_ops.smp_send_reschedule)(cpu);
	}
	if (wq_has_sleeper(&a->wq))
		wake_up(&a->wq);
}

/* Set @vector pending on @vcpu. Any context. */
static void set_irr(struct mvm_vcpu *vcpu, u8 vector, bool level)
{
	struct mvm_lapic *a = lapic(vcpu);

	if (level)
		set_bit(vector, a->tmr);
	else if (!test_bit(vector, a->isr))
		/* An edge of a vector in service as level-triggered keeps
		 * its TMR bit, so that its EOI still reaches the IOAPIC. */
		clear_bit(vector, a->tmr);
	/* Already pending: the vCPU has been told. */
	if (!test_and_set_bit(vector, a->irr))
		kick(vcpu);
}

static bool dest_match(struct mvm_vcpu *vcpu, struct mvm_vcpu *src,
		       const struct mvm_irq_msg *m)
{
	struct mvm_lapic *a = lapic(vcpu);

	switch (m->shorthand) {
	case MVM_SH_SELF:
		return vcpu == src;
	case MVM_SH_ALL:
		return true;
	case MVM_SH_OTHERS:
		return vcpu != src;
	}
	if (m->dest == 0xffffffff)
		return true;
	if (!m->logical)
		return m->dest == a->id;
	/* Cluster in 31:16, members in 15:0 (SDM Vol. 3A 11.12.10.2). */
	return (m->dest >> 16) == (a->ldr >> 16) &&
	       (m->dest & a->ldr & 0xffff);
}

/*
 * INIT and STARTUP, under mp_lock so that the state they test and change
 * (wait_sipi, the two events) moves as one: an INIT reaching an AP that
 * already waits for SIPI changes nothing; a STARTUP counts only for an AP
 * that waits, or will once it takes a pending INIT; any other STARTUP,
 * such as the second of the usual pair reaching an AP already running,
 * is ignored (SDM Vol. 3A 9.4.4.1).
 */
static bool accept_init_sipi(struct mvm_vcpu *vcpu,
			     const struct mvm_irq_msg *m)
{
	struct mvm_lapic *a = lapic(vcpu);
	unsigned long flags;
	bool taken = true;

	spin_lock_irqsave(&a->mp_lock, flags);
	if (m->dm == MVM_DM_INIT) {
		if (!a->wait_sipi)
			set_bit(MVM_LAPIC_EV_INIT, &a->events);
	} else if ((a->wait_sipi ||
		    test_bit(MVM_LAPIC_EV_INIT, &a->events)) &&
		   !test_bit(MVM_LAPIC_EV_SIPI, &a->events)) {
		/* The first STARTUP wakes the AP; later ones find it
		 * awake (SDM Vol. 3A 9.4.4.1). */
		a->sipi_vector = m->vector;
		set_bit(MVM_LAPIC_EV_SIPI, &a->events);
	} else {
		taken = false;
	}
	spin_unlock_irqrestore(&a->mp_lock, flags);
	if (taken)
		kick(vcpu);
	return taken;
}

/* Accept @m at @vcpu; false when it was dropped. Any context. */
static bool accept(struct mvm_vcpu *vcpu, const struct mvm_irq_msg *m)
{
	struct mvm_lapic *a = lapic(vcpu);

	switch (m->dm) {
	case MVM_DM_FIXED:
	case MVM_DM_LOWEST:
		/* A software-disabled APIC takes no fixed interrupts, and
		 * vectors 0-15 are illegal (SDM Vol. 3A 11.5.3). */
		if (!(READ_ONCE(a->svr) & SVR_ENABLE) || m->vector < 16)
			return false;
		set_irr(vcpu, m->vector, m->level);
		return true;
	case MVM_DM_INIT:
	case MVM_DM_SIPI:
		return accept_init_sipi(vcpu, m);
	}
	/* NMI, SMI and ExtINT: mvm models no NMI delivery into the guest
	 * (no virtual-NMI tracking yet), no SMM and no 8259. */
	return false;
}

int mvm_lapic_deliver(struct mvm_vm *vm, struct mvm_vcpu *src,
		      const struct mvm_irq_msg *msg)
{
	unsigned int i;
	int n = 0;

	rcu_read_lock();
	for (i = 0; i < MVM_MAX_VCPUS; i++) {
		struct mvm_vcpu *v = rcu_dereference(vm->vcpus[i]);

		if (!v || !dest_match(v, src, msg))
			continue;
		if (accept(v, msg))
			n++;
		/* Lowest priority: the first that takes it. */
		if (n && msg->dm == MVM_DM_LOWEST)
			break;
	}
	rcu_read_unlock();
	return n;
}

/* ---- timer ------------------------------------------------------------ */

static u32 timer_divide(u32 dcr)
{
	u32 v = (dcr & 3) | ((dcr & 8) >> 1);

	return v == 7 ? 1 : 2u << v;
}

static u64 ticks_to_ns(u32 count, u32 dcr)
{
	return (u64)count * timer_divide(dcr) *
	       (NSEC_PER_MSEC / MVM_APIC_TIMER_KHZ);
}

static u64 guest_tsc(struct mvm_vcpu *vcpu)
{
	return rdtsc_ordered() + READ_ONCE(vcpu->vm->tsc_offset);
}

/* Host nanoseconds until the guest's TSC reaches @deadline (0 if it
 * has), at most a day: a later deadline is looked at again then. */
static u64 deadline_ns(struct mvm_vcpu *vcpu, u64 deadline)
{
	u64 now = guest_tsc(vcpu), delta;

	if (deadline <= now || !tsc_khz)
		return 0;
	delta = min_t(u64, deadline - now, (u64)tsc_khz * 1000 * 86400);
	return mul_u64_u32_div(delta, NSEC_PER_MSEC, tsc_khz);
}

static enum hrtimer_restart timer_fired(struct hrtimer *t)
{
	struct mvm_lapic *a = container_of(t, struct mvm_lapic, timer);
	struct mvm_vcpu *vcpu = container_of(a, struct mvm_vcpu, lapic);
	u32 lvt = READ_ONCE(a->lvt[MVM_LVT_TIMER]);
	bool masked = (lvt & LVT_MASKED) || (lvt & 0xff) < 16 ||
		      !(READ_ONCE(a->svr) & SVR_ENABLE);

	if (LVT_TIMER_MODE(lvt) == TIMER_DEADLINE) {
		u64 ns = deadline_ns(vcpu, a->tsc_deadline);

		/* Early (a far deadline, or the TSC was set back)? */
		if (ns) {
			hrtimer_forward_now(t, ns_to_ktime(ns));
			return HRTIMER_RESTART;
		}
		WRITE_ONCE(a->tsc_deadline, 0);
	}
	if (!masked)
		set_irr(vcpu, lvt & 0xff, false);
	/* A masked periodic timer stops; unmasking restarts it. */
	if (a->period_ns && !masked) {
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

/* (Re)arm the timer from its registers; the hrtimer is not running. */
static void timer_arm(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	u32 mode = LVT_TIMER_MODE(a->lvt[MVM_LVT_TIMER]);
	u64 ns;

	a->period_ns = 0;
	if (mode == TIMER_DEADLINE) {
		if (!a->tsc_deadline || !tsc_khz)
			return;
		ns = deadline_ns(vcpu, a->tsc_deadline);
	} else {
		if (!a->timer_icr)
			return;
		ns = ticks_to_ns(a->timer_icr, a->timer_dcr);
		if (mode == TIMER_PERIODIC)
			a->period_ns = max_t(u64, ns, MIN_PERIOD_NS);
	}
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

static u32 timer_current_count(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	u64 per_tick, left;
	ktime_t rem;

	if (LVT_TIMER_MODE(a->lvt[MVM_LVT_TIMER]) == TIMER_DEADLINE ||
	    !a->timer_icr || !hrtimer_active(&a->timer))
		return 0;
	rem = hrtimer_get_remaining(&a->timer);
	if (ktime_to_ns(rem) <= 0)
		return 0;
	per_tick = ticks_to_ns(1, a->timer_dcr);
	left = div64_u64(ktime_to_ns(rem), per_tick);
	return min_t(u64, left, a->timer_icr);
}

/* ---- registers -------------------------------------------------------- */

bool mvm_lapic_is_msr(u32 index)
{
	return (index >= 0x800 && index <= 0x8ff) ||
	       index == MSR_IA32_TSC_DEADLINE || index == MSR_IA32_APICBASE;
}

static void set_svr(struct mvm_lapic *a, u32 v)
{
	unsigned int i;

	WRITE_ONCE(a->svr, v & 0x3ff);
	/* Software-disabling masks every LVT (SDM Vol. 3A 11.4.7.2). */
	if (!(v & SVR_ENABLE))
		for (i = 0; i < MVM_LVT_NR; i++)
			WRITE_ONCE(a->lvt[i], a->lvt[i] | LVT_MASKED);
}

static void eoi(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	int v = highest_bit(a->isr);

	if (v < 0)
		return;
	clear_bit(v, a->isr);
	if (test_bit(v, a->tmr))
		mvm_ioapic_eoi(vcpu->vm, v);
}

static int write_icr(struct mvm_vcpu *vcpu, u64 icr)
{
	struct mvm_irq_msg m = {
		.vector = icr & 0xff,
		.dm = (icr >> 8) & 7,
		.logical = icr & BIT(11),
		.level = icr & BIT(15),
		.shorthand = (icr >> 18) & 3,
		.dest = icr >> 32,
	};

	/* Reserved: 13, 16-17, 20-31 (SDM Vol. 3A 11.12.9). */
	if (icr & 0xfff32000ULL)
		return -EINVAL;
	/* INIT level de-assert: nothing to do in x2APIC mode. */
	if (m.dm == MVM_DM_INIT && m.level && !(icr & BIT(14)))
		return 0;
	/* The TMR bit is for fixed interrupts from the IOAPIC only. */
	m.level = false;
	mvm_lapic_deliver(vcpu->vm, vcpu, &m);
	return 0;
}

int mvm_lapic_rdmsr(struct mvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct mvm_lapic *a = lapic(vcpu);
	unsigned int n;

	switch (index) {
	case MSR_IA32_APICBASE:
		*data = a->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*data = LVT_TIMER_MODE(a->lvt[MVM_LVT_TIMER]) ==
			TIMER_DEADLINE ? READ_ONCE(a->tsc_deadline) : 0;
		return 0;
	case X2APIC_ID:
		*data = a->id;
		return 0;
	case X2APIC_VERSION:
		*data = APIC_VERSION_VALUE;
		return 0;
	case X2APIC_TPR:
		*data = a->tpr;
		return 0;
	case X2APIC_PPR:
		*data = ppr(a);
		return 0;
	case X2APIC_LDR:
		*data = a->ldr;
		return 0;
	case X2APIC_SVR:
		*data = a->svr;
		return 0;
	case X2APIC_ESR:
		*data = a->esr;
		return 0;
	case X2APIC_LVT_CMCI:
		*data = a->lvt[MVM_LVT_CMCI];
		return 0;
	case X2APIC_ICR:
		*data = 0;	/* delivery is instant: never "send pending" */
		return 0;
	case X2APIC_TMICT:
		*data = a->timer_icr;
		return 0;
	case X2APIC_TMCCT:
		*data = timer_current_count(vcpu);
		return 0;
	case X2APIC_TDCR:
		*data = a->timer_dcr;
		return 0;
	}
	if (index >= X2APIC_LVT0 && index < X2APIC_LVT0 + MVM_LVT_CMCI) {
		*data = a->lvt[array_index_nospec(index - X2APIC_LVT0,
						  MVM_LVT_CMCI)];
		return 0;
	}
	if (index >= X2APIC_ISR0 && index < X2APIC_IRR0 + 8) {
		const unsigned long *bm = index < X2APIC_TMR0 ? a->isr :
					  index < X2APIC_IRR0 ? a->tmr : a->irr;

		n = ((index - X2APIC_ISR0) % 8) * 32;
		*data = (u32)(READ_ONCE(bm[n / BITS_PER_LONG]) >>
			      (n % BITS_PER_LONG));
		return 0;
	}
	/* EOI and SELF IPI are write-only; the rest does not exist. */
	return -ENOENT;
}

static int write_timer_reg(struct mvm_vcpu *vcpu, u32 index, u64 data)
{
	struct mvm_lapic *a = lapic(vcpu);
	u32 old_mode = LVT_TIMER_MODE(a->lvt[MVM_LVT_TIMER]);

	/* The deadline MSR outside TSC-deadline mode, and the initial count
	 * in it, are ignored (SDM Vol. 3A 11.5.4.1). */
	if ((index == MSR_IA32_TSC_DEADLINE) != (old_mode == TIMER_DEADLINE) &&
	    index != X2APIC_LVT0 && index != X2APIC_TDCR)
		return 0;
	if (index == X2APIC_LVT0) {
		u32 v = data & lvt_writable[MVM_LVT_TIMER];

		if (LVT_TIMER_MODE(v) == 3)
			return -EINVAL;
		if (!(a->svr & SVR_ENABLE))
			v |= LVT_MASKED;
		if (LVT_TIMER_MODE(v) == old_mode) {
			/* Vector or mask only: the timer keeps running, and
			 * a periodic one stopped while masked restarts. */
			WRITE_ONCE(a->lvt[MVM_LVT_TIMER], v);
			if (!(v & LVT_MASKED) && old_mode == TIMER_PERIODIC &&
			    a->timer_icr && !hrtimer_active(&a->timer))
				timer_arm(vcpu);
			return 0;
		}
	}

	hrtimer_cancel(&a->timer);
	switch (index) {
	case X2APIC_LVT0:
		/* A mode change disarms the timer (SDM Vol. 3A 11.5.4.1). */
		WRITE_ONCE(a->lvt[MVM_LVT_TIMER],
			   (data & lvt_writable[MVM_LVT_TIMER]) |
			   (a->svr & SVR_ENABLE ? 0 : LVT_MASKED));
		a->timer_icr = 0;
		WRITE_ONCE(a->tsc_deadline, 0);
		a->period_ns = 0;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		WRITE_ONCE(a->tsc_deadline, data);
		break;
	case X2APIC_TMICT:
		a->timer_icr = data;
		break;
	case X2APIC_TDCR:
		a->timer_dcr = data & 0xb;
		break;
	}
	timer_arm(vcpu);
	return 0;
}

int mvm_lapic_wrmsr(struct mvm_vcpu *vcpu, u32 index, u64 data)
{
	struct mvm_lapic *a = lapic(vcpu);

	switch (index) {
	case MSR_IA32_APICBASE:
		/* x2APIC is the only mode: enabled, at the default address;
		 * the BSP flag is the hardware's. */
		if ((data & ~APIC_BASE_BSP) !=
		    (APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD))
			return -EINVAL;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
	case X2APIC_TMICT:
	case X2APIC_LVT0:
		return write_timer_reg(vcpu, index, data);
	case X2APIC_TDCR:
		if (data & ~0xbULL)
			return -EINVAL;
		return write_timer_reg(vcpu, index, data);
	}

	/* The other x2APIC registers are 32 bits wide but for the ICR. */
	if (index != X2APIC_ICR && (data >> 32))
		return -EINVAL;

	switch (index) {
	case X2APIC_TPR:
		if (data & ~0xffULL)
			return -EINVAL;
		a->tpr = data;
		return 0;
	case X2APIC_EOI:
		if (data)
			return -EINVAL;
		eoi(vcpu);
		return 0;
	case X2APIC_SVR:
		/* Bit 9 (focus checking) is kept but means nothing here;
		 * bit 12 (EOI-broadcast suppression) is not offered. */
		if (data & ~0x3ffULL)
			return -EINVAL;
		set_svr(a, data);
		return 0;
	case X2APIC_ESR:
		if (data)
			return -EINVAL;
		a->esr = 0;
		return 0;
	case X2APIC_ICR:
		return write_icr(vcpu, data);
	case X2APIC_SELF_IPI:
		if (data & ~0xffULL)
			return -EINVAL;
		if (data >= 16 && (a->svr & SVR_ENABLE))
			set_irr(vcpu, data, false);
		return 0;
	case X2APIC_LVT_CMCI:
		if (data & ~(u64)lvt_writable[MVM_LVT_CMCI])
			return -EINVAL;
		WRITE_ONCE(a->lvt[MVM_LVT_CMCI], data |
			   (a->svr & SVR_ENABLE ? 0 : LVT_MASKED));
		return 0;
	}
	if (index > X2APIC_LVT0 && index < X2APIC_LVT0 + MVM_LVT_CMCI) {
		unsigned int i = array_index_nospec(index - X2APIC_LVT0,
						    MVM_LVT_CMCI);

		if (data & ~(u64)lvt_writable[i])
			return -EINVAL;
		WRITE_ONCE(a->lvt[i], data |
			   (a->svr & SVR_ENABLE ? 0 : LVT_MASKED));
		return 0;
	}
	/* ID, version, PPR, LDR, ISR/TMR/IRR, current count: read-only. */
	return -ENOENT;
}

/* ---- the vCPU's side --------------------------------------------------- */

static void reset_regs(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	unsigned int i;

	bitmap_zero(a->isr, 256);
	bitmap_zero(a->irr, 256);
	bitmap_zero(a->tmr, 256);
	a->tpr = 0;
	a->esr = 0;
	WRITE_ONCE(a->svr, 0xff);
	for (i = 0; i < MVM_LVT_NR; i++)
		WRITE_ONCE(a->lvt[i], LVT_MASKED);
	a->timer_icr = 0;
	a->timer_dcr = 0;
	WRITE_ONCE(a->tsc_deadline, 0);
	a->period_ns = 0;
}

void mvm_lapic_init(struct mvm_vcpu *vcpu, bool ap)
{
	struct mvm_lapic *a = lapic(vcpu);

	spin_lock_init(&a->mp_lock);
	a->tsc_gen = atomic_read(&vcpu->vm->tsc_gen);
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	a->timer.function = timer_fired;
	init_waitqueue_head(&a->wq);
	atomic_set(&a->mode, MVM_LAPIC_OUTSIDE_GUEST);
	a->cpu = -1;
	a->id = vcpu->id;
	a->ldr = ((vcpu->id >> 4) << 16) | BIT(vcpu->id & 0xf);
	a->apic_base = APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD |
		       (ap ? 0 : APIC_BASE_BSP);
	a->wait_sipi = ap;
	reset_regs(vcpu);
}

void mvm_lapic_destroy(struct mvm_vcpu *vcpu)
{
	hrtimer_cancel(&lapic(vcpu)->timer);
}

int mvm_lapic_pending_vector(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	int v;

	if (!(READ_ONCE(a->svr) & SVR_ENABLE))
		return -1;
	v = highest_bit(a->irr);
	if (v < 0 || ((u32)v & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return v;
}

void mvm_lapic_accept(struct mvm_vcpu *vcpu, int vector)
{
	struct mvm_lapic *a = lapic(vcpu);

	clear_bit(vector, a->irr);
	set_bit(vector, a->isr);
}

void mvm_lapic_unaccept(struct mvm_vcpu *vcpu, int vector)
{
	struct mvm_lapic *a = lapic(vcpu);

	clear_bit(vector, a->isr);
	set_bit(vector, a->irr);
}

int mvm_lapic_wait_init(struct mvm_vcpu *vcpu)
{
	return wait_event_interruptible(lapic(vcpu)->wq,
					mvm_lapic_has_events(vcpu)) ? -EINTR : 0;
}

void mvm_lapic_sync(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	int gen = atomic_read(&vcpu->vm->tsc_gen);

	if (likely(gen == a->tsc_gen))
		return;
	a->tsc_gen = gen;
	/* The guest TSC moved: a deadline means another host time now. */
	if (LVT_TIMER_MODE(a->lvt[MVM_LVT_TIMER]) == TIMER_DEADLINE) {
		hrtimer_cancel(&a->timer);
		timer_arm(vcpu);
	}
}

bool mvm_lapic_has_events(struct mvm_vcpu *vcpu)
{
	return test_bit(MVM_LAPIC_EV_INIT, &lapic(vcpu)->events);
}

int mvm_lapic_halt(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	int ret;

	ret = wait_event_interruptible(a->wq,
			mvm_lapic_pending_vector(vcpu) >= 0 ||
			mvm_lapic_has_events(vcpu));
	return ret ? -EINTR : 0;
}

int mvm_lapic_wait_sipi(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	int ret;

	unsigned long flags;
	int vector;

	ret = wait_event_interruptible(a->wq,
			test_bit(MVM_LAPIC_EV_SIPI, &a->events));
	if (ret)
		return -EINTR;
	/* Leave the state with both events consumed: an INIT that came
	 * while waiting meant nothing. */
	spin_lock_irqsave(&a->mp_lock, flags);
	a->wait_sipi = false;
	clear_bit(MVM_LAPIC_EV_SIPI, &a->events);
	clear_bit(MVM_LAPIC_EV_INIT, &a->events);
	vector = a->sipi_vector;
	spin_unlock_irqrestore(&a->mp_lock, flags);
	return vector;
}

bool mvm_lapic_take_init(struct mvm_vcpu *vcpu)
{
	struct mvm_lapic *a = lapic(vcpu);
	unsigned long flags;
	bool ap;

	spin_lock_irqsave(&a->mp_lock, flags);
	if (!test_and_clear_bit(MVM_LAPIC_EV_INIT, &a->events)) {
		spin_unlock_irqrestore(&a->mp_lock, flags);
		return false;
	}
	/* The BSP ignores INIT. A STARTUP already latched came after this
	 * INIT (accept_init_sipi() takes none otherwise) and is kept. */
	ap = !(a->apic_base & APIC_BASE_BSP);
	if (ap)
		a->wait_sipi = true;
	spin_unlock_irqrestore(&a->mp_lock, flags);
	if (!ap)
		return false;
	/* INIT resets the APIC but its ID (SDM Vol. 3A 11.4.7.3). */
	hrtimer_cancel(&a->timer);
	reset_regs(vcpu);
	return true;
}

void mvm_lapic_enter_guest(struct mvm_vcpu *vcpu, int cpu)
{
	struct mvm_lapic *a = lapic(vcpu);

	WRITE_ONCE(a->cpu, cpu);
	atomic_set(&a->mode, MVM_LAPIC_IN_GUEST);
	/* Pairs with kick(): see the comment there. */
	smp_mb__after_atomic();
}

void mvm_lapic_exit_guest(struct mvm_vcpu *vcpu)
{
	atomic_set(&lapic(vcpu)->mode, MVM_LAPIC_OUTSIDE_GUEST);
}

u64 mvm_lapic_get_cr8(struct mvm_vcpu *vcpu)
{
	return (lapic(vcpu)->tpr >> 4) & 0xf;
}

void mvm_lapic_set_cr8(struct mvm_vcpu *vcpu, u64 cr8)
{
	lapic(vcpu)->tpr = (cr8 & 0xf) << 4;
}
