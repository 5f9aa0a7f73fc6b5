// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatcher: commands that are not in the table, or whose
 * direction or size differ from it, give -ENOTTY; other fds' ioctls are
 * not accepted by the system fd.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_util.h"

FIXTURE(disp) {
	int fd;
};

FIXTURE_SETUP(disp)
{
	self->fd = -1;
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	self->fd = sys_open();
}

FIXTURE_TEARDOWN(disp)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(disp, unknown_nr_enotty)
{
	unsigned int nr;

	for (nr = 0x02; nr <= 0xff; nr++)
		ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd, _IO(MVMIO, nr), NULL))
			TH_LOG("nr %#x", nr);
}

TEST_F(disp, wrong_type_enotty)
{
	struct mvm_check_cap cc = { .cap = MVM_CAP_BACKEND };
	unsigned long cmd = _IOWR(0xAE, _IOC_NR(MVM_CHECK_CAP), cc);

	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd, cmd, &cc));
}

TEST_F(disp, wrong_size_enotty)
{
	char buf[sizeof(struct mvm_check_cap) + 8] = { 0 };

	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd,
		  _IOWR(MVMIO, _IOC_NR(MVM_CHECK_CAP), char[16]), buf));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd,
		  _IOWR(MVMIO, _IOC_NR(MVM_CHECK_CAP), buf), buf));
}

TEST_F(disp, wrong_direction_enotty)
{
	struct mvm_check_cap cc = { .cap = MVM_CAP_BACKEND };

	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd,
		  _IOR(MVMIO, _IOC_NR(MVM_CHECK_CAP), cc), &cc));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd,
		  _IOW(MVMIO, _IOC_NR(MVM_CHECK_CAP), cc), &cc));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd,
		  _IO(MVMIO, _IOC_NR(MVM_CHECK_CAP)), NULL));
}

/* The fd is not seekable and not readable as a file. */
TEST_F(disp, not_a_regular_file)
{
	char c;

	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, read(self->fd, &c, 1));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
