// SPDX-License-Identifier: Apache-2.0
/*
 * mvm info: what this host's mvm.ko can do.
 */
#include <getopt.h>
#include <stdio.h>

#include <mvm/mvm.h>

#include "cli.h"

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = "/dev/mvm";
	uint64_t backend, features;
	struct mvm_sys *sys;
	char names[512];
	int c, ret;

	while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			puts("usage: mvm info [--device PATH]");
			return MVM_EXIT_OK;
		default:
			return MVM_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("'info' takes no arguments besides --device");
		return MVM_EXIT_USAGE;
	}

	ret = mvm_sys_open(device, cli_log, NULL, &sys);
	if (ret)
		return MVM_EXIT_FAILURE;
	ret = mvm_sys_check_cap(sys, MVM_CAP_BACKEND, &backend);
	if (!ret)
		ret = mvm_sys_check_cap(sys, MVM_CAP_HW_FEATURES, &features);
	mvm_sys_close(sys);
	if (ret)
		return MVM_EXIT_FAILURE;

	mvm_hw_features_format(features, names, sizeof(names));
	printf("device:   %s\n", device);
	printf("api:      %d\n", MVM_API_VERSION);
	printf("backend:  %s\n", mvm_backend_name(backend));
	printf("features: %s\n", names);
	return MVM_EXIT_OK;
}
