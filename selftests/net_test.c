// SPDX-License-Identifier: GPL-2.0
/*
 * net_test: `mvm run --net` gives the guest a virtio-net interface backed
 * by a tap device (issue 5).
 *
 * Every case runs in a network namespace of its own (and a mount
 * namespace with a fresh sysfs, so that /sys/class/net lists that
 * namespace's interfaces, as under "ip netns exec"), with lo up:
 *
 *   net.one_guest     the Linux guest payload with --net
 *       tap=auto,addr=10.0.2.1/24, mvmtest=net: it pings 10.0.2.1, sends
 *       MVM_NET_BYTES (default 64 MiB) of the seeded pattern of
 *       mvm_nethash.h to the test on TCP port 5001 and receives as many
 *       from it on 5002. Exit 0, the guest's interface line, ping ok,
 *       both transfers ok with the right byte count and the nethash the
 *       test computes itself, and no tap left once mvm has exited. Then,
 *       for comparison, the same one-way transfer between two network
 *       namespaces joined by a veth pair; both rates are printed
 *       ("# NET ...", "# NETBENCH ... ratio=guest/veth"). A rate is
 *       bytes over the time from the first byte to the last as the test
 *       side saw it (when it sends, to the peer's close, which follows
 *       its reading everything), in MB/s of 10^6 bytes.
 *   net.two_guests    two guests on one bridge: B idles, A pings it. A
 *       exits 0 with ping ok, the two MAC addresses differ, B's tap is a
 *       port of the bridge, B stops on SIGTERM with status 130, and no
 *       tap remains. B has a second interface off the bridge: the guest
 *       sees it as eth1 with the MAC and MTU (9000) of its --net, and
 *       its tap has that MTU.
 *   net.kill_cleanup  a tiny spinning guest with --net tap=auto is killed
 *       (SIGKILL) once its tap exists: the tap goes with it, and a later
 *       run (--timeout, exit 13) leaves neither tap behind.
 *   bad_input.*       a missing bridge, a tap name of 17 characters, a
 *       tap another process holds, an empty bridge= and an unknown key:
 *       exit 2, a message naming the problem, no console file, and the
 *       namespace's interfaces exactly as before (the held tap included).
 *
 * The net cases and bad_input.busy_tap SKIP where the backend cannot run
 * guests (MVM_CAP_VM is 0: mvm run takes its taps only once it has opened
 * /dev/mvm); the other bad_input cases run wherever the CLI does. Every
 * case SKIPs without the guest payload, /dev/net/tun (tun.ko), the
 * kernel's veth or bridge support where it needs them (veth.ko,
 * bridge.ko), root, or a CLI without --net. Work files (consoles, stdout,
 * stderr of each mvm run) stay in /tmp/net_test/<case>/.
 *
 * Times are the test host's; in Bochs a Linux guest boots in 40-90 of its
 * seconds and the transfers may take minutes, hence long timeouts.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "guest_run.h"
#include "kselftest_harness.h"
#include "mvm_nethash.h"
#include "mvm_vm.h"

/* mvm run --timeout of a Linux boot (test-host seconds), as boot_test. */
#define BOOT_TIMEOUT_S	180
#define WAIT_SLACK_S	60	/* past --timeout, the test kills mvm */
/*
 * The slowest transfer rate allowed for, in bytes per test-host second:
 * one_guest's --timeout grants each direction MVM_NET_BYTES at this rate.
 */
#define MIN_RATE	(256 * 1024)
#define STALL_S		30	/* a connection may idle this long after mvm ended */
#define VETH_LIMIT_S	300	/* the veth transfer */
#define ONE_GUEST_TIMEOUT_S	2400
#define TWO_GUESTS_TIMEOUT_S	(3 * BOOT_TIMEOUT_S + 4 * WAIT_SLACK_S)
#define KILL_TIMEOUT_S	300
#define BAD_TIMEOUT_S	180

#define DEFAULT_BYTES	(64ULL << 20)
#define WORK_DIR	"/tmp/net_test"
#define CHUNK		(256 * 1024)	/* socket I/O buffer */

#define GUEST_TX_PORT	5001	/* the guest sends here */
#define GUEST_RX_PORT	5002	/* and receives from here */
#define VETH_PORT	5003
#define VETH_A		"vbench0"	/* in the test's namespace, 10.0.9.1 */
#define VETH_B		"vbench1"	/* in the sender's, 10.0.9.2 */

/* The value of the word "@key=value" in @line, or "" when it has none. */
static const char *field(const char *line, const char *key, char *val,
			 size_t len)
{
	size_t k = strlen(key);
	const char *p = line;

	val[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			size_t n = strcspn(p + k + 1, " \t\r\n");

			snprintf(val, len, "%.*s", (int)n, p + k + 1);
			break;
		}
		p += k;
	}
	return val;
}

/*
 * Start @argv with stdin from /dev/null and stdout and stderr in
 * @dir/@tag.stdout and .stderr. It gets SIGKILL should this test die
 * first, so that an aborted case leaves no guest (nor tap) behind.
 */
static void spawn(char *const argv[], const char *dir, const char *tag,
		  struct proc *p)
{
	snprintf(p->out, sizeof(p->out), "%s/%s.stdout", dir, tag);
	snprintf(p->err, sizeof(p->err), "%s/%s.stderr", dir, tag);
	printf("# %s:", tag);
	for (int i = 0; argv[i]; i++) {
		const char *q = strchr(argv[i], ' ') ? "'" : "";

		printf(" %s%s%s", q, argv[i], q);
	}
	printf("\n");
	proc_start(p, argv, true);
}

/* Log how a run ended, what it printed, and the end of @console. */
static void log_run(const char *tag, const struct run *r, const char *console)
{
	note("# %s: exit status %d%s after %.1f s\n", tag, r->status,
	     r->killed ? " (killed by the test)" : "", r->seconds);
	log_output(tag, r, console, 60, false);
}

