/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between the virtio-mmio transport (mmio.c) and the device models
 * (blk.c, rng.c): internal to libmvm's virtio code, never installed.
 *
 * A device model fills one struct mvm_virtio_dev_ops and hands it, with
 * its private state and its (read-only) configuration space, to
 * mvm_virtio_dev_create(). The transport owns everything of the virtio
 * protocol: registers, status and feature negotiation, the queues and
 * their errors, interrupts. A model sees one request at a time, already
 * taken off its queue and checked to lie in guest memory, and returns
 * how many bytes it wrote; what it finds wrong inside a request it
 * reports in the request itself (virtio-blk's status byte), never by
 * failing.
 */
#ifndef MVM_VIRTIO_DEV_H
#define MVM_VIRTIO_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "virtio.h"

/* Device status bits (virtio 1.2, section 2.1). */
#define MVM_VIRTIO_S_ACKNOWLEDGE	0x01
#define MVM_VIRTIO_S_DRIVER		0x02
#define MVM_VIRTIO_S_DRIVER_OK		0x04
#define MVM_VIRTIO_S_FEATURES_OK	0x08
#define MVM_VIRTIO_S_NEEDS_RESET	0x40
#define MVM_VIRTIO_S_FAILED		0x80

/* Transport feature bits (section 6). */
#define MVM_VIRTIO_F_INDIRECT_DESC	28
#define MVM_VIRTIO_F_EVENT_IDX		29
#define MVM_VIRTIO_F_VERSION_1		32

/* InterruptStatus bits (section 4.2.2). */
#define MVM_VIRTIO_ISR_USED		0x1
#define MVM_VIRTIO_ISR_CONFIG		0x2

/* Device IDs (section 5). */
#define MVM_VIRTIO_ID_BLOCK		2
#define MVM_VIRTIO_ID_NET		1
#define MVM_VIRTIO_ID_RNG		4

/* Most queues a device model may have. */
#define MVM_VIRTIO_MAX_QUEUES		2

/* Longest configuration space (bytes); the window has 0x100. */
#define MVM_VIRTIO_CONFIG_MAX		0x100

/*
 * What a device model provides.
 * @name:       for log messages ("blk", "rng").
 * @device_id:  DeviceID register (section 5).
 * @num_queues: 1 .. MVM_VIRTIO_MAX_QUEUES.
 * @features:   its device-type feature bits; the transport adds
 *              VERSION_1, INDIRECT_DESC and EVENT_IDX.
 * @handle:     do one request taken off queue @queue of @d; @priv is the
 *              model's state. Returns the number of bytes written into
 *              the request's device-writable buffers (used.len). Called
 *              with the device's mutex held, in the vCPU thread that
 *              notified; it may call mvm_virtio_log() but nothing else
 *              of the transport.
 * @notify:     instead of @handle, for a model that runs its queues in
 *              its own thread (virtio-net): the driver notified @queue,
 *              or the device just became DRIVER_OK (once per queue).
 *              Called with the device's mutex held; it should only wake
 *              the model's thread, which then uses mvm_virtio_pop(),
 *              mvm_virtio_push() and mvm_virtio_signal().
 * @driver_ok:  optional: the driver set DRIVER_OK having accepted
 *              @features. Mutex held. Non-zero when the device cannot
 *              start: it then needs a reset (DEVICE_NEEDS_RESET).
 * @reset:      optional: the driver reset the device (every queue is
 *              gone). Mutex held.
 * @queue_off:  optional: the driver disabled @queue (QueueReady 0):
 *              chains taken off it are no longer the device's. Mutex
 *              held.
 * @destroy:    free @priv (from mvm_virtio_destroy()); may be NULL.
 *
 * Exactly one of @handle and @notify is set.
 */
struct mvm_virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	unsigned int num_queues;
	uint64_t features;
	uint32_t (*handle)(struct mvm_virtio_dev *d, void *priv,
			   unsigned int queue, const struct mvm_virtq_req *req);
	void (*notify)(struct mvm_virtio_dev *d, void *priv,
		       unsigned int queue);
	int (*driver_ok)(struct mvm_virtio_dev *d, void *priv,
			 uint64_t features);
	void (*reset)(struct mvm_virtio_dev *d, void *priv);
	void (*queue_off)(struct mvm_virtio_dev *d, void *priv,
			  unsigned int queue);
	void (*destroy)(void *priv);
};

/*
 * mvm_virtio_dev_create() - a transport, at reset, for a device model.
 * @env:        the guest memory, IRQ line and log, copied.
 * @ops:        the model's operations; must outlive the device.
 * @priv:       the model's state, passed to @ops; owned by the device
 *              once this succeeds (freed with @ops->destroy).
 * @config:     the configuration space, copied; NULL when @config_len
 *              is 0. Read-only to the guest: writes are ignored.
 * @config_len: its length, at most MVM_VIRTIO_CONFIG_MAX.
 * @out:        receives the device.
 *
 * On failure @priv is untouched and stays the caller's.
 * Return: 0; -EINVAL (NULL, a bad @ops or @config_len, no guest
 * memory); -ENOMEM; or the error of pthread_mutex_init() negated.
 */
int mvm_virtio_dev_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_dev_ops *ops, void *priv,
			  const void *config, size_t config_len,
			  struct mvm_virtio_dev **out);

/*
 * For models with @notify, from their own thread. Every call below but
 * the lock itself needs the device's mutex held:
 *
 * mvm_virtio_lock() / mvm_virtio_unlock() - take and drop it.
 *
 * mvm_virtio_pop() - take the next chain off @queue into @req.
 * Return: 1 with @req filled; 0 when the ring is empty (the driver was
 * asked to notify at its next buffer); -EAGAIN when the device is not
 * running (not DRIVER_OK, needing a reset, or the queue not ready);
 * -EPROTO for a broken ring (the device now needs a reset).
 *
 * mvm_virtio_push() - return chain @head with @len bytes written.
 *
 * mvm_virtio_fill() / mvm_virtio_flush() - return several chains that
 * the driver must see together: fill the used element @i places past
 * the used index, then flush @n of them at once.
 *
 * mvm_virtio_signal() - interrupt the driver if it asked for one for
 * the chains pushed on @queue since the last call (call it once a
 * batch of pushes is done).
 */
void mvm_virtio_lock(struct mvm_virtio_dev *d);
void mvm_virtio_unlock(struct mvm_virtio_dev *d);
int mvm_virtio_pop(struct mvm_virtio_dev *d, unsigned int queue,
		   struct mvm_virtq_req *req);
void mvm_virtio_push(struct mvm_virtio_dev *d, unsigned int queue,
		     uint16_t head, uint32_t len);
void mvm_virtio_fill(struct mvm_virtio_dev *d, unsigned int queue,
		     uint16_t i, uint16_t head, uint32_t len);
void mvm_virtio_flush(struct mvm_virtio_dev *d, unsigned int queue,
		      uint16_t n);
void mvm_virtio_signal(struct mvm_virtio_dev *d, unsigned int queue);

/*
 * mvm_virtio_log() - report a device error (a guest's bad request, a
 * host I/O error) through the env's log callback. Rate-limited per
 * device (a hostile guest must not flood the host's log): a burst of
 * at most 10 messages a second, then a count of the ones dropped.
 * Call it with the device's mutex held (from @handle, or mmio.c).
 */
void mvm_virtio_log(struct mvm_virtio_dev *d, int level, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

#endif /* MVM_VIRTIO_DEV_H */
