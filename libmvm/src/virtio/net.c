// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net (virtio 1.2, section 5.1) on a tap device: one receive and
 * one transmit queue, worked by the device's own thread.
 *
 * The thread sleeps in poll() on three fds: an eventfd that the
 * transport's notify callback writes (and that the VMM may register as
 * an ioeventfd on QueueNotify, so that a guest's kick never leaves the
 * kernel), the tap (only while a received frame has somewhere to go),
 * and a timerfd that ends a rate limiter's wait. Each turn it sends up
 * to BATCH frames the guest queued and receives up to BATCH from the
 * tap, then interrupts the guest once per queue if it asked for it.
 *
 * Every frame on the tap carries the 12-byte virtio-net header, so
 * offloads pass through untouched in both directions:
 *   - to the host: checksum (CSUM) and TSO (HOST_TSO4/6, HOST_ECN) are
 *     always offered; a header asking for one the driver did not
 *     negotiate is dropped here, and the host kernel checks the rest;
 *   - to the guest: GUEST_CSUM and GUEST_TSO4/6/ECN are offered only
 *     when the tap takes TUNSETOFFLOAD, and the tap is told at
 *     DRIVER_OK exactly what the driver accepted, so that the host
 *     kernel checksums and segments whatever the guest cannot take.
 *
 * Receive: a frame is read from the tap into a bounce buffer, then
 * copied into the guest's buffers: with MRG_RXBUF into as many chains as
 * it needs (num_buffers says how many), without it into one chain. The
 * chains taken for a frame that does not fit yet are held until more
 * arrive; a frame that can never fit (more than RX_HELD_MAX chains, or
 * one chain too small without MRG_RXBUF) is dropped and counted. While a
 * frame waits for buffers the tap is not read: its queue fills and the
 * host drops, which is what TCP expects of a slow receiver.
 *
 * Rate limiting: two token buckets per direction (bytes and frames,
 * ratelimit.h). An empty bucket stops that direction until the timerfd
 * fires: transmit chains stay on the ring (the guest's queue fills and
 * it stops), received frames stay in the tap's queue.
 *
 * Locking: the transport's device mutex covers what its callbacks touch
 * (running, features, the transmit epoch, the held receive chains) and
 * every call into the transport. The thread takes it per frame, never
 * across a system call on the tap: a vCPU reading InterruptStatus does
 * not wait for the host's network stack. Everything else is the
 * thread's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <mvm/mvm.h>

#include "../net/ratelimit.h"
#include "virtio_dev.h"

/* Feature bits (section 5.1.3). */
#define NET_F_CSUM		0
#define NET_F_GUEST_CSUM	1
#define NET_F_MTU		3
#define NET_F_MAC		5
#define NET_F_GUEST_TSO4	7
#define NET_F_GUEST_TSO6	8
#define NET_F_GUEST_ECN		9
#define NET_F_HOST_TSO4		11
#define NET_F_HOST_TSO6		12
#define NET_F_HOST_ECN		13
#define NET_F_MRG_RXBUF		15
#define NET_F_STATUS		16

#define BIT(n)			(1ULL << (n))

/* Configuration layout (section 5.1.4). */
#define CFG_MAC			0	/* 6 bytes */
#define CFG_STATUS		6	/* le16 */
#define CFG_MAX_PAIRS		8	/* le16 */
#define CFG_MTU			10	/* le16 */
#define CFG_LEN			12
#define NET_S_LINK_UP		1

/* The header before every frame (section 5.1.6). */
#define HDR_LEN			12
#define HDR_FLAGS		0
#define HDR_GSO_TYPE		1
#define HDR_NUM_BUFFERS		10
#define HDR_F_NEEDS_CSUM	1
#define HDR_F_DATA_VALID	2
#define GSO_NONE		0
#define GSO_TCPV4		1
#define GSO_TCPV6		4
#define GSO_ECN			0x80

#define RXQ			0
#define TXQ			1

/* Largest frame: 64 KiB of TSO payload with its headers, and room. */
#define FRAME_MAX		(65536 + 1024)
#define RX_SEGS			32
#define RX_HELD_MAX		64
#define BATCH			64

