// SPDX-License-Identifier: Apache-2.0
/*
 * mvm run: boot a Linux microVM and wait for it to end.
 *
 * The order of work is what makes bad input cheap and harmless: parse
 * every option, then have libmvm check the configuration and its files
 * (mvm_vm_config_check()), and only then open /dev/mvm, create the
 * console file and build the VM. A mistake is reported with exit status
 * 2 before anything is created or written.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP are blocked from the start and read
 * from a signalfd by the main thread, which stops the VM cleanly; a
 * second thread only waits for the VM's end and reports it through an
 * eventfd, so the main thread can wait for a signal, the end and the
 * timeout at once.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <mvm/mvm.h>
#include <mvm/vm.h>

#include "cli.h"

/* Exit statuses of mvm run (Documentation/cli.rst). */
enum {
	RUN_EXIT_PANIC = 10,
	RUN_EXIT_TRIPLE_FAULT = 11,
	RUN_EXIT_INTERNAL = 12,
	RUN_EXIT_TIMEOUT = 13,
	RUN_EXIT_INTERRUPTED = 130,
};

static const char run_help[] =
"usage: mvm run --kernel FILE [options]\n"
"\n"
"Boot a Linux kernel in a microVM; the guest's serial console is the\n"
"terminal unless --console says otherwise.\n"
"\n"
"  --kernel FILE        bzImage (vmlinuz) or ELF vmlinux, x86-64\n"
"  --initrd FILE        initramfs\n"
"  --disk PATH[,ro]     a virtio-blk disk (vda, vdb, ... in order); ,ro\n"
"                       attaches it read-only; at most 8\n"
"  --cmdline TEXT       appended to 'console=ttyS0 reboot=k panic=-1' and\n"
"                       the virtio devices, so it can override them\n"
"  --mem SIZE           guest RAM, e.g. 512M or 2G (K, M, G, T are powers\n"
"                       of 1024; a bare number is MiB); default 128M\n"
"  --vcpus N            vCPUs, default 1\n"
"  --console stdio|file:PATH|pty\n"
"                       where the console goes: this terminal (default;\n"
"                       Ctrl-C stops the VM), a file (output only), or a\n"
"                       new pseudo-terminal whose path is printed\n"
"  --timeout SECONDS    stop the VM after this long\n"
"  --stats              print the VM's statistics on stderr at the end,\n"
"                       one 'key: value' a line\n"
"  --net SPEC           a network interface (eth0, eth1, ... in order) on a\n"
"                       tap device of the host; at most 4. SPEC is\n"
"                       KEY=VALUE pairs joined by commas:\n"
"                         tap=NAME|auto  the tap: NAME if it exists, else\n"
"                                        created for the VM and removed\n"
"                                        with it; auto (the default) is a\n"
"                                        new one named mvm<pid>n<i>\n"
"                         bridge=BR      add the tap to this bridge\n"
"                         addr=CIDR      the host's address on the tap,\n"
"                                        e.g. 10.0.2.1/24 or fd00::1/64\n"
"                         mac=MAC        the guest's, e.g. 02:00:00:00:00:01\n"
"                         mtu=N          68 to 65521\n"
"                         rate=BANDWIDTH a limit each way in bits a second,\n"
"                                        e.g. 100mbit (bit, kbit, mbit, gbit)\n"
"                         pps=N          a limit each way in packets a\n"
"                                        second, e.g. 20k (k, m)\n"
"                       creating a tap needs CAP_NET_ADMIN\n"
"  --no-rng             no virtio-rng device\n"
"  --device PATH        the mvm device, default /dev/mvm\n"
"  --help               this text\n"
"\n"
"Exit status:\n"
"  0    the guest powered off or rebooted\n"
"  1    setup failed (e.g. /dev/mvm missing: 'modprobe mvm')\n"
"  2    bad usage or bad input (option, size, kernel, initrd, disk, --net)\n"
"  10   the guest kernel panicked\n"
"  11   a vCPU triple-faulted\n"
"  12   mvm hit an internal error\n"
"  13   --timeout expired\n"
"  130  interrupted by SIGINT, SIGTERM or SIGHUP\n";

enum console_kind { CONSOLE_STDIO, CONSOLE_FILE, CONSOLE_PTY };

struct run_opts {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *device;
	uint64_t mem;
	uint32_t vcpus;
	struct mvm_vm_disk disks[MVM_VM_MAX_DISKS];
	char *disk_paths[MVM_VM_MAX_DISKS];
	unsigned int nr_disks;
	struct mvm_vm_net nets[MVM_VM_MAX_NETS];
	char *net_specs[MVM_VM_MAX_NETS];	/* the nets' strings point here */
	unsigned int nr_nets;
	enum console_kind console;
	const char *console_path;
	double timeout;		/* seconds; 0 for none */
	bool stats;
	bool rng;
};

