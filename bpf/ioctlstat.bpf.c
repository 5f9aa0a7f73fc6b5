// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Count mvm ioctls by fd kind, command and errno, from the mvm:ioctl
 * tracepoint. Attached as a raw tracepoint, so it needs no BTF of mvm.ko.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ioctlstat.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ioctl_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ioctl_stats SEC(".maps");

SEC("raw_tp/ioctl")
int BPF_PROG(count_ioctl, unsigned int fd_kind, unsigned int cmd, long ret)
{
	struct ioctl_key key = {
		.fd_kind = fd_kind,
		.cmd = cmd,
		.err = ret < 0 ? (int)-ret : 0,
	};
	static const __u64 zero;
	__u64 *count;

	count = bpf_map_lookup_elem(&ioctl_stats, &key);
	if (!count) {
		/* Another CPU may insert the key first: then NOEXIST fails
		 * and the lookup finds its entry. */
		bpf_map_update_elem(&ioctl_stats, &key, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&ioctl_stats, &key);
		if (!count)
			return 0;	/* map full */
	}
	__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
