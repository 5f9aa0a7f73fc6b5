// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the virtio-mmio transport, split virtqueues,
 * virtio-blk, virtio-rng and virtio-net (src/virtio/): a hostile guest's
 * memory (rings, descriptors, request headers) and its sequence of
 * register accesses and notifications, against a small temporary disk
 * image or, for virtio-net, the peer end of a SOCK_SEQPACKET socketpair
 * that sends the device frames with hostile headers and reads back what
 * the device transmits.
 *
 * Input layout:
 *   0   device: bits 1:0 0 virtio-blk, 1 read-only virtio-blk,
 *       2 virtio-rng, 3 virtio-net (3 was virtio-blk before it);
 *       for virtio-net, bits 3:2 the frame rate limit (none, 1, 1000,
 *       10^6 a second), bits 5:4 the byte rate limit (none, 1, 10^5,
 *       10^9 a second), bits 7:6 the MTU (none, 68, 1500, 65535)
 *   1   N, the number of operations
 *   2   N operations of 8 bytes: [0] kind, [1] a, [2..3] b (le16),
 *       [4..7] v (le32)
 *       kind is [0] & 7 for virtio-blk and rng, [0] & 15 for virtio-net:
 *       0 register write: offset b & 0x3ff (past the window too),
 *         width by a & 7 (4, 4, 4, 1, 2, 8, 3, 0), value v
 *       1 register read, the same
 *       2 notify queue a % 3 (blk and rng have queue 0, net 0 and 1)
 *       3 guest memory: le32 v at b
 *       4 a driver's handshake: reset, features (a bit 0 drops
 *         EVENT_IDX, bit 1 INDIRECT_DESC; v bit 0 adds one not offered,
 *         bit 1 drops VERSION_1; net: v bits 7..15 drop MRG_RXBUF, CSUM,
 *         HOST_TSO4, HOST_TSO6, HOST_ECN, MAC, STATUS, MTU, the GUEST_*
 *         offloads), queue 0 of 2^((a >> 2) % 9) entries (v bit 2:
 *         (v >> 16) & 0x3ff, any number) at RING_DESC/AVAIL/USED (v bit
 *         3: desc + (b & 0xff), bit 4: avail + (b >> 8), bit 5: used +
 *         (b & 0xff), bit 6: used MEM_SIZE - (b & 0xfff)); net: queue 1
 *         too, the same size and offsets from RING1_DESC/AVAIL/USED, and
 *         both used->idx zeroed first; DRIVER_OK
 *       5 make chain b available on queue 0 (net: queue a & 1) and
 *         notify it (net: unless a bit 1)
 *       6 read InterruptStatus, write v & it to InterruptACK
 *       7 avail ring flags a & 1, used_event b (net: of queue
 *         (a >> 1) & 1)
 *     virtio-net only:
 *       8 the peer sends 1 + ((v >> 9) & 7) times one frame of
 *         (b | (v & 0x100) << 8) % 70001 bytes (virtio-net header
 *         included): guest memory from v >> 16 on (wrapping at
 *         MEM_SIZE), with header flags a and gso_type v & 0xff (the rest
 *         of the header, num_buffers included, as in memory)
 *       9 the peer reads (and checks) every frame the device sent
 *       10 write v to the device's notify eventfd
 *       11 the peer: a % 4 0 shutdown(SHUT_WR), 1 shutdown(SHUT_RD),
 *         2 shutdown(SHUT_RDWR), 3 close
 *       12 QueueReady v & 1 on queue a & 1 (enabling a queue zeroes its
 *         avail->idx and used->idx first, as a driver would)
 *       13, 14, 15 as 5, 6, 7
 *   2 + 8N  the rest: guest memory contents from guest-physical 0
 *
 * Checked after every operation: register accesses return 0, or
 * -EINVAL exactly for a bad width, or -ERANGE exactly for an offset
 * outside the window; notify is -EINVAL exactly for a queue the device
 * does not have; the IRQ line is only driven to 0 or 1, only on a
 * change, on its GSI, and is high exactly when InterruptStatus is not 0;
 * DRIVER_OK is never set without FEATURES_OK; the image never changes
 * size, and a read-only disk's contents never change.
 *
 * virtio-net works in its own thread: after every operation that may
 * wake it (all but 1, 3, 6, 7) the fuzzer waits until that thread sleeps
 * in poll() (its state in /proc/self/task/<tid>/stat; a wakeup marks it
 * runnable before the waking call returns), and never for a rate
 * limiter's timer. A thread that never sleeps for BUSY_MAX_NS is a
 * livelock: a failure. The IRQ check is made race-free by a count of
 * line changes around the read of InterruptStatus. Also checked for
 * virtio-net:
 *   - every frame the device sent to the peer is 12 .. 12 + 65536 + 1024
 *     bytes, and its header only uses flags and gso types that a driver
 *     of this input negotiated since the peer last read everything;
 *   - the transmit queue's used elements all have len 0;
 *   - received frames, as the driver sees them in the used ring: every
 *     used receive chain is one the driver made available, used once;
 *     a chain used with len 0 had fewer than 12 writable bytes; a frame
 *     starts with a header whose num_buffers (1 without MRG_RXBUF) used
 *     elements were published together, all but the last filled to
 *     their chain's capacity, 26 .. 12 + 65536 + 1024 bytes in all, its
 *     flags 0 unless GUEST_CSUM and its gso type one the driver took.
 *     This needs the driver's view of each chain to be the device's: it
 *     is on from a handshake whose rings do not overlap, and off for
 *     the rest of the input (or until the next handshake) as soon as a
 *     raw register write changes a queue, guest memory is written (op
 *     3), or a chain is made available whose writable buffers overlap a
 *     ring, an indirect table or another outstanding receive chain.
 * The device is destroyed at the end of every input (joining its
 * thread), then what it sent last is read and checked.
 *
 * Run with LOADER_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes seed inputs (Linux-like requests on each device) to <file> and
 * <file>-ro, -rng, -net, -net-rl, -net-bad, -net-long, and exits.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "INVARIANT: %s (%s:%d)\n", #cond, \
			__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

#define MEM_SIZE	0x10000
#define RING_DESC	0x1000
#define RING_AVAIL	0x2000
#define RING_USED	0x3000
/* virtio-net's transmit queue (1). */
#define RING1_DESC	0x1800
#define RING1_AVAIL	0x2800
#define RING1_USED	0x3800
#define GSI		7

#define IMG_SECTORS	16
#define IMG_SIZE	(IMG_SECTORS * 512 + 100)

#define R_QUEUE_SEL	0x030
#define R_DEV_FEAT	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEAT	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_ISR		0x060
#define R_ISR_ACK	0x064
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4