/* ---- interfaces of this namespace ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in /sys/class/net (this namespace's, after netns_enter()),
 * sorted, separated by blanks; only those starting with @prefix when it
 * is not NULL. Returns how many.
 */
static int iface_list(const char *prefix, char *buf, size_t len)
{
	char *names[256];
	struct dirent *d;
	int n = 0;
	size_t at = 0;
	DIR *dir;

	buf[0] = '\0';
	dir = opendir("/sys/class/net");
	MVM_TEST_ASSERT(dir, "opendir /sys/class/net");
	while ((d = readdir(dir)) && n < 256) {
		if (d->d_name[0] == '.')
			continue;
		if (prefix && strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		names[n] = strdup(d->d_name);
		MVM_TEST_ASSERT(names[n], "strdup");
		n++;
	}
	closedir(dir);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + at, len - at, "%s%s", i ? " " : "",
				 names[i]);

		if (w > 0 && (size_t)w < len - at)
			at += (size_t)w;
		free(names[i]);
	}
	return n;
}

static bool iface_exists(const char *name)
{
	char path[PATH_LEN];

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return !access(path, F_OK);
}

/* Poll up to @secs seconds for @name to be gone; true if it is. */
static bool iface_gone_within(const char *name, double secs)
{
	double t0 = now_s();

	while (iface_exists(name)) {
		if (now_s() - t0 > secs)
			return false;
		sleep_ms(50);
	}
	return true;
}

/* Poll up to @secs seconds for no interface named mvm* to remain; the
 * ones left (if any) in @left. */
static bool no_mvm_ifaces_within(double secs, char *left, size_t len)
{
	double t0 = now_s();

	while (iface_list("mvm", left, len)) {
		if (now_s() - t0 > secs)
			return false;
		sleep_ms(50);
	}
	return true;
}

/* The interface @name's IFF_UP on. Returns 0 or -errno. */
static int if_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

/* Put IPv4 address @addr/@prefix on @name. Returns 0 or -errno. */
static int if_addr(const char *name, const char *addr, unsigned int prefix)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		ret = -errno;
	} else {
		sin->sin_addr.s_addr = htonl(prefix ? ~0U << (32 - prefix) : 0);
		if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

/*
 * Move this process into new network and mount namespaces, with its own
 * sysfs on /sys (so that /sys/class/net shows this namespace, as "ip
 * netns exec" does) and lo up. SKIPs without the privilege.
 */
static void netns_enter(struct __test_metadata *_metadata)
{
	char list[256];

	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		MVM_REQUIRE(errno != EPERM,
			    "no new network namespace without CAP_SYS_ADMIN: run as root");
		ASSERT_EQ(0, -errno) TH_LOG("unshare(CLONE_NEWNET | CLONE_NEWNS)");
	}
	/* Nothing mounted here may propagate back to the test host. */
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		TH_LOG("cannot make / private in the new mount namespace: %s",
		       strerror(errno));
	umount2("/sys", MNT_DETACH);
	ASSERT_EQ(0, mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV |
			   MS_NOEXEC, NULL))
		TH_LOG("cannot mount sysfs in the new namespace: %s",
		       strerror(errno));
	ASSERT_EQ(0, if_up("lo")) TH_LOG("cannot bring lo up");
	iface_list(NULL, list, sizeof(list));
	ASSERT_STREQ("lo", list)
		TH_LOG("a new network namespace should hold only lo");
}

/* An rtnetlink socket; NULL on failure. */
static struct nl_sock *rtnl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

/* A bridge @name in this namespace (down). Returns 0 or a negative libnl
 * error. */
static int bridge_create(const char *name)
{
	struct nl_sock *sk = rtnl_open();
	int err;

	if (!sk)
		return -NLE_NOMEM;
	err = rtnl_link_bridge_add(sk, name);
	nl_socket_free(sk);
	return err;
}

/*
 * A veth pair: @a in this namespace, its peer @b in the namespace of
 * @ns_fd. Returns 0 or a negative libnl error.
 */
static int veth_create(const char *a, const char *b, int ns_fd)
{
	struct rtnl_link *link, *peer;
	struct nl_sock *sk = rtnl_open();
	int err;

	if (!sk)
		return -NLE_NOMEM;
	link = rtnl_link_veth_alloc();
	if (!link) {
		nl_socket_free(sk);
		return -NLE_NOMEM;
	}
	rtnl_link_set_name(link, a);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, b);
	rtnl_link_set_ns_fd(peer, ns_fd);
	err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	nl_socket_free(sk);
	return err;
}

/* ---- transfers ---- */

/* A TCP socket listening on @ip (NULL: any address) port @port. */
static int tcp_listen(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd;

	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (ip)
		inet_pton(AF_INET, ip, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* When the process at the other end is gone: the transfers then have
 * STALL_S seconds to finish what is in flight. */
struct stop {
	atomic_bool stopped;
	double at;
};

static void stop_now(struct stop *s)
{
	s->at = now_s();
	atomic_store(&s->stopped, true);
}

/*
 * One side of a transfer, run in a thread: accept one connection on
 * @lfd, then either receive until EOF, hashing what came, or send @bytes
 * of pattern @seed, shut down the sending side and wait for the peer's
 * EOF (it closes once it has read everything).
 */
struct xfer {
	const char *name;
	int lfd;
	bool sending;
	uint64_t bytes, seed;
	struct stop *stop;
	/* Results. */
	uint64_t done;		/* bytes received or sent */
	uint64_t hash;		/* their nethash */
	double first, last;	/* first byte moved; last byte (or the
				 * peer's EOF, when sending) */
	bool ok;
	char why[160];
};

/* Wait for @events on @fd; false (with x->why set) if the other end has
 * been gone for more than STALL_S. */
static bool xfer_wait(struct xfer *x, int fd, short events, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&p, 1, 200);

		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			snprintf(x->why, sizeof(x->why), "poll: %s",
				 strerror(errno));
			return false;
		}
		if (atomic_load(&x->stop->stopped) &&
		    now_s() - x->stop->at > STALL_S) {
			snprintf(x->why, sizeof(x->why),
				 "%s: nothing for %d s after the peer ended",
				 what, STALL_S);
			return false;
		}
	}
}

