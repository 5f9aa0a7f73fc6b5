// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd and ioeventfd: interrupts in and doorbells out without a system
 * call into mvm.
 *
 * irqfd: a wait-queue entry of ours sits on the eventfd's wait queue.
 * A write to the eventfd wakes it, in atomic context with the eventfd's
 * wait-queue lock held; the wakeup consumes the count and pulses the
 * IOAPIC pin (0, 1, 0: one rising edge). Closing the eventfd wakes it
 * with EPOLLHUP; the entry cannot be freed under that lock, so it is
 * unlinked there and released by a work item on the VM's workqueue.
 *
 * ioeventfd: a list read under RCU by mvm_ioeventfd_write() on the
 * VM-exit path (preemption off); a match signals its eventfd, which is
 * safe in atomic context.
 *
 * Neither kind holds a VM reference (the VM's fd would never close):
 * mvm_eventfds_destroy(), run when the VM dies, releases them all.
 *
 * Locking:
 *  - efs->lock (mutex) serialises registration changes of both kinds;
 *  - efs->irqfd_lock (spinlock, interrupts saved) guards the irqfd list
 *    and count against wakeups; a wakeup takes it inside the eventfd's
 *    wait-queue lock, so nothing here takes that lock while holding it;
 *  - the ioeventfd list changes under efs->lock, and readers use RCU.
 */
#include <linux/bits.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "irq.h"
#include "vm.h"

/* eventfd_signal() lost its count argument in 6.8 (it always added 1). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define mvm_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define mvm_eventfd_signal(ctx)	eventfd_signal((ctx), 1)
#endif

/* Ports are 16 bits; guest-physical addresses at most 52 (SDM Vol. 3A
 * 4.1.4, MAXPHYADDR). */
#define IOEVENTFD_PIO_LIMIT	0x10000ULL
#define IOEVENTFD_MMIO_LIMIT	BIT_ULL(52)

#define IOEVENTFD_FLAGS		(MVM_IOEVENTFD_PIO | MVM_IOEVENTFD_DATAMATCH | \
				 MVM_IOEVENTFD_DEASSIGN)

struct mvm_eventfds {
	struct mvm_vm *vm;
	struct mutex lock;		/* registration changes */
	spinlock_t irqfd_lock;		/* @irqfds, @nr_irqfds */
	struct list_head irqfds;	/* registered irqfds */
	unsigned int nr_irqfds;		/* registered plus being released */
	struct workqueue_struct *wq;	/* made with the first irqfd */
	struct list_head ioeventfds;	/* RCU */
	unsigned int nr_ioeventfds;
};

struct irqfd {
	struct mvm_eventfds *efs;
	struct eventfd_ctx *ctx;	/* our reference */
	u32 gsi;
	bool hooked;			/* @wait is on the eventfd's queue */
	struct list_head node;		/* on efs->irqfds; empty once unlinked */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct release;
};

struct ioeventfd {
	struct list_head node;
	struct eventfd_ctx *ctx;	/* our reference */
	u64 addr;
	u64 datamatch;
	u32 len;
	bool pio;
	bool match;			/* only writes of @datamatch */
};

/*
 * mvm_eventfds_init() - the VM's (empty) irqfd and ioeventfd sets.
 * Return: 0, or -ENOMEM. Context: process context; sets vm->eventfds.
 */
int mvm_eventfds_init(struct mvm_vm *vm)
{
	struct mvm_eventfds *efs;

	efs = kzalloc(sizeof(*efs), GFP_KERNEL_ACCOUNT);
	if (!efs)
		return -ENOMEM;
	efs->vm = vm;
	mutex_init(&efs->lock);
	spin_lock_init(&efs->irqfd_lock);
	INIT_LIST_HEAD(&efs->irqfds);
	INIT_LIST_HEAD(&efs->ioeventfds);
	mvm_account_bytes(vm, sizeof(*efs));
	vm->eventfds = efs;
	return 0;
}

/* ---- irqfd ------------------------------------------------------------ */

