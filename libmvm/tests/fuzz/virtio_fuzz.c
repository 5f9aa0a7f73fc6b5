// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the virtio-mmio transport, split virtqueues,
 * virtio-blk and virtio-rng (src/virtio/): a hostile guest's memory
 * (rings, descriptors, request headers) and its sequence of register
 * accesses and notifications, against a small temporary disk image.
 *
 * Input layout:
 *   0   device: bits 1:0 0 or 3 virtio-blk, 1 read-only virtio-blk,
 *       2 virtio-rng
 *   1   N, the number of operations
 *   2   N operations of 8 bytes: [0] kind, [1] a, [2..3] b (le16),
 *       [4..7] v (le32)
 *       kind & 7:
 *       0 register write: offset b & 0x3ff (past the window too),
 *         width by a & 7 (4, 4, 4, 1, 2, 8, 3, 0), value v
 *       1 register read, the same
 *       2 notify queue a % 3 (only 0 exists)
 *       3 guest memory: le32 v at b
 *       4 a driver's handshake: reset, features (a bit 0 drops
 *         EVENT_IDX, bit 1 INDIRECT_DESC; v bit 0 adds one not offered,
 *         bit 1 drops VERSION_1), queue 0 of 2^((a >> 2) % 9) entries
 *         (v bit 2: (v >> 16) & 0x3ff, any number) at RING_DESC/AVAIL/
 *         USED (v bit 3: desc + (b & 0xff), bit 4: avail + (b >> 8),
 *         bit 5: used + (b & 0xff), bit 6: used MEM_SIZE - (b & 0xfff)),
 *         DRIVER_OK
 *       5 make chain b available on queue 0 and notify
 *       6 read InterruptStatus, write v & it to InterruptACK
 *       7 avail ring flags a & 1, used_event b
 *   2 + 8N  the rest: guest memory contents from guest-physical 0
 *
 * Checked after every operation: register accesses return 0, or
 * -EINVAL exactly for a bad width, or -ERANGE exactly for an offset
 * outside the window; the IRQ line is only driven to 0 or 1, only on a
 * change, on its GSI, and is high exactly when InterruptStatus is not 0;
 * DRIVER_OK is never set without FEATURES_OK; the image never changes
 * size, and a read-only disk's contents never change.
 *
 * Run with LOADER_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes seed inputs (Linux-like requests on each device) to <file> and
 * <file>-ro, -rng, and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define R_AVAIL_LO	0x090
#define R_USED_LO	0x0a0

static _Alignas(4096) uint8_t guest[MEM_SIZE];
static uint8_t image0[IMG_SIZE];	/* the image's contents at start */
static int img_fd = -1;

struct state {
	struct mvm_virtio_dev *d;
	struct mvm_guest_mem mem;
	int level;
	uint32_t num;
	uint16_t avail_idx;
};

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct state *st = opaque;

	CHECK(gsi == GSI);
	CHECK(level == 0 || level == 1);
	CHECK(level != st->level);
	st->level = level;
}

static void log_msg(void *opaque, int level, const char *msg)
{
	CHECK(msg && strlen(msg) < 256);
	(void)opaque;
	(void)level;
}

static int reg_write(struct state *st, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	mvm_put_le32(b, v);
	return mvm_virtio_mmio_write(st->d, off, b, 4);
}

static uint32_t reg_read(struct state *st, uint64_t off)
{
	uint8_t b[4];

	CHECK(mvm_virtio_mmio_read(st->d, off, b, 4) == 0);
	return mvm_get_le32(b);
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

static void handshake(struct state *st, uint8_t a, uint16_t b, uint32_t v)
{
	uint64_t f;

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
	reg_write(st, R_DRV_FEAT_SEL, 0);
	reg_write(st, R_DRV_FEAT, (uint32_t)f);
	reg_write(st, R_DRV_FEAT_SEL, 1);
	reg_write(st, R_DRV_FEAT, (uint32_t)(f >> 32));
	reg_write(st, R_STATUS, 0x0b);
	st->num = v & 4 ? (v >> 16) & 0x3ff : 1U << ((a >> 2) % 9);
	st->avail_idx = 0;
	reg_write(st, R_QUEUE_SEL, 0);
	reg_write(st, R_QUEUE_NUM, st->num);
	reg_write(st, R_DESC_LO, RING_DESC + (v & 8 ? b & 0xff : 0));
	reg_write(st, R_AVAIL_LO, RING_AVAIL + (v & 16 ? b >> 8 : 0));
	if (v & 64)
		reg_write(st, R_USED_LO, MEM_SIZE - (b & 0xfff));
	else
		reg_write(st, R_USED_LO, RING_USED + (v & 32 ? b & 0xff : 0));
	reg_write(st, R_QUEUE_READY, 1);
	reg_write(st, R_STATUS, 0x0f);
}

static void do_op(struct state *st, const uint8_t *op)
{
	static const unsigned int widths[8] = { 4, 4, 4, 1, 2, 8, 3, 0 };
	uint8_t a = op[1], buf[8];
	uint16_t b = mvm_get_le16(op + 2);
	uint32_t v = mvm_get_le32(op + 4), n;
	unsigned int len = widths[a & 7];
	uint64_t off = b & 0x3ff;
	int ret;

	switch (op[0] & 7) {
	case 0:
		mvm_put_le32(buf, v);
		mvm_put_le32(buf + 4, ~v);
		ret = mvm_virtio_mmio_write(st->d, off, buf, len);
		CHECK(ret == expected(off, len));
		break;
	case 1:
		ret = mvm_virtio_mmio_read(st->d, off, buf, len);
		CHECK(ret == expected(off, len));
		break;
	case 2:
		ret = mvm_virtio_notify(st->d, a % 3);
		CHECK(ret == (a % 3 ? -EINVAL : 0));
		break;
	case 3:
		mvm_put_le32(guest + b % (MEM_SIZE - 3), v);
		break;
	case 4:
		handshake(st, a, b, v);
		break;
	case 5:
		if (!st->num)
			break;
		mvm_put_le16(guest + RING_AVAIL + 4 +
			     2 * (st->avail_idx % st->num), b);
		st->avail_idx++;
		mvm_put_le16(guest + RING_AVAIL + 2, st->avail_idx);
		CHECK(mvm_virtio_notify(st->d, 0) == 0);
		break;
	case 6:
		n = reg_read(st, R_ISR);
		reg_write(st, R_ISR_ACK, v & n);
		break;
	default:
		if (!st->num)
			break;
		mvm_put_le16(guest + RING_AVAIL, a & 1);
		mvm_put_le16(guest + RING_AVAIL + 4 + 2 * st->num, b);
		break;
	}
}

static void check_state(struct state *st)
{
	uint32_t status = reg_read(st, R_STATUS);
	struct stat sb;

	CHECK(st->level == (reg_read(st, R_ISR) != 0));
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = { 0 };
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

	if (kind == 2) {
		CHECK(mvm_virtio_rng_create(&env, &st.d) == 0);
	} else {
		cfg.read_only = kind == 1;
		CHECK(mvm_virtio_blk_create(&env, &cfg, &st.d) == 0);
	}
	for (i = 0; i < nops; i++) {
		do_op(&st, data + 2 + 8 * i);
		check_state(&st);
	}
	mvm_virtio_destroy(st.d);
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
