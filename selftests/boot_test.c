// SPDX-License-Identifier: GPL-2.0
/*
 * boot_test: `mvm run` boots a stock Debian cloud kernel (issue 4).
 *
 * Every case runs the CLI on the guest payload that selftests/guest/
 * builds (under /guest in the test hosts, $MVM_GUEST_DIR elsewhere) and
 * checks its exit status, what it said and what it left behind:
 *
 *   disk_1vcpu, disk_2vcpus   boot to the guest's /init, which writes a
 *       pseudo-random file through virtio-blk, reads it back and powers
 *       off: exit 0, the guest's result line, and the file read out of
 *       the disk image with debugfs has the SHA-256 of the same stream
 *       made here. The --stats output is printed for quoting. Two
 *       vCPUs only where the test host has two CPUs.
 *   virtio_found_without_shim   the guest kernel found the disk by
 *       itself in disk_1vcpu, not through the test's mvm_vmmio.ko (see
 *       selftests/guest/vmmio/mvm_vmmio.c for why it may not)
 *   panic          the guest's init exits: exit 10, a message naming it
 *   triple_fault   a tiny PVH guest that triple-faults: exit 11
 *   timeout        a tiny guest that spins, --timeout 3: exit 13
 *   missing_kernel, garbage_kernel, zero_vcpus   bad input: exit 2 with a
 *       message, and no console file created, the disk image untouched
 *
 * The "boot" cases SKIP where the backend cannot run guests (MVM_CAP_VM is
 * 0: the SVM test host); the "bad" ones run wherever mvm.ko is loaded,
 * since the CLI checks its input before it opens /dev/mvm.
 *
 * After each case the module's counters (kernel_bytes, pinned_pages)
 * are back to 0 once mvm has exited. Work files stay in
 * /tmp/boot_test/<case>/ (console, stdout, stderr) for a post-mortem.
 *
 * A Linux boot inside the Bochs test host takes minutes of wall time: the
 * cases have long timeouts, and the test host's init allows this program
 * longer than the others (mvm.boot_timeout=).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_run.h"
#include "kselftest_harness.h"
#include "mvm_vm.h"

/*
 * mvm run --timeout of a Linux boot, in the test host's seconds. QEMU/KVM
 * reaches the guest's init in about 35 of them in Bochs (boot_bench);
 * the test host's clock counts emulated instructions, and Bochs on a busy
 * machine runs 2-4 times slower than that clock says, so a guest that
 * hangs costs up to 4 times this in wall time.
 */
#define BOOT_TIMEOUT_S	180
#define WAIT_SLACK_S	60	/* past --timeout, the test kills mvm */
#define CASE_TIMEOUT_S	(BOOT_TIMEOUT_S + 3 * WAIT_SLACK_S)
#define PATTERN_BYTES	1048576	/* MVMTEST_BYTES of selftests/guest/init */
#define WORK_DIR	"/tmp/boot_test"

/*
 * Run @argv with stdin from /dev/null and stdout and stderr into files in
 * @dir; kill it (SIGKILL) if it is still running after @limit_s seconds.
 */
static void run_argv(char *const argv[], const char *dir, unsigned int limit_s,
		     struct run *r)
{
	struct proc p;

	snprintf(p.out, sizeof(p.out), "%s/stdout", dir);
	snprintf(p.err, sizeof(p.err), "%s/stderr", dir);
	proc_start(&p, argv, false);
	proc_wait(&p, limit_s, r);
}

/* The first 64 hex digits of "sha256sum" output of @cmd, or "". */
static void sha256_of(const char *cmd, char sum[65])
{
	char line[256];

	sh_line(cmd, line, sizeof(line));
	if (strlen(line) >= 64 && strspn(line, "0123456789abcdef") >= 64) {
		memcpy(sum, line, 64);
		sum[64] = '\0';
	} else {
		sum[0] = '\0';
	}
}

/*
 * Print the --stats lines of @text (Documentation/cli.rst: stderr, one
 * "key: value" a line) as "# stats <case>| key: value", for quoting;
 * returns how many there were.
 */
static int print_stats(const char *name, const char *text)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");

		if (is_stat_line(p, len)) {
			note("# stats %s| %.*s\n", name, (int)len, p);
			n++;
		}
		p += len;
		if (*p)
			p++;
	}
	fflush(stdout);
	return n;
}