/* virtio-net (virtio 1.2, section 5.1): feature bits, the header. */
#define BIT(n)			(1ULL << (n))
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
#define HDR_LEN			12
#define HDR_F_NEEDS_CSUM	1
#define GSO_NONE		0
#define GSO_TCPV4		1
#define GSO_TCPV6		4
#define GSO_ECN			0x80
/* The largest frame either way, header apart (net.c's FRAME_MAX). */
#define FRAME_MAX		(65536 + 1024)
/* The shortest frame the device receives: header and Ethernet header. */
#define RX_FRAME_MIN		(HDR_LEN + 14)
/* Writable buffers of a receive chain the device uses (net.c). */
#define RX_SEGS			32
/* The longest frame the peer sends. */
#define PEER_FRAME_MAX		70000
/* A device thread that does not sleep for this long is livelocked. */
#define BUSY_MAX_NS		2000000000ULL

static _Alignas(4096) uint8_t guest[MEM_SIZE];
static uint8_t image0[IMG_SIZE];	/* the image's contents at start */
static int img_fd = -1;

/* A queue as the fuzzer's driver set it up. */
struct vq {
	uint64_t desc, avail, used;	/* the handshake's addresses */
	uint32_t num;
	uint16_t avail_idx;		/* the driver's avail->idx */
	uint16_t seen;			/* used->idx the checks got to */
	bool ready;			/* QueueReady read back as 1 */
};

/* A receive chain made available, as the device will see it. */
struct rx_chain {
	bool posted;			/* available, not used yet */
	unsigned int nseg;
	uint64_t gpa[RX_SEGS];		/* its first RX_SEGS writable */
	uint32_t len[RX_SEGS];		/* buffers that are not empty */
	uint64_t cap;
	uint64_t itab, itab_len;	/* its indirect table, if any */
};

struct state {
	struct mvm_virtio_dev *d;
	struct mvm_guest_mem mem;
	bool net;
	_Atomic int level;		/* the IRQ line */
	_Atomic unsigned int irq_changes;
	struct vq q[2];

	/* The transport's feature negotiation, shadowed from our writes
	 * (mmio.c's rules); only the device thread's NEEDS_RESET is not. */
	uint32_t status;		/* Status, without NEEDS_RESET */
	uint32_t drv_sel;
	uint64_t drv_feat;
	uint64_t neg;			/* accepted at DRIVER_OK */
	bool trusted;			/* handshake() or op 12 writes */

	/* virtio-net. */
	int peer;			/* our end of the socketpair */
	int notify_fd;
	int stat_fd;			/* the device thread's stat */
	bool peer_rd_shut;
	uint64_t tx_allowed;		/* features frames may use */
	bool rx_on;			/* the receive checks */
	uint64_t area[6][2];		/* the rings: gpa, length */
};

static struct rx_chain rx_chains[MVM_VIRTQ_NUM_MAX];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Called with the device's mutex held, from either thread. */
static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct state *st = opaque;

	CHECK(gsi == GSI);
	CHECK(level == 0 || level == 1);
	CHECK(level != atomic_load(&st->level));
	atomic_store(&st->level, level);
	atomic_fetch_add(&st->irq_changes, 1);
}

static void log_msg(void *opaque, int level, const char *msg)
{
	CHECK(msg && strlen(msg) < 256);
	(void)opaque;
	(void)level;
}

static uint32_t reg_read(struct state *st, uint64_t off)
{
	uint8_t b[4];

	CHECK(mvm_virtio_mmio_read(st->d, off, b, 4) == 0);
	return mvm_get_le32(b);
}

/* Every register write goes here: what it does to the negotiation. */
static int raw_write(struct state *st, uint64_t off, const uint8_t *data,
		     unsigned int len)
{
	uint32_t v, before = st->status;
	int ret;

	ret = mvm_virtio_mmio_write(st->d, off, data, len);
	if (ret || len != 4 || off % 4 || off >= 0x100)
		return ret;
	v = mvm_get_le32(data);
	switch (off) {
	case R_DRV_FEAT_SEL:
		st->drv_sel = v;
		break;
	case R_DRV_FEAT:
		if ((st->status & MVM_VIRTIO_S_FEATURES_OK) || st->drv_sel > 1)
			break;
		if (st->drv_sel)
			st->drv_feat = (st->drv_feat & 0xffffffffULL) |
				       (uint64_t)v << 32;
		else
			st->drv_feat = (st->drv_feat & ~0xffffffffULL) | v;
		break;
	case R_STATUS:
		if (!v) {
			st->drv_sel = 0;
			st->drv_feat = 0;
			st->neg = 0;
			st->q[0].ready = st->q[1].ready = false;
			st->rx_on = false;
		}
		st->status = reg_read(st, R_STATUS) &
			     ~MVM_VIRTIO_S_NEEDS_RESET;
		if (st->status & ~before & MVM_VIRTIO_S_DRIVER_OK) {
			st->neg = st->drv_feat;
			st->tx_allowed |= st->neg;
		}
		break;
	case R_QUEUE_NUM:
	case R_QUEUE_READY:
	case R_DESC_LO:
	case R_DESC_HI:
	case R_AVAIL_LO:
	case R_AVAIL_HI:
	case R_USED_LO:
	case R_USED_HI:
		/* Queues the fuzzer no longer knows. */
		if (!st->trusted)
			st->rx_on = false;
		break;
	default:
		break;
	}
	return ret;
}

static int reg_write(struct state *st, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	mvm_put_le32(b, v);
	return raw_write(st, off, b, 4);
}