static bool xfer_recv(struct xfer *x, int cfd, char *buf)
{
	struct mvm_nethash h;

	mvm_nethash_init(&h);
	for (;;) {
		ssize_t n;

		if (!xfer_wait(x, cfd, POLLIN, "receiving"))
			break;
		n = recv(cfd, buf, CHUNK, MSG_DONTWAIT);
		if (n > 0) {
			x->last = now_s();
			if (!x->done)
				x->first = x->last;
			mvm_nethash_update(&h, buf, (size_t)n);
			x->done += (uint64_t)n;
			continue;
		}
		if (n == 0) {
			x->hash = mvm_nethash_final(&h);
			return true;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(x->why, sizeof(x->why), "recv: %s",
				 strerror(errno));
			break;
		}
	}
	x->hash = mvm_nethash_final(&h);
	return false;
}

static bool xfer_send(struct xfer *x, int cfd, char *buf)
{
	struct mvm_pattern pat;
	struct mvm_nethash h;
	size_t len = 0, off = 0;
	ssize_t n;

	mvm_pattern_init(&pat, x->seed);
	mvm_nethash_init(&h);
	x->first = now_s();
	while (x->done < x->bytes) {
		if (off == len) {
			uint64_t left = x->bytes - x->done;

			len = left < CHUNK ? (size_t)left : CHUNK;
			off = 0;
			mvm_pattern_fill(&pat, buf, len);
			mvm_nethash_update(&h, buf, len);
		}
		if (!xfer_wait(x, cfd, POLLOUT, "sending"))
			return false;
		n = send(cfd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			x->done += (uint64_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(x->why, sizeof(x->why), "send: %s",
				 strerror(errno));
			return false;
		}
	}
	x->hash = mvm_nethash_final(&h);
	shutdown(cfd, SHUT_WR);
	/* The peer closes once it has read everything. */
	for (;;) {
		if (!xfer_wait(x, cfd, POLLIN, "waiting for the peer's EOF"))
			return false;
		n = recv(cfd, buf, CHUNK, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(x->why, sizeof(x->why),
				 "after sending, recv: %s", strerror(errno));
			return false;
		}
	}
	x->last = now_s();
	return true;
}

static void *xfer_thread(void *arg)
{
	struct xfer *x = arg;
	char *buf;
	int cfd;

	buf = malloc(CHUNK);
	if (!buf) {
		snprintf(x->why, sizeof(x->why), "malloc");
		return NULL;
	}
	if (!xfer_wait(x, x->lfd, POLLIN, "no connection"))
		goto out;
	cfd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0) {
		snprintf(x->why, sizeof(x->why), "accept: %s", strerror(errno));
		goto out;
	}
	x->ok = x->sending ? xfer_send(x, cfd, buf) : xfer_recv(x, cfd, buf);
	close(cfd);
out:
	free(buf);
	return NULL;
}

static double xfer_ms(const struct xfer *x)
{
	return x->done ? (x->last - x->first) * 1e3 : 0;
}

/* Megabytes (10^6 bytes) a second, or 0 when nothing was timed. */
static double mbps(uint64_t bytes, double ms)
{
	return ms > 0 ? bytes / 1e6 / (ms / 1e3) : 0;
}

/* The nethash of @bytes of pattern @seed. */
static uint64_t pattern_hash(uint64_t seed, uint64_t bytes)
{
	struct mvm_pattern pat;
	struct mvm_nethash h;
	char *buf = malloc(CHUNK);

	MVM_TEST_ASSERT(buf, "malloc");
	mvm_pattern_init(&pat, seed);
	mvm_nethash_init(&h);
	while (bytes) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;

		mvm_pattern_fill(&pat, buf, n);
		mvm_nethash_update(&h, buf, n);
		bytes -= n;
	}
	free(buf);
	return mvm_nethash_final(&h);
}

/* MVM_NET_BYTES: a byte count with an optional K, M or G (powers of
 * 1024); 0 if it is malformed. */
static uint64_t net_bytes(void)
{
	const char *s = getenv("MVM_NET_BYTES");
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return DEFAULT_BYTES;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	return *end ? 0 : v;
}

/* ---- fixtures ---- */

struct net_env {
	char dir[DIR_LEN];
	char kernel[PATH_LEN], initrd[PATH_LEN], spin[PATH_LEN];
	struct proc procs[2];	/* mvm runs to kill should the case abort */
};

static void env_setup(struct __test_metadata *_metadata, struct net_env *self)
{
	const char *g = guest_dir();

	MVM_REQUIRE(strlen(g) < DIR_LEN - 32, "MVM_GUEST_DIR is too long");
	snprintf(self->kernel, sizeof(self->kernel), "%s/bzImage", g);
	snprintf(self->initrd, sizeof(self->initrd), "%s/guest.cpio", g);
	snprintf(self->spin, sizeof(self->spin), "%s/spin.elf", g);
	MVM_REQUIRE(!access(self->kernel, R_OK) &&
		    !access(self->initrd, R_OK) && !access(self->spin, R_OK),
		    "no guest payload in %s (make -C selftests/guest; MVM_GUEST_DIR)",
		    g);
	MVM_REQUIRE(!access("/dev/net/tun", R_OK | W_OK),
		    "no /dev/net/tun (tun.ko not loaded?): no tap devices here");
	MVM_REQUIRE(cli_lists("run --help", "--net"),
		    "the mvm CLI (%s) has no --net yet ('mvm run --help' does not list it)",
		    cli_path());
	netns_enter(_metadata);

	case_dir(WORK_DIR, _metadata->name, self->dir, sizeof(self->dir));
}

