// SPDX-License-Identifier: GPL-2.0
/*
 * MVM_GET_API_VERSION on the system fd.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_util.h"

FIXTURE(sys) {
	int fd;
};

FIXTURE_SETUP(sys)
{
	self->fd = -1;
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	self->fd = sys_open();
}

FIXTURE_TEARDOWN(sys)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sys, version_is_1)
{
	ASSERT_EQ(MVM_API_VERSION, __sys_ioctl(self->fd, MVM_GET_API_VERSION,
					       NULL));
}

/* The argument is reserved: anything but 0 is refused. */
TEST_F(sys, nonzero_arg_einval)
{
	ASSERT_EQ(-EINVAL, __sys_ioctl(self->fd, MVM_GET_API_VERSION,
				       (void *)1));
}

/* The same number with a payload size is another command: -ENOTTY. */
TEST_F(sys, with_payload_enotty)
{
	unsigned long cmd = _IOR(MVMIO, _IOC_NR(MVM_GET_API_VERSION), __u32);
	__u32 v = 0;

	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd, cmd, &v));
}

TEST_HARNESS_MAIN
