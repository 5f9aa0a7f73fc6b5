/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "mvm trace" subcommands other than exits (cmd_trace.c), one file
 * each: cmd_trace_<name>.c.
 */
#ifndef MVM_CLI_TRACE_H
#define MVM_CLI_TRACE_H

/* Where every mvm BPF program pins its maps. */
#define TRACE_PIN_ROOT	"/sys/fs/bpf/mvm"

/*
 * mvm trace boot: argv[0] is "boot". Returns an exit status
 * (MVM_EXIT_*); prints its own messages.
 */
int trace_boot(int argc, char **argv);

#endif /* MVM_CLI_TRACE_H */
