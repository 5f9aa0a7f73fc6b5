// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the virtio-mmio transport and split virtqueues
 * (src/virtio/mmio.c, queue.c), driven through the register window the
 * way a driver does, with virtio-rng (rng.c) as the device behind them:
 * its requests are the simplest chains there are. Hostile rings (loops,
 * buffers outside guest memory, bad indices, misused indirect tables)
 * must end in DEVICE_NEEDS_RESET, never in a hang or a stray access.
 * virtio-blk's requests are in blk_test.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "virtio_driver.h"

#define ALL_F	(F_VERSION_1 | F_INDIRECT | F_EVENT_IDX)

/* One writable buffer of @len at DATA_GPA as chain 0, notified. */
static void rng_req(struct tctx *c, uint32_t len)
{
	set_desc(c, 0, DATA_GPA, len, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
}

static bool needs_reset(struct tctx *c)
{
	return rd(c, R_STATUS) & S_NEEDS_RESET;
}

FIXTURE(rng) {
	struct tctx c;
};

FIXTURE_SETUP(rng)
{
	ASSERT_TRUE(tctx_init(&self->c));
	ASSERT_EQ(0, mvm_virtio_rng_create(&self->c.env, &self->c.d));
}

FIXTURE_TEARDOWN(rng)
{
	tctx_fini(&self->c);
}

/* ---- registers ------------------------------------------------------- */

TEST_F(rng, identity)
{
	struct tctx *c = &self->c;
	uint8_t b[8];

	EXPECT_EQ(0x74726976, rd(c, R_MAGIC));
	EXPECT_EQ(2, rd(c, R_VERSION));
	EXPECT_EQ(4, rd(c, R_DEVICE_ID));
	EXPECT_EQ(0x4d564d00, rd(c, R_VENDOR_ID));
	EXPECT_EQ(ALL_F, dev_features(c));
	wr(c, R_DEV_FEATURES_SEL, 2);
	EXPECT_EQ(0, rd(c, R_DEV_FEATURES));
	EXPECT_EQ(256, rd(c, R_QUEUE_NUM_MAX));
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
	wr(c, R_QUEUE_SEL, 1);
	EXPECT_EQ(0, rd(c, R_QUEUE_NUM_MAX));	/* no second queue */
	EXPECT_EQ(0xffffffff, rd(c, R_SHM_LEN_LO));
	EXPECT_EQ(0, rd(c, R_CONFIG_GEN));
	EXPECT_EQ(0, rd(c, R_STATUS));
	EXPECT_EQ(0, rd(c, R_ISR));
	/* No configuration space: 0 at any width. */
	memset(b, 0xaa, sizeof(b));
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_CONFIG, b, 8));
	EXPECT_EQ(0, mvm_get_le64(b));
}

TEST_F(rng, access_errors)
{
	struct tctx *c = &self->c;
	uint8_t b[8] = { 0xaa, 0xaa, 0xaa, 0xaa };

	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(NULL, 0, b, 4));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(c->d, 0, NULL, 4));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_write(NULL, 0, b, 4));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(c->d, 0, b, 3));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(c->d, 0, b, 0));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(c->d, 0, b, 16));
	EXPECT_EQ(-EINVAL, mvm_virtio_mmio_read(c->d, 0, b, 8));
	EXPECT_EQ(-ERANGE, mvm_virtio_mmio_read(c->d, 0x200, b, 4));
	EXPECT_EQ(-ERANGE, mvm_virtio_mmio_read(c->d, 0x1fe, b, 4));
	EXPECT_EQ(-ERANGE, mvm_virtio_mmio_write(c->d, UINT64_MAX, b, 1));
	EXPECT_EQ(-ERANGE, mvm_virtio_mmio_read(c->d, UINT64_MAX - 1, b, 4));
	EXPECT_EQ(0, mvm_virtio_mmio_read(c->d, 0x1fc, b, 4));

	/* Narrow or misaligned register accesses read 0, are ignored. */
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_MAGIC, b, 2));
	EXPECT_EQ(0, mvm_get_le16(b));
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_MAGIC + 1, b, 4));
	EXPECT_EQ(0, mvm_get_le32(b));
	b[0] = S_ACK;
	ASSERT_EQ(0, mvm_virtio_mmio_write(c->d, R_STATUS, b, 1));
	EXPECT_EQ(0, rd(c, R_STATUS));

	/* Read-only registers ignore writes. */
	wr(c, R_MAGIC, 0);
	wr(c, R_DEVICE_ID, 7);
	EXPECT_EQ(0x74726976, rd(c, R_MAGIC));
	EXPECT_EQ(4, rd(c, R_DEVICE_ID));
	EXPECT_EQ(0, c->irq_calls);
}

