// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the tap devices of virtio-net (src/net/tap.c).
 *
 * The name and address checks and the default MAC are pure and run
 * anywhere. Everything else needs root and /dev/net/tun (it SKIPs,
 * saying why, without them) and runs in a network namespace of its own,
 * made in the harness's forked child, with sysfs mounted again in a
 * private mount namespace so that /sys/class/net shows that namespace's
 * interfaces (and not the host's): the tests see, create and delete
 * only their own interfaces, and whatever they leave goes with the
 * namespace.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "kselftest_harness.h"
#include "net/tap.h"
#include "virtio_driver.h"

#define WAIT_MS		5000
#define HDR_LEN_T	MVM_TAP_VNET_HDR_LEN

/* ---- log capture ---------------------------------------------------- */

struct cap {
	char buf[8192];
	size_t len;
	unsigned int lines;
};

static void cap_fn(void *opaque, int level, const char *msg)
{
	struct cap *c = opaque;
	size_t len = strlen(msg);

	(void)level;
	c->lines++;
	if (c->len + len + 2 < sizeof(c->buf)) {
		memcpy(c->buf + c->len, msg, len);
		c->len += len;
		c->buf[c->len++] = '\n';
		c->buf[c->len] = 0;
	}
}

static void cap_clear(struct cap *c)
{
	c->len = 0;
	c->lines = 0;
	c->buf[0] = 0;
}

static bool logged(const struct cap *c, const char *what)
{
	return strstr(c->buf, what) != NULL;
}

/* ---- the pure checks --------------------------------------------------- */

TEST(check_name)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "a:b", "a%d", "a b", "a\tb", " a",
		"a\nb", "\x01tap", "a\x7f",
		"0123456789abcdef",		/* 16 */
		"0123456789abcdefghij",
	};
	static const char *const good[] = {
		"t", "tap0", "mvm123n0", "...", ".a", "a.b", "br-lan_0",
		"0123456789abcde",		/* 15 */
	};
	struct cap cap = { 0 };
	struct mvm_logger lg = { cap_fn, &cap };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cap_clear(&cap);
		EXPECT_EQ(-EINVAL, mvm_tap_check_name("tap", bad[i], &lg)) {
			TH_LOG("'%s' accepted", bad[i]);
		}
		EXPECT_EQ(1, cap.lines);
		EXPECT_TRUE(logged(&cap, "tap")) {
			TH_LOG("'%s': %s", bad[i], cap.buf);
		}
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cap_clear(&cap);
		EXPECT_EQ(0, mvm_tap_check_name("tap", good[i], &lg)) {
			TH_LOG("'%s' refused: %s", good[i], cap.buf);
		}
		EXPECT_EQ(0, cap.lines);
	}
	EXPECT_EQ(-EINVAL, mvm_tap_check_name("tap", NULL, &lg));
	EXPECT_EQ(-EINVAL, mvm_tap_check_name("tap", "", NULL));

	/* The messages say what is wrong, and with what. */
	cap_clear(&cap);
	mvm_tap_check_name("bridge", "0123456789abcdef", &lg);
	EXPECT_TRUE(logged(&cap, "bridge name '0123456789abcdef'"));
	EXPECT_TRUE(logged(&cap, "16 characters"));
	EXPECT_TRUE(logged(&cap, "at most 15"));
	cap_clear(&cap);
	mvm_tap_check_name("tap", "a/b", &lg);
	EXPECT_TRUE(logged(&cap, "tap name 'a/b'"));
	EXPECT_TRUE(logged(&cap, "character"));
	cap_clear(&cap);
	mvm_tap_check_name("tap", "..", &lg);
	EXPECT_TRUE(logged(&cap, "'..' is not allowed"));
	cap_clear(&cap);
	mvm_tap_check_name("tap", "", &lg);
	EXPECT_TRUE(logged(&cap, "empty tap name"));
}

