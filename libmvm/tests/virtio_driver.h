/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny virtio-mmio driver for the unit tests of src/virtio/: guest
 * memory in a host buffer, the register handshake a Linux driver does,
 * and helpers to lay out descriptors and rings the way a driver (or a
 * hostile guest) would. Shared by virtio_test.c and blk_test.c.
 */
#ifndef MVM_TESTS_VIRTIO_DRIVER_H
#define MVM_TESTS_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"

/* Registers (virtio 1.2, 4.2.2). */
#define R_MAGIC			0x000
#define R_VERSION		0x004
#define R_DEVICE_ID		0x008
#define R_VENDOR_ID		0x00c
#define R_DEV_FEATURES		0x010
#define R_DEV_FEATURES_SEL	0x014
#define R_DRV_FEATURES		0x020
#define R_DRV_FEATURES_SEL	0x024
#define R_QUEUE_SEL		0x030
#define R_QUEUE_NUM_MAX		0x034
#define R_QUEUE_NUM		0x038
#define R_QUEUE_READY		0x044
#define R_QUEUE_NOTIFY		0x050
#define R_ISR			0x060
#define R_ISR_ACK		0x064
#define R_STATUS		0x070
#define R_DESC_LO		0x080
#define R_DESC_HI		0x084
#define R_AVAIL_LO		0x090
#define R_AVAIL_HI		0x094
#define R_USED_LO		0x0a0
#define R_USED_HI		0x0a4
#define R_SHM_LEN_LO		0x0b0
#define R_CONFIG_GEN		0x0fc
#define R_CONFIG		0x100

#define S_ACK		MVM_VIRTIO_S_ACKNOWLEDGE
#define S_DRIVER	MVM_VIRTIO_S_DRIVER
#define S_FEATURES_OK	MVM_VIRTIO_S_FEATURES_OK
#define S_DRIVER_OK	MVM_VIRTIO_S_DRIVER_OK
#define S_NEEDS_RESET	MVM_VIRTIO_S_NEEDS_RESET

#define F_INDIRECT	(1ULL << MVM_VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX	(1ULL << MVM_VIRTIO_F_EVENT_IDX)
#define F_VERSION_1	(1ULL << MVM_VIRTIO_F_VERSION_1)

#define D_NEXT		MVM_VIRTQ_DESC_F_NEXT
#define D_WRITE		MVM_VIRTQ_DESC_F_WRITE
#define D_INDIRECT	MVM_VIRTQ_DESC_F_INDIRECT

/* Guest-physical layout of the tests. */
#define MEM_SIZE	(1ULL << 20)
#define DESC_GPA	0x1000ULL
#define AVAIL_GPA	0x3000ULL
#define USED_GPA	0x4000ULL
#define INDIRECT_GPA	0x7000ULL
#define HDR_GPA		0x9000ULL
#define STATUS_GPA	0x9100ULL
#define DATA_GPA	0x10000ULL

/* Every level change of the IRQ line, and the log lines. */
struct tctx {
	struct mvm_guest_mem mem;
	struct mvm_virtio_env env;
	struct mvm_virtio_dev *d;
	int irq_level;
	unsigned int irq_calls;
	unsigned int irq_bad;		/* a call that was not a change */
	unsigned int log_lines;
	char last_log[256];
	uint32_t num;			/* queue size in use */
	uint16_t avail_idx;		/* the driver's */
};

static inline void tctx_irq(void *opaque, unsigned int gsi, int level)
{
	struct tctx *c = opaque;

	(void)gsi;
	if (level == c->irq_level)
		c->irq_bad++;
	c->irq_level = level;
	c->irq_calls++;
}

static inline void tctx_log(void *opaque, int level, const char *msg)
{
	struct tctx *c = opaque;

	(void)level;
	c->log_lines++;
	strncpy(c->last_log, msg, sizeof(c->last_log) - 1);
}

/* Guest memory (page aligned, zeroed) and the env of a device. */
static inline bool tctx_init(struct tctx *c)
{
	memset(c, 0, sizeof(*c));
	c->mem.base = aligned_alloc(4096, MEM_SIZE);
	if (!c->mem.base)
		return false;
	memset(c->mem.base, 0, MEM_SIZE);
	c->mem.size = MEM_SIZE;
	c->env.mem = &c->mem;
	c->env.irq.set = tctx_irq;
	c->env.irq.opaque = c;
	c->env.irq.gsi = 5;
	c->env.log = tctx_log;
	c->env.log_opaque = c;
	return true;
}

static inline void tctx_fini(struct tctx *c)
{
	mvm_virtio_destroy(c->d);
	free(c->mem.base);
}

static inline uint8_t *gp(struct tctx *c, uint64_t gpa)
{
	return c->mem.base + gpa;
}

