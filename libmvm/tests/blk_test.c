// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of virtio-blk (src/virtio/blk.c) on a temporary image file:
 * the configuration space, reads, writes, flush and GET_ID as Linux's
 * driver sends them, other descriptor layouts the specification allows,
 * and every malformed request a guest can make, each of which must end
 * with a status byte (or, with no room for one, a used.len of 0) and
 * leave the image untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "virtio_driver.h"

/* Everything, the device-type bits included (drv_setup() masks them). */
#define ALL_F	(F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | 0xffffffULL)

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define T_DISCARD	11
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define S_UNTOUCHED	0xff

#define F_BLK_SIZE_MAX	(1ULL << 1)
#define F_BLK_SEG_MAX	(1ULL << 2)
#define F_BLK_RO	(1ULL << 5)
#define F_BLK_BLK_SIZE	(1ULL << 6)
#define F_BLK_FLUSH	(1ULL << 9)

/* The image: 64 sectors, sector s filled with s + 1, then 100 bytes. */
#define SECTORS		64
#define TAIL		100
#define SERIAL		"mvm-test-serial"

static int make_image(void)
{
	char path[] = "/tmp/mvm-blk-test-XXXXXX";
	uint8_t sec[512];
	int fd, s;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	for (s = 0; s < SECTORS; s++) {
		memset(sec, s + 1, sizeof(sec));
		if (pwrite(fd, sec, sizeof(sec), s * 512) != sizeof(sec))
			return -1;
	}
	memset(sec, 0xee, TAIL);
	if (pwrite(fd, sec, TAIL, SECTORS * 512) != TAIL)
		return -1;
	return fd;
}

/* Does image sector @s hold @v everywhere? */
static bool sector_is(int fd, uint64_t s, uint8_t v)
{
	uint8_t sec[512];
	unsigned int i;

	if (pread(fd, sec, sizeof(sec), (off_t)(s * 512)) != sizeof(sec))
		return false;
	for (i = 0; i < sizeof(sec); i++)
		if (sec[i] != v)
			return false;
	return true;
}

static bool image_intact(int fd)
{
	struct stat st;
	uint64_t s;

	if (fstat(fd, &st) || st.st_size != SECTORS * 512 + TAIL)
		return false;
	for (s = 0; s < SECTORS; s++)
		if (!sector_is(fd, s, (uint8_t)(s + 1)))
			return false;
	return true;
}

static void put_hdr(struct tctx *c, uint64_t gpa, uint32_t type,
		    uint64_t sector)
{
	mvm_put_le32(gp(c, gpa), type);
	mvm_put_le32(gp(c, gpa + 4), 0);
	mvm_put_le64(gp(c, gpa + 8), sector);
}

/*
 * The request as Linux sends it: header (readable), data of @len with
 * @dflags unless @len is 0, status (writable). Returns the status byte.
 */
static uint8_t blk_req(struct tctx *c, uint32_t type, uint64_t sector,
		       uint32_t len, uint16_t dflags)
{
	put_hdr(c, HDR_GPA, type, sector);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	set_desc(c, 0, HDR_GPA, 16, D_NEXT, 1);
	if (len) {
		set_desc(c, 1, DATA_GPA, len, dflags | D_NEXT, 2);
		set_desc(c, 2, STATUS_GPA, 1, D_WRITE, 0);
	} else {
		set_desc(c, 1, STATUS_GPA, 1, D_WRITE, 0);
	}
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	return *gp(c, STATUS_GPA);
}

/* used.len of the last request. */
static uint32_t last_len(struct tctx *c)
{
	return used_len(c, (uint16_t)(used_idx(c) - 1));
}

FIXTURE(blk) {
	struct tctx c;
	int fd;
};

FIXTURE_SETUP(blk)
{
	struct mvm_virtio_blk_config cfg = { .serial = SERIAL };

	ASSERT_TRUE(tctx_init(&self->c));
	self->fd = make_image();
	ASSERT_LE(0, self->fd);
	cfg.fd = self->fd;
	ASSERT_EQ(0, mvm_virtio_blk_create(&self->c.env, &cfg, &self->c.d));
	ASSERT_EQ(0x0f, drv_setup(&self->c, ALL_F, 16));
}

FIXTURE_TEARDOWN(blk)
{
	tctx_fini(&self->c);
	close(self->fd);
}

