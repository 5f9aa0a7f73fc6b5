/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mvm command line: one file per command, dispatched from main.c.
 */
#ifndef MVM_CLI_H
#define MVM_CLI_H

/* Exit statuses shared by every command (Documentation/cli.rst). */
enum {
	MVM_EXIT_OK = 0,
	MVM_EXIT_FAILURE = 1,	/* the command failed; a message says why */
	MVM_EXIT_USAGE = 2,	/* bad command line */
};

/*
 * struct cli_cmd - one subcommand.
 * @name:  what the user types after "mvm".
 * @usage: one line of synopsis, shown by "mvm help".
 * @fn:    runs the command with argv[0] being @name; returns an exit
 *         status.
 */
struct cli_cmd {
	const char *name;
	const char *usage;
	int (*fn)(int argc, char **argv);
};

/* Print "mvm: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libmvm logging callback that prints errors and warnings on stderr. */
void cli_log(void *opaque, int level, const char *msg);

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif /* MVM_CLI_H */
