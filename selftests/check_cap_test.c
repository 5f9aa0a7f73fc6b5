// SPDX-License-Identifier: GPL-2.0
/*
 * MVM_CHECK_CAP: the backend and features it reports, and its input
 * validation.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_util.h"

FIXTURE(cap) {
	int fd;
};

FIXTURE_SETUP(cap)
{
	self->fd = -1;
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	self->fd = sys_open();
}

FIXTURE_TEARDOWN(cap)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The backend is the one this CPU's CPUID says it should be. */
TEST_F(cap, backend_matches_cpu)
{
	uint64_t backend = sys_check_cap(self->fd, MVM_CAP_BACKEND);
	uint64_t expect = mvm_cpu_expected_backend();

	TH_LOG("backend %s, features %#llx", mvm_backend_name(backend),
	       (unsigned long long)sys_check_cap(self->fd,
						 MVM_CAP_HW_FEATURES));
	ASSERT_NE(MVM_BACKEND_NONE, backend);
	ASSERT_EQ(expect, backend);
}

/* Both backends require second-level paging and real-mode guests. */
TEST_F(cap, required_features)
{
	uint64_t f = sys_check_cap(self->fd, MVM_CAP_HW_FEATURES);

	ASSERT_TRUE(f & MVM_HW_TDP);
	ASSERT_TRUE(f & MVM_HW_UNRESTRICTED_GUEST);
}

/*
 * The features agree with what the kernel itself found, as shown in
 * /proc/cpuinfo ("vmx flags" on Intel, "flags" on AMD).
 */
TEST_F(cap, features_match_cpuinfo)
{
	uint64_t backend = sys_check_cap(self->fd, MVM_CAP_BACKEND);
	uint64_t f = sys_check_cap(self->fd, MVM_CAP_HW_FEATURES);

	if (backend == MVM_BACKEND_VMX) {
		const char *k = "vmx flags";

		MVM_REQUIRE(mvm_cpuinfo_has_line(k),
			    "kernel has no 'vmx flags' in /proc/cpuinfo");
		ASSERT_EQ(mvm_cpuinfo_has(k, "ept"), !!(f & MVM_HW_TDP));
		ASSERT_EQ(mvm_cpuinfo_has(k, "unrestricted_guest"),
			  !!(f & MVM_HW_UNRESTRICTED_GUEST));
		ASSERT_EQ(mvm_cpuinfo_has(k, "vpid"),
			  !!(f & MVM_HW_TAGGED_TLB));
		ASSERT_EQ(mvm_cpuinfo_has(k, "ept_ad"), !!(f & MVM_HW_TDP_AD));
		ASSERT_EQ(mvm_cpuinfo_has(k, "preemption_timer"),
			  !!(f & MVM_HW_PREEMPTION_TIMER));
		ASSERT_EQ(mvm_cpuinfo_has(k, "tsc_scaling"),
			  !!(f & MVM_HW_TSC_SCALING));
	} else {
		ASSERT_EQ(MVM_BACKEND_SVM, backend);
		ASSERT_EQ(mvm_cpuinfo_has("flags", "npt"), !!(f & MVM_HW_TDP));
		ASSERT_EQ(mvm_cpuinfo_has("flags", "nrip_save"),
			  !!(f & MVM_HW_NRIP_SAVE));
		ASSERT_EQ(mvm_cpuinfo_has("flags", "decodeassists"),
			  !!(f & MVM_HW_DECODE_ASSISTS));
		ASSERT_EQ(mvm_cpuinfo_has("flags", "tsc_scale"),
			  !!(f & MVM_HW_TSC_SCALING));
	}
}

/* Unknown capabilities read as 0 so newer callers can probe. */
TEST_F(cap, unknown_cap_reads_zero)
{
	struct mvm_check_cap cc = { .cap = 0xdead, .value = 0x55 };

	ASSERT_EQ(0, __sys_ioctl(self->fd, MVM_CHECK_CAP, &cc));
	ASSERT_EQ(0, cc.value);
}

TEST_F(cap, nonzero_flags_einval)
{
	struct mvm_check_cap cc = { .cap = MVM_CAP_BACKEND, .flags = 1 };

	ASSERT_EQ(-EINVAL, __sys_ioctl(self->fd, MVM_CHECK_CAP, &cc));
}

TEST_F(cap, nonzero_reserved_einval)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct mvm_check_cap cc = { .cap = MVM_CAP_BACKEND };

		cc.reserved[i] = 1ULL << 63;
		ASSERT_EQ(-EINVAL, __sys_ioctl(self->fd, MVM_CHECK_CAP, &cc));
	}
}

TEST_F(cap, bad_pointer_efault)
{
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->fd, MVM_CHECK_CAP, NULL));
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->fd, MVM_CHECK_CAP,
				       (void *)-4096L));
}

/* A readable but read-only buffer fails on the copy back: -EFAULT. */
TEST_F(cap, readonly_buffer_efault)
{
	struct mvm_check_cap *cc;

	cc = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cc);
	cc->cap = MVM_CAP_BACKEND;
	ASSERT_EQ(0, mprotect(cc, 4096, PROT_READ));
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->fd, MVM_CHECK_CAP, cc));
	munmap(cc, 4096);
}

/* A payload that ends in an unmapped page is not partially used. */
TEST_F(cap, straddling_unmapped_page_efault)
{
	struct mvm_check_cap *cc;
	char *p;

	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + 4096, 4096));
	cc = (struct mvm_check_cap *)(p + 4096 - 8);
	cc->cap = MVM_CAP_BACKEND;
	cc->flags = 0;
	ASSERT_EQ(-EFAULT, __sys_ioctl(self->fd, MVM_CHECK_CAP, cc));
	munmap(p, 4096);
}

TEST_HARNESS_MAIN
