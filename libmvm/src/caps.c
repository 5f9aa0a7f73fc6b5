// SPDX-License-Identifier: Apache-2.0
/*
 * Names of backends and hardware features, for people.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

static const char *const hw_feature_names[64] = {
	[0] = "tdp",
	[1] = "unrestricted_guest",
	[2] = "tagged_tlb",
	[3] = "tdp_ad",
	[4] = "preemption_timer",
	[5] = "nrip_save",
	[6] = "decode_assists",
	[7] = "tsc_scaling",
};

/* The table above is indexed by bit number: keep it in step with the ABI. */
_Static_assert(MVM_HW_TDP == 1ULL << 0 && MVM_HW_TSC_SCALING == 1ULL << 7,
	       "hw_feature_names out of step with linux/mvm.h");

MVM_EXPORT const char *mvm_backend_name(uint64_t backend)
{
	switch (backend) {
	case MVM_BACKEND_NONE:
		return "none";
	case MVM_BACKEND_VMX:
		return "vmx";
	case MVM_BACKEND_SVM:
		return "svm";
	}
	return "unknown";
}

MVM_EXPORT int mvm_hw_features_format(uint64_t features, char *buf,
				      size_t len)
{
	size_t used = 0;
	unsigned int bit;

	if (!buf && len)
		return -EINVAL;
	if (len)
		buf[0] = '\0';

	for (bit = 0; bit < 64; bit++) {
		const char *sep = used ? " " : "";
		size_t room = used < len ? len - used : 0;
		int n;

		if (!(features & (1ULL << bit)))
			continue;
		if (hw_feature_names[bit])
			n = snprintf(room ? buf + used : NULL, room, "%s%s",
				     sep, hw_feature_names[bit]);
		else
			n = snprintf(room ? buf + used : NULL, room, "%sbit%u",
				     sep, bit);
		if (n < 0)
			return -EINVAL;
		used += (size_t)n;
	}
	return (int)used;
}