/* What check_access() must answer for an access. */
static int expected(uint64_t off, unsigned int len)
{
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (off >= MVM_VIRTIO_MMIO_SIZE || off + len > MVM_VIRTIO_MMIO_SIZE)
		return -ERANGE;
	if (off < 0x100 && len == 8)
		return -EINVAL;
	return 0;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static uint16_t load16_acquire(uint64_t gpa)
{
	return le16toh(__atomic_load_n((uint16_t *)(void *)(guest + gpa),
				       __ATOMIC_ACQUIRE));
}

/* ---- the device thread ------------------------------------------------- */

static unsigned int list_tasks(pid_t *tids, unsigned int max)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	unsigned int n = 0;

	if (!dir)
		return 0;
	while (n < max && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			tids[n++] = (pid_t)atoi(e->d_name);
	closedir(dir);
	return n;
}

/* The stat file of the one thread in @after that is not in @before. */
static int open_new_thread(const pid_t *before, unsigned int nbefore)
{
	pid_t after[64], tid = 0;
	unsigned int n, i, j, found = 0;
	char path[64];

	n = list_tasks(after, 64);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nbefore && before[j] != after[i]; j++)
			;
		if (j == nbefore) {
			tid = after[i];
			found++;
		}
	}
	if (found != 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The device thread's state letter (R, S, D...), 0 when unknown. */
static char thread_state(const struct state *st)
{
	char buf[512], *p;
	ssize_t r;

	r = pread(st->stat_fd, buf, sizeof(buf) - 1, 0);
	if (r <= 0)
		return 0;
	buf[r] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait until the device thread sleeps (in poll(): the fuzzer holds no
 * lock it could wait for). Return: true when it does, false when that
 * cannot be known (no /proc).
 */
static bool wait_idle(const struct state *st)
{
	uint64_t start = 0;
	bool device_thread_never_sleeps;
	unsigned int i;
	char s;

	if (st->stat_fd < 0) {
		for (i = 0; i < 100; i++)
			sched_yield();
		return false;
	}
	for (;;) {
		s = thread_state(st);
		if (s == 'S' || !s)
			return s == 'S';
		if (!start) {
			start = now_ns();
		} else {
			device_thread_never_sleeps =
				now_ns() - start > BUSY_MAX_NS;
			CHECK(!device_thread_never_sleeps);
		}
		/* Reading the state costs more than a yield. */
		for (i = 0; i < 4; i++)
			sched_yield();
	}
}

/* ---- virtio-net: the peer ---------------------------------------------- */

/* May a frame the device sent carry header @h, given @features? */
static void check_tx_header(uint64_t features, const uint8_t *h)
{
	uint8_t flags = h[0], gso = h[1];

	CHECK(!(flags & ~HDR_F_NEEDS_CSUM));
	CHECK(!(flags & HDR_F_NEEDS_CSUM) || (features & BIT(NET_F_CSUM)));
	CHECK(!(gso & GSO_ECN) || (features & BIT(NET_F_HOST_ECN)));
	CHECK((gso & ~GSO_ECN) == GSO_NONE || (flags & HDR_F_NEEDS_CSUM));
	switch (gso & ~GSO_ECN) {
	case GSO_NONE:
		CHECK(!(gso & GSO_ECN));
		break;
	case GSO_TCPV4:
		CHECK(features & BIT(NET_F_HOST_TSO4));
		break;
	case GSO_TCPV6:
		CHECK(features & BIT(NET_F_HOST_TSO6));
		break;
	default:
		CHECK(!"a gso type of the specification");
	}
}

/*
 * Read every frame the device sent. @idle: the device thread sleeps,
 * so no frame of an earlier driver is on its way; @closed: the device
 * is gone (a 0 is the end of the stream, not an empty frame).
 */
static void peer_drain(struct state *st, bool idle, bool closed)
{
	static uint8_t buf[HDR_LEN + FRAME_MAX + 1];
	bool empty = false;
	unsigned int i;
	ssize_t r;

	if (st->peer < 0)
		return;
	for (i = 0; i < 4096; i++) {
		r = recv(st->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (r < 0) {
			empty = errno == EAGAIN;
			break;
		}
		if (r == 0 && (closed || st->peer_rd_shut)) {
			empty = true;
			break;
		}
		CHECK(r >= HDR_LEN && r <= HDR_LEN + FRAME_MAX);
		check_tx_header(st->tx_allowed, buf);
	}
	/* From now on only the current driver's frames can come. */
	if (empty && idle)
		st->tx_allowed = st->status & MVM_VIRTIO_S_DRIVER_OK ?
				 st->neg : 0;
}

static void peer_send(struct state *st, uint8_t a, uint16_t b, uint32_t v)
{
	static uint8_t frame[PEER_FRAME_MAX];
	size_t len = (b | (size_t)(v & 0x100) << 8) % (PEER_FRAME_MAX + 1);
	size_t pos = v >> 16, done, n;
	unsigned int i, count = 1 + ((v >> 9) & 7);

	if (st->peer < 0)
		return;
	for (done = 0; done < len; done += n) {
		n = len - done < MEM_SIZE - pos ? len - done : MEM_SIZE - pos;
		memcpy(frame + done, guest + pos, n);
		pos = (pos + n) % MEM_SIZE;
	}
	if (len > 0)
		frame[0] = a;
	if (len > 1)
		frame[1] = (uint8_t)v;
	/* A full queue (EAGAIN) or a shut down socket loses the frame. */
	for (i = 0; i < count; i++)
		if (send(st->peer, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			break;
}

/* ---- virtio-net: the receive checks ------------------------------------ */

/* The rings of both queues: none may overlap another. */
static void rx_start(struct state *st)
{
	unsigned int i, j;
	uint64_t num;

	for (i = 0; i < 2; i++) {
		num = st->q[i].num;
		st->area[3 * i][0] = st->q[i].desc;
		st->area[3 * i][1] = 16 * num;
		st->area[3 * i + 1][0] = st->q[i].avail;
		st->area[3 * i + 1][1] = 6 + 2 * num;
		st->area[3 * i + 2][0] = st->q[i].used;
		st->area[3 * i + 2][1] = 6 + 8 * num;
	}
	st->rx_on = st->q[0].ready && st->q[0].num <= MVM_VIRTQ_NUM_MAX;
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			if (overlap(st->area[i][0], st->area[i][1],
				    st->area[j][0], st->area[j][1]))
				st->rx_on = false;
	for (i = 0; i < MVM_VIRTQ_NUM_MAX; i++)
		rx_chains[i].posted = false;
}

/* Walk chain @head of queue 0 as queue.c does. False when the device
 * would refuse it, or the walk cannot be followed. */
static bool rx_walk(const struct state *st, uint16_t head, struct rx_chain *c)
{
	uint64_t table = st->q[0].desc, addr;
	uint32_t size = st->q[0].num, i = head, len;
	bool indirect = false;
	unsigned int n = 0;
	uint16_t flags;
	uint8_t *p;

	c->nseg = 0;
	c->cap = 0;
	c->itab = c->itab_len = 0;
	if (head >= size)
		return false;
	for (;;) {
		if (n >= size)
			return false;
		p = guest + table + 16 * (uint64_t)i;
		addr = mvm_get_le64(p);
		len = mvm_get_le32(p + 8);
		flags = mvm_get_le16(p + 12);
		if (flags & MVM_VIRTQ_DESC_F_INDIRECT) {
			if (!(st->neg & BIT(MVM_VIRTIO_F_INDIRECT_DESC)) ||
			    indirect || n || (flags & MVM_VIRTQ_DESC_F_NEXT) ||
			    !len || len % 16 || len / 16 > MVM_VIRTQ_NUM_MAX ||
			    !mvm_gmem_ptr(&st->mem, addr, len))
				return false;
			c->itab = table = addr;
			c->itab_len = len;
			size = len / 16;
			indirect = true;
			i = 0;
			continue;
		}
		if (!mvm_gmem_ptr(&st->mem, addr, len))
			return false;
		if ((flags & MVM_VIRTQ_DESC_F_WRITE) && len &&
		    c->nseg < RX_SEGS) {
			c->gpa[c->nseg] = addr;
			c->len[c->nseg] = len;
			c->nseg++;
			c->cap += len;
		}
		n++;
		if (!(flags & MVM_VIRTQ_DESC_F_NEXT))
			return true;
		i = mvm_get_le16(p + 14);
		if (i >= size)
			return false;
	}
}

/* Does anything the device may write for @c overlap what it reads or
 * writes for something else? */
static bool rx_clashes(const struct state *st, const struct rx_chain *c)
{
	const struct rx_chain *o;
	unsigned int i, j, k;

	for (i = 0; i < c->nseg; i++) {
		for (j = 0; j < 6; j++)
			if (overlap(c->gpa[i], c->len[i], st->area[j][0],
				    st->area[j][1]))
				return true;
		if (overlap(c->gpa[i], c->len[i], c->itab, c->itab_len))
			return true;
		for (j = i + 1; j < c->nseg; j++)
			if (overlap(c->gpa[i], c->len[i], c->gpa[j], c->len[j]))
				return true;
	}
	for (j = 0; j < 6; j++)
		if (overlap(c->itab, c->itab_len, st->area[j][0],
			    st->area[j][1]))
			return true;
	for (k = 0; k < MVM_VIRTQ_NUM_MAX; k++) {
		o = &rx_chains[k];
		if (!o->posted)
			continue;
		for (j = 0; j < o->nseg; j++) {
			if (overlap(c->itab, c->itab_len, o->gpa[j], o->len[j]))
				return true;
			for (i = 0; i < c->nseg; i++)
				if (overlap(c->gpa[i], c->len[i], o->gpa[j],
					    o->len[j]))
					return true;
		}
		for (i = 0; i < c->nseg; i++)
			if (overlap(c->gpa[i], c->len[i], o->itab,
				    o->itab_len))
				return true;
	}
	return false;
}

/* Chain @head is about to be made available on the receive queue. */
static void rx_post(struct state *st, uint16_t head)
{
	struct rx_chain *c;

	if (!st->rx_on)
		return;
	if (head >= st->q[0].num || rx_chains[head].posted) {
		st->rx_on = false;
		return;
	}
	c = &rx_chains[head];
	if (!rx_walk(st, head, c) || rx_clashes(st, c)) {
		st->rx_on = false;
		return;
	}
	c->posted = true;
}

/* The first @len bytes the device wrote into chain @c. */
static void rx_read(const struct rx_chain *c, uint8_t *out, size_t len)
{
	unsigned int i;
	size_t k;

	for (i = 0; i < c->nseg && len; i++) {
		k = c->len[i] < len ? c->len[i] : len;
		memcpy(out, guest + c->gpa[i], k);
		out += k;
		len -= k;
	}
}

static void check_rx_header(uint64_t features, const uint8_t *h)
{
	uint8_t flags = h[0], gso = h[1];

	CHECK(flags == 0 || (features & BIT(NET_F_GUEST_CSUM)));
	CHECK(!(gso & GSO_ECN) || (features & BIT(NET_F_GUEST_ECN)));
	switch (gso & ~GSO_ECN) {
	case GSO_NONE:
		CHECK(!(gso & GSO_ECN));
		break;
	case GSO_TCPV4:
		CHECK(features & BIT(NET_F_GUEST_TSO4));
		break;
	case GSO_TCPV6:
		CHECK(features & BIT(NET_F_GUEST_TSO6));
		break;
	default:
		CHECK(!"a gso type of the specification");
	}
}

static void used_elem(const struct vq *q, uint16_t i, uint32_t *id,
		      uint32_t *len)
{
	const uint8_t *e = guest + q->used + 4 + 8 * (i & (q->num - 1));

	*id = mvm_get_le32(e);
	*len = mvm_get_le32(e + 4);
}

/* What the device published in the used rings since the last look. */
static void rx_check(struct state *st)
{
	struct vq *q = &st->q[0], *t = &st->q[1];
	uint32_t id, len, total;
	uint16_t u, i, k, j;
	struct rx_chain *c;
	uint8_t hdr[HDR_LEN];

	if (!st->rx_on)
		return;
	if (t->ready) {
		u = load16_acquire(t->used + 2);
		if ((uint16_t)(u - t->seen) > t->num) {
			st->rx_on = false;
			return;
		}
		for (i = t->seen; i != u; i++) {
			used_elem(t, i, &id, &len);
			CHECK(id < t->num && len == 0);
		}
		t->seen = u;
	}
	if (!q->ready)
		return;
	u = load16_acquire(q->used + 2);
	if ((uint16_t)(u - q->seen) > q->num) {
		st->rx_on = false;
		return;
	}
	/* Chains the fuzzer did not make available, written anywhere,
	 * would void every check of this round. */
	for (i = q->seen; i != u; i++) {
		used_elem(q, i, &id, &len);
		if (id >= q->num || !rx_chains[id].posted) {
			st->rx_on = false;
			return;
		}
	}
	for (i = q->seen; i != u; ) {
		used_elem(q, i, &id, &len);
		c = &rx_chains[id];
		CHECK(c->posted);		/* not used twice */
		if (!len) {
			/* Given back: no room for the header. */
			CHECK(c->cap < HDR_LEN);
			c->posted = false;
			i++;
			continue;
		}
		CHECK(len >= HDR_LEN && len <= c->cap);
		rx_read(c, hdr, HDR_LEN);
		check_rx_header(st->neg, hdr);
		k = mvm_get_le16(hdr + 10);	/* num_buffers */
		CHECK(k >= 1 && k <= (uint16_t)(u - i));
		CHECK(k == 1 || (st->neg & BIT(NET_F_MRG_RXBUF)));
		for (j = 0, total = 0; j < k; j++, i++) {
			used_elem(q, i, &id, &len);
			c = &rx_chains[id];
			CHECK(c->posted);
			CHECK(len >= 1 && len <= c->cap);
			CHECK(j == k - 1 || len == c->cap);
			total += len;
			c->posted = false;
		}
		CHECK(total >= RX_FRAME_MIN && total <= HDR_LEN + FRAME_MAX);
	}
	q->seen = u;
}

/* ---- operations -------------------------------------------------------- */

/* Feature bits v bits 7..15 of a virtio-net handshake drop. */
static const uint64_t net_drops[9] = {
	BIT(NET_F_MRG_RXBUF), BIT(NET_F_CSUM), BIT(NET_F_HOST_TSO4),
	BIT(NET_F_HOST_TSO6), BIT(NET_F_HOST_ECN), BIT(NET_F_MAC),
	BIT(NET_F_STATUS), BIT(NET_F_MTU),
	BIT(NET_F_GUEST_CSUM) | BIT(NET_F_GUEST_TSO4) | BIT(NET_F_GUEST_TSO6) |
	BIT(NET_F_GUEST_ECN),
};

static void handshake(struct state *st, uint8_t a, uint16_t b, uint32_t v)
{
	static const uint64_t base[2][3] = {
		{ RING_DESC, RING_AVAIL, RING_USED },
		{ RING1_DESC, RING1_AVAIL, RING1_USED },
	};
	unsigned int i, nq = st->net ? 2 : 1;
	uint32_t num;
	struct vq *q;
	uint64_t f;

	st->trusted = true;
	reg_write(st, R_STATUS, 0);
	reg_write(st, R_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE);
	reg_write(st, R_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER);
	reg_write(st, R_DEV_FEAT_SEL, 1);
	f = (uint64_t)reg_read(st, R_DEV_FEAT) << 32;
	reg_write(st, R_DEV_FEAT_SEL, 0);
	f |= reg_read(st, R_DEV_FEAT);
	if (a & 1)
		f &= ~(1ULL << MVM_VIRTIO_F_EVENT_IDX);
	if (a & 2)
		f &= ~(1ULL << MVM_VIRTIO_F_INDIRECT_DESC);
	if (v & 1)
		f |= 1ULL << 50;
	if (v & 2)
		f &= ~(1ULL << MVM_VIRTIO_F_VERSION_1);
	for (i = 0; st->net && i < 9; i++)
		if (v & (0x80U << i))
			f &= ~net_drops[i];
	reg_write(st, R_DRV_FEAT_SEL, 0);
	reg_write(st, R_DRV_FEAT, (uint32_t)f);
	reg_write(st, R_DRV_FEAT_SEL, 1);
	reg_write(st, R_DRV_FEAT, (uint32_t)(f >> 32));
	reg_write(st, R_STATUS, 0x0b);
	num = v & 4 ? (v >> 16) & 0x3ff : 1U << ((a >> 2) % 9);
	for (i = 0; i < nq; i++) {
		q = &st->q[i];
		q->num = num;
		q->avail_idx = 0;
		q->seen = 0;
		q->desc = base[i][0] + (v & 8 ? b & 0xff : 0);
		q->avail = base[i][1] + (v & 16 ? b >> 8 : 0);
		if (v & 64)
			q->used = MEM_SIZE - (b & 0xfff);
		else
			q->used = base[i][2] + (v & 32 ? b & 0xff : 0);
		/* Fresh rings, as a driver allocates them. */
		if (st->net && q->used + 4 <= MEM_SIZE)
			mvm_put_le16(guest + q->used + 2, 0);
		reg_write(st, R_QUEUE_SEL, i);
		reg_write(st, R_QUEUE_NUM, num);
		reg_write(st, R_DESC_LO, (uint32_t)q->desc);
		reg_write(st, R_AVAIL_LO, (uint32_t)q->avail);
		reg_write(st, R_USED_LO, (uint32_t)q->used);
		reg_write(st, R_QUEUE_READY, 1);
		q->ready = reg_read(st, R_QUEUE_READY) == 1;
	}
	if (st->net)
		rx_start(st);
	reg_write(st, R_STATUS, 0x0f);
	st->trusted = false;
}

/* Op 12: QueueReady @on for queue @qi of virtio-net. */
static void queue_ready(struct state *st, unsigned int qi, bool on)
{
	struct vq *q = &st->q[qi];
	unsigned int i;

	st->trusted = true;
	reg_write(st, R_QUEUE_SEL, qi);
	if (!on) {
		reg_write(st, R_QUEUE_READY, 0);
		q->ready = false;
	} else if (!q->ready && q->num) {
		/* The device starts again from index 0: so does the driver. */
		q->avail_idx = 0;
		q->seen = 0;
		mvm_put_le16(guest + q->avail + 2, 0);
		if (q->used + 4 <= MEM_SIZE)
			mvm_put_le16(guest + q->used + 2, 0);
		reg_write(st, R_QUEUE_READY, 1);
		q->ready = reg_read(st, R_QUEUE_READY) == 1;
	}
	/* The device forgot the receive chains it held. */
	for (i = 0; qi == 0 && i < MVM_VIRTQ_NUM_MAX; i++)
		rx_chains[i].posted = false;
	st->trusted = false;
}

/* Op 5 of virtio-net: chain @head available on queue @qi. */
static void net_avail(struct state *st, unsigned int qi, uint16_t head,
		      bool notify)
{
	struct vq *q = &st->q[qi];

	if (!q->num)
		return;
	if (qi == 0)
		rx_post(st, head);
	mvm_put_le16(guest + q->avail + 4 + 2 * (q->avail_idx % q->num), head);
	q->avail_idx++;
	/* The device thread reads the ring concurrently. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	mvm_put_le16(guest + q->avail + 2, q->avail_idx);
	if (notify)
		CHECK(mvm_virtio_notify(st->d, qi) == 0);
}

/* May operation @kind of virtio-net wake the device thread? */
static bool net_op_wakes(unsigned int kind)
{
	return kind != 1 && kind != 3 && kind != 6 && kind != 7 &&
	       kind != 14 && kind != 15;
}

/* The operations of virtio-net alone, and its versions of 5 and 7. */
static void do_net_op(struct state *st, unsigned int kind, uint8_t a,
		      uint16_t b, uint32_t v)
{
	uint64_t val = v;
	struct vq *q;

	switch (kind) {
	case 5:
		net_avail(st, a & 1, b, !(a & 2));
		break;
	case 7:
		q = &st->q[(a >> 1) & 1];
		if (!q->num)
			break;
		mvm_put_le16(guest + q->avail, a & 1);
		mvm_put_le16(guest + q->avail + 4 + 2 * q->num, b);
		break;
	case 8:
		peer_send(st, a, b, v);
		break;
	case 9:
		peer_drain(st, wait_idle(st), false);
		break;
	case 10:
		/* A write of 0 does not wake; none can fail otherwise. */
		(void)!write(st->notify_fd, &val, sizeof(val));
		break;
	case 11:
		if (st->peer < 0)
			break;
		if (a % 4 == 3) {
			close(st->peer);
			st->peer = -1;
			break;
		}
		shutdown(st->peer, a % 4 == 0 ? SHUT_WR :
				   a % 4 == 1 ? SHUT_RD : SHUT_RDWR);
		if (a % 4)
			st->peer_rd_shut = true;
		break;
	default:
		queue_ready(st, a & 1, v & 1);
		break;
	}
}

static void do_op(struct state *st, const uint8_t *op)
{
	static const unsigned int widths[8] = { 4, 4, 4, 1, 2, 8, 3, 0 };
	uint8_t a = op[1], buf[8];
	uint16_t b = mvm_get_le16(op + 2);
	uint32_t v = mvm_get_le32(op + 4), n;
	unsigned int len = widths[a & 7], kind = op[0] & 7, nq = 1;
	uint64_t off = b & 0x3ff;
	int ret;

	if (st->net) {
		kind = op[0] & 15;
		if (kind >= 13)
			kind -= 8;
		nq = 2;
		if (kind == 5 || kind == 7 || kind >= 8) {
			do_net_op(st, kind, a, b, v);
			return;
		}
	}
	switch (kind) {
	case 0:
		mvm_put_le32(buf, v);
		mvm_put_le32(buf + 4, ~v);
		ret = raw_write(st, off, buf, len);
		CHECK(ret == expected(off, len));
		break;
	case 1:
		ret = mvm_virtio_mmio_read(st->d, off, buf, len);
		CHECK(ret == expected(off, len));
		break;
	case 2:
		ret = mvm_virtio_notify(st->d, a % 3);
		CHECK(ret == (a % 3 < nq ? 0 : -EINVAL));
		break;
	case 3:
		mvm_put_le32(guest + b % (MEM_SIZE - 3), v);
		/* Chains may have changed under the device's feet. */
		st->rx_on = false;
		break;
	case 4:
		handshake(st, a, b, v);
		break;
	case 5:
		if (!st->q[0].num)
			break;
		mvm_put_le16(guest + RING_AVAIL + 4 +
			     2 * (st->q[0].avail_idx % st->q[0].num), b);
		st->q[0].avail_idx++;
		mvm_put_le16(guest + RING_AVAIL + 2, st->q[0].avail_idx);
		CHECK(mvm_virtio_notify(st->d, 0) == 0);
		break;
	case 6:
		n = reg_read(st, R_ISR);
		reg_write(st, R_ISR_ACK, v & n);
		break;
	default:
		if (!st->q[0].num)
			break;
		mvm_put_le16(guest + RING_AVAIL, a & 1);
		mvm_put_le16(guest + RING_AVAIL + 4 + 2 * st->q[0].num, b);
		break;
	}
}

static void check_state(struct state *st)
{
	unsigned int changes = atomic_load(&st->irq_changes);
	int level = atomic_load(&st->level);
	uint32_t isr = reg_read(st, R_ISR), status = reg_read(st, R_STATUS);
	struct stat sb;

	/* Unless the line moved meanwhile (the device thread), @level is
	 * what it was when InterruptStatus was read, under the mutex. */
	if (atomic_load(&st->irq_changes) == changes)
		CHECK(level == (isr != 0));
	CHECK(!(status & MVM_VIRTIO_S_DRIVER_OK) ||
	      (status & MVM_VIRTIO_S_FEATURES_OK));
	CHECK(fstat(img_fd, &sb) == 0 && sb.st_size == IMG_SIZE);
}

/* The image back to its initial contents, so that runs reproduce. */
static void image_reset(void)
{
	CHECK(pwrite(img_fd, image0, IMG_SIZE, 0) == IMG_SIZE);
}

static bool image_unchanged(void)
{
	static uint8_t now[IMG_SIZE];

	return pread(img_fd, now, IMG_SIZE, 0) == IMG_SIZE &&
	       !memcmp(now, image0, IMG_SIZE);
}

/* virtio-net over a socketpair, configured by the device byte @dev. */
static void net_create(struct state *st, const struct mvm_virtio_env *env,
		       uint8_t dev)
{
	static const uint64_t frames[4] = { 0, 1, 1000, 1000000 };
	static const uint64_t bytes[4] = { 0, 1, 100000, 1000000000 };
	static const uint16_t mtus[4] = { 0, 68, 1500, 65535 };
	struct mvm_virtio_net_config cfg = {
		.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		.rate_packets = frames[(dev >> 2) & 3],
		.rate_bytes = bytes[(dev >> 4) & 3],
		.mtu = mtus[dev >> 6],
	};
	pid_t before[64];
	unsigned int n;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	cfg.fd = sv[0];
	n = list_tasks(before, 64);
	CHECK(mvm_virtio_net_create(env, &cfg, &st->d, &st->notify_fd) == 0);
	st->stat_fd = open_new_thread(before, n);
	close(sv[0]);
	st->peer = sv[1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = { .peer = -1, .notify_fd = -1, .stat_fd = -1 };
	struct mvm_virtio_env env = {
		.mem = &st.mem,
		.irq = { .set = irq_set, .opaque = &st, .gsi = GSI },
		.log = log_msg,
	};
	struct mvm_virtio_blk_config cfg = { .fd = img_fd,
					     .serial = "fuzz" };
	size_t nops, i, rest;
	unsigned int kind;

	if (size < 2)
		return 0;
	kind = data[0] & 3;
	nops = data[1];
	if (size < 2 + 8 * nops)
		nops = (size - 2) / 8;
	rest = size - 2 - 8 * nops;
	memset(guest, 0, sizeof(guest));
	memcpy(guest, data + 2 + 8 * nops, rest < MEM_SIZE ? rest : MEM_SIZE);
	st.mem.base = guest;
	st.mem.size = MEM_SIZE;
	image_reset();

	st.net = kind == 3;
	if (st.net) {
		net_create(&st, &env, data[0]);
	} else if (kind == 2) {
		CHECK(mvm_virtio_rng_create(&env, &st.d) == 0);
	} else {
		cfg.read_only = kind == 1;
		CHECK(mvm_virtio_blk_create(&env, &cfg, &st.d) == 0);
	}
	for (i = 0; i < nops; i++) {
		do_op(&st, data + 2 + 8 * i);
		if (st.net) {
			if (net_op_wakes(data[2 + 8 * i] & 15))
				wait_idle(&st);
			rx_check(&st);
		}
		check_state(&st);
	}
	if (st.net)
		peer_drain(&st, wait_idle(&st), false);
	mvm_virtio_destroy(st.d);
	if (st.net) {
		/* What the thread did before it stopped. */
		rx_check(&st);
		peer_drain(&st, true, true);
		if (st.peer >= 0)
			close(st.peer);
		if (st.stat_fd >= 0)
			close(st.stat_fd);
	}
	if (kind == 1)
		CHECK(image_unchanged());
	return 0;
}

/* ---- seeds ------------------------------------------------------------- */

struct seed {
	uint8_t ops[64][8];
	unsigned int nops;
	uint8_t mem[0x4a00];
};

static void seed_op(struct seed *s, uint8_t kind, uint8_t a, uint16_t b,
		    uint32_t v)
{
	uint8_t *op = s->ops[s->nops++];

	op[0] = kind;
	op[1] = a;
	mvm_put_le16(op + 2, b);
	mvm_put_le32(op + 4, v);
}

static void seed_desc(struct seed *s, uint64_t table, unsigned int i,
		      uint64_t addr, uint32_t len, uint16_t flags,
		      uint16_t next)
{
	uint8_t *p = s->mem + table + 16 * i;

	mvm_put_le64(p, addr);
	mvm_put_le32(p + 8, len);
	mvm_put_le16(p + 12, flags);
	mvm_put_le16(p + 14, next);
}

/* Header at @hdr, optional data, status at @status: descriptors i... */
static void seed_blk_req(struct seed *s, unsigned int i, uint64_t hdr,
			 uint32_t type, uint64_t sector, uint64_t data,
			 uint32_t len, uint16_t dflags, uint64_t status)
{
	mvm_put_le32(s->mem + hdr, type);
	mvm_put_le64(s->mem + hdr + 8, sector);
	seed_desc(s, RING_DESC, i, hdr, 16, MVM_VIRTQ_DESC_F_NEXT,
		  (uint16_t)(i + 1));
	if (len) {
		seed_desc(s, RING_DESC, i + 1, data, len,
			  dflags | MVM_VIRTQ_DESC_F_NEXT, (uint16_t)(i + 2));
		i++;
	}
	seed_desc(s, RING_DESC, i + 1, status, 1, MVM_VIRTQ_DESC_F_WRITE, 0);
}

/* A virtio-net header, then an Ethernet/IPv4/TCP header for the MAC. */
static void seed_net_frame(struct seed *s, uint64_t at, uint8_t flags,
			   uint8_t gso, uint16_t gso_size)
{
	static const uint8_t eth[14] = {
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x08, 0x00,
	};
	uint8_t *p = s->mem + at;

	p[0] = flags;
	p[1] = gso;
	mvm_put_le16(p + 2, gso ? 14 + 20 + 20 : 0);	/* hdr_len */
	mvm_put_le16(p + 4, gso_size);
	mvm_put_le16(p + 6, flags ? 14 + 20 : 0);	/* csum_start */
	mvm_put_le16(p + 8, flags ? 16 : 0);		/* TCP's csum */
	memcpy(p + HDR_LEN, eth, sizeof(eth));
	p[HDR_LEN + 14] = 0x45;				/* IPv4 */
	p[HDR_LEN + 14 + 9] = 6;			/* TCP */
}

static int seed_write(const char *path, const char *suffix, uint8_t dev,
		      const struct seed *s)
{
	char name[4096];
	uint8_t hdr[2] = { dev, (uint8_t)s->nops };
	FILE *f;
	int bad;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	f = fopen(name, "wb");
	if (!f)
		return 1;
	bad = fwrite(hdr, 1, 2, f) != 2 ||
	      fwrite(s->ops, 8, s->nops, f) != s->nops ||
	      fwrite(s->mem, 1, sizeof(s->mem), f) != sizeof(s->mem);
	return fclose(f) || bad;
}

static int write_seeds(const char *path)
{
	static struct seed s;
	const uint16_t W = MVM_VIRTQ_DESC_F_WRITE;
	unsigned int i;
	int bad = 0;

	/* virtio-blk: what Linux sends, one request of each type, one
	 * through an indirect table, then the interrupt acked. Headers
	 * and status bytes at 0x3a00/0x3b00, data from 0x4000: the seed
	 * stays under the fuzzer's 20 KiB. */
	memset(&s, 0, sizeof(s));
	seed_op(&s, 4, 4 << 2, 0, 0);			/* 16 entries */
	seed_op(&s, 1, 0, 0x100, 0);			/* capacity */
	seed_blk_req(&s, 0, 0x3a00, 0, 1, 0x4000, 1024, W, 0x3b00);
	seed_blk_req(&s, 3, 0x3a10, 1, 3, 0x4400, 512, 0, 0x3b01);
	seed_blk_req(&s, 6, 0x3a20, 8, 0, 0x4600, 20, W, 0x3b02);
	seed_blk_req(&s, 9, 0x3a30, 4, 0, 0, 0, 0, 0x3b03);
	mvm_put_le64(s.mem + 0x3a40 + 8, 2);		/* IN, sector 2 */
	seed_desc(&s, 0x3900, 0, 0x3a40, 16, MVM_VIRTQ_DESC_F_NEXT, 1);
	seed_desc(&s, 0x3900, 1, 0x4800, 512, W | MVM_VIRTQ_DESC_F_NEXT, 2);
	seed_desc(&s, 0x3900, 2, 0x3b04, 1, W, 0);
	seed_desc(&s, RING_DESC, 11, 0x3900, 48, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	seed_op(&s, 5, 0, 0, 0);
	seed_op(&s, 5, 0, 3, 0);
	seed_op(&s, 5, 0, 6, 0);
	seed_op(&s, 5, 0, 9, 0);
	seed_op(&s, 5, 0, 11, 0);
	seed_op(&s, 6, 0, 0, 3);
	seed_op(&s, 7, 0, 7, 0);			/* used_event */
	seed_op(&s, 5, 0, 0, 0);
	seed_op(&s, 0, 0, 0x70, 0);			/* reset */
	bad |= seed_write(path, "", 0, &s);
	bad |= seed_write(path, "-ro", 1, &s);

	/* virtio-rng: two buffers, one chained, without EVENT_IDX. */
	memset(&s, 0, sizeof(s));
	seed_op(&s, 4, 1 | 3 << 2, 0, 0);		/* 8 entries */
	seed_desc(&s, RING_DESC, 0, 0x4000, 64, W, 0);
	seed_desc(&s, RING_DESC, 1, 0x4100, 32, W | MVM_VIRTQ_DESC_F_NEXT, 2);
	seed_desc(&s, RING_DESC, 2, 0x4200, 32, W, 0);
	seed_op(&s, 5, 0, 0, 0);
	seed_op(&s, 5, 0, 1, 0);
	seed_op(&s, 6, 0, 0, 1);
	bad |= seed_write(path, "-rng", 2, &s);

	/* virtio-net, as Linux drives it: MRG_RXBUF, CSUM, HOST_TSO4 and
	 * GUEST_CSUM accepted when offered (the GUEST_ offloads are not,
	 * on a socketpair), HOST_TSO6 and HOST_ECN dropped; 16 entries a
	 * queue; four receive buffers of 1536 bytes at 0x8000, kicked
	 * once; a checksummed frame in one buffer, a TSO one with its
	 * header apart; the peer sends a short frame and one of 3000
	 * bytes (two receive buffers); everything the device sent is read,
	 * the interrupts acked, a buffer given back, the device reset. */
	memset(&s, 0, sizeof(s));
	seed_op(&s, 4, 4 << 2, 0, 1U << 10 | 1U << 11);
	for (i = 0; i < 4; i++) {
		seed_desc(&s, RING_DESC, i, 0x8000 + 0x600 * i, 1536, W, 0);
		seed_op(&s, 5, i < 3 ? 2 : 0, (uint16_t)i, 0);
	}
	seed_net_frame(&s, 0x3c00, HDR_F_NEEDS_CSUM, GSO_NONE, 0);
	seed_desc(&s, RING1_DESC, 0, 0x3c00, HDR_LEN + 60, 0, 0);
	seed_op(&s, 5, 1, 0, 0);
	seed_net_frame(&s, 0x3d00, HDR_F_NEEDS_CSUM, GSO_TCPV4, 1448);
	memcpy(s.mem + 0x4000, s.mem + 0x3d00 + HDR_LEN, 54);
	for (i = 54; i < 2048; i++)
		s.mem[0x4000 + i] = (uint8_t)i;
	seed_desc(&s, RING1_DESC, 1, 0x3d00, HDR_LEN, MVM_VIRTQ_DESC_F_NEXT, 2);
	seed_desc(&s, RING1_DESC, 2, 0x4000, 2048, 0, 0);
	seed_op(&s, 5, 1, 1, 0);
	seed_net_frame(&s, 0x4800, 0, GSO_NONE, 0);
	seed_op(&s, 8, 0, HDR_LEN + 60, 0x4800U << 16);
	seed_op(&s, 8, 0, 3000, 0x4000U << 16);
	seed_op(&s, 9, 0, 0, 0);
	seed_op(&s, 6, 0, 0, 3);
	seed_op(&s, 5, 0, 0, 0);
	seed_op(&s, 0, 0, 0x70, 0);			/* reset */
	bad |= seed_write(path, "-net", 3 | 2 << 6, &s);	/* MTU 1500 */
	/* The same under rate limits: 1 frame and 1 byte a second. */
	bad |= seed_write(path, "-net-rl", 3 | 1 << 2 | 1 << 4, &s);

	/* virtio-net, what the device must refuse: 8 entries a queue,
	 * without EVENT_IDX, MRG_RXBUF, HOST_TSO4/6 and HOST_ECN. Receive
	 * chains without a writable byte or with 8 are given back unused,
	 * one of 64 bytes is held; the peer sends frames too short, too
	 * long for it, with NEEDS_CSUM, with gso types (TCPV6 with and
	 * without ECN, one that does not exist), then one it takes
	 * (DATA_VALID cleared); then a 1536-byte chain (an empty buffer at
	 * its end) for a 1000-byte frame. Transmit chains: too short,
	 * device-writable, unknown header flags, TSO, ECN alone, a good one,
	 * one through an indirect table, TSO over IPv6. The receive
	 * queue off and on again, a kick through the eventfd, a notify of
	 * a queue that does not exist, used_event on the transmit queue;
	 * the peer closes, and the device transmits into the void. */
	memset(&s, 0, sizeof(s));
	seed_op(&s, 4, 1 | 3 << 2, 0, 1U << 7 | 1U << 9 | 1U << 10 | 1U << 11);
	seed_desc(&s, RING_DESC, 0, 0x8000, 64, W, 0);
	seed_desc(&s, RING_DESC, 1, 0x8100, 64, 0, 0);
	seed_desc(&s, RING_DESC, 2, 0x8200, 8, W, 0);
	seed_desc(&s, RING_DESC, 3, 0x8800, 1536, W | MVM_VIRTQ_DESC_F_NEXT, 4);
	seed_desc(&s, RING_DESC, 4, 0x9000, 0, W, 0);
	seed_op(&s, 5, 0, 1, 0);
	seed_op(&s, 5, 0, 2, 0);
	seed_op(&s, 5, 0, 0, 0);
	seed_net_frame(&s, 0x4800, 0, GSO_NONE, 0);
	seed_op(&s, 8, 0, 20, 0x4800U << 16);
	seed_op(&s, 8, 0, 100, 0x4800U << 16);
	seed_op(&s, 8, HDR_F_NEEDS_CSUM, 60, 0x4800U << 16);
	seed_op(&s, 8, 0, 60, 0x4800U << 16 | GSO_TCPV6 | GSO_ECN);
	seed_op(&s, 8, 0, 60, 0x4800U << 16 | GSO_TCPV6);
	seed_op(&s, 8, 0, 60, 0x4800U << 16 | 3);	/* no such gso */
	seed_op(&s, 8, 2, 60, 0x4800U << 16);		/* DATA_VALID */
	seed_op(&s, 5, 0, 3, 0);
	seed_op(&s, 8, 0, 1000, 0x4800U << 16);
	seed_net_frame(&s, 0x3c00, HDR_F_NEEDS_CSUM, GSO_NONE, 0);
	seed_net_frame(&s, 0x3d00, HDR_F_NEEDS_CSUM | 2, GSO_NONE, 0);
	seed_net_frame(&s, 0x3e00, HDR_F_NEEDS_CSUM, GSO_TCPV4, 1448);
	seed_net_frame(&s, 0x3f00, 0, GSO_ECN, 0);
	seed_net_frame(&s, 0x4000, HDR_F_NEEDS_CSUM, GSO_TCPV6, 1428);
	seed_desc(&s, RING1_DESC, 0, 0x3c00, 8, 0, 0);
	seed_desc(&s, RING1_DESC, 1, 0x3c00, HDR_LEN + 60, W, 0);
	seed_desc(&s, RING1_DESC, 2, 0x3d00, HDR_LEN + 60, 0, 0);
	seed_desc(&s, RING1_DESC, 3, 0x3e00, HDR_LEN + 60, 0, 0);
	seed_desc(&s, RING1_DESC, 4, 0x3f00, HDR_LEN + 60, 0, 0);
	seed_desc(&s, RING1_DESC, 5, 0x3c00, HDR_LEN + 60, 0, 0);
	seed_desc(&s, 0x4400, 0, 0x3c00, HDR_LEN, MVM_VIRTQ_DESC_F_NEXT, 1);
	seed_desc(&s, 0x4400, 1, 0x3c00 + HDR_LEN, 60, 0, 0);
	seed_desc(&s, RING1_DESC, 6, 0x4400, 32, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	seed_desc(&s, RING1_DESC, 7, 0x4000, HDR_LEN + 60, 0, 0);
	for (i = 0; i < 8; i++)
		seed_op(&s, 5, 1, (uint16_t)i, 0);
	seed_op(&s, 9, 0, 0, 0);
	seed_op(&s, 12, 0, 0, 0);			/* receive queue off */
	seed_op(&s, 12, 0, 0, 1);			/* and on */
	seed_op(&s, 5, 0, 3, 0);
	seed_op(&s, 8, 0, 60, 0x4800U << 16);
	seed_op(&s, 10, 0, 0, 1);			/* eventfd kick */
	seed_op(&s, 2, 2, 0, 0);			/* no queue 2 */
	seed_op(&s, 7, 2, 3, 0);			/* used_event, TX */
	seed_op(&s, 6, 0, 0, 3);
	seed_op(&s, 11, 3, 0, 0);			/* the peer closes */
	seed_op(&s, 5, 1, 5, 0);
	bad |= seed_write(path, "-net-bad", 3, &s);

	/* virtio-net, the longest chains: 8 entries a queue, a transmit
	 * chain of 256 buffers through an indirect table (a header and
	 * one byte, then one byte each), a receive chain of 40 writable
	 * buffers of 64 bytes through another (the device uses 32) for a
	 * frame of 2000 bytes. */
	memset(&s, 0, sizeof(s));
	seed_op(&s, 4, 3 << 2, 0, 0);
	for (i = 0; i < 40; i++)
		seed_desc(&s, 0x1100, i, 0x8000 + 64 * i, 64,
			  W | (i < 39 ? MVM_VIRTQ_DESC_F_NEXT : 0),
			  (uint16_t)(i < 39 ? i + 1 : 0));
	seed_desc(&s, RING_DESC, 0, 0x1100, 40 * 16,
		  MVM_VIRTQ_DESC_F_INDIRECT, 0);
	seed_op(&s, 5, 0, 0, 0);
	for (i = 0; i < 256; i++)
		seed_desc(&s, 0x3900, i, 0x6000 + i, i ? 1 : HDR_LEN + 1,
			  i < 255 ? MVM_VIRTQ_DESC_F_NEXT : 0,
			  (uint16_t)(i < 255 ? i + 1 : 0));
	seed_desc(&s, RING1_DESC, 0, 0x3900, 256 * 16,
		  MVM_VIRTQ_DESC_F_INDIRECT, 0);
	seed_op(&s, 5, 1, 0, 0);
	seed_op(&s, 8, 0, 2000, 0x4000U << 16);
	seed_op(&s, 9, 0, 0, 0);
	bad |= seed_write(path, "-net-long", 3, &s);
	return bad;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("LOADER_FUZZ_WRITE_SEED");
	char path[] = "/tmp/mvm-virtio-fuzz-XXXXXX";
	unsigned int i;

	if (seed)
		exit(write_seeds(seed));
	for (i = 0; i < IMG_SIZE; i++)
		image0[i] = (uint8_t)(i / 512 + 1);
	img_fd = mkstemp(path);
	CHECK(img_fd >= 0);
	unlink(path);
	return 0;
}
