// SPDX-License-Identifier: Apache-2.0
/*
 * What a vCPU thread does with each exit MVM_RUN hands to userspace.
 *
 *   IO            the port bus; an unclaimed IN reads all-ones, an
 *                 unclaimed OUT is dropped (as on a PC), logged at debug
 *                 level with a rate limit
 *   MMIO          the MMIO bus, the same way
 *   HLT           (only with interrupts off: nothing can wake the vCPU)
 *                 vCPU 0: the guest powered off; Linux without ACPI ends
 *                 "poweroff" this way. Another vCPU: it is parked until
 *                 the VM ends, as a real halted AP would stay
 *   SHUTDOWN      triple fault
 *   FAIL_ENTRY, INTERNAL_ERROR, MEMORY_FAULT, anything else:
 *                 the VM ends with an internal error describing the exit
 *
 * The guest is hostile: an exit's sizes and offsets are checked against
 * the run page before any byte is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm_priv.h"

static uint64_t vcpu_rip(struct vm_vcpu *v)
{
	struct mvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	if (ioctl(v->fd, MVM_GET_REGS, &regs))
		return 0;
	return regs.rip;
}

static bool handle_io(struct vm_vcpu *v)
{
	struct mvm_run *run = v->run;
	unsigned int size = run->io.size, count = run->io.count, i;
	uint16_t port = run->io.port;
	bool out = run->io.direction == MVM_IO_OUT;
	const struct vm_range *r;
	uint64_t end;
	uint8_t *data;

	if ((size != 1 && size != 2 && size != 4) || !count ||
	    __builtin_add_overflow(run->io.data_offset,
				   (uint64_t)size * count, &end) ||
	    end > v->run_size || run->io.data_offset < sizeof(*run) ||
	    run->io.direction > MVM_IO_OUT) {
		vm_end(v->vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
		       "vCPU %u: malformed port I/O exit (port 0x%x, size %u, count %u, offset %llu)",
		       v->id, port, size, count,
		       (unsigned long long)run->io.data_offset);
		return false;
	}
	data = (uint8_t *)run + run->io.data_offset;
	r = vm_bus_find(&v->vm->pio, port);
	for (i = 0; i < count; i++, data += size) {
		int ret = -ENODEV;

		if (r)
			ret = out ? r->write(r->dev, port - r->base + r->adj,
					     data, size) :
				    r->read(r->dev, port - r->base + r->adj,
					    data, size);
		if (!ret)
			continue;
		if (!out)
			memset(data, 0xff, size);
		vm_log_limited(v->vm, "vCPU %u: %s of %u bytes at port 0x%x %s",
			       v->id, out ? "OUT" : "IN", size, port,
			       r ? "refused by its device" : "(no device)");
	}
	return true;
}

static bool handle_mmio(struct vm_vcpu *v)
{
	struct mvm_run *run = v->run;
	uint64_t addr = run->mmio.phys_addr;
	unsigned int len = run->mmio.len;
	const struct vm_range *r;
	int ret = -ENODEV;

	if (!len || len > sizeof(run->mmio.data)) {
		vm_end(v->vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
		       "vCPU %u: malformed MMIO exit (0x%llx, %u bytes)",
		       v->id, (unsigned long long)addr, len);
		return false;
	}
	r = vm_bus_find(&v->vm->mmio, addr);
	if (r)
		ret = run->mmio.is_write ?
		      r->write(r->dev, addr - r->base + r->adj,
			       run->mmio.data, len) :
		      r->read(r->dev, addr - r->base + r->adj,
			      run->mmio.data, len);
	if (ret) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, len);
		vm_log_limited(v->vm, "vCPU %u: MMIO %s of %u bytes at 0x%llx %s",
			       v->id, run->mmio.is_write ? "write" : "read",
			       len, (unsigned long long)addr,
			       r ? "refused by its device" : "(no device)");
	}
	return true;
}

static const char *suberror_name(uint32_t s)
{
	switch (s) {
	case MVM_INTERNAL_UNKNOWN_EXIT:
		return "unhandled hardware exit";
	case MVM_INTERNAL_DECODE:
		return "instruction not emulated";
	case MVM_INTERNAL_EMULATION:
		return "instruction bytes unreadable";
	case MVM_INTERNAL_DELIVERY_EV:
		return "exit while delivering an event";
	}
	return "unknown suberror";
}

/* Append "%02x" bytes or " 0x%llx" words to @buf. */
static void append_hex(char *buf, size_t len, const void *p, unsigned int n,
		       bool words)
{
	size_t used = strlen(buf);
	unsigned int i;

	for (i = 0; i < n && used + 1 < len; i++) {
		int w;

		if (words)
			w = snprintf(buf + used, len - used, " 0x%llx",
				     (unsigned long long)((const uint64_t *)p)[i]);
		else
			w = snprintf(buf + used, len - used, "%s%02x",
				     i ? " " : "", ((const uint8_t *)p)[i]);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static bool handle_internal(struct vm_vcpu *v)
{
	struct mvm_run *run = v->run;
	unsigned int nd = run->internal.ndata, ni = run->internal.insn_len;
	char data[128] = "", insn[64] = "";

	if (nd > 8)
		nd = 8;
	if (ni > sizeof(run->internal.insn))
		ni = sizeof(run->internal.insn);
	append_hex(data, sizeof(data), run->internal.data, nd, true);
	append_hex(insn, sizeof(insn), run->internal.insn, ni, false);
	vm_end(v->vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
	       "vCPU %u: internal error %u (%s) at RIP 0x%llx, data [%s ], instruction [%s]",
	       v->id, run->internal.suberror,
	       suberror_name(run->internal.suberror),
	       (unsigned long long)vcpu_rip(v), data, insn);
	return false;
}

bool vm_exit_handle(struct vm_vcpu *v)
{
	struct mvm_run *run = v->run;
	struct mvm_vm *vm = v->vm;

	switch (run->exit_reason) {
	case MVM_EXIT_IO:
		return handle_io(v);
	case MVM_EXIT_MMIO:
		return handle_mmio(v);
	case MVM_EXIT_HLT:
		/* With interrupts on, an interrupt will wake it: a module
		 * that returns such HLTs is polled, not stopped. */
		if (run->hlt.interrupts_enabled)
			return true;
		if (v->id == 0) {
			vm_end(vm, MVM_VM_POWEROFF, 0,
			       "vCPU 0 halted with interrupts off (power off)");
			return false;
		}
		vm_park(vm);
		return false;
	case MVM_EXIT_SHUTDOWN:
		vm_end(vm, MVM_VM_TRIPLE_FAULT, (int)v->id,
		       "vCPU %u: triple fault at RIP 0x%llx", v->id,
		       (unsigned long long)vcpu_rip(v));
		return false;
	case MVM_EXIT_FAIL_ENTRY:
		vm_end(vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
		       "vCPU %u: VM entry failed on host CPU %u, reason 0x%llx",
		       v->id, run->fail_entry.cpu,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case MVM_EXIT_INTERNAL_ERROR:
		return handle_internal(v);
	case MVM_EXIT_MEMORY_FAULT:
		vm_end(vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
		       "vCPU %u: guest RAM at 0x%llx (%llu bytes) could not be pinned: %s; raise RLIMIT_MEMLOCK (ulimit -l) to the guest's memory size or grant CAP_IPC_LOCK",
		       v->id, (unsigned long long)run->memory_fault.gpa,
		       (unsigned long long)run->memory_fault.size,
		       strerror(run->memory_fault.error < 0 ?
				 -run->memory_fault.error :
				 run->memory_fault.error));
		return false;
	case MVM_EXIT_INTR:
		return !atomic_load(&vm->ending);
	}
	vm_end(vm, MVM_VM_INTERNAL_ERROR, (int)v->id,
	       "vCPU %u: unknown exit reason %u", v->id, run->exit_reason);
	return false;
}