/* What has to be undone, whatever happened. */
struct run_state {
	int out_fd, in_fd;
	int pty_slave;
	bool created_file;
	const char *file;
	bool tty_saved;
	struct termios tty;
	int sig_fd;
	sigset_t old_mask;
	int end_fd;
};

/* ---- parsing ----------------------------------------------------------- */

/* SIZE: digits, then K, M, G or T (powers of 1024) and an optional "iB"
 * or "B"; no suffix means MiB. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_disk(struct run_opts *o, const char *arg)
{
	const char *comma = strrchr(arg, ',');
	struct mvm_vm_disk *d;
	char *path;

	if (o->nr_disks >= MVM_VM_MAX_DISKS) {
		cli_error("--disk %s: at most %d disks", arg, MVM_VM_MAX_DISKS);
		return -EINVAL;
	}
	if (comma && strcmp(comma + 1, "ro")) {
		cli_error("--disk %s: unknown disk option '%s'; the only one is ',ro'",
			  arg, comma + 1);
		return -EINVAL;
	}
	path = comma ? strndup(arg, (size_t)(comma - arg)) : strdup(arg);
	if (!path)
		return -ENOMEM;
	if (!path[0]) {
		cli_error("--disk %s: no path", arg);
		free(path);
		return -EINVAL;
	}
	d = &o->disks[o->nr_disks];
	memset(d, 0, sizeof(*d));
	d->path = path;
	d->flags = comma ? MVM_VM_DISK_READ_ONLY : 0;
	o->disk_paths[o->nr_disks++] = path;
	return 0;
}

static int parse_console(struct run_opts *o, const char *arg)
{
	if (!strcmp(arg, "stdio")) {
		o->console = CONSOLE_STDIO;
	} else if (!strcmp(arg, "pty")) {
		o->console = CONSOLE_PTY;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		o->console = CONSOLE_FILE;
		o->console_path = arg + 5;
	} else {
		cli_error("--console %s: give stdio, pty or file:PATH", arg);
		return -EINVAL;
	}
	return 0;
}

/* ---- --net ------------------------------------------------------------- */

/* The keys of --net SPEC, each with an example for messages. */
enum net_key { NET_TAP, NET_BRIDGE, NET_ADDR, NET_MAC, NET_MTU, NET_RATE,
	       NET_PPS, NET_NR_KEYS };

static const struct {
	const char *name;
	const char *example;
} net_keys[NET_NR_KEYS] = {
	[NET_TAP] = { "tap", "tap=tap0 or tap=auto" },
	[NET_BRIDGE] = { "bridge", "bridge=br0" },
	[NET_ADDR] = { "addr", "addr=10.0.2.1/24 or addr=fd00::1/64" },
	[NET_MAC] = { "mac", "mac=02:00:00:00:00:01" },
	[NET_MTU] = { "mtu", "mtu=1500" },
	[NET_RATE] = { "rate", "rate=100mbit" },
	[NET_PPS] = { "pps", "pps=20k" },
};

/* Units of rate=, bits per second as tc(8) writes them (1000-based). */
static const struct {
	const char *unit;
	uint64_t bits;
} rate_units[] = {
	{ "bit", 1 },
	{ "kbit", 1000 },
	{ "mbit", 1000000 },
	{ "gbit", 1000000000 },
};

/* The decimal digits at the start of @s into @v, @end past them: -EINVAL
 * when there are none, -ERANGE when they do not fit in 64 bits. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t n = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	*v = n;
	*end = s;
	return 0;
}

/*
 * tap= and bridge=: a name Linux accepts for a network device (its
 * dev_valid_name()): at most MVM_VM_IFNAME_MAX characters, none of '/',
 * ':' or white space, not "." or "..". The kernel's isspace() also
 * counts byte 0xa0, so that is refused too.
 */
