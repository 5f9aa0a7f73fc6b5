// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio-mmio transport, version 2 (virtio 1.2, section 4.2): the
 * register block a driver finds at the device's base, status and
 * feature negotiation, queue setup, notifications and interrupts. The
 * device models behind it (blk.c, rng.c, net.c) only see requests
 * (virtio_dev.h); the queues themselves are in queue.c.
 *
 * Only the modern interface exists: VIRTIO_F_VERSION_1 is offered and a
 * driver that does not accept it never gets FEATURES_OK. Requests are
 * done synchronously in the notifying vCPU's thread, a bounded number
 * per notification, except for a model with its own thread (net.c),
 * which is only woken by a notification and then works the queues
 * itself through mvm_virtio_pop()/push()/signal().
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mvm/mvm.h>

#include "virtio_dev.h"

/* Register offsets (section 4.2.2, table "MMIO Device Register Layout"). */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_VENDOR_ID		0x00c
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL	0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL	0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_DRIVER_LOW	0x090
#define REG_QUEUE_DRIVER_HIGH	0x094
#define REG_QUEUE_DEVICE_LOW	0x0a0
#define REG_QUEUE_DEVICE_HIGH	0x0a4
#define REG_SHM_SEL		0x0ac
#define REG_SHM_LEN_LOW		0x0b0
#define REG_SHM_LEN_HIGH	0x0b4
#define REG_SHM_BASE_LOW	0x0b8
#define REG_SHM_BASE_HIGH	0x0bc
#define REG_CONFIG_GENERATION	0x0fc
#define REG_CONFIG		0x100

#define MMIO_MAGIC		0x74726976	/* "virt" */
#define MMIO_VERSION		2		/* modern, not legacy 1 */
#define MMIO_VENDOR_ID		0x4d564d00	/* "MVM" */

/* A shared memory region that does not exist has length -1 (4.2.2). */
#define SHM_NONE		0xffffffffU

/* Chains done per notification, in units of the queue size. */
#define NOTIFY_BUDGET		4

/* Log rate limit: messages per second per device. */
#define LOG_BURST		10

struct mvm_virtio_dev {
	pthread_mutex_t lock;
	struct mvm_virtio_env env;
	const struct mvm_virtio_dev_ops *ops;
	void *priv;
	uint64_t dev_features;		/* the model's and transport's */
	uint8_t config[MVM_VIRTIO_CONFIG_MAX];
	size_t config_len;

	/* Driver-visible state, all of it cleared by a reset. */
	uint32_t status;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint64_t drv_features;
	bool drv_features_beyond;	/* a bit above 63 written */
	uint32_t queue_sel;
	uint32_t isr;
	struct mvm_virtq vq[MVM_VIRTIO_MAX_QUEUES];

	uint16_t signalled[MVM_VIRTIO_MAX_QUEUES]; /* used idx at the last
						    * interrupt decision */
	int irq_level;			/* the line's last level */
	struct mvm_virtq_req req;	/* the request being done */

	time_t log_sec;			/* the rate limit's second */
	unsigned int log_count;		/* messages sent in it */
	unsigned int log_dropped;	/* and dropped */
};

void mvm_virtio_log(struct mvm_virtio_dev *d, int level, const char *fmt, ...)
{
	struct timespec now;
	char msg[256];
	va_list ap;
	int n;

	if (!d->env.log)
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		now.tv_sec = d->log_sec;
	if (now.tv_sec != d->log_sec) {
		if (d->log_dropped) {
			snprintf(msg, sizeof(msg),
				 "virtio-%s: %u messages dropped (rate limit)",
				 d->ops->name, d->log_dropped);
			d->env.log(d->env.log_opaque, MVM_LOG_WARNING, msg);
		}
		d->log_sec = now.tv_sec;
		d->log_count = 0;
		d->log_dropped = 0;
	}
	if (d->log_count >= LOG_BURST) {
		d->log_dropped++;
		return;
	}
	d->log_count++;
	n = snprintf(msg, sizeof(msg), "virtio-%s: ", d->ops->name);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	d->env.log(d->env.log_opaque, level, msg);
}