TEST_F(rng, features_ok_needs_version_1)
{
	struct tctx *c = &self->c;
	uint32_t st = drv_negotiate(c, F_INDIRECT);

	EXPECT_EQ(S_ACK | S_DRIVER, st);
	wr(c, R_STATUS, st | S_FEATURES_OK | S_DRIVER_OK);
	EXPECT_EQ(S_ACK | S_DRIVER, rd(c, R_STATUS));
	EXPECT_LT(0, c->log_lines);
}

TEST_F(rng, features_ok_needs_subset)
{
	struct tctx *c = &self->c;

	EXPECT_EQ(S_ACK | S_DRIVER, drv_negotiate(c, F_VERSION_1 | 1ULL << 40));
	EXPECT_EQ(S_ACK | S_DRIVER, drv_negotiate(c, F_VERSION_1 | 1ULL << 0));
	/* A bit above 63 (selector 2) is not offered either. */
	wr(c, R_STATUS, 0);
	wr(c, R_STATUS, S_ACK | S_DRIVER);
	wr(c, R_DRV_FEATURES_SEL, 1);
	wr(c, R_DRV_FEATURES, 1);
	wr(c, R_DRV_FEATURES_SEL, 2);
	wr(c, R_DRV_FEATURES, 1);
	wr(c, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	EXPECT_EQ(S_ACK | S_DRIVER, rd(c, R_STATUS));
	/* The minimum is fine; FEATURES_OK needs DRIVER first. */
	EXPECT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK,
		  drv_negotiate(c, F_VERSION_1));
	wr(c, R_STATUS, 0);
	wr(c, R_DRV_FEATURES_SEL, 1);
	wr(c, R_DRV_FEATURES, 1);
	wr(c, R_STATUS, S_ACK | S_FEATURES_OK);
	EXPECT_EQ(S_ACK, rd(c, R_STATUS));
}

TEST_F(rng, status_rules)
{
	struct tctx *c = &self->c;
	uint32_t st;

	/* DRIVER_OK without FEATURES_OK is dropped. */
	wr(c, R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
	EXPECT_EQ(S_ACK | S_DRIVER, rd(c, R_STATUS));
	st = drv_setup(c, ALL_F, 16);
	EXPECT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK, st);
	/* Bits are only cleared by a reset; NEEDS_RESET is the device's. */
	wr(c, R_STATUS, S_ACK);
	EXPECT_EQ(st, rd(c, R_STATUS));
	wr(c, R_STATUS, st | S_NEEDS_RESET);
	EXPECT_EQ(st, rd(c, R_STATUS));
	/* Features cannot change after FEATURES_OK. */
	wr(c, R_DRV_FEATURES_SEL, 1);
	wr(c, R_DRV_FEATURES, 0);
	wr(c, R_STATUS, 0);
	EXPECT_EQ(0, rd(c, R_STATUS));
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
}

