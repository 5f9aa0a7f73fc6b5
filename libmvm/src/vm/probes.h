/* SPDX-License-Identifier: Apache-2.0 */
/*
 * USDT probes of libmvm, provider "mvm", for the boot-latency tooling
 * (bpf/, Documentation/tracing.rst). Each probe has two arguments:
 *   arg0  the VM's id in mvm.ko (struct mvm_vm_stats.vm_id, the id of
 *         the mvm:* tracepoints), 0 before the VM exists
 *   arg1  CLOCK_MONOTONIC in ns, the clock of mvm.ko's tracepoints and
 *         of struct mvm_vm_stats.last_mark_ns
 *
 *   process_start  mvm_vm_create() entered
 *   config_parsed  configuration checked, files opened
 *   memory_ready   guest RAM allocated and given to the VM
 *   kernel_loaded  kernel, initrd and boot tables in guest memory
 *   vm_created     mvm_vm_create() about to return the VM
 *   first_entry    vCPU 0 about to call MVM_RUN for the first time
 *
 * A probe is a nop in the code and a note in the ELF file (.note.stapsdt)
 * until a tracer attaches; the clock is read each time (vDSO, tens of
 * ns, six times per VM).
 *
 *   bpftrace -e 'usdt:/usr/local/lib/libmvm.so.0:mvm:* { ... }'
 */
#ifndef MVM_VM_PROBES_H
#define MVM_VM_PROBES_H

#if !__has_include(<sys/sdt.h>)
#error "<sys/sdt.h> is missing: install systemtap-sdt-dev (scripts/install-deps.sh)"
#endif
#include <sys/sdt.h>

#include <stdint.h>

/* CLOCK_MONOTONIC in ns (vm.c). */
uint64_t vm_now_ns(void);

/* MVM_PROBE(name, vm_id): fire mvm:name(vm_id, now). */
#define MVM_PROBE(name, vm_id)						\
	do {								\
		uint64_t probe_id_ = (vm_id);				\
		uint64_t probe_ns_ = vm_now_ns();			\
		DTRACE_PROBE2(mvm, name, probe_id_, probe_ns_);		\
	} while (0)

#endif /* MVM_VM_PROBES_H */