static void irqfd_pulse(struct irqfd *irqfd)
{
	struct mvm_vm *vm = irqfd->efs->vm;

	mvm_ioapic_set_irq(vm, irqfd->gsi, 0);
	mvm_ioapic_set_irq(vm, irqfd->gsi, 1);
	mvm_ioapic_set_irq(vm, irqfd->gsi, 0);
}

/*
 * Take an unlinked irqfd off its eventfd and free it. Once it is off the
 * wait queue no wakeup runs on it: wakeups hold the queue's lock, which
 * eventfd_ctx_remove_wait_queue() takes. Process context.
 */
static void irqfd_release(struct irqfd *irqfd)
{
	struct mvm_eventfds *efs = irqfd->efs;
	unsigned long flags;
	u64 cnt;

	if (irqfd->hooked)
		eventfd_ctx_remove_wait_queue(irqfd->ctx, &irqfd->wait, &cnt);
	eventfd_ctx_put(irqfd->ctx);
	mvm_account_bytes(efs->vm, -(long)sizeof(*irqfd));
	kfree(irqfd);

	spin_lock_irqsave(&efs->irqfd_lock, flags);
	efs->nr_irqfds--;
	spin_unlock_irqrestore(&efs->irqfd_lock, flags);
}

static void irqfd_release_work(struct work_struct *work)
{
	irqfd_release(container_of(work, struct irqfd, release));
}

/* Wakeup on the eventfd's queue: atomic context, its lock held. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct irqfd *irqfd = container_of(wait, struct irqfd, wait);
	struct mvm_eventfds *efs = irqfd->efs;
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		/*
		 * A write or signal: pulse, whatever the count (another
		 * irqfd on this eventfd may have consumed it already).
		 * Consume it so that it cannot saturate and block the
		 * writer; one read, not a loop: a semaphore eventfd gives
		 * 1 per read, and its count is the writer's to choose.
		 */
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		irqfd_pulse(irqfd);
	}
	if (events & EPOLLHUP) {
		/* The eventfd is being closed: unlink once (deassign and
		 * VM teardown may race with this) and release later. */
		spin_lock_irqsave(&efs->irqfd_lock, flags);
		if (!list_empty(&irqfd->node)) {
			list_del_init(&irqfd->node);
			queue_work(efs->wq, &irqfd->release);
		}
		spin_unlock_irqrestore(&efs->irqfd_lock, flags);
	}
	return 0;
}

/* vfs_poll() hands us the eventfd's wait queue here. */
static void irqfd_poll_queue(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct irqfd *irqfd = container_of(pt, struct irqfd, pt);

	if (irqfd->hooked)
		return;
	add_wait_queue(wqh, &irqfd->wait);
	irqfd->hooked = true;
}

/* Link @irqfd unless it duplicates one or the set is full; efs->lock. */
static int irqfd_link(struct mvm_eventfds *efs, struct irqfd *irqfd)
{
	struct irqfd *it;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&efs->irqfd_lock, flags);
	list_for_each_entry(it, &efs->irqfds, node) {
		if (it->ctx == irqfd->ctx && it->gsi == irqfd->gsi) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (efs->nr_irqfds >= MVM_MAX_IRQFDS) {
		ret = -ENOSPC;
		goto out;
	}
	efs->nr_irqfds++;
	list_add_tail(&irqfd->node, &efs->irqfds);
out:
	spin_unlock_irqrestore(&efs->irqfd_lock, flags);
	return ret;
}

