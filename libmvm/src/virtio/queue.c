// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueues, the device side (virtio 1.2, section 2.7): checking
 * the driver's rings, walking descriptor chains, publishing used
 * buffers, and the notification suppression of sections 2.7.7 and
 * 2.7.10. The contract and the threat model are in queue.h.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "queue.h"

/*
 * Ring layouts (section 2.7): offsets from the start of each area.
 *   available: flags, idx, ring[num] (2 bytes each), used_event
 *   used:      flags, idx, ring[num] (8 bytes each), avail_event
 */
#define AVAIL_FLAGS	0
#define AVAIL_IDX	2
#define AVAIL_RING	4
#define USED_IDX	2
#define USED_RING	4

/* Alignment of each area (section 2.7, table "Virtqueue Part Alignment"). */
#define DESC_ALIGN	16
#define AVAIL_ALIGN	2
#define USED_ALIGN	4

/*
 * Accesses to the fields the driver and the device exchange while both
 * run. The guest is little-endian like the specification; le16toh()
 * and friends keep that explicit. Callers pass addresses whose alignment
 * mvm_virtq_enable() checked.
 */
static uint16_t load16_acquire(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_ACQUIRE));
}

static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_RELAXED));
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

static void store16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

static void store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

static uint8_t *used_event(const struct mvm_virtq *q)
{
	return q->avail + AVAIL_RING + 2 * q->num;
}

static uint8_t *avail_event(const struct mvm_virtq *q)
{
	return q->used + USED_RING + MVM_VIRTQ_USED_ELEM_SIZE * q->num;
}