static void env_teardown(struct net_env *self)
{
	for (int i = 0; i < 2; i++) {
		if (self->procs[i].pid > 0) {
			kill(self->procs[i].pid, SIGKILL);
			waitpid(self->procs[i].pid, NULL, 0);
		}
	}
}

/* spawn_guest() with a second interface, --net @net2, when not NULL,
 * and mvm run's statistics on its stderr with @stats. */
static void spawn_guest2(struct net_env *self, const char *tag,
			 struct proc *p, const char *mem, const char *net,
			 const char *net2, bool stats, const char *console,
			 unsigned int timeout_s, const char *cmdline)
{
	char con_arg[PATH_LEN + 8], timeout[16];
	char *argv[20] = {
		(char *)cli_path(), "run", "--kernel", self->kernel,
		"--initrd", self->initrd, "--mem", (char *)mem,
		"--net", (char *)net, "--console", con_arg,
		"--timeout", timeout,
	};
	unsigned int n = 14;

	if (net2) {
		argv[n++] = "--net";
		argv[n++] = (char *)net2;
	}
	if (stats)
		argv[n++] = "--stats";
	if (cmdline) {
		argv[n++] = "--cmdline";
		argv[n++] = (char *)cmdline;
	}
	argv[n] = NULL;
	snprintf(con_arg, sizeof(con_arg), "file:%s", console);
	snprintf(timeout, sizeof(timeout), "%u", timeout_s);
	spawn(argv, self->dir, tag, p);
}

/*
 * spawn() @tag, `mvm run` of the Linux guest with @mem of RAM, --net
 * @net, its console in the file @console, --timeout @timeout_s and, unless
 * it is NULL, the kernel command line @cmdline.
 */
static void spawn_guest(struct net_env *self, const char *tag, struct proc *p,
			const char *mem, const char *net, const char *console,
			unsigned int timeout_s, const char *cmdline)
{
	spawn_guest2(self, tag, p, mem, net, NULL, false, console, timeout_s,
		     cmdline);
}

/* spawn() @tag, `mvm run` of the tiny spinning guest with --net tap=auto,
 * its console in the file @console and --timeout @timeout_s. */
static void spawn_spin(struct net_env *self, const char *tag, struct proc *p,
		       const char *console, unsigned int timeout_s)
{
	char con_arg[PATH_LEN + 8], timeout[16];
	char *argv[] = {
		(char *)cli_path(), "run", "--kernel", self->spin,
		"--net", "tap=auto", "--console", con_arg,
		"--timeout", timeout, NULL,
	};

	snprintf(con_arg, sizeof(con_arg), "file:%s", console);
	snprintf(timeout, sizeof(timeout), "%u", timeout_s);
	spawn(argv, self->dir, tag, p);
}

/* Guests: SKIP where this backend cannot run them. */
FIXTURE(net) {
	struct net_env e;
};