TEST_F(rng, queue_checks)
{
	struct tctx *c = &self->c;
	static const struct { uint32_t num; uint64_t desc, avail, used; }
	bad[] = {
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 3, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 512, DESC_GPA, AVAIL_GPA, USED_GPA },
		{ 16, DESC_GPA + 8, AVAIL_GPA, USED_GPA },
		{ 16, DESC_GPA, AVAIL_GPA + 1, USED_GPA },
		{ 16, DESC_GPA, AVAIL_GPA, USED_GPA + 2 },
		{ 16, MEM_SIZE - 128, AVAIL_GPA, USED_GPA },
		{ 16, DESC_GPA, MEM_SIZE - 32, USED_GPA },
		/* the used ring's avail_event is past the end */
		{ 16, DESC_GPA, AVAIL_GPA, MEM_SIZE - 4 - 8 * 16 },
		{ 16, 1ULL << 40, AVAIL_GPA, USED_GPA },
		{ 16, DESC_GPA, UINT64_MAX - 1, USED_GPA },
		{ 16, DESC_GPA, AVAIL_GPA, UINT64_MAX - 3 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK,
			  drv_negotiate(c, ALL_F));
		wr(c, R_QUEUE_SEL, 0);
		wr(c, R_QUEUE_NUM, bad[i].num);
		wr(c, R_DESC_LO, (uint32_t)bad[i].desc);
		wr(c, R_DESC_HI, (uint32_t)(bad[i].desc >> 32));
		wr(c, R_AVAIL_LO, (uint32_t)bad[i].avail);
		wr(c, R_AVAIL_HI, (uint32_t)(bad[i].avail >> 32));
		wr(c, R_USED_LO, (uint32_t)bad[i].used);
		wr(c, R_USED_HI, (uint32_t)(bad[i].used >> 32));
		wr(c, R_QUEUE_READY, 1);
		EXPECT_EQ(0, rd(c, R_QUEUE_READY)) {
			TH_LOG("case %u accepted", i);
		}
	}
	/* Without EVENT_IDX the same used ring fits. */
	ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK,
		  drv_negotiate(c, F_VERSION_1));
	wr(c, R_QUEUE_NUM, 16);
	wr(c, R_DESC_LO, (uint32_t)DESC_GPA);
	wr(c, R_AVAIL_LO, (uint32_t)AVAIL_GPA);
	wr(c, R_USED_LO, (uint32_t)(MEM_SIZE - 4 - 8 * 16));
	wr(c, R_QUEUE_READY, 1);
	EXPECT_EQ(1, rd(c, R_QUEUE_READY));

	/* Not before FEATURES_OK; not a queue the device lacks. */
	wr(c, R_STATUS, 0);
	wr(c, R_STATUS, S_ACK | S_DRIVER);
	EXPECT_EQ(0, drv_queue(c, 16));
	ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK, drv_negotiate(c, ALL_F));
	wr(c, R_QUEUE_SEL, 1);
	wr(c, R_QUEUE_READY, 1);
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
	EXPECT_EQ(1, drv_queue(c, 256));
}

TEST_F(rng, queue_locked_while_ready)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	/* A new size or address while ready is ignored... */
	wr(c, R_QUEUE_NUM, 3);
	wr(c, R_DESC_LO, 0x12345);
	rng_req(c, 32);
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(32, used_len(c, 0));
	/* ...and taken after QueueReady 0, checked at the next 1. */
	wr(c, R_QUEUE_READY, 0);
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
	wr(c, R_QUEUE_NUM, 3);
	wr(c, R_QUEUE_READY, 1);
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
	EXPECT_FALSE(needs_reset(c));
}

/* ---- requests and interrupts ----------------------------------------- */

TEST_F(rng, fill_and_interrupt)
{
	struct tctx *c = &self->c;
	uint8_t zero[64] = { 0 };

	ASSERT_EQ(0x0f, drv_setup(c, F_VERSION_1, 16));
	rng_req(c, 64);
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(0, used_id(c, 0));
	EXPECT_EQ(64, used_len(c, 0));
	EXPECT_NE(0, memcmp(gp(c, DATA_GPA), zero, 64));
	EXPECT_EQ(0, *gp(c, DATA_GPA + 64));	/* nothing past it */
	EXPECT_EQ(1, rd(c, R_ISR));
	EXPECT_EQ(1, c->irq_level);
	EXPECT_EQ(1, c->irq_calls);

	/* More used buffers before the ack: no new edge. */
	rng_req(c, 8);
	rng_req(c, 8);
	EXPECT_EQ(3, used_idx(c));
	EXPECT_EQ(1, c->irq_calls);
	wr(c, R_ISR_ACK, 1);
	EXPECT_EQ(0, rd(c, R_ISR));
	EXPECT_EQ(0, c->irq_level);
	EXPECT_EQ(2, c->irq_calls);
	/* Acking nothing changes nothing. */
	wr(c, R_ISR_ACK, 3);
	EXPECT_EQ(2, c->irq_calls);
	rng_req(c, 8);
	EXPECT_EQ(1, c->irq_level);
	EXPECT_EQ(3, c->irq_calls);
	EXPECT_EQ(0, c->irq_bad);
}

