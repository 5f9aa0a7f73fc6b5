// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_boot_test: "mvm trace boot" on Linux guests booted by "mvm run"
 * (issue 6), in the order the harness runs them:
 *
 *   traced_boots   start "mvm trace boot --count N --keep", boot N guests
 *       one after another, let the tracer stop by itself, then check each
 *       VM's timeline in the pinned map: every milestone present and in
 *       order, inside the [fork, exit] window of its "mvm run" (the
 *       same CLOCK_MONOTONIC), and the stages the tracer printed adding
 *       up to the total it printed, and to ready - launch, within 1%.
 *   bpftool_reads_pins   "bpftool map dump pinned .../boot_timelines"
 *       shows the same N VMs.
 *   overhead       boot M guests with no tracer and print
 *       "# BENCH boot_trace_overhead ...": wall seconds and TSC ticks per
 *       boot, traced and untraced, and their ratios.
 *
 * N is 5 and M is 2 on a real host. In a test host a Linux guest costs
 * a minute or more of emulation, so the host's kernel command line says
 * how many: mvm.boot_trace=N,M (mvm.boot_trace=0 SKIPs them all); without
 * it, N is 1 and M is 0, and overhead SKIPs. MVM_BOOT_TRACE=N,M in the
 * environment overrides both. After the first guest that does not power
 * off cleanly, no further one is booted. The guests are the cheapest the
 * payload offers: its default mode (milestones, then power-off),
 * "quiet", no virtio-rng.
 *
 * SKIPs where /dev/mvm cannot run guests (QEMU's SVM), without the guest
 * payload (/guest, or $MVM_GUEST_DIR), BTF or bpffs. Work files stay in
 * /tmp/bpf_boot_test/.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"
#include "boot.h"

#define WORK_DIR	"/tmp/bpf_boot_test"
#define PIN_DIR		"/sys/fs/bpf/mvm"
#define PIN_TIMELINES	PIN_DIR "/boot_timelines"
#define PIN_LAUNCHES	PIN_DIR "/boot_launches"
/* mvm run --timeout of one guest, in the test host's (emulated) time: a
 * guest that boots needs about 50 s of it. */
#define BOOT_TIMEOUT_S	240
#define SLACK_S		60	/* past it, the test kills mvm run */
#define TRACER_START_S	120	/* BPF loading is slow under emulation */
#define MAX_GUESTS	5
#define FULL_TRACED	5
#define FULL_UNTRACED	2
/* The tracer's table: numbers start after 2 + BOOT_NAME_COLS (30, in
 * cli/trace_report.h) columns. */
#define NUM_COL		32
#define CASE_TIMEOUT_S	(MAX_GUESTS * (BOOT_TIMEOUT_S + SLACK_S) + 600)

/* One "mvm run" of a guest, timed on this host's clocks. */
struct boot_run {
	pid_t pid;
	int status;			/* exit status, 128 + signal */
	unsigned long long fork_ns;	/* CLOCK_MONOTONIC */
	unsigned long long exit_ns;
	unsigned long long tsc;		/* TSC ticks, fork to exit */
};

static const char *cli_path(void)
{
	const char *c = getenv("MVM_CLI");

	return c && *c ? c : "mvm";
}

static const char *guest_dir(void)
{
	const char *d = getenv("MVM_GUEST_DIR");

	return d && *d ? d : "/guest";
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* "N" or "N,M" from @s into @traced, @untraced; false if malformed. */
static bool parse_plan(const char *s, int *traced, int *untraced)
{
	int n, m = 0, used = 0;

	if (sscanf(s, "%d%n,%d%n", &n, &used, &m, &used) < 1 ||
	    (s[used] && s[used] != ' ' && s[used] != '\n') ||
	    n < 0 || n > MAX_GUESTS || m < 0 || m > MAX_GUESTS)
		return false;
	*traced = n;
	*untraced = m;
	return true;
}

/* N traced guests and M untraced ones for this host (see the top). */
static void plan(int *traced, int *untraced)
{
	const char *env = getenv("MVM_BOOT_TRACE");
	char cmdline[4096] = "";
	const char *arg;
	FILE *f;

	*traced = FULL_TRACED;
	*untraced = FULL_UNTRACED;
	if (env && parse_plan(env, traced, untraced))
		return;
	if (access("/selftests/list", F_OK))
		return;		/* a real host */
	*traced = 1;
	*untraced = 0;
	f = fopen("/proc/cmdline", "re");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	arg = strstr(cmdline, "mvm.boot_trace=");
	if (arg)
		parse_plan(arg + strlen("mvm.boot_trace="), traced, untraced);
}

/* The whole of @path (up to 1 MiB), NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	size_t n = 0, cap = 1 << 20;
	char *buf;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (n < cap - 1 && (got = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* Print @text as harness comments, prefixed by @tag. */
static void log_text(const char *tag, const char *text)
{
	const char *p = text;

	while (p && *p) {
		size_t n = strcspn(p, "\n");

		printf("# %s| %.*s\n", tag, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	fflush(stdout);
}

/* The last @max lines of file @path as harness comments. */
static void log_tail(const char *tag, const char *path, unsigned int max)
{
	char *text = slurp(path);
	const char *p;
	unsigned int lines = 0;

	if (!text || !*text) {
		printf("# %s| (%s %s)\n", tag, text ? "empty:" : "no", path);
		free(text);
		return;
	}
	for (p = text + strlen(text); p > text; p--)
		if (p[-1] == '\n' && p[0] && ++lines >= max)
			break;
	/* Guest consoles end lines with \r\n. */
	for (char *c = text; *c; c++)
		if (*c == '\r' || ((unsigned char)*c < 0x20 && *c != '\n'))
			*c = ' ';
	log_text(tag, p);
	free(text);
}

/* Start @argv with stdin from /dev/null, stdout and stderr into files. */
static pid_t spawn(char *const argv[], const char *out, const char *err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 ||
		    dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * Wait up to @limit_s for @pid, then send it @sig; whatever is still
 * running 30 s later gets SIGKILL. Returns its exit status (128 + the
 * signal that killed it); *@killed tells whether it had to be signalled.
 */
static int reap(pid_t pid, unsigned int limit_s, int sig, bool *killed)
{
	unsigned long long deadline = now_ns() + limit_s * 1000000000ULL;
	int st = 0;

	*killed = false;
	for (;;) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (now_ns() > deadline) {
			kill(pid, sig);
			*killed = true;
			sig = SIGKILL;
			deadline = now_ns() + 30 * 1000000000ULL;
		}
		nanosleep(&tick, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) :
	       WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* Boot guest number @i with "mvm run" and wait for it to power off. */
static void boot_guest(int i, const char *tag, struct boot_run *r)
{
	char kernel[512], initrd[512], console[128], out[128], err[128];
	char timeout[16];
	unsigned long long tsc0;
	bool killed;

	snprintf(kernel, sizeof(kernel), "%s/bzImage", guest_dir());
	snprintf(initrd, sizeof(initrd), "%s/guest.cpio", guest_dir());
	snprintf(console, sizeof(console), "file:%s/%s%d.console", WORK_DIR,
		 tag, i);
	snprintf(out, sizeof(out), "%s/%s%d.out", WORK_DIR, tag, i);
	snprintf(err, sizeof(err), "%s/%s%d.err", WORK_DIR, tag, i);
	snprintf(timeout, sizeof(timeout), "%d", BOOT_TIMEOUT_S);
	{
		char *argv[] = {
			(char *)cli_path(), "run", "--kernel", kernel,
			"--initrd", initrd, "--cmdline", "quiet", "--no-rng",
			"--mem", "256M", "--console", console,
			"--timeout", timeout, "--stats", NULL,
		};

		r->fork_ns = now_ns();
		tsc0 = __rdtsc();
		r->pid = spawn(argv, out, err);
		r->status = r->pid < 0 ? -1 :
			    reap(r->pid, BOOT_TIMEOUT_S + SLACK_S, SIGKILL,
				 &killed);
		r->tsc = __rdtsc() - tsc0;
		r->exit_ns = now_ns();
	}
	printf("# %s guest %d: mvm run pid %d exit %d after %.2f s, %.1f M TSC ticks\n",
	       tag, i, r->pid, r->status, (r->exit_ns - r->fork_ns) / 1e9,
	       r->tsc / 1e6);
	log_tail("mvm run stderr", err, 40);
	log_tail("guest console", console + strlen("file:"), 15);
}

/*
 * Bochs 2.7 with the 6.1 kernel (XSAVE on, AVX-512 hidden): a process
 * whose glibc runs its AVX/AVX2 string functions hard is, now and then,
 * restored from a saved FPU image that XRSTORS rejects; the kernel warns
 * "Bad FPU state detected" and resets that process's vector registers
 * under it. Neither mvm.ko (it happens with the module unloaded) nor BPF
 * is involved: the same runs of the tracer's loading with glibc's AVX
 * paths turned off never warn. The tracer parses the kernel's BTF with
 * those functions, so in the test host its children run without them,
 * unless the environment already says otherwise.
 */
#define NO_AVX_TUNABLES	"glibc.cpu.hwcaps=-AVX,-AVX2,-RTM,-AVX_Fast_Unaligned_Load,-FMA,-F16C"

static void testhost_workarounds(void)
{
	if (access("/selftests/list", F_OK) || getenv("GLIBC_TUNABLES"))
		return;
	setenv("GLIBC_TUNABLES", NO_AVX_TUNABLES, 1);
	printf("# test host: children run with GLIBC_TUNABLES=%s (Bochs FPU-state bug, see bpf_boot_test.c)\n",
	       NO_AVX_TUNABLES);
}

/* Skip unless this host can boot the guest payload and trace it. */
static void require_all(struct __test_metadata *_metadata)
{
	char path[512], cmd[600];

	MVM_REQUIRE_VM();
	snprintf(path, sizeof(path), "%s/bzImage", guest_dir());
	MVM_REQUIRE(!access(path, R_OK),
		    "no guest payload in %s (make -C selftests/guest; MVM_GUEST_DIR)",
		    guest_dir());
	snprintf(path, sizeof(path), "%s/guest.cpio", guest_dir());
	MVM_REQUIRE(!access(path, R_OK), "no %s", path);
	snprintf(cmd, sizeof(cmd), "%s help 2>&1 | grep -q '^ *mvm run'",
		 cli_path());
	MVM_REQUIRE(system(cmd) == 0, "the mvm CLI (%s) has no 'run' command",
		    cli_path());
	MVM_REQUIRE(!access("/sys/kernel/btf/vmlinux", R_OK), "kernel has no BTF");
	MVM_REQUIRE(mkdir(PIN_DIR, 0700) == 0 || errno == EEXIST,
		    "no bpffs at /sys/fs/bpf");
	mkdir(WORK_DIR, 0755);
	testhost_workarounds();
}

/* The timeline in the map @fd of the VM that process @pid created. */
static bool timeline_of(int fd, pid_t pid, __u32 *id, struct boot_timeline *t)
{
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, t) && t->pid == (__u32)pid) {
			*id = key;
			return true;
		}
	}
	return false;
}

/*
 * From the tracer's table of VM @id in @out: the sum of the main
 * stages and the total, in ms. False if the table is not there.
 */
static bool table_sums(const char *out, __u32 id, double *sum, double *total)
{
	char head[32];
	const char *p;

	snprintf(head, sizeof(head), "VM %u: ", id);
	p = strstr(out, head);
	if (!p)
		return false;
	*sum = 0;
	while ((p = strchr(p, '\n')) && p[1] && p[1] != '\n') {
		double v;

		p++;
		if (strlen(p) <= NUM_COL || strncmp(p, "  ", 2) || p[2] == ' ' ||
		    !strncmp(p, "  MILESTONE", 11))
			continue;
		if (sscanf(p + NUM_COL, "%lf", &v) != 1)
			continue;	/* "-": the origin, or missing */
		if (!strncmp(p, "  total", 7)) {
			*total = v;
			return true;
		}
		*sum += v;
	}
	return false;
}

/* The cases share files in WORK_DIR and the pins, not a fixture. */
FIXTURE(trace) {
	int unused;
};

FIXTURE_SETUP(trace)
{
}

FIXTURE_TEARDOWN(trace)
{
}

TEST_F_TIMEOUT(trace, traced_boots, CASE_TIMEOUT_S)
{
	struct boot_run runs[MAX_GUESTS];
	char count[16], timeout[16], *out, *err = NULL;
	int traced, untraced, booted, i, fd, st;
	pid_t tracer;
	bool killed;
	FILE *f;

	plan(&traced, &untraced);
	MVM_REQUIRE(traced > 0, "mvm.boot_trace=0: no traced guests in this host");
	require_all(_metadata);
	unlink(PIN_TIMELINES);
	unlink(PIN_LAUNCHES);
	unlink(WORK_DIR "/traced");
	snprintf(count, sizeof(count), "%d", traced);
	snprintf(timeout, sizeof(timeout), "%d",
		 traced * (BOOT_TIMEOUT_S + SLACK_S) + TRACER_START_S);
	{
		char *argv[] = {
			(char *)cli_path(), "trace", "boot", "--count", count,
			"--timeout", timeout, "--keep", NULL,
		};

		printf("# mvm trace boot --count %s --timeout %s --keep, then %d guest%s\n",
		       count, timeout, traced, traced == 1 ? "" : "s");
		tracer = spawn(argv, WORK_DIR "/tracer.out",
			       WORK_DIR "/tracer.err");
		ASSERT_LT(0, tracer);
	}
	/* Guests booted before the programs are attached would be missed. */
	for (i = 0; i < TRACER_START_S * 10; i++) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };

		free(err);
		err = slurp(WORK_DIR "/tracer.err");
		if ((err && strstr(err, "mvm: tracing VM boots")) ||
		    waitpid(tracer, &st, WNOHANG) == tracer)
			break;
		nanosleep(&tick, NULL);
	}
	log_text("tracer stderr", err);
	ASSERT_TRUE(err && strstr(err, "mvm: tracing VM boots"))
		TH_LOG("the tracer did not start");
	free(err);

	for (booted = 0; booted < traced; booted++) {
		boot_guest(booted, "traced", &runs[booted]);
		EXPECT_EQ(0, runs[booted].status)
			TH_LOG("mvm run should exit 0 when the guest powers off");
		if (runs[booted].status) {
			booted++;
			break;	/* the next ones would fail alike */
		}
	}
	/* It stops by itself after its N VMs; after a failed guest, now. */
	st = reap(tracer, booted == traced ? 120 : 0, SIGINT, &killed);
	out = slurp(WORK_DIR "/tracer.out");
	err = slurp(WORK_DIR "/tracer.err");
	log_text("tracer", out);
	log_text("tracer stderr", err);
	EXPECT_EQ(0, st) TH_LOG("mvm trace boot exited with %d", st);
	if (booted == traced)
		EXPECT_FALSE(killed)
			TH_LOG("mvm trace boot should stop by itself after %d VMs", traced);

	fd = bpf_obj_get(PIN_TIMELINES);
	ASSERT_LE(0, fd) TH_LOG("--keep left no %s", PIN_TIMELINES);
	f = fopen(WORK_DIR "/traced", "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i < booted; i++) {
		const struct boot_run *r = &runs[i];
		struct boot_timeline t;
		double sum = 0, total = -1, span_ms;
		unsigned int m;
		__u32 id = 0;

		fprintf(f, "%d %llu %llu\n", r->status,
			r->exit_ns - r->fork_ns, r->tsc);
		ASSERT_TRUE(timeline_of(fd, r->pid, &id, &t))
			TH_LOG("no timeline of the VM of mvm run pid %d", r->pid);
		for (m = 0; m < BOOT_NR_MILESTONES; m++) {
			EXPECT_NE(0, t.ts[m])
				TH_LOG("VM %u: milestone %u missing", id, m);
			if (m && t.ts[m - 1] && t.ts[m])
				EXPECT_LE(t.ts[m - 1], t.ts[m])
					TH_LOG("VM %u: milestone %u before %u", id, m, m - 1);
		}
		/* Inside its mvm run: launch after the fork, the VM gone
		 * before the exit was seen. */
		EXPECT_LE(r->fork_ns, t.ts[BOOT_LAUNCH]) TH_LOG("VM %u", id);
		EXPECT_LE(t.ts[BOOT_READY], t.destroyed_ns) TH_LOG("VM %u", id);
		EXPECT_LE(t.destroyed_ns, r->exit_ns) TH_LOG("VM %u", id);
		EXPECT_GE(t.kernel_rip >> 63, 1) TH_LOG("VM %u", id);
		EXPECT_EQ(0, t.first_rip >> 63) TH_LOG("VM %u: the bzImage's entry is low", id);

		ASSERT_TRUE(table_sums(out ? out : "", id, &sum, &total))
			TH_LOG("the tracer printed no table for VM %u", id);
		if (!t.ts[BOOT_LAUNCH] || !t.ts[BOOT_READY])
			continue;	/* failed above; no total to compare */
		span_ms = (t.ts[BOOT_READY] - t.ts[BOOT_LAUNCH]) / 1e6;
		printf("# VM %u: stages add up to %.3f ms, total printed %.3f ms, ready - launch %.3f ms, %llu exits\n",
		       id, sum, total, span_ms, t.boot_exits);
		EXPECT_LE(sum > total ? sum - total : total - sum, total / 100)
			TH_LOG("VM %u: stages %.3f ms, total %.3f ms", id, sum, total);
		EXPECT_LE(total > span_ms ? total - span_ms : span_ms - total,
			  span_ms / 100)
			TH_LOG("VM %u: printed %.3f ms, map %.3f ms", id, total, span_ms);
	}
	fclose(f);
	close(fd);
	free(out);
	free(err);
}

TEST_F(trace, bpftool_reads_pins)
{
	int traced, untraced, booted = 0, entries = 0, st;
	char line[512];
	FILE *p, *f;

	plan(&traced, &untraced);
	MVM_REQUIRE(traced > 0, "mvm.boot_trace=0: no traced guests in this host");
	MVM_REQUIRE(!access(PIN_TIMELINES, F_OK),
		    "no %s: traced_boots did not get that far", PIN_TIMELINES);
	MVM_REQUIRE(system("bpftool version >/dev/null 2>&1") == 0,
		    "no bpftool in this host");
	/* One line per VM that traced_boots booted. */
	f = fopen(WORK_DIR "/traced", "r");
	MVM_REQUIRE(f, "traced_boots left no list of its guests");
	while (fgets(line, sizeof(line), f))
		booted++;
	fclose(f);
	p = popen("bpftool map dump pinned " PIN_TIMELINES " 2>&1", "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		printf("# bpftool| %s", line);
		if (strstr(line, "\"key\": "))
			entries++;
	}
	st = pclose(p);
	fflush(stdout);
	EXPECT_EQ(0, st);
	EXPECT_EQ(booted, entries);
	p = popen("bpftool map dump pinned " PIN_LAUNCHES " 2>&1", "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		printf("# bpftool launches| %s", line);
	EXPECT_EQ(0, pclose(p));
	unlink(PIN_TIMELINES);
	unlink(PIN_LAUNCHES);
}

TEST_F_TIMEOUT(trace, overhead, MAX_GUESTS * (BOOT_TIMEOUT_S + SLACK_S) + 300)
{
	unsigned long long ns, tsc, t_ns = 0, t_tsc = 0, u_ns = 0, u_tsc = 0;
	struct boot_run r;
	int traced, untraced, n = 0, st, i;
	double ratio, tsc_ratio;
	FILE *f;

	plan(&traced, &untraced);
	MVM_REQUIRE(untraced > 0,
		    "no untraced guests in this host (mvm.boot_trace=N,M with M > 0 runs them)");
	require_all(_metadata);
	f = fopen(WORK_DIR "/traced", "r");
	MVM_REQUIRE(f, "traced_boots left no timings");
	while (fscanf(f, "%d %llu %llu", &st, &ns, &tsc) == 3) {
		if (st)
			continue;
		t_ns += ns;
		t_tsc += tsc;
		n++;
	}
	fclose(f);
	ASSERT_LT(0, n) TH_LOG("no traced boot succeeded");
	for (i = 0; i < untraced; i++) {
		boot_guest(i, "untraced", &r);
		ASSERT_EQ(0, r.status);
		u_ns += r.exit_ns - r.fork_ns;
		u_tsc += r.tsc;
	}
	ratio = ((double)t_ns / n) / ((double)u_ns / untraced);
	tsc_ratio = ((double)t_tsc / n) / ((double)u_tsc / untraced);
	printf("# BENCH boot_trace_overhead traced=%d untraced=%d traced_s=%.2f untraced_s=%.2f ratio=%.3f traced_mtsc=%.1f untraced_mtsc=%.1f tsc_ratio=%.3f\n",
	       n, untraced, t_ns / 1e9 / n, u_ns / 1e9 / untraced, ratio,
	       t_tsc / 1e6 / n, u_tsc / 1e6 / untraced, tsc_ratio);
	fflush(stdout);
	/* A sanity bound, not a target: a tracer that costs half a boot
	 * is broken. */
	EXPECT_LT(ratio, 1.5);
}

TEST_HARNESS_MAIN
