// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Boot timelines of mvm VMs, keyed by VM id: when each milestone of
 * enum boot_milestone happened (boot.h).
 *
 * Sources:
 * - libmvm's USDT probes (provider mvm), one program attached to each
 *   probe with the milestone as its cookie. Before mvm.ko knows the VM
 *   they land in boot_launches under the process's pid; after, in the
 *   timeline of the VM id the probe passes (or, from a libmvm that
 *   passes 0, of the VM that process created last).
 * - mvm.ko's tracepoints vm_create, vm_destroy, vcpu_run, exit and
 *   guest_mark. Each has two entry points sharing one body: tp_btf/ (the
 *   arguments typed through mvm.ko's BTF) and raw_tp/ (the same
 *   arguments as raw u64s, for a module built without BTF). The loader
 *   loads one set, never both.
 *
 * A VM is followed only from its mvm:vm_create on; targ_tgid and targ_vm
 * narrow that to one process or one VM.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "boot.h"

#define MAX_VMS		4096
#define MAX_PROCS	4096

/* Set by the loader before load; 0 follows every process / VM. */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_vm = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VMS);
	__type(key, __u32);
	__type(value, struct boot_timeline);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} boot_timelines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_PROCS);
	__type(key, __u32);
	__type(value, struct boot_launch);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} boot_launches SEC(".maps");

/* The newest VM each process created: where its later probes go. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} boot_proc_vm SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* Record @ns as milestone @m of @t unless already seen: first wins. */
static __always_inline void mark(struct boot_timeline *t, __u32 m, __u64 ns)
{
	if (m < BOOT_NR_MILESTONES && !t->ts[m])
		t->ts[m] = ns;
}

static __always_inline int on_vm_create(__u32 vm_id, __u32 pid)
{
	struct boot_timeline t = {};
	struct boot_launch *l;

	if ((targ_tgid && pid != targ_tgid) || (targ_vm && vm_id != targ_vm))
		return 0;
	t.ts[BOOT_VM_CREATE] = bpf_ktime_get_ns();
	t.pid = pid;
	/* The creating process is current: vm_create runs in its ioctl. */
	bpf_get_current_comm(t.comm, sizeof(t.comm));
	l = bpf_map_lookup_elem(&boot_launches, &pid);
	if (l) {
		/* A launch after this VM's creation cannot be its own. */
		if (l->launch_ns <= t.ts[BOOT_VM_CREATE]) {
			t.ts[BOOT_LAUNCH] = l->launch_ns;
			t.ts[BOOT_CONFIG_PARSED] = l->config_parsed_ns;
		}
		bpf_map_delete_elem(&boot_launches, &pid);
	}
	bpf_map_update_elem(&boot_timelines, &vm_id, &t, BPF_ANY);
	bpf_map_update_elem(&boot_proc_vm, &pid, &vm_id, BPF_ANY);
	return 0;
}