static int check_ifname(enum net_key k, const char *name)
{
	const char *key = net_keys[k].name;
	const char *fix = k == NET_TAP ?
		"give another name, or tap=auto for mvm to pick one" :
		"'ip link show type bridge' lists the bridges";
	size_t len = strlen(name);
	const char *p;

	if (len > MVM_VM_IFNAME_MAX) {
		cli_error("--net %s=%s: the name is %zu characters; Linux allows at most %d: %s",
			  key, name, len, MVM_VM_IFNAME_MAX, fix);
		return -EINVAL;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		cli_error("--net %s=%s: '%s' cannot be the name of a network device: %s",
			  key, name, name, fix);
		return -EINVAL;
	}
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == ':') {
			cli_error("--net %s=%s: a network device's name cannot contain '%c': %s",
				  key, name, c, fix);
			return -EINVAL;
		}
		if (isspace(c) || c == 0xa0) {
			cli_error("--net %s=%s: a network device's name cannot contain white space: %s",
				  key, name, fix);
			return -EINVAL;
		}
	}
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* mac=: six pairs of hex digits joined by ':', a unicast address. */
static int parse_mac(const char *val, uint8_t mac[6])
{
	const char *s = val;
	unsigned int i, ones = 0, zeros = 0;

	for (i = 0; i < 6; i++, s += 3) {
		int hi = hex_digit(s[0]);
		int lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (lo < 0 || s[2] != (i < 5 ? ':' : '\0')) {
			cli_error("--net mac=%s: not a MAC address; give six pairs of hex digits joined by ':', e.g. mac=02:00:00:00:00:01",
				  val);
			return -EINVAL;
		}
		mac[i] = (uint8_t)(hi << 4 | lo);
		ones += mac[i] == 0xff;
		zeros += mac[i] == 0;
	}
	if (ones == 6) {
		cli_error("--net mac=%s: that is the broadcast address; give a unicast one, e.g. mac=02:00:00:00:00:01",
			  val);
		return -EINVAL;
	}
	if (mac[0] & 1) {
		cli_error("--net mac=%s: a multicast address (the first byte is odd); give a unicast one, with the first byte even, e.g. mac=02:00:00:00:00:01",
			  val);
		return -EINVAL;
	}
	if (zeros == 6) {
		cli_error("--net mac=%s: the all-zero address is not valid; give another, e.g. mac=02:00:00:00:00:01",
			  val);
		return -EINVAL;
	}
	return 0;
}

/* mtu=: 68 (IPv4's least) to 65521 (a tap's most: 65535 less the
 * Ethernet header). */
static int parse_mtu(const char *val, uint32_t *mtu)
{
	const char *end;
	uint64_t v;

	if (parse_digits(val, &v, &end) || *end || v < 68 || v > 65521) {
		cli_error("--net mtu=%s: give a number from 68 to 65521, e.g. mtu=1500",
			  val);
		return -EINVAL;
	}
	*mtu = (uint32_t)v;
	return 0;
}

/* rate=: bits per second with a unit of rate_units, into bytes. */
static int parse_rate(const char *val, uint64_t *bytes)
{
	const char *unit;
	size_t i, len;
	uint64_t v;
	int ret;

	ret = parse_digits(val, &v, &unit);
	if (ret == -ERANGE)
		goto too_large;
	if (ret) {
		cli_error("--net rate=%s: give a whole number of bits per second and its unit, e.g. rate=100mbit, rate=512kbit or rate=1gbit",
			  val);
		return -EINVAL;
	}
	if (!*unit) {
		cli_error("--net rate=%s: the unit is missing; give e.g. rate=%smbit or rate=%skbit (bit, kbit, mbit, gbit: bits per second, 1000-based)",
			  val, val, val);
		return -EINVAL;
	}
	if (*unit == '.') {
		cli_error("--net rate=%s: give a whole number with a smaller unit, e.g. rate=1500kbit and not rate=1.5mbit",
			  val);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++)
		if (!strcasecmp(unit, rate_units[i].unit))
			break;
	if (i == sizeof(rate_units) / sizeof(rate_units[0])) {
		/* tc's "bps" units are bytes: say so, with the same in bits. */
		char prefix[2] = { (char)tolower((unsigned char)unit[0]), '\0' };

		len = strlen(unit);
		if (len == 3)
			prefix[0] = '\0';
		if (len >= 3 && len <= 4 && !strcasecmp(unit + len - 3, "bps") &&
		    (!prefix[0] || strchr("kmg", prefix[0])) &&
		    v <= UINT64_MAX / 8) {
			cli_error("--net rate=%s: '%s' is bytes per second to tc, and mvm takes bits: give rate=%" PRIu64 "%sbit for the same rate",
				  val, unit, v * 8, prefix);
			return -EINVAL;
		}
		cli_error("--net rate=%s: unknown unit '%s'; give bit, kbit, mbit or gbit (bits per second, 1000-based), e.g. rate=100mbit or rate=512kbit",
			  val, unit);
		return -EINVAL;
	}
	if (v > UINT64_MAX / rate_units[i].bits)
		goto too_large;
	v *= rate_units[i].bits;
	if (v < 8) {
		cli_error("--net rate=%s: the least is 8bit, a byte a second; leave rate= out for no limit",
			  val);
		return -EINVAL;
	}
	*bytes = v / 8;
	return 0;
too_large:
	cli_error("--net rate=%s: too large; give e.g. rate=10gbit, or leave rate= out for no limit",
		  val);
	return -EINVAL;
}

