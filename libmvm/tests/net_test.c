// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of virtio-net (src/virtio/net.c) over a
 * socketpair(AF_UNIX, SOCK_SEQPACKET): the test holds the peer end, on
 * which every message is one frame with its 12-byte virtio-net header,
 * and plays the guest's driver on fake guest memory (virtio_driver.h)
 * the way Linux's virtio_net does: two queues, buffers published with a
 * release store of avail->idx, kicks only when the device asked for
 * them (EVENT_IDX's avail_event, else the used ring's NO_NOTIFY flag),
 * used_event moved on as used buffers are taken.
 *
 * The device works in its own thread, so every result is waited for
 * with a bounded poll (WAIT_MS), never a fixed sleep; "nothing arrived"
 * is checked by sending a good frame after the bad one and seeing the
 * good one arrive first (SOCK_SEQPACKET keeps the order).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "kselftest_harness.h"
#include "virtio_driver.h"

/* Feature bits (virtio 1.2, 5.1.3). */
#define N_CSUM		(1ULL << 0)
#define N_GUEST_CSUM	(1ULL << 1)
#define N_MTU		(1ULL << 3)
#define N_MAC		(1ULL << 5)
#define N_GUEST_TSO4	(1ULL << 7)
#define N_GUEST_TSO6	(1ULL << 8)
#define N_GUEST_ECN	(1ULL << 9)
#define N_HOST_TSO4	(1ULL << 11)
#define N_HOST_TSO6	(1ULL << 12)
#define N_HOST_ECN	(1ULL << 13)
#define N_MRG_RXBUF	(1ULL << 15)
#define N_STATUS	(1ULL << 16)
#define N_GUEST_ALL	(N_GUEST_CSUM | N_GUEST_TSO4 | N_GUEST_TSO6 | \
			 N_GUEST_ECN)

/* What a Linux guest asks for (drv masks it with the offer). */
#define LINUX_F		(F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | \
			 N_CSUM | N_GUEST_ALL | N_MTU | N_MAC | \
			 N_HOST_TSO4 | N_HOST_TSO6 | N_HOST_ECN | \
			 N_MRG_RXBUF | N_STATUS)

/* The header (5.1.6). */
#define HDR		12
#define H_NEEDS_CSUM	1
#define H_DATA_VALID	2
#define GSO_NONE	0
#define GSO_TCPV4	1
#define GSO_UDP		3
#define GSO_TCPV6	4
#define GSO_ECN		0x80

#define RXQ		0
#define TXQ		1
#define QN		256		/* both queues */

/* Guest-physical layout (MEM_SIZE is 1 MiB). */
#define RXQ_DESC	0x1000ULL
#define RXQ_AVAIL	0x2000ULL
#define RXQ_USED	0x3000ULL
#define TXQ_DESC	0x4000ULL
#define TXQ_AVAIL	0x5000ULL
#define TXQ_USED	0x6000ULL
#define TXQ_INDIRECT	0x8000ULL
#define SLOT_SIZE	2048		/* receive buffer of head h... */
#define SLOT_RING	128		/* ...modulo this */
#define SLOT_AREA	(SLOT_RING * SLOT_SIZE)
#define SLOTS_GPA	0x10000ULL	/* two areas, to 0x90000 */
#define SCRATCH_GPA	0x90000ULL	/* frames to send, odd chains */
#define SCRATCH_END	MEM_SIZE

#define WAIT_MS		5000
#define FRAME_MAX	(65536 + 1024)

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct nq {
	unsigned int qi;
	uint32_t num;
	uint64_t desc, avail, used;
	uint16_t avail_idx;		/* the driver's next */
	uint16_t used_seen;		/* used entries taken */
	uint16_t next_desc;		/* round robin */
	unsigned int kicks, kicks_skipped;
};

struct nt {
	struct tctx c;			/* memory, env, the device */
	struct nq rx, tx;
	int sv[2];			/* [0] the device's end, [1] ours */
	int notify_fd;
	uint64_t features;		/* negotiated */
	uint64_t slots;			/* receive slot base */
	uint64_t scratch;		/* bump allocator */
	atomic_uint raises;		/* IRQ line 0 -> 1 */
	atomic_uint lowers;
	atomic_uint irq_bad;		/* a call that changed nothing */
	atomic_int level;
	pthread_mutex_t log_lock;
	char log[16384];
	size_t log_len;
};

/* ---- env callbacks (called from the device's thread) ----------------- */

static void nt_irq(void *opaque, unsigned int gsi, int level)
{
	struct nt *n = opaque;

	(void)gsi;
	if (atomic_exchange(&n->level, level) == level)
		atomic_fetch_add(&n->irq_bad, 1);
	if (level)
		atomic_fetch_add(&n->raises, 1);
	else
		atomic_fetch_add(&n->lowers, 1);
}

static void nt_log(void *opaque, int level, const char *msg)
{
	struct nt *n = opaque;
	size_t len = strlen(msg);

	(void)level;
	pthread_mutex_lock(&n->log_lock);
	if (n->log_len + len + 2 < sizeof(n->log)) {
		memcpy(n->log + n->log_len, msg, len);
		n->log_len += len;
		n->log[n->log_len++] = '\n';
		n->log[n->log_len] = 0;
	}
	pthread_mutex_unlock(&n->log_lock);
}

static bool has_log(struct nt *n, const char *what)
{
	bool r;

	pthread_mutex_lock(&n->log_lock);
	r = strstr(n->log, what) != NULL;
	pthread_mutex_unlock(&n->log_lock);
	return r;
}

static void dump_log(struct nt *n)
{
	char *line, *save = NULL;

	pthread_mutex_lock(&n->log_lock);
	fprintf(stderr, "# device log:\n");
	for (line = strtok_r(n->log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "#   %s\n", line);
	n->log_len = 0;
	n->log[0] = 0;
	pthread_mutex_unlock(&n->log_lock);
}

/* ---- time ------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the device ------------------------------------------------------ */

static void default_cfg(struct nt *n, struct mvm_virtio_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fd = n->sv[0];
	memcpy(cfg->mac, test_mac, 6);
	cfg->mtu = 1500;
}

static int nt_create(struct nt *n, const struct mvm_virtio_net_config *cfg)
{
	n->notify_fd = -1;
	return mvm_virtio_net_create(&n->c.env, cfg, &n->c.d, &n->notify_fd);
}

static void nt_destroy(struct nt *n)
{
	mvm_virtio_destroy(n->c.d);
	n->c.d = NULL;
}

/* A fresh device with rate limits (and the default rest). */
static int nt_recreate(struct nt *n, uint64_t rate_bytes,
		       uint64_t rate_packets)
{
	struct mvm_virtio_net_config cfg;

	nt_destroy(n);
	default_cfg(n, &cfg);
	cfg.rate_bytes = rate_bytes;
	cfg.rate_packets = rate_packets;
	return nt_create(n, &cfg);
}

static bool nt_init(struct nt *n)
{
	memset(n, 0, sizeof(*n));
	if (!tctx_init(&n->c))
		return false;
	n->c.env.irq.set = nt_irq;
	n->c.env.irq.opaque = n;
	n->c.env.log = nt_log;
	n->c.env.log_opaque = n;
	pthread_mutex_init(&n->log_lock, NULL);
	n->slots = SLOTS_GPA;
	n->scratch = SCRATCH_GPA;
	n->notify_fd = -1;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			  n->sv) == 0;
}

static void nt_fini(struct nt *n)
{
	tctx_fini(&n->c);		/* destroys the device first */
	if (n->sv[0] >= 0)
		close(n->sv[0]);
	if (n->sv[1] >= 0)
		close(n->sv[1]);
	pthread_mutex_destroy(&n->log_lock);
}

/* ---- the driver -------------------------------------------------------- */

static uint16_t *g16(struct nt *n, uint64_t gpa)
{
	return (uint16_t *)gp(&n->c, gpa);
}

