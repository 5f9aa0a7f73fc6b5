// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: mvm.ko cannot go away under an open fd, and unloads and
 * reloads cleanly. Needs the path of mvm.ko in $MVM_MODULE (the test hosts
 * set it) and CAP_SYS_MODULE; SKIPs otherwise. Leaves the module loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_util.h"

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE(mod) {
	const char *path;
};

FIXTURE_SETUP(mod)
{
	self->path = getenv("MVM_MODULE");
	MVM_REQUIRE(self->path && *self->path,
		    "set MVM_MODULE to the path of mvm.ko to test reloading");
	MVM_REQUIRE(access(self->path, R_OK) == 0, "cannot read %s",
		    self->path);
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
}

FIXTURE_TEARDOWN(mod)
{
	/* Whatever happened, leave the module loaded for later tests. */
	if (self->path && !mvm_dev_present())
		load_module(self->path);
}

TEST_F(mod, unload_refused_while_fd_open)
{
	int fd = sys_open();

	ASSERT_EQ(-EWOULDBLOCK, delete_module("mvm", O_NONBLOCK));
	ASSERT_EQ(MVM_API_VERSION, __sys_ioctl(fd, MVM_GET_API_VERSION,
					       NULL));
	close(fd);
}

/* Each load of the multi-megabyte module takes seconds in Bochs. */
TEST_F_TIMEOUT(mod, unload_reload_cycles, 600)
{
	int i;

	for (i = 0; i < 20; i++) {
		int fd;

		ASSERT_EQ(0, delete_module("mvm", O_NONBLOCK))
			TH_LOG("unload %d", i);
		ASSERT_FALSE(mvm_dev_present());
		ASSERT_EQ(0, load_module(self->path)) TH_LOG("load %d", i);
		fd = sys_open();
		ASSERT_EQ(MVM_API_VERSION,
			  __sys_ioctl(fd, MVM_GET_API_VERSION, NULL));
		close(fd);
	}
}

/* Loading twice is refused by the kernel, and the first copy survives. */
TEST_F(mod, double_load_eexist)
{
	int fd;

	ASSERT_EQ(-EEXIST, load_module(self->path));
	fd = sys_open();
	ASSERT_EQ(MVM_API_VERSION, __sys_ioctl(fd, MVM_GET_API_VERSION, NULL));
	close(fd);
}

TEST_HARNESS_MAIN