/* pps=: packets per second, with an optional k or m (1000-based). */
static int parse_pps(const char *val, uint64_t *pps)
{
	uint64_t v, mult = 1;
	const char *end;

	if (parse_digits(val, &v, &end))
		goto bad;
	if (*end == 'k' || *end == 'K')
		mult = 1000;
	else if (*end == 'm' || *end == 'M')
		mult = 1000000;
	if ((mult > 1 && end[1]) || (mult == 1 && *end) ||
	    v > UINT64_MAX / mult)
		goto bad;
	if (!v) {
		cli_error("--net pps=%s: the least is 1; leave pps= out for no limit",
			  val);
		return -EINVAL;
	}
	*pps = v * mult;
	return 0;
bad:
	cli_error("--net pps=%s: give a whole number of packets per second, optionally with k or m (1000-based), e.g. pps=20k",
		  val);
	return -EINVAL;
}

/* addr=: an IPv4 or IPv6 address and its prefix length. */
static int check_addr(const char *val)
{
	const char *slash = strchr(val, '/'), *end;
	unsigned char bin[sizeof(struct in6_addr)];
	char ip[INET6_ADDRSTRLEN];
	size_t len = slash ? (size_t)(slash - val) : strlen(val);
	unsigned int max;
	uint64_t prefix;

	if (len < sizeof(ip)) {
		memcpy(ip, val, len);
		ip[len] = '\0';
	}
	if (len < sizeof(ip) && inet_pton(AF_INET, ip, bin) == 1) {
		max = 32;
	} else if (len < sizeof(ip) && inet_pton(AF_INET6, ip, bin) == 1) {
		max = 128;
	} else {
		cli_error("--net addr=%s: not an IPv4 or IPv6 address with a prefix length; give e.g. addr=10.0.2.1/24 or addr=fd00::1/64",
			  val);
		return -EINVAL;
	}
	if (!slash) {
		cli_error("--net addr=%s: the prefix length is missing; give e.g. addr=%s/%s",
			  val, val, max == 32 ? "24" : "64");
		return -EINVAL;
	}
	if (parse_digits(slash + 1, &prefix, &end) || *end || prefix > max) {
		cli_error("--net addr=%s: the prefix length of an IPv%d address is a number from 0 to %u, e.g. addr=%s/%s",
			  val, max == 32 ? 4 : 6, max, ip, max == 32 ? "24" : "64");
		return -EINVAL;
	}
	return 0;
}

static int parse_net_value(struct mvm_vm_net *n, enum net_key k, char *val)
{
	switch (k) {
	case NET_TAP:
		if (!strcmp(val, "auto")) {
			n->tap = NULL;
			return 0;
		}
		n->tap = val;
		return check_ifname(k, val);
	case NET_BRIDGE:
		n->bridge = val;
		return check_ifname(k, val);
	case NET_ADDR:
		n->host_addr = val;
		return check_addr(val);
	case NET_MAC:
		n->flags |= MVM_VM_NET_MAC;
		return parse_mac(val, n->mac);
	case NET_MTU:
		return parse_mtu(val, &n->mtu);
	case NET_RATE:
		return parse_rate(val, &n->rate_bytes);
	case NET_PPS:
		return parse_pps(val, &n->rate_packets);
	case NET_NR_KEYS:
		break;
	}
	return -EINVAL;
}

/*
 * --net SPEC: KEY=VALUE items joined by commas, into the next entry of
 * o->nets. Its strings point into a copy of SPEC kept in o->net_specs.
 */
