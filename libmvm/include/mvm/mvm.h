/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmvm: the C library for running mvm microVMs.
 *
 * Conventions of every function here:
 *  - returns 0 (or a non-negative value) on success and a negative errno
 *    on failure; nothing ever calls exit() or prints;
 *  - handles are opaque; a handle is used by one thread at a time unless
 *    its functions say otherwise; different handles are independent, and
 *    the library has no global state;
 *  - human-readable detail about a failure goes to the handle's logging
 *    callback when one was given.
 */
#ifndef MVM_MVM_H
#define MVM_MVM_H

#include <stddef.h>
#include <stdint.h>

#include <linux/mvm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Severity of a log message; values follow syslog's. */
enum mvm_log_level {
	MVM_LOG_ERR = 3,
	MVM_LOG_WARNING = 4,
	MVM_LOG_INFO = 6,
	MVM_LOG_DEBUG = 7,
};

/*
 * mvm_log_fn - logging callback.
 * @opaque: the pointer given with the callback.
 * @level:  an enum mvm_log_level.
 * @msg:    one line of text without a trailing newline; only valid
 *          during the call.
 *
 * Called from the thread that called into libmvm.
 */
typedef void (*mvm_log_fn)(void *opaque, int level, const char *msg);

/* An open /dev/mvm: the system-level handle. */
struct mvm_sys;

/*
 * mvm_sys_open() - open the mvm device and check its API version.
 * @path:   device path, or NULL for "/dev/mvm".
 * @log:    logging callback, or NULL for none.
 * @opaque: passed to @log.
 * @out:    receives the handle on success.
 *
 * Return: 0; -ENOENT when the device does not exist (module not loaded);
 * -EACCES when the caller may not open it; -ENOTTY when @path is not an
 * mvm device; -EPROTO when the module speaks another API version;
 * -ENOMEM. Each failure is also logged with what to do about it.
 */
int mvm_sys_open(const char *path, mvm_log_fn log, void *opaque,
		 struct mvm_sys **out);

/* mvm_sys_close() - close the handle; NULL is ignored. */
void mvm_sys_close(struct mvm_sys *sys);

/*
 * mvm_sys_check_cap() - query one MVM_CAP_* capability.
 * @sys:   the handle.
 * @cap:   an MVM_CAP_* number.
 * @value: receives its value; 0 means unsupported (also for capabilities
 *         the loaded module does not know).
 *
 * Return: 0, or the negative errno of MVM_CHECK_CAP.
 */
int mvm_sys_check_cap(struct mvm_sys *sys, uint32_t cap, uint64_t *value);

/*
 * mvm_backend_name() - "vmx", "svm" or "none" for an MVM_BACKEND_* value,
 * "unknown" for anything else. The string is static.
 */
const char *mvm_backend_name(uint64_t backend);

/*
 * mvm_hw_features_format() - write the names of the MVM_HW_* bits set in
 * @features, separated by single spaces, into @buf.
 * @buf: destination, always NUL-terminated when @len > 0.
 * @len: size of @buf.
 *
 * Bits without a name are written as "bitN".
 * Return: the length of the full string (as snprintf does), so a result
 * >= @len means it was truncated; -EINVAL when @buf is NULL and @len > 0.
 */
int mvm_hw_features_format(uint64_t features, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MVM_MVM_H */
