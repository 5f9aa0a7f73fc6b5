/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmvm internals shared between its source files; never installed.
 */
#ifndef MVM_INTERNAL_H
#define MVM_INTERNAL_H

#include <mvm/mvm.h>

/* Marks the functions the shared library exports (see libmvm.map). */
#define MVM_EXPORT __attribute__((visibility("default")))

/* Where a handle's log lines go. */
struct mvm_logger {
	mvm_log_fn fn;
	void *opaque;
};

/*
 * mvm_log() - format a message and pass it to @lg's callback, if any.
 * Never fails; an over-long message is truncated.
 */
void mvm_log(const struct mvm_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * mvm_sys_fd() - the /dev/mvm fd of @sys, for the VM builder (src/vm/),
 * which creates VMs on it. Not exported.
 */
int mvm_sys_fd(const struct mvm_sys *sys);

#endif /* MVM_INTERNAL_H */
