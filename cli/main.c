// SPDX-License-Identifier: Apache-2.0
/*
 * mvm: entry point and command table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mvm/mvm.h>

#include "cli.h"

#ifndef MVM_VERSION
#define MVM_VERSION "unknown"
#endif

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "run", "mvm run --kernel FILE ...   boot a Linux microVM ('mvm run --help' for options)", cmd_run },
	{ "info", "mvm info [--device PATH]    show the backend and hardware features", cmd_info },
	{ "trace", "mvm trace exits|boot [options]\n                              VM exits by reason, or each boot's stages\n                              and their histograms, with BPF", cmd_trace },
	{ "version", "mvm version                 show the version of mvm and its ABI", cmd_version },
	{ "help", "mvm help                    show this list", cmd_help },
};

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (level <= MVM_LOG_WARNING)
		cli_error("%s", msg);
}

static void usage(FILE *out)
{
	size_t i;

	fputs("usage:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].usage);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return MVM_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		cli_error("'version' takes no arguments");
		return MVM_EXIT_USAGE;
	}
	printf("mvm %s (ABI version %d)\n", MVM_VERSION, MVM_API_VERSION);
	return MVM_EXIT_OK;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return MVM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	cli_error("unknown command '%s'; 'mvm help' lists the commands",
		  argv[1]);
	return MVM_EXIT_USAGE;
}