static int parse_net(struct run_opts *o, const char *arg)
{
	struct mvm_vm_net *n;
	unsigned int seen = 0, i;
	char *spec, *rest, *item;

	if (o->nr_nets >= MVM_VM_MAX_NETS) {
		cli_error("--net %s: at most %d network interfaces; give --net %d times at most",
			  arg, MVM_VM_MAX_NETS, MVM_VM_MAX_NETS);
		return -EINVAL;
	}
	if (!arg[0]) {
		cli_error("--net needs KEY=VALUE pairs; give e.g. --net tap=auto");
		return -EINVAL;
	}
	spec = strdup(arg);
	if (!spec)
		return -ENOMEM;
	n = &o->nets[o->nr_nets];
	memset(n, 0, sizeof(*n));
	rest = spec;
	while ((item = strsep(&rest, ","))) {
		char *val = strchr(item, '=');

		if (!item[0]) {
			cli_error("--net %s: an empty item; give KEY=VALUE pairs joined by single commas",
				  arg);
			goto fail;
		}
		if (!val) {
			cli_error("--net %s: '%s' is not KEY=VALUE; give e.g. --net tap=tap0,mtu=9000",
				  arg, item);
			goto fail;
		}
		*val++ = '\0';
		for (i = 0; i < NET_NR_KEYS; i++)
			if (!strcmp(item, net_keys[i].name))
				break;
		if (i == NET_NR_KEYS) {
			cli_error("--net %s: unknown key '%s'; the keys are tap, bridge, addr, mac, mtu, rate and pps",
				  arg, item);
			goto fail;
		}
		if (seen & (1U << i)) {
			cli_error("--net %s: %s= is given twice; give each key once",
				  arg, item);
			goto fail;
		}
		seen |= 1U << i;
		if (!val[0]) {
			cli_error("--net %s=: the value is empty; give e.g. %s",
				  item, net_keys[i].example);
			goto fail;
		}
		if (parse_net_value(n, (enum net_key)i, val))
			goto fail;
	}
	/* A bridge port's own addresses receive nothing: the bridge takes
	 * its frames. */
	if (n->bridge && n->host_addr) {
		cli_error("--net %s: an address on a tap in a bridge receives nothing; put it on the bridge instead (ip addr add %s dev %s) and leave out addr=",
			  arg, n->host_addr, n->bridge);
		goto fail;
	}
	for (i = 0; n->tap && i < o->nr_nets; i++) {
		if (o->nets[i].tap && !strcmp(o->nets[i].tap, n->tap)) {
			cli_error("--net %s: an earlier --net has tap=%s; each interface needs a tap of its own",
				  arg, n->tap);
			goto fail;
		}
	}
	o->net_specs[o->nr_nets++] = spec;
	return 0;
fail:
	free(spec);
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	enum { O_KERNEL = 256, O_INITRD, O_DISK, O_CMDLINE, O_MEM, O_VCPUS,
	       O_CONSOLE, O_TIMEOUT, O_STATS, O_NO_RNG, O_DEVICE, O_NET,
	       O_HELP };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "disk", required_argument, NULL, O_DISK },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "console", required_argument, NULL, O_CONSOLE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "stats", no_argument, NULL, O_STATS },
		{ "no-rng", no_argument, NULL, O_NO_RNG },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "net", required_argument, NULL, O_NET },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_KERNEL:
			o->kernel = optarg;
			break;
		case O_INITRD:
			o->initrd = optarg;
			break;
		case O_DISK:
			if (parse_disk(o, optarg))
				return -EINVAL;
			break;
		case O_CMDLINE:
			o->cmdline = optarg;
			break;
		case O_MEM:
			if (parse_size(optarg, &o->mem)) {
				cli_error("--mem %s: not a size; give e.g. 128M or 2G (K, M, G, T are powers of 1024; a bare number is MiB)",
					  optarg);
				return -EINVAL;
			}
			if (!o->mem) {
				cli_error("--mem %s: the guest needs memory; give e.g. --mem 128M",
					  optarg);
				return -EINVAL;
			}
			break;
		case O_VCPUS:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' ||
			    optarg[0] > '9' || v > UINT32_MAX) {
				cli_error("--vcpus %s: not a number", optarg);
				return -EINVAL;
			}
			if (!v) {
				cli_error("--vcpus 0: a VM needs at least one vCPU");
				return -EINVAL;
			}
			o->vcpus = (uint32_t)v;
			break;
		case O_CONSOLE:
			if (parse_console(o, optarg))
				return -EINVAL;
			break;
		case O_TIMEOUT:
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !isfinite(o->timeout) || o->timeout <= 0 ||
			    o->timeout > 1e7) {
				cli_error("--timeout %s: give a number of seconds above 0",
					  optarg);
				return -EINVAL;
			}
			break;
		case O_STATS:
			o->stats = true;
			break;
		case O_NO_RNG:
			o->rng = false;
			break;
		case O_DEVICE:
			o->device = optarg;
			break;
		case O_NET:
			if (parse_net(o, optarg))
				return -EINVAL;
			break;
		case 'h':
		case O_HELP:
			fputs(run_help, stdout);
			return 1;
		default:
			if (optopt && optopt < 256)
				cli_error("unknown option '-%c'; 'mvm run --help' lists the options",
					  optopt);
			else if (optopt)
				cli_error("option '%s' needs a value; 'mvm run --help' lists the options",
					  argv[optind - 1]);
			else
				cli_error("unknown option '%s'; 'mvm run --help' lists the options",
					  argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		cli_error("unexpected argument '%s'; 'mvm run --help' lists the options",
			  argv[optind]);
		return -EINVAL;
	}
	if (!o->kernel) {
		cli_error("no kernel: give --kernel FILE (a bzImage such as /boot/vmlinuz-*, or a vmlinux)");
		return -EINVAL;
	}
	return 0;
}

/*
 * A writable disk that cannot be opened read-write: say how to attach it
 * read-only, in this command's terms (libmvm's own check says it in its
 * terms, and covers everything else about disks).
 */
