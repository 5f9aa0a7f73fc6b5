// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/exits.bpf.c against a guest with a known number of exits: exact
 * counts by reason for the VM the test made, found through the VM-creation
 * map by its pid; and "mvm trace exits" printing the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "mvm_vm.h"
#include "exits.h"
#include "exits.skel.h"

#define VMX_EXIT_HLT	12
#define VMX_EXIT_IO	30

GUEST_CODE(out10, 64,
	   "mov $10, %ecx\n 1: out %al, $0x80\n loop 1b\n hlt\n");

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

FIXTURE(ex) {
	struct exits_bpf *skel;
};

FIXTURE_SETUP(ex)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .pin_root_path = "/sys/fs/bpf/mvm");

	MVM_REQUIRE_VM();
	MVM_REQUIRE(access("/sys/kernel/btf/vmlinux", R_OK) == 0,
		    "kernel has no BTF");
	MVM_REQUIRE(mkdir("/sys/fs/bpf/mvm", 0700) == 0 || errno == EEXIST,
		    "no bpffs at /sys/fs/bpf");
	libbpf_set_print(quiet_libbpf);
	unlink("/sys/fs/bpf/mvm/exit_counts");
	unlink("/sys/fs/bpf/mvm/vm_infos");
	self->skel = exits_bpf__open_opts(&opts);
	ASSERT_NE(NULL, self->skel);
	ASSERT_EQ(0, exits_bpf__load(self->skel));
	ASSERT_EQ(0, exits_bpf__attach(self->skel));
}

FIXTURE_TEARDOWN(ex)
{
	if (self->skel) {
		bpf_map__unpin(self->skel->maps.exit_counts, NULL);
		bpf_map__unpin(self->skel->maps.vm_infos, NULL);
		exits_bpf__destroy(self->skel);
	}
}

/* The id of the newest live VM this process created. */
static int my_vm_id(struct exits_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.vm_infos);
	unsigned int key, next, *prev = NULL;
	struct vm_info v;
	int best = -1;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v) &&
		    v.pid == (unsigned int)getpid() && !v.destroyed &&
		    (int)next > best)
			best = next;
		key = next;
		prev = &key;
	}
	return best;
}

static unsigned long long exits_of(struct exits_bpf *skel, int vm,
				   unsigned int reason)
{
	struct exit_key k = { .vm_id = vm, .reason = reason };
	unsigned long long n = 0;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.exit_counts), &k, &n);
	return n;
}

TEST_F(ex, exact_counts)
{
	struct test_vm *vm = vm_create(1 << 21);
	struct test_vcpu *v = vcpu_add(vm, 0);
	int i, id;

	guest_load(vm, out10_start, out10_end);
	vcpu_setup_long64(vm, v);
	for (i = 0; i < 10; i++) {
		vcpu_run(v);
		ASSERT_EQ(MVM_EXIT_IO, v->run->exit_reason);
	}
	vcpu_run(v);
	ASSERT_EQ(MVM_EXIT_HLT, v->run->exit_reason);

	id = my_vm_id(self->skel);
	ASSERT_GT(id, 0);
	ASSERT_EQ(10, exits_of(self->skel, id, VMX_EXIT_IO));
	ASSERT_EQ(1, exits_of(self->skel, id, VMX_EXIT_HLT));
	vcpu_free(v);
	vm_destroy(vm);
}

/* The CLI reads the same tracepoint; with no VM it prints its header. */
TEST_F(ex, cli_trace_exits_runs)
{
	char out[4096] = "";
	size_t n;
	FILE *p;

	MVM_REQUIRE(system("mvm version >/dev/null 2>&1") == 0,
		    "no mvm CLI on PATH");
	/* The fixture's programs hold the pinned maps: let the CLI pin
	 * its own. */
	bpf_map__unpin(self->skel->maps.exit_counts, NULL);
	bpf_map__unpin(self->skel->maps.vm_infos, NULL);
	p = popen("mvm trace exits --interval 1 --count 1 2>&1", "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ASSERT_EQ(0, pclose(p)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "REASON")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