TEST_F(blk, identity_and_config)
{
	struct tctx *c = &self->c;
	uint64_t f = dev_features(c);
	uint8_t b[8];

	EXPECT_EQ(2, rd(c, R_DEVICE_ID));
	EXPECT_EQ(F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | F_BLK_SIZE_MAX |
		  F_BLK_SEG_MAX | F_BLK_BLK_SIZE | F_BLK_FLUSH, f);
	/* The partial last sector is not exposed. */
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_CONFIG, b, 8));
	EXPECT_EQ(SECTORS, mvm_get_le64(b));
	EXPECT_EQ(SECTORS, rd(c, R_CONFIG));
	EXPECT_EQ(0, rd(c, R_CONFIG + 4));
	EXPECT_EQ(1U << 20, rd(c, R_CONFIG + 8));	/* size_max */
	EXPECT_EQ(254, rd(c, R_CONFIG + 12));		/* seg_max */
	EXPECT_EQ(512, rd(c, R_CONFIG + 20));		/* blk_size */
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_CONFIG + 21, b, 1));
	EXPECT_EQ(2, b[0]);
	ASSERT_EQ(0, mvm_virtio_mmio_read(c->d, R_CONFIG + 20, b, 2));
	EXPECT_EQ(512, mvm_get_le16(b));
	EXPECT_EQ(0, rd(c, R_CONFIG + 24));		/* past the fields */
	/* The configuration is read-only. */
	wr(c, R_CONFIG, 1000);
	EXPECT_EQ(SECTORS, rd(c, R_CONFIG));
}

TEST_F(blk, read)
{
	struct tctx *c = &self->c;
	unsigned int i;

	memset(gp(c, DATA_GPA), 0, 4096);
	EXPECT_EQ(S_OK, blk_req(c, T_IN, 2, 2048, D_WRITE));
	for (i = 0; i < 2048; i++)
		if (*gp(c, DATA_GPA + i) != 3 + i / 512)
			break;
	EXPECT_EQ(2048, i);
	EXPECT_EQ(0, *gp(c, DATA_GPA + 2048));
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(0, used_id(c, 0));
	EXPECT_EQ(2049, used_len(c, 0));
	EXPECT_EQ(1, rd(c, R_ISR));
	EXPECT_EQ(1, c->irq_level);
	wr(c, R_ISR_ACK, 1);
	EXPECT_EQ(0, c->irq_level);
	/* The last sector. */
	EXPECT_EQ(S_OK, blk_req(c, T_IN, SECTORS - 1, 512, D_WRITE));
	EXPECT_EQ(SECTORS, *gp(c, DATA_GPA + 511));
	/* No data at all is a valid, empty read. */
	EXPECT_EQ(S_OK, blk_req(c, T_IN, 0, 0, 0));
	EXPECT_EQ(1, last_len(c));
}

TEST_F(blk, write)
{
	struct tctx *c = &self->c;

	memset(gp(c, DATA_GPA), 0xab, 1024);
	EXPECT_EQ(S_OK, blk_req(c, T_OUT, 10, 1024, 0));
	EXPECT_EQ(1, last_len(c));
	EXPECT_TRUE(sector_is(self->fd, 9, 10));
	EXPECT_TRUE(sector_is(self->fd, 10, 0xab));
	EXPECT_TRUE(sector_is(self->fd, 11, 0xab));
	EXPECT_TRUE(sector_is(self->fd, 12, 13));
	/* Read back through the device. */
	memset(gp(c, DATA_GPA), 0, 1024);
	EXPECT_EQ(S_OK, blk_req(c, T_IN, 11, 512, D_WRITE));
	EXPECT_EQ(0xab, *gp(c, DATA_GPA + 100));
}

TEST_F(blk, flush)
{
	struct tctx *c = &self->c;

	EXPECT_EQ(S_OK, blk_req(c, T_FLUSH, 0, 0, 0));
	EXPECT_EQ(1, last_len(c));
}

TEST_F(blk, get_id)
{
	struct tctx *c = &self->c;
	static const char want[20] = SERIAL;

	memset(gp(c, DATA_GPA), 0x77, 64);
	EXPECT_EQ(S_OK, blk_req(c, T_GET_ID, 0, 20, D_WRITE));
	EXPECT_EQ(0, memcmp(gp(c, DATA_GPA), want, 20));
	EXPECT_EQ(0x77, *gp(c, DATA_GPA + 20));
	EXPECT_EQ(21, last_len(c));
	/* A shorter buffer gets the start; a longer one zeros after. */
	EXPECT_EQ(S_OK, blk_req(c, T_GET_ID, 0, 3, D_WRITE));
	EXPECT_EQ(0, memcmp(gp(c, DATA_GPA), "mvm", 3));
	memset(gp(c, DATA_GPA), 0x77, 64);
	EXPECT_EQ(S_OK, blk_req(c, T_GET_ID, 0, 32, D_WRITE));
	EXPECT_EQ(0, memcmp(gp(c, DATA_GPA), want, 20));
	EXPECT_EQ(0, *gp(c, DATA_GPA + 31));
	EXPECT_EQ(33, last_len(c));
	/* Into a readable buffer: wrong direction. */
	EXPECT_EQ(S_IOERR, blk_req(c, T_GET_ID, 0, 20, 0));
}

