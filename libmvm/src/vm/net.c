// SPDX-License-Identifier: Apache-2.0
/*
 * A VM's network interfaces: the checks of struct mvm_vm_net, and for
 * each interface its tap (net/tap.c) and its virtio-net device
 * (virtio/net.c), whose queue notifications go to the device's thread
 * through an ioeventfd without leaving the kernel.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../net/ratelimit.h"
#include "vm_priv.h"

/* Stale taps are reaped at the first interface this process creates. */
static atomic_flag reaped = ATOMIC_FLAG_INIT;

/* The virtio-mmio QueueNotify register (virtio 1.2, section 4.2.2). */
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x50

int vm_net_check(const struct mvm_vm_net *n, unsigned int i,
		 const struct mvm_logger *lg)
{
	char what[32];

	snprintf(what, sizeof(what), "interface %u's tap", i);
	if (n->tap && n->tap[0] && mvm_tap_check_name(what, n->tap, lg))
		return -EINVAL;
	snprintf(what, sizeof(what), "interface %u's bridge", i);
	if (n->bridge && mvm_tap_check_name(what, n->bridge, lg))
		return -EINVAL;
	if (n->host_addr && mvm_tap_check_addr(n->host_addr, lg))
		return -EINVAL;
	if (n->mtu && (n->mtu < 68 || n->mtu > 65521)) {
		mvm_log(lg, MVM_LOG_ERR,
			"interface %u: MTU %u: must be 68 to 65521, a tap's most (or 0 to keep the tap's)",
			i, n->mtu);
		return -EINVAL;
	}
	if ((n->flags & ~MVM_VM_NET_MAC) || n->reserved0[0] ||
	    n->reserved0[1] || n->reserved[0] || n->reserved[1] ||
	    n->reserved[2] || n->reserved[3]) {
		mvm_log(lg, MVM_LOG_ERR,
			"interface %u: unknown flags or non-zero reserved fields",
			i);
		return -EINVAL;
	}
	if ((n->flags & MVM_VM_NET_MAC) &&
	    ((n->mac[0] & 1) || !(n->mac[0] | n->mac[1] | n->mac[2] |
				  n->mac[3] | n->mac[4] | n->mac[5]))) {
		mvm_log(lg, MVM_LOG_ERR,
			"interface %u: MAC %02x:%02x:%02x:%02x:%02x:%02x is not a unicast address: clear the lowest bit of the first byte",
			i, n->mac[0], n->mac[1], n->mac[2], n->mac[3],
			n->mac[4], n->mac[5]);
		return -EINVAL;
	}
	if (n->rate_bytes > MVM_TB_RATE_MAX ||
	    n->rate_packets > MVM_TB_RATE_MAX) {
		mvm_log(lg, MVM_LOG_ERR,
			"interface %u: rate limit above %llu a second: use 0 for no limit",
			i, (unsigned long long)MVM_TB_RATE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Kicks of either queue wake the device's thread in the kernel. */
static void add_notify_ioeventfds(struct mvm_vm *vm, uint64_t base, int fd)
{
	struct mvm_ioeventfd io = {
		.addr = base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = fd,
		.flags = MVM_IOEVENTFD_DATAMATCH,
	};
	unsigned int q;

	for (q = 0; q < 2; q++) {
		io.datamatch = q;
		/* Without it the kick exits to the vCPU thread, which
		 * wakes the device the same way: slower, not wrong. */
		if (ioctl(vm->vm_fd, MVM_IOEVENTFD, &io))
			vm_log(vm, MVM_LOG_DEBUG,
			       "ioeventfd for queue %u at 0x%llx: %s", q,
			       (unsigned long long)io.addr, strerror(errno));
	}
}

int vm_net_create(struct mvm_vm *vm, const struct mvm_vm_net *n,
		  unsigned int i, const struct mvm_virtio_env *env,
		  uint64_t base, struct mvm_virtio_dev **out)
{
	struct mvm_tap_config tc = {
		.name = n->tap,
		.index = i,
		.bridge = n->bridge,
		.host_addr = n->host_addr,
		.mtu = n->mtu,
	};
	struct mvm_virtio_net_config nc = {
		.mtu = (uint16_t)n->mtu,
		.rate_bytes = n->rate_bytes,
		.rate_packets = n->rate_packets,
	};
	struct mvm_tap *t = &vm->taps[vm->nr_taps];
	int ret, notify_fd = -1;

	/* Persistent taps left by VMMs that are gone go first: once per
	 * process (it lists every link, and a platform creating many VMs
	 * need not pay that on each). */
	if (!atomic_flag_test_and_set(&reaped))
		mvm_tap_reap(&vm->lg);
	ret = mvm_tap_open(&tc, t, &vm->lg);
	if (ret)
		return ret;
	vm->nr_taps++;
	if (n->flags & MVM_VM_NET_MAC)
		memcpy(nc.mac, n->mac, sizeof(nc.mac));
	else
		mvm_tap_default_mac(t->name, nc.mac);
	nc.fd = t->fd;
	ret = mvm_virtio_net_create(env, &nc, out, &notify_fd);
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "creating virtio-net on tap '%s': %s",
		       t->name, strerror(-ret));
		return ret;
	}
	add_notify_ioeventfds(vm, base, notify_fd);
	vm_log(vm, MVM_LOG_INFO,
	       "eth%u: tap %s%s%s, MAC %02x:%02x:%02x:%02x:%02x:%02x", i,
	       t->name, n->bridge ? " on bridge " : "",
	       n->bridge ? n->bridge : "", nc.mac[0], nc.mac[1], nc.mac[2],
	       nc.mac[3], nc.mac[4], nc.mac[5]);
	return 0;
}

void vm_net_close_taps(struct mvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_taps; i++)
		mvm_tap_close(&vm->taps[i]);
	vm->nr_taps = 0;
}