static __always_inline int on_vm_destroy(__u32 vm_id)
{
	struct boot_timeline *t = bpf_map_lookup_elem(&boot_timelines, &vm_id);

	if (t && !t->destroyed_ns)
		t->destroyed_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_vcpu_run(__u32 vm_id, __u32 vcpu_id, __u64 rip)
{
	struct boot_timeline *t;

	if (vcpu_id != 0)
		return 0;
	t = bpf_map_lookup_elem(&boot_timelines, &vm_id);
	if (t && !t->ts[BOOT_FIRST_INSN]) {
		t->ts[BOOT_FIRST_INSN] = bpf_ktime_get_ns();
		t->first_rip = rip;
	}
	return 0;
}

/*
 * mvm enters a bzImage at its 64-bit entry, identity-mapped at a low
 * address; the decompressed kernel runs at 0xffffffff8xxxxxxx. The first
 * exit taken with bit 63 of rip set is therefore the first sign of the
 * kernel proper: late by at most the time to the next exit.
 */
static __always_inline int on_exit(__u32 vm_id, __u64 rip)
{
	struct boot_timeline *t = bpf_map_lookup_elem(&boot_timelines, &vm_id);

	if (!t)
		return 0;
	if (!t->ts[BOOT_READY])
		__sync_fetch_and_add(&t->boot_exits, 1);
	if (!t->ts[BOOT_KERNEL_ENTRY] && (rip >> 63)) {
		t->ts[BOOT_KERNEL_ENTRY] = bpf_ktime_get_ns();
		t->kernel_rip = rip;
	}
	return 0;
}

static __always_inline int on_guest_mark(__u32 vm_id, __u64 value)
{
	struct boot_timeline *t = bpf_map_lookup_elem(&boot_timelines, &vm_id);
	__u64 now = bpf_ktime_get_ns();

	if (!t)
		return 0;
	__sync_fetch_and_add(&t->marks, 1);
	if (value == BOOT_MARK_INIT)
		mark(t, BOOT_INIT, now);
	else if (value == BOOT_MARK_READY)
		mark(t, BOOT_READY, now);
	return 0;
}

/* BTF-typed entry points, used when mvm.ko has BTF. */
SEC("tp_btf/vm_create")
int BPF_PROG(vm_create_btf, u32 vm_id, pid_t pid)
{
	return on_vm_create(vm_id, pid);
}

SEC("tp_btf/vm_destroy")
int BPF_PROG(vm_destroy_btf, u32 vm_id)
{
	return on_vm_destroy(vm_id);
}

SEC("tp_btf/vcpu_run")
int BPF_PROG(vcpu_run_btf, u32 vm_id, u32 vcpu_id, u64 rip)
{
	return on_vcpu_run(vm_id, vcpu_id, rip);
}

SEC("tp_btf/exit")
int BPF_PROG(exit_btf, u32 vm_id, u32 vcpu_id, u32 reason, u64 rip, u64 info)
{
	return on_exit(vm_id, rip);
}

SEC("tp_btf/guest_mark")
int BPF_PROG(guest_mark_btf, u32 vm_id, u32 vcpu_id, u64 value)
{
	return on_guest_mark(vm_id, value);
}

/* The same, as raw tracepoints: no BTF of mvm.ko needed. */
SEC("raw_tp/vm_create")
int BPF_PROG(vm_create_raw, u32 vm_id, pid_t pid)
{
	return on_vm_create(vm_id, pid);
}

SEC("raw_tp/vm_destroy")
int BPF_PROG(vm_destroy_raw, u32 vm_id)
{
	return on_vm_destroy(vm_id);
}

SEC("raw_tp/vcpu_run")
int BPF_PROG(vcpu_run_raw, u32 vm_id, u32 vcpu_id, u64 rip)
{
	return on_vcpu_run(vm_id, vcpu_id, rip);
}

SEC("raw_tp/exit")
int BPF_PROG(exit_raw, u32 vm_id, u32 vcpu_id, u32 reason, u64 rip, u64 info)
{
	return on_exit(vm_id, rip);
}

SEC("raw_tp/guest_mark")
int BPF_PROG(guest_mark_raw, u32 vm_id, u32 vcpu_id, u64 value)
{
	return on_guest_mark(vm_id, value);
}

/*
 * Every libmvm probe: (VM id or 0, CLOCK_MONOTONIC ns); the cookie is
 * the milestone. The probe's own clock reading is used, so the time the
 * uprobe itself takes is not counted in the stage before it.
 */
SEC("usdt")
int BPF_USDT(libmvm_probe, u64 vm_id, u64 ns)
{
	__u32 m = bpf_usdt_cookie(ctx);
	__u32 tgid = current_tgid();
	struct boot_timeline *t;
	struct boot_launch *l;
	__u32 id = vm_id;
	__u32 *last;

	if (targ_tgid && tgid != targ_tgid)
		return 0;
	if (!ns)
		ns = bpf_ktime_get_ns();
	if (m == BOOT_LAUNCH) {
		struct boot_launch fresh = { .launch_ns = ns };

		bpf_map_update_elem(&boot_launches, &tgid, &fresh, BPF_ANY);
		return 0;
	}
	if (m == BOOT_CONFIG_PARSED) {
		l = bpf_map_lookup_elem(&boot_launches, &tgid);
		if (l && !l->config_parsed_ns)
			l->config_parsed_ns = ns;
		return 0;
	}
	if (!id) {
		last = bpf_map_lookup_elem(&boot_proc_vm, &tgid);
		if (!last)
			return 0;
		id = *last;
	}
	t = bpf_map_lookup_elem(&boot_timelines, &id);
	if (t)
		mark(t, m, ns);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
