// SPDX-License-Identifier: Apache-2.0
/*
 * mvm trace boot: where the time of each VM's boot goes, from
 * bpf/boot.bpf.c on mvm.ko's tracepoints and libmvm's USDT probes.
 *
 *   mvm trace boot [--pid P | --vm ID] [--count N] [--timeout S] [--keep]
 *                  [--binary PATH] [--raw-tp] [--verbose]
 *
 * Each VM created while it runs is printed once it reaches the ready
 * milestone or is destroyed: one row per milestone, with the stage
 * before it and the time since launch (trace_report.c). At the end, log2
 * histograms across those VMs of the whole boot and of each stage.
 *
 * The checks before loading anything exist to turn every usual way of
 * failing into one sentence that names the fix: no privileges, no BTF,
 * no bpffs, no mvm.ko, a mvm.ko without these tracepoints.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "trace.h"
#include "trace_report.h"
#include "boot.h"
#include "boot.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif
#define BPF_FS_MAGIC_	0xcafe4a11	/* linux/magic.h BPF_FS_MAGIC */
#define POLL_MS		100
#define MAX_LINKS	16
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char boot_usage[] =
"usage: mvm trace boot [--pid P | --vm ID] [--count N] [--timeout S] [--keep]\n"
"                      [--binary PATH] [--raw-tp] [--verbose]\n"
"\n"
"Print where the time of each VM's boot goes, as each VM reaches its ready\n"
"milestone (or ends), then log2 histograms across the VMs.\n"
"\n"
"  --pid P        only the VMs of process P (its libmvm's probes only)\n"
"  --vm ID        only VM ID (mvm.ko's VM id)\n"
"  --count N      stop after N VMs; exit 1 if --timeout comes first\n"
"  --timeout S    stop after S seconds\n"
"  --keep         leave the maps pinned in " TRACE_PIN_ROOT " after exit\n"
"  --binary PATH  the program or libmvm.so whose USDT probes to attach\n"
"                 (default: this mvm, or process P's libmvm)\n"
"  --raw-tp       raw tracepoints even when mvm.ko has BTF\n"
"  --verbose      libbpf's messages\n";

/* libmvm's USDT probes (libmvm/src/vm/probes.h) and their milestones. */
static const struct {
	const char *name;
	unsigned int milestone;
} usdt_probes[] = {
	{ "process_start", BOOT_LAUNCH },
	{ "config_parsed", BOOT_CONFIG_PARSED },
	{ "memory_ready", BOOT_MEMORY_READY },
	{ "kernel_loaded", BOOT_KERNEL_LOADED },
	{ "vm_created", BOOT_VM_CREATED },
	{ "first_entry", BOOT_FIRST_ENTRY },
};

/* mvm.ko's tracepoints that boot.bpf.c uses. */
static const char *const tracepoints[] = {
	"vm_create", "vm_destroy", "vcpu_run", "exit", "guest_mark",
};