TEST_F(blk, unsupported_types)
{
	struct tctx *c = &self->c;

	EXPECT_EQ(S_UNSUPP, blk_req(c, T_DISCARD, 0, 0, 0));
	EXPECT_EQ(S_UNSUPP, blk_req(c, 2, 0, 0, 0));
	EXPECT_EQ(S_UNSUPP, blk_req(c, UINT32_MAX, 0, 512, D_WRITE));
	EXPECT_EQ(1, last_len(c));
	EXPECT_TRUE(image_intact(self->fd));
}

TEST_F(blk, out_of_range)
{
	struct tctx *c = &self->c;

	memset(gp(c, DATA_GPA), 0xcd, 4096);
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, SECTORS, 512, D_WRITE));
	EXPECT_EQ(1, last_len(c));
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, SECTORS - 1, 1024, D_WRITE));
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, UINT64_MAX, 512, D_WRITE));
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, UINT64_MAX / 512 + 1, 512,
				   D_WRITE));
	EXPECT_EQ(0xcd, *gp(c, DATA_GPA));	/* nothing read */
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, SECTORS, 512, 0));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, SECTORS - 1, 1024, 0));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, UINT64_MAX - 1, 1024, 0));
	/* An empty request at the end is in range, past it is not. */
	EXPECT_EQ(S_OK, blk_req(c, T_IN, SECTORS, 0, 0));
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, SECTORS + 1, 0, 0));
	EXPECT_TRUE(image_intact(self->fd));
	EXPECT_FALSE(rd(c, R_STATUS) & S_NEEDS_RESET);
}

TEST_F(blk, partial_sectors)
{
	struct tctx *c = &self->c;

	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, 0, 100, D_WRITE));
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, 0, 511, D_WRITE));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, 0, 513, 0));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, 0, 1, 0));
	EXPECT_TRUE(image_intact(self->fd));
}

TEST_F(blk, read_only)
{
	struct tctx *c = &self->c;
	struct mvm_virtio_blk_config cfg = { .read_only = true };

	/* On a descriptor open for writing: the device itself refuses. */
	cfg.fd = self->fd;
	mvm_virtio_destroy(c->d);
	c->d = NULL;
	ASSERT_EQ(0, mvm_virtio_blk_create(&c->env, &cfg, &c->d));
	EXPECT_TRUE(dev_features(c) & F_BLK_RO);
	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 16));
	memset(gp(c, DATA_GPA), 0xab, 512);
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, 0, 512, 0));
	EXPECT_EQ(1, last_len(c));
	EXPECT_EQ(S_OK, blk_req(c, T_IN, 5, 512, D_WRITE));
	EXPECT_EQ(6, *gp(c, DATA_GPA));
	EXPECT_EQ(S_OK, blk_req(c, T_FLUSH, 0, 0, 0));
	EXPECT_TRUE(image_intact(self->fd));
	/* A driver that ignores F_RO is refused all the same. */
	ASSERT_EQ(0x0f, drv_setup(c, F_VERSION_1, 16));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, 0, 512, 0));
	EXPECT_TRUE(image_intact(self->fd));
}