FIXTURE_SETUP(net)
{
	MVM_REQUIRE_VM();
	MVM_REQUIRE(mvm_module_counter("kernel_bytes") >= 0 &&
		    mvm_module_counter("pinned_pages") >= 0,
		    "no kernel_bytes/pinned_pages in /sys/module/mvm/parameters");
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(net)
{
	env_teardown(&self->e);
}

/*
 * Bad --net input. The syntax cases need no module: the CLI checks its
 * options before it opens /dev/mvm.
 */
FIXTURE(bad_input) {
	struct net_env e;
};

FIXTURE_SETUP(bad_input)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(bad_input)
{
	env_teardown(&self->e);
}

/* ---- net.one_guest ---- */

/* The guest's "mvmtest: result tx|rx ..." line checked against what this
 * side moved (@x) and the hash the pattern must have (@want). */
static void check_result(struct __test_metadata *_metadata,
			 const char *console, const char *dir,
			 const struct xfer *x, uint64_t bytes, uint64_t want,
			 double *guest_ms)
{
	char prefix[32], line[256], v[64], hex[32];

	snprintf(prefix, sizeof(prefix), "mvmtest: result %s ", dir);
	snprintf(hex, sizeof(hex), MVM_NETHASH_FMT, (unsigned long long)want);
	*guest_ms = 0;
	note("# %s: this side %s %llu bytes in %.1f ms, nethash " MVM_NETHASH_FMT "%s%s\n",
	     x->name, x->sending ? "sent" : "received",
	     (unsigned long long)x->done, xfer_ms(x),
	     (unsigned long long)x->hash, x->ok ? "" : "; failed: ", x->why);
	EXPECT_TRUE(x->ok) TH_LOG("%s: %s", x->name, x->why);
	EXPECT_EQ(bytes, x->done) TH_LOG("%s: bytes moved on this side", x->name);
	/* Sending, this side hashed what it made; receiving, what came. */
	if (x->ok)
		EXPECT_EQ(want, x->hash)
			TH_LOG("%s: the data on this side has nethash "
			       MVM_NETHASH_FMT ", not the pattern's %s",
			       x->name, (unsigned long long)x->hash, hex);
	if (!find_line(console, prefix, line, sizeof(line))) {
		EXPECT_TRUE(false) TH_LOG("the guest printed no '%s' line", prefix);
		return;
	}
	note("# guest said: %s\n", line);
	EXPECT_TRUE(!strncmp(line + strlen(prefix), "ok ", 3))
		TH_LOG("the guest's %s failed", dir);
	EXPECT_EQ(bytes, strtoull(field(line, "bytes", v, sizeof(v)), NULL, 10))
		TH_LOG("the guest's %s byte count", dir);
	EXPECT_STREQ(hex, field(line, "hash", v, sizeof(v)))
		TH_LOG("the guest's %s nethash is not the pattern's", dir);
	*guest_ms = strtod(field(line, "ms", v, sizeof(v)), NULL);
}

/* The veth comparison: @bytes of pattern @seed from namespace B to this
 * one, the same way the guest sends them. Returns the rate in MB/s, or 0
 * (with a failure recorded) if it did not work. */
static double veth_bench(struct __test_metadata *_metadata, int ns_b,
			 uint64_t bytes, uint64_t seed, uint64_t want)
{
	struct stop stop = { 0 };
	struct xfer x = {
		.name = "veth", .bytes = bytes, .seed = seed, .stop = &stop,
	};
	pthread_t th;
	double t0;
	pid_t pid;
	int st = 0;
	bool killed = false;

	x.lfd = tcp_listen("10.0.9.1", VETH_PORT);
	ASSERT_LE(0, x.lfd) TH_LOG("cannot listen on 10.0.9.1:%d: %s",
				   VETH_PORT, strerror(errno));
	fflush(NULL);
	t0 = now_s();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		struct mvm_pattern pat;
		char *buf = malloc(CHUNK);
		uint64_t left = bytes;
		int fd = -1;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!buf || setns(ns_b, CLONE_NEWNET) ||
		    if_addr(VETH_B, "10.0.9.2", 24) || if_up(VETH_B)) {
			fprintf(stderr, "veth sender: cannot set up %s: %s\n",
				VETH_B, strerror(errno));
			_exit(1);
		}
		sa.sin_port = htons(VETH_PORT);
		inet_pton(AF_INET, "10.0.9.1", &sa.sin_addr);
		for (int i = 0; i < 200; i++) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa,
						sizeof(sa)))
				break;
			if (fd >= 0)
				close(fd);
			fd = -1;
			sleep_ms(50);
		}
		if (fd < 0) {
			fprintf(stderr, "veth sender: cannot connect: %s\n",
				strerror(errno));
			_exit(1);
		}
		mvm_pattern_init(&pat, seed);
		while (left) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK, off = 0;

			mvm_pattern_fill(&pat, buf, n);
			while (off < n) {
				ssize_t w = send(fd, buf + off, n - off,
						 MSG_NOSIGNAL);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					fprintf(stderr, "veth sender: send: %s\n",
						strerror(errno));
					_exit(1);
				}
				off += (size_t)w;
			}
			left -= n;
		}
		shutdown(fd, SHUT_WR);
		while (recv(fd, buf, CHUNK, 0) > 0)
			;
		_exit(0);
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, xfer_thread, &x));
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (!killed && now_s() - t0 > VETH_LIMIT_S) {
			kill(pid, SIGKILL);
			killed = true;
		}
		sleep_ms(20);
	}
	stop_now(&stop);
	pthread_join(th, NULL);
	close(x.lfd);

	note("# veth: %llu bytes in %.1f ms, nethash " MVM_NETHASH_FMT ", sender status %d%s%s\n",
	     (unsigned long long)x.done, xfer_ms(&x),
	     (unsigned long long)x.hash,
	     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
	     x.ok ? "" : "; failed: ", x.why);
	EXPECT_FALSE(killed) TH_LOG("the veth transfer took over %d s",
				    VETH_LIMIT_S);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("the veth sender failed");
	EXPECT_TRUE(x.ok) TH_LOG("veth: %s", x.why);
	EXPECT_EQ(bytes, x.done);
	EXPECT_EQ(want, x.hash)
		TH_LOG("what came over veth has nethash " MVM_NETHASH_FMT
		       ", not the pattern's " MVM_NETHASH_FMT,
		       (unsigned long long)x.hash, (unsigned long long)want);
	if (!x.ok || x.done != bytes || x.hash != want)
		return 0;
	return mbps(bytes, xfer_ms(&x));
}

