/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mvm selftests, in the spirit of KVM's selftests:
 * object_verb() helpers (sys_open(), sys_ioctl(), later vm_create() and
 * vcpu_run()) assert success and abort the test on failure; the
 * __object_verb() variants return the raw result (or -errno) for negative
 * tests. They talk to /dev/mvm directly; libmvm is linked only for its
 * naming helpers, so the tests see the raw ABI.
 */
#ifndef MVM_SELFTEST_UTIL_H
#define MVM_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/mvm.h>
#include <mvm/mvm.h>	/* libmvm, for names of backends and features */

#define MVM_DEV_PATH	"/dev/mvm"

/*
 * MVM_TEST_ASSERT() - abort the current test with a message unless @cond.
 *
 * Usable from helpers that have no harness metadata; the harness reports
 * the abort as "Test terminated by assertion".
 */
#define MVM_TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			mvm_test_fail(__FILE__, __LINE__, #cond,	\
				      fmt, ##__VA_ARGS__);		\
	} while (0)

/*
 * MVM_REQUIRE() - inside a FIXTURE_SETUP() or TEST(), SKIP the test (with
 * the reason) unless @cond.
 *
 * The test runs in a child process; leaving it with status 255 is how the
 * harness learns of a skip. Exiting, rather than returning, matters in a
 * fixture setup: older harnesses run the test body after a setup SKIP.
 */
#define MVM_REQUIRE(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			SKIP({ fflush(NULL); _exit(255); },		\
			     fmt, ##__VA_ARGS__);			\
	} while (0)

/* Print "file:line: cond: message (errno)" and abort(). */
void mvm_test_fail(const char *file, int line, const char *cond,
		   const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* True when /dev/mvm exists (the module is loaded). */
bool mvm_dev_present(void);

/* Open /dev/mvm read-write; aborts the test on failure. */
int sys_open(void);

/* ioctl() returning its result, or -errno on failure. Never aborts. */
long __sys_ioctl(int fd, unsigned long cmd, void *arg);

/* ioctl() that must succeed; aborts the test otherwise. */
long sys_ioctl(int fd, unsigned long cmd, void *arg);

/* MVM_CHECK_CAP of @cap on the system fd @fd; aborts on error. */
uint64_t sys_check_cap(int fd, uint32_t cap);

/*
 * Which backend this CPU should give: MVM_BACKEND_VMX on a CPU with the
 * VMX CPUID bit, MVM_BACKEND_SVM on one with SVM, else MVM_BACKEND_NONE.
 */
uint64_t mvm_cpu_expected_backend(void);

/*
 * True when /proc/cpuinfo's line @key (e.g. "flags" or "vmx flags") of
 * the first CPU lists the word @flag. False if the line is missing.
 */
bool mvm_cpuinfo_has(const char *key, const char *flag);

/* True when /proc/cpuinfo has a line named @key at all. */
bool mvm_cpuinfo_has_line(const char *key);

#endif /* MVM_SELFTEST_UTIL_H */
