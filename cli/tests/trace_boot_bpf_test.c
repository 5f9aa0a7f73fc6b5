// SPDX-License-Identifier: Apache-2.0
/*
 * bpf/boot.bpf.c on this host, without mvm.ko: its timeline logic,
 * driven by real USDT probes and by BPF_PROG_TEST_RUN of the raw-
 * tracepoint programs with made-up arguments.
 *
 * - USDT: the program is attached to this test's own executable, which
 *   links libmvm statically: mvm_vm_create(NULL, ...) fires libmvm's
 *   real mvm:process_start before it fails. The later probes cannot fire
 *   without /dev/mvm, so the test carries its own copies of them (same
 *   provider, name and arguments as libmvm/src/vm/probes.h); libbpf
 *   attaches to every note with the name.
 * - Tracepoints: mvm:vm_create and the others do not exist here; their
 *   raw_tp programs run through BPF_PROG_TEST_RUN with the TP_PROTO
 *   arguments of kmod/trace.h.
 *
 * Needs root (or CAP_BPF and CAP_PERFMON) and uprobes: SKIP otherwise.
 * No map is pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <mvm/vm.h>

#include "kselftest_harness.h"
#include "boot.h"
#include "boot.skel.h"

static const struct {
	const char *name;
	unsigned int milestone;
} probes[] = {
	{ "process_start", BOOT_LAUNCH },
	{ "config_parsed", BOOT_CONFIG_PARSED },
	{ "memory_ready", BOOT_MEMORY_READY },
	{ "kernel_loaded", BOOT_KERNEL_LOADED },
	{ "vm_created", BOOT_VM_CREATED },
	{ "first_entry", BOOT_FIRST_ENTRY },
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* This test's copies of libmvm's probes, fired with chosen arguments. */
static void __attribute__((noinline)) fire(unsigned int milestone,
					   unsigned long long vm_id,
					   unsigned long long ns)
{
	switch (milestone) {
	case BOOT_CONFIG_PARSED:
		DTRACE_PROBE2(mvm, config_parsed, vm_id, ns);
		break;
	case BOOT_MEMORY_READY:
		DTRACE_PROBE2(mvm, memory_ready, vm_id, ns);
		break;
	case BOOT_KERNEL_LOADED:
		DTRACE_PROBE2(mvm, kernel_loaded, vm_id, ns);
		break;
	case BOOT_VM_CREATED:
		DTRACE_PROBE2(mvm, vm_created, vm_id, ns);
		break;
	case BOOT_FIRST_ENTRY:
		DTRACE_PROBE2(mvm, first_entry, vm_id, ns);
		break;
	}
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Run raw-tracepoint program @prog with the arguments @args. */
static int tp_run(struct bpf_program *prog, unsigned long long *args,
		  unsigned int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args,
		    .ctx_size_in = n * sizeof(*args));

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
}

#define TP(prog, ...)							\
	({								\
		unsigned long long a_[] = { __VA_ARGS__ };		\
		tp_run(prog, a_, sizeof(a_) / sizeof(a_[0]));		\
	})

FIXTURE(boot) {
	struct boot_bpf *skel;
	struct bpf_link *links[8];
	unsigned int nr_links;
	int timelines, launches;
};

/*
 * Load with the raw_tp set, unpinned; filter on @tgid/@vm (0: none).
 * False when this host cannot: the test is then marked SKIP and must
 * return (LOAD() does). A failed ASSERT ends the test by itself.
 */
static bool load(struct __test_metadata *_metadata,
		 FIXTURE_DATA(boot) *self, unsigned int tgid, unsigned int vm)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	unsigned int i;
	int err;

	libbpf_set_print(quiet);
	self->skel = boot_bpf__open();
	ASSERT_NE(NULL, self->skel);
	self->skel->rodata->targ_tgid = tgid;
	self->skel->rodata->targ_vm = vm;
	bpf_object__for_each_program(prog, self->skel->obj)
		bpf_program__set_autoload(prog,
			!strstr(bpf_program__name(prog), "_btf"));
	bpf_object__for_each_map(map, self->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = boot_bpf__load(self->skel);
	if (err == -EPERM || err == -EACCES) {
		boot_bpf__destroy(self->skel);
		self->skel = NULL;
		SKIP(return false, "cannot load BPF programs here (%s): needs root or CAP_BPF",
		     strerror(-err));
	}
	ASSERT_EQ(0, err);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		LIBBPF_OPTS(bpf_usdt_opts, uo,
			    .usdt_cookie = probes[i].milestone);
		struct bpf_link *l;

		l = bpf_program__attach_usdt(self->skel->progs.libmvm_probe,
					     getpid(), "/proc/self/exe", "mvm",
					     probes[i].name, &uo);
		if (!l && i == 0)
			SKIP(return false, "cannot attach a USDT probe here (%s): no uprobes?",
			     strerror(errno));
		ASSERT_NE(NULL, l) TH_LOG("USDT mvm:%s", probes[i].name);
		self->links[self->nr_links++] = l;
	}
	self->timelines = bpf_map__fd(self->skel->maps.boot_timelines);
	self->launches = bpf_map__fd(self->skel->maps.boot_launches);
	return true;
}