TEST_F_TIMEOUT(net, one_guest, ONE_GUEST_TIMEOUT_S)
{
	char cmdline[256], console[PATH_LEN];
	char line[256], v[64], left[256];
	uint64_t bytes = net_bytes(), want;
	struct stop stop = { 0 };
	struct xfer tx = { 0 }, rx = { 0 };	/* the guest's tx and rx */
	double g2h, h2g, veth, gms_tx = 0, gms_rx = 0;
	unsigned int seed, limit;
	pthread_t th_tx, th_rx;
	int ns_a, ns_b, err;
	char *con;
	struct run r;

	ASSERT_NE(0, bytes)
		TH_LOG("MVM_NET_BYTES=%s: give a byte count, K, M or G allowed",
		       getenv("MVM_NET_BYTES"));
	seed = guest_seed();

	/* The veth pair first: a kernel without veth SKIPs before the boot. */
	ns_a = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ns_a);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ns_b = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ns_b);
	ASSERT_EQ(0, setns(ns_a, CLONE_NEWNET));
	err = veth_create(VETH_A, VETH_B, ns_b);
	MVM_REQUIRE(err != -NLE_OPNOTSUPP,
		    "this kernel cannot create veth pairs (veth.ko not loaded?)");
	ASSERT_EQ(0, err) TH_LOG("cannot create veth pair %s/%s: %s",
				 VETH_A, VETH_B, nl_geterror(err));
	ASSERT_EQ(0, if_addr(VETH_A, "10.0.9.1", 24));
	ASSERT_EQ(0, if_up(VETH_A));

	/* Listening before the guest exists: bound to any address. */
	tx = (struct xfer){ .name = "guest_to_host", .bytes = bytes,
			    .seed = seed, .stop = &stop };
	rx = (struct xfer){ .name = "host_to_guest", .sending = true,
			    .bytes = bytes, .seed = seed, .stop = &stop };
	tx.lfd = tcp_listen(NULL, GUEST_TX_PORT);
	rx.lfd = tcp_listen(NULL, GUEST_RX_PORT);
	ASSERT_LE(0, tx.lfd) TH_LOG("listen :%d", GUEST_TX_PORT);
	ASSERT_LE(0, rx.lfd) TH_LOG("listen :%d", GUEST_RX_PORT);

	/* Each direction may take bytes / MIN_RATE seconds. */
	limit = BOOT_TIMEOUT_S + (unsigned int)(2 * (bytes / MIN_RATE));
	if (limit > ONE_GUEST_TIMEOUT_S - VETH_LIMIT_S - 3 * WAIT_SLACK_S) {
		limit = ONE_GUEST_TIMEOUT_S - VETH_LIMIT_S - 3 * WAIT_SLACK_S;
		note("# MVM_NET_BYTES=%llu: --timeout capped at %u s by this case's timeout\n",
		     (unsigned long long)bytes, limit);
	}
	snprintf(cmdline, sizeof(cmdline),
		 "quiet mvmtest=net mvmtest.peer=10.0.2.1 mvmtest.bytes=%llu mvmtest.seed=%u ip=10.0.2.2::10.0.2.1:255.255.255.0::eth0:off",
		 (unsigned long long)bytes, seed);
	snprintf(console, sizeof(console), "%s/console", self->e.dir);
	unlink(console);
	/* --stats: the VM exits of the whole run, transfers included. */
	spawn_guest2(&self->e, "mvm", &self->e.procs[0], "256M",
		     "tap=auto,addr=10.0.2.1/24", NULL, true, console, limit,
		     cmdline);
	ASSERT_EQ(0, pthread_create(&th_tx, NULL, xfer_thread, &tx));
	ASSERT_EQ(0, pthread_create(&th_rx, NULL, xfer_thread, &rx));
	/* Meanwhile, the hash both directions must carry. */
	want = pattern_hash(seed, bytes);
	proc_wait(&self->e.procs[0], limit + WAIT_SLACK_S, &r);
	stop_now(&stop);
	pthread_join(th_tx, NULL);
	pthread_join(th_rx, NULL);
	close(tx.lfd);
	close(rx.lfd);
	log_run("mvm", &r, console);
	con = slurp_or_empty(console);

	EXPECT_EQ(0, r.status)
		TH_LOG("mvm run should exit 0 when the guest powers off");
	if (find_line(con, "mvmtest: net eth0 ", line, sizeof(line)))
		note("# guest said: %s\n", line);
	else
		line[0] = '\0';
	EXPECT_STREQ("10.0.2.2/24", field(line, "addr", v, sizeof(v)))
		TH_LOG("the guest's eth0 line ('mvmtest: net eth0 ... addr=')");
	EXPECT_TRUE(find_line(con, "mvmtest: result ping ok peer=10.0.2.1",
			      line, sizeof(line)))
		TH_LOG("the guest could not ping 10.0.2.1");
	check_result(_metadata, con, "tx", &tx, bytes, want, &gms_tx);
	check_result(_metadata, con, "rx", &rx, bytes, want, &gms_rx);
	/* A rate only for a transfer that carried the right data. */
	g2h = tx.ok && tx.done == bytes && tx.hash == want ?
	      mbps(bytes, xfer_ms(&tx)) : 0;
	h2g = rx.ok && rx.done == bytes ? mbps(bytes, xfer_ms(&rx)) : 0;
	note("# NET guest_to_host bytes=%llu ms=%.1f MBps=%.2f guest_ms=%.0f host_to_guest bytes=%llu ms=%.1f MBps=%.2f guest_ms=%.0f\n",
	     (unsigned long long)tx.done, xfer_ms(&tx), g2h, gms_tx,
	     (unsigned long long)rx.done, xfer_ms(&rx), h2g, gms_rx);
	EXPECT_TRUE(no_mvm_ifaces_within(5, left, sizeof(left)))
		TH_LOG("taps left after mvm exited: %s", left);
	EXPECT_COUNTERS_ZERO();
	free(con);
	run_free(&r);

	/* The same transfer between two namespaces, for comparison. */
	veth = veth_bench(_metadata, ns_b, bytes, seed, want);
	if (g2h > 0 && veth > 0)
		note("# NETBENCH guest_to_host_MBps=%.2f veth_MBps=%.2f ratio=%.4f\n",
		     g2h, veth, g2h / veth);
	else
		note("# NETBENCH guest_to_host_MBps=%s veth_MBps=%s ratio=none (a transfer failed)\n",
		     g2h > 0 ? "ok" : "none", veth > 0 ? "ok" : "none");
	close(ns_a);
	close(ns_b);
}

/* ---- net.two_guests ---- */

/* Wait up to @secs for @p's console @path to hold a line starting with
 * @prefix; false if it does not, or if @p ends first (then @r says how). */
static bool wait_console(struct proc *p, const char *path, const char *prefix,
			 double secs, struct run *r, bool *ended)
{
	char line[256];
	double t0 = now_s();

	*ended = false;
	for (;;) {
		char *c = slurp(path);
		bool found = c && find_line(c, prefix, line, sizeof(line));

		free(c);
		if (found)
			return true;
		if (proc_done(p, r)) {
			*ended = true;
			return false;
		}
		if (now_s() - t0 > secs)
			return false;
		sleep_ms(500);
	}
}