/* Drive the line to what InterruptStatus says: high while a bit is set. */
static void irq_update(struct mvm_virtio_dev *d)
{
	int level = d->isr != 0;

	if (level == d->irq_level)
		return;
	d->irq_level = level;
	if (d->env.irq.set)
		d->env.irq.set(d->env.irq.opaque, d->env.irq.gsi, level);
}

static void raise_isr(struct mvm_virtio_dev *d, uint32_t bits)
{
	d->isr |= bits;
	irq_update(d);
}

/*
 * An error the device cannot recover from (a broken ring): stop all
 * processing until the driver resets the device, and tell it with a
 * configuration change interrupt (section 2.1.2).
 */
static void needs_reset(struct mvm_virtio_dev *d, unsigned int queue,
			const char *why)
{
	if (d->status & MVM_VIRTIO_S_NEEDS_RESET)
		return;
	mvm_virtio_log(d, MVM_LOG_WARNING,
		       "queue %u: %s; device needs reset", queue, why);
	d->status |= MVM_VIRTIO_S_NEEDS_RESET;
	raise_isr(d, MVM_VIRTIO_ISR_CONFIG);
}

static void dev_reset(struct mvm_virtio_dev *d)
{
	unsigned int i;

	d->status = 0;
	d->dev_features_sel = 0;
	d->drv_features_sel = 0;
	d->drv_features = 0;
	d->drv_features_beyond = false;
	d->queue_sel = 0;
	for (i = 0; i < MVM_VIRTIO_MAX_QUEUES; i++) {
		mvm_virtq_reset(&d->vq[i]);
		d->signalled[i] = 0;
	}
	d->isr = 0;
	irq_update(d);
	if (d->ops->reset)
		d->ops->reset(d, d->priv);
}

static bool can_process(const struct mvm_virtio_dev *d)
{
	return (d->status & (MVM_VIRTIO_S_DRIVER_OK | MVM_VIRTIO_S_NEEDS_RESET |
			     MVM_VIRTIO_S_FAILED)) == MVM_VIRTIO_S_DRIVER_OK;
}

/*
 * Do the requests waiting on queue @qi, then interrupt if the driver
 * wants it. At most NOTIFY_BUDGET times the queue size loop iterations:
 * a driver adding buffers as fast as they are consumed (or flipping its
 * index back and forth) cannot keep the vCPU thread, and the device's
 * mutex, forever; what is left waits for the next notification.
 */
static void process_queue(struct mvm_virtio_dev *d, unsigned int qi)
{
	struct mvm_virtq *q = &d->vq[qi];
	unsigned int budget;
	const char *why = "?";
	uint16_t old_used;
	uint32_t len;
	int ret;

	if (!can_process(d) || !q->ready)
		return;
	if (d->ops->notify) {
		d->ops->notify(d, d->priv, qi);
		return;
	}
	old_used = q->used_idx;
	for (budget = NOTIFY_BUDGET * q->num; ; budget--) {
		if (!budget) {
			mvm_virtq_defer(q);
			break;
		}
		ret = mvm_virtq_pop(q, d->env.mem, &d->req, &why);
		if (ret < 0) {
			needs_reset(d, qi, why);
			break;
		}
		if (ret == 0) {
			if (mvm_virtq_rearm(q))
				continue;
			break;
		}
		len = d->ops->handle(d, d->priv, qi, &d->req);
		mvm_virtq_push(q, d->req.head, len);
	}
	if (q->used_idx != old_used && mvm_virtq_need_interrupt(q, old_used))
		raise_isr(d, MVM_VIRTIO_ISR_USED);
}

static void process_all(struct mvm_virtio_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->ops->num_queues; i++)
		process_queue(d, i);
}

/*
 * FEATURES_OK is granted for a subset of our features that includes
 * VERSION_1 (sections 2.2.1 and 6.1), after DRIVER.
 */
static bool features_acceptable(struct mvm_virtio_dev *d, uint32_t status)
{
	uint64_t extra = d->drv_features & ~d->dev_features;

	if (!(status & MVM_VIRTIO_S_DRIVER))
		return false;
	if (extra || d->drv_features_beyond) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "driver accepted features not offered (%#llx%s)",
			       (unsigned long long)extra,
			       d->drv_features_beyond ? ", bits above 63" : "");
		return false;
	}
	if (!(d->drv_features & (1ULL << MVM_VIRTIO_F_VERSION_1))) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "driver did not accept VERSION_1 (no legacy support)");
		return false;
	}
	return true;
}