static uint64_t scratch_alloc(struct nt *n, uint64_t len)
{
	uint64_t g;

	if (n->scratch + len > SCRATCH_END)
		n->scratch = SCRATCH_GPA;
	g = n->scratch;
	n->scratch = (n->scratch + len + 15) & ~15ULL;
	return g;
}

static void q_init(struct nt *n, struct nq *q, unsigned int qi,
		   uint64_t desc, uint64_t avail, uint64_t used)
{
	struct tctx *c = &n->c;

	memset(gp(c, desc), 0, 16 * QN);
	memset(gp(c, avail), 0, 6 + 2 * QN);
	memset(gp(c, used), 0, 6 + 8 * QN);
	memset(q, 0, sizeof(*q));
	q->qi = qi;
	q->num = QN;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	wr(c, R_QUEUE_SEL, qi);
	wr(c, R_QUEUE_NUM, QN);
	wr(c, R_DESC_LO, (uint32_t)desc);
	wr(c, R_DESC_HI, 0);
	wr(c, R_AVAIL_LO, (uint32_t)avail);
	wr(c, R_AVAIL_HI, 0);
	wr(c, R_USED_LO, (uint32_t)used);
	wr(c, R_USED_HI, 0);
	wr(c, R_QUEUE_READY, 1);
}

/*
 * Reset, negotiate @want masked with the offer, both queues, DRIVER_OK.
 * Return: the status read back.
 */
static uint32_t net_up(struct nt *n, uint64_t want)
{
	uint64_t f = want & dev_features(&n->c);
	uint32_t st = drv_negotiate(&n->c, f);

	if (!(st & S_FEATURES_OK))
		return st;
	n->features = f;
	q_init(n, &n->rx, RXQ, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	q_init(n, &n->tx, TXQ, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	wr(&n->c, R_STATUS, st | S_DRIVER_OK);
	return rd(&n->c, R_STATUS);
}

#define UP_OK	(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)

static void q_publish(struct nt *n, struct nq *q, uint16_t head)
{
	mvm_put_le16(gp(&n->c, q->avail + 4 + 2 * (q->avail_idx % q->num)),
		      head);
	q->avail_idx++;
	__atomic_store_n(g16(n, q->avail + 2), q->avail_idx,
			 __ATOMIC_RELEASE);
}

/* Notify if the device asked for it (as Linux's virtqueue_kick()). */
static bool q_kick(struct nt *n, struct nq *q, uint16_t old)
{
	bool need;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (n->features & F_EVENT_IDX) {
		uint16_t ev = __atomic_load_n(g16(n, q->used + 4 + 8 * q->num),
					      __ATOMIC_RELAXED);

		need = (uint16_t)(q->avail_idx - ev - 1) <
		       (uint16_t)(q->avail_idx - old);
	} else {
		need = !(__atomic_load_n(g16(n, q->used), __ATOMIC_RELAXED) &
			 1);
	}
	if (need) {
		wr(&n->c, R_QUEUE_NOTIFY, q->qi);
		q->kicks++;
	} else {
		q->kicks_skipped++;
	}
	return need;
}

static uint16_t q_used_idx(struct nt *n, struct nq *q)
{
	return __atomic_load_n(g16(n, q->used + 2), __ATOMIC_ACQUIRE);
}

/* Wait until @count used entries past used_seen exist. */
static bool q_wait(struct nt *n, struct nq *q, unsigned int count)
{
	uint64_t end = now_ms() + WAIT_MS;

	for (;;) {
		if ((uint16_t)(q_used_idx(n, q) - q->used_seen) >= count)
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(1);
	}
}

static void q_used_elem(struct nt *n, struct nq *q, uint16_t i,
			uint32_t *id, uint32_t *len)
{
	uint8_t *e = gp(&n->c, q->used + 4 + 8 * (i % q->num));

	*id = mvm_get_le32(e);
	*len = mvm_get_le32(e + 4);
}

/* Done with used entries up to used_seen: ask for the next interrupt. */
static void q_consumed(struct nt *n, struct nq *q, unsigned int k)
{
	q->used_seen += k;
	if (n->features & F_EVENT_IDX)
		__atomic_store_n(g16(n, q->avail + 4 + 2 * q->num),
				 q->used_seen, __ATOMIC_RELEASE);
}

static void irq_ack(struct nt *n)
{
	uint32_t isr = rd(&n->c, R_ISR);

	if (isr)
		wr(&n->c, R_ISR_ACK, isr);
}

static bool wait_raises(struct nt *n, unsigned int count)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (atomic_load(&n->raises) < count) {
		if (now_ms() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* A chain of buffers; returns its head (descriptors round robin). */
struct seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;		/* D_WRITE, D_INDIRECT */
};

static uint16_t q_chain(struct nt *n, struct nq *q, const struct seg *s,
			unsigned int ns)
{
	uint16_t head = q->next_desc % q->num, d, next;
	unsigned int i;

	for (i = 0; i < ns; i++) {
		d = (uint16_t)((head + i) % q->num);
		next = (uint16_t)((d + 1) % q->num);
		set_desc_at(&n->c, q->desc, d, s[i].gpa, s[i].len,
			    (uint16_t)(s[i].flags |
				       (i + 1 < ns ? D_NEXT : 0)),
			    i + 1 < ns ? next : 0);
	}
	q->next_desc = (uint16_t)((head + ns) % q->num);
	q_publish(n, q, head);
	return head;
}

/* ---- frames ------------------------------------------------------------ */

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8) + 1);
	/* An Ethernet header: to the guest's MAC, IPv4. */
	if (len >= 14) {
		memcpy(p, test_mac, 6);
		p[12] = 0x08;
		p[13] = 0x00;
	}
}

static void mkhdr(uint8_t h[HDR], uint8_t flags, uint8_t gso,
		  uint16_t hdr_len, uint16_t gso_size, uint16_t csum_start,
		  uint16_t csum_off)
{
	h[0] = flags;
	h[1] = gso;
	mvm_put_le16(h + 2, hdr_len);
	mvm_put_le16(h + 4, gso_size);
	mvm_put_le16(h + 6, csum_start);
	mvm_put_le16(h + 8, csum_off);
	mvm_put_le16(h + 10, 0);
}

enum layout {
	L_ONE,		/* header and frame in one buffer */
	L_TWO,		/* header, frame (Linux without ANY_LAYOUT) */
	L_SPLIT,	/* header split 5 + 7, an empty buffer, frame in 3 */
	L_INDIRECT,	/* header, frame in an indirect table */
};

/* Put header and frame on the transmit queue (no kick); the head. */
static uint16_t tx_put(struct nt *n, const uint8_t *hdr, const uint8_t *fr,
		       size_t flen, enum layout l)
{
	uint64_t g = scratch_alloc(n, HDR + flen);
	struct seg s[6];
	uint16_t head;
	size_t a, b;

	memcpy(gp(&n->c, g), hdr, HDR);
	memcpy(gp(&n->c, g + HDR), fr, flen);
	switch (l) {
	case L_ONE:
		s[0] = (struct seg){ g, (uint32_t)(HDR + flen), 0 };
		return q_chain(n, &n->tx, s, 1);
	case L_TWO:
		s[0] = (struct seg){ g, HDR, 0 };
		s[1] = (struct seg){ g + HDR, (uint32_t)flen, 0 };
		return q_chain(n, &n->tx, s, 2);
	case L_SPLIT:
		a = flen / 3;
		b = flen / 3;
		s[0] = (struct seg){ g, 5, 0 };
		s[1] = (struct seg){ g + 5, 7, 0 };
		s[2] = (struct seg){ g + HDR, 0, 0 };
		s[3] = (struct seg){ g + HDR, (uint32_t)a, 0 };
		s[4] = (struct seg){ g + HDR + a, (uint32_t)b, 0 };
		s[5] = (struct seg){ g + HDR + a + b,
				     (uint32_t)(flen - a - b), 0 };
		return q_chain(n, &n->tx, s, 6);
	case L_INDIRECT:
		head = (uint16_t)(n->tx.next_desc % n->tx.num);
		set_desc_at(&n->c, TXQ_INDIRECT + 32ULL * head, 0, g, HDR,
			    D_NEXT, 1);
		set_desc_at(&n->c, TXQ_INDIRECT + 32ULL * head, 1, g + HDR,
			    (uint32_t)flen, 0, 0);
		s[0] = (struct seg){ TXQ_INDIRECT + 32ULL * head, 32,
				     D_INDIRECT };
		return q_chain(n, &n->tx, s, 1);
	}
	return 0;
}

