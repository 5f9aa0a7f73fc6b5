// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the mvm selftests; see include/mvm_util.h.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mvm_util.h"

void mvm_test_fail(const char *file, int line, const char *cond,
		   const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# %s:%d: assertion '%s' failed: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", err, strerror(err));
	abort();
}

bool mvm_dev_present(void)
{
	return access(MVM_DEV_PATH, F_OK) == 0;
}

int sys_open(void)
{
	int fd = open(MVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	MVM_TEST_ASSERT(fd >= 0, "open %s", MVM_DEV_PATH);
	return fd;
}

long __sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

long sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = __sys_ioctl(fd, cmd, arg);

	MVM_TEST_ASSERT(ret >= 0, "ioctl %#lx on fd %d returned %ld", cmd, fd,
			ret);
	return ret;
}

uint64_t sys_check_cap(int fd, uint32_t cap)
{
	struct mvm_check_cap cc = { .cap = cap };

	sys_ioctl(fd, MVM_CHECK_CAP, &cc);
	return cc.value;
}

uint64_t mvm_cpu_expected_backend(void)
{
	unsigned int a, b, c, d;

	/* CPUID.01H:ECX[5] is VMX (Intel SDM Vol. 3C 24.6). */
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5)))
		return MVM_BACKEND_VMX;
	/* CPUID.80000001H:ECX[2] is SVM (AMD APM Vol. 3, appendix E). */
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2)))
		return MVM_BACKEND_SVM;
	return MVM_BACKEND_NONE;
}

/* Copy the value of the first /proc/cpuinfo line named @key into @buf. */
static bool cpuinfo_line(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	bool found = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		char *p;

		if (strncmp(line, key, klen))
			continue;
		p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		snprintf(buf, len, " %s", p + 1);
		buf[strcspn(buf, "\n")] = '\0';
		strncat(buf, " ", len - strlen(buf) - 1);
		found = true;
		break;
	}
	free(line);
	fclose(f);
	return found;
}

bool mvm_cpuinfo_has_line(const char *key)
{
	char buf[8];

	return cpuinfo_line(key, buf, sizeof(buf));
}

bool mvm_cpuinfo_has(const char *key, const char *flag)
{
	static char buf[8192];
	char word[128];

	if (!cpuinfo_line(key, buf, sizeof(buf)))
		return false;
	snprintf(word, sizeof(word), " %s ", flag);
	return strstr(buf, word) != NULL;
}