static int check_disks_writable(const struct run_opts *o)
{
	unsigned int i;

	for (i = 0; i < o->nr_disks; i++) {
		const char *p = o->disks[i].path;
		int fd, err;

		if (o->disks[i].flags & MVM_VM_DISK_READ_ONLY)
			continue;
		fd = open(p, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		err = errno;
		if (err == EROFS || err == EACCES || err == EPERM) {
			cli_error("--disk %s cannot be opened read-write (%s): add ,ro to attach it read-only: --disk %s,ro",
				  p, strerror(err), p);
			return -err;
		}
	}
	return 0;
}

/* ---- console ------------------------------------------------------------ */

/* Keystrokes go to the guest as typed, except that Ctrl-C, Ctrl-\ and
 * Ctrl-Z stay signals (Ctrl-C stops the VM). The guest echoes. */
static void tty_setup(struct run_state *st, int fd)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, &st->tty))
		return;
	st->tty_saved = true;
	t = st->tty;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(fd, TCSANOW, &t);
}

static int open_pty(struct run_state *st)
{
	struct termios t;
	const char *name;
	int m;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) || unlockpt(m) || !(name = ptsname(m))) {
		cli_error("cannot create a pseudo-terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	/* Holding the slave open keeps the master usable while nobody is
	 * attached; raw mode so the guest's bytes pass unchanged. */
	st->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (st->pty_slave >= 0 && !tcgetattr(st->pty_slave, &t)) {
		cfmakeraw(&t);
		tcsetattr(st->pty_slave, TCSANOW, &t);
	}
	/* Non-blocking: with nobody reading, output is dropped instead of
	 * stalling the guest. */
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	fprintf(stderr, "mvm: console on %s\n", name);
	st->out_fd = st->in_fd = m;
	return 0;
}

/* Create the console file, but write nothing to it until the VM exists:
 * an existing file is truncated only then, a new one removed on failure. */
static int open_console_file(struct run_state *st, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		      0644);

	if (fd >= 0) {
		st->created_file = true;
	} else if (errno == EEXIST) {
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		cli_error("--console file:%s: %s", path, strerror(errno));
		return -1;
	}
	st->file = path;
	st->out_fd = fd;
	return 0;
}

static int console_open(struct run_state *st, const struct run_opts *o)
{
	switch (o->console) {
	case CONSOLE_STDIO:
		st->out_fd = STDOUT_FILENO;
		st->in_fd = fcntl(STDIN_FILENO, F_GETFL) >= 0 ?
			    STDIN_FILENO : -1;
		return 0;
	case CONSOLE_FILE:
		return open_console_file(st, o->console_path);
	case CONSOLE_PTY:
		return open_pty(st);
	}
	return -1;
}

static void console_close(struct run_state *st, const struct run_opts *o,
			  bool failed)
{
	if (st->tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &st->tty);
	st->tty_saved = false;
	if (o->console != CONSOLE_STDIO && st->out_fd >= 0)
		close(st->out_fd);
	if (st->pty_slave >= 0)
		close(st->pty_slave);
	if (failed && st->created_file)
		unlink(st->file);
	st->out_fd = st->in_fd = st->pty_slave = -1;
}

/* ---- running ----------------------------------------------------------- */

struct waiter {
	struct mvm_vm *vm;
	struct mvm_vm_exit result;
	int ret;
	int end_fd;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	uint64_t one = 1;

	w->ret = mvm_vm_wait(w->vm, -1, &w->result);
	if (write(w->end_fd, &one, sizeof(one)) < 0)
		w->ret = -errno;
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum stop_cause { STOP_NONE, STOP_SIGNAL, STOP_TIMEOUT };

/* Wait for the end, a signal or the deadline; stop the VM on the last two
 * and keep waiting for its end. */
static enum stop_cause supervise(struct mvm_vm *vm, int sig_fd, int end_fd,
				 uint64_t deadline_ns)
{
	enum stop_cause cause = STOP_NONE;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = end_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
		};
		int timeout = -1, r;

		if (deadline_ns && cause == STOP_NONE) {
			uint64_t now = now_ns();

			timeout = now >= deadline_ns ? 0 :
				  (int)((deadline_ns - now + 999999) / 1000000);
		}
		r = poll(p, 2, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (p[0].revents)
			return cause;
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si) &&
			    cause == STOP_NONE) {
				cause = STOP_SIGNAL;
				mvm_vm_stop(vm);
			}
			continue;
		}
		if (r == 0 && cause == STOP_NONE) {
			cause = STOP_TIMEOUT;
			mvm_vm_stop(vm);
		}
	}
}

