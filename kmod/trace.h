/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvm tracepoints (tracefs: events/mvm/). BPF programs attach to them as
 * raw tracepoints by name, so their TP_PROTO is ABI for bpf/: change it
 * only together with the programs there.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mvm

#if !defined(MVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MVM_TRACE_H

#include <linux/tracepoint.h>

/*
 * mvm:ioctl - an ioctl on an mvm fd has finished.
 * @fd_kind: MVM_FD_SYS (later VM and vCPU fds).
 * @cmd:     the ioctl number as userspace passed it.
 * @ret:     the result returned to userspace (negative errno on failure).
 */
TRACE_EVENT(ioctl,
	TP_PROTO(unsigned int fd_kind, unsigned int cmd, long ret),
	TP_ARGS(fd_kind, cmd, ret),

	TP_STRUCT__entry(
		__field(unsigned int, fd_kind)
		__field(unsigned int, cmd)
		__field(long, ret)
	),

	TP_fast_assign(
		__entry->fd_kind = fd_kind;
		__entry->cmd = cmd;
		__entry->ret = ret;
	),

	TP_printk("fd %u cmd %#x nr %u ret %ld", __entry->fd_kind,
		  __entry->cmd, _IOC_NR(__entry->cmd), __entry->ret)
);

#endif /* MVM_TRACE_H */

/* The tracepoint machinery re-reads this header from the module's tree. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