/* One message from the peer end, waiting at most WAIT_MS; -1 if none. */
static ssize_t peer_recv(struct nt *n, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = n->sv[1], .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) <= 0)
		return -1;
	return recv(n->sv[1], buf, cap, MSG_DONTWAIT | MSG_TRUNC);
}

/* Send header and payload as one message from the peer end. */
static ssize_t peer_send(struct nt *n, const uint8_t *hdr, const uint8_t *p,
			 size_t len, int flags)
{
	struct iovec iov[2] = {
		{ (void *)hdr, HDR },
		{ (void *)p, len },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	return sendmsg(n->sv[1], &m, flags | MSG_NOSIGNAL);
}

/* Post @count receive buffers of one writable descriptor (SLOT_SIZE,
 * at the slot of their head) and kick if asked. */
static void rx_post(struct nt *n, unsigned int count, uint32_t len)
{
	uint16_t old = n->rx.avail_idx, h;
	struct seg s;
	unsigned int i;

	for (i = 0; i < count; i++) {
		h = (uint16_t)(n->rx.next_desc % n->rx.num);
		s = (struct seg){ n->slots + (uint64_t)(h % SLOT_RING) *
				  SLOT_SIZE, len, D_WRITE };
		q_chain(n, &n->rx, &s, 1);
	}
	q_kick(n, &n->rx, old);
}

/* Copy up to @len bytes out of the chain at @head (our own table). */
static size_t chain_read(struct nt *n, struct nq *q, uint16_t head,
			 uint8_t *out, size_t len)
{
	size_t done = 0, k;
	uint16_t d = head;
	unsigned int guard = 0;
	uint8_t *p;

	while (done < len && guard++ < q->num) {
		p = gp(&n->c, q->desc + 16ULL * d);
		k = mvm_get_le32(p + 8);
		if (k > len - done)
			k = len - done;
		memcpy(out + done, gp(&n->c, mvm_get_le64(p)), k);
		done += k;
		if (!(mvm_get_le16(p + 12) & D_NEXT))
			break;
		d = mvm_get_le16(p + 14);
	}
	return done;
}

/*
 * Take the next received frame off the used ring (header included)
 * into @out. Return: its length, -1 on a timeout; *@nbufs the used
 * entries it took (num_buffers), *@lens their lengths.
 */
static ssize_t rx_take(struct nt *n, uint8_t *out, size_t cap,
		       unsigned int *nbufs, uint32_t *lens)
{
	uint32_t id, len;
	unsigned int nb, i;
	size_t total = 0;

	if (!q_wait(n, &n->rx, 1))
		return -1;
	q_used_elem(n, &n->rx, n->rx.used_seen, &id, &len);
	if (len < HDR || len > cap)
		return -2;
	total = chain_read(n, &n->rx, (uint16_t)id, out, len);
	nb = mvm_get_le16(out + 10);
	if (nb < 1 || nb > 64)
		return -3;
	if (lens)
		lens[0] = len;
	if (!q_wait(n, &n->rx, nb))
		return -1;
	for (i = 1; i < nb; i++) {
		q_used_elem(n, &n->rx, (uint16_t)(n->rx.used_seen + i), &id,
			    &len);
		if (lens)
			lens[i] = len;
		if (total + len > cap)
			return -2;
		total += chain_read(n, &n->rx, (uint16_t)id, out + total, len);
	}
	q_consumed(n, &n->rx, nb);
	if (nbufs)
		*nbufs = nb;
	return (ssize_t)total;
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(net) {
	struct nt n;
};

FIXTURE_SETUP(net)
{
	struct mvm_virtio_net_config cfg;

	ASSERT_TRUE(nt_init(&self->n));
	default_cfg(&self->n, &cfg);
	ASSERT_EQ(0, nt_create(&self->n, &cfg));
	ASSERT_LE(0, self->n.notify_fd);
}

FIXTURE_TEARDOWN(net)
{
	if (!_metadata->passed)
		dump_log(&self->n);
	nt_fini(&self->n);
}

/* ---- creation and identity ------------------------------------- */

TEST_F(net, create_errors)
{
	struct nt *n = &self->n;
	struct mvm_virtio_net_config cfg;
	struct mvm_virtio_env env = n->c.env;
	struct mvm_guest_mem nomem = { 0 };
	struct mvm_virtio_dev *d = NULL;
	int fd;

	default_cfg(n, &cfg);
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(NULL, &cfg, &d, NULL));
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(&env, NULL, &d, NULL));
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(&env, &cfg, NULL, NULL));
	cfg.fd = -1;
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(&env, &cfg, &d, NULL));
	default_cfg(n, &cfg);
	cfg.mtu = 67;
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(&env, &cfg, &d, NULL));
	/* A closed fd. */
	fd = dup(n->sv[0]);
	ASSERT_LE(0, fd);
	close(fd);
	default_cfg(n, &cfg);
	cfg.fd = fd;
	EXPECT_EQ(-EBADF, mvm_virtio_net_create(&env, &cfg, &d, NULL));
	/* No guest memory: the transport refuses, nothing leaks. */
	env.mem = &nomem;
	default_cfg(n, &cfg);
	EXPECT_EQ(-EINVAL, mvm_virtio_net_create(&env, &cfg, &d, NULL));
	EXPECT_TRUE(d == NULL);
	/* The smallest MTU, and no notify fd wanted. */
	env = n->c.env;
	cfg.mtu = 68;
	ASSERT_EQ(0, mvm_virtio_net_create(&env, &cfg, &d, NULL));
	mvm_virtio_destroy(d);
#if defined(__SANITIZE_ADDRESS__)
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
#endif
}

static uint32_t cfg_rd(struct nt *n, unsigned int off, unsigned int len)
{
	uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	if (mvm_virtio_mmio_read(n->c.d, R_CONFIG + off, b, len))
		return 0xdeadbeef;
	return len == 1 ? b[0] : len == 2 ? mvm_get_le16(b) :
				mvm_get_le32(b);
}

TEST_F(net, identity)
{
	struct nt *n = &self->n;
	struct tctx *c = &n->c;
	uint64_t f = dev_features(c);
	unsigned int i;

	EXPECT_EQ(0x74726976, rd(c, R_MAGIC));
	EXPECT_EQ(2, rd(c, R_VERSION));
	EXPECT_EQ(1, rd(c, R_DEVICE_ID));
	/* No GUEST_* offloads: a socketpair takes no TUNSETOFFLOAD. */
	EXPECT_EQ(0, f & N_GUEST_ALL);
	EXPECT_EQ(F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | N_CSUM | N_MTU |
		  N_MAC | N_HOST_TSO4 | N_HOST_TSO6 | N_HOST_ECN |
		  N_MRG_RXBUF | N_STATUS, f);
	wr(c, R_QUEUE_SEL, RXQ);
	EXPECT_EQ(256, rd(c, R_QUEUE_NUM_MAX));
	wr(c, R_QUEUE_SEL, TXQ);
	EXPECT_EQ(256, rd(c, R_QUEUE_NUM_MAX));
	wr(c, R_QUEUE_SEL, 2);
	EXPECT_EQ(0, rd(c, R_QUEUE_NUM_MAX));	/* no control queue */

	for (i = 0; i < 6; i++)
		EXPECT_EQ(test_mac[i], cfg_rd(n, i, 1));
	EXPECT_EQ(0x12005452, cfg_rd(n, 0, 4));
	EXPECT_EQ(1, cfg_rd(n, 6, 2));		/* VIRTIO_NET_S_LINK_UP */
	EXPECT_EQ(1, cfg_rd(n, 8, 2));		/* max_virtqueue_pairs */
	EXPECT_EQ(1500, cfg_rd(n, 10, 2));	/* mtu */
	EXPECT_EQ(0, cfg_rd(n, 12, 4));		/* nothing further */
	/* Read-only: a write is ignored. */
	{
		uint8_t b[2] = { 0, 0 };

		EXPECT_EQ(0, mvm_virtio_mmio_write(c->d, R_CONFIG + 10, b, 2));
		EXPECT_EQ(1500, cfg_rd(n, 10, 2));
	}
	EXPECT_EQ(0, atomic_load(&n->raises));
}