/* A receive chain taken off the ring: its device-writable buffers. */
struct rx_chain {
	uint16_t head;
	unsigned int nseg;
	uint64_t cap;
	struct {
		uint8_t *ptr;
		uint32_t len;
	} seg[RX_SEGS];
};

struct net {
	struct mvm_virtio_dev *dev;
	int fd;
	int wake_fd;
	int timer_fd;
	bool guest_offloads;		/* the fd takes TUNSETOFFLOAD */
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;

	/* Under the device's mutex (the transport's callbacks set them). */
	bool running;			/* DRIVER_OK, not reset since */
	bool broken;			/* a ring error: wait for reset */
	uint64_t features;		/* what the driver accepted */
	uint64_t tx_epoch;		/* resets, transmit queue disabled */
	struct rx_chain held[RX_HELD_MAX];
	unsigned int nheld;
	uint64_t held_cap;

	/* The thread's alone. */
	struct mvm_tb tx_bytes, tx_frames, rx_bytes, rx_frames;
	bool tx_throttled, rx_throttled;
	bool fd_dead;			/* POLLERR/POLLHUP: stop polling */
	uint8_t *rxbuf;			/* HDR_LEN + FRAME_MAX */
	size_t rx_len;			/* a frame waits there when > 0 */
	struct mvm_virtq_req req;
	struct iovec iov[1 + MVM_VIRTQ_NUM_MAX];	/* header copy, buffers */
	uint64_t tx_frames_done, tx_dropped, rx_frames_done, rx_dropped;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wake(struct net *n)
{
	uint64_t one = 1;

	/* Only fails when the counter is about to overflow: awake then. */
	if (write(n->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* Both buckets of a direction refilled to @now; true when both allow. */
static bool buckets_ready(struct mvm_tb *bytes, struct mvm_tb *frames,
			  uint64_t now)
{
	bool b = mvm_tb_ready(bytes, now);

	return mvm_tb_ready(frames, now) && b;
}

/* ---- transmit ---------------------------------------------------------- */

/* Is the header the guest wrote one it may send, given @features? */
static const char *tx_header_problem(uint64_t features, const uint8_t *h)
{
	uint8_t flags = h[HDR_FLAGS], gso = h[HDR_GSO_TYPE];

	if (flags & ~HDR_F_NEEDS_CSUM)
		return "unknown header flags";
	if ((flags & HDR_F_NEEDS_CSUM) && !(features & BIT(NET_F_CSUM)))
		return "checksum offload not negotiated";
	if ((gso & GSO_ECN) && !(features & BIT(NET_F_HOST_ECN)))
		return "ECN segmentation not negotiated";
	if ((gso & ~GSO_ECN) != GSO_NONE && !(flags & HDR_F_NEEDS_CSUM))
		return "segmentation without checksum offload";
	switch (gso & ~GSO_ECN) {
	case GSO_NONE:
		return (gso & GSO_ECN) ? "ECN flag without segmentation" : NULL;
	case GSO_TCPV4:
		return (features & BIT(NET_F_HOST_TSO4)) ? NULL :
		       "TSO over IPv4 not negotiated";
	case GSO_TCPV6:
		return (features & BIT(NET_F_HOST_TSO6)) ? NULL :
		       "TSO over IPv6 not negotiated";
	default:
		return "unknown segmentation type";
	}
}

/*
 * Send the frame of chain @req to the tap, without the device's mutex
 * (the guest memory it reads stays mapped; at worst the guest changed
 * the frame meanwhile, and sends what it wrote). The header goes from
 * the copy that was checked, never again from guest memory. @features:
 * what the driver accepted. Return: the frame's cost in bytes; @msg
 * receives what to log at @level (empty for nothing), for the caller to
 * log under the mutex.
 */
static uint64_t tx_one(struct net *n, const struct mvm_virtq_req *req,
		       uint64_t features, char *msg, size_t msg_len,
		       int *level)
{
	uint8_t hdr[HDR_LEN];
	uint64_t total = 0;
	unsigned int i, niov = 1;
	size_t skip = HDR_LEN, c;
	const char *why;
	ssize_t r;

	msg[0] = 0;
	*level = MVM_LOG_WARNING;
	for (i = 0; i < req->nbufs; i++) {
		if (req->buf[i].writable) {
			snprintf(msg, msg_len,
				 "transmit chain %u has a device-writable buffer; dropped",
				 req->head);
			n->tx_dropped++;
			return 0;
		}
		total += req->buf[i].len;
	}
	if (total < HDR_LEN || total > HDR_LEN + FRAME_MAX) {
		snprintf(msg, msg_len,
			 "transmit chain %u is %llu bytes (header and frame: %u to %u); dropped",
			 req->head, (unsigned long long)total, HDR_LEN,
			 HDR_LEN + FRAME_MAX);
		n->tx_dropped++;
		return 0;
	}
	/* iov[0] is the header's copy; the rest is the frame. */
	n->iov[0].iov_base = hdr;
	n->iov[0].iov_len = HDR_LEN;
	for (i = 0; i < req->nbufs; i++) {
		c = req->buf[i].len < skip ? req->buf[i].len : skip;
		memcpy(hdr + HDR_LEN - skip, req->buf[i].ptr, c);
		skip -= c;
		if (req->buf[i].len == c)
			continue;
		n->iov[niov].iov_base = req->buf[i].ptr + c;
		n->iov[niov].iov_len = req->buf[i].len - c;
		niov++;
	}
	why = tx_header_problem(features, hdr);
	if (why) {
		snprintf(msg, msg_len,
			 "transmit chain %u: %s (flags %#x, gso %#x); dropped",
			 req->head, why, hdr[HDR_FLAGS], hdr[HDR_GSO_TYPE]);
		n->tx_dropped++;
		return 0;
	}
	do {
		r = writev(n->fd, n->iov, (int)niov);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* The tap is down (EIO), its queue full, or the host kernel
		 * refused the header (EINVAL): the frame is lost, as on a
		 * wire. */
		*level = MVM_LOG_DEBUG;
		snprintf(msg, msg_len, "tap write: %s", strerror(errno));
		n->tx_dropped++;
		return total - HDR_LEN;
	}
	n->tx_frames_done++;
	return total - HDR_LEN;
}

/*
 * Send up to BATCH frames: each chain is taken off the ring under the
 * device's mutex and written to the tap without it, so that a vCPU
 * reading the device's registers never waits for the host's network
 * stack. A chain is returned only if no reset came in between.
 * Return: true when more may be waiting.
 */
static bool tx_work(struct net *n, uint64_t now)
{
	uint64_t cost, features, epoch;
	unsigned int done;
	char msg[160];
	int ret, level;

	n->tx_throttled = false;
	for (done = 0; done < BATCH; done++) {
		if (!buckets_ready(&n->tx_bytes, &n->tx_frames, now)) {
			n->tx_throttled = true;
			break;
		}
		mvm_virtio_lock(n->dev);
		ret = n->running && !n->broken ?
		      mvm_virtio_pop(n->dev, TXQ, &n->req) : -EAGAIN;
		if (ret == -EPROTO)
			n->broken = true;
		features = n->features;
		epoch = n->tx_epoch;
		mvm_virtio_unlock(n->dev);
		if (ret <= 0)
			break;

		cost = tx_one(n, &n->req, features, msg, sizeof(msg), &level);

		mvm_virtio_lock(n->dev);
		if (msg[0])
			mvm_virtio_log(n->dev, level, "%s", msg);
		if (n->tx_epoch == epoch)
			mvm_virtio_push(n->dev, TXQ, n->req.head, 0);
		mvm_virtio_unlock(n->dev);
		mvm_tb_take(&n->tx_bytes, cost);
		mvm_tb_take(&n->tx_frames, 1);
	}
	mvm_virtio_lock(n->dev);
	mvm_virtio_signal(n->dev, TXQ);
	mvm_virtio_unlock(n->dev);
	return done == BATCH;
}

/* ---- receive ------------------------------------------------------------ */

/* Hold chain @req for receiving: its writable buffers. */
static void rx_hold(struct net *n, const struct mvm_virtq_req *req)
{
	struct rx_chain *c = &n->held[n->nheld];
	unsigned int i;

	c->head = req->head;
	c->nseg = 0;
	c->cap = 0;
	for (i = 0; i < req->nbufs && c->nseg < RX_SEGS; i++) {
		if (!req->buf[i].writable || !req->buf[i].len)
			continue;
		c->seg[c->nseg].ptr = req->buf[i].ptr;
		c->seg[c->nseg].len = req->buf[i].len;
		c->nseg++;
		c->cap += req->buf[i].len;
	}
	if (c->cap < HDR_LEN) {
		/* Not even room for the header: give it back unused. */
		mvm_virtio_log(n->dev, MVM_LOG_WARNING,
			       "receive chain %u has %llu writable bytes; returned unused",
			       req->head, (unsigned long long)c->cap);
		mvm_virtio_push(n->dev, RXQ, req->head, 0);
		return;
	}
	n->nheld++;
	n->held_cap += c->cap;
}

/* Copy @len bytes from @src into chain @c; the bytes written. */
static uint32_t rx_fill(struct rx_chain *c, const uint8_t *src, size_t len)
{
	uint32_t done = 0, k;
	unsigned int i;

	for (i = 0; i < c->nseg && done < len; i++) {
		k = c->seg[i].len < len - done ? c->seg[i].len :
						 (uint32_t)(len - done);
		memcpy(c->seg[i].ptr, src + done, k);
		done += k;
	}
	return done;
}

/* May the guest get a frame of @gso, given what it accepted? */
static bool rx_gso_ok(const struct net *n, uint8_t gso)
{
	if ((gso & GSO_ECN) && !(n->features & BIT(NET_F_GUEST_ECN)))
		return false;
	switch (gso & ~GSO_ECN) {
	case GSO_NONE:
		return !(gso & GSO_ECN);
	case GSO_TCPV4:
		return n->features & BIT(NET_F_GUEST_TSO4);
	case GSO_TCPV6:
		return n->features & BIT(NET_F_GUEST_TSO6);
	default:
		return false;
	}
}

/*
 * Give the waiting frame to the guest. Return: 1 done (delivered or
 * dropped), 0 no buffer for it yet, 2 not yet but try again (too many
 * unusable chains in one go), -1 the device is not running.
 */
static int rx_deliver(struct net *n)
{
	bool mrg = n->features & BIT(NET_F_MRG_RXBUF);
	unsigned int limit = mrg ? RX_HELD_MAX : 1, used, i, pops = 0;
	uint8_t *h = n->rxbuf;
	size_t off = 0;
	uint32_t w;
	int ret;

	while (n->held_cap < n->rx_len && n->nheld < limit) {
		/* Chains too small to hold are returned at once: a guest
		 * recycling them must not keep us here for ever. */
		if (pops++ == MVM_VIRTQ_NUM_MAX)
			return 2;
		ret = mvm_virtio_pop(n->dev, RXQ, &n->req);
		if (ret == 0)
			return 0;
		if (ret < 0) {
			if (ret == -EPROTO)
				n->broken = true;
			return -1;
		}
		rx_hold(n, &n->req);
	}
	if (n->held_cap < n->rx_len) {
		mvm_virtio_log(n->dev, MVM_LOG_WARNING,
			       "a %zu-byte frame does not fit in %u receive buffers of %llu bytes; dropped",
			       n->rx_len, n->nheld,
			       (unsigned long long)n->held_cap);
		n->rx_dropped++;
		n->rx_len = 0;
		return 1;
	}
	/* What the header may say depends on what the driver accepted;
	 * a frame the tap queued under an earlier driver's offloads may
	 * need what this one cannot do. */
	if (!(n->features & BIT(NET_F_GUEST_CSUM))) {
		if (h[HDR_FLAGS] & HDR_F_NEEDS_CSUM) {
			n->rx_dropped++;
			n->rx_len = 0;
			return 1;
		}
		h[HDR_FLAGS] = 0;
	}
	if (!rx_gso_ok(n, h[HDR_GSO_TYPE])) {
		mvm_virtio_log(n->dev, MVM_LOG_WARNING,
			       "received a frame with gso type %#x the driver did not accept; dropped",
			       h[HDR_GSO_TYPE]);
		n->rx_dropped++;
		n->rx_len = 0;
		return 1;
	}
	for (used = 0, w = 0; w < n->rx_len; used++)
		w += (uint32_t)(n->held[used].cap < n->rx_len - w ?
				n->held[used].cap : n->rx_len - w);
	h[HDR_NUM_BUFFERS] = (uint8_t)used;
	h[HDR_NUM_BUFFERS + 1] = (uint8_t)(used >> 8);
	/* The driver sees the frame's buffers all at once, or none. */
	for (i = 0; i < used; i++) {
		w = rx_fill(&n->held[i], n->rxbuf + off, n->rx_len - off);
		off += w;
		mvm_virtio_fill(n->dev, RXQ, (uint16_t)i, n->held[i].head, w);
		n->held_cap -= n->held[i].cap;
	}
	mvm_virtio_flush(n->dev, RXQ, (uint16_t)used);
	n->nheld -= used;
	memmove(n->held, n->held + used, n->nheld * sizeof(n->held[0]));
	n->rx_frames_done++;
	n->rx_len = 0;
	return 1;
}

/* Read one frame from the tap, without the device's mutex. Return:
 * true when one waits in rxbuf. */
static bool rx_read(struct net *n)
{
	ssize_t r;

	do {
		r = read(n->fd, n->rxbuf, HDR_LEN + FRAME_MAX);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN) {
			mvm_virtio_lock(n->dev);
			mvm_virtio_log(n->dev, MVM_LOG_DEBUG, "tap read: %s",
				       strerror(errno));
			mvm_virtio_unlock(n->dev);
		}
		return false;
	}
	if (r < HDR_LEN + 14) {
		n->rx_dropped++;
		return false;
	}
	n->rx_len = (size_t)r;
	return true;
}

/*
 * Receive up to BATCH frames: read from the tap without the device's
 * mutex, copied into the guest's buffers with it (a reset must not find
 * the device still writing into buffers the driver took back).
 * Return: true when more may be waiting.
 */
static bool rx_work(struct net *n, uint64_t now)
{
	unsigned int done;
	int ret = 1;

	n->rx_throttled = false;
	for (done = 0; done < BATCH; done++) {
		if (!n->rx_len) {
			if (n->fd_dead)
				break;
			if (!buckets_ready(&n->rx_bytes, &n->rx_frames,
					   now)) {
				n->rx_throttled = true;
				break;
			}
			if (!rx_read(n))
				break;
			mvm_tb_take(&n->rx_bytes, n->rx_len - HDR_LEN);
			mvm_tb_take(&n->rx_frames, 1);
		}
		mvm_virtio_lock(n->dev);
		ret = n->running && !n->broken ? rx_deliver(n) : -1;
		mvm_virtio_unlock(n->dev);
		if (ret != 1)
			break;
	}
	mvm_virtio_lock(n->dev);
	mvm_virtio_signal(n->dev, RXQ);
	mvm_virtio_unlock(n->dev);
	return done == BATCH || ret == 2;
}

/* ---- the thread ---------------------------------------------------------- */

/* Wake the thread when a throttled direction may go on. */
static void arm_timer(struct net *n)
{
	struct itimerspec its = { 0 };
	uint64_t wait = UINT64_MAX, a, b;

	/* A direction waits for its slower bucket; the timer for the
	 * direction that can go first. */
	if (n->tx_throttled) {
		a = mvm_tb_wait_ns(&n->tx_bytes);
		b = mvm_tb_wait_ns(&n->tx_frames);
		wait = a > b ? a : b;
	}
	if (n->rx_throttled) {
		a = mvm_tb_wait_ns(&n->rx_bytes);
		b = mvm_tb_wait_ns(&n->rx_frames);
		a = a > b ? a : b;
		wait = a < wait ? a : wait;
	}
	if (!wait)
		wait = 1;	/* 0 would disarm it */
	its.it_value.tv_sec = (time_t)(wait / 1000000000ULL);
	its.it_value.tv_nsec = (long)(wait % 1000000000ULL);
	timerfd_settime(n->timer_fd, 0, &its, NULL);
}

static void *net_thread(void *arg)
{
	struct net *n = arg;
	struct pollfd pfd[3] = {
		{ .fd = n->wake_fd, .events = POLLIN },
		{ .fd = n->timer_fd, .events = POLLIN },
		{ .fd = n->fd, .events = POLLIN | POLLRDHUP },
	};
	bool more, want_tap, running;
	uint64_t junk, now;

	while (!atomic_load(&n->stop)) {
		now = now_ns();
		mvm_virtio_lock(n->dev);
		running = n->running && !n->broken;
		mvm_virtio_unlock(n->dev);
		more = false;
		n->tx_throttled = n->rx_throttled = false;
		if (running) {
			more |= tx_work(n, now);
			more |= rx_work(n, now);
		}
		want_tap = running && !n->rx_len && !n->rx_throttled &&
			   !n->fd_dead;
		if (n->tx_throttled || n->rx_throttled)
			arm_timer(n);

		if (poll(pfd, want_tap ? 3 : 2, more ? 0 : -1) < 0) {
			if (errno != EINTR) {
				/* ENOMEM: say so, give the host a moment. */
				mvm_virtio_lock(n->dev);
				mvm_virtio_log(n->dev, MVM_LOG_ERR, "poll: %s",
					       strerror(errno));
				mvm_virtio_unlock(n->dev);
				usleep(10000);
			}
			continue;
		}
		if (pfd[0].revents & POLLIN)
			(void)!read(n->wake_fd, &junk, sizeof(junk));
		if (pfd[1].revents & POLLIN)
			(void)!read(n->timer_fd, &junk, sizeof(junk));
		if (want_tap &&
		    (pfd[2].revents &
		     (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))) {
			n->fd_dead = true;
			mvm_virtio_lock(n->dev);
			mvm_virtio_log(n->dev, MVM_LOG_ERR,
				       "the tap is gone (poll revents %#x): receive stopped",
				       pfd[2].revents);
			mvm_virtio_unlock(n->dev);
		}
	}
	return NULL;
}

/* ---- transport callbacks ------------------------------------------------- */

static void net_notify(struct mvm_virtio_dev *d, void *priv,
		       unsigned int queue)
{
	(void)d;
	(void)queue;
	wake(priv);
}

/* What the tap should do for the guest: exactly what it accepted. */
static unsigned int tap_offloads(uint64_t f)
{
	unsigned int off = 0;

	if (!(f & BIT(NET_F_GUEST_CSUM)))
		return 0;
	off |= TUN_F_CSUM;
	if (f & BIT(NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (f & BIT(NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if ((f & BIT(NET_F_GUEST_ECN)) && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
		off |= TUN_F_TSO_ECN;
	return off;
}

static int net_driver_ok(struct mvm_virtio_dev *d, void *priv,
			 uint64_t features)
{
	struct net *n = priv;

	if (n->guest_offloads &&
	    ioctl(n->fd, TUNSETOFFLOAD, tap_offloads(features)) < 0) {
		/* The tap would hand the guest what it cannot take. */
		mvm_virtio_log(d, MVM_LOG_ERR,
			       "TUNSETOFFLOAD %#x: %s; the device needs a reset",
			       tap_offloads(features), strerror(errno));
		return -1;
	}
	n->features = features;
	n->running = true;
	n->broken = false;
	wake(n);
	return 0;
}

static void net_reset(struct mvm_virtio_dev *d, void *priv)
{
	struct net *n = priv;

	(void)d;
	n->running = false;
	n->broken = false;
	n->features = 0;
	n->tx_epoch++;
	/* A frame the thread already read stays: it goes to the driver
	 * that comes next, as if it had arrived just after the reset. */
	n->nheld = 0;
	n->held_cap = 0;
	if (n->guest_offloads)
		(void)!ioctl(n->fd, TUNSETOFFLOAD, 0);
}

static void net_queue_off(struct mvm_virtio_dev *d, void *priv,
			  unsigned int queue)
{
	struct net *n = priv;

	(void)d;
	/* The driver took its buffers back: held receive chains are
	 * forgotten, a transmit chain in flight is not returned. */
	if (queue == TXQ) {
		n->tx_epoch++;
	} else {
		n->nheld = 0;
		n->held_cap = 0;
	}
}

static void net_free(struct net *n)
{
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	if (n->timer_fd >= 0)
		close(n->timer_fd);
	if (n->fd >= 0)
		close(n->fd);
	free(n->rxbuf);
	free(n);
}

static void net_destroy(void *priv)
{
	struct net *n = priv;

	if (n->thread_started) {
		atomic_store(&n->stop, true);
		wake(n);
		pthread_join(n->thread, NULL);
	}
	net_free(n);
}

static const uint64_t net_base_features =
	BIT(NET_F_CSUM) | BIT(NET_F_MAC) | BIT(NET_F_HOST_TSO4) |
	BIT(NET_F_HOST_TSO6) | BIT(NET_F_HOST_ECN) | BIT(NET_F_MRG_RXBUF) |
	BIT(NET_F_STATUS);

static const uint64_t net_guest_features =
	BIT(NET_F_GUEST_CSUM) | BIT(NET_F_GUEST_TSO4) |
	BIT(NET_F_GUEST_TSO6) | BIT(NET_F_GUEST_ECN);

/* One ops table per feature set: the transport reads @features. */
static struct mvm_virtio_dev_ops net_ops[2][2];
static pthread_once_t net_ops_once = PTHREAD_ONCE_INIT;

static void net_ops_init(void)
{
	unsigned int g, m;

	for (g = 0; g < 2; g++) {
		for (m = 0; m < 2; m++) {
			net_ops[g][m] = (struct mvm_virtio_dev_ops){
				.name = "net",
				.device_id = MVM_VIRTIO_ID_NET,
				.num_queues = 2,
				.features = net_base_features |
					    (g ? net_guest_features : 0) |
					    (m ? BIT(NET_F_MTU) : 0),
				.notify = net_notify,
				.driver_ok = net_driver_ok,
				.reset = net_reset,
				.queue_off = net_queue_off,
				.destroy = net_destroy,
			};
		}
	}
}

int mvm_virtio_net_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_net_config *cfg,
			  struct mvm_virtio_dev **out, int *notify_fd)
{
	uint8_t config[CFG_LEN] = { 0 };
	uint64_t now = now_ns();
	sigset_t all, old;
	struct net *n;
	int ret, fl;

	if (!env || !cfg || !out || cfg->fd < 0 ||
	    (cfg->mtu && cfg->mtu < 68))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->wake_fd = n->timer_fd = -1;
	n->rxbuf = malloc(HDR_LEN + FRAME_MAX);
	n->fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 3);
	if (!n->rxbuf || n->fd < 0) {
		ret = n->rxbuf ? -errno : -ENOMEM;
		goto fail;
	}
	fl = fcntl(n->fd, F_GETFL);
	if (fl < 0 || fcntl(n->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (n->wake_fd < 0 || n->timer_fd < 0) {
		ret = -errno;
		goto fail;
	}
	/* A tap that takes offloads can give the guest what it accepts. */
	n->guest_offloads = ioctl(n->fd, TUNSETOFFLOAD, TUN_F_CSUM |
				  TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) == 0;
	if (n->guest_offloads)
		(void)!ioctl(n->fd, TUNSETOFFLOAD, 0);
	mvm_tb_init(&n->tx_bytes, cfg->rate_bytes, FRAME_MAX, now);
	mvm_tb_init(&n->rx_bytes, cfg->rate_bytes, FRAME_MAX, now);
	mvm_tb_init(&n->tx_frames, cfg->rate_packets, 1, now);
	mvm_tb_init(&n->rx_frames, cfg->rate_packets, 1, now);

	memcpy(config + CFG_MAC, cfg->mac, 6);
	config[CFG_STATUS] = NET_S_LINK_UP;
	config[CFG_MAX_PAIRS] = 1;
	config[CFG_MTU] = (uint8_t)cfg->mtu;
	config[CFG_MTU + 1] = (uint8_t)(cfg->mtu >> 8);

	pthread_once(&net_ops_once, net_ops_init);
	ret = mvm_virtio_dev_create(env,
				    &net_ops[n->guest_offloads][cfg->mtu != 0],
				    n, config, CFG_LEN, &n->dev);
	if (ret)
		goto fail;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&n->thread, NULL, net_thread, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		/* The device owns @n now: it frees it, with no thread. */
		mvm_virtio_destroy(n->dev);
		return ret;
	}
	n->thread_started = true;
	if (notify_fd)
		*notify_fd = n->wake_fd;
	*out = n->dev;
	return 0;

fail:
	net_free(n);
	return ret;
}