/* The value of --stats line "@key: value" in @text, or "-". */
static const char *stat_get(const char *text, const char *key, char *val,
			    size_t len)
{
	size_t k = strlen(key);
	const char *p = text;

	snprintf(val, len, "-");
	while (p && *p) {
		if (!strncmp(p, key, k) && p[k] == ':' && p[k + 1] == ' ') {
			size_t n = strcspn(p + k + 2, "\n");

			snprintf(val, len, "%.*s", (int)n, p + k + 2);
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return val;
}

/* The sum of the "exits.REASON: N" lines of --stats in @text. */
static unsigned long long stat_exits(const char *text)
{
	unsigned long long sum = 0;
	const char *p = text;

	while (p && *p) {
		const char *colon;

		if (!strncmp(p, "exits.", 6) && (colon = strstr(p, ": ")) &&
		    colon < p + strcspn(p, "\n"))
			sum += strtoull(colon + 2, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return sum;
}

/* True when the files at @a and @b have the same bytes. */
static bool same_file(const char *a, const char *b)
{
	char ba[65536], bb[65536];
	bool same = false;
	int fa, fb;

	fa = open(a, O_RDONLY | O_CLOEXEC);
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fa >= 0 && fb >= 0) {
		for (;;) {
			ssize_t na = read(fa, ba, sizeof(ba));
			ssize_t nb = read(fb, bb, sizeof(bb));

			if (na < 0 || na != nb || memcmp(ba, bb, (size_t)na))
				break;
			if (!na) {
				same = true;
				break;
			}
		}
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		ret = n == 0 ? 0 : -1;
		if (close(out))
			ret = -1;
	}
	close(in);
	return ret;
}

/* What every case needs: paths, and a fresh copy of the disk image. */
struct boot_env {
	char dir[DIR_LEN];	/* this case's work directory */
	char kernel[PATH_LEN], initrd[PATH_LEN], pristine[PATH_LEN];
	char triple[PATH_LEN], spin[PATH_LEN], pattern[PATH_LEN];
	char disk[PATH_LEN];	/* this case's copy of the disk image */
	char console[PATH_LEN];	/* its console file */
	char console_arg[PATH_LEN + 8];
};

static void env_setup(struct __test_metadata *_metadata, struct boot_env *self)
{
	const char *g = guest_dir();

	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	MVM_REQUIRE(strlen(g) < DIR_LEN - 32, "MVM_GUEST_DIR is too long");
	MVM_REQUIRE(cli_lists("help", "^ *mvm run"),
		    "the mvm CLI (%s) has no 'run' command yet ('mvm help' does not list it)",
		    cli_path());
	snprintf(self->kernel, sizeof(self->kernel), "%s/bzImage", g);
	snprintf(self->initrd, sizeof(self->initrd), "%s/guest.cpio", g);
	snprintf(self->pristine, sizeof(self->pristine), "%s/disk.img", g);
	snprintf(self->triple, sizeof(self->triple), "%s/triple_fault.elf", g);
	snprintf(self->spin, sizeof(self->spin), "%s/spin.elf", g);
	snprintf(self->pattern, sizeof(self->pattern), "%s/mvm-pattern", g);
	MVM_REQUIRE(!access(self->kernel, R_OK) && !access(self->initrd, R_OK) &&
		    !access(self->pristine, R_OK) && !access(self->triple, R_OK) &&
		    !access(self->spin, R_OK) && !access(self->pattern, X_OK),
		    "no guest payload in %s (make -C selftests/guest; MVM_GUEST_DIR)",
		    g);
	MVM_REQUIRE(mvm_module_counter("kernel_bytes") >= 0 &&
		    mvm_module_counter("pinned_pages") >= 0,
		    "no kernel_bytes/pinned_pages in /sys/module/mvm/parameters");

	case_dir(WORK_DIR, _metadata->name, self->dir, sizeof(self->dir));
	snprintf(self->disk, sizeof(self->disk), "%s/disk.img", self->dir);
	snprintf(self->console, sizeof(self->console), "%s/console", self->dir);
	snprintf(self->console_arg, sizeof(self->console_arg), "file:%s",
		 self->console);
	unlink(self->console);
	ASSERT_EQ(0, copy_file(self->pristine, self->disk))
		TH_LOG("cannot copy %s to %s", self->pristine, self->disk);
}

static void env_teardown(struct boot_env *self)
{
	char dump[PATH_LEN];

	/* Keep the logs, drop the big files: /tmp is RAM in the test host. */
	unlink(self->disk);
	snprintf(dump, sizeof(dump), "%s/mvmtest.bin", self->dir);
	unlink(dump);
}

/* Guests that run: SKIP where this backend cannot run them. */
FIXTURE(boot) {
	struct boot_env e;
};

FIXTURE_SETUP(boot)
{
	MVM_REQUIRE_VM();
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(boot)
{
	env_teardown(&self->e);
}

/*
 * Bad input: the CLI checks all input before it opens /dev/mvm
 * (Documentation/cli.rst), so these run on every test host.
 */
FIXTURE(bad) {
	struct boot_env e;
};

FIXTURE_SETUP(bad)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(bad)
{
	env_teardown(&self->e);
}

/* Log what a run printed, and how it ended. */
static void log_run(const char *name, const struct run *r,
		    const char *console)
{
	note("# %s: exit status %d%s after %.1f s (test-host clock), max RSS %ld KiB\n",
	       name, r->status, r->killed ? " (killed by the test)" : "",
	       r->seconds, r->maxrss_kb);
	log_output(name, r, console, 40, true);
}

/*
 * Boot the Linux guest in disk mode with @vcpus vCPUs and check it all;
 * the guest console goes to a file, or with @stdio_console to stdout.
 */
static void boot_disk(struct __test_metadata *_metadata,
		      struct boot_env *self, const char *name,
		      unsigned int vcpus, bool stdio_console)
{
	char cmdline[128], vcpus_s[16], timeout_s[16], cmd[4 * PATH_LEN];
	char want[65], got[65], line[512], dump[PATH_LEN];
	const char *con = stdio_console ? "stdio" : self->console_arg;
	unsigned int seed;
	struct stat st;
	struct run r;
	char *console;
	int nstats;

	seed = guest_seed();
	snprintf(cmdline, sizeof(cmdline), "mvmtest=disk mvmtest.seed=%u quiet",
		 seed);
	snprintf(vcpus_s, sizeof(vcpus_s), "%u", vcpus);
	snprintf(timeout_s, sizeof(timeout_s), "%d", BOOT_TIMEOUT_S);
	{
		char *argv[] = {
			(char *)cli_path(), "run", "--kernel", self->kernel,
			"--initrd", self->initrd, "--disk", self->disk,
			"--cmdline", cmdline, "--mem", "256M",
			"--vcpus", vcpus_s,
			"--console", (char *)con, "--timeout", timeout_s,
			"--stats", NULL,
		};

		note("# %s: mvm run --kernel %s --initrd %s --disk %s --cmdline '%s' --mem 256M --vcpus %u --console %s --timeout %d --stats\n",
		       name, self->kernel, self->initrd, self->disk, cmdline,
		       vcpus, con, BOOT_TIMEOUT_S);
		run_argv(argv, self->dir, BOOT_TIMEOUT_S + WAIT_SLACK_S, &r);
	}
	log_run(name, &r, stdio_console ? NULL : self->console);
	console = stdio_console ? strdup(r.out) : slurp(self->console);
	if (!console)
		console = strdup("");
	nstats = print_stats(name, r.err);
	{
		char mark[32], ms[32], kb[32], rss[32], user[32];

		/* One line to quote (Documentation/cli.rst names the keys):
		 * the last milestone is the guest's 2, written when its disk
		 * test is done, just before it powers off. */
		note("# BOOT %s vcpus=%u status=%d seconds=%.1f last_mark=%s last_mark_ms=%s exits=%llu exits_to_user=%s kernel_bytes=%s vmm_rss_bytes=%s maxrss_kb=%ld\n",
		     name, vcpus, r.status, r.seconds,
		     stat_get(r.err, "last_mark", mark, sizeof(mark)),
		     stat_get(r.err, "last_mark_ms", ms, sizeof(ms)),
		     stat_exits(r.err),
		     stat_get(r.err, "exits_to_user", user, sizeof(user)),
		     stat_get(r.err, "kernel_bytes", kb, sizeof(kb)),
		     stat_get(r.err, "vmm_rss_bytes", rss, sizeof(rss)),
		     r.maxrss_kb);
	}

	EXPECT_EQ(0, r.status)
		TH_LOG("mvm run should exit 0 when the guest powers off");
	EXPECT_LT(0, nstats)
		TH_LOG("--stats printed no 'key: value' line on stderr");

	/* What the disk must hold: the same stream, made here. */
	snprintf(cmd, sizeof(cmd), "%s %u %d | sha256sum", self->pattern, seed,
		 PATTERN_BYTES);
	sha256_of(cmd, want);
	ASSERT_EQ(64, (int)strlen(want)) TH_LOG("cannot run %s", cmd);

	/* The guest's verdict. */
	ASSERT_TRUE(find_line(console, "mvmtest: result disk ", line,
			      sizeof(line)))
		TH_LOG("the guest printed no 'mvmtest: result disk' line");
	note("# %s: guest said: %s\n", name, line);
	EXPECT_TRUE(strstr(line, "result disk ok ") != NULL);
	EXPECT_TRUE(strstr(line, want) != NULL)
		TH_LOG("the guest's sha256 is not %s", want);
	if (vcpus > 1) {
		char cpus[32];

		snprintf(cpus, sizeof(cpus), " cpus=%u ", vcpus);
		EXPECT_TRUE(strstr(line, cpus) != NULL)
			TH_LOG("the guest should see %u CPUs", vcpus);
	}

	/* The host's: the file as it is in the image, read by debugfs. */
	snprintf(dump, sizeof(dump), "%s/mvmtest.bin", self->dir);
	unlink(dump);
	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'dump /mvmtest.bin %s' %s 2>&1 | grep -v '^debugfs '",
		 dump, self->disk);
	sh_line(cmd, line, sizeof(line));
	ASSERT_EQ(0, stat(dump, &st))
		TH_LOG("debugfs found no /mvmtest.bin in the image: %s", line);
	EXPECT_EQ(PATTERN_BYTES, st.st_size);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", dump);
	sha256_of(cmd, got);
	note("# %s: /mvmtest.bin in the image: %lld bytes, sha256 %s (want %s)\n",
	       name, (long long)st.st_size, got, want);
	EXPECT_STREQ(want, got);

	EXPECT_COUNTERS_ZERO();
	free(console);
	run_free(&r);
}

TEST_F_TIMEOUT(boot, disk_1vcpu, CASE_TIMEOUT_S)
{
	boot_disk(_metadata, &self->e, "disk_1vcpu", 1, false);
}

/*
 * Two vCPUs: the guest starts its AP with INIT and STARTUP IPIs. On a
 * one-CPU test host (bochs-6.1) the two vCPUs take turns on it; that
 * is the only run of the 6.1 guest kernel with two vCPUs.
 */
TEST_F_TIMEOUT(boot, disk_2vcpus, CASE_TIMEOUT_S)
{
	boot_disk(_metadata, &self->e, "disk_2vcpus", 2, true);
}

/*
 * Debian's cloud kernels have no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES: they
 * find virtio-mmio devices only in ACPI (mvm's DSDT, "LNRO0005"), not in
 * virtio_mmio.device=. When the guest's /init had to register them with
 * mvm_vmmio.ko, its result line says virtio=shim: the disk worked, but a
 * stock guest would not have found it. This case reads disk_1vcpu's
 * console.
 */
TEST_F(boot, virtio_found_without_shim)
{
	const char *path = WORK_DIR "/disk_1vcpu/console";
	char line[512];
	char *console;

	console = slurp(path);
	MVM_REQUIRE(console && find_line(console, "mvmtest: result disk ",
					 line, sizeof(line)),
		    "disk_1vcpu left no guest result line in %s", path);
	note("# %s\n", line);
	EXPECT_TRUE(strstr(line, " virtio=kernel") != NULL)
		TH_LOG("the stock guest kernel did not find the virtio-mmio disk through ACPI; only the test's mvm_vmmio.ko did");
	free(console);
}

TEST_F_TIMEOUT(boot, panic, CASE_TIMEOUT_S)
{
	char timeout_s[16];
	char *console;
	struct run r;
	char *argv[] = {
		(char *)cli_path(), "run", "--kernel", self->e.kernel,
		"--initrd", self->e.initrd, "--cmdline", "mvmtest=panic quiet",
		"--mem", "256M", "--vcpus", "1", "--console",
		self->e.console_arg, "--timeout", timeout_s, NULL,
	};

	snprintf(timeout_s, sizeof(timeout_s), "%d", BOOT_TIMEOUT_S);
	run_argv(argv, self->e.dir, BOOT_TIMEOUT_S + WAIT_SLACK_S, &r);
	log_run("panic", &r, self->e.console);
	console = slurp(self->e.console);
	note("# panic: the console %s 'Kernel panic'\n",
	       console && strstr(console, "Kernel panic") ? "shows" : "does not show");
	EXPECT_EQ(10, r.status)
		TH_LOG("mvm run should exit 10 when the guest kernel panics");
	EXPECT_TRUE(strcasestr(r.err, "panic") || strcasestr(r.out, "panic"))
		TH_LOG("mvm's own output should say that the guest panicked");
	EXPECT_COUNTERS_ZERO();
	free(console);
	run_free(&r);
}

TEST_F_TIMEOUT(boot, triple_fault, 180)
{
	struct run r;
	char *argv[] = {
		(char *)cli_path(), "run", "--kernel", self->e.triple,
		"--console", self->e.console_arg, "--timeout", "60", NULL,
	};

	run_argv(argv, self->e.dir, 60 + WAIT_SLACK_S, &r);
	log_run("triple_fault", &r, self->e.console);
	EXPECT_EQ(11, r.status)
		TH_LOG("mvm run should exit 11 on a triple fault");
	EXPECT_COUNTERS_ZERO();
	run_free(&r);
}

TEST_F_TIMEOUT(boot, timeout, 180)
{
	struct run r;
	char *argv[] = {
		(char *)cli_path(), "run", "--kernel", self->e.spin,
		"--console", self->e.console_arg, "--timeout", "3", NULL,
	};

	run_argv(argv, self->e.dir, 3 + WAIT_SLACK_S, &r);
	log_run("timeout", &r, self->e.console);
	EXPECT_EQ(13, r.status)
		TH_LOG("mvm run should exit 13 when --timeout expires");
	EXPECT_FALSE(r.killed);
	EXPECT_TRUE(r.seconds >= 3.0)
		TH_LOG("mvm run ended before its 3 s timeout");
	EXPECT_COUNTERS_ZERO();
	run_free(&r);
}

/* Bad input: exit 2, a message, and nothing written. */
static void bad_input(struct __test_metadata *_metadata,
		      struct boot_env *self, const char *name,
		      const char *kernel, const char *vcpus)
{
	struct run r;
	char *argv[] = {
		(char *)cli_path(), "run", "--kernel", (char *)kernel,
		"--initrd", self->initrd, "--disk", self->disk,
		"--vcpus", (char *)vcpus, "--console", self->console_arg,
		"--timeout", "60", NULL,
	};

	run_argv(argv, self->dir, 60 + WAIT_SLACK_S, &r);
	log_run(name, &r, NULL);
	EXPECT_EQ(2, r.status)
		TH_LOG("mvm run should exit 2 on bad input");
	EXPECT_NE(0, (int)strlen(r.err))
		TH_LOG("mvm run should say what is wrong on stderr");
	EXPECT_NE(0, access(self->console, F_OK))
		TH_LOG("the console file %s was created", self->console);
	EXPECT_TRUE(same_file(self->pristine, self->disk))
		TH_LOG("the disk image was written");
	EXPECT_COUNTERS_ZERO();
	run_free(&r);
}

TEST_F_TIMEOUT(bad, missing_kernel, 180)
{
	char missing[PATH_LEN];

	snprintf(missing, sizeof(missing), "%s/no-such-kernel", self->e.dir);
	unlink(missing);
	bad_input(_metadata, &self->e, "missing_kernel", missing, "1");
}

TEST_F_TIMEOUT(bad, garbage_kernel, 180)
{
	char garbage[PATH_LEN], cmd[4 * PATH_LEN];

	/* 64 KiB of noise: neither a bzImage nor an ELF. */
	snprintf(garbage, sizeof(garbage), "%s/garbage", self->e.dir);
	snprintf(cmd, sizeof(cmd), "%s 99 65536 > %s", self->e.pattern, garbage);
	ASSERT_EQ(0, system(cmd));
	bad_input(_metadata, &self->e, "garbage_kernel", garbage, "1");
}

TEST_F_TIMEOUT(bad, zero_vcpus, 180)
{
	bad_input(_metadata, &self->e, "zero_vcpus", self->e.kernel, "0");
}

TEST_HARNESS_MAIN