TEST_F(rng, batch_one_interrupt)
{
	struct tctx *c = &self->c;
	unsigned int i;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	for (i = 0; i < 5; i++) {
		set_desc(c, i, DATA_GPA + 64 * i, 64, D_WRITE, 0);
		avail_add(c, (uint16_t)i);
	}
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(5, used_idx(c));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(i, used_id(c, (uint16_t)i));
		EXPECT_EQ(64, used_len(c, (uint16_t)i));
	}
	EXPECT_EQ(1, c->irq_calls);
}

TEST_F(rng, fill_is_capped)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	memset(gp(c, DATA_GPA), 0, 128 * 1024);
	rng_req(c, 128 * 1024);
	EXPECT_EQ(64 * 1024, used_len(c, 0));
	/* Zero-length buffer: nothing written. */
	rng_req(c, 0);
	EXPECT_EQ(0, used_len(c, 1));
}

TEST_F(rng, readable_buffers_skipped)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	memset(gp(c, DATA_GPA), 0x5a, 16);
	set_desc(c, 0, DATA_GPA, 16, D_NEXT, 1);
	set_desc(c, 1, DATA_GPA + 16, 32, D_WRITE, 0);
	avail_add(c, 0);
	wr(c, R_QUEUE_NOTIFY, 0);		/* through the register */
	EXPECT_EQ(32, used_len(c, 0));
	EXPECT_EQ(0x5a, *gp(c, DATA_GPA + 15));
}

TEST_F(rng, ring_wraps)
{
	struct tctx *c = &self->c;
	unsigned int i;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 4));
	for (i = 0; i < 70000; i++) {
		rng_req(c, 4);
		if (used_idx(c) != (uint16_t)(i + 1))
			break;
	}
	EXPECT_EQ(70000, i);
	EXPECT_EQ((uint16_t)70000, used_idx(c));
	EXPECT_FALSE(needs_reset(c));
}

TEST_F(rng, no_interrupt_flag)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, F_VERSION_1, 16));
	mvm_put_le16(gp(c, AVAIL_GPA), MVM_VIRTQ_AVAIL_F_NO_INTERRUPT);
	rng_req(c, 8);
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(0, rd(c, R_ISR));
	EXPECT_EQ(0, c->irq_calls);
	mvm_put_le16(gp(c, AVAIL_GPA), 0);
	rng_req(c, 8);
	EXPECT_EQ(1, c->irq_calls);
}

TEST_F(rng, event_idx)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	/* The driver wants an interrupt only after used entry 3. */
	set_used_event(c, 3);
	rng_req(c, 8);
	EXPECT_EQ(1, avail_event(c));		/* notify me at the next */
	rng_req(c, 8);
	rng_req(c, 8);
	EXPECT_EQ(3, used_idx(c));
	EXPECT_EQ(0, c->irq_calls);
	rng_req(c, 8);				/* used idx 3 -> 4 */
	EXPECT_EQ(1, c->irq_calls);
	EXPECT_EQ(4, avail_event(c));
	/* The flag means nothing with EVENT_IDX. */
	wr(c, R_ISR_ACK, 1);
	mvm_put_le16(gp(c, AVAIL_GPA), MVM_VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(c, 4);
	rng_req(c, 8);
	EXPECT_EQ(3, c->irq_calls);
}

TEST_F(rng, notify_before_driver_ok)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK, drv_negotiate(c, ALL_F));
	ASSERT_EQ(1, drv_queue(c, 16));
	rng_req(c, 8);
	EXPECT_EQ(0, used_idx(c));
	/* Buffers made available early are done at DRIVER_OK. */
	wr(c, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(1, c->irq_level);
}