TEST_F(net, no_mtu)
{
	struct nt *n = &self->n;
	struct mvm_virtio_net_config cfg;

	nt_destroy(n);
	default_cfg(n, &cfg);
	cfg.mtu = 0;
	ASSERT_EQ(0, nt_create(n, &cfg));
	EXPECT_EQ(0, dev_features(&n->c) & N_MTU);
	EXPECT_EQ(0, cfg_rd(n, 10, 2));
	EXPECT_EQ(test_mac[5], cfg_rd(n, 5, 1));
}

TEST_F(net, negotiation)
{
	struct nt *n = &self->n;
	uint64_t want = F_VERSION_1 | F_EVENT_IDX | N_MRG_RXBUF | N_CSUM |
			N_HOST_TSO4 | N_MAC | N_STATUS;

	EXPECT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK, drv_negotiate(&n->c, want));
	/* A GUEST_* offload the device did not offer: refused. */
	EXPECT_EQ(S_ACK | S_DRIVER,
		  drv_negotiate(&n->c, want | N_GUEST_CSUM));
	EXPECT_EQ(S_ACK | S_DRIVER,
		  drv_negotiate(&n->c, want | N_GUEST_TSO4));
	/* Not without VERSION_1. */
	EXPECT_EQ(S_ACK | S_DRIVER,
		  drv_negotiate(&n->c, want & ~F_VERSION_1));
	EXPECT_EQ(UP_OK, net_up(n, want));
	EXPECT_EQ(1, rd(&n->c, R_QUEUE_READY));
	wr(&n->c, R_QUEUE_SEL, RXQ);
	EXPECT_EQ(1, rd(&n->c, R_QUEUE_READY));
}

/* ---- transmit ------------------------------------------------------------ */

TEST_F(net, tx_basic)
{
	static const enum layout layouts[] = { L_ONE, L_TWO, L_SPLIT,
					       L_INDIRECT };
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[1514], got[2048];
	uint32_t id, len;
	unsigned int i;
	uint16_t head, old;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	for (i = 0; i < 4; i++) {
		size_t flen = i == 3 ? 60 : 1514 - i * 100;

		mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
		pattern(fr, flen, i);
		old = n->tx.avail_idx;
		head = tx_put(n, hdr, fr, flen, layouts[i]);
		EXPECT_TRUE(q_kick(n, &n->tx, old));
		r = peer_recv(n, got, sizeof(got));
		ASSERT_EQ((ssize_t)(HDR + flen), r) {
			TH_LOG("layout %u", i);
		}
		EXPECT_EQ(0, memcmp(got, hdr, HDR));
		EXPECT_EQ(0, memcmp(got + HDR, fr, flen));
		ASSERT_TRUE(q_wait(n, &n->tx, 1));
		q_used_elem(n, &n->tx, n->tx.used_seen, &id, &len);
		EXPECT_EQ(head, id);
		EXPECT_EQ(0, len);		/* nothing written */
		q_consumed(n, &n->tx, 1);
		/* One interrupt per frame, the driver acking each. */
		ASSERT_TRUE(wait_raises(n, i + 1));
		EXPECT_EQ(MVM_VIRTIO_ISR_USED, rd(&n->c, R_ISR));
		irq_ack(n);
	}
	EXPECT_EQ(4, atomic_load(&n->raises));
	EXPECT_EQ(4, atomic_load(&n->lowers));
	EXPECT_EQ(0, atomic_load(&n->irq_bad));
	/* Nothing more on the wire. */
	EXPECT_EQ(-1, recv(n->sv[1], got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(0, rd(&n->c, R_STATUS) & S_NEEDS_RESET);
}

TEST_F(net, tx_notify_fd_and_batch)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[200], got[512];
	uint64_t one = 1;
	unsigned int i;
	ssize_t r;

	/* Without EVENT_IDX: kicks and interrupts by the ring flags. */
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F & ~F_EVENT_IDX));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	for (i = 0; i < 100; i++) {
		pattern(fr, sizeof(fr), 1000 + i);
		tx_put(n, hdr, fr, sizeof(fr), L_TWO);
	}
	/* The VMM's ioeventfd: a write to the fd is a QueueNotify. */
	ASSERT_EQ(8, write(n->notify_fd, &one, 8));
	for (i = 0; i < 100; i++) {
		r = peer_recv(n, got, sizeof(got));
		ASSERT_EQ(HDR + sizeof(fr), r);
		pattern(fr, sizeof(fr), 1000 + i);
		EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr))) {
			TH_LOG("frame %u out of order or corrupt", i);
		}
	}
	ASSERT_TRUE(q_wait(n, &n->tx, 100));
	ASSERT_TRUE(wait_raises(n, 1));
	EXPECT_EQ(0, atomic_load(&n->irq_bad));
}

/* Headers a driver may or may not send, by what it negotiated. */
TEST_F(net, tx_header_checks)
{
	static const struct {
		uint64_t features;
		uint8_t flags, gso;
		bool sent;
		const char *log;
	} c[] = {
		{ 0, H_NEEDS_CSUM, GSO_NONE, false,
		  "checksum offload not negotiated" },
		{ N_CSUM, H_NEEDS_CSUM, GSO_NONE, true, NULL },
		{ N_CSUM, H_NEEDS_CSUM, GSO_TCPV4, false,
		  "TSO over IPv4 not negotiated" },
		{ N_CSUM | N_HOST_TSO4, H_NEEDS_CSUM, GSO_TCPV4, true, NULL },
		{ N_CSUM | N_HOST_TSO4, H_NEEDS_CSUM, GSO_TCPV6, false,
		  "TSO over IPv6 not negotiated" },
		{ N_CSUM | N_HOST_TSO6, H_NEEDS_CSUM, GSO_TCPV6, true, NULL },
		{ N_CSUM | N_HOST_TSO4, H_NEEDS_CSUM, GSO_TCPV4 | GSO_ECN,
		  false, "ECN segmentation not negotiated" },
		{ N_CSUM | N_HOST_TSO4 | N_HOST_ECN, H_NEEDS_CSUM,
		  GSO_TCPV4 | GSO_ECN, true, NULL },
		{ N_CSUM | N_HOST_TSO4 | N_HOST_ECN, 0, GSO_ECN, false,
		  "ECN flag without segmentation" },
		{ N_CSUM | N_HOST_TSO4 | N_HOST_TSO6, H_NEEDS_CSUM, GSO_UDP,
		  false, "unknown segmentation type" },
		{ N_CSUM, H_DATA_VALID, GSO_NONE, false,
		  "unknown header flags" },
	};
	struct nt *n = &self->n;
	uint8_t bad[HDR], good[HDR], fr[1514], got[2048];
	uint32_t id, len;
	uint16_t head, old;
	unsigned int i;
	ssize_t r;

	mkhdr(good, 0, GSO_NONE, 0, 0, 0, 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ASSERT_EQ(UP_OK, net_up(n, F_VERSION_1 | F_EVENT_IDX |
				  c[i].features));
		mkhdr(bad, c[i].flags, c[i].gso, 54, 1448, 34, 16);
		pattern(fr, sizeof(fr), i);
		old = n->tx.avail_idx;
		head = tx_put(n, bad, fr, sizeof(fr), L_TWO);
		pattern(fr, 100, 100 + i);
		tx_put(n, good, fr, 100, L_TWO);
		q_kick(n, &n->tx, old);
		if (c[i].sent) {
			r = peer_recv(n, got, sizeof(got));
			ASSERT_EQ(HDR + sizeof(fr), r) {
				TH_LOG("case %u: not sent", i);
			}
			EXPECT_EQ(0, memcmp(got, bad, HDR)) {
				TH_LOG("case %u: header changed", i);
			}
		}
		/* The good frame comes next: the bad one never went. */
		r = peer_recv(n, got, sizeof(got));
		ASSERT_EQ(HDR + 100, r) {
			TH_LOG("case %u: header flags %#x gso %#x sent",
			       i, c[i].flags, c[i].gso);
		}
		EXPECT_EQ(0, memcmp(got + HDR, fr, 100));
		/* Both chains returned, nothing written. */
		ASSERT_TRUE(q_wait(n, &n->tx, 2));
		q_used_elem(n, &n->tx, 0, &id, &len);
		EXPECT_EQ(head, id);
		EXPECT_EQ(0, len);
		if (c[i].log)
			EXPECT_TRUE(has_log(n, c[i].log)) {
				TH_LOG("case %u: no '%s' logged", i, c[i].log);
			}
		EXPECT_EQ(0, rd(&n->c, R_STATUS) & S_NEEDS_RESET);
	}
}

