// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Count VM exits by VM and reason from the mvm:exit tracepoint, and keep
 * which process made each VM (mvm:vm_create, mvm:vm_destroy). Attached as
 * raw tracepoints, so no BTF of mvm.ko is needed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "exits.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exit_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} exit_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct vm_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vm_infos SEC(".maps");

SEC("raw_tp/exit")
int BPF_PROG(count_exit, u32 vm_id, u32 vcpu_id, u32 reason, u64 rip,
	     u64 info)
{
	struct exit_key key = { .vm_id = vm_id, .reason = reason };
	static const __u64 zero;
	__u64 *count;

	count = bpf_map_lookup_elem(&exit_counts, &key);
	if (!count) {
		/* Racing CPUs: one insert wins, the lookup finds it. */
		bpf_map_update_elem(&exit_counts, &key, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&exit_counts, &key);
		if (!count)
			return 0;	/* map full */
	}
	__sync_fetch_and_add(count, 1);
	return 0;
}

SEC("raw_tp/vm_create")
int BPF_PROG(vm_create, u32 vm_id, pid_t pid)
{
	struct vm_info v = {
		.created_ns = bpf_ktime_get_ns(),
		.pid = pid,
	};

	bpf_map_update_elem(&vm_infos, &vm_id, &v, BPF_ANY);
	return 0;
}

SEC("raw_tp/vm_destroy")
int BPF_PROG(vm_destroy, u32 vm_id)
{
	struct vm_info *v = bpf_map_lookup_elem(&vm_infos, &vm_id);

	if (v)
		v->destroyed = 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