/* Header in a writable descriptor: too little to read, or out of order. */
TEST_F(blk, header_writable)
{
	struct tctx *c = &self->c;

	put_hdr(c, HDR_GPA, T_IN, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	set_desc(c, 0, HDR_GPA, 16, D_WRITE | D_NEXT, 1);
	set_desc(c, 1, DATA_GPA, 512, D_WRITE | D_NEXT, 2);
	set_desc(c, 2, STATUS_GPA, 1, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_IOERR, *gp(c, STATUS_GPA));
	EXPECT_EQ(1, last_len(c));

	put_hdr(c, HDR_GPA, T_OUT, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	set_desc(c, 1, DATA_GPA, 512, D_NEXT, 2);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_IOERR, *gp(c, STATUS_GPA));

	/* A header of 8 bytes. */
	put_hdr(c, HDR_GPA, T_IN, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	set_desc(c, 0, HDR_GPA, 8, D_NEXT, 1);
	set_desc(c, 1, DATA_GPA, 512, D_WRITE | D_NEXT, 2);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_IOERR, *gp(c, STATUS_GPA));
	EXPECT_TRUE(image_intact(self->fd));
	EXPECT_FALSE(rd(c, R_STATUS) & S_NEEDS_RESET);
}

TEST_F(blk, wrong_direction)
{
	struct tctx *c = &self->c;

	memset(gp(c, DATA_GPA), 0xab, 512);
	EXPECT_EQ(S_IOERR, blk_req(c, T_IN, 0, 512, 0));
	EXPECT_EQ(0xab, *gp(c, DATA_GPA));
	EXPECT_EQ(S_IOERR, blk_req(c, T_OUT, 0, 512, D_WRITE));
	EXPECT_EQ(1, last_len(c));
	EXPECT_TRUE(image_intact(self->fd));
}

/* No writable byte for the status: returned with used.len 0. */
TEST_F(blk, no_status_byte)
{
	struct tctx *c = &self->c;

	put_hdr(c, HDR_GPA, T_OUT, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	set_desc(c, 0, HDR_GPA, 16, D_NEXT, 1);
	set_desc(c, 1, DATA_GPA, 512, D_NEXT, 2);
	set_desc(c, 2, STATUS_GPA, 1, 0, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_UNTOUCHED, *gp(c, STATUS_GPA));
	EXPECT_EQ(1, used_idx(c));
	EXPECT_EQ(0, used_len(c, 0));

	/* A zero-length writable descriptor is no status byte either. */
	set_desc(c, 2, STATUS_GPA, 0, D_WRITE, 0);
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_UNTOUCHED, *gp(c, STATUS_GPA));
	EXPECT_EQ(0, last_len(c));
	EXPECT_TRUE(image_intact(self->fd));
	/* The device carries on. */
	EXPECT_EQ(S_OK, blk_req(c, T_IN, 1, 512, D_WRITE));
}

/* A readable descriptor after a writable one. */
TEST_F(blk, readable_after_writable)
{
	struct tctx *c = &self->c;

	put_hdr(c, HDR_GPA, T_OUT, 0);
	set_desc(c, 0, HDR_GPA, 16, D_NEXT, 1);
	set_desc(c, 1, STATUS_GPA, 1, D_WRITE | D_NEXT, 2);
	set_desc(c, 2, DATA_GPA, 512, 0, 0);
	avail_add(c, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_IOERR, *gp(c, STATUS_GPA));
	EXPECT_TRUE(image_intact(self->fd));
}

/* Layouts other than Linux's: the device must not assume one (2.7.4). */
TEST_F(blk, any_layout)
{
	struct tctx *c = &self->c;
	uint64_t buf = 0x20000;
	unsigned int i;

	/* Header and data in one descriptor. */
	put_hdr(c, buf, T_OUT, 5);
	memset(gp(c, buf + 16), 0x42, 512);
	set_desc(c, 0, buf, 16 + 512, D_NEXT, 1);
	set_desc(c, 1, STATUS_GPA, 1, D_WRITE, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_OK, *gp(c, STATUS_GPA));
	EXPECT_TRUE(sector_is(self->fd, 5, 0x42));

	/* Data and status in one descriptor. */
	put_hdr(c, HDR_GPA, T_IN, 7);
	set_desc(c, 0, HDR_GPA, 16, D_NEXT, 1);
	set_desc(c, 1, DATA_GPA, 513, D_WRITE, 0);
	*gp(c, DATA_GPA + 512) = S_UNTOUCHED;
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_OK, *gp(c, DATA_GPA + 512));
	EXPECT_EQ(8, *gp(c, DATA_GPA + 511));
	EXPECT_EQ(513, last_len(c));

	/* Header split 8 + 8, data 100 + 312 + 100, through indirect. */
	put_hdr(c, HDR_GPA, T_IN, 9);
	memset(gp(c, DATA_GPA), 0, 1024);
	set_desc_at(c, INDIRECT_GPA, 0, HDR_GPA, 8, D_NEXT, 1);
	set_desc_at(c, INDIRECT_GPA, 1, HDR_GPA + 8, 8, D_NEXT, 2);
	set_desc_at(c, INDIRECT_GPA, 2, DATA_GPA, 100, D_WRITE | D_NEXT, 3);
	set_desc_at(c, INDIRECT_GPA, 3, DATA_GPA + 100, 312,
		    D_WRITE | D_NEXT, 4);
	set_desc_at(c, INDIRECT_GPA, 4, DATA_GPA + 412, 100,
		    D_WRITE | D_NEXT, 5);
	set_desc_at(c, INDIRECT_GPA, 5, STATUS_GPA, 1, D_WRITE, 0);
	set_desc(c, 3, INDIRECT_GPA, 6 * 16, D_INDIRECT, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	avail_add(c, 3);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_OK, *gp(c, STATUS_GPA));
	for (i = 0; i < 512; i++)
		if (*gp(c, DATA_GPA + i) != 10)
			break;
	EXPECT_EQ(512, i);
	EXPECT_EQ(513, last_len(c));
	EXPECT_EQ(3, used_id(c, (uint16_t)(used_idx(c) - 1)));
}