TEST_F(rng, notify_errors)
{
	struct tctx *c = &self->c;

	EXPECT_EQ(-EINVAL, mvm_virtio_notify(NULL, 0));
	EXPECT_EQ(-EINVAL, mvm_virtio_notify(c->d, 1));
	EXPECT_EQ(-EINVAL, mvm_virtio_notify(c->d, UINT32_MAX));
	EXPECT_EQ(0, mvm_virtio_notify(c->d, 0));	/* not ready */
	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, DATA_GPA, 8, D_WRITE, 0);
	avail_add(c, 0);
	wr(c, R_QUEUE_NOTIFY, 1);
	wr(c, R_QUEUE_NOTIFY, 0xffff);
	EXPECT_EQ(0, used_idx(c));
	wr(c, R_QUEUE_NOTIFY, 0);
	EXPECT_EQ(1, used_idx(c));
}

TEST_F(rng, reset_lowers_line)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	rng_req(c, 8);
	ASSERT_EQ(1, c->irq_level);
	wr(c, R_STATUS, 0);
	EXPECT_EQ(0, c->irq_level);
	EXPECT_EQ(0, rd(c, R_ISR));
	EXPECT_EQ(0, rd(c, R_QUEUE_READY));
	/* And it works again from scratch. */
	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	rng_req(c, 8);
	EXPECT_EQ(1, used_idx(c));
}

/* ---- hostile rings ----------------------------------------------------- */

/*
 * After a ring error: DEVICE_NEEDS_RESET, a configuration interrupt,
 * nothing in the used ring, further notifications ignored, and a reset
 * that brings the device back.
 */
static void expect_broken(struct __test_metadata *_metadata, struct tctx *c)
{
	EXPECT_TRUE(needs_reset(c));
	EXPECT_EQ(MVM_VIRTIO_ISR_CONFIG, rd(c, R_ISR) & MVM_VIRTIO_ISR_CONFIG);
	EXPECT_EQ(1, c->irq_level);
	EXPECT_EQ(0, used_idx(c));
	EXPECT_EQ(0, c->irq_bad);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(0, used_idx(c));
	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	EXPECT_EQ(0, c->irq_level);
	rng_req(c, 8);
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(8, used_len(c, 0));
}

TEST_F(rng, chain_loop)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, DATA_GPA, 8, D_WRITE | D_NEXT, 1);
	set_desc(c, 1, DATA_GPA, 8, D_WRITE | D_NEXT, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, chain_self_loop)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 256));
	set_desc(c, 7, DATA_GPA, 8, D_WRITE | D_NEXT, 7);
	avail_add(c, 7);
	mvm_virtio_notify(c->d, 0);
	EXPECT_TRUE(needs_reset(c));
	EXPECT_EQ(0, used_idx(c));
}

/* A chain of exactly the queue size is fine, as long as it ends. */
TEST_F(rng, chain_of_queue_size)
{
	struct tctx *c = &self->c;
	uint16_t i;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 8));
	for (i = 0; i < 8; i++)
		set_desc(c, i, DATA_GPA + 4 * i, 4,
			 D_WRITE | (i < 7 ? D_NEXT : 0), i + 1);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_FALSE(needs_reset(c));
	EXPECT_EQ(32, used_len(c, 0));
}

TEST_F(rng, buffer_outside_memory)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, MEM_SIZE - 4, 8, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, buffer_address_wraps)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, UINT64_MAX - 3, 8, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, empty_buffer_past_the_end)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, MEM_SIZE + 1, 0, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, next_out_of_range)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, DATA_GPA, 8, D_WRITE | D_NEXT, 16);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, head_out_of_range)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	avail_add(c, 16);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, avail_index_too_far)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc(c, 0, DATA_GPA, 8, D_WRITE, 0);
	mvm_put_le16(gp(c, AVAIL_GPA + 2), 17);
	mvm_virtio_notify(c->d, 0);
	expect_broken(_metadata, c);
}

