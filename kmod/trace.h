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
 * @fd_kind: enum mvm_fd_kind: system, VM or vCPU fd.
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

/*
 * mvm:vm_create / mvm:vm_destroy - a VM came to be or was freed.
 * @vm_id: the VM's id, unique while the module is loaded.
 * @pid:   the creating process (vm_create only).
 */
TRACE_EVENT(vm_create,
	TP_PROTO(u32 vm_id, pid_t pid),
	TP_ARGS(vm_id, pid),
	TP_STRUCT__entry(
		__field(u32, vm_id)
		__field(pid_t, pid)
	),
	TP_fast_assign(
		__entry->vm_id = vm_id;
		__entry->pid = pid;
	),
	TP_printk("vm %u pid %d", __entry->vm_id, __entry->pid)
);

TRACE_EVENT(vm_destroy,
	TP_PROTO(u32 vm_id),
	TP_ARGS(vm_id),
	TP_STRUCT__entry(
		__field(u32, vm_id)
	),
	TP_fast_assign(
		__entry->vm_id = vm_id;
	),
	TP_printk("vm %u", __entry->vm_id)
);

/*
 * mvm:vcpu_run - MVM_RUN entered the guest for the first time in a call.
 */
TRACE_EVENT(vcpu_run,
	TP_PROTO(u32 vm_id, u32 vcpu_id, u64 rip),
	TP_ARGS(vm_id, vcpu_id, rip),
	TP_STRUCT__entry(
		__field(u32, vm_id)
		__field(u32, vcpu_id)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vm_id = vm_id;
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),
	TP_printk("vm %u vcpu %u rip %#llx", __entry->vm_id,
		  __entry->vcpu_id, __entry->rip)
);

/*
 * mvm:exit - a VM exit, whether handled in the kernel or not.
 * @reason: the hardware's basic exit reason (VMX) or exit code (SVM).
 * @info:   its qualification.
 */
TRACE_EVENT(exit,
	TP_PROTO(u32 vm_id, u32 vcpu_id, u32 reason, u64 rip, u64 info),
	TP_ARGS(vm_id, vcpu_id, reason, rip, info),
	TP_STRUCT__entry(
		__field(u32, vm_id)
		__field(u32, vcpu_id)
		__field(u32, reason)
		__field(u64, rip)
		__field(u64, info)
	),
	TP_fast_assign(
		__entry->vm_id = vm_id;
		__entry->vcpu_id = vcpu_id;
		__entry->reason = reason;
		__entry->rip = rip;
		__entry->info = info;
	),
	TP_printk("vm %u vcpu %u reason %u rip %#llx info %#llx",
		  __entry->vm_id, __entry->vcpu_id, __entry->reason,
		  __entry->rip, __entry->info)
);

/*
 * guest_mark - the guest wrote a boot milestone to MVM_GUEST_MARK_PORT.
 * @vm_id:   the VM.
 * @vcpu_id: the vCPU that wrote it.
 * @value:   what it wrote.
 */
TRACE_EVENT(guest_mark,
	TP_PROTO(u32 vm_id, u32 vcpu_id, u64 value),
	TP_ARGS(vm_id, vcpu_id, value),
	TP_STRUCT__entry(
		__field(u32, vm_id)
		__field(u32, vcpu_id)
		__field(u64, value)
	),
	TP_fast_assign(
		__entry->vm_id = vm_id;
		__entry->vcpu_id = vcpu_id;
		__entry->value = value;
	),
	TP_printk("vm %u vcpu %u value %llu",
		  __entry->vm_id, __entry->vcpu_id, __entry->value)
);

#endif /* MVM_TRACE_H */

/* The tracepoint machinery re-reads this header from the module's tree. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