TEST_F(net, tx_bad_chains)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[100], got[512];
	struct seg s[2];
	uint16_t old;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	old = n->tx.avail_idx;
	/* 11 bytes: not even a header. */
	s[0] = (struct seg){ scratch_alloc(n, 64), 11, 0 };
	q_chain(n, &n->tx, s, 1);
	/* 6 + 5 bytes. */
	s[1] = (struct seg){ s[0].gpa + 6, 5, 0 };
	s[0].len = 6;
	q_chain(n, &n->tx, s, 2);
	/* A device-writable buffer in a transmit chain. */
	s[0] = (struct seg){ scratch_alloc(n, 200), HDR, 0 };
	s[1] = (struct seg){ s[0].gpa + HDR, 100, D_WRITE };
	memcpy(gp(&n->c, s[0].gpa), hdr, HDR);
	q_chain(n, &n->tx, s, 2);
	/* Then a good one. */
	pattern(fr, sizeof(fr), 7);
	tx_put(n, hdr, fr, sizeof(fr), L_ONE);
	q_kick(n, &n->tx, old);
	r = peer_recv(n, got, sizeof(got));
	ASSERT_EQ(HDR + sizeof(fr), r);
	EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
	ASSERT_TRUE(q_wait(n, &n->tx, 4));
	EXPECT_TRUE(has_log(n, "is 11 bytes"));
	EXPECT_TRUE(has_log(n, "device-writable"));
	EXPECT_EQ(0, rd(&n->c, R_STATUS) & S_NEEDS_RESET);
	EXPECT_EQ(-1, recv(n->sv[1], got, sizeof(got), MSG_DONTWAIT));
}

/* A broken ring: DEVICE_NEEDS_RESET, then a reset makes it work again. */
TEST_F(net, tx_broken_ring_needs_reset)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[100], got[512];
	struct seg s = { MEM_SIZE - 8, 64, 0 };	/* past the end */
	uint64_t end;
	uint16_t old;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	old = n->tx.avail_idx;
	q_chain(n, &n->tx, &s, 1);
	q_kick(n, &n->tx, old);
	end = now_ms() + WAIT_MS;
	while (!(rd(&n->c, R_STATUS) & S_NEEDS_RESET) && now_ms() < end)
		sleep_ms(1);
	ASSERT_TRUE(rd(&n->c, R_STATUS) & S_NEEDS_RESET);
	EXPECT_TRUE(rd(&n->c, R_ISR) & MVM_VIRTIO_ISR_CONFIG);
	EXPECT_TRUE(has_log(n, "needs reset"));

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, sizeof(fr), 3);
	old = n->tx.avail_idx;
	tx_put(n, hdr, fr, sizeof(fr), L_ONE);
	q_kick(n, &n->tx, old);
	ASSERT_EQ(HDR + sizeof(fr), peer_recv(n, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
}

/* ---- receive ------------------------------------------------------------- */

static void rx_basic_with(struct __test_metadata *_metadata, struct nt *n,
			  uint64_t features)
{
	uint8_t hdr[HDR], fr[1514], got[4096];
	uint32_t lens[64];
	unsigned int nb = 0, i;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, features));
	rx_post(n, 8, SLOT_SIZE);
	for (i = 0; i < 3; i++) {
		size_t flen = i == 0 ? 60 : 1514;

		/* Flags the guest did not negotiate, num_buffers garbage:
		 * the device must fix both. */
		mkhdr(hdr, H_DATA_VALID, GSO_NONE, 0, 0, 0, 0);
		mvm_put_le16(hdr + 10, 0xbeef);
		pattern(fr, flen, 50 + i);
		ASSERT_EQ((ssize_t)(HDR + flen),
			  peer_send(n, hdr, fr, flen, 0));
		r = rx_take(n, got, sizeof(got), &nb, lens);
		ASSERT_EQ((ssize_t)(HDR + flen), r) {
			TH_LOG("frame %u", i);
		}
		EXPECT_EQ(1, nb);
		EXPECT_EQ(HDR + flen, lens[0]);
		EXPECT_EQ(1, mvm_get_le16(got + 10));	/* num_buffers */
		EXPECT_EQ(0, got[0]);	/* no GUEST_CSUM: flags 0 */
		EXPECT_EQ(GSO_NONE, got[1]);
		EXPECT_EQ(0, memcmp(got + HDR, fr, flen));
		ASSERT_TRUE(wait_raises(n, i + 1));
		EXPECT_EQ(MVM_VIRTIO_ISR_USED, rd(&n->c, R_ISR));
		irq_ack(n);
	}
	/* In order, one chain each. */
	for (i = 0; i < 3; i++) {
		uint32_t id, len;

		q_used_elem(n, &n->rx, (uint16_t)i, &id, &len);
		EXPECT_EQ(i, id);
	}
	/* A partial checksum the driver cannot finish: dropped, and the
	 * next frame still arrives. */
	mkhdr(hdr, H_NEEDS_CSUM, GSO_NONE, 0, 0, 34, 16);
	pattern(fr, 60, 60);
	ASSERT_EQ((ssize_t)(HDR + 60), peer_send(n, hdr, fr, 60, 0));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, 60, 61);
	ASSERT_EQ((ssize_t)(HDR + 60), peer_send(n, hdr, fr, 60, 0));
	r = rx_take(n, got, sizeof(got), &nb, lens);
	ASSERT_EQ((ssize_t)(HDR + 60), r);
	EXPECT_EQ(0, memcmp(got + HDR, fr, 60));
	EXPECT_EQ(0, atomic_load(&n->irq_bad));
}

TEST_F(net, rx_basic)
{
	rx_basic_with(_metadata, &self->n, LINUX_F);
}

TEST_F(net, rx_basic_no_mrg_no_event_idx)
{
	rx_basic_with(_metadata, &self->n,
		      LINUX_F & ~(N_MRG_RXBUF | F_EVENT_IDX));
}