struct boot_opts {
	long pid, vm, count, timeout;
	bool keep, raw_tp, verbose;
	const char *binary;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool verbose_libbpf;

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose_libbpf || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* A non-negative (or, with @positive, positive) decimal in @s. */
static bool parse_num(const char *s, bool positive, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < (positive ? 1 : 0))
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, struct boot_opts *o)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "vm", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "binary", required_argument, NULL, 'b' },
		{ "raw-tp", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;	/* the messages below say it better */
	while ((c = getopt_long(argc, argv, "+:p:m:c:t:kb:rvh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'm':
		case 'c':
		case 't': {
			long *dst = c == 'p' ? &o->pid : c == 'm' ? &o->vm :
				    c == 'c' ? &o->count : &o->timeout;

			/* VM ids start at 1; pids, counts, timeouts too. */
			if (!parse_num(optarg, true, dst) ||
			    (c != 't' && *dst > UINT_MAX)) {
				cli_error("--%s takes a positive number, not '%s'",
					  c == 'p' ? "pid" : c == 'm' ? "vm" :
					  c == 'c' ? "count" : "timeout", optarg);
				return MVM_EXIT_USAGE;
			}
			break;
		}
		case 'k':
			o->keep = true;
			break;
		case 'b':
			o->binary = optarg;
			break;
		case 'r':
			o->raw_tp = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(boot_usage, stdout);
			return MVM_EXIT_OK;
		case ':':
			cli_error("%s needs a value", argv[optind - 1]);
			return MVM_EXIT_USAGE;
		default:
			cli_error("unknown option '%s'; see 'mvm trace boot --help'",
				  argv[optind - 1]);
			return MVM_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return MVM_EXIT_USAGE;
	}
	if (o->pid && o->vm) {
		cli_error("--pid and --vm exclude each other");
		return MVM_EXIT_USAGE;
	}
	return -1;	/* go on */
}

/* Root, or the capabilities BPF tracing needs, in the effective set. */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
#define HAS_CAP(c) (data[(c) / 32].effective & (1u << ((c) % 32)))
	return (HAS_CAP(CAP_BPF) && HAS_CAP(CAP_PERFMON)) ||
	       HAS_CAP(CAP_SYS_ADMIN);
#undef HAS_CAP
}

/*
 * Everything that must hold before the programs can load, each with the
 * message that names the fix. Returns 0 or MVM_EXIT_FAILURE.
 */
static int check_host(const struct boot_opts *o)
{
	struct statfs fs;
	char path[64];

	if (!privileged()) {
		cli_error("mvm trace boot needs root, or CAP_BPF and CAP_PERFMON (BPF programs, uprobes)");
		return MVM_EXIT_FAILURE;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		cli_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): mvm trace needs a kernel built with CONFIG_DEBUG_INFO_BTF");
		return MVM_EXIT_FAILURE;
	}
	if (statfs("/sys/fs/bpf", &fs) || (unsigned long)fs.f_type != BPF_FS_MAGIC_) {
		cli_error("no bpffs on /sys/fs/bpf, where the maps are pinned: mount -t bpf bpf /sys/fs/bpf");
		return MVM_EXIT_FAILURE;
	}
	if (access("/sys/module/mvm", F_OK)) {
		cli_error("mvm.ko is not loaded (modprobe mvm): its tracepoints are what mvm trace boot reads");
		return MVM_EXIT_FAILURE;
	}
	if (o->pid) {
		snprintf(path, sizeof(path), "/proc/%ld", o->pid);
		if (access(path, F_OK)) {
			cli_error("no process %ld", o->pid);
			return MVM_EXIT_FAILURE;
		}
	}
	return 0;
}

/*
 * Does mvm.ko's BTF describe every tracepoint? Then the tp_btf programs
 * can attach. Returns 1 yes, 0 no BTF (use raw_tp), or -1 when the BTF
 * lacks one of them (named in @missing): an mvm.ko older than this CLI.
 */
static int module_btf_has_tracepoints(const char **missing)
{
	struct btf *vmlinux, *mod;
	int ret = 1;
	size_t i;

	if (access("/sys/kernel/btf/mvm", R_OK))
		return 0;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return 0;
	mod = btf__load_module_btf("mvm", vmlinux);
	if (!mod) {
		btf__free(vmlinux);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(tracepoints); i++) {
		char name[64];

		snprintf(name, sizeof(name), "btf_trace_%s", tracepoints[i]);
		if (btf__find_by_name_kind(mod, name, BTF_KIND_TYPEDEF) < 0) {
			*missing = tracepoints[i];
			ret = -1;
			break;
		}
	}
	btf__free(mod);
	btf__free(vmlinux);
	return ret;
}

/*
 * The file whose USDT notes to attach to: --binary, else process P's
 * libmvm.so if it maps one, else its executable (the CLI links libmvm
 * statically), else this mvm itself.
 */
static int usdt_binary(const struct boot_opts *o, char *out, size_t len)
{
	char path[64], line[PATH_MAX + 128];
	ssize_t n;
	FILE *maps;

	if (o->binary) {
		char *p = realpath(o->binary, NULL);

		if (!p)
			return -errno;
		if (strlen(p) >= len) {
			free(p);
			return -ENAMETOOLONG;
		}
		strcpy(out, p);
		free(p);
		return 0;
	}
	if (o->pid) {
		snprintf(path, sizeof(path), "/proc/%ld/maps", o->pid);
		maps = fopen(path, "re");
		while (maps && fgets(line, sizeof(line), maps)) {
			char *p = strchr(line, '/');

			if (!p || !strstr(p, "/libmvm.so"))
				continue;
			p[strcspn(p, "\n")] = '\0';
			if (strlen(p) < len) {
				strcpy(out, p);
				fclose(maps);
				return 0;
			}
		}
		if (maps)
			fclose(maps);
		snprintf(path, sizeof(path), "/proc/%ld/exe", o->pid);
	} else {
		snprintf(path, sizeof(path), "/proc/self/exe");
	}
	n = readlink(path, out, len - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

struct tracer {
	struct boot_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nr_links;
	bool btf_tp;		/* tp_btf, else raw_tp */
	bool usdt;		/* at least process_start attached */
	char binary[PATH_MAX];
};

static void tracer_destroy(struct tracer *t)
{
	while (t->nr_links)
		bpf_link__destroy(t->links[--t->nr_links]);
	boot_bpf__destroy(t->skel);
}

/* Attach one program as tracepoint @tp; MVM_EXIT_FAILURE with a message. */
static int attach_tracepoint(struct tracer *t, struct bpf_program *prog,
			     const char *tp)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link) {
		int err = errno;

		cli_error("cannot attach to the tracepoint mvm:%s (%s): %s",
			  tp, strerror(err), err == ENOENT ?
			  "this mvm.ko does not have it; it is older than this mvm" :
			  "is mvm.ko loaded?");
		return MVM_EXIT_FAILURE;
	}
	t->links[t->nr_links++] = link;
	return 0;
}

