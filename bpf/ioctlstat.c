// SPDX-License-Identifier: Apache-2.0
/*
 * mvm-ioctlstat: count ioctls on mvm fds by command and errno.
 *
 *   mvm-ioctlstat [-d SECONDS] [--keep]
 *
 * Attaches ioctlstat.bpf.c to the mvm:ioctl tracepoint, pins its map at
 * /sys/fs/bpf/mvm/ioctl_stats (readable with "bpftool map dump pinned"),
 * and on SIGINT, SIGTERM or after SECONDS prints one line per outcome.
 * The pinned map is removed on exit unless --keep is given.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ioctlstat.h"
#include "ioctlstat.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int print_stats(int map_fd)
{
	struct ioctl_key key, next, *prev = NULL;
	__u64 count;

	printf("%-4s %-10s %-4s %-6s %s\n", "FD", "CMD", "NR", "ERRNO",
	       "COUNT");
	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(map_fd, &next, &count) == 0)
			printf("%-4u %#-10x %-4u %-6d %llu\n", next.fd_kind,
			       next.cmd, next.cmd & 0xff, next.err,
			       (unsigned long long)count);
		key = next;
		prev = &key;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = MVM_BPF_PIN_ROOT);
	struct ioctlstat_bpf *skel;
	long duration = 0;
	bool keep = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "d:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			duration = strtol(optarg, NULL, 10);
			if (duration <= 0) {
				fprintf(stderr, "mvm-ioctlstat: -d takes a positive number of seconds\n");
				return 2;
			}
			break;
		case 'k':
			keep = true;
			break;
		case 'h':
			puts("usage: mvm-ioctlstat [-d SECONDS] [--keep]");
			return 0;
		default:
			return 2;
		}
	}

	libbpf_set_print(print_libbpf);
	if (mkdir(MVM_BPF_PIN_ROOT, 0700) && errno != EEXIST) {
		fprintf(stderr, "mvm-ioctlstat: cannot create %s: %s (is bpffs mounted on /sys/fs/bpf?)\n",
			MVM_BPF_PIN_ROOT, strerror(errno));
		return 1;
	}

	skel = ioctlstat_bpf__open_opts(&open_opts);
	if (!skel) {
		fprintf(stderr, "mvm-ioctlstat: cannot open the BPF object: %s\n",
			strerror(errno));
		return 1;
	}
	err = ioctlstat_bpf__load(skel);
	if (err) {
		fprintf(stderr, "mvm-ioctlstat: cannot load the BPF program (%s): needs root or CAP_BPF+CAP_PERFMON\n",
			strerror(-err));
		goto out;
	}
	err = ioctlstat_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "mvm-ioctlstat: cannot attach to mvm:ioctl (%s): is mvm.ko loaded?\n",
			strerror(-err));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "mvm-ioctlstat: counting; map pinned at %s/ioctl_stats\n",
		MVM_BPF_PIN_ROOT);
	while (!stop && (duration == 0 || duration-- > 0))
		sleep(1);

	print_stats(bpf_map__fd(skel->maps.ioctl_stats));
	if (!keep)
		bpf_map__unpin(skel->maps.ioctl_stats, NULL);
out:
	ioctlstat_bpf__destroy(skel);
	return err ? 1 : 0;
}