static void print_stats(struct mvm_vm *vm, uint64_t t0_ns, uint64_t t0_tsc)
{
	struct mvm_vm_usage u;
	const struct mvm_vm_stats *k = &u.kernel;
	unsigned int i;

	if (mvm_vm_get_stats(vm, &u)) {
		cli_error("--stats: the VM's statistics cannot be read");
		return;
	}
	for (i = 0; i < MVM_STAT_EXIT_NR; i++)
		if (mvm_stat_exit_name(i))
			fprintf(stderr, "exits.%s: %" PRIu64 "\n",
				mvm_stat_exit_name(i), (uint64_t)k->exits[i]);
	fprintf(stderr, "exits_to_user: %" PRIu64 "\n",
		(uint64_t)k->exits_to_user);
	fprintf(stderr, "kernel_bytes: %" PRIu64 "\n",
		(uint64_t)k->kernel_bytes);
	fprintf(stderr, "vcpu_kernel_bytes: %" PRIu64 "\n",
		(uint64_t)k->vcpu_kernel_bytes);
	fprintf(stderr, "pinned_pages: %" PRIu64 "\n",
		(uint64_t)k->pinned_pages);
	fprintf(stderr, "irqs_injected: %" PRIu64 "\n",
		(uint64_t)k->irqs_injected);
	fprintf(stderr, "halts: %" PRIu64 "\n", (uint64_t)k->halts);
	fprintf(stderr, "vmm_rss_bytes: %" PRIu64 "\n", u.vmm_rss_bytes);
	fprintf(stderr, "guest_mem_bytes: %" PRIu64 "\n", u.guest_mem_bytes);
	fprintf(stderr, "console_dropped_bytes: %" PRIu64 "\n",
		u.console_dropped);
	fprintf(stderr, "boot_marks: %" PRIu64 "\n", (uint64_t)k->marks);
	if (k->marks && k->last_mark_ns >= t0_ns) {
		fprintf(stderr, "last_mark: %" PRIu64 "\n",
			(uint64_t)k->last_mark);
		fprintf(stderr, "last_mark_ms: %.3f\n",
			(double)(k->last_mark_ns - t0_ns) / 1e6);
		fprintf(stderr, "last_mark_tsc: %" PRIu64 "\n",
			(uint64_t)(k->last_mark_host_tsc - t0_tsc));
	} else {
		fputs("last_mark: none\nlast_mark_ms: none\nlast_mark_tsc: none\n",
		      stderr);
	}
}

static int outcome_status(const struct mvm_vm_exit *e, enum stop_cause cause)
{
	switch (e->outcome) {
	case MVM_VM_POWEROFF:
	case MVM_VM_REBOOT:
		return MVM_EXIT_OK;
	case MVM_VM_PANIC:
		cli_error("the guest kernel panicked: %s", e->detail);
		return RUN_EXIT_PANIC;
	case MVM_VM_TRIPLE_FAULT:
		cli_error("the guest triple-faulted: %s", e->detail);
		return RUN_EXIT_TRIPLE_FAULT;
	case MVM_VM_INTERNAL_ERROR:
		cli_error("internal error: %s", e->detail);
		return RUN_EXIT_INTERNAL;
	case MVM_VM_STOPPED:
		if (cause == STOP_TIMEOUT) {
			cli_error("--timeout expired: the VM was stopped");
			return RUN_EXIT_TIMEOUT;
		}
		return RUN_EXIT_INTERRUPTED;
	}
	cli_error("the VM ended in an unknown way (%u): %s", e->outcome,
		  e->detail);
	return RUN_EXIT_INTERNAL;
}

/* Pinned guest pages count against RLIMIT_MEMLOCK: raise the soft limit
 * toward the guest's size when the hard limit allows (libmvm warns when
 * it stays too low). */
static void raise_memlock(uint64_t mem)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= mem)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > mem ?
		      mem : rl.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

/* Build, run and collect the VM: the part after every input check. */
static int run_vm(const struct run_opts *o, struct mvm_vm_config *cfg,
		  struct run_state *st, uint64_t t0_ns, uint64_t t0_tsc)
{
	struct waiter w = { .end_fd = st->end_fd };
	enum stop_cause cause;
	struct mvm_sys *sys;
	uint64_t cap = 0;
	pthread_t wt;
	int ret, status;

	ret = mvm_sys_open(o->device, cli_log, NULL, &sys);
	if (ret)
		return MVM_EXIT_FAILURE;
	if (!mvm_sys_check_cap(sys, MVM_CAP_MAX_VCPUS, &cap) && cap &&
	    cfg->nr_vcpus > cap) {
		cli_error("--vcpus %u: this mvm.ko allows at most %" PRIu64,
			  cfg->nr_vcpus, cap);
		mvm_sys_close(sys);
		return MVM_EXIT_USAGE;
	}
	if (console_open(st, o)) {
		mvm_sys_close(sys);
		return MVM_EXIT_USAGE;
	}
	cfg->console_out_fd = st->out_fd;
	cfg->console_in_fd = st->in_fd;
	raise_memlock(cfg->mem_bytes);

