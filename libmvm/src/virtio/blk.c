// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk (virtio 1.2, section 5.2) backed by a raw image: one request
 * queue, requests IN, OUT, FLUSH and GET_ID, done synchronously with
 * pread()/pwrite() straight into and out of guest memory.
 *
 * A request is a header (type, reserved, sector: 16 bytes the device
 * reads), data, and a status byte the device writes last. The device may
 * not assume how the driver cut that into descriptors (section 2.7.4),
 * so a chain is read as two byte streams: the device-readable one (the
 * header, then OUT's data) and the device-writable one that follows it
 * (IN's or GET_ID's data, then the status byte as its very last byte).
 *
 * Every request the guest gets wrong ends with a status, never a device
 * failure: IOERR for a malformed request (a readable buffer after a
 * writable one, a header shorter than 16 bytes, data in the wrong
 * direction, a data length that is not whole sectors, sectors beyond the
 * capacity, a write to a read-only disk) and for a host I/O error;
 * UNSUPP for a request type not implemented. A chain without a single
 * writable byte for the status cannot be answered: it is returned with
 * used.len 0 and logged.
 *
 * used.len is the number of bytes the device wrote: the data read plus
 * the status byte for IN and GET_ID, the status byte alone otherwise
 * (and after any error).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>		/* BLKGETSIZE64 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mvm/mvm.h>

#include "virtio_dev.h"

/* Feature bits (section 5.2.3). */
#define BLK_F_SIZE_MAX		1
#define BLK_F_SEG_MAX		2
#define BLK_F_RO		5
#define BLK_F_BLK_SIZE		6
#define BLK_F_FLUSH		9

/* Configuration layout (section 5.2.4), up to the last field offered. */
#define BLK_CFG_CAPACITY	0	/* le64, 512-byte sectors */
#define BLK_CFG_SIZE_MAX	8	/* le32 */
#define BLK_CFG_SEG_MAX		12	/* le32 */
#define BLK_CFG_BLK_SIZE	20	/* le32 */
#define BLK_CFG_LEN		24

/* Request types and status values (section 5.2.6). */
#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2

#define BLK_HDR_SIZE		16	/* le32 type, reserved; le64 sector */
#define BLK_SECTOR		512
#define BLK_ID_BYTES		20

/*
 * Limits offered to the driver. seg_max leaves room for the header and
 * the status in a chain of at most the queue size; size_max keeps one
 * descriptor's I/O to a bounded system call. Both are advisory: a
 * request beyond them is still done.
 */
#define BLK_SEG_MAX		(MVM_VIRTQ_NUM_MAX - 2)
#define BLK_SIZE_MAX		(1U << 20)

/* One piece of a request's data: guest memory checked by queue.c. */
struct span {
	uint8_t *ptr;
	uint64_t len;
};

struct blk {
	int fd;
	bool read_only;
	uint64_t capacity;		/* sectors */
	uint8_t id[BLK_ID_BYTES];	/* serial, NUL padded */

	/* The request being parsed; the device's mutex protects it. */
	struct span span[MVM_VIRTQ_NUM_MAX];
	unsigned int nspan;
	uint64_t data_len;
};

/*
 * Collect bytes [@skip, total - @drop) of buffers [@from, @to) of @req
 * into @b->span, and their count into @b->data_len. The caller made
 * sure @skip + @drop <= the buffers' total.
 */
static void collect(struct blk *b, const struct mvm_virtq_req *req,
		    unsigned int from, unsigned int to, uint64_t skip,
		    uint64_t drop)
{
	uint64_t total = 0, pos = 0, end, lo, hi;
	unsigned int i;

	for (i = from; i < to; i++)
		total += req->buf[i].len;
	end = total - drop;
	b->nspan = 0;
	b->data_len = 0;
	for (i = from; i < to; pos += req->buf[i].len, i++) {
		lo = pos > skip ? pos : skip;
		hi = pos + req->buf[i].len < end ? pos + req->buf[i].len : end;
		if (lo >= hi)
			continue;
		b->span[b->nspan].ptr = req->buf[i].ptr + (lo - pos);
		b->span[b->nspan].len = hi - lo;
		b->nspan++;
		b->data_len += hi - lo;
	}
}

/* Copy the first @len bytes of buffers [0, @to) of @req to @dst. */
static void gather(uint8_t *dst, uint64_t len, const struct mvm_virtq_req *req,
		   unsigned int to)
{
	unsigned int i;
	uint64_t n;

	for (i = 0; i < to && len; i++) {
		n = req->buf[i].len < len ? req->buf[i].len : len;
		memcpy(dst, req->buf[i].ptr, n);
		dst += n;
		len -= n;
	}
}

static int pread_full(int fd, uint8_t *p, uint64_t len, uint64_t off)
{
	ssize_t r;

	while (len) {
		r = pread(fd, p, len > (1U << 30) ? (1U << 30) : len,
			  (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;	/* the image shrank under us */
		p += r;
		len -= (uint64_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int pwrite_full(int fd, const uint8_t *p, uint64_t len, uint64_t off)
{
	ssize_t r;

	while (len) {
		r = pwrite(fd, p, len > (1U << 30) ? (1U << 30) : len,
			   (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		len -= (uint64_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* IN or OUT of the collected spans at @sector. */
static uint8_t do_rw(struct mvm_virtio_dev *d, struct blk *b, bool write,
		     uint64_t sector)
{
	uint64_t nsec, off;
	unsigned int i;
	int ret = 0;

	if (write && b->read_only) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "write to a read-only disk refused");
		return BLK_S_IOERR;
	}
	if (b->data_len % BLK_SECTOR) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "data length %llu not whole sectors",
			       (unsigned long long)b->data_len);
		return BLK_S_IOERR;
	}
	nsec = b->data_len / BLK_SECTOR;
	if (sector > b->capacity || nsec > b->capacity - sector) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "sectors %llu+%llu beyond the capacity %llu",
			       (unsigned long long)sector,
			       (unsigned long long)nsec,
			       (unsigned long long)b->capacity);
		return BLK_S_IOERR;
	}
	/* sector + nsec <= capacity <= image size / 512: no overflow. */
	off = sector * BLK_SECTOR;
	for (i = 0; i < b->nspan && !ret; i++) {
		if (write)
			ret = pwrite_full(b->fd, b->span[i].ptr,
					  b->span[i].len, off);
		else
			ret = pread_full(b->fd, b->span[i].ptr,
					 b->span[i].len, off);
		off += b->span[i].len;
	}
	if (ret) {
		mvm_virtio_log(d, MVM_LOG_ERR, "%s at sector %llu: %s",
			       write ? "pwrite" : "pread",
			       (unsigned long long)sector, strerror(-ret));
		return BLK_S_IOERR;
	}
	return BLK_S_OK;
}

static uint8_t do_flush(struct mvm_virtio_dev *d, struct blk *b)
{
	/* Nothing was written through a read-only device. */
	if (b->read_only)
		return BLK_S_OK;
	if (fdatasync(b->fd)) {
		mvm_virtio_log(d, MVM_LOG_ERR, "fdatasync: %s",
			       strerror(errno));
		return BLK_S_IOERR;
	}
	return BLK_S_OK;
}

/* The serial, NUL padded to 20 bytes, then zeros to the data's end. */
static void do_get_id(struct blk *b)
{
	uint64_t idpos = 0, n;
	unsigned int i;

	for (i = 0; i < b->nspan; i++) {
		n = 0;
		if (idpos < BLK_ID_BYTES) {
			n = BLK_ID_BYTES - idpos < b->span[i].len ?
			    BLK_ID_BYTES - idpos : b->span[i].len;
			memcpy(b->span[i].ptr, b->id + idpos, n);
			idpos += n;
		}
		memset(b->span[i].ptr + n, 0, b->span[i].len - n);
	}
}

/*
 * The status byte: the last byte of the last non-empty writable buffer,
 * or NULL when the chain has none.
 */
static uint8_t *find_status(const struct mvm_virtq_req *req,
			    unsigned int first_w)
{
	unsigned int i;

	for (i = req->nbufs; i > first_w; i--)
		if (req->buf[i - 1].writable && req->buf[i - 1].len)
			return req->buf[i - 1].ptr + req->buf[i - 1].len - 1;
	return NULL;
}

static uint32_t blk_handle(struct mvm_virtio_dev *d, void *priv,
			   unsigned int queue, const struct mvm_virtq_req *req)
{
	struct blk *b = priv;
	uint64_t rlen = 0, wlen = 0, sector;
	unsigned int i, first_w = req->nbufs;
	uint8_t hdr[BLK_HDR_SIZE], *status, st;
	uint32_t type;
	bool out_of_order = false;

	(void)queue;
	for (i = 0; i < req->nbufs; i++) {
		if (req->buf[i].writable) {
			if (first_w == req->nbufs)
				first_w = i;
			wlen += req->buf[i].len;
		} else {
			if (first_w != req->nbufs)
				out_of_order = true;
			rlen += req->buf[i].len;
		}
	}
	status = find_status(req, first_w);
	if (!status || out_of_order) {
		/* With no status byte the request cannot be answered. */
		mvm_virtio_log(d, MVM_LOG_WARNING, "request %s", status ?
			       "with a readable buffer after a writable one" :
			       "without a writable status byte");
		if (!status)
			return 0;
		*status = BLK_S_IOERR;
		return 1;
	}
	if (rlen < BLK_HDR_SIZE) {
		mvm_virtio_log(d, MVM_LOG_WARNING,
			       "request header shorter than 16 bytes");
		*status = BLK_S_IOERR;
		return 1;
	}
	gather(hdr, BLK_HDR_SIZE, req, first_w);
	type = mvm_get_le32(hdr);
	sector = mvm_get_le64(hdr + 8);

	switch (type) {
	case BLK_T_IN:
	case BLK_T_GET_ID:
		if (rlen != BLK_HDR_SIZE) {
			mvm_virtio_log(d, MVM_LOG_WARNING,
				       "type %u with device-readable data",
				       type);
			st = BLK_S_IOERR;
			break;
		}
		collect(b, req, first_w, req->nbufs, 0, 1);
		if (type == BLK_T_IN) {
			st = do_rw(d, b, false, sector);
		} else {
			do_get_id(b);
			st = BLK_S_OK;
		}
		if (st == BLK_S_OK) {
			*status = st;
			/* wlen: up to 256 buffers of < 4 GiB, and the
			 * used ring's len is 32 bits: cap it. */
			return wlen > UINT32_MAX ? UINT32_MAX : (uint32_t)wlen;
		}
		break;
	case BLK_T_OUT:
		if (wlen != 1) {
			mvm_virtio_log(d, MVM_LOG_WARNING,
				       "write with device-writable data");
			st = BLK_S_IOERR;
			break;
		}
		collect(b, req, 0, first_w, BLK_HDR_SIZE, 0);
		st = do_rw(d, b, true, sector);
		break;
	case BLK_T_FLUSH:
		st = do_flush(d, b);
		break;
	default:
		mvm_virtio_log(d, MVM_LOG_DEBUG, "request type %u unsupported",
			       type);
		st = BLK_S_UNSUPP;
		break;
	}
	*status = st;
	return 1;
}

static void blk_destroy(void *priv)
{
	struct blk *b = priv;

	close(b->fd);
	free(b);
}

#define BLK_FEATURES	(1ULL << BLK_F_SIZE_MAX | 1ULL << BLK_F_SEG_MAX | \
			 1ULL << BLK_F_BLK_SIZE | 1ULL << BLK_F_FLUSH)

static const struct mvm_virtio_dev_ops blk_ops = {
	.name = "blk",
	.device_id = MVM_VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.features = BLK_FEATURES,
	.handle = blk_handle,
	.destroy = blk_destroy,
};

static const struct mvm_virtio_dev_ops blk_ro_ops = {
	.name = "blk",
	.device_id = MVM_VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.features = BLK_FEATURES | 1ULL << BLK_F_RO,
	.handle = blk_handle,
	.destroy = blk_destroy,
};

/* The image's size: a regular file's or a block device's. */
static int image_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	return -EINVAL;
}

/* Check @cfg and make the device's private state (its own fd). */
static int blk_new(const struct mvm_virtio_blk_config *cfg, struct blk **out)
{
	struct blk *b;
	uint64_t size = 0;
	int fd, fl, ret;

	*out = NULL;
	if (cfg->serial && strnlen(cfg->serial, BLK_ID_BYTES + 1) >
	    BLK_ID_BYTES)
		return -EINVAL;
	fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		ret = -errno;
	else
		ret = image_size(fd, &size);
	/* A writable disk needs a descriptor open for writing. */
	if (!ret && !cfg->read_only && (fl & O_ACCMODE) == O_RDONLY)
		ret = -EBADF;
	if (ret) {
		close(fd);
		return ret;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	b->fd = fd;
	b->read_only = cfg->read_only;
	b->capacity = size / BLK_SECTOR;
	if (cfg->serial)
		memcpy(b->id, cfg->serial, strnlen(cfg->serial, BLK_ID_BYTES));
	*out = b;
	return 0;
}

int mvm_virtio_blk_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_blk_config *cfg,
			  struct mvm_virtio_dev **out)
{
	uint8_t config[BLK_CFG_LEN] = { 0 };
	struct blk *b = NULL;
	int ret;

	if (!env || !cfg || !out)
		return -EINVAL;
	ret = blk_new(cfg, &b);
	if (ret)
		return ret;
	mvm_put_le64(config + BLK_CFG_CAPACITY, b->capacity);
	mvm_put_le32(config + BLK_CFG_SIZE_MAX, BLK_SIZE_MAX);
	mvm_put_le32(config + BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	mvm_put_le32(config + BLK_CFG_BLK_SIZE, BLK_SECTOR);
	ret = mvm_virtio_dev_create(env, b->read_only ? &blk_ro_ops : &blk_ops,
				    b, config, sizeof(config), out);
	if (ret)
		blk_destroy(b);
	return ret;
}