/*
 * A Status write (section 2.1 and 3.1.1). 0 resets. Otherwise the driver
 * only adds bits, in order: FEATURES_OK stays clear unless the features
 * are acceptable, DRIVER_OK unless FEATURES_OK is set. DEVICE_NEEDS_RESET
 * is the device's: the driver's copy of it is ignored. A write that
 * clears a bit is ignored (only a reset does that).
 */
static void write_status(struct mvm_virtio_dev *d, uint32_t v)
{
	uint32_t cur = d->status & ~MVM_VIRTIO_S_NEEDS_RESET, set;

	if (!v) {
		dev_reset(d);
		return;
	}
	v &= 0xff & ~MVM_VIRTIO_S_NEEDS_RESET;
	if (cur & ~v)
		return;
	set = v & ~cur;
	if ((set & MVM_VIRTIO_S_FEATURES_OK) && !features_acceptable(d, v))
		v &= ~MVM_VIRTIO_S_FEATURES_OK;
	if ((set & MVM_VIRTIO_S_DRIVER_OK) && !(v & MVM_VIRTIO_S_FEATURES_OK))
		v &= ~MVM_VIRTIO_S_DRIVER_OK;
	d->status = v | (d->status & MVM_VIRTIO_S_NEEDS_RESET);
	/* Buffers made available before DRIVER_OK are done now. */
	if (v & ~cur & MVM_VIRTIO_S_DRIVER_OK) {
		if (d->ops->driver_ok &&
		    d->ops->driver_ok(d, d->priv, d->drv_features)) {
			needs_reset(d, 0, "the device could not start");
			return;
		}
		process_all(d);
	}
}

/* The selected queue, or NULL when the device has no such queue. */
static struct mvm_virtq *sel_queue(struct mvm_virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->vq[d->queue_sel] : NULL;
}

/* QueueReady: 1 enables after checking the configuration, 0 disables. */
static void write_queue_ready(struct mvm_virtio_dev *d, struct mvm_virtq *q,
			      uint32_t v)
{
	const char *why = "?";

	if (v == 0) {
		if (q->ready && d->ops->queue_off)
			d->ops->queue_off(d, d->priv, d->queue_sel);
		q->ready = false;
		return;
	}
	if (v != 1 || q->ready)
		return;
	if (!(d->status & MVM_VIRTIO_S_FEATURES_OK)) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "queue %u enabled before FEATURES_OK; refused",
			       d->queue_sel);
		return;
	}
	d->signalled[d->queue_sel] = 0;
	if (mvm_virtq_enable(q, d->env.mem, d->drv_features &
			     (1ULL << MVM_VIRTIO_F_EVENT_IDX),
			     d->drv_features &
			     (1ULL << MVM_VIRTIO_F_INDIRECT_DESC), &why))
		mvm_virtio_log(d, MVM_LOG_WARNING, "queue %u: %s; not enabled",
			       d->queue_sel, why);
}

/* Set the low or high half of @*v. */
static void set_half(uint64_t *v, bool high, uint32_t half)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)half << 32;
	else
		*v = (*v & ~0xffffffffULL) | half;
}

/* Writes to a queue's configuration, only while it is not ready. */
static void write_queue_reg(struct mvm_virtio_dev *d, uint64_t off,
			    uint32_t v)
{
	struct mvm_virtq *q = sel_queue(d);

	if (!q)
		return;
	if (off == REG_QUEUE_READY) {
		write_queue_ready(d, q, v);
		return;
	}
	if (q->ready)
		return;
	switch (off) {
	case REG_QUEUE_NUM:
		q->num = v;
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		set_half(&q->desc_gpa, off == REG_QUEUE_DESC_HIGH, v);
		break;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
		set_half(&q->avail_gpa, off == REG_QUEUE_DRIVER_HIGH, v);
		break;
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		set_half(&q->used_gpa, off == REG_QUEUE_DEVICE_HIGH, v);
		break;
	default:
		break;
	}
}

