// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-rng, the entropy device (virtio 1.2, section 5.4): one request
 * queue whose device-writable buffers are filled from the host's
 * getrandom(). It has no features and no configuration space.
 *
 * At most RNG_REQ_MAX bytes go into one request (the specification lets
 * the device fill less than offered, used.len says how much): a guest
 * offering a gigabyte does not hold its vCPU, and the device, for
 * seconds. Device-readable buffers in a chain carry nothing for this
 * device and are skipped. A getrandom() failure (which only an old host
 * kernel without the system call should see) returns what was filled so
 * far, possibly nothing, and is logged.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <mvm/mvm.h>

#include "virtio_dev.h"

#define RNG_REQ_MAX	(64U * 1024)

static int fill_random(uint8_t *p, size_t len)
{
	ssize_t r;

	while (len) {
		r = getrandom(p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static uint32_t rng_handle(struct mvm_virtio_dev *d, void *priv,
			   unsigned int queue, const struct mvm_virtq_req *req)
{
	uint32_t done = 0, n;
	unsigned int i;
	int ret;

	(void)priv;
	(void)queue;
	for (i = 0; i < req->nbufs && done < RNG_REQ_MAX; i++) {
		if (!req->buf[i].writable)
			continue;
		n = req->buf[i].len < RNG_REQ_MAX - done ?
		    req->buf[i].len : RNG_REQ_MAX - done;
		ret = fill_random(req->buf[i].ptr, n);
		if (ret) {
			mvm_virtio_log(d, MVM_LOG_ERR, "getrandom: %s",
				       strerror(-ret));
			break;
		}
		done += n;
	}
	return done;
}

static const struct mvm_virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = MVM_VIRTIO_ID_RNG,
	.num_queues = 1,
	.features = 0,
	.handle = rng_handle,
	.destroy = NULL,
};

int mvm_virtio_rng_create(const struct mvm_virtio_env *env,
			  struct mvm_virtio_dev **out)
{
	return mvm_virtio_dev_create(env, &rng_ops, NULL, NULL, 0, out);
}
