// SPDX-License-Identifier: GPL-2.0
/*
 * Running `mvm run` and reading what it and its guest said, for the
 * selftests that boot guests; see include/guest_run.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_run.h"
#include "mvm_vm.h"

#define MAX_OUTPUT	(4 << 20)	/* slurp() reads no more */

/* $MVM_CLI, or "mvm". */
const char *cli_path(void)
{
	const char *cli = getenv("MVM_CLI");

	return cli && *cli ? cli : "mvm";
}

/* $MVM_GUEST_DIR, or "/guest". */
const char *guest_dir(void)
{
	const char *d = getenv("MVM_GUEST_DIR");

	return d && *d ? d : "/guest";
}

/* CLOCK_MONOTONIC in seconds. */
double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep @ms milliseconds, resuming after signals. */
void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The time and the pid mixed, odd. */
unsigned int guest_seed(void)
{
	return ((unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16)) | 1;
}

/* vprintf() to stdout, then fflush(). */
void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Read @path whole (up to MAX_OUTPUT bytes) into a malloc()ed string. */
char *slurp(const char *path)
{
	size_t n = 0, cap = 4096;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	MVM_TEST_ASSERT(buf, "malloc");
	for (;;) {
		ssize_t got;

		if (cap - n < 2) {
			if (cap >= MAX_OUTPUT)
				break;
			cap *= 2;
			buf = realloc(buf, cap);
			MVM_TEST_ASSERT(buf, "realloc");
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* slurp(), with "" for a missing file. */
char *slurp_or_empty(const char *path)
{
	char *s = slurp(path);

	if (!s)
		s = strdup("");
	MVM_TEST_ASSERT(s, "strdup");
	return s;
}

/* popen() @cmd, keep its first line, read the rest, pclose(). */
int sh_line(const char *cmd, char *out, size_t len)
{
	FILE *p;
	int st;

	out[0] = '\0';
	fflush(NULL);
	p = popen(cmd, "r");
	MVM_TEST_ASSERT(p, "popen %s", cmd);
	if (!fgets(out, (int)len, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "mvm @args 2>&1 | grep -c -- '@pattern'" says more than 0. */
bool cli_lists(const char *args, const char *pattern)
{
	char cmd[PATH_MAX + 256], line[64];

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1 | grep -c -- '%s'",
		 cli_path(), args, pattern);
	sh_line(cmd, line, sizeof(line));
	return atoi(line) > 0;
}

/* mkdir @root and @root/NAME of the case @test_name, into @dir. */
void case_dir(const char *root, const char *test_name, char *dir,
	      size_t len)
{
	const char *name = strrchr(test_name, '.');

	name = name ? name + 1 : test_name;
	mkdir(root, 0755);
	snprintf(dir, len, "%s/%s", root, name);
	mkdir(dir, 0755);
}

/* "key: value" with a lower-case key, not "mvmtest:" nor "mvm:". */
bool is_stat_line(const char *p, size_t len)
{
	size_t key = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_.");

	return key > 0 && key + 1 < len && p[key] == ':' && p[key + 1] == ' ' &&
	       p[0] >= 'a' && p[0] <= 'z' && strncmp(p, "mvmtest:", 8) &&
	       strncmp(p, "mvm:", 4);
}

/* The last @max lines of @text as "# @tag| " comments. */
void log_lines(const char *tag, const char *text, unsigned int max,
	       bool no_stats)
{
	const char *p, *start = text;
	unsigned int lines = 0;

	for (p = text; *p; p++)
		if (*p == '\n')
			lines++;
	if (p > text && p[-1] != '\n')
		lines++;
	for (; lines > max && *start; start++)
		if (*start == '\n')
			lines--;
	while (*start) {
		size_t n = strcspn(start, "\n");

		if (!no_stats || !is_stat_line(start, n)) {
			/* Carriage returns and other control bytes: blanks. */
			note("# %s| ", tag);
			for (size_t i = 0; i < n; i++)
				putchar((unsigned char)start[i] < 0x20 ?
					' ' : start[i]);
			putchar('\n');
		}
		start += n;
		if (*start)
			start++;
	}
	fflush(stdout);
}

/* The first line of @text that starts with @prefix, into @line. */
bool find_line(const char *text, const char *prefix, char *line,
	       size_t len)
{
	const char *p = text;

	while (p && *p) {
		/* The guest console may prefix a line with a \r. */
		while (*p == '\r')
			p++;
		if (!strncmp(p, prefix, strlen(prefix))) {
			size_t n = strcspn(p, "\r\n");

			if (n >= len)
				n = len - 1;
			memcpy(line, p, n);
			line[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* fork() and execvp() @argv, its output in @p->out and @p->err. */
void proc_start(struct proc *p, char *const argv[], bool die_with_parent)
{
	pid_t parent;

	fflush(NULL);
	p->t0 = now_s();
	parent = getpid();
	p->pid = fork();
	MVM_TEST_ASSERT(p->pid >= 0, "fork");
	if (p->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 ||
		    dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		if (die_with_parent) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)  /* it died before the prctl */
				_exit(126);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
}

/* wait4() @p without blocking; once it has ended, fill @r. */
bool proc_done(struct proc *p, struct run *r)
{
	struct rusage ru = { 0 };
	int st = 0;
	pid_t w;

	memset(r, 0, sizeof(*r));
	do
		w = wait4(p->pid, &st, WNOHANG, &ru);
	while (w < 0 && errno == EINTR);
	MVM_TEST_ASSERT(w >= 0, "wait4 %d", (int)p->pid);
	if (w != p->pid)
		return false;
	r->seconds = now_s() - p->t0;
	r->maxrss_kb = ru.ru_maxrss;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
	r->out = slurp_or_empty(p->out);
	r->err = slurp_or_empty(p->err);
	p->pid = 0;
	return true;
}

/* Poll proc_done() every 50 ms, with SIGKILL past @limit_s. */
void proc_wait(struct proc *p, double limit_s, struct run *r)
{
	bool killed = false;

	while (!proc_done(p, r)) {
		if (!killed && now_s() - p->t0 > limit_s) {
			kill(p->pid, SIGKILL);
			killed = true;
		}
		sleep_ms(50);
	}
	r->killed = killed;
}

/* free() @r's output, and forget it. */
void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* log_lines() of @r's output and of the file @console. */
void log_output(const char *tag, const struct run *r, const char *console,
		unsigned int max, bool no_stats)
{
	log_lines("stderr", r->err, max, no_stats);
	log_lines("stdout", r->out, max, no_stats);
	if (console) {
		char *c = slurp(console);

		if (c)
			log_lines("console", c, 40, false);
		else
			note("# %s: no console file %s\n", tag, console);
		free(c);
	}
}

/* Poll mvm.ko's two counters every 50 ms, 100 times at most. */
bool counters_zero(long long *bytes, long long *pages)
{
	for (int i = 0; i < 100; i++) {
		*bytes = mvm_module_counter("kernel_bytes");
		*pages = mvm_module_counter("pinned_pages");
		if (!*bytes && !*pages)
			return true;
		sleep_ms(50);
	}
	return false;
}