void mvm_virtq_reset(struct mvm_virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/*
 * Host pointer to one ring area: inside guest memory, aligned in guest-
 * physical space as the specification demands and in host space as the
 * atomic accesses need (the same thing when guest memory is page
 * aligned, as an mmap()ed one is).
 */
static uint8_t *map_area(const struct mvm_guest_mem *mem, uint64_t gpa,
			 uint64_t len, uint64_t align, const char *what_align,
			 const char *what_range, const char **why)
{
	uint8_t *p;

	if (gpa % align) {
		*why = what_align;
		return NULL;
	}
	p = mvm_gmem_ptr(mem, gpa, len);
	if (!p) {
		*why = what_range;
		return NULL;
	}
	if ((uintptr_t)p % align) {
		*why = "ring misaligned in host memory";
		return NULL;
	}
	return p;
}

int mvm_virtq_enable(struct mvm_virtq *q, const struct mvm_guest_mem *mem,
		     bool event_idx, bool indirect, const char **why)
{
	uint64_t extra = event_idx ? 2 : 0;
	uint8_t *desc, *avail, *used;

	q->ready = false;
	if (q->num == 0 || q->num > MVM_VIRTQ_NUM_MAX ||
	    (q->num & (q->num - 1))) {
		*why = "queue size not a power of two up to QueueNumMax";
		return -EINVAL;
	}
	/* num <= 256: none of the sizes below can overflow. */
	desc = map_area(mem, q->desc_gpa, (uint64_t)q->num *
			MVM_VIRTQ_DESC_SIZE, DESC_ALIGN,
			"descriptor table not 16-byte aligned",
			"descriptor table outside guest memory", why);
	if (!desc)
		return -EINVAL;
	avail = map_area(mem, q->avail_gpa, AVAIL_RING + 2ULL * q->num +
			 extra, AVAIL_ALIGN,
			 "available ring not 2-byte aligned",
			 "available ring outside guest memory", why);
	if (!avail)
		return -EINVAL;
	used = map_area(mem, q->used_gpa, USED_RING +
			(uint64_t)MVM_VIRTQ_USED_ELEM_SIZE * q->num + extra,
			USED_ALIGN, "used ring not 4-byte aligned",
			"used ring outside guest memory", why);
	if (!used)
		return -EINVAL;

	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

/* One descriptor as read from a table (section 2.7.5). */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/*
 * Copy descriptor @i of @table out of guest memory once: the checks and
 * the use that follow all see the same values, whatever the guest does
 * meanwhile.
 */
static void read_desc(const uint8_t *table, uint32_t i, struct desc *d)
{
	uint8_t raw[MVM_VIRTQ_DESC_SIZE];

	memcpy(raw, table + (size_t)i * MVM_VIRTQ_DESC_SIZE, sizeof(raw));
	d->addr = mvm_get_le64(raw);
	d->len = mvm_get_le32(raw + 8);
	d->flags = mvm_get_le16(raw + 12);
	d->next = mvm_get_le16(raw + 14);
}

/*
 * Switch the walk to the indirect table @d names (section 2.7.5.3): only
 * as the chain's head, without NEXT, never nested, a whole number of
 * descriptors, at most MVM_VIRTQ_NUM_MAX of them, inside guest memory.
 */
static int enter_indirect(const struct mvm_virtq *q,
			  const struct mvm_guest_mem *mem, const struct desc *d,
			  unsigned int n, bool nested, const uint8_t **table,
			  uint32_t *size, const char **why)
{
	if (!q->indirect)
		*why = "indirect descriptor not negotiated";
	else if (nested)
		*why = "indirect descriptor inside an indirect table";
	else if (n)
		*why = "indirect descriptor after the chain's head";
	else if (d->flags & MVM_VIRTQ_DESC_F_NEXT)
		*why = "indirect descriptor with NEXT set";
	else if (!d->len || d->len % MVM_VIRTQ_DESC_SIZE)
		*why = "indirect table length not a multiple of 16";
	else if (d->len / MVM_VIRTQ_DESC_SIZE > MVM_VIRTQ_NUM_MAX)
		*why = "indirect table longer than 256 descriptors";
	else if (!(*table = mvm_gmem_ptr(mem, d->addr, d->len)))
		*why = "indirect table outside guest memory";
	else {
		*size = d->len / MVM_VIRTQ_DESC_SIZE;
		return 0;
	}
	return -EPROTO;
}

/*
 * Walk the chain starting at @head into @req. The walk stops after
 * @limit descriptors (the queue size, or the indirect table's length):
 * a chain that goes on is a loop or longer than the specification
 * allows (section 2.7.5.2), an error either way.
 */
static int walk_chain(const struct mvm_virtq *q,
		      const struct mvm_guest_mem *mem, uint16_t head,
		      struct mvm_virtq_req *req, const char **why)
{
	const uint8_t *table = q->desc;
	uint32_t size = q->num, i = head;
	unsigned int n = 0;
	bool indirect = false;
	struct desc d;
	uint8_t *p;

	for (;;) {
		if (n >= size) {
			*why = "descriptor chain longer than its table";
			return -EPROTO;
		}
		read_desc(table, i, &d);
		if (d.flags & MVM_VIRTQ_DESC_F_INDIRECT) {
			if (enter_indirect(q, mem, &d, n, indirect, &table,
					   &size, why))
				return -EPROTO;
			indirect = true;
			i = 0;
			continue;
		}
		p = mvm_gmem_ptr(mem, d.addr, d.len);
		if (!p) {
			*why = "descriptor buffer outside guest memory";
			return -EPROTO;
		}
		req->buf[n].ptr = p;
		req->buf[n].len = d.len;
		req->buf[n].writable = d.flags & MVM_VIRTQ_DESC_F_WRITE;
		n++;
		if (!(d.flags & MVM_VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= size) {
			*why = "descriptor next index out of range";
			return -EPROTO;
		}
		i = d.next;
	}
	req->nbufs = n;
	return 1;
}

int mvm_virtq_pop(struct mvm_virtq *q, const struct mvm_guest_mem *mem,
		  struct mvm_virtq_req *req, const char **why)
{
	uint16_t avail_idx, head;

	/* Acquire: the ring entry and descriptors are read after idx. */
	avail_idx = load16_acquire(q->avail + AVAIL_IDX);
	if (avail_idx == q->last_avail)
		return 0;
	/* The driver never has more than num buffers outstanding. */
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		*why = "available index more than the queue size ahead";
		return -EPROTO;
	}
	head = load16(q->avail + AVAIL_RING +
		      2 * (q->last_avail & (q->num - 1)));
	q->last_avail++;
	if (head >= q->num) {
		*why = "available ring head index out of range";
		return -EPROTO;
	}
	req->head = head;
	req->nbufs = 0;
	return walk_chain(q, mem, head, req, why);
}

void mvm_virtq_fill(struct mvm_virtq *q, uint16_t i, uint16_t head,
		    uint32_t len)
{
	uint8_t *e = q->used + USED_RING + MVM_VIRTQ_USED_ELEM_SIZE *
		     ((uint16_t)(q->used_idx + i) & (q->num - 1));

	store32(e, head);
	store32(e + 4, len);
}

void mvm_virtq_flush(struct mvm_virtq *q, uint16_t n)
{
	q->used_idx += n;
	/* Release: the elements are visible before the index covering them. */
	store16_release(q->used + USED_IDX, q->used_idx);
}

void mvm_virtq_push(struct mvm_virtq *q, uint16_t head, uint32_t len)
{
	mvm_virtq_fill(q, 0, head, len);
	mvm_virtq_flush(q, 1);
}

bool mvm_virtq_need_interrupt(struct mvm_virtq *q, uint16_t old_used)
{
	uint16_t ev;

	/* Our used->idx store must be visible before we read the driver's
	 * wishes, or a driver re-enabling interrupts races with us. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		ev = load16(used_event(q));
		/* used_event in [old_used, used_idx), modulo 2^16. */
		return (uint16_t)(q->used_idx - ev - 1) <
		       (uint16_t)(q->used_idx - old_used);
	}
	return !(load16(q->avail + AVAIL_FLAGS) &
		 MVM_VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool mvm_virtq_rearm(struct mvm_virtq *q)
{
	if (!q->event_idx)
		return false;
	store16(avail_event(q), q->last_avail);
	/* The store above before the re-read below: a driver that added a
	 * buffer meanwhile either sees the new avail_event and notifies,
	 * or its buffer is seen here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16_acquire(q->avail + AVAIL_IDX) != q->last_avail;
}

void mvm_virtq_defer(struct mvm_virtq *q)
{
	if (!q->event_idx)
		return;
	store16(avail_event(q), load16_acquire(q->avail + AVAIL_IDX));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