TEST_F(rng, indirect)
{
	struct tctx *c = &self->c;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	set_desc_at(c, INDIRECT_GPA, 0, DATA_GPA, 8, D_WRITE | D_NEXT, 2);
	set_desc_at(c, INDIRECT_GPA, 2, DATA_GPA + 8, 8, D_WRITE | D_NEXT, 1);
	set_desc_at(c, INDIRECT_GPA, 1, DATA_GPA + 16, 16, D_WRITE, 0);
	/* The WRITE flag of the indirect descriptor itself is ignored. */
	set_desc(c, 5, INDIRECT_GPA, 3 * 16, D_INDIRECT | D_WRITE, 0);
	avail_add(c, 5);
	mvm_virtio_notify(c->d, 0);
	EXPECT_FALSE(needs_reset(c));
	EXPECT_EQ(5, used_id(c, 0));
	EXPECT_EQ(32, used_len(c, 0));

	/* A table of 256 descriptors is the most there may be. */
	{
		uint16_t i;

		for (i = 0; i < 256; i++)
			set_desc_at(c, INDIRECT_GPA, i, DATA_GPA + i, 1,
				    D_WRITE | (i < 255 ? D_NEXT : 0), i + 1);
		set_desc(c, 0, INDIRECT_GPA, 256 * 16, D_INDIRECT, 0);
		avail_add(c, 0);
		mvm_virtio_notify(c->d, 0);
		EXPECT_FALSE(needs_reset(c));
		EXPECT_EQ(256, used_len(c, 1));
	}
}

/* Each way of misusing an indirect table breaks the ring. */
TEST_F(rng, indirect_errors)
{
	struct tctx *c = &self->c;
	enum { NESTED, WITH_NEXT, NOT_HEAD, BAD_LEN, EMPTY, TOO_LONG,
	       OUTSIDE, LOOP, NEXT_OUT, BUF_OUTSIDE, NOT_NEGOTIATED, NCASES };
	unsigned int i;

	for (i = 0; i < NCASES; i++) {
		uint16_t flags = D_INDIRECT;
		uint64_t addr = INDIRECT_GPA;
		uint32_t len = 2 * 16;
		uint16_t head = 0;

		ASSERT_EQ(0x0f, drv_setup(c, i == NOT_NEGOTIATED ?
					  F_VERSION_1 | F_EVENT_IDX : ALL_F,
					  16));
		set_desc_at(c, INDIRECT_GPA, 0, DATA_GPA, 8,
			    D_WRITE | D_NEXT, 1);
		set_desc_at(c, INDIRECT_GPA, 1, DATA_GPA + 8, 8, D_WRITE, 0);
		switch (i) {
		case NESTED:
			set_desc_at(c, INDIRECT_GPA, 1, INDIRECT_GPA, 32,
				    D_INDIRECT, 0);
			break;
		case WITH_NEXT:
			flags |= D_NEXT;
			set_desc(c, 1, DATA_GPA, 8, D_WRITE, 0);
			break;
		case NOT_HEAD:
			set_desc(c, 1, addr, len, flags, 0);
			addr = DATA_GPA;
			len = 8;
			flags = D_WRITE | D_NEXT;
			break;
		case BAD_LEN:
			len = 24;
			break;
		case EMPTY:
			len = 0;
			break;
		case TOO_LONG:
			len = 257 * 16;
			break;
		case OUTSIDE:
			addr = MEM_SIZE - 16;
			break;
		case LOOP:
			set_desc_at(c, INDIRECT_GPA, 1, DATA_GPA + 8, 8,
				    D_WRITE | D_NEXT, 0);
			break;
		case NEXT_OUT:
			set_desc_at(c, INDIRECT_GPA, 0, DATA_GPA, 8,
				    D_WRITE | D_NEXT, 2);
			break;
		case BUF_OUTSIDE:
			set_desc_at(c, INDIRECT_GPA, 1, MEM_SIZE, 1, D_WRITE,
				    0);
			break;
		default:
			break;
		}
		set_desc(c, head, addr, len, flags, 1);
		avail_add(c, head);
		mvm_virtio_notify(c->d, 0);
		EXPECT_TRUE(needs_reset(c)) {
			TH_LOG("case %u accepted", i);
		}
		EXPECT_EQ(0, used_idx(c));
	}
}

