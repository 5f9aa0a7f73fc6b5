// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of mvm_sys_open() failures that need no module: each gives
 * its documented errno and a log line that names the fix.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include <mvm/mvm.h>

struct captured {
	int calls;
	int level;
	char msg[512];
};

static void capture(void *opaque, int level, const char *msg)
{
	struct captured *c = opaque;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

TEST(missing_device_enoent)
{
	struct captured c = { 0 };
	struct mvm_sys *sys = (void *)1;

	ASSERT_EQ(-ENOENT, mvm_sys_open("/nonexistent/mvm", capture, &c,
					&sys));
	ASSERT_EQ(NULL, sys);
	ASSERT_EQ(1, c.calls);
	ASSERT_EQ(MVM_LOG_ERR, c.level);
	ASSERT_NE(NULL, strstr(c.msg, "/nonexistent/mvm"));
	ASSERT_NE(NULL, strstr(c.msg, "modprobe mvm"));
}

TEST(not_an_mvm_device_enotty)
{
	struct captured c = { 0 };
	struct mvm_sys *sys = NULL;

	ASSERT_EQ(-ENOTTY, mvm_sys_open("/dev/null", capture, &c, &sys));
	ASSERT_EQ(NULL, sys);
	ASSERT_NE(NULL, strstr(c.msg, "not an mvm device"));
}

TEST(no_logger_is_fine)
{
	struct mvm_sys *sys = NULL;

	ASSERT_EQ(-ENOENT, mvm_sys_open("/nonexistent/mvm", NULL, NULL, &sys));
}

TEST(null_arguments_einval)
{
	uint64_t v;

	ASSERT_EQ(-EINVAL, mvm_sys_open(NULL, NULL, NULL, NULL));
	ASSERT_EQ(-EINVAL, mvm_sys_check_cap(NULL, MVM_CAP_BACKEND, &v));
	mvm_sys_close(NULL);
}

TEST_HARNESS_MAIN