#define LOAD(tgid, vm)							\
	do {								\
		if (!load(_metadata, self, (tgid), (vm)))		\
			return;						\
	} while (0)

FIXTURE_SETUP(boot)
{
	self->skel = NULL;
	self->nr_links = 0;
}

FIXTURE_TEARDOWN(boot)
{
	while (self->nr_links)
		bpf_link__destroy(self->links[--self->nr_links]);
	boot_bpf__destroy(self->skel);
}

/* libmvm's own process_start, fired by a call that then fails. */
static void libmvm_launch(void)
{
	struct mvm_vm *vm = NULL;

	mvm_vm_create(NULL, NULL, NULL, NULL, &vm);
}

static int timeline(FIXTURE_DATA(boot) *self, unsigned int id,
		    struct boot_timeline *t)
{
	return bpf_map_lookup_elem(self->timelines, &id, t);
}

/* A whole boot, in the order mvm and a guest make it. */
TEST_F(boot, full_timeline)
{
	unsigned long long t0, t1, pid = getpid(), ns;
	struct boot_timeline t;
	struct boot_launch l;
	unsigned int key = getpid(), m;

	LOAD(0, 0);
	t0 = now_ns();
	libmvm_launch();
	t1 = now_ns();
	ASSERT_EQ(0, bpf_map_lookup_elem(self->launches, &key, &l))
		TH_LOG("libmvm's mvm:process_start left no boot_launches entry");
	EXPECT_LE(t0, l.launch_ns);
	EXPECT_GE(t1, l.launch_ns);
	EXPECT_EQ(0, l.config_parsed_ns);
	ns = now_ns();
	fire(BOOT_CONFIG_PARSED, 0, ns);
	ASSERT_EQ(0, bpf_map_lookup_elem(self->launches, &key, &l));
	EXPECT_EQ(ns, l.config_parsed_ns);

	/* mvm:vm_create(vm_id 7, pid) moves the launch into the VM. */
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 7, pid));
	ASSERT_EQ(0, timeline(self, 7, &t));
	EXPECT_NE(0, bpf_map_lookup_elem(self->launches, &key, &l))
		TH_LOG("the launch entry should be consumed by vm_create");
	EXPECT_EQ(getpid(), (pid_t)t.pid);
	EXPECT_EQ(0, strncmp(t.comm, "trace_boot_bpf_", 15)) TH_LOG("comm %.16s", t.comm);
	EXPECT_LE(t0, t.ts[BOOT_LAUNCH]);
	EXPECT_EQ(ns, t.ts[BOOT_CONFIG_PARSED]);
	EXPECT_LE(ns, t.ts[BOOT_VM_CREATE]);

	/* libmvm's later probes pass VM id 0: they go to the process's VM. */
	for (m = BOOT_MEMORY_READY; m <= BOOT_FIRST_ENTRY; m++)
		fire(m, 0, now_ns());

	/* vCPU 1's entry is not the first instruction; vCPU 0's is. */
	ASSERT_EQ(0, TP(self->skel->progs.vcpu_run_raw, 7, 1, 0x2000));
	ASSERT_EQ(0, timeline(self, 7, &t));
	EXPECT_EQ(0, t.ts[BOOT_FIRST_INSN]);
	ASSERT_EQ(0, TP(self->skel->progs.vcpu_run_raw, 7, 0, 0x1000200));
	ASSERT_EQ(0, TP(self->skel->progs.vcpu_run_raw, 7, 0, 0x5555));

	/* Exits at low rips (the bzImage's decompressor), then the kernel. */
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 7, 0, 30, 0x1000300, 0));
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 7, 0, 48, 0x7fffffffffffffffULL, 0));
	ASSERT_EQ(0, timeline(self, 7, &t));
	EXPECT_EQ(0, t.ts[BOOT_KERNEL_ENTRY]);
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 7, 0, 30, 0xffffffff81000040ULL, 0));
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 7, 0, 30, 0xffffffff81999999ULL, 0));

	/* Milestones: an unknown value counts, 1 and 2 are init and ready. */
	ASSERT_EQ(0, TP(self->skel->progs.guest_mark_raw, 7, 0, 77));
	ASSERT_EQ(0, TP(self->skel->progs.guest_mark_raw, 7, 0, 1));
	ASSERT_EQ(0, TP(self->skel->progs.guest_mark_raw, 7, 0, 2));
	ASSERT_EQ(0, TP(self->skel->progs.guest_mark_raw, 7, 0, 1));
	/* Exits after ready are not boot exits. */
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 7, 0, 12, 0xffffffff81000000ULL, 0));
	ASSERT_EQ(0, TP(self->skel->progs.vm_destroy_raw, 7));

	ASSERT_EQ(0, timeline(self, 7, &t));
	for (m = 0; m < BOOT_NR_MILESTONES; m++) {
		EXPECT_NE(0, t.ts[m]) TH_LOG("milestone %u missing", m);
		if (m)
			EXPECT_LE(t.ts[m - 1], t.ts[m])
				TH_LOG("milestone %u before %u", m, m - 1);
	}
	EXPECT_EQ(0x1000200, t.first_rip);
	EXPECT_EQ(0xffffffff81000040ULL, t.kernel_rip);
	EXPECT_EQ(4, t.boot_exits);
	EXPECT_EQ(4, t.marks);
	EXPECT_LE(t.ts[BOOT_READY], t.destroyed_ns);
}