static void break_ring(struct __test_metadata *_metadata, struct tctx *c)
{
	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	avail_add(c, 99);
	mvm_virtio_notify(c->d, 0);
	ASSERT_TRUE(needs_reset(c));
}

TEST_F(rng, log_is_rate_limited)
{
	struct tctx *c = &self->c;
	unsigned int i;

	for (i = 0; i < 100; i++)
		break_ring(_metadata, c);
	/* 10 a second, and perhaps the count of the dropped ones. */
	EXPECT_LE(c->log_lines, 22);
	EXPECT_LE(1, c->log_lines);
	/* A second later the count of the dropped ones comes first. */
	sleep(1);
	i = c->log_lines;
	break_ring(_metadata, c);
	if (c->log_lines == i + 1) {
		/* The burst above was split by a second boundary and this
		 * one still fits: flood again. */
		for (i = 0; i < 30; i++)
			break_ring(_metadata, c);
		sleep(1);
		i = c->log_lines;
		break_ring(_metadata, c);
	}
	EXPECT_EQ(i + 2, c->log_lines);
	EXPECT_NE(NULL, strstr(c->last_log, "needs reset"));
}

/*
 * A driver on another vCPU that adds a buffer whenever one is used: a
 * notification must still return, after at most 4 times the queue size
 * chains, and the device must stay healthy.
 */
struct feeder {
	struct tctx *c;
	int stop;
	unsigned long added;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	struct tctx *c = f->c;
	uint16_t *avail_idx = (uint16_t *)(void *)gp(c, AVAIL_GPA + 2);
	uint16_t *used = (uint16_t *)(void *)gp(c, USED_GPA + 2);
	uint16_t idx = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if ((uint16_t)(idx - __atomic_load_n(used, __ATOMIC_ACQUIRE)) >=
		    c->num)
			continue;
		mvm_put_le16(gp(c, AVAIL_GPA + 4 + 2 * (idx % c->num)), 0);
		idx++;
		__atomic_store_n(avail_idx, idx, __ATOMIC_RELEASE);
		__atomic_fetch_add(&f->added, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void notify_is_bounded(struct __test_metadata *_metadata,
			      struct tctx *c, uint64_t features)
{
	struct feeder f = { .c = c };
	unsigned int i, max = 0;
	uint16_t before, done;
	pthread_t t;

	ASSERT_EQ(0x0f, drv_setup(c, features, 4));
	set_desc(c, 0, DATA_GPA, 4, D_WRITE, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, feed, &f));
	while (!__atomic_load_n(&f.added, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < 200; i++) {
		before = used_idx(c);
		mvm_virtio_notify(c->d, 0);
		done = (uint16_t)(used_idx(c) - before);
		if (done > max)
			max = done;
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_LE(max, 4 * 4);
	EXPECT_LE(1, max);
	EXPECT_FALSE(needs_reset(c));
	/* Whatever is left is done at the next notification. */
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ((uint16_t)f.added, used_idx(c));
	EXPECT_EQ(0, c->irq_bad);
}

TEST_F(rng, notify_is_bounded)
{
	notify_is_bounded(_metadata, &self->c, F_VERSION_1);
}

TEST_F(rng, notify_is_bounded_event_idx)
{
	notify_is_bounded(_metadata, &self->c, ALL_F);
}

TEST(create_errors)
{
	struct mvm_virtio_env env = { 0 };
	struct mvm_guest_mem mem = { 0 };
	struct mvm_virtio_dev *d = NULL;

	EXPECT_EQ(-EINVAL, mvm_virtio_rng_create(NULL, &d));
	EXPECT_EQ(-EINVAL, mvm_virtio_rng_create(&env, &d));
	env.mem = &mem;
	EXPECT_EQ(-EINVAL, mvm_virtio_rng_create(&env, &d));
	mem.base = (uint8_t *)&mem;
	mem.size = sizeof(mem);
	EXPECT_EQ(-EINVAL, mvm_virtio_rng_create(&env, NULL));
	ASSERT_EQ(0, mvm_virtio_rng_create(&env, &d));
	mvm_virtio_destroy(d);
	mvm_virtio_destroy(NULL);
}

TEST_HARNESS_MAIN