TEST(check_addr)
{
	static const char *const bad[] = {
		"", "10.0.2.1", "10.0.2.1/", "/24", "10.0.2.1/33",
		"10.0.2.1/-1", "10.0.2.1/+24", "10.0.2.1/ 24", "10.0.2.1/24x",
		"10.0.2.1/99999999999999999999", "10.0.2.256/24",
		"10.0.2/24", "host/24", "fd00::1/129", "fd00::g/64",
		"fd00::1", "10.0.2.1/24/1",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/64",
	};
	static const char *const good[] = {
		"10.0.2.1/24", "10.0.2.1/32", "0.0.0.0/0", "192.168.1.1/16",
		"fd00::1/64", "::1/128", "::/0", "fe80::1/10",
		"::ffff:10.0.2.1/96",
	};
	struct cap cap = { 0 };
	struct mvm_logger lg = { cap_fn, &cap };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cap_clear(&cap);
		EXPECT_EQ(-EINVAL, mvm_tap_check_addr(bad[i], &lg)) {
			TH_LOG("'%s' accepted", bad[i]);
		}
		EXPECT_TRUE(logged(&cap, bad[i])) {
			TH_LOG("'%s' not named in: %s", bad[i], cap.buf);
		}
		EXPECT_TRUE(logged(&cap, "prefix length"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cap_clear(&cap);
		EXPECT_EQ(0, mvm_tap_check_addr(good[i], &lg)) {
			TH_LOG("'%s' refused: %s", good[i], cap.buf);
		}
		EXPECT_EQ(0, cap.lines);
	}
	cap_clear(&cap);
	EXPECT_EQ(-EINVAL, mvm_tap_check_addr(NULL, &lg));
	EXPECT_EQ(1, cap.lines);
}

TEST(default_mac)
{
	static const char *const names[] = {
		"mvm1n0", "mvm1n1", "mvm2n0", "tap0", "tap1", "a", "b",
		"mvm4194303n9_99",
	};
	uint8_t m[8][6], again[6];
	unsigned int i, j;

	for (i = 0; i < 8; i++) {
		mvm_tap_default_mac(names[i], m[i]);
		/* Locally administered, unicast. */
		EXPECT_EQ(0x02, m[i][0] & 0x03) {
			TH_LOG("%s: first byte %#x", names[i], m[i][0]);
		}
		mvm_tap_default_mac(names[i], again);
		EXPECT_EQ(0, memcmp(m[i], again, 6));
		for (j = 0; j < i; j++)
			EXPECT_NE(0, memcmp(m[i], m[j], 6)) {
				TH_LOG("%s and %s share a MAC", names[i],
				       names[j]);
			}
	}
}

/* ---- a namespace of one's own ----------------------------------------- */

FIXTURE(tap) {
	struct cap cap;
	struct mvm_logger lg;
	bool ok;
};

FIXTURE_SETUP(tap)
{
	self->lg = (struct mvm_logger){ cap_fn, &self->cap };
	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)");
	if (access("/dev/net/tun", R_OK | W_OK))
		SKIP(return, "no /dev/net/tun: %s", strerror(errno));
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		SKIP(return, "unshare(CLONE_NEWNET | CLONE_NEWNS): %s",
		     strerror(errno));
	/* /sys/class/net of the new namespace: sysfs again, privately. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		SKIP(return, "cannot mount sysfs in a mount namespace: %s",
		     strerror(errno));
	ASSERT_EQ(0, access("/sys/class/net/lo", F_OK));
	self->ok = true;
}

FIXTURE_TEARDOWN(tap)
{
	if (!_metadata->passed && self->cap.len)
		fprintf(stderr, "# log:\n# %s", self->cap.buf);
}

/* SKIPped in the setup: the harness still runs the test. */
#define NEED_NETNS() do { if (!self->ok) return; } while (0)

static bool iface_exists(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) == 0;
}

/* A number in /sys/class/net/@name/@attr (decimal or 0x), or -1. */
static long sys_num(const char *name, const char *attr)
{
	char path[128], buf[64];
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

/* The interfaces of the namespace, sorted, as "a,b,c,". */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void iface_list(char *out, size_t size)
{
	char *names[256];
	unsigned int n = 0, i;
	struct dirent *e;
	DIR *d = opendir("/sys/class/net");

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && n < 256)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		strncat(out, names[i], size - strlen(out) - 1);
		strncat(out, ",", size - strlen(out) - 1);
		free(names[i]);
	}
}

/* A tap (or tun) of our own: held (the fd) or made persistent (0). */
static int make_tun(const char *name, short flags, bool persist)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (persist && ioctl(fd, TUNSETPERSIST, 1) < 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!persist)
		return fd;
	close(fd);
	return 0;
}