TEST_F(net, rx_mergeable_9000)
{
	struct nt *n = &self->n;
	static uint8_t fr[9000], got[16384];
	uint8_t hdr[HDR];
	uint32_t lens[64], id, len;
	unsigned int nb = 0, i;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 16, SLOT_SIZE);
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, sizeof(fr), 9);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, hdr, fr, sizeof(fr), 0));
	r = rx_take(n, got, sizeof(got), &nb, lens);
	ASSERT_EQ(HDR + sizeof(fr), r);
	/* 9012 bytes in 2048-byte buffers: 4 full, 820 in the fifth. */
	EXPECT_EQ(5, nb);
	EXPECT_EQ(5, mvm_get_le16(got + 10));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(SLOT_SIZE, lens[i]);
	EXPECT_EQ(HDR + sizeof(fr) - 4 * SLOT_SIZE, lens[4]);
	for (i = 0; i < 5; i++) {
		q_used_elem(n, &n->rx, (uint16_t)i, &id, &len);
		EXPECT_EQ(i, id);
	}
	EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
	/* The next frame takes the next buffer. */
	pattern(fr, 300, 10);
	ASSERT_EQ(HDR + 300, peer_send(n, hdr, fr, 300, 0));
	r = rx_take(n, got, sizeof(got), &nb, lens);
	ASSERT_EQ(HDR + 300, r);
	EXPECT_EQ(1, nb);
	q_used_elem(n, &n->rx, 5, &id, &len);
	EXPECT_EQ(5, id);
	EXPECT_EQ(0, memcmp(got + HDR, fr, 300));
	/* A 64 KiB frame spans 33 buffers, posted only now. */
	{
		static uint8_t big[65000], bgot[70000];

		rx_post(n, 40, SLOT_SIZE);
		pattern(big, sizeof(big), 11);
		ASSERT_EQ(HDR + sizeof(big),
			  peer_send(n, hdr, big, sizeof(big), 0));
		r = rx_take(n, bgot, sizeof(bgot), &nb, NULL);
		ASSERT_EQ(HDR + sizeof(big), r);
		EXPECT_EQ((HDR + sizeof(big) + SLOT_SIZE - 1) / SLOT_SIZE, nb);
		EXPECT_EQ(0, memcmp(bgot + HDR, big, sizeof(big)));
	}
}

TEST_F(net, rx_no_mrg_too_big_dropped)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[3000], got[4096];
	uint32_t id, len;
	unsigned int nb = 0;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F & ~N_MRG_RXBUF));
	rx_post(n, 4, SLOT_SIZE);
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, sizeof(fr), 1);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, hdr, fr, sizeof(fr), 0));
	pattern(fr, 500, 2);
	ASSERT_EQ(HDR + 500, peer_send(n, hdr, fr, 500, 0));
	r = rx_take(n, got, sizeof(got), &nb, NULL);
	ASSERT_EQ(HDR + 500, r);
	EXPECT_EQ(1, nb);
	EXPECT_EQ(0, memcmp(got + HDR, fr, 500));
	/* It went into the first buffer, which the big one did not use. */
	q_used_elem(n, &n->rx, 0, &id, &len);
	EXPECT_EQ(0, id);
	EXPECT_EQ(HDR + 500, len);
	EXPECT_EQ(1, q_used_idx(n, &n->rx));
	EXPECT_TRUE(has_log(n, "does not fit"));

	/* A chain of several buffers takes a big frame whole, as Linux's
	 * "big packets" mode lays them out: header, then pages. */
	{
		static uint8_t big[5000], bgot[8192];
		uint64_t g = scratch_alloc(n, HDR + 3 * 2048);
		struct seg s[4] = {
			{ g, HDR, D_WRITE },
			{ g + HDR, 2048, D_WRITE },
			{ g + HDR + 2048, 2048, D_WRITE },
			{ g + HDR + 4096, 2048, D_WRITE },
		};
		uint16_t old;

		/* The three remaining one-slot chains come first: use
		 * them up with small frames. */
		pattern(big, 100, 3);
		for (int k = 0; k < 3; k++) {
			ASSERT_EQ(HDR + 100, peer_send(n, hdr, big, 100, 0));
			ASSERT_EQ(HDR + 100,
				  rx_take(n, bgot, sizeof(bgot), &nb, NULL));
		}
		old = n->rx.avail_idx;
		q_chain(n, &n->rx, s, 4);
		q_kick(n, &n->rx, old);
		pattern(big, sizeof(big), 4);
		ASSERT_EQ(HDR + sizeof(big),
			  peer_send(n, hdr, big, sizeof(big), 0));
		r = rx_take(n, bgot, sizeof(bgot), &nb, NULL);
		ASSERT_EQ(HDR + sizeof(big), r);
		EXPECT_EQ(1, nb);
		EXPECT_EQ(1, mvm_get_le16(bgot + 10));
		EXPECT_EQ(0, memcmp(bgot + HDR, big, sizeof(big)));
	}
}

/* The device's socket has nothing left to read: it took the frame. */
static bool wait_device_read(struct nt *n)
{
	uint64_t end = now_ms() + WAIT_MS;
	int inq;

	for (;;) {
		if (ioctl(n->sv[0], SIOCINQ, &inq) == 0 && inq == 0)
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(1);
	}
}

TEST_F(net, rx_before_buffers)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[700], got[2048];
	unsigned int nb = 0;
	int inq = -1;
	ssize_t r;

	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	/* Before DRIVER_OK: the device does not read it at all. */
	pattern(fr, sizeof(fr), 1);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, hdr, fr, sizeof(fr), 0));
	ASSERT_EQ(0, ioctl(n->sv[0], SIOCINQ, &inq));
	EXPECT_LT(0, inq);
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	/* Running, no buffer yet: it reads the frame and holds it. */
	ASSERT_TRUE(wait_device_read(n));
	EXPECT_EQ(0, q_used_idx(n, &n->rx));
	pattern(fr, sizeof(fr), 2);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, hdr, fr, sizeof(fr), 0));
	/* The driver posts buffers; the device asked for the kick. */
	rx_post(n, 1, SLOT_SIZE);
	EXPECT_EQ(1, n->rx.kicks) {
		TH_LOG("avail_event does not ask for the buffer the stalled frame waits for");
	}
	if (!n->rx.kicks)
		mvm_virtio_notify(n->c.d, RXQ);
	pattern(fr, sizeof(fr), 1);
	r = rx_take(n, got, sizeof(got), &nb, NULL);
	ASSERT_EQ(HDR + sizeof(fr), r);
	EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
	/* The second one waits in turn for a buffer. */
	rx_post(n, 1, SLOT_SIZE);
	pattern(fr, sizeof(fr), 2);
	r = rx_take(n, got, sizeof(got), &nb, NULL);
	ASSERT_EQ(HDR + sizeof(fr), r);
	EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
}

/*
 * No GUEST_TSO4/6 negotiated (none offered on a socketpair): whatever
 * the fd hands over, the guest must never see a gso_type other than
 * NONE (virtio 1.2, 5.1.6.4.1), nor flags without GUEST_CSUM.
 */
TEST_F(net, rx_gso_not_negotiated)
{
	struct nt *n = &self->n;
	uint8_t bad[HDR], good[HDR], fr[1000], got[2048];
	unsigned int nb = 0, i;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 8, SLOT_SIZE);
	mkhdr(bad, H_NEEDS_CSUM, GSO_TCPV4, 54, 1448, 34, 16);
	mkhdr(good, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, sizeof(fr), 5);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, bad, fr, sizeof(fr), 0));
	pattern(fr, 200, 6);
	ASSERT_EQ(HDR + 200, peer_send(n, good, fr, 200, 0));
	for (i = 0; i < 2; i++) {
		r = rx_take(n, got, sizeof(got), &nb, NULL);
		ASSERT_LT(0, r);
		EXPECT_EQ(GSO_NONE, got[1]) {
			TH_LOG("the guest got gso_type %#x it never negotiated",
			       got[1]);
		}
		EXPECT_EQ(0, got[0]);
		if (r == HDR + 200 && !memcmp(got + HDR, fr, 200))
			break;		/* the good one: done */
	}
	EXPECT_GT(2, i);
}