/* Attach the USDT program to every probe; missing probes only warn. */
static void attach_usdt(struct tracer *t, const struct boot_opts *o)
{
	const char *missing[ARRAY_SIZE(usdt_probes)];
	unsigned int i, got = 0, nr_missing = 0;
	int err, last_err = 0;

	err = usdt_binary(o, t->binary, sizeof(t->binary));
	if (err) {
		cli_error("warning: cannot find the binary holding libmvm (%s): no launch or libmvm milestones",
			  strerror(-err));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(usdt_probes); i++) {
		LIBBPF_OPTS(bpf_usdt_opts, uo,
			    .usdt_cookie = usdt_probes[i].milestone);
		struct bpf_link *link;

		link = bpf_program__attach_usdt(t->skel->progs.libmvm_probe,
						o->pid ? (pid_t)o->pid : -1,
						t->binary, "mvm",
						usdt_probes[i].name, &uo);
		if (!link) {
			last_err = errno;
			missing[nr_missing++] = usdt_probes[i].name;
			continue;
		}
		t->links[t->nr_links++] = link;
		got++;
		if (usdt_probes[i].milestone == BOOT_LAUNCH)
			t->usdt = true;
	}
	if (!got) {
		cli_error("warning: cannot attach to libmvm's USDT probes in %s (%s): the launch and libmvm milestones will be missing (--binary names another file)",
			  t->binary, strerror(last_err));
		return;
	}
	for (i = 0; i < nr_missing; i++)
		cli_error("warning: no USDT probe mvm:%s in %s", missing[i],
			  t->binary);
}

static int tracer_start(struct tracer *t, const struct boot_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = TRACE_PIN_ROOT);
	struct bpf_program *btf_progs[ARRAY_SIZE(tracepoints)];
	struct bpf_program *raw_progs[ARRAY_SIZE(tracepoints)];
	const char *missing = NULL;
	int btf, err;
	size_t i;

	btf = o->raw_tp ? 0 : module_btf_has_tracepoints(&missing);
	if (btf < 0) {
		cli_error("mvm.ko has no tracepoint mvm:%s: it is older than this mvm (rebuild and reload it)",
			  missing);
		return MVM_EXIT_FAILURE;
	}
	t->btf_tp = btf == 1;
	if (mkdir(TRACE_PIN_ROOT, 0700) && errno != EEXIST) {
		cli_error("cannot create %s: %s", TRACE_PIN_ROOT, strerror(errno));
		return MVM_EXIT_FAILURE;
	}
	/* Maps left pinned by an earlier --keep run would be reused, with
	 * their old VMs: start from empty ones. */
	unlink(TRACE_PIN_ROOT "/boot_timelines");
	unlink(TRACE_PIN_ROOT "/boot_launches");

	t->skel = boot_bpf__open_opts(&open_opts);
	if (!t->skel) {
		cli_error("cannot open the BPF programs: %s", strerror(errno));
		return MVM_EXIT_FAILURE;
	}
	t->skel->rodata->targ_tgid = (__u32)o->pid;
	t->skel->rodata->targ_vm = (__u32)o->vm;
	btf_progs[0] = t->skel->progs.vm_create_btf;
	btf_progs[1] = t->skel->progs.vm_destroy_btf;
	btf_progs[2] = t->skel->progs.vcpu_run_btf;
	btf_progs[3] = t->skel->progs.exit_btf;
	btf_progs[4] = t->skel->progs.guest_mark_btf;
	raw_progs[0] = t->skel->progs.vm_create_raw;
	raw_progs[1] = t->skel->progs.vm_destroy_raw;
	raw_progs[2] = t->skel->progs.vcpu_run_raw;
	raw_progs[3] = t->skel->progs.exit_raw;
	raw_progs[4] = t->skel->progs.guest_mark_raw;
	/* In the order of tracepoints[]. */
	for (i = 0; i < ARRAY_SIZE(tracepoints); i++) {
		bpf_program__set_autoload(btf_progs[i], t->btf_tp);
		bpf_program__set_autoload(raw_progs[i], !t->btf_tp);
	}
	err = boot_bpf__load(t->skel);
	if (err) {
		cli_error("cannot load the BPF programs (%s)%s", strerror(-err),
			  err == -EPERM || err == -EACCES ?
			  ": run as root, or with CAP_BPF and CAP_PERFMON" :
			  "; --verbose shows libbpf's messages");
		return MVM_EXIT_FAILURE;
	}
	for (i = 0; i < ARRAY_SIZE(tracepoints); i++) {
		err = attach_tracepoint(t, t->btf_tp ? btf_progs[i] :
					raw_progs[i], tracepoints[i]);
		if (err)
			return err;
	}
	attach_usdt(t, o);
	return 0;
}