	ret = mvm_vm_create(sys, cfg, cli_log, NULL, &w.vm);
	mvm_sys_close(sys);
	if (ret) {
		console_close(st, o, true);
		/* What the checks could not see in an image, or of a tap
		 * (held by another process, a name of another kind of
		 * device, an address already there), is still input. */
		switch (ret) {
		case -ENOEXEC: case -ENOSPC: case -E2BIG:
		case -ENODEV: case -EBUSY: case -EEXIST: case -ENOTSUP:
		case -EADDRINUSE:
			return MVM_EXIT_USAGE;
		default:
			return MVM_EXIT_FAILURE;
		}
	}
	if (o->console == CONSOLE_FILE && ftruncate(st->out_fd, 0))
		cli_error("--console file:%s: %s", o->console_path,
			  strerror(errno));
	if (o->console == CONSOLE_STDIO && st->in_fd >= 0)
		tty_setup(st, st->in_fd);

	ret = mvm_vm_start(w.vm);
	if (!ret)
		ret = -pthread_create(&wt, NULL, wait_thread, &w);
	if (ret) {
		cli_error("starting the VM: %s", strerror(-ret));
		mvm_vm_destroy(w.vm);
		console_close(st, o, false);
		return MVM_EXIT_FAILURE;
	}

	cause = supervise(w.vm, st->sig_fd, st->end_fd,
			  o->timeout > 0 ? now_ns() +
			  (uint64_t)(o->timeout * 1e9) : 0);
	pthread_join(wt, NULL);
	if (w.ret) {
		cli_error("waiting for the VM: %s", strerror(-w.ret));
		status = MVM_EXIT_FAILURE;
	} else {
		/* The terminal first, so messages print normally. */
		if (st->tty_saved)
			tcsetattr(STDIN_FILENO, TCSANOW, &st->tty);
		st->tty_saved = false;
		if (o->stats)
			print_stats(w.vm, t0_ns, t0_tsc);
		status = outcome_status(&w.result, cause);
	}
	mvm_vm_destroy(w.vm);
	console_close(st, o, false);
	return status;
}

/* Block the stop signals and read them from a signalfd; SIGPIPE too, so
 * a closed console pipe is an error and not the end of mvm. */
static int signals_setup(struct run_state *st)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, &st->old_mask))
		return -1;
	sigdelset(&set, SIGPIPE);
	st->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	st->end_fd = eventfd(0, EFD_CLOEXEC);
	if (st->sig_fd < 0 || st->end_fd < 0) {
		cli_error("signalfd/eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void signals_restore(struct run_state *st)
{
	if (st->sig_fd >= 0)
		close(st->sig_fd);
	if (st->end_fd >= 0)
		close(st->end_fd);
	pthread_sigmask(SIG_SETMASK, &st->old_mask, NULL);
}

/*
 * cmd_run() - "mvm run": argv[0] is "run". Returns the exit status of
 * the table in run_help (0, 1, 2, 10-13, 130); prints on stderr (and the
 * guest's console on the chosen console). Main thread only.
 */
int cmd_run(int argc, char **argv)
{
	uint64_t t0_ns = now_ns(), t0_tsc = __rdtsc();
	struct run_opts o = { .device = NULL, .mem = MVM_VM_DEFAULT_MEM,
			      .vcpus = MVM_VM_DEFAULT_VCPUS, .rng = true };
	struct run_state st = { .out_fd = -1, .in_fd = -1, .pty_slave = -1,
				.sig_fd = -1, .end_fd = -1 };
	struct mvm_vm_config cfg;
	unsigned int i;
	int ret, status = MVM_EXIT_USAGE;

	sigemptyset(&st.old_mask);
	ret = parse_opts(argc, argv, &o);
	if (ret > 0) {
		status = MVM_EXIT_OK;
		goto out;
	}
	if (ret || check_disks_writable(&o))
		goto out;

	mvm_vm_config_init(&cfg);
	cfg.kernel = o.kernel;
	cfg.initrd = o.initrd;
	cfg.cmdline = o.cmdline;
	cfg.mem_bytes = o.mem;
	cfg.nr_vcpus = o.vcpus;
	cfg.disks = o.disks;
	cfg.nr_disks = o.nr_disks;
	cfg.rng = o.rng;
	cfg.nets = o.nets;
	cfg.nr_nets = o.nr_nets;
	ret = mvm_vm_config_check(&cfg, cli_log, NULL);
	if (ret) {
		status = ret == -ENOMEM ? MVM_EXIT_FAILURE : MVM_EXIT_USAGE;
		goto out;
	}

	status = MVM_EXIT_FAILURE;
	if (signals_setup(&st) == 0)
		status = run_vm(&o, &cfg, &st, t0_ns, t0_tsc);
	signals_restore(&st);
out:
	for (i = 0; i < o.nr_disks; i++)
		free(o.disk_paths[i]);
	for (i = 0; i < o.nr_nets; i++)
		free(o.net_specs[i]);
	return status;
}