static int add_bridge(const char *name)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_bridge_add(sk, name);
	nl_socket_free(sk);
	return err;
}

/* Is @addr/@prefix on @name (getifaddrs, this namespace)? */
static bool has_addr(const char *name, const char *addr, int prefix)
{
	struct ifaddrs *ifa, *i;
	char buf[INET6_ADDRSTRLEN];
	bool found = false;
	int bits, k;

	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const uint8_t *m;
		size_t mlen;

		if (!i->ifa_addr || strcmp(i->ifa_name, name))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *a = (void *)i->ifa_addr;
			const struct sockaddr_in *nm = (void *)i->ifa_netmask;

			inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
			m = (const uint8_t *)&nm->sin_addr;
			mlen = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (void *)i->ifa_addr;
			const struct sockaddr_in6 *nm = (void *)i->ifa_netmask;

			inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
			m = (const uint8_t *)&nm->sin6_addr;
			mlen = 16;
		} else {
			continue;
		}
		for (bits = 0, k = 0; k < (int)mlen; k++)
			bits += __builtin_popcount(m[k]);
		found = !strcmp(buf, addr) && bits == prefix;
	}
	freeifaddrs(ifa);
	return found;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An interface goes away when its last fd closes: wait for it. */
static bool wait_gone(const char *name)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (iface_exists(name)) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* ---- opening taps ---------------------------------------------------- */

TEST_F(tap, open_auto)
{
	struct mvm_tap_config cfg = {
		.name = NULL, .index = 0, .mtu = 1400,
		.host_addr = "10.99.0.1/24",
	};
	struct mvm_tap t;
	char want[32];
	long tf;
	int hdr = 0;

	NEED_NETNS();
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	snprintf(want, sizeof(want), "mvm%dn0", (int)getpid());
	EXPECT_STREQ(want, t.name);
	EXPECT_TRUE(t.created);
	ASSERT_LE(0, t.fd);
	EXPECT_TRUE(iface_exists(want));
	EXPECT_TRUE(sys_num(want, "flags") & IFF_UP);
	EXPECT_EQ(1400, sys_num(want, "mtu"));
	EXPECT_TRUE(has_addr(want, "10.99.0.1", 24));
	/* A tap with the 12-byte virtio-net header, not persistent. */
	tf = sys_num(want, "tun_flags");
	EXPECT_EQ(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
		  tf & (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
			IFF_PERSIST | IFF_MULTI_QUEUE));
	ASSERT_EQ(0, ioctl(t.fd, TUNGETVNETHDRSZ, &hdr));
	EXPECT_EQ(MVM_TAP_VNET_HDR_LEN, hdr);
	/* Not inherited by the VMM's children. */
	EXPECT_TRUE(fcntl(t.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, self->cap.lines);

	mvm_tap_close(&t);
	EXPECT_EQ(-1, t.fd);
	EXPECT_TRUE(wait_gone(want));
	mvm_tap_close(&t);		/* twice is harmless */

	/* No MTU asked: the tap keeps its own (1500). */
	cfg.mtu = 0;
	cfg.host_addr = NULL;
	cfg.index = 3;
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	snprintf(want, sizeof(want), "mvm%dn3", (int)getpid());
	EXPECT_STREQ(want, t.name);
	EXPECT_EQ(1500, sys_num(want, "mtu"));
	EXPECT_TRUE(sys_num(want, "flags") & IFF_UP);
	mvm_tap_close(&t);
	EXPECT_TRUE(wait_gone(want));
}

TEST_F(tap, auto_name_taken)
{
	struct mvm_tap_config cfg = { .index = 5 };
	struct mvm_tap t;
	char taken[32], want[32];
	int fd;

	NEED_NETNS();
	snprintf(taken, sizeof(taken), "mvm%dn5", (int)getpid());
	fd = make_tun(taken, IFF_TAP | IFF_NO_PI, false);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	snprintf(want, sizeof(want), "mvm%dn5_1", (int)getpid());
	EXPECT_STREQ(want, t.name);
	EXPECT_TRUE(t.created);
	EXPECT_TRUE(iface_exists(taken));
	EXPECT_EQ(0, sys_num(taken, "flags") & IFF_UP);	/* untouched */
	mvm_tap_close(&t);
	EXPECT_TRUE(wait_gone(want));
	EXPECT_TRUE(iface_exists(taken));
	close(fd);
}

TEST_F(tap, named_and_bridged)
{
	struct mvm_tap_config cfg = {
		.name = "mvmtest0", .bridge = "br0", .mtu = 1500,
	};
	struct mvm_tap t;
	char link[256];
	ssize_t r;

	NEED_NETNS();
	ASSERT_EQ(0, add_bridge("br0"));
	ASSERT_EQ(0, mvm_tap_check_bridge("br0", &self->lg));
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg)) {
		TH_LOG("%s", self->cap.buf);
	}
	EXPECT_STREQ("mvmtest0", t.name);
	EXPECT_TRUE(t.created);
	r = readlink("/sys/class/net/mvmtest0/master", link, sizeof(link) - 1);
	ASSERT_LT(0, r);
	link[r] = 0;
	EXPECT_STREQ("br0", strrchr(link, '/') ? strrchr(link, '/') + 1 :
						  link);
	EXPECT_TRUE(sys_num("mvmtest0", "flags") & IFF_UP);
	mvm_tap_close(&t);
	EXPECT_TRUE(wait_gone("mvmtest0"));
	EXPECT_TRUE(iface_exists("br0"));
}