TEST_F_TIMEOUT(net, two_guests, TWO_GUESTS_TIMEOUT_S)
{
	char con_a[PATH_LEN], con_b[PATH_LEN];
	char tap_b[IFNAMSIZ + 8], path[PATH_LEN];
	char master[PATH_LEN], line[256], mac_a[64] = "", mac_b[64] = "";
	char left[256], peer[64];
	struct proc *b = &self->e.procs[0], *a = &self->e.procs[1];
	struct run ra, rb;
	bool ended;
	char *c;
	int err;
	ssize_t n;

	err = bridge_create("br0");
	MVM_REQUIRE(err != -NLE_OPNOTSUPP,
		    "this kernel cannot create bridges (bridge.ko not loaded?)");
	ASSERT_EQ(0, err) TH_LOG("cannot create bridge br0: %s",
				 nl_geterror(err));
	ASSERT_EQ(0, if_up("br0")) TH_LOG("cannot bring br0 up");

	snprintf(con_a, sizeof(con_a), "%s/a.console", self->e.dir);
	snprintf(con_b, sizeof(con_b), "%s/b.console", self->e.dir);
	unlink(con_a);
	unlink(con_b);
	/* B outlives two boots; this test stops it with SIGTERM. */
	/* B also has a second interface, off the bridge, with its own MTU
	 * and MAC: several interfaces per VM. */
	spawn_guest2(&self->e, "b", b, "192M",
		     "tap=auto,bridge=br0,mac=02:00:00:00:0b:01",
		     "tap=auto,mtu=9000,mac=02:00:00:00:0b:02", false, con_b,
		     3 * BOOT_TIMEOUT_S,
		     "quiet mvmtest=idle ip=10.0.3.3:::255.255.255.0::eth0:off");
	if (!wait_console(b, con_b, "mvmtest: idle", BOOT_TIMEOUT_S + WAIT_SLACK_S,
			  &rb, &ended)) {
		if (ended) {
			log_run("b", &rb, con_b);
			run_free(&rb);
		} else {
			c = slurp(con_b);
			log_lines("b console", c ? c : "", 40, false);
			free(c);
		}
		ASSERT_TRUE(false) TH_LOG("guest B %s before it printed 'mvmtest: idle'",
					  ended ? "ended" : "did not get idle in time");
	}
	note("# b: idle after %.1f s\n", now_s() - b->t0);

	/* B's second tap exists, with the MTU asked for. */
	snprintf(tap_b, sizeof(tap_b), "mvm%dn1", (int)b->pid);
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", tap_b);
	c = slurp_or_empty(path);
	EXPECT_EQ(9000, atoi(c)) TH_LOG("guest B's second tap %s: MTU '%s'",
					tap_b, c);
	free(c);

	/* B's tap is a port of br0. */
	snprintf(tap_b, sizeof(tap_b), "mvm%dn0", (int)b->pid);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", tap_b);
	n = readlink(path, master, sizeof(master) - 1);
	master[n > 0 ? n : 0] = '\0';
	EXPECT_TRUE(n > 0 && !strcmp(strrchr(master, '/') ?
				    strrchr(master, '/') + 1 : master, "br0"))
		TH_LOG("guest B's tap %s should be a port of br0 (master: '%s')",
		       tap_b, master);

	spawn_guest(&self->e, "a", a, "192M", "tap=auto,bridge=br0", con_a,
		    BOOT_TIMEOUT_S,
		    "quiet mvmtest=ping mvmtest.peer=10.0.3.3 ip=10.0.3.2:::255.255.255.0::eth0:off");
	proc_wait(a, BOOT_TIMEOUT_S + WAIT_SLACK_S, &ra);
	log_run("a", &ra, con_a);
	EXPECT_EQ(0, ra.status)
		TH_LOG("mvm run of guest A should exit 0 when it powers off");
	c = slurp_or_empty(con_a);
	if (find_line(c, "mvmtest: result ping ", line, sizeof(line)))
		note("# a said: %s\n", line);
	else
		line[0] = '\0';
	EXPECT_TRUE(!strncmp(line, "mvmtest: result ping ok ", 24) &&
		    !strcmp(field(line, "peer", peer, sizeof(peer)), "10.0.3.3"))
		TH_LOG("guest A could not ping guest B (10.0.3.3) over br0");
	if (find_line(c, "mvmtest: net eth0 ", line, sizeof(line)))
		field(line, "mac", mac_a, sizeof(mac_a));
	free(c);
	run_free(&ra);

	c = slurp_or_empty(con_b);
	if (find_line(c, "mvmtest: net eth0 ", line, sizeof(line)))
		field(line, "mac", mac_b, sizeof(mac_b));
	if (!find_line(c, "mvmtest: links ", line, sizeof(line)))
		line[0] = '\0';
	note("# b said: %s\n", line);
	free(c);
	EXPECT_TRUE(!strcasecmp(mac_b, "02:00:00:00:0b:01"))
		TH_LOG("guest B's eth0 should have the MAC of its first --net");
	EXPECT_TRUE(strstr(line, " eth1=02:00:00:00:0b:02/9000"))
		TH_LOG("guest B should see its second --net as eth1 with its MAC and MTU 9000");
	note("# MACs: a=%s b=%s\n", mac_a, mac_b);
	EXPECT_TRUE(*mac_a && *mac_b && strcasecmp(mac_a, mac_b))
		TH_LOG("the two guests need distinct MAC addresses");

	/* SIGTERM stops B cleanly. */
	kill(b->pid, SIGTERM);
	proc_wait(b, now_s() - b->t0 + WAIT_SLACK_S, &rb);
	log_run("b", &rb, NULL);
	EXPECT_EQ(130, rb.status) TH_LOG("mvm run should exit 130 on SIGTERM");
	run_free(&rb);

	EXPECT_TRUE(no_mvm_ifaces_within(5, left, sizeof(left)))
		TH_LOG("taps left after both guests ended: %s", left);
	EXPECT_TRUE(iface_exists("br0")) TH_LOG("br0 was not mvm's to remove");
	EXPECT_COUNTERS_ZERO();
}

/* ---- net.kill_cleanup ---- */

