/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tap devices for virtio-net, configured through libnl-3 (route): internal
 * to libmvm.
 *
 * A tap is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a 12-byte
 * virtio-net header, and never made persistent: a tap mvm creates goes
 * away when its last fd closes, which the kernel does when the process
 * ends however it ends (SIGKILL included). A persistent tap that already
 * exists is used as it is and left in place.
 *
 * Names: a given name, or "mvm<pid>n<index>" (and "mvm<pid>n<index>_<k>"
 * should that be taken), so that concurrent VMs never collide.
 *
 * Errors are logged as one line naming the device and the fix, and
 * returned as negative errnos: -EINVAL a bad name or address; -ENODEV a
 * missing bridge; -ENOTSUP a bridge that is not a bridge, or a tun
 * (layer 3) device where a tap is wanted; -EEXIST the name belongs to
 * another kind of device; -EBUSY the tap is held by another process;
 * -EPERM no CAP_NET_ADMIN; -EADDRINUSE the address is already on it;
 * -EIO another netlink failure; the errno of open() or ioctl().
 * Any thread; nothing here keeps state between calls.
 */
#ifndef MVM_NET_TAP_H
#define MVM_NET_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../internal.h"

/* Longest interface name, NUL excluded. */
#define MVM_IFNAME_MAX		15

/* The virtio-net header length the tap is set to. */
#define MVM_TAP_VNET_HDR_LEN	12

struct mvm_tap_config {
	const char *name;	/* NULL or "": an "mvm<pid>n<index>" name */
	unsigned int index;	/* the interface's index in the VM */
	const char *bridge;	/* or NULL */
	const char *host_addr;	/* "addr/prefix", or NULL */
	uint32_t mtu;		/* 0: leave it */
};

struct mvm_tap {
	int fd;			/* -1 when closed */
	char name[MVM_IFNAME_MAX + 1];
	bool created;		/* mvm made it: it goes with the fd */
};

/*
 * mvm_tap_check_name() - is @name usable as an interface name (1 to 15
 * characters, none of '/', ':', '%' or white space, not "." or "..")?
 * @what: "tap" or "bridge", for the message. Return: 0 or -EINVAL.
 * Pure apart from logging.
 */
int mvm_tap_check_name(const char *what, const char *name,
		       const struct mvm_logger *lg);

/*
 * mvm_tap_check_addr() - is @addr an IPv4 or IPv6 address with a
 * prefix length ("10.0.2.1/24", "fd00::1/64")? Return: 0 or -EINVAL.
 */
int mvm_tap_check_addr(const char *addr, const struct mvm_logger *lg);

/*
 * mvm_tap_check_bridge() - does @bridge exist, and is it a bridge?
 * Return: 0; -ENODEV; -ENOTSUP; -EIO when netlink fails.
 */
int mvm_tap_check_bridge(const char *bridge, const struct mvm_logger *lg);

/*
 * mvm_tap_open() - open or create the tap of @cfg, then set its MTU,
 * attach it to the bridge, add the address and bring it up. On failure
 * nothing is left: a tap created here is gone (its fd closed).
 * Return: 0 with @t filled; a negative errno (see the top).
 */
int mvm_tap_open(const struct mvm_tap_config *cfg, struct mvm_tap *t,
		 const struct mvm_logger *lg);

/* mvm_tap_close() - close @t's fd (a tap mvm created goes with it). */
void mvm_tap_close(struct mvm_tap *t);

/*
 * mvm_tap_reap() - delete the persistent taps named like mvm's whose
 * process is gone (left by something that made them persistent; mvm
 * itself never does). Logs each at MVM_LOG_INFO. Best effort: failures
 * are logged at MVM_LOG_DEBUG. Return: how many were deleted.
 */
int mvm_tap_reap(const struct mvm_logger *lg);

/*
 * mvm_tap_default_mac() - a locally administered unicast MAC address
 * for the guest side of tap @name: a hash of the host's machine-id
 * (/etc/machine-id, else the host name) and @name. Pure apart from
 * reading those.
 */
void mvm_tap_default_mac(const char *name, uint8_t mac[6]);

#endif /* MVM_NET_TAP_H */