TEST_F(tap, missing_bridge)
{
	struct mvm_tap_config cfg = { .bridge = "nobr0", .mtu = 1400 };
	struct mvm_tap t;
	char before[1024], after[1024];

	NEED_NETNS();
	iface_list(before, sizeof(before));
	EXPECT_EQ(-ENODEV, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_EQ(-1, t.fd);
	EXPECT_TRUE(logged(&self->cap, "bridge 'nobr0' does not exist"));
	iface_list(after, sizeof(after));
	EXPECT_STREQ(before, after);
	/* A named tap: not created either. */
	cfg.name = "mvmtest1";
	EXPECT_EQ(-ENODEV, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_FALSE(iface_exists("mvmtest1"));
	iface_list(after, sizeof(after));
	EXPECT_STREQ(before, after);
	cap_clear(&self->cap);
	EXPECT_EQ(-ENODEV, mvm_tap_check_bridge("nobr0", &self->lg));
	EXPECT_TRUE(logged(&self->cap, "nobr0"));
}

TEST_F(tap, not_a_bridge)
{
	struct mvm_tap_config cfg = { .bridge = "lo" };
	struct mvm_tap t;
	char before[1024], after[1024];

	NEED_NETNS();
	ASSERT_EQ(0, make_tun("plain0", IFF_TAP | IFF_NO_PI, true));
	iface_list(before, sizeof(before));
	EXPECT_EQ(-ENOTSUP, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_TRUE(logged(&self->cap, "'lo'"));
	EXPECT_TRUE(logged(&self->cap, "not a bridge"));
	cap_clear(&self->cap);
	cfg.bridge = "plain0";
	EXPECT_EQ(-ENOTSUP, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_TRUE(logged(&self->cap, "'plain0'"));
	EXPECT_TRUE(logged(&self->cap, "not a bridge"));
	EXPECT_EQ(-ENOTSUP, mvm_tap_check_bridge("plain0", &self->lg));
	iface_list(after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_F(tap, held_elsewhere_busy)
{
	struct mvm_tap_config cfg = {
		.name = "busy0", .mtu = 1280, .host_addr = "10.98.0.1/24",
	};
	struct mvm_tap t;
	struct ifreq ifr;
	long flags, mtu, tf;
	int fd;

	NEED_NETNS();
	fd = make_tun("busy0", IFF_TAP | IFF_NO_PI, false);
	ASSERT_LE(0, fd);
	flags = sys_num("busy0", "flags");
	mtu = sys_num("busy0", "mtu");
	tf = sys_num("busy0", "tun_flags");
	EXPECT_EQ(-EBUSY, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_EQ(-1, t.fd);
	EXPECT_TRUE(logged(&self->cap, "tap 'busy0' is in use"));
	/* Nothing changed: not up, same MTU and flags, no address... */
	EXPECT_EQ(flags, sys_num("busy0", "flags"));
	EXPECT_EQ(mtu, sys_num("busy0", "mtu"));
	EXPECT_EQ(tf, sys_num("busy0", "tun_flags"));
	EXPECT_FALSE(has_addr("busy0", "10.98.0.1", 24));
	/* ...and it is still ours. */
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(fd, TUNGETIFF, &ifr));
	EXPECT_STREQ("busy0", ifr.ifr_name);
	close(fd);
	EXPECT_TRUE(wait_gone("busy0"));
}

TEST_F(tap, exists_not_a_tap)
{
	struct mvm_tap_config cfg = { .name = "lo", .mtu = 1400 };
	struct mvm_tap t;
	long mtu = sys_num("lo", "mtu");

	NEED_NETNS();
	EXPECT_EQ(-EEXIST, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_EQ(-1, t.fd);
	EXPECT_TRUE(logged(&self->cap, "'lo' already exists"));
	EXPECT_TRUE(logged(&self->cap, "not a tap"));
	EXPECT_EQ(mtu, sys_num("lo", "mtu"));
	cap_clear(&self->cap);
	ASSERT_EQ(0, add_bridge("br1"));
	cfg.name = "br1";
	EXPECT_EQ(-EEXIST, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_TRUE(logged(&self->cap, "'br1' already exists and is a bridge"));
}

/* tap.h: "-ENOTSUP ... a tun (layer 3) device where a tap is wanted". */
TEST_F(tap, tun_not_a_tap)
{
	struct mvm_tap_config cfg = { .name = "l3tun0" };
	struct mvm_tap t;

	NEED_NETNS();
	ASSERT_EQ(0, make_tun("l3tun0", IFF_TUN | IFF_NO_PI, true));
	EXPECT_EQ(-ENOTSUP, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_EQ(-1, t.fd);
	EXPECT_TRUE(logged(&self->cap, "'l3tun0' is a tun (layer 3)"));
	EXPECT_TRUE(iface_exists("l3tun0"));
}

TEST_F(tap, persistent_used_and_kept)
{
	struct mvm_tap_config cfg = {
		.name = "ptap0", .mtu = 1300, .host_addr = "10.97.0.1/24",
	};
	struct mvm_tap t;

	NEED_NETNS();
	ASSERT_EQ(0, make_tun("ptap0", IFF_TAP | IFF_NO_PI, true));
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg)) {
		TH_LOG("%s", self->cap.buf);
	}
	EXPECT_FALSE(t.created);
	EXPECT_EQ(1300, sys_num("ptap0", "mtu"));
	EXPECT_TRUE(sys_num("ptap0", "flags") & IFF_UP);
	EXPECT_TRUE(has_addr("ptap0", "10.97.0.1", 24));
	EXPECT_TRUE(sys_num("ptap0", "tun_flags") & IFF_VNET_HDR);
	mvm_tap_close(&t);
	EXPECT_TRUE(iface_exists("ptap0"));	/* left in place */
	/* The same configuration again (an earlier run left the address
	 * on the user's tap): fine. */
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg)) {
		TH_LOG("%s", self->cap.buf);
	}
	EXPECT_TRUE(has_addr("ptap0", "10.97.0.1", 24));
	mvm_tap_close(&t);
	EXPECT_TRUE(iface_exists("ptap0"));
}

TEST_F(tap, failure_leaves_nothing)
{
	/* Above a tap's largest MTU (65535 - 14): the kernel refuses. */
	struct mvm_tap_config cfg = { .mtu = 65535 };
	struct mvm_tap t;
	char before[1024], after[1024], name[32];

	NEED_NETNS();
	iface_list(before, sizeof(before));
	EXPECT_GT(0, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_EQ(-1, t.fd);
	snprintf(name, sizeof(name), "'mvm%dn0'", (int)getpid());
	EXPECT_TRUE(logged(&self->cap, name));
	name[strlen(name) - 1] = 0;
	EXPECT_TRUE(wait_gone(name + 1));
	iface_list(after, sizeof(after));
	EXPECT_STREQ(before, after);
	/* An address the kernel refuses (multicast), on a named tap. */
	cap_clear(&self->cap);
	cfg = (struct mvm_tap_config){ .name = "mvmtest2",
				       .host_addr = "ff02::1/64" };
	EXPECT_GT(0, mvm_tap_open(&cfg, &t, &self->lg));
	EXPECT_TRUE(logged(&self->cap, "mvmtest2"));
	EXPECT_TRUE(wait_gone("mvmtest2"));
	iface_list(after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_F(tap, reap)
{
	char dead_n0[32], dead_n1[32], dead_held[32], alive[32], msg[96];
	pid_t dead;
	int held;

	NEED_NETNS();
	dead = fork();
	ASSERT_LE(0, dead);
	if (!dead)
		_exit(0);
	ASSERT_EQ(dead, waitpid(dead, NULL, 0));
	ASSERT_EQ(-1, kill(dead, 0));

	snprintf(dead_n0, sizeof(dead_n0), "mvm%dn0", (int)dead);
	snprintf(dead_n1, sizeof(dead_n1), "mvm%dn1_2", (int)dead);
	snprintf(dead_held, sizeof(dead_held), "mvm%dn3", (int)dead);
	snprintf(alive, sizeof(alive), "mvm%dn0", (int)getpid());
	ASSERT_EQ(0, make_tun(dead_n0, IFF_TAP | IFF_NO_PI, true));
	ASSERT_EQ(0, make_tun(dead_n1, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
			      true));
	ASSERT_EQ(0, make_tun(alive, IFF_TAP | IFF_NO_PI, true));
	ASSERT_EQ(0, make_tun("keepme0", IFF_TAP | IFF_NO_PI, true));
	held = make_tun(dead_held, IFF_TAP | IFF_NO_PI, false);
	ASSERT_LE(0, held);

	EXPECT_EQ(2, mvm_tap_reap(&self->lg));
	EXPECT_FALSE(iface_exists(dead_n0));
	EXPECT_FALSE(iface_exists(dead_n1));
	EXPECT_TRUE(iface_exists(alive));	/* its process lives */
	EXPECT_TRUE(iface_exists("keepme0"));	/* not mvm's */
	EXPECT_TRUE(iface_exists(dead_held));	/* not persistent */
	snprintf(msg, sizeof(msg), "deleted stale tap '%s'", dead_n0);
	EXPECT_TRUE(logged(&self->cap, msg));
	snprintf(msg, sizeof(msg), "deleted stale tap '%s'", dead_n1);
	EXPECT_TRUE(logged(&self->cap, msg));
	EXPECT_EQ(0, mvm_tap_reap(&self->lg));
	close(held);
}

/* ---- the tap with its header, and virtio-net on it ---------------------- */

static int packet_socket(const char *name)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)sys_num(name, "ifindex"),
	};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0)
		return -1;
	if (sll.sll_ifindex <= 0 ||
	    bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		close(s);
		return -1;
	}
	return s;
}

#define ETHERTYPE_TEST	0x88b5	/* IEEE local experimental */

static void test_frame(uint8_t *f, size_t len, uint8_t tag)
{
	size_t i;

	memset(f, 0xff, 6);				/* broadcast */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = ETHERTYPE_TEST >> 8;
	f[13] = ETHERTYPE_TEST & 0xff;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(tag + i);
}

/* Read from @fd until a frame of our EtherType arrives (@skip bytes of
 * header first); its length or -1. */
static ssize_t read_test_frame(int fd, uint8_t *buf, size_t cap, size_t skip)
{
	uint64_t end = now_ms() + WAIT_MS;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (now_ms() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, buf, cap);
		if (r >= (ssize_t)(skip + 14) &&
		    buf[skip + 12] == ETHERTYPE_TEST >> 8 &&
		    buf[skip + 13] == (ETHERTYPE_TEST & 0xff))
			return r;
	}
	return -1;
}

TEST_F(tap, frames_carry_the_vnet_header)
{
	struct mvm_tap_config cfg = { .name = "mvmtest3" };
	uint8_t out[HDR_LEN_T + 100], in[4096];
	struct mvm_tap t;
	ssize_t r;
	int ps;

	NEED_NETNS();
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	ps = packet_socket("mvmtest3");
	ASSERT_LE(0, ps);
	/* Guest to host: a zero header, then the frame. */
	memset(out, 0, HDR_LEN_T);
	test_frame(out + HDR_LEN_T, 100, 1);
	ASSERT_EQ((ssize_t)sizeof(out), write(t.fd, out, sizeof(out)));
	r = read_test_frame(ps, in, sizeof(in), 0);
	ASSERT_EQ(100, r);
	EXPECT_EQ(0, memcmp(in, out + HDR_LEN_T, 100));
	/* Host to guest: the tap puts a 12-byte header before it. */
	test_frame(out, 100, 2);
	ASSERT_EQ(100, send(ps, out, 100, 0));
	r = read_test_frame(t.fd, in, sizeof(in), HDR_LEN_T);
	ASSERT_EQ(HDR_LEN_T + 100, r);
	EXPECT_EQ(0, memcmp(in + HDR_LEN_T, out, 100));
	EXPECT_EQ(0, in[1]);			/* gso_type NONE */
	close(ps);
	mvm_tap_close(&t);
}

#define N_GUEST_OFFLOADS	((1ULL << 1) | (1ULL << 7) | (1ULL << 8) | \
				 (1ULL << 9))

TEST_F(tap, virtio_net_offers_guest_offloads)
{
	struct mvm_tap_config cfg = { .name = "mvmtest4" };
	struct mvm_virtio_net_config nc = { .mtu = 1500 };
	struct mvm_tap t;
	struct tctx c;
	uint32_t st;

	NEED_NETNS();
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	ASSERT_TRUE(tctx_init(&c));
	nc.fd = t.fd;
	mvm_tap_default_mac(t.name, nc.mac);
	ASSERT_EQ(0, mvm_virtio_net_create(&c.env, &nc, &c.d, NULL));
	/* A tap takes TUNSETOFFLOAD: the guest gets offloads too. */
	EXPECT_EQ(N_GUEST_OFFLOADS, dev_features(&c) & N_GUEST_OFFLOADS);
	/* Accepting them sets the tap to match, without complaint. */
	st = drv_negotiate(&c, F_VERSION_1 | N_GUEST_OFFLOADS);
	ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK, st);
	wr(&c, R_STATUS, st | S_DRIVER_OK);
	EXPECT_EQ(st | S_DRIVER_OK, rd(&c, R_STATUS));
	EXPECT_EQ(0, c.log_lines) {
		TH_LOG("%s", c.last_log);
	}
	wr(&c, R_STATUS, 0);
	tctx_fini(&c);
	mvm_tap_close(&t);
	EXPECT_TRUE(wait_gone("mvmtest4"));
}

static int del_link(const char *name)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = rtnl_link_alloc();
	int err = -ENOMEM;

	if (sk && l) {
		rtnl_link_set_name(l, name);
		err = nl_connect(sk, NETLINK_ROUTE);
		if (!err)
			err = rtnl_link_delete(sk, l);
	}
	if (l)
		rtnl_link_put(l);
	if (sk)
		nl_socket_free(sk);
	return err;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The tap deleted under a running device (ip link del): its fd stays
 * open but detached, poll() says POLLERR for ever and read() EBADFD.
 * The device's thread must not spin on it.
 */
TEST_F(tap, deleted_under_running_device)
{
	struct mvm_tap_config cfg = { .name = "mvmtest5" };
	struct mvm_virtio_net_config nc = { .mtu = 1500 };
	struct mvm_tap t;
	struct tctx c;
	double cpu0, cpu;

	NEED_NETNS();
	ASSERT_EQ(0, mvm_tap_open(&cfg, &t, &self->lg));
	ASSERT_TRUE(tctx_init(&c));
	nc.fd = t.fd;
	mvm_tap_default_mac(t.name, nc.mac);
	ASSERT_EQ(0, mvm_virtio_net_create(&c.env, &nc, &c.d, NULL));
	/* Running, receive queue (0) ready: the device polls the tap. */
	ASSERT_EQ(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK,
		  drv_setup(&c, F_VERSION_1, 64));
	ASSERT_EQ(0, del_link("mvmtest5"));
	EXPECT_TRUE(wait_gone("mvmtest5"));
	cpu0 = cpu_s();
	usleep(300000);	/* measuring CPU time needs a window */
	cpu = cpu_s() - cpu0;
	EXPECT_GT(0.1, cpu) {
		TH_LOG("%.0f ms of CPU in 300 ms idle: the device's thread spins on the deleted tap",
		       cpu * 1000);
	}
	tctx_fini(&c);
	mvm_tap_close(&t);
}

TEST_HARNESS_MAIN