TEST_F_TIMEOUT(net, kill_cleanup, KILL_TIMEOUT_S)
{
	char con[PATH_LEN], old_tap[IFNAMSIZ + 8];
	char new_tap[IFNAMSIZ + 8], left[256];
	struct proc *p = &self->e.procs[0];
	bool seen = false;
	struct run r;
	double t0;

	snprintf(con, sizeof(con), "%s/console", self->e.dir);
	spawn_spin(&self->e, "killed", p, con, 120);
	snprintf(old_tap, sizeof(old_tap), "mvm%dn0", (int)p->pid);
	t0 = now_s();
	while (!iface_exists(old_tap)) {
		if (proc_done(p, &r)) {
			log_run("killed", &r, con);
			run_free(&r);
			ASSERT_TRUE(false) TH_LOG("mvm ended before %s appeared", old_tap);
		}
		ASSERT_LT(now_s() - t0, 60)
			TH_LOG("no %s after 60 s of mvm run", old_tap);
		sleep_ms(20);
	}
	/* Past creating its devices, the VM is started: let it run a bit. */
	sleep_ms(1000);
	ASSERT_FALSE(proc_done(p, &r))
		TH_LOG("mvm ended (status %d) with its 120 s to go", r.status);
	note("# killed: %s appeared after %.2f s; SIGKILL 1 s later\n",
	     old_tap, now_s() - t0 - 1);
	kill(p->pid, SIGKILL);
	proc_wait(p, 120 + WAIT_SLACK_S, &r);
	log_run("killed", &r, NULL);
	EXPECT_EQ(128 + SIGKILL, r.status);
	run_free(&r);
	EXPECT_TRUE(iface_gone_within(old_tap, 10))
		TH_LOG("%s outlived its mvm (SIGKILL) by 10 s", old_tap);

	/* A later run cleans up after itself, and has nothing of the old. */
	spawn_spin(&self->e, "timeout", p, con, 3);
	snprintf(new_tap, sizeof(new_tap), "mvm%dn0", (int)p->pid);
	while (!proc_done(p, &r)) {
		seen = seen || iface_exists(new_tap);
		if (now_s() - p->t0 > 3 + WAIT_SLACK_S)
			kill(p->pid, SIGKILL);
		sleep_ms(20);
	}
	log_run("timeout", &r, NULL);
	EXPECT_EQ(13, r.status) TH_LOG("mvm run should exit 13 on --timeout");
	EXPECT_TRUE(seen) TH_LOG("%s never appeared while mvm ran", new_tap);
	run_free(&r);
	EXPECT_TRUE(no_mvm_ifaces_within(5, left, sizeof(left)))
		TH_LOG("taps left: %s (want neither %s nor %s)", left, old_tap,
		       new_tap);
	EXPECT_COUNTERS_ZERO();
}

/* ---- bad_input ---- */

/*
 * mvm run with --net @spec (and otherwise good input): exit 2, stderr
 * holding each of the NULL-terminated @words (case-insensitively; a word
 * "a|b" accepts either), no console file, and this namespace's
 * interfaces as they were.
 */
static void bad_net(struct __test_metadata *_metadata, struct net_env *self,
		    const char *tag, const char *spec, const char *const *words)
{
	char before[512], after[512], con[PATH_LEN];
	struct run r;

	snprintf(con, sizeof(con), "%s/%s.console", self->dir, tag);
	unlink(con);
	iface_list(NULL, before, sizeof(before));
	spawn_guest(self, tag, &self->procs[0], "256M", spec, con, 60, NULL);
	proc_wait(&self->procs[0], 60 + WAIT_SLACK_S, &r);
	log_run(tag, &r, NULL);
	EXPECT_EQ(2, r.status) TH_LOG("--net %s: mvm run should exit 2", spec);
	for (; *words; words++) {
		char alt[64], *save = NULL, *w;
		bool found = false;

		snprintf(alt, sizeof(alt), "%s", *words);
		for (w = strtok_r(alt, "|", &save); w && !found;
		     w = strtok_r(NULL, "|", &save))
			found = strcasestr(r.err, w) != NULL;
		EXPECT_TRUE(found) TH_LOG("--net %s: stderr should say '%s'",
					  spec, *words);
	}
	EXPECT_NE(0, access(con, F_OK))
		TH_LOG("the console file %s was created", con);
	iface_list(NULL, after, sizeof(after));
	note("# %s: interfaces before: %s; after: %s\n", tag, before, after);
	EXPECT_STREQ(before, after) TH_LOG("--net %s left interfaces changed", spec);
	run_free(&r);
}

/* A missing bridge is bad input, found before /dev/mvm is opened. */
TEST_F_TIMEOUT(bad_input, missing_bridge, BAD_TIMEOUT_S)
{
	static const char *const words[] = { "nosuchbr0", NULL };

	bad_net(_metadata, &self->e, "missing_bridge", "tap=auto,bridge=nosuchbr0",
		words);
}

TEST_F_TIMEOUT(bad_input, long_name, BAD_TIMEOUT_S)
{
	static const char *const words[] = { "15", NULL };

	bad_net(_metadata, &self->e, "long_name", "tap=abcdefghijklmnopq", words);
}

TEST_F_TIMEOUT(bad_input, busy_tap, BAD_TIMEOUT_S)
{
	static const char *const words[] = { "mvmbusy0", "in use|busy", NULL };
	struct ifreq ifr = { 0 };
	int fd;

	/*
	 * mvm run takes its taps when it builds the VM, after opening
	 * /dev/mvm: where guests cannot run it stops (exit 1) before that.
	 */
	MVM_REQUIRE(mvm_dev_present() && mvm_vm_supported(),
		    "mvm run creates taps only where guests can run (no /dev/mvm, or MVM_CAP_VM is 0)");
	/* A tap that this process holds (not persistent: it goes with fd). */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open /dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "mvmbusy0");
	ASSERT_EQ(0, ioctl(fd, TUNSETIFF, &ifr))
		TH_LOG("TUNSETIFF mvmbusy0: %s", strerror(errno));
	ASSERT_TRUE(iface_exists("mvmbusy0"));
	bad_net(_metadata, &self->e, "busy_tap", "tap=mvmbusy0", words);
	EXPECT_TRUE(iface_exists("mvmbusy0"))
		TH_LOG("mvm removed a tap another process holds");
	close(fd);
}

TEST_F_TIMEOUT(bad_input, bad_spec, BAD_TIMEOUT_S)
{
	static const char *const empty[] = { "bridge", NULL };
	static const char *const unknown[] = { "colour", NULL };

	bad_net(_metadata, &self->e, "empty_bridge", "tap=auto,bridge=", empty);
	bad_net(_metadata, &self->e, "unknown_key", "tap=auto,colour=blue",
		unknown);
}

TEST_HARNESS_MAIN
