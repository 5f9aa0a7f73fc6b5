// SPDX-License-Identifier: Apache-2.0
/*
 * The system-level handle: /dev/mvm, its API version and capabilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

struct mvm_sys {
	int fd;
	struct mvm_logger log;
};

static int sys_open_error(const struct mvm_logger *lg, const char *path,
			  int err)
{
	switch (err) {
	case ENOENT:
		mvm_log(lg, MVM_LOG_ERR,
			"%s does not exist: load the module with 'modprobe mvm' (or insmod mvm.ko)",
			path);
		break;
	case EACCES:
	case EPERM:
		mvm_log(lg, MVM_LOG_ERR,
			"no permission to open %s: add the user to group 'mvm' (the udev rule gives it mode 0660)",
			path);
		break;
	default:
		mvm_log(lg, MVM_LOG_ERR, "cannot open %s: %s", path,
			strerror(err));
		break;
	}
	return -err;
}

MVM_EXPORT int mvm_sys_open(const char *path, mvm_log_fn log, void *opaque,
			    struct mvm_sys **out)
{
	struct mvm_logger lg = { .fn = log, .opaque = opaque };
	struct mvm_sys *sys;
	int fd, version;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path)
		path = "/dev/mvm";

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return sys_open_error(&lg, path, errno);

	version = ioctl(fd, MVM_GET_API_VERSION, 0);
	if (version < 0) {
		int err = errno;

		mvm_log(&lg, MVM_LOG_ERR, "%s is not an mvm device (%s)", path,
			strerror(err));
		close(fd);
		return err == ENOTTY || err == EINVAL ? -ENOTTY : -err;
	}
	if (version != MVM_API_VERSION) {
		mvm_log(&lg, MVM_LOG_ERR,
			"%s speaks mvm API %d but this libmvm speaks %d: install matching versions of mvm.ko and libmvm",
			path, version, MVM_API_VERSION);
		close(fd);
		return -EPROTO;
	}

	sys = calloc(1, sizeof(*sys));
	if (!sys) {
		close(fd);
		return -ENOMEM;
	}
	sys->fd = fd;
	sys->log = lg;
	*out = sys;
	return 0;
}

MVM_EXPORT void mvm_sys_close(struct mvm_sys *sys)
{
	if (!sys)
		return;
	close(sys->fd);
	free(sys);
}

int mvm_sys_fd(const struct mvm_sys *sys)
{
	return sys->fd;
}

MVM_EXPORT int mvm_sys_check_cap(struct mvm_sys *sys, uint32_t cap,
				 uint64_t *value)
{
	struct mvm_check_cap cc = { .cap = cap };

	if (!sys || !value)
		return -EINVAL;
	if (ioctl(sys->fd, MVM_CHECK_CAP, &cc) < 0) {
		int err = errno;

		mvm_log(&sys->log, MVM_LOG_ERR, "MVM_CHECK_CAP(%u): %s", cap,
			strerror(err));
		return -err;
	}
	*value = cc.value;
	return 0;
}