/* seg_max data descriptors plus header and status: a full-size chain. */
TEST_F(blk, seg_max_segments)
{
	struct tctx *c = &self->c;
	uint16_t i;

	ASSERT_EQ(0x0f, drv_setup(c, ALL_F, 256));
	put_hdr(c, HDR_GPA, T_IN, 3);
	memset(gp(c, DATA_GPA), 0, 1024);
	set_desc(c, 0, HDR_GPA, 16, D_NEXT, 1);
	for (i = 1; i <= 254; i++)
		set_desc(c, i, DATA_GPA + 2 * (i - 1), i < 254 ? 2 : 6,
			 D_WRITE | D_NEXT, i + 1);
	set_desc(c, 255, STATUS_GPA, 1, D_WRITE, 0);
	*gp(c, STATUS_GPA) = S_UNTOUCHED;
	avail_add(c, 0);
	mvm_virtio_notify(c->d, 0);
	EXPECT_EQ(S_OK, *gp(c, STATUS_GPA));
	EXPECT_EQ(4, *gp(c, DATA_GPA));
	EXPECT_EQ(4, *gp(c, DATA_GPA + 511));
	EXPECT_EQ(0, *gp(c, DATA_GPA + 512));
	EXPECT_EQ(513, last_len(c));
}

TEST_F(blk, many_requests)
{
	struct tctx *c = &self->c;
	unsigned int i;

	for (i = 0; i < 100; i++) {
		if (blk_req(c, T_IN, i % SECTORS, 512, D_WRITE) != S_OK ||
		    *gp(c, DATA_GPA) != i % SECTORS + 1)
			break;
	}
	EXPECT_EQ(100, i);
	EXPECT_EQ(100, used_idx(c));
}

TEST(create_errors)
{
	struct tctx c;
	struct mvm_virtio_blk_config cfg = { .fd = -1 };
	struct mvm_virtio_dev *d = NULL;
	char path[64];
	int fd, rofd, p[2];

	ASSERT_TRUE(tctx_init(&c));
	fd = make_image();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mvm_virtio_blk_create(NULL, &cfg, &d));
	EXPECT_EQ(-EINVAL, mvm_virtio_blk_create(&c.env, NULL, &d));
	EXPECT_EQ(-EINVAL, mvm_virtio_blk_create(&c.env, &cfg, NULL));
	EXPECT_EQ(-EBADF, mvm_virtio_blk_create(&c.env, &cfg, &d));
	cfg.fd = fd;
	cfg.serial = "123456789012345678901";	/* 21 bytes */
	EXPECT_EQ(-EINVAL, mvm_virtio_blk_create(&c.env, &cfg, &d));
	cfg.serial = "12345678901234567890";	/* 20: fine */
	ASSERT_EQ(0, mvm_virtio_blk_create(&c.env, &cfg, &d));
	mvm_virtio_destroy(d);

	/* A writable disk on a descriptor open for reading only. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rofd = open(path, O_RDONLY);
	ASSERT_LE(0, rofd);
	cfg.fd = rofd;
	EXPECT_EQ(-EBADF, mvm_virtio_blk_create(&c.env, &cfg, &d));
	/* Read-only, it is fine, and keeps its own descriptor. */
	cfg.read_only = true;
	ASSERT_EQ(0, mvm_virtio_blk_create(&c.env, &cfg, &d));
	close(rofd);
	c.d = d;
	EXPECT_EQ(0x0f, drv_setup(&c, ALL_F, 16));
	EXPECT_EQ(S_OK, blk_req(&c, T_IN, 1, 512, D_WRITE));
	EXPECT_EQ(2, *gp(&c, DATA_GPA));
	mvm_virtio_destroy(d);
	c.d = NULL;

	/* Not a file or a block device. */
	ASSERT_EQ(0, pipe(p));
	cfg.fd = p[0];
	cfg.read_only = true;
	EXPECT_EQ(-EINVAL, mvm_virtio_blk_create(&c.env, &cfg, &d));
	close(p[0]);
	close(p[1]);
	close(fd);
	tctx_fini(&c);
}

TEST_HARNESS_MAIN
