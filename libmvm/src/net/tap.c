// SPDX-License-Identifier: Apache-2.0
/*
 * Tap devices (tap.h): /dev/net/tun for the device itself, libnl-3's
 * route library for everything configured over rtnetlink (looking links
 * up, MTU, up, bridge, address, deleting stale ones).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include <mvm/mvm.h>

#include "tap.h"

#define TUN_PATH	"/dev/net/tun"
/* Names tried for one automatic interface before giving up. */
#define AUTO_TRIES	100

/* A negative libnl error as the closest negative errno. */
static int nl_to_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
	case NLE_RANGE:
		return -EINVAL;
	case NLE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static struct nl_sock *nl_open(const struct mvm_logger *lg)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		mvm_log(lg, MVM_LOG_ERR, "netlink: out of memory");
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		mvm_log(lg, MVM_LOG_ERR, "netlink: cannot connect: %s",
			nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int mvm_tap_check_name(const char *what, const char *name,
		       const struct mvm_logger *lg)
{
	size_t len, i;

	if (!name || !name[0]) {
		mvm_log(lg, MVM_LOG_ERR, "empty %s name", what);
		return -EINVAL;
	}
	len = strlen(name);
	if (len > MVM_IFNAME_MAX) {
		mvm_log(lg, MVM_LOG_ERR,
			"%s name '%s' is %zu characters; Linux allows at most %d: pick a shorter one",
			what, name, len, MVM_IFNAME_MAX);
		return -EINVAL;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		mvm_log(lg, MVM_LOG_ERR, "%s name '%s' is not allowed", what,
			name);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == ':' || c == '%' || isspace(c) ||
		    !isprint(c)) {
			mvm_log(lg, MVM_LOG_ERR,
				"%s name '%s' has a character an interface name cannot have ('/', ':', '%%', white space, control)",
				what, name);
			return -EINVAL;
		}
	}
	return 0;
}

int mvm_tap_check_addr(const char *addr, const struct mvm_logger *lg)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash;
	char *end;
	long prefix;
	int af;

	slash = addr ? strchr(addr, '/') : NULL;
	if (!slash || (size_t)(slash - addr) >= INET6_ADDRSTRLEN ||
	    !slash[1])
		goto bad;
	memcpy(buf, addr, (size_t)(slash - addr));
	buf[slash - addr] = 0;
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, bin) != 1)
		goto bad;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (errno || *end || !isdigit((unsigned char)slash[1]) ||
	    prefix > (af == AF_INET ? 32 : 128))
		goto bad;
	return 0;
bad:
	mvm_log(lg, MVM_LOG_ERR,
		"host address '%s': give an IPv4 or IPv6 address with a prefix length, such as 10.0.2.1/24 or fd00::1/64",
		addr ? addr : "(null)");
	return -EINVAL;
}

/* Look @name up; Return: 0 with *@link, -ENODEV, or another errno. */
static int link_get(struct nl_sock *sk, const char *name,
		    struct rtnl_link **link)
{
	int err = rtnl_link_get_kernel(sk, 0, name, link);

	return err < 0 ? nl_to_errno(err) : 0;
}

/* The bridge @name, checked; the caller puts *@link. */
static int bridge_get(struct nl_sock *sk, const char *name,
		      struct rtnl_link **link, const struct mvm_logger *lg)
{
	const char *type;
	int ret;

	ret = link_get(sk, name, link);
	if (ret == -ENODEV) {
		mvm_log(lg, MVM_LOG_ERR,
			"bridge '%s' does not exist: create it first (ip link add %s type bridge && ip link set %s up)",
			name, name, name);
		return ret;
	}
	if (ret) {
		mvm_log(lg, MVM_LOG_ERR, "looking up bridge '%s': %s", name,
			strerror(-ret));
		return ret;
	}
	if (!rtnl_link_is_bridge(*link)) {
		type = rtnl_link_get_type(*link);
		mvm_log(lg, MVM_LOG_ERR,
			"'%s' is %s%s device, not a bridge: give the name of a bridge",
			name, type ? "a " : "another kind of",
			type ? type : "");
		rtnl_link_put(*link);
		*link = NULL;
		return -ENOTSUP;
	}
	return 0;
}

