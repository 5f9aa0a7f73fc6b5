// SPDX-License-Identifier: Apache-2.0
/*
 * Routing of log lines to the caller's callback.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void mvm_log(const struct mvm_logger *lg, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!lg || !lg->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lg->fn(lg->opaque, level, msg);
}