static void write_driver_features(struct mvm_virtio_dev *d, uint32_t v)
{
	/* Features are fixed once FEATURES_OK is set (section 3.1.1). */
	if (d->status & MVM_VIRTIO_S_FEATURES_OK)
		return;
	if (d->drv_features_sel < 2)
		set_half(&d->drv_features, d->drv_features_sel == 1, v);
	else if (v)
		d->drv_features_beyond = true;
}

static void write_reg(struct mvm_virtio_dev *d, uint64_t off, uint32_t v)
{
	switch (off) {
	case REG_DEVICE_FEATURES_SEL:
		d->dev_features_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		write_driver_features(d, v);
		break;
	case REG_DRIVER_FEATURES_SEL:
		d->drv_features_sel = v;
		break;
	case REG_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case REG_QUEUE_NUM:
	case REG_QUEUE_READY:
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		write_queue_reg(d, off, v);
		break;
	case REG_QUEUE_NOTIFY:
		if (v < d->ops->num_queues)
			process_queue(d, v);
		break;
	case REG_INTERRUPT_ACK:
		d->isr &= ~v;
		irq_update(d);
		break;
	case REG_STATUS:
		write_status(d, v);
		break;
	default:
		/* Read-only registers, SHMSel (no regions), reserved. */
		break;
	}
}

static uint32_t read_reg(struct mvm_virtio_dev *d, uint64_t off)
{
	struct mvm_virtq *q = sel_queue(d);

	switch (off) {
	case REG_MAGIC:
		return MMIO_MAGIC;
	case REG_VERSION:
		return MMIO_VERSION;
	case REG_DEVICE_ID:
		return d->ops->device_id;
	case REG_VENDOR_ID:
		return MMIO_VENDOR_ID;
	case REG_DEVICE_FEATURES:
		if (d->dev_features_sel >= 2)
			return 0;
		return (uint32_t)(d->dev_features >>
				  (32 * d->dev_features_sel));
	case REG_QUEUE_NUM_MAX:
		return q ? MVM_VIRTQ_NUM_MAX : 0;
	case REG_QUEUE_READY:
		return q && q->ready;
	case REG_INTERRUPT_STATUS:
		return d->isr;
	case REG_STATUS:
		return d->status;
	case REG_SHM_LEN_LOW:
	case REG_SHM_LEN_HIGH:
	case REG_SHM_BASE_LOW:
	case REG_SHM_BASE_HIGH:
		return SHM_NONE;
	case REG_CONFIG_GENERATION:
		/* The configuration space never changes. */
		return 0;
	default:
		/* Write-only registers and reserved offsets read 0. */
		return 0;
	}
}

/*
 * The checks common to reads and writes: 0 for an access to do, 1 for
 * one the specification forbids (a register access not 4 bytes wide or
 * not aligned: read as 0, write ignored), or the negative errno.
 */
static int check_access(const struct mvm_virtio_dev *d, uint64_t off,
			const uint8_t *data, unsigned int len)
{
	if (!d || !data || (len != 1 && len != 2 && len != 4 && len != 8))
		return -EINVAL;
	if (off >= MVM_VIRTIO_MMIO_SIZE || len > MVM_VIRTIO_MMIO_SIZE - off)
		return -ERANGE;
	if (off >= REG_CONFIG)
		return 0;
	if (len == 8)
		return -EINVAL;
	return len != 4 || off % 4 ? 1 : 0;
}