int mvm_tap_check_bridge(const char *bridge, const struct mvm_logger *lg)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	int ret;

	sk = nl_open(lg);
	if (!sk)
		return -EIO;
	ret = bridge_get(sk, bridge, &link, lg);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}

/* TUNSETIFF on a fresh /dev/net/tun fd. Return: the fd or -errno. */
static int tun_attach(const char *name)
{
	struct ifreq ifr;
	int fd, err;

	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Why TUNSETIFF failed on @name, as one line. */
static void log_attach_error(const char *name, bool exists, int err,
			     const struct mvm_logger *lg)
{
	switch (-err) {
	case EBUSY:
		mvm_log(lg, MVM_LOG_ERR,
			"tap '%s' is in use by another process: every VM needs a tap of its own, pick another name or tap=auto",
			name);
		break;
	case EPERM:
	case EACCES:
		if (exists)
			mvm_log(lg, MVM_LOG_ERR,
				"tap '%s' belongs to another user or group: use a tap created for this user (ip tuntap add %s mode tap user $USER) or run as root",
				name, name);
		else
			mvm_log(lg, MVM_LOG_ERR,
				"creating tap '%s' needs CAP_NET_ADMIN: run mvm as root, or use a persistent tap created for this user",
				name);
		break;
	case ENOENT:
	case ENODEV:
		mvm_log(lg, MVM_LOG_ERR,
			"%s: no tun/tap driver (load the tun module: modprobe tun)",
			TUN_PATH);
		break;
	case EINVAL:
		mvm_log(lg, MVM_LOG_ERR,
			"'%s' is a tun (layer 3) or multi-queue device, not a single-queue tap: pick another name or tap=auto",
			name);
		break;
	default:
		mvm_log(lg, MVM_LOG_ERR, "opening tap '%s': %s", name,
			strerror(-err));
		break;
	}
}

/*
 * Open the tap @cfg names, or create a fresh "mvm<pid>n<index>".
 * Return: the fd (t->name and t->created set) or a negative errno.
 */
static int tap_attach(struct nl_sock *sk, const struct mvm_tap_config *cfg,
		      struct mvm_tap *t, const struct mvm_logger *lg)
{
	struct rtnl_link *link = NULL;
	const char *type;
	unsigned int k;
	int fd, ret;

	if (cfg->name && cfg->name[0]) {
		snprintf(t->name, sizeof(t->name), "%s", cfg->name);
		ret = link_get(sk, t->name, &link);
		if (ret && ret != -ENODEV) {
			mvm_log(lg, MVM_LOG_ERR, "looking up '%s': %s",
				t->name, strerror(-ret));
			return ret;
		}
		if (link) {
			type = rtnl_link_get_type(link);
			if (!type || strcmp(type, "tun")) {
				mvm_log(lg, MVM_LOG_ERR,
					"'%s' already exists and is %s%s device, not a tap: pick another name or tap=auto",
					t->name, type ? "a " : "another kind of",
					type ? type : "");
				rtnl_link_put(link);
				return -EEXIST;
			}
			rtnl_link_put(link);
		}
		t->created = !link;
		fd = tun_attach(t->name);
		if (fd < 0)
			log_attach_error(t->name, !t->created, fd, lg);
		return fd == -EINVAL ? -ENOTSUP : fd;
	}

	for (k = 0; k < AUTO_TRIES; k++) {
		if (k == 0)
			snprintf(t->name, sizeof(t->name), "mvm%dn%u",
				 (int)getpid(), cfg->index);
		else
			snprintf(t->name, sizeof(t->name), "mvm%dn%u_%u",
				 (int)getpid(), cfg->index, k);
		ret = link_get(sk, t->name, &link);
		if (!ret) {
			/* Taken (by a VMM of another PID namespace). */
			rtnl_link_put(link);
			link = NULL;
			continue;
		}
		if (ret != -ENODEV) {
			mvm_log(lg, MVM_LOG_ERR, "looking up '%s': %s",
				t->name, strerror(-ret));
			return ret;
		}
		fd = tun_attach(t->name);
		if (fd == -EBUSY || fd == -EINVAL)
			continue;	/* created by someone else meanwhile */
		t->created = true;
		if (fd < 0)
			log_attach_error(t->name, false, fd, lg);
		return fd;
	}
	mvm_log(lg, MVM_LOG_ERR,
		"no free tap name mvm%dn%u*: delete stale taps (ip link show) and retry",
		(int)getpid(), cfg->index);
	return -EBUSY;
}

/* MTU, @bridge (the checked link of cfg->bridge, or NULL), address,
 * up: the rtnetlink part. */
static int tap_configure(struct nl_sock *sk, const struct mvm_tap_config *cfg,
			 struct rtnl_link *bridge, const struct mvm_tap *t,
			 const struct mvm_logger *lg)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	int ret, err;

	ret = link_get(sk, t->name, &link);
	if (ret) {
		mvm_log(lg, MVM_LOG_ERR, "tap '%s' vanished: %s", t->name,
			strerror(-ret));
		return ret;
	}
	change = rtnl_link_alloc();
	if (!change) {
		ret = -ENOMEM;
		goto out;
	}
	if (cfg->mtu)
		rtnl_link_set_mtu(change, cfg->mtu);
	if (cfg->bridge)
		rtnl_link_set_master(change, rtnl_link_get_ifindex(bridge));
	rtnl_link_set_flags(change, IFF_UP);
	/* A persistent tap already up, with nothing to change, needs no
	 * CAP_NET_ADMIN: its owner may use it as it is. */
	if (!cfg->mtu && !cfg->bridge &&
	    (rtnl_link_get_flags(link) & IFF_UP))
		err = 0;
	else
		err = rtnl_link_change(sk, link, change, 0);
	if (err == -NLE_PERM) {
		ret = -EPERM;
		mvm_log(lg, MVM_LOG_ERR,
			"configuring tap '%s' needs CAP_NET_ADMIN: run mvm as root, or have root bring the tap up (ip link set %s up) and drop mtu=, bridge= and addr=",
			t->name, t->name);
		goto out;
	}
	if (err < 0) {
		ret = nl_to_errno(err);
		mvm_log(lg, MVM_LOG_ERR,
			"configuring tap '%s' (mtu %u%s%s, up): %s", t->name,
			cfg->mtu ? cfg->mtu : rtnl_link_get_mtu(link),
			cfg->bridge ? ", bridge " : "",
			cfg->bridge ? cfg->bridge : "", nl_geterror(err));
		goto out;
	}
	if (cfg->host_addr) {
		addr = rtnl_addr_alloc();
		err = addr ? nl_addr_parse(cfg->host_addr, AF_UNSPEC, &local) :
			     -NLE_NOMEM;
		if (err >= 0) {
			rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
			err = rtnl_addr_set_local(addr, local);
		}
		if (err >= 0) {
			rtnl_addr_set_prefixlen(addr,
						nl_addr_get_prefixlen(local));
			err = rtnl_addr_add(sk, addr, 0);
		}
		/* A tap of the user's may have it from an earlier run. */
		if (err == -NLE_EXIST && !t->created)
			err = 0;
		if (err < 0) {
			ret = -err == NLE_EXIST ? -EADDRINUSE :
						  nl_to_errno(err);
			mvm_log(lg, MVM_LOG_ERR,
				"adding address %s to tap '%s': %s",
				cfg->host_addr, t->name, nl_geterror(err));
			goto out;
		}
	}
	ret = 0;
out:
	if (local)
		nl_addr_put(local);
	if (addr)
		rtnl_addr_put(addr);
	if (change)
		rtnl_link_put(change);
	rtnl_link_put(link);
	return ret;
}

