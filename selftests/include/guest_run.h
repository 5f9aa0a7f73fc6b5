/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the selftests that boot guests with the CLI's `mvm run`
 * (boot_test, net_test): the CLI and the guest payload to use, running a
 * program with its output in files and a time limit, reading what it and
 * the guest's console said, and logging it all as harness comments.
 *
 * Failures of the system (fork, malloc) abort the test through
 * MVM_TEST_ASSERT(); EXPECT_COUNTERS_ZERO() needs kselftest_harness.h.
 */
#ifndef MVM_SELFTEST_GUEST_RUN_H
#define MVM_SELFTEST_GUEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DIR_LEN		256	/* a work or payload directory */
#define PATH_LEN	512	/* a file in one of them */

/* A process a test started, with stdout and stderr in files. */
struct proc {
	pid_t pid;		/* 0 once it has been reaped */
	double t0;		/* now_s() at its start */
	char out[PATH_LEN], err[PATH_LEN];
};

/* How a process ended. */
struct run {
	int status;		/* exit status, or 128 + the killing signal */
	bool killed;		/* by the test, past its time limit */
	double seconds;		/* CLOCK_MONOTONIC, launch to exit */
	long maxrss_kb;		/* from wait4() */
	char *out, *err;	/* its stdout and stderr */
};

/* The CLI to run: $MVM_CLI, or "mvm" from $PATH. */
const char *cli_path(void);

/* The guest payload (selftests/guest): $MVM_GUEST_DIR, or /guest. */
const char *guest_dir(void);

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/* Sleep @ms milliseconds, signals or not. */
void sleep_ms(long ms);

/* A seed for the guest's pseudo-random data, odd, new for each run. */
unsigned int guest_seed(void);

/* printf() to stdout, flushed: the harness ends a case with _exit(). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The whole of @path (at most 4 MiB), NUL-terminated; NULL if it cannot
 * be opened. The caller frees it.
 */
char *slurp(const char *path);

/* Like slurp(), but "" for a file that cannot be opened. */
char *slurp_or_empty(const char *path);

/* "sh -c @cmd", its first line of output in @out; returns its status. */
int sh_line(const char *cmd, char *out, size_t len);

/*
 * Does the output of "mvm @args" (stdout and stderr) have a line that
 * grep's @pattern matches? The CLI's help tells what it can do.
 */
bool cli_lists(const char *args, const char *pattern);

/*
 * Make the work directory @root/NAME of a harness case, NAME being its
 * _metadata->name after the last '.'; its path in @dir.
 */
void case_dir(const char *root, const char *test_name, char *dir,
	      size_t len);

/*
 * Is the line at @p (@len bytes) one of --stats' "key: value" lines? The
 * key is lower-case words; the guest's "mvmtest:" lines and mvm's own
 * "mvm: message" lines are not stats.
 */
bool is_stat_line(const char *p, size_t len);

/*
 * Print the last @max lines of @text as "# @tag| line" comments, control
 * characters (the console's carriage returns) as blanks; leave out
 * --stats lines when @no_stats.
 */
void log_lines(const char *tag, const char *text, unsigned int max,
	       bool no_stats);

/*
 * The first line of @text starting with @prefix (after any \r), copied
 * into @line without its line end.
 */
bool find_line(const char *text, const char *prefix, char *line,
	       size_t len);

/*
 * Start @argv with stdin from /dev/null and stdout and stderr in the
 * files @p->out and @p->err. With @die_with_parent it gets SIGKILL should
 * the test die first, so that an aborted case leaves no guest behind.
 */
void proc_start(struct proc *p, char *const argv[], bool die_with_parent);

/* Has @p ended? If so, fill @r (run_free() it). Never blocks. */
bool proc_done(struct proc *p, struct run *r);

/*
 * Wait for @p to end, into @r (run_free() it); SIGKILL it once @limit_s
 * seconds have passed since its start.
 */
void proc_wait(struct proc *p, double limit_s, struct run *r);

/* Free what @r holds. */
void run_free(struct run *r);

/*
 * Log the last @max lines of @r's stderr and stdout (--stats lines left
 * out when @no_stats), and the last 40 of the console file @console
 * unless it is NULL, as "# stderr| ...", "# stdout| ..." and
 * "# console| ..."; @tag names the run where its console file is missing.
 */
void log_output(const char *tag, const struct run *r, const char *console,
		unsigned int max, bool no_stats);

/*
 * True once both of mvm.ko's counters kernel_bytes and pinned_pages are
 * back to 0, polled for up to 5 s (the last fd's release may run after
 * mvm's exit has been reaped); their last values in @bytes and @pages.
 */
bool counters_zero(long long *bytes, long long *pages);

/* EXPECT (harness) that counters_zero(), once mvm has exited. */
#define EXPECT_COUNTERS_ZERO()						\
	do {								\
		long long _b, _p;					\
		EXPECT_TRUE(counters_zero(&_b, &_p))			\
			TH_LOG("after mvm exited: kernel_bytes %lld, "	\
			       "pinned_pages %lld (want 0, 0)", _b, _p);	\
	} while (0)

#endif /* MVM_SELFTEST_GUEST_RUN_H */
