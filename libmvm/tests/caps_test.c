// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the backend and feature names.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include <mvm/mvm.h>

TEST(backend_names)
{
	EXPECT_STREQ("vmx", mvm_backend_name(MVM_BACKEND_VMX));
	EXPECT_STREQ("svm", mvm_backend_name(MVM_BACKEND_SVM));
	EXPECT_STREQ("none", mvm_backend_name(MVM_BACKEND_NONE));
	EXPECT_STREQ("unknown", mvm_backend_name(3));
	EXPECT_STREQ("unknown", mvm_backend_name(~0ULL));
}

TEST(features_empty)
{
	char buf[8] = "x";

	ASSERT_EQ(0, mvm_hw_features_format(0, buf, sizeof(buf)));
	ASSERT_STREQ("", buf);
}

TEST(features_named_and_unnamed)
{
	char buf[128];
	int n;

	n = mvm_hw_features_format(MVM_HW_TDP | MVM_HW_TAGGED_TLB |
				   (1ULL << 63), buf, sizeof(buf));
	ASSERT_STREQ("tdp tagged_tlb bit63", buf);
	ASSERT_EQ((int)strlen(buf), n);
}

/* Truncation behaves like snprintf: full length back, NUL always there. */
TEST(features_truncated)
{
	char buf[6];
	int n;

	memset(buf, 'z', sizeof(buf));
	n = mvm_hw_features_format(MVM_HW_TDP | MVM_HW_UNRESTRICTED_GUEST,
				   buf, sizeof(buf));
	ASSERT_EQ((int)strlen("tdp unrestricted_guest"), n);
	ASSERT_STREQ("tdp u", buf);
}

TEST(features_length_only)
{
	ASSERT_EQ((int)strlen("tdp tsc_scaling"),
		  mvm_hw_features_format(MVM_HW_TDP | MVM_HW_TSC_SCALING,
					 NULL, 0));
	ASSERT_EQ(-EINVAL, mvm_hw_features_format(MVM_HW_TDP, NULL, 4));
}

/* Every bit of all-ones gets a name or a bitN, none is dropped. */
TEST(features_all_bits)
{
	char buf[1024];
	int n, words = 1;
	char *p;

	n = mvm_hw_features_format(~0ULL, buf, sizeof(buf));
	ASSERT_LT(n, (int)sizeof(buf));
	for (p = buf; *p; p++)
		words += *p == ' ';
	ASSERT_EQ(64, words);
}

TEST_HARNESS_MAIN