static int irqfd_assign(struct mvm_eventfds *efs,
			const struct mvm_irqfd *arg)
{
	struct eventfd_ctx *ctx;
	struct irqfd *irqfd;
	struct file *file;
	__poll_t events;
	int ret;

	file = eventfd_fget(arg->fd);	/* -EBADF; -EINVAL: not an eventfd */
	if (IS_ERR(file))
		return PTR_ERR(file);
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto out_fput;
	}
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd) {
		ret = -ENOMEM;
		goto out_ctx;
	}
	irqfd->efs = efs;
	irqfd->ctx = ctx;
	irqfd->gsi = arg->gsi;
	INIT_LIST_HEAD(&irqfd->node);
	INIT_WORK(&irqfd->release, irqfd_release_work);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_poll_queue);

	mutex_lock(&efs->lock);
	if (!efs->wq) {
		efs->wq = alloc_workqueue("mvm%u-irqfd", 0, 0, efs->vm->id);
		if (!efs->wq) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	ret = irqfd_link(efs, irqfd);
	if (ret == -ENOSPC) {
		/* Closed eventfds may still be queued for release. */
		flush_workqueue(efs->wq);
		ret = irqfd_link(efs, irqfd);
	}
	if (ret)
		goto out_unlock;
	mvm_account_bytes(efs->vm, sizeof(*irqfd));

	/*
	 * Hook onto the eventfd. Holding the file, it cannot be closed
	 * (no EPOLLHUP) before we are done; holding efs->lock, no deassign
	 * can unlink the irqfd before it is hooked. A count written before
	 * now is not lost: it gives one pulse.
	 */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		irqfd_pulse(irqfd);
	mutex_unlock(&efs->lock);
	fput(file);
	return 0;

out_unlock:
	mutex_unlock(&efs->lock);
	kfree(irqfd);
out_ctx:
	eventfd_ctx_put(ctx);
out_fput:
	fput(file);
	return ret;
}

static int irqfd_deassign(struct mvm_eventfds *efs,
			  const struct mvm_irqfd *arg)
{
	struct irqfd *it, *found = NULL;
	struct eventfd_ctx *ctx;
	unsigned long flags;

	ctx = eventfd_ctx_fdget(arg->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&efs->lock);
	spin_lock_irqsave(&efs->irqfd_lock, flags);
	list_for_each_entry(it, &efs->irqfds, node) {
		if (it->ctx == ctx && it->gsi == arg->gsi) {
			list_del_init(&it->node);
			found = it;
			break;
		}
	}
	spin_unlock_irqrestore(&efs->irqfd_lock, flags);
	mutex_unlock(&efs->lock);
	eventfd_ctx_put(ctx);

	if (!found)
		return -ENOENT;
	/* Synchronously: once MVM_IRQFD returns, the eventfd pulses no more. */
	irqfd_release(found);
	return 0;
}

/*
 * mvm_irqfd() - the MVM_IRQFD ioctl, @arg copied in but not validated.
 *
 * Assign: writes to eventfd @arg->fd pulse pin @arg->gsi until
 * deassigned, the eventfd is closed, or the VM dies. Deassign: remove the
 * (@fd, @gsi) registration, synchronously.
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields, a gsi
 * >= MVM_IOAPIC_PINS, or an fd that is not an eventfd; -EBADF for a bad
 * fd; -EEXIST when (eventfd, gsi) is already assigned; -ENOENT when
 * deassigning a pair that is not; -ENOSPC beyond MVM_MAX_IRQFDS; -ENOMEM.
 * Context: process context; takes efs->lock (a mutex).
 */
int mvm_irqfd(struct mvm_vm *vm, const struct mvm_irqfd *arg)
{
	struct mvm_eventfds *efs = vm->eventfds;

	if (!efs)
		return -ENODEV;
	if ((arg->flags & ~MVM_IRQFD_DEASSIGN) || arg->reserved0 ||
	    arg->reserved[0] || arg->reserved[1] ||
	    arg->gsi >= MVM_IOAPIC_PINS)
		return -EINVAL;
	if (arg->fd < 0)
		return -EBADF;
	if (arg->flags & MVM_IRQFD_DEASSIGN)
		return irqfd_deassign(efs, arg);
	return irqfd_assign(efs, arg);
}

/* ---- ioeventfd -------------------------------------------------------- */

static void ioeventfd_free(struct mvm_eventfds *efs, struct ioeventfd *p)
{
	eventfd_ctx_put(p->ctx);
	mvm_account_bytes(efs->vm, -(long)sizeof(*p));
	kfree(p);
}

/*
 * Whether two registrations overlap: the same space and intersecting
 * bytes, unless they are at the same address and width and both match
 * different values, so that a write selects at most one of them.
 */