int mvm_tap_open(const struct mvm_tap_config *cfg, struct mvm_tap *t,
		 const struct mvm_logger *lg)
{
	int hdr = MVM_TAP_VNET_HDR_LEN;
	struct rtnl_link *bridge = NULL;
	struct nl_sock *sk;
	int fd, ret;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!cfg || (cfg->name && cfg->name[0] &&
		     mvm_tap_check_name("tap", cfg->name, lg)) ||
	    (cfg->bridge && mvm_tap_check_name("bridge", cfg->bridge, lg)) ||
	    (cfg->host_addr && mvm_tap_check_addr(cfg->host_addr, lg)))
		return -EINVAL;
	sk = nl_open(lg);
	if (!sk)
		return -EIO;
	/* A missing bridge is found before any tap exists. */
	if (cfg->bridge) {
		ret = bridge_get(sk, cfg->bridge, &bridge, lg);
		if (ret)
			goto out;
	}
	fd = tap_attach(sk, cfg, t, lg);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		ret = -errno;
		mvm_log(lg, MVM_LOG_ERR, "tap '%s': TUNSETVNETHDRSZ: %s",
			t->name, strerror(errno));
		close(fd);
		goto out;
	}
	ret = tap_configure(sk, cfg, bridge, t, lg);
	if (ret) {
		close(fd);
		goto out;
	}
	t->fd = fd;