/* Many frames both ways with the driver recycling its buffers. */
struct flood {
	struct nt *n;
	unsigned int count;
	size_t len;
	atomic_bool stop;
	unsigned int sent;
};

static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	uint8_t hdr[HDR], fr[2048];
	unsigned int i = 0;

	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	while (!atomic_load(&f->stop) && (!f->count || i < f->count)) {
		pattern(fr, f->len, i);
		mvm_put_le32(fr + 14, i);		/* sequence number */
		if (peer_send(f->n, hdr, fr, f->len, MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN && errno != ENOBUFS)
				break;
			nanosleep(&(struct timespec){ 0, 100000 }, NULL);
			continue;
		}
		i++;
	}
	f->sent = i;
	return NULL;
}

TEST_F(net, rx_stream_in_order)
{
	struct nt *n = &self->n;
	struct flood f = { .n = n, .count = 2000, .len = 600 };
	uint8_t got[2048], fr[2048];
	unsigned int i, nb = 0;
	pthread_t th;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 32, SLOT_SIZE);
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thread, &f));
	for (i = 0; i < f.count; i++) {
		r = rx_take(n, got, sizeof(got), &nb, NULL);
		if (r != (ssize_t)(HDR + f.len))
			break;
		pattern(fr, f.len, i);
		mvm_put_le32(fr + 14, i);
		if (memcmp(got + HDR, fr, f.len))
			break;
		/* Give the buffer back. */
		rx_post(n, 1, SLOT_SIZE);
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	EXPECT_EQ(f.count, i) {
		TH_LOG("frame %u: length %zd, seq %u", i, r,
		       mvm_get_le32(got + HDR + 14));
	}
	EXPECT_EQ(0, atomic_load(&n->irq_bad));
	EXPECT_EQ(0, rd(&n->c, R_STATUS) & S_NEEDS_RESET);
}

TEST_F(net, tx_stream_in_order)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[1200], got[2048];
	unsigned int sent = 0, recvd = 0, i;
	uint16_t old;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	while (recvd < 3000) {
		/* Keep up to 128 in flight, reclaiming what is used. */
		unsigned int used = (uint16_t)(q_used_idx(n, &n->tx) -
					       n->tx.used_seen);

		q_consumed(n, &n->tx, used);
		old = n->tx.avail_idx;
		/* At most 32 on the ring or in the socket: its buffer never
		 * fills (the device would drop), nor do the descriptors. */
		for (i = 0; sent < 3000 && sent - recvd < 32; i++, sent++) {
			pattern(fr, sizeof(fr), sent);
			mvm_put_le32(fr + 14, sent);
			tx_put(n, hdr, fr, sizeof(fr),
			       (enum layout)(sent % 4));
		}
		if (i)
			q_kick(n, &n->tx, old);
		r = peer_recv(n, got, sizeof(got));
		ASSERT_EQ(HDR + sizeof(fr), r) {
			TH_LOG("after %u frames", recvd);
		}
		pattern(fr, sizeof(fr), recvd);
		mvm_put_le32(fr + 14, recvd);
		ASSERT_EQ(0, memcmp(got + HDR, fr, sizeof(fr))) {
			TH_LOG("frame %u: seq %u", recvd,
			       mvm_get_le32(got + HDR + 14));
		}
		recvd++;
	}
	ASSERT_TRUE(q_wait(n, &n->tx, (uint16_t)(n->tx.avail_idx -
						 n->tx.used_seen)));
	EXPECT_EQ(-1, recv(n->sv[1], got, sizeof(got), MSG_DONTWAIT));
}

/* ---- reset, destroy, a dead peer -------------------------------- */

TEST_F(net, reset_during_traffic)
{
	struct nt *n = &self->n;
	struct flood f = { .n = n, .count = 0, .len = 300 };
	uint8_t hdr[HDR], fr[1200], got[2048];
	unsigned int i, k, got_frames = 0;
	uint64_t old_area = SLOTS_GPA, old_len = SLOT_AREA;
	bool intact = true;
	pthread_t th;
	uint16_t old;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 64, SLOT_SIZE);
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thread, &f));
	for (k = 0; k < 5; k++) {
		/* Traffic both ways for a while... */
		for (i = 0; i < 40; i++) {
			old = n->tx.avail_idx;
			pattern(fr, sizeof(fr), i);
			if ((uint16_t)(n->tx.avail_idx -
				       q_used_idx(n, &n->tx)) < 100) {
				tx_put(n, hdr, fr, sizeof(fr), L_TWO);
				q_kick(n, &n->tx, old);
			}
			while (recv(n->sv[1], got, sizeof(got),
				    MSG_DONTWAIT) > 0)
				;
			if (q_used_idx(n, &n->rx) != n->rx.used_seen) {
				r = rx_take(n, got, sizeof(got), NULL, NULL);
				ASSERT_EQ(HDR + f.len, r);
				pattern(fr, f.len,
					mvm_get_le32(got + HDR + 14));
				mvm_put_le32(fr + 14,
					     mvm_get_le32(got + HDR + 14));
				ASSERT_EQ(0, memcmp(got + HDR, fr, f.len));
				rx_post(n, 1, SLOT_SIZE);
				got_frames++;
			}
		}
		/* ...then a reset in the middle of it, buffers held. */
		wr(&n->c, R_STATUS, 0);
		EXPECT_EQ(0, rd(&n->c, R_STATUS));
		/* The old buffers are the driver's again: mark them. */
		memset(gp(&n->c, old_area), 0x5a, old_len);
		/* Up again, receiving into other memory. */
		n->slots = old_area == SLOTS_GPA ? SLOTS_GPA + old_len :
						   SLOTS_GPA;
		ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
		rx_post(n, 64, SLOT_SIZE);
		/* Twenty frames into the new buffers... */
		for (i = 0; i < 20; i++) {
			r = rx_take(n, got, sizeof(got), NULL, NULL);
			ASSERT_EQ(HDR + f.len, r) {
				TH_LOG("round %u frame %u after reset", k, i);
			}
			rx_post(n, 1, SLOT_SIZE);
			got_frames++;
		}
		/* ...and not a byte into the old ones. */
		for (i = 0; i < old_len; i++)
			if (*gp(&n->c, old_area + i) != 0x5a)
				intact = false;
		EXPECT_TRUE(intact) {
			TH_LOG("round %u: the device wrote to buffers of before the reset",
			       k);
		}
		old_area = n->slots;
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	/* Transmit still works after all that. */
	while (recv(n->sv[1], got, sizeof(got), MSG_DONTWAIT) > 0)
		;
	old = n->tx.avail_idx;
	pattern(fr, 99, 4242);
	tx_put(n, hdr, fr, 99, L_ONE);
	q_kick(n, &n->tx, old);
	for (i = 0; i < 300; i++) {
		r = peer_recv(n, got, sizeof(got));
		ASSERT_LT(0, r);
		if (r == HDR + 99 && !memcmp(got + HDR, fr, 99))
			break;
	}
	EXPECT_GT(300, i);
	EXPECT_LT(100, got_frames);
	EXPECT_EQ(0, rd(&n->c, R_STATUS) & S_NEEDS_RESET);
}

/*
 * A reset while the device holds buffers for a frame that does not fit
 * yet: they are the driver's again, and the device never writes them.
 */