static inline uint32_t rd(struct tctx *c, uint64_t off)
{
	uint8_t b[4];

	if (mvm_virtio_mmio_read(c->d, off, b, 4))
		return 0xdeadbeef;
	return mvm_get_le32(b);
}

static inline void wr(struct tctx *c, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	mvm_put_le32(b, v);
	mvm_virtio_mmio_write(c->d, off, b, 4);
}

static inline uint64_t dev_features(struct tctx *c)
{
	uint64_t f;

	wr(c, R_DEV_FEATURES_SEL, 1);
	f = (uint64_t)rd(c, R_DEV_FEATURES) << 32;
	wr(c, R_DEV_FEATURES_SEL, 0);
	return f | rd(c, R_DEV_FEATURES);
}

/* Reset, ACKNOWLEDGE, DRIVER, features; returns the status read back. */
static inline uint32_t drv_negotiate(struct tctx *c, uint64_t features)
{
	wr(c, R_STATUS, 0);
	wr(c, R_STATUS, S_ACK);
	wr(c, R_STATUS, S_ACK | S_DRIVER);
	wr(c, R_DRV_FEATURES_SEL, 0);
	wr(c, R_DRV_FEATURES, (uint32_t)features);
	wr(c, R_DRV_FEATURES_SEL, 1);
	wr(c, R_DRV_FEATURES, (uint32_t)(features >> 32));
	wr(c, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return rd(c, R_STATUS);
}

/* Queue 0 of @num at the test layout, rings zeroed; QueueReady after. */
static inline uint32_t drv_queue(struct tctx *c, uint32_t num)
{
	memset(gp(c, DESC_GPA), 0, AVAIL_GPA - DESC_GPA);
	memset(gp(c, AVAIL_GPA), 0, USED_GPA - AVAIL_GPA);
	memset(gp(c, USED_GPA), 0, INDIRECT_GPA - USED_GPA);
	c->num = num;
	c->avail_idx = 0;
	wr(c, R_QUEUE_SEL, 0);
	wr(c, R_QUEUE_NUM, num);
	wr(c, R_DESC_LO, (uint32_t)DESC_GPA);
	wr(c, R_DESC_HI, 0);
	wr(c, R_AVAIL_LO, (uint32_t)AVAIL_GPA);
	wr(c, R_AVAIL_HI, 0);
	wr(c, R_USED_LO, (uint32_t)USED_GPA);
	wr(c, R_USED_HI, 0);
	wr(c, R_QUEUE_READY, 1);
	return rd(c, R_QUEUE_READY);
}

/*
 * The whole handshake: @features masked with what the device offers
 * (as a driver does), a queue of @num, DRIVER_OK. Returns the status.
 */
static inline uint32_t drv_setup(struct tctx *c, uint64_t features,
				 uint32_t num)
{
	uint32_t st = drv_negotiate(c, features & dev_features(c));

	if (!(st & S_FEATURES_OK))
		return st;
	drv_queue(c, num);
	wr(c, R_STATUS, st | S_DRIVER_OK);
	return rd(c, R_STATUS);
}

static inline void set_desc_at(struct tctx *c, uint64_t table, uint32_t i,
			       uint64_t addr, uint32_t len, uint16_t flags,
			       uint16_t next)
{
	uint8_t *p = gp(c, table + 16ULL * i);

	mvm_put_le64(p, addr);
	mvm_put_le32(p + 8, len);
	mvm_put_le16(p + 12, flags);
	mvm_put_le16(p + 14, next);
}

static inline void set_desc(struct tctx *c, uint32_t i, uint64_t addr,
			    uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(c, DESC_GPA, i, addr, len, flags, next);
}

/* Make chain @head available (no notification). */
static inline void avail_add(struct tctx *c, uint16_t head)
{
	mvm_put_le16(gp(c, AVAIL_GPA + 4 + 2 * (c->avail_idx % c->num)), head);
	c->avail_idx++;
	mvm_put_le16(gp(c, AVAIL_GPA + 2), c->avail_idx);
}

static inline uint16_t used_idx(struct tctx *c)
{
	return mvm_get_le16(gp(c, USED_GPA + 2));
}

static inline uint32_t used_id(struct tctx *c, uint16_t i)
{
	return mvm_get_le32(gp(c, USED_GPA + 4 + 8 * (i % c->num)));
}

static inline uint32_t used_len(struct tctx *c, uint16_t i)
{
	return mvm_get_le32(gp(c, USED_GPA + 8 + 8 * (i % c->num)));
}

/* used_event (avail ring's tail) and avail_event (used ring's tail). */
static inline void set_used_event(struct tctx *c, uint16_t v)
{
	mvm_put_le16(gp(c, AVAIL_GPA + 4 + 2 * c->num), v);
}

static inline uint16_t avail_event(struct tctx *c)
{
	return mvm_get_le16(gp(c, USED_GPA + 4 + 8 * c->num));
}

#endif /* MVM_TESTS_VIRTIO_DRIVER_H */