/* A probe that names its VM goes there, whatever the process made last. */
TEST_F(boot, probe_with_vm_id)
{
	unsigned long long pid = getpid();
	struct boot_timeline t;

	LOAD(0, 0);
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 3, pid));
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 4, pid));
	fire(BOOT_KERNEL_LOADED, 3, 1234);
	fire(BOOT_KERNEL_LOADED, 0, 5678);	/* the newest: VM 4 */
	ASSERT_EQ(0, timeline(self, 3, &t));
	EXPECT_EQ(1234, t.ts[BOOT_KERNEL_LOADED]);
	EXPECT_EQ(0, t.ts[BOOT_LAUNCH]) TH_LOG("no launch was seen");
	ASSERT_EQ(0, timeline(self, 4, &t));
	EXPECT_EQ(5678, t.ts[BOOT_KERNEL_LOADED]);
	/* First wins. */
	fire(BOOT_KERNEL_LOADED, 4, 9999);
	ASSERT_EQ(0, timeline(self, 4, &t));
	EXPECT_EQ(5678, t.ts[BOOT_KERNEL_LOADED]);
}

/* Events of VMs whose creation was not seen are ignored. */
TEST_F(boot, unknown_vm_ignored)
{
	struct boot_timeline t;

	LOAD(0, 0);
	ASSERT_EQ(0, TP(self->skel->progs.vcpu_run_raw, 9, 0, 0x1000));
	ASSERT_EQ(0, TP(self->skel->progs.exit_raw, 9, 0, 30, 0xffffffff81000000ULL, 0));
	ASSERT_EQ(0, TP(self->skel->progs.guest_mark_raw, 9, 0, 2));
	ASSERT_EQ(0, TP(self->skel->progs.vm_destroy_raw, 9));
	EXPECT_NE(0, timeline(self, 9, &t));
	/* And a probe from a process that made no VM. */
	fire(BOOT_MEMORY_READY, 0, 42);
	EXPECT_NE(0, timeline(self, 0, &t));
}

/* A launch newer than the VM's creation is not that VM's. */
TEST_F(boot, stale_launch_not_taken)
{
	unsigned long long pid = getpid();
	struct boot_timeline t;
	struct boot_launch l;
	unsigned int key = getpid();

	LOAD(0, 0);
	libmvm_launch();
	ASSERT_EQ(0, bpf_map_lookup_elem(self->launches, &key, &l));
	l.launch_ns = ~0ULL >> 1;	/* far in the future */
	ASSERT_EQ(0, bpf_map_update_elem(self->launches, &key, &l, BPF_EXIST));
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 5, pid));
	ASSERT_EQ(0, timeline(self, 5, &t));
	EXPECT_EQ(0, t.ts[BOOT_LAUNCH]);
	EXPECT_NE(0, bpf_map_lookup_elem(self->launches, &key, &l));
}

/* --pid: another process's probes and VMs are not followed. */
TEST_F(boot, pid_filter)
{
	unsigned long long other = getpid() + 1;
	struct boot_timeline t;
	struct boot_launch l;
	unsigned int key = getpid();

	LOAD(getpid() + 1, 0);
	libmvm_launch();
	EXPECT_NE(0, bpf_map_lookup_elem(self->launches, &key, &l))
		TH_LOG("this process's launch was recorded under --pid of another");
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 11, getpid()));
	EXPECT_NE(0, timeline(self, 11, &t));
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 12, other));
	EXPECT_EQ(0, timeline(self, 12, &t));
}

/* --vm: only that VM gets a timeline. */
TEST_F(boot, vm_filter)
{
	unsigned long long pid = getpid();
	struct boot_timeline t;

	LOAD(0, 21);
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 20, pid));
	ASSERT_EQ(0, TP(self->skel->progs.vm_create_raw, 21, pid));
	EXPECT_NE(0, timeline(self, 20, &t));
	EXPECT_EQ(0, timeline(self, 21, &t));
}

TEST_HARNESS_MAIN
