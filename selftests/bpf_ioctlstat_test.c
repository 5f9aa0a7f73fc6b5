// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF pipeline end to end: bpf/ioctlstat.bpf.c attaches to the
 * mvm:ioctl tracepoint of the loaded module, counts exactly the ioctls
 * made here by outcome, and its pinned map is readable by bpftool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "mvm_util.h"
#include "ioctlstat.h"
#include "ioctlstat.skel.h"

#define PIN_PATH MVM_BPF_PIN_ROOT "/ioctl_stats"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

FIXTURE(bpf) {
	struct ioctlstat_bpf *skel;
	int fd;
};

FIXTURE_SETUP(bpf)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .pin_root_path = MVM_BPF_PIN_ROOT);
	int err;

	self->fd = -1;
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	MVM_REQUIRE(access("/sys/kernel/btf/vmlinux", R_OK) == 0,
		    "kernel has no BTF (/sys/kernel/btf/vmlinux)");
	MVM_REQUIRE(mkdir(MVM_BPF_PIN_ROOT, 0700) == 0 || errno == EEXIST,
		    "cannot create %s (is bpffs mounted?)", MVM_BPF_PIN_ROOT);
	libbpf_set_print(quiet_libbpf);
	unlink(PIN_PATH);

	self->skel = ioctlstat_bpf__open_opts(&opts);
	ASSERT_NE(NULL, self->skel);
	err = ioctlstat_bpf__load(self->skel);
	MVM_REQUIRE(err != -EPERM, "loading BPF needs CAP_BPF and CAP_PERFMON");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, ioctlstat_bpf__attach(self->skel));
	self->fd = sys_open();
}

FIXTURE_TEARDOWN(bpf)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->skel) {
		bpf_map__unpin(self->skel->maps.ioctl_stats, NULL);
		ioctlstat_bpf__destroy(self->skel);
	}
}

static __u64 count_of(struct ioctlstat_bpf *skel, unsigned int cmd, int err)
{
	struct ioctl_key key = { .fd_kind = 0, .cmd = cmd, .err = err };
	__u64 n = 0;

	bpf_map__lookup_elem(skel->maps.ioctl_stats, &key, sizeof(key), &n,
			     sizeof(n), 0);
	return n;
}

TEST_F(bpf, counts_each_outcome)
{
	struct mvm_check_cap cc = { .cap = MVM_CAP_BACKEND };
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(MVM_API_VERSION, __sys_ioctl(self->fd,
			  MVM_GET_API_VERSION, NULL));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, __sys_ioctl(self->fd, MVM_CHECK_CAP, &cc));
	cc.reserved[1] = 1;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(-EINVAL, __sys_ioctl(self->fd, MVM_CHECK_CAP, &cc));
	ASSERT_EQ(-ENOTTY, __sys_ioctl(self->fd, _IO(MVMIO, 0x7f), NULL));

	ASSERT_EQ(5, count_of(self->skel, MVM_GET_API_VERSION, 0));
	ASSERT_EQ(3, count_of(self->skel, MVM_CHECK_CAP, 0));
	ASSERT_EQ(2, count_of(self->skel, MVM_CHECK_CAP, EINVAL));
	ASSERT_EQ(1, count_of(self->skel, _IO(MVMIO, 0x7f), ENOTTY));
}

TEST_F(bpf, map_pinned_for_bpftool)
{
	char cmd[256], out[4096] = "";
	size_t n;
	FILE *p;

	ASSERT_EQ(0, access(PIN_PATH, F_OK));
	MVM_REQUIRE(system("bpftool version >/dev/null 2>&1") == 0,
		    "no bpftool on PATH");
	ASSERT_EQ(MVM_API_VERSION,
		  __sys_ioctl(self->fd, MVM_GET_API_VERSION, NULL));

	snprintf(cmd, sizeof(cmd), "bpftool -j map dump pinned %s", PIN_PATH);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ASSERT_EQ(0, pclose(p)) TH_LOG("%s", out);
	/* bpftool prints the key with the BTF field names of ioctl_key. */
	ASSERT_NE(NULL, strstr(out, "\"cmd\":")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"err\":")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