TEST_F(net, reset_drops_held_buffers)
{
	struct nt *n = &self->n;
	static uint8_t big[9000], got[16384];
	uint8_t hdr[HDR], fr[400];
	uint64_t i;
	ssize_t r;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 2, SLOT_SIZE);		/* 4096 bytes: too few */
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(big, sizeof(big), 1);
	ASSERT_EQ(HDR + sizeof(big), peer_send(n, hdr, big, sizeof(big), 0));
	ASSERT_TRUE(wait_device_read(n));
	EXPECT_EQ(0, q_used_idx(n, &n->rx));

	wr(&n->c, R_STATUS, 0);
	memset(gp(&n->c, SLOTS_GPA), 0x5a, SLOT_AREA);
	n->slots = SLOTS_GPA + SLOT_AREA;
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 8, SLOT_SIZE);
	pattern(fr, sizeof(fr), 2);
	ASSERT_EQ(HDR + sizeof(fr), peer_send(n, hdr, fr, sizeof(fr), 0));
	/* Whatever arrives is whole; the small one arrives. */
	for (i = 0; i < 2; i++) {
		r = rx_take(n, got, sizeof(got), NULL, NULL);
		if (r == HDR + sizeof(big)) {
			EXPECT_EQ(0, memcmp(got + HDR, big, sizeof(big)));
			continue;
		}
		ASSERT_EQ(HDR + sizeof(fr), r);
		EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
		break;
	}
	EXPECT_GT(2, i);
	for (i = 0; i < SLOT_AREA; i++)
		if (*gp(&n->c, SLOTS_GPA + i) != 0x5a)
			break;
	EXPECT_EQ(SLOT_AREA, i) {
		TH_LOG("the device wrote at %#llx, a buffer of before the reset",
		       (unsigned long long)(SLOTS_GPA + i));
	}
}

static unsigned int thread_count(void)
{
	char buf[4096];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

TEST_F(net, destroy_while_busy)
{
	struct nt *n = &self->n;
	struct flood f = { .n = n, .count = 0, .len = 1000 };
	struct mvm_virtio_net_config cfg;
	uint8_t hdr[HDR], fr[1500];
	unsigned int round, i, threads;
	pthread_t th;
	uint16_t old;

	threads = thread_count();	/* the device's thread included */
	ASSERT_LT(1, threads);
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thread, &f));
	for (round = 0; round < 20; round++) {
		if (!n->c.d) {
			default_cfg(n, &cfg);
			ASSERT_EQ(0, nt_create(n, &cfg));
		}
		ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
		rx_post(n, 200, SLOT_SIZE);
		/* A full transmit ring nobody reads on the other end. */
		old = n->tx.avail_idx;
		for (i = 0; i < 200; i++) {
			pattern(fr, sizeof(fr), i);
			tx_put(n, hdr, fr, sizeof(fr), L_ONE);
		}
		q_kick(n, &n->tx, old);
		if (round % 4)
			sleep_ms(round % 4);	/* varied points */
		nt_destroy(n);
		/* Its thread is gone with it. */
		EXPECT_EQ(threads, thread_count());
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
#if defined(__SANITIZE_ADDRESS__)
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
#endif
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The other end goes away (a tap deleted under the VMM behaves alike:
 * POLLERR for ever): the device must not spin, and the guest's
 * transmit buffers still come back.
 */
TEST_F(net, peer_gone_no_spin)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[100];
	double cpu0, cpu;
	uint16_t old;

	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 8, SLOT_SIZE);
	close(n->sv[1]);
	n->sv[1] = -1;
	cpu0 = cpu_s();
	sleep_ms(300);	/* measuring CPU time needs a window */
	cpu = cpu_s() - cpu0;
	EXPECT_GT(0.1, cpu) {
		TH_LOG("%.0f ms of CPU in 300 ms idle: the device's thread spins",
		       cpu * 1000);
	}
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	pattern(fr, sizeof(fr), 1);
	old = n->tx.avail_idx;
	tx_put(n, hdr, fr, sizeof(fr), L_ONE);
	q_kick(n, &n->tx, old);
	EXPECT_TRUE(q_wait(n, &n->tx, 1));
	EXPECT_EQ(0, q_used_idx(n, &n->rx));
}

/* ---- rate limits ----------------------------------------------- */

/*
 * 10 frames a second: the bucket holds max(10/10, 1) = 1 frame and
 * lets a frame through while not in debt, so 2 go at once and the
 * other 28 one every 100 ms: 2.8 s, never less.
 */
TEST_F(net, rate_tx_packets)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[60], got[256];
	unsigned int i, mid = 0;
	double t0, t;
	uint16_t old;

	ASSERT_EQ(0, nt_recreate(n, 0, 10));
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	old = n->tx.avail_idx;
	for (i = 0; i < 30; i++) {
		pattern(fr, sizeof(fr), i);
		tx_put(n, hdr, fr, sizeof(fr), L_TWO);
	}
	t0 = now_s();
	q_kick(n, &n->tx, old);
	for (i = 0; i < 30; i++) {
		ASSERT_EQ(HDR + sizeof(fr), peer_recv(n, got, sizeof(got))) {
			TH_LOG("frame %u after %.2f s", i, now_s() - t0);
		}
		pattern(fr, sizeof(fr), i);
		EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
		if (i == 9)	/* 9 to 11: used.idx moves after the write */
			mid = q_used_idx(n, &n->tx);
	}
	t = now_s() - t0;
	TH_LOG("30 frames at 10/s: %.2f s", t);
	EXPECT_LE(2.7, t);
	EXPECT_GE(4.5, t);
	/* The waiting chains stayed on the ring meanwhile. */
	EXPECT_GE(12, mid);
	ASSERT_TRUE(q_wait(n, &n->tx, 30));
}

/* 20 frames a second received: 3 at once, 22 more every 50 ms. */
TEST_F(net, rate_rx_packets)
{
	struct nt *n = &self->n;
	uint8_t hdr[HDR], fr[100], got[256];
	unsigned int i;
	double t0, t;

	ASSERT_EQ(0, nt_recreate(n, 0, 20));
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	rx_post(n, 64, SLOT_SIZE);
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	t0 = now_s();
	for (i = 0; i < 25; i++) {
		pattern(fr, sizeof(fr), i);
		ASSERT_EQ(HDR + sizeof(fr),
			  peer_send(n, hdr, fr, sizeof(fr), 0));
	}
	for (i = 0; i < 25; i++) {
		ASSERT_EQ(HDR + sizeof(fr),
			  rx_take(n, got, sizeof(got), NULL, NULL));
		pattern(fr, sizeof(fr), i);
		EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
	}
	t = now_s() - t0;
	TH_LOG("25 frames at 20/s: %.2f s", t);
	EXPECT_LE(1.05, t);
	EXPECT_GE(3.0, t);
}

/*
 * 400 kB/s (the bucket: max(40000, 66560) bytes, as it must hold the
 * largest frame): 40 frames of 8000 bytes need
 * (40 * 8000 - 8000 - 66560) / 400000 = 0.61 s at least.
 */
TEST_F(net, rate_tx_bytes)
{
	struct nt *n = &self->n;
	static uint8_t fr[8000], got[9000];
	uint8_t hdr[HDR];
	unsigned int i;
	double t0, t;
	uint16_t old;

	ASSERT_EQ(0, nt_recreate(n, 400000, 0));
	ASSERT_EQ(UP_OK, net_up(n, LINUX_F));
	mkhdr(hdr, 0, GSO_NONE, 0, 0, 0, 0);
	old = n->tx.avail_idx;
	for (i = 0; i < 40; i++) {
		pattern(fr, sizeof(fr), i);
		tx_put(n, hdr, fr, sizeof(fr), L_ONE);
	}
	t0 = now_s();
	q_kick(n, &n->tx, old);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(HDR + sizeof(fr), peer_recv(n, got, sizeof(got)));
		pattern(fr, sizeof(fr), i);
		EXPECT_EQ(0, memcmp(got + HDR, fr, sizeof(fr)));
	}
	t = now_s() - t0;
	TH_LOG("320 kB at 400 kB/s: %.2f s", t);
	EXPECT_LE(0.6, t);
	EXPECT_GE(2.5, t);
}

TEST_HARNESS_MAIN