/* VMs already printed. */
struct seen {
	__u32 *ids;
	size_t n, cap;
};

static bool seen_has(const struct seen *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

static int seen_add(struct seen *s, __u32 id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		__u32 *ids = realloc(s->ids, cap * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		s->ids = ids;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
	return 0;
}

/*
 * Print every VM that is done and not printed yet (@final: also those
 * still booting, without counting them). Returns how many were printed
 * as done.
 */
static size_t report_new(const struct tracer *t, struct seen *s,
			 struct boot_hists *h, bool final)
{
	int fd = bpf_map__fd(t->skel->maps.boot_timelines);
	__u32 key, next, *prev = NULL;
	struct boot_timeline tl;
	size_t done = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (seen_has(s, key) || bpf_map_lookup_elem(fd, &key, &tl))
			continue;
		if (boot_timeline_done(&tl)) {
			if (seen_add(s, key))
				break;
			boot_report_print(stdout, key, &tl, t->usdt);
			boot_hists_add(h, &tl);
			done++;
		} else if (final) {
			boot_report_print(stdout, key, &tl, t->usdt);
		}
	}
	fflush(stdout);
	return done;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int trace_boot(int argc, char **argv)
{
	struct tracer t = { 0 };
	struct boot_hists hists;
	struct seen seen = { 0 };
	struct sigaction sa;
	struct boot_opts o;
	bool started = false;
	size_t done = 0;
	double t0;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret >= 0)
		return ret;
	ret = check_host(&o);
	if (ret)
		return ret;
	verbose_libbpf = o.verbose;
	libbpf_set_print(print_libbpf);

	ret = tracer_start(&t, &o);
	if (ret)
		goto out;
	started = true;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: wake the sleep */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "mvm: tracing VM boots: tracepoints as %s, USDT probes %s%s%s; maps pinned in %s; Ctrl-C to stop\n",
		t.btf_tp ? "tp_btf (mvm.ko has BTF)" :
		o.raw_tp ? "raw_tp (--raw-tp)" : "raw_tp (mvm.ko has no BTF)",
		t.usdt ? "in " : "not attached", t.usdt ? t.binary : "",
		o.pid ? " for that process" : "", TRACE_PIN_ROOT);

	memset(&hists, 0, sizeof(hists));
	t0 = now_s();
	while (!stop) {
		struct timespec tick = { 0, POLL_MS * 1000000L };

		done += report_new(&t, &seen, &hists, false);
		if (o.count && done >= (size_t)o.count)
			break;
		if (o.timeout && now_s() - t0 >= o.timeout)
			break;
		nanosleep(&tick, NULL);
	}
	/* What happened between the last poll and the stop. */
	done += report_new(&t, &seen, &hists, true);

	printf("%zu VM%s traced\n\n", done, done == 1 ? "" : "s");
	if (done)
		boot_hists_print(stdout, &hists);
	fflush(stdout);
	ret = MVM_EXIT_OK;
	if (o.count && done < (size_t)o.count && !stop) {
		cli_error("timed out after %ld s: %zu of %ld VMs reached the ready milestone or ended",
			  o.timeout, done, o.count);
		ret = MVM_EXIT_FAILURE;
	}
out:
	/* Loading pinned the maps: a failed start leaves none behind. */
	if (t.skel && (!started || !o.keep)) {
		bpf_map__unpin(t.skel->maps.boot_timelines, NULL);
		bpf_map__unpin(t.skel->maps.boot_launches, NULL);
	}
	tracer_destroy(&t);
	free(seen.ids);
	return ret;
}