int mvm_virtio_mmio_read(struct mvm_virtio_dev *d, uint64_t off,
			 uint8_t *data, unsigned int len)
{
	uint64_t c;
	unsigned int i;
	int ret;

	ret = check_access(d, off, data, len);
	if (ret < 0)
		return ret;
	memset(data, 0, len);
	if (ret)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (off < REG_CONFIG) {
		mvm_put_le32(data, read_reg(d, off));
	} else {
		c = off - REG_CONFIG;
		for (i = 0; i < len && c + i < d->config_len; i++)
			data[i] = d->config[c + i];
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int mvm_virtio_mmio_write(struct mvm_virtio_dev *d, uint64_t off,
			  const uint8_t *data, unsigned int len)
{
	int ret;

	ret = check_access(d, off, data, len);
	if (ret < 0)
		return ret;
	/* The configuration space has no field a driver may write. */
	if (ret || off >= REG_CONFIG)
		return 0;
	pthread_mutex_lock(&d->lock);
	write_reg(d, off, mvm_get_le32(data));
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int mvm_virtio_notify(struct mvm_virtio_dev *d, uint32_t queue)
{
	if (!d || queue >= d->ops->num_queues)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	process_queue(d, queue);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void mvm_virtio_lock(struct mvm_virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
}

void mvm_virtio_unlock(struct mvm_virtio_dev *d)
{
	pthread_mutex_unlock(&d->lock);
}

int mvm_virtio_pop(struct mvm_virtio_dev *d, unsigned int queue,
		   struct mvm_virtq_req *req)
{
	struct mvm_virtq *q;
	const char *why = "?";
	int ret;

	if (queue >= d->ops->num_queues)
		return -EINVAL;
	q = &d->vq[queue];
	if (!can_process(d) || !q->ready)
		return -EAGAIN;
	for (;;) {
		ret = mvm_virtq_pop(q, d->env.mem, req, &why);
		if (ret < 0) {
			needs_reset(d, queue, why);
			return -EPROTO;
		}
		if (ret > 0 || !mvm_virtq_rearm(q))
			return ret;
	}
}

void mvm_virtio_push(struct mvm_virtio_dev *d, unsigned int queue,
		     uint16_t head, uint32_t len)
{
	if (queue < d->ops->num_queues && d->vq[queue].ready)
		mvm_virtq_push(&d->vq[queue], head, len);
}

void mvm_virtio_fill(struct mvm_virtio_dev *d, unsigned int queue,
		     uint16_t i, uint16_t head, uint32_t len)
{
	if (queue < d->ops->num_queues && d->vq[queue].ready)
		mvm_virtq_fill(&d->vq[queue], i, head, len);
}

void mvm_virtio_flush(struct mvm_virtio_dev *d, unsigned int queue,
		      uint16_t n)
{
	if (queue < d->ops->num_queues && d->vq[queue].ready)
		mvm_virtq_flush(&d->vq[queue], n);
}

void mvm_virtio_signal(struct mvm_virtio_dev *d, unsigned int queue)
{
	struct mvm_virtq *q;
	uint16_t old;

	if (queue >= d->ops->num_queues || !d->vq[queue].ready)
		return;
	q = &d->vq[queue];
	old = d->signalled[queue];
	if (q->used_idx == old)
		return;
	d->signalled[queue] = q->used_idx;
	if (mvm_virtq_need_interrupt(q, old))
		raise_isr(d, MVM_VIRTIO_ISR_USED);
}

int mvm_virtio_dev_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_dev_ops *ops, void *priv,
			  const void *config, size_t config_len,
			  struct mvm_virtio_dev **out)
{
	struct mvm_virtio_dev *d;
	int ret;

	if (!env || !env->mem || !env->mem->base || !ops ||
	    !ops->handle == !ops->notify ||
	    !ops->name || !ops->num_queues ||
	    ops->num_queues > MVM_VIRTIO_MAX_QUEUES ||
	    config_len > MVM_VIRTIO_CONFIG_MAX || (config_len && !config) ||
	    !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = pthread_mutex_init(&d->lock, NULL);
	if (ret) {
		free(d);
		return -ret;
	}
	d->env = *env;
	d->ops = ops;
	d->priv = priv;
	d->dev_features = ops->features |
			  1ULL << MVM_VIRTIO_F_VERSION_1 |
			  1ULL << MVM_VIRTIO_F_INDIRECT_DESC |
			  1ULL << MVM_VIRTIO_F_EVENT_IDX;
	if (config_len)
		memcpy(d->config, config, config_len);
	d->config_len = config_len;
	*out = d;
	return 0;
}

void mvm_virtio_destroy(struct mvm_virtio_dev *d)
{
	if (!d)
		return;
	if (d->ops->destroy)
		d->ops->destroy(d->priv);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
