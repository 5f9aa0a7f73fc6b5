/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio over MMIO: internal to libmvm, never installed, nothing here is
 * exported from libmvm.so.
 *
 * One transport (mmio.c: the virtio-mmio version 2 register block of the
 * virtio 1.2 specification, section 4.2.2, and the split virtqueues of
 * section 2.7 in queue.c) and the device models behind it, one file each
 * (blk.c, rng.c). A device model fills one struct of operations; the VMM
 * sees only struct mvm_virtio_dev: it routes MMIO exits in the device's
 * window to mvm_virtio_mmio_read()/write() and announces the device to
 * the guest on the kernel command line as
 *   virtio_mmio.device=<MVM_VIRTIO_MMIO_SIZE>@<base>:<gsi>
 *
 * The guest is hostile: every descriptor address and length is checked
 * against guest memory with overflow-safe arithmetic, chains are bounded
 * by the queue size (a loop is an error, not a hang), and a malformed
 * request gets a device error status (or the device marks itself
 * DEVICE_NEEDS_RESET) instead of crashing or corrupting the host.
 *
 * Interrupts: the transport raises its line (struct mvm_irq_line, level
 * 1) when it sets a bit of InterruptStatus while the line is low, and
 * lowers it when the guest's InterruptACK clears the last bit; wired to
 * an edge-triggered IOAPIC pin, each raise is one interrupt.
 *
 * Threading: each device has a mutex taken by every call below, so vCPU
 * threads may access it concurrently. Callbacks (IRQ line, log) are
 * called with it held and must not call back into the device.
 *
 * Errnos: -EINVAL bad argument (NULL, a length other than 1, 2 or 4 for
 * registers); -ERANGE an offset outside the window; -ENOMEM; others as
 * documented per function.
 */
#ifndef MVM_VIRTIO_H
#define MVM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../devices/pio.h"	/* struct mvm_irq_line */
#include "../loader/loader.h"	/* struct mvm_guest_mem */

/* Size of one device's MMIO window (config space included). */
#define MVM_VIRTIO_MMIO_SIZE	0x200

struct mvm_virtio_dev;

/*
 * What every device is given.
 * @mem:        guest memory; must outlive the device.
 * @irq:        its interrupt line.
 * @log:        where device errors are reported (a guest's bad request,
 *              a host I/O error), or NULL; @level is an enum
 *              mvm_log_level of <mvm/mvm.h>.
 * @log_opaque: passed to @log.
 */
struct mvm_virtio_env {
	const struct mvm_guest_mem *mem;
	struct mvm_irq_line irq;
	void (*log)(void *opaque, int level, const char *msg);
	void *log_opaque;
};

/*
 * A block device backed by a raw image.
 * @fd:        open on the image (O_RDONLY is enough when @read_only);
 *             the device dups it, the caller keeps its own.
 * @read_only: offer VIRTIO_BLK_F_RO and fail writes with IOERR.
 * @serial:    up to 20 bytes returned by VIRTIO_BLK_T_GET_ID, or NULL.
 *
 * The capacity is the image's size in 512-byte sectors (a partial last
 * sector is not exposed); flush is fdatasync().
 */
struct mvm_virtio_blk_config {
	int fd;
	bool read_only;
	const char *serial;
};

/*
 * A network interface backed by a tap device (or, for tests, any fd on
 * which one read() returns one frame and one write() sends one: a
 * SOCK_SEQPACKET socket). Each frame on @fd is preceded by the 12-byte
 * virtio-net header (the tap has IFF_VNET_HDR and TUNSETVNETHDRSZ 12).
 * @fd:           the device dups it, and the caller keeps its own; the
 *                open file becomes non-blocking (a flag the two fds
 *                share), and must stay so.
 * @mac:          the guest's MAC address (VIRTIO_NET_F_MAC).
 * @mtu:          offered with VIRTIO_NET_F_MTU when not 0.
 * @rate_bytes, @rate_packets: token buckets per direction (0: none).
 *
 * Checksum and segmentation offloads towards the guest are offered only
 * when the fd takes TUNSETOFFLOAD (a tap); towards the host they always
 * are (a tap with a vnet header accepts them).
 */
struct mvm_virtio_net_config {
	int fd;
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t rate_bytes;
	uint64_t rate_packets;
};

/*
 * mvm_virtio_net_create() - a virtio-net device with its own thread
 * (started here, every signal blocked; it idles until the driver is
 * ready).
 * @notify_fd: receives an eventfd of the device's, valid until
 *             mvm_virtio_destroy(): a write to it has the effect of a
 *             QueueNotify of either queue, so the VMM can register it
 *             as an ioeventfd on the QueueNotify register (datamatch 0
 *             and 1). NULL when not wanted.
 * Return: 0; -EINVAL; -ENOMEM; the errno of dup(), eventfd(),
 * timerfd_create() or pthread_create().
 */
int mvm_virtio_net_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_net_config *cfg,
			  struct mvm_virtio_dev **out, int *notify_fd);

/*
 * mvm_virtio_blk_create() / mvm_virtio_rng_create() - a device at reset.
 * Return: 0; -EINVAL; -ENOMEM; -EBADF or another errno of fstat()/dup()
 * for a bad @cfg->fd.
 */
int mvm_virtio_blk_create(const struct mvm_virtio_env *env,
			  const struct mvm_virtio_blk_config *cfg,
			  struct mvm_virtio_dev **out);
int mvm_virtio_rng_create(const struct mvm_virtio_env *env,
			  struct mvm_virtio_dev **out);

/* mvm_virtio_destroy() - free a device (NULL is ignored). */
void mvm_virtio_destroy(struct mvm_virtio_dev *d);

/*
 * mvm_virtio_mmio_read() / mvm_virtio_mmio_write() - a guest access at
 * @off in the device's window. @data holds @len bytes, little-endian.
 * Registers take 4-byte accesses; the config space any width.
 * A guest access the specification forbids (a read-only register
 * written, a bad width) reads 0 / is ignored and returns 0: it is the
 * guest's problem, not the VMM's.
 * Return: 0; -EINVAL; -ERANGE.
 */
int mvm_virtio_mmio_read(struct mvm_virtio_dev *d, uint64_t off,
			 uint8_t *data, unsigned int len);
int mvm_virtio_mmio_write(struct mvm_virtio_dev *d, uint64_t off,
			  const uint8_t *data, unsigned int len);

/*
 * mvm_virtio_notify() - the guest notified queue @queue (what a write of
 * @queue to QueueNotify does; for an ioeventfd that took that write).
 * Return: 0; -EINVAL for a queue the device does not have.
 */
int mvm_virtio_notify(struct mvm_virtio_dev *d, uint32_t queue);

#endif /* MVM_VIRTIO_H */
