/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2, section 2.7), the device side: internal
 * to the virtio transport of libmvm (mmio.c), never installed.
 *
 * A queue is three areas of guest memory the driver allocates: the
 * descriptor table (16 bytes a descriptor), the available ring ("driver
 * area": flags, idx, ring[num], used_event) and the used ring ("device
 * area": flags, idx, ring[num] of {id, len}, avail_event). The driver
 * publishes chain heads in the available ring; the device walks each
 * chain, does the request and returns the head in the used ring.
 *
 * Everything the guest wrote is hostile and may change under our feet:
 * another vCPU runs the driver concurrently. So:
 *   - the ring areas are checked once, at enable, to lie inside guest
 *     memory with the alignment of section 2.7 (and a host alignment that
 *     makes the atomic index accesses legal);
 *   - each descriptor is copied once into a local and checked there;
 *     every buffer it names must lie inside guest memory (overflow-safe);
 *   - a chain is at most the queue size long (an indirect table at most
 *     MVM_VIRTQ_NUM_MAX entries): a loop ends as an error, not a hang;
 *   - the avail and used idx fields are accessed with __atomic builtins
 *     (acquire to read the driver's, release to publish ours), with a
 *     full fence before reading the driver's notification suppression
 *     fields, as section 2.7.7 and 2.7.10 require.
 * An error of the ring itself (a head or next index out of range, a
 * loop, a buffer outside guest memory, a misused indirect descriptor, an
 * avail idx more than the queue size ahead) is reported to the caller,
 * who marks the device DEVICE_NEEDS_RESET: the ring cannot be trusted
 * any further.
 *
 * Indirect descriptors (VIRTIO_F_INDIRECT_DESC) are supported when
 * negotiated, as the only descriptor of a chain's head (no NEXT flag
 * with it, no indirect descriptor inside a table); a driver that does
 * not negotiate the feature must not use them. VIRTIO_F_EVENT_IDX is
 * supported: used_event decides interrupts and avail_event is kept at
 * the next index the device will read.
 *
 * No locking here: the caller (the transport) holds its device's mutex
 * around every call.
 */
#ifndef MVM_VIRTIO_QUEUE_H
#define MVM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../loader/loader.h"	/* struct mvm_guest_mem */

/* Largest queue size the transport offers (QueueNumMax). */
#define MVM_VIRTQ_NUM_MAX		256

/* Descriptor flags (section 2.7.5). */
#define MVM_VIRTQ_DESC_F_NEXT		1
#define MVM_VIRTQ_DESC_F_WRITE		2
#define MVM_VIRTQ_DESC_F_INDIRECT	4

/* Available ring flag (section 2.7.6): no interrupt wanted. */
#define MVM_VIRTQ_AVAIL_F_NO_INTERRUPT	1

#define MVM_VIRTQ_DESC_SIZE		16
#define MVM_VIRTQ_USED_ELEM_SIZE	8

/*
 * One queue.
 * @num, @desc_gpa, @avail_gpa, @used_gpa: what the driver wrote to
 *        QueueNum and QueueDesc/Driver/Device; only checked at enable.
 * @ready:      enabled by mvm_virtq_enable(); the fields below are valid.
 * @event_idx:  VIRTIO_F_EVENT_IDX was negotiated.
 * @indirect:   VIRTIO_F_INDIRECT_DESC was negotiated.
 * @desc, @avail, @used: host pointers to the three areas.
 * @last_avail: the next available ring index the device will read.
 * @used_idx:   the device's copy of used->idx (what it last published).
 */
struct mvm_virtq {
	uint32_t num;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	bool ready;
	bool event_idx;
	bool indirect;
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;
	uint16_t used_idx;
};

/*
 * A guest buffer of a chain, already checked to lie in guest memory.
 * @ptr:      host address of its first byte (valid even when @len is 0).
 * @len:      its length.
 * @writable: device-writable (VIRTQ_DESC_F_WRITE); else device-readable.
 */
struct mvm_virtq_buf {
	uint8_t *ptr;
	uint32_t len;
	bool writable;
};

/*
 * One request: a chain taken off the available ring.
 * @head:  the head descriptor's index, to return in the used ring.
 * @nbufs: buffers in @buf, in chain order (an indirect table's in its
 *         order); 1 .. MVM_VIRTQ_NUM_MAX.
 */
struct mvm_virtq_req {
	uint16_t head;
	unsigned int nbufs;
	struct mvm_virtq_buf buf[MVM_VIRTQ_NUM_MAX];
};

/*
 * mvm_virtq_reset() - forget everything: not ready, the driver's
 * configuration zeroed, indices back to 0.
 */
void mvm_virtq_reset(struct mvm_virtq *q);

/*
 * mvm_virtq_enable() - check the driver's configuration and make the
 * queue ready, its indices at 0.
 * @q:         the queue, @num and the addresses as the driver wrote them.
 * @mem:       guest memory.
 * @event_idx: VIRTIO_F_EVENT_IDX negotiated (adds used_event and
 *             avail_event to the rings' sizes).
 * @indirect:  VIRTIO_F_INDIRECT_DESC negotiated.
 * @why:       receives a static description of a refusal.
 *
 * Checks: @num a power of two in 1 .. MVM_VIRTQ_NUM_MAX; the descriptor
 * table 16-byte, the available ring 2-byte and the used ring 4-byte
 * aligned, each wholly inside guest memory.
 *
 * Return: 0; -EINVAL (the queue stays not ready) when a check fails.
 */
int mvm_virtq_enable(struct mvm_virtq *q, const struct mvm_guest_mem *mem,
		     bool event_idx, bool indirect, const char **why);

/*
 * mvm_virtq_pop() - take the next chain off the available ring.
 * @q:   a ready queue.
 * @mem: guest memory.
 * @req: receives the chain.
 * @why: receives a static description of a ring error.
 *
 * Return: 1 with @req filled; 0 when the ring is empty; -EPROTO for a
 * ring error (the chain is consumed: @last_avail moved past it).
 */
int mvm_virtq_pop(struct mvm_virtq *q, const struct mvm_guest_mem *mem,
		  struct mvm_virtq_req *req, const char **why);

/*
 * mvm_virtq_push() - return chain @head with @len bytes written to the
 * used ring and publish it (release store of used->idx).
 */
void mvm_virtq_push(struct mvm_virtq *q, uint16_t head, uint32_t len);

/*
 * mvm_virtq_fill() / mvm_virtq_flush() - return several chains at once:
 * fill writes the used element @i places past used->idx, unpublished;
 * flush then publishes @n of them with one release store, so that the
 * driver sees them all or none (a frame spread over several receive
 * buffers must arrive whole).
 */
void mvm_virtq_fill(struct mvm_virtq *q, uint16_t i, uint16_t head,
		    uint32_t len);
void mvm_virtq_flush(struct mvm_virtq *q, uint16_t n);

/*
 * mvm_virtq_need_interrupt() - after pushes that moved used->idx from
 * @old_used to @q->used_idx, does the driver want an interrupt?
 * With EVENT_IDX: when used_event lies in [@old_used, used_idx); without:
 * unless the available ring's NO_INTERRUPT flag is set. A full fence
 * orders the used ring stores before the read.
 */
bool mvm_virtq_need_interrupt(struct mvm_virtq *q, uint16_t old_used);

/*
 * mvm_virtq_rearm() - the ring looked empty: with EVENT_IDX, ask for a
 * notification at the next buffer (avail_event = @last_avail), then
 * look again.
 *
 * Return: true when buffers arrived meanwhile (pop again), false when
 * the ring is empty and the driver will notify for its next buffer.
 * Without EVENT_IDX, false: notifications are never suppressed.
 */
bool mvm_virtq_rearm(struct mvm_virtq *q);

/*
 * mvm_virtq_defer() - the caller stops with buffers still available:
 * with EVENT_IDX, ask for a notification at the driver's next buffer
 * (avail_event = the current avail->idx), so that the pending ones are
 * picked up then. Without EVENT_IDX, nothing to do.
 */
void mvm_virtq_defer(struct mvm_virtq *q);

#endif /* MVM_VIRTIO_QUEUE_H */