static bool ioeventfd_overlap(const struct ioeventfd *a,
			      const struct ioeventfd *b)
{
	if (a->pio != b->pio || a->addr + a->len <= b->addr ||
	    b->addr + b->len <= a->addr)
		return false;
	return !(a->addr == b->addr && a->len == b->len && a->match &&
		 b->match && a->datamatch != b->datamatch);
}

static int ioeventfd_assign(struct mvm_eventfds *efs,
			    const struct mvm_ioeventfd *arg)
{
	struct ioeventfd *p, *it;
	struct eventfd_ctx *ctx;
	int ret = 0;

	ctx = eventfd_ctx_fdget(arg->fd);	/* -EBADF, -EINVAL */
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	p->ctx = ctx;
	p->addr = arg->addr;
	p->len = arg->len;
	p->pio = arg->flags & MVM_IOEVENTFD_PIO;
	p->match = arg->flags & MVM_IOEVENTFD_DATAMATCH;
	p->datamatch = arg->datamatch;

	mutex_lock(&efs->lock);
	if (efs->nr_ioeventfds >= MVM_MAX_IOEVENTFDS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	list_for_each_entry(it, &efs->ioeventfds, node) {
		if (ioeventfd_overlap(it, p)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	efs->nr_ioeventfds++;
	mvm_account_bytes(efs->vm, sizeof(*p));
	list_add_tail_rcu(&p->node, &efs->ioeventfds);
	mutex_unlock(&efs->lock);
	return 0;

out_unlock:
	mutex_unlock(&efs->lock);
	eventfd_ctx_put(ctx);
	kfree(p);
	return ret;
}

static int ioeventfd_deassign(struct mvm_eventfds *efs,
			      const struct mvm_ioeventfd *arg)
{
	bool pio = arg->flags & MVM_IOEVENTFD_PIO;
	bool match = arg->flags & MVM_IOEVENTFD_DATAMATCH;
	struct ioeventfd *it, *found = NULL;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(arg->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&efs->lock);
	list_for_each_entry(it, &efs->ioeventfds, node) {
		if (it->ctx == ctx && it->pio == pio &&
		    it->addr == arg->addr && it->len == arg->len &&
		    it->match == match && it->datamatch == arg->datamatch) {
			list_del_rcu(&it->node);
			efs->nr_ioeventfds--;
			found = it;
			break;
		}
	}
	mutex_unlock(&efs->lock);
	eventfd_ctx_put(ctx);

	if (!found)
		return -ENOENT;
	/* A vCPU may be signalling it right now; its eventfd reference
	 * must outlive that, so wait rather than kfree_rcu(). */
	synchronize_rcu();
	ioeventfd_free(efs, found);
	return 0;
}

/*
 * mvm_ioeventfd() - the MVM_IOEVENTFD ioctl, @arg copied in but not
 * validated.
 *
 * @arg->len is 1, 2, 4 or 8 (not 8 with MVM_IOEVENTFD_PIO); the range
 * [addr, addr + len) lies within the 64 KiB port space or below 2^52;
 * with MVM_IOEVENTFD_DATAMATCH, @datamatch fits in @len bytes, and
 * without it, @datamatch is 0. Deassign removes the registration equal
 * in every field and eventfd.
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields or a
 * field out of range, or an fd that is not an eventfd; -EBADF for a bad
 * fd; -EEXIST when the registration overlaps one (see
 * ioeventfd_overlap()); -ENOENT when deassigning one that does not
 * exist; -ENOSPC beyond MVM_MAX_IOEVENTFDS; -ENOMEM.
 * Context: process context; takes efs->lock (a mutex); a deassign waits
 * for an RCU grace period.
 */
int mvm_ioeventfd(struct mvm_vm *vm, const struct mvm_ioeventfd *arg)
{
	struct mvm_eventfds *efs = vm->eventfds;
	bool pio = arg->flags & MVM_IOEVENTFD_PIO;
	u64 limit = pio ? IOEVENTFD_PIO_LIMIT : IOEVENTFD_MMIO_LIMIT;

	if (!efs)
		return -ENODEV;
	if ((arg->flags & ~IOEVENTFD_FLAGS) || arg->reserved0 ||
	    arg->reserved[0] || arg->reserved[1])
		return -EINVAL;
	switch (arg->len) {
	case 1:
	case 2:
	case 4:
		break;
	case 8:
		if (!pio)
			break;
		fallthrough;
	default:
		return -EINVAL;
	}
	if (arg->addr > limit - arg->len)
		return -EINVAL;
	if (arg->flags & MVM_IOEVENTFD_DATAMATCH) {
		if (arg->len < 8 && (arg->datamatch >> (arg->len * 8)))
			return -EINVAL;
	} else if (arg->datamatch) {
		return -EINVAL;
	}
	if (arg->fd < 0)
		return -EBADF;
	if (arg->flags & MVM_IOEVENTFD_DEASSIGN)
		return ioeventfd_deassign(efs, arg);
	return ioeventfd_assign(efs, arg);
}

/*
 * mvm_ioeventfd_write() - offer a guest write to the ioeventfds: one
 * matches when it has the same space, address and length, and, with
 * datamatch, the value (its low @len bytes) equals it.
 *
 * Return: true when one matched and its eventfd was signalled; false
 * otherwise, also when called from inside an eventfd wakeup (where a
 * signal would recurse). Context: any, preemption may be disabled; RCU
 * read side, no lock.
 */
bool mvm_ioeventfd_write(struct mvm_vm *vm, bool pio, u64 addr, u32 len,
			 u64 val)
{
	struct mvm_eventfds *efs = vm->eventfds;
	struct ioeventfd *p;
	bool done = false;

	if (!efs || !len || len > 8 || !eventfd_signal_allowed())
		return false;
	if (len < 8)
		val &= BIT_ULL(len * 8) - 1;

	rcu_read_lock();
	list_for_each_entry_rcu(p, &efs->ioeventfds, node) {
		if (p->pio != pio || p->addr != addr || p->len != len ||
		    (p->match && p->datamatch != val))
			continue;
		mvm_eventfd_signal(p->ctx);
		done = true;
		break;
	}
	rcu_read_unlock();
	return done;
}

/* ---- teardown --------------------------------------------------------- */

/*
 * mvm_eventfds_destroy() - release every irqfd and ioeventfd of the VM
 * (vm->eventfds may be NULL). Afterwards no eventfd pulses a pin, so call
 * it before mvm_ioapic_destroy().
 * Context: process context, VM dying (no vCPU runs, no ioctl is in
 * flight); sleeps (workqueue drain, RCU grace period).
 */
void mvm_eventfds_destroy(struct mvm_vm *vm)
{
	struct mvm_eventfds *efs = vm->eventfds;
	struct ioeventfd *p, *tmp;
	struct irqfd *irqfd;
	unsigned long flags;
	LIST_HEAD(dead);

	if (!efs)
		return;

	/* Unlink one at a time: a racing EPOLLHUP must see each irqfd
	 * either still linked (and then it is ours) or already unlinked. */
	spin_lock_irqsave(&efs->irqfd_lock, flags);
	while (!list_empty(&efs->irqfds)) {
		irqfd = list_first_entry(&efs->irqfds, struct irqfd, node);
		list_del_init(&irqfd->node);
		spin_unlock_irqrestore(&efs->irqfd_lock, flags);
		irqfd_release(irqfd);
		spin_lock_irqsave(&efs->irqfd_lock, flags);
	}
	spin_unlock_irqrestore(&efs->irqfd_lock, flags);
	/* Those whose eventfd was closed are on the workqueue: drain it. */
	if (efs->wq)
		destroy_workqueue(efs->wq);
	WARN_ON_ONCE(efs->nr_irqfds);

	/* No vCPU runs, so there are no readers left; the grace period
	 * covers a vCPU thread that had only just left the exit path. */
	list_splice_init(&efs->ioeventfds, &dead);
	if (!list_empty(&dead))
		synchronize_rcu();
	list_for_each_entry_safe(p, tmp, &dead, node)
		ioeventfd_free(efs, p);

	vm->eventfds = NULL;
	mutex_destroy(&efs->lock);
	mvm_account_bytes(vm, -(long)sizeof(*efs));
	kfree(efs);
}