out:
	if (bridge)
		rtnl_link_put(bridge);
	nl_socket_free(sk);
	return ret;
}

void mvm_tap_close(struct mvm_tap *t)
{
	if (t && t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

/* The PID in an "mvm<pid>n<index>[_<k>]" name, or 0. */
static long mvm_name_pid(const char *name)
{
	unsigned int idx, k;
	char tail;
	int pid;

	if (sscanf(name, "mvm%dn%u%c", &pid, &idx, &tail) == 2 && pid > 0)
		return pid;
	if (sscanf(name, "mvm%dn%u_%u%c", &pid, &idx, &k, &tail) == 3 &&
	    pid > 0)
		return pid;
	return 0;
}

/* The number in /sys/class/net/@name/@attr (base 0), or -1. */
static long sysfs_net_attr(const char *name, const char *attr)
{
	char path[80], buf[32];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	return strtol(buf, NULL, 0);
}

/*
 * The tun flags of @link, from sysfs, or -1. Sysfs shows the network
 * namespace of whoever mounted it, which need not be ours (after
 * unshare -n without a new sysfs): an entry whose ifindex is not the
 * link's is another namespace's device, and -1.
 */
static long tun_flags(struct rtnl_link *link)
{
	const char *name = rtnl_link_get_name(link);

	if (sysfs_net_attr(name, "ifindex") != rtnl_link_get_ifindex(link))
		return -1;
	return sysfs_net_attr(name, "tun_flags");
}

int mvm_tap_reap(const struct mvm_logger *lg)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	struct nl_sock *sk;
	int deleted = 0, err;

	sk = nl_open(lg);
	if (!sk)
		return 0;
	err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err < 0) {
		mvm_log(lg, MVM_LOG_DEBUG, "listing links: %s",
			nl_geterror(err));
		nl_socket_free(sk);
		return 0;
	}
	for (obj = nl_cache_get_first(cache); obj;
	     obj = nl_cache_get_next(obj)) {
		struct rtnl_link *link = (struct rtnl_link *)obj;
		const char *name = rtnl_link_get_name(link);
		long pid, flags;

		if (!name)
			continue;
		pid = mvm_name_pid(name);
		if (!pid)
			continue;
		flags = tun_flags(link);
		/* A non-persistent tap lives exactly as long as its
		 * holder: only persistent ones can be stale, and only when
		 * no process holds them (no carrier: a VMM of another PID
		 * namespace may hold one named with its own PID). */
		if (flags < 0 || !(flags & IFF_PERSIST) ||
		    (rtnl_link_get_flags(link) & IFF_LOWER_UP))
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
			continue;
		err = rtnl_link_delete(sk, link);
		if (err < 0) {
			mvm_log(lg, MVM_LOG_DEBUG,
				"deleting stale tap '%s': %s", name,
				nl_geterror(err));
			continue;
		}
		mvm_log(lg, MVM_LOG_INFO,
			"deleted stale tap '%s' (its mvm process %ld is gone)",
			name, pid);
		deleted++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return deleted;
}

void mvm_tap_default_mac(const char *name, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char id[128] = "";
	const char *p;
	ssize_t r;
	int fd, i;

	fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		r = read(fd, id, sizeof(id) - 1);
		id[r > 0 ? r : 0] = 0;
		close(fd);
	}
	if (!id[0] && gethostname(id, sizeof(id) - 1))
		id[0] = 0;
	for (p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;	/* separator */
	for (p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	/* Locally administered, unicast. */
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}
