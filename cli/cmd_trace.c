// SPDX-License-Identifier: Apache-2.0
/*
 * mvm trace: dispatch, and "mvm trace exits": VM exits by VM and reason,
 * with rates, from the mvm:exit tracepoint through bpf/exits.bpf.c.
 * "mvm trace boot" is cmd_trace_boot.c.
 *
 *   mvm trace exits [--interval S] [--count N] [--vm ID] [--keep]
 *
 * The maps are pinned under /sys/fs/bpf/mvm while it runs (and after,
 * with --keep), so bpftool can read the same numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "trace.h"
#include "exits.h"
#include "exits.skel.h"

#define PIN_ROOT	TRACE_PIN_ROOT
#define MAX_ROWS	4096

/* VMX basic exit reasons (Intel SDM Vol. 3D appendix C). */
static const char *const vmx_reasons[] = {
	[0] = "EXCEPTION_NMI", [1] = "EXTERNAL_INTERRUPT",
	[2] = "TRIPLE_FAULT", [3] = "INIT", [4] = "SIPI",
	[7] = "INTERRUPT_WINDOW", [8] = "NMI_WINDOW", [9] = "TASK_SWITCH",
	[10] = "CPUID", [11] = "GETSEC", [12] = "HLT", [13] = "INVD",
	[14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [18] = "VMCALL",
	[19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD",
	[22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME",
	[25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
	[28] = "CR_ACCESS", [29] = "DR_ACCESS", [30] = "IO_INSTRUCTION",
	[31] = "MSR_READ", [32] = "MSR_WRITE", [33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL", [36] = "MWAIT", [37] = "MONITOR_TRAP",
	[39] = "MONITOR", [40] = "PAUSE", [41] = "MCE_DURING_ENTRY",
	[43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS",
	[46] = "GDTR_IDTR", [47] = "LDTR_TR", [48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG", [50] = "INVEPT", [51] = "RDTSCP",
	[52] = "PREEMPTION_TIMER", [53] = "INVVPID", [54] = "WBINVD",
	[55] = "XSETBV", [57] = "RDRAND", [58] = "INVPCID",
	[59] = "VMFUNC", [60] = "ENCLS", [61] = "RDSEED",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

struct row {
	struct exit_key key;
	unsigned long long count;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->key.vm_id != y->key.vm_id)
		return x->key.vm_id < y->key.vm_id ? -1 : 1;
	return x->key.reason < y->key.reason ? -1 : x->key.reason > y->key.reason;
}

/* Read the whole map; returns the number of rows. */
static size_t read_counts(int fd, struct row *rows)
{
	struct exit_key key, next, *prev = NULL;
	size_t n = 0;

	while (n < MAX_ROWS && !bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &rows[n].count)) {
			rows[n].key = next;
			n++;
		}
		key = next;
		prev = &key;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	return n;
}

static unsigned long long previous(const struct row *old, size_t n,
				   const struct exit_key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (old[i].key.vm_id == k->vm_id &&
		    old[i].key.reason == k->reason)
			return old[i].count;
	return 0;
}

static void print_table(const struct row *now, size_t n,
			const struct row *old, size_t n_old, double secs,
			long vm_filter)
{
	char ts[16];
	time_t t = time(NULL);
	size_t i;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	printf("%s\n%-6s %-20s %12s %12s\n", ts, "VM", "REASON", "TOTAL",
	       "RATE/s");
	for (i = 0; i < n; i++) {
		const struct exit_key *k = &now[i].key;
		unsigned long long d = now[i].count - previous(old, n_old, k);
		const char *name = k->reason < sizeof(vmx_reasons) /
					       sizeof(vmx_reasons[0]) ?
				   vmx_reasons[k->reason] : NULL;
		char buf[16];

		if (vm_filter >= 0 && k->vm_id != (unsigned int)vm_filter)
			continue;
		if (!name) {
			snprintf(buf, sizeof(buf), "reason %u", k->reason);
			name = buf;
		}
		printf("%-6u %-20s %12llu %12.1f\n", k->vm_id, name,
		       now[i].count, secs > 0 ? d / secs : 0.0);
	}
	printf("\n");
	fflush(stdout);
}

static int trace_exits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'v' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = PIN_ROOT);
	static struct row rows[2][MAX_ROWS];
	long interval = 1, count = -1, vm = -1;
	struct exits_bpf *skel;
	size_t n_old = 0;
	bool keep = false;
	int c, err, cur = 0, ret = MVM_EXIT_FAILURE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:c:v:kh", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'i':
		case 'c':
		case 'v': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < (c == 'v' ? 0 : 1)) {
				cli_error("--%s takes a %s number, not '%s'",
					  c == 'i' ? "interval" : c == 'c' ?
					  "count" : "vm",
					  c == 'v' ? "non-negative" : "positive",
					  optarg);
				return MVM_EXIT_USAGE;
			}
			if (c == 'i')
				interval = v;
			else if (c == 'c')
				count = v;
			else
				vm = v;
			break;
		}
		case 'k':
			keep = true;
			break;
		case 'h':
			puts("usage: mvm trace exits [--interval S] [--count N] [--vm ID] [--keep]");
			return MVM_EXIT_OK;
		default:
			return MVM_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return MVM_EXIT_USAGE;
	}

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		cli_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): mvm trace needs a kernel built with CONFIG_DEBUG_INFO_BTF");
		return MVM_EXIT_FAILURE;
	}
	libbpf_set_print(quiet_libbpf);
	if (mkdir(PIN_ROOT, 0700) && errno != EEXIST) {
		cli_error("cannot create %s: %s (mount bpffs: mount -t bpf bpf /sys/fs/bpf)",
			  PIN_ROOT, strerror(errno));
		return MVM_EXIT_FAILURE;
	}
	skel = exits_bpf__open_opts(&open_opts);
	if (!skel) {
		cli_error("cannot open the BPF programs: %s", strerror(errno));
		return MVM_EXIT_FAILURE;
	}
	err = exits_bpf__load(skel);
	if (err) {
		cli_error("cannot load the BPF programs (%s): run as root, or with CAP_BPF and CAP_PERFMON",
			  strerror(-err));
		goto out;
	}
	err = exits_bpf__attach(skel);
	if (err) {
		cli_error("cannot attach to the mvm tracepoints (%s): is mvm.ko loaded?",
			  strerror(-err));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "mvm: tracing VM exits; maps pinned in %s; Ctrl-C to stop\n",
		PIN_ROOT);
	while (!stop && count != 0) {
		struct timespec t0, t1;
		size_t n;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		sleep(interval);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		n = read_counts(bpf_map__fd(skel->maps.exit_counts), rows[cur]);
		print_table(rows[cur], n, rows[!cur], n_old,
			    (t1.tv_sec - t0.tv_sec) +
			    (t1.tv_nsec - t0.tv_nsec) / 1e9, vm);
		n_old = n;
		cur = !cur;
		if (count > 0)
			count--;
	}
	ret = MVM_EXIT_OK;
	if (!keep) {
		bpf_map__unpin(skel->maps.exit_counts, NULL);
		bpf_map__unpin(skel->maps.vm_infos, NULL);
	}
out:
	exits_bpf__destroy(skel);
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs("usage: mvm trace exits [--interval S] [--count N] [--vm ID] [--keep]\n"
		      "       mvm trace boot [--pid P | --vm ID] [--count N] [--timeout S] [--keep]\n"
		      "'mvm trace boot --help' lists the rest\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? MVM_EXIT_USAGE : MVM_EXIT_OK;
	}
	if (!strcmp(argv[1], "exits"))
		return trace_exits(argc - 1, argv + 1);
	if (!strcmp(argv[1], "boot"))
		return trace_boot(argc - 1, argv + 1);
	cli_error("unknown trace '%s'; 'mvm trace --help' lists them", argv[1]);
	return MVM_EXIT_USAGE;
}
