// SPDX-License-Identifier: GPL-2.0
/*
 * Exits that need guest memory, and the completion of exits to userspace.
 * Everything here runs in process context with preemption enabled and the
 * VMCS possibly not current: it works from what the exit saved in struct
 * vmx_vcpu (vmx->snap and friends) and leaves VMCS updates to the entry.
 *
 * The guest is an adversary: every guest address goes through the page
 * walker and the memory slots; an instruction that cannot be read or is
 * not one mvm emulates becomes an internal-error exit, never a guess.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "../x86/walk.h"
#include "../irq.h"
#include "vmx.h"
#include "vmx_arch.h"

#define RUN_IO_DATA_OFFSET	512
#define RUN_IO_DATA_MAX		(PAGE_SIZE - RUN_IO_DATA_OFFSET)

static int read_gpa_cb(void *opaque, uint64_t gpa, void *buf,
		       unsigned int len)
{
	return mvm_vm_read_gpa(opaque, gpa, buf, len) ? -1 : 0;
}

static void walk_ctx(struct vmx_vcpu *vmx, struct x86_walk_ctx *ctx)
{
	ctx->cr0 = vmx->snap.cr0;
	ctx->cr3 = vmx->snap.cr3;
	ctx->cr4 = vmx->snap.cr4;
	ctx->efer = vmx->snap.efer;
	ctx->maxphyaddr = boot_cpu_data.x86_phys_bits;
	ctx->read_gpa = read_gpa_cb;
	ctx->opaque = vmx->vcpu->vm;
}

static enum x86_mode guest_mode(struct vmx_vcpu *vmx)
{
	if (!(vmx->snap.cr0 & X86_CR0_PE))
		return X86_MODE_REAL;
	if ((vmx->snap.efer & EFER_LMA) && (vmx->snap.cs_ar & VMX_AR_L))
		return X86_MODE_LONG64;
	return (vmx->snap.cs_ar & VMX_AR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

static bool guest_user(struct vmx_vcpu *vmx)
{
	return ((vmx->snap.ss_ar >> VMX_AR_DPL_SHIFT) & 3) == 3;
}

/* Copy between the guest's linear address space and @buf, page by page. */
static int guest_linear_copy(struct vmx_vcpu *vmx, u64 la, void *buf,
			     unsigned int len, bool write)
{
	struct mvm_vm *vm = vmx->vcpu->vm;
	struct x86_walk_ctx ctx;
	unsigned int access = (write ? X86_ACC_WRITE : 0) |
			      (guest_user(vmx) ? X86_ACC_USER : 0);

	walk_ctx(vmx, &ctx);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - (la & ~PAGE_MASK));
		u32 pfec;
		u64 gpa;
		int ret;

		if (x86_gva_to_gpa(&ctx, la, access, &gpa, &pfec))
			return -EFAULT;
		ret = write ? mvm_vm_write_gpa(vm, gpa, buf, chunk) :
			      mvm_vm_read_gpa(vm, gpa, buf, chunk);
		if (ret)
			return ret;
		la += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

static u64 addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* Add @delta to the low @addr_size bytes of *@reg, as string ops do. */
static void step_reg(u64 *reg, s64 delta, unsigned int addr_size)
{
	u64 mask = addr_mask(addr_size);

	*reg = (*reg & ~mask) | ((*reg + delta) & mask);
}

/*
 * Offer a decoded MMIO access to the in-kernel devices (the IOAPIC, the
 * ioeventfds). Works only from the kernel's own record of the access,
 * never from the run page, which userspace may rewrite at any time.
 * Return: true when taken (*@v holds a load's value), false to exit.
 */
static bool mmio_in_kernel(struct vmx_vcpu *vmx, u64 gpa, u32 len,
			   bool write, u64 *v)
{
	struct mvm_vm *vm = vmx->vcpu->vm;

	if (len > sizeof(*v))
		return false;
	if (gpa >= MVM_IOAPIC_ADDR && gpa - MVM_IOAPIC_ADDR < PAGE_SIZE &&
	    mvm_ioapic_mmio(vm, gpa, len, write, v)) {
		atomic64_inc(&vm->exits[MVM_STAT_EXIT_IOAPIC]);
		return true;
	}
	if (write && mvm_ioeventfd_write(vm, false, gpa, len, *v)) {
		atomic64_inc(&vm->exits[MVM_STAT_EXIT_IOEVENTFD]);
		return true;
	}
	return false;
}

static int emulate_mmio(struct vmx_vcpu *vmx)
{
	struct mvm_run *run = vmx->vcpu->run;
	u64 *g = vmx->vcpu->gprs;
	enum x86_mode mode = guest_mode(vmx);
	struct x86_insn *insn = &vmx->insn;
	struct x86_walk_ctx ctx;
	unsigned int fetched = 0;
	u8 bytes[X86_MAX_INSN_LEN];
	u64 linear, value = 0;
	bool write;
	u32 pfec;
	int ret;

	/* An access during a guest page walk, or an instruction fetch from
	 * MMIO, is nothing a device model can answer. */
	if ((vmx->exit_qual & EPT_VIOL_FETCH) ||
	    ((vmx->exit_qual & EPT_VIOL_GLA_VALID) &&
	     !(vmx->exit_qual & EPT_VIOL_GLA_TRANSLATED)))
		return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION, NULL, 0);

	linear = vmx->snap.cs_base + vmx->rip;
	if (mode != X86_MODE_LONG64)
		linear &= 0xffffffffULL;
	walk_ctx(vmx, &ctx);
	ret = x86_fetch_insn(&ctx, linear, guest_user(vmx), bytes,
			     sizeof(bytes), &fetched, &pfec);
	if (ret != X86_WALK_OK || !fetched)
		return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION, NULL, 0);
	ret = x86_decode_mmio(bytes, fetched, mode, insn);
	if (ret != X86_DECODE_OK)
		return vmx_exit_internal(vmx, MVM_INTERNAL_DECODE, bytes, fetched);

	switch (insn->op) {
	case X86_OP_LOAD:
		write = false;
		break;
	case X86_OP_STORE:
		write = true;
		value = x86_insn_store_value(insn, g[insn->reg]);
		break;
	case X86_OP_STOS:
		/* One element per exit; a REP prefix repeats the exit. */
		write = true;
		value = g[MVM_RAX];
		break;
	default:
		/* MOVS to or from MMIO is not emulated yet. */
		return vmx_exit_internal(vmx, MVM_INTERNAL_DECODE, bytes,
				     insn->len);
	}
	/* The write flag of the exit must agree with the instruction: a
	 * guest racing its own code could make them differ. */
	if (!!(vmx->exit_qual & EPT_VIOL_WRITE) != write)
		return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION, bytes,
				     insn->len);
	if (insn->size < sizeof(value))
		value &= (1ULL << (insn->size * 8)) - 1;

	if (mmio_in_kernel(vmx, vmx->exit_gpa, insn->size, write, &value)) {
		vmx_complete_mmio(vmx, value);
		return VMX_EXIT_RESUME;
	}
	atomic64_inc(&vmx->vcpu->vm->exits[MVM_STAT_EXIT_MMIO]);
	run->exit_reason = MVM_EXIT_MMIO;
	memset(&run->mmio, 0, sizeof(run->mmio));
	run->mmio.phys_addr = vmx->exit_gpa;
	run->mmio.len = insn->size;
	run->mmio.is_write = write;
	if (write)
		memcpy(run->mmio.data, &value, insn->size);
	vmx->pending = write ? VMX_PENDING_MMIO_STORE : VMX_PENDING_MMIO_LOAD;
	return VMX_EXIT_USER;
}

static int handle_ept_violation_slow(struct vmx_vcpu *vmx)
{
	struct mvm_vm *vm = vmx->vcpu->vm;
	bool write = vmx->exit_qual & EPT_VIOL_WRITE;
	struct mvm_memslot *slot;
	int ret;

	mutex_lock(&vm->lock);
	slot = mvm_vm_find_slot(vm, vmx->exit_gpa);
	if (!slot || (write && (slot->flags & MVM_MEM_READONLY))) {
		mutex_unlock(&vm->lock);
		return emulate_mmio(vmx);
	}
	atomic64_inc(&vm->exits[MVM_STAT_EXIT_EPT_FAULT]);
	ret = vmx_ept_map(vm, slot, vmx->exit_gpa, write);
	mutex_unlock(&vm->lock);
	if (ret) {
		struct mvm_run *run = vmx->vcpu->run;

		run->exit_reason = MVM_EXIT_MEMORY_FAULT;
		memset(&run->memory_fault, 0, sizeof(run->memory_fault));
		run->memory_fault.gpa = vmx->exit_gpa & PAGE_MASK;
		run->memory_fault.size = PAGE_SIZE;
		run->memory_fault.error = ret;
		return ret == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	return VMX_EXIT_RESUME;
}

/* INS/OUTS (SDM Vol. 3C 28.2.5 for the instruction information). */
static int handle_string_io_slow(struct vmx_vcpu *vmx)
{
	struct mvm_run *run = vmx->vcpu->run;
	u64 *g = vmx->vcpu->gprs;
	unsigned int size = vmx->io_size;
	unsigned int addr_size = 2 << ((vmx->exit_insn_info >> 7) & 7);
	bool rep = vmx->exit_qual & BIT(5);
	bool df = vmx->rflags & X86_EFLAGS_DF;
	u64 count, i;
	u8 *data = (u8 *)run + RUN_IO_DATA_OFFSET;

	atomic64_inc(&vmx->vcpu->vm->exits[MVM_STAT_EXIT_IO]);
	if (!vmcs_config.inout_info || addr_size > 8)
		return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION, NULL, 0);
	count = rep ? g[MVM_RCX] & addr_mask(addr_size) : 1;
	if (!count) {
		vmx_skip_instruction(vmx, vmx->exit_insn_len);
		return VMX_EXIT_RESUME;
	}
	count = min_t(u64, count, RUN_IO_DATA_MAX / size);

	vmx->io_string = true;
	vmx->io_count = count;
	vmx->insn.addr_size = addr_size;
	vmx->insn.rep = rep;
	run->io.count = count;
	if (vmx->io_in) {
		vmx->pending = VMX_PENDING_IO_IN;
		return VMX_EXIT_USER;
	}
	/* OUTS: read the items from seg:rSI now. */
	for (i = 0; i < count; i++) {
		u64 off = (g[MVM_RSI] + (df ? -(s64)(i * size) : i * size)) &
			  addr_mask(addr_size);

		if (guest_linear_copy(vmx, vmx->snap.seg_base + off,
				      data + i * size, size, false))
			return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION,
					     NULL, 0);
	}
	vmx->pending = VMX_PENDING_IO_OUT;
	return VMX_EXIT_USER;
}

/* PAE paging turned on by an emulated CR0 write: read the PDPTEs the CPU
 * would load (SDM Vol. 3A 4.4.1). */
static int load_pdptes_slow(struct vmx_vcpu *vmx)
{
	u64 base = vmx->snap.cr3 & 0xffffffe0ULL;

	if (mvm_vm_read_gpa(vmx->vcpu->vm, base, vmx->pdptes,
			    sizeof(vmx->pdptes)))
		return vmx_exit_internal(vmx, MVM_INTERNAL_EMULATION, NULL, 0);
	vmx->load_pdptes = true;
	return VMX_EXIT_RESUME;
}

int vmx_handle_exit_slow(struct vmx_vcpu *vmx)
{
	switch (vmx->exit_reason) {
	case EXIT_REASON_EPT_VIOLATION:
		return handle_ept_violation_slow(vmx);
	case EXIT_REASON_IO_INSTRUCTION:
		return handle_string_io_slow(vmx);
	case MVMX_EXIT_PDPTE_LOAD:
		return load_pdptes_slow(vmx);
	}
	return vmx_exit_internal(vmx, MVM_INTERNAL_UNKNOWN_EXIT, NULL, 0);
}

/* After an I/O or STOS exit: advance the string registers and RIP. */
static void finish_string(struct vmx_vcpu *vmx, int which, u64 count,
			  unsigned int size)
{
	u64 *g = vmx->vcpu->gprs;
	bool df = vmx->rflags & X86_EFLAGS_DF;
	unsigned int as = vmx->insn.addr_size;
	s64 delta = (s64)(count * size);

	step_reg(&g[which], df ? -delta : delta, as);
	if (vmx->insn.rep) {
		step_reg(&g[MVM_RCX], -(s64)count, as);
		if (g[MVM_RCX] & addr_mask(as)) {
			vmx->regs_dirty = true;
			return;	/* not done: the instruction runs again */
		}
	}
	vmx_skip_instruction(vmx, vmx->exit_insn_len);
}

void vmx_complete_mmio(struct vmx_vcpu *vmx, u64 v)
{
	u64 *g = vmx->vcpu->gprs;

	switch (vmx->insn.op) {
	case X86_OP_LOAD:
		g[vmx->insn.reg] = x86_insn_load_writeback(&vmx->insn,
							   g[vmx->insn.reg], v);
		if (vmx->insn.reg == MVM_RSP)
			vmx->regs_dirty = true;
		vmx_skip_instruction(vmx, vmx->insn.len);
		break;
	case X86_OP_STOS:
		vmx->exit_insn_len = vmx->insn.len;
		finish_string(vmx, MVM_RDI, 1, vmx->insn.size);
		break;
	default:
		vmx_skip_instruction(vmx, vmx->insn.len);
		break;
	}
}

int vmx_complete_pending(struct vmx_vcpu *vmx)
{
	struct mvm_run *run = vmx->vcpu->run;
	u64 *g = vmx->vcpu->gprs;
	u8 *data = (u8 *)run + RUN_IO_DATA_OFFSET;
	enum vmx_pending p = vmx->pending;
	unsigned int size;
	u64 i, v = 0;

	vmx->pending = VMX_PENDING_NONE;
	switch (p) {
	case VMX_PENDING_NONE:
		return 0;
	case VMX_PENDING_IO_OUT:
		if (vmx->io_string)
			finish_string(vmx, MVM_RSI, vmx->io_count,
				      vmx->io_size);
		else
			vmx_skip_instruction(vmx, vmx->exit_insn_len);
		return 0;
	case VMX_PENDING_IO_IN:
		/* The size is the kernel's own record, never the page's. */
		size = vmx->io_size;
		if (!vmx->io_string) {
			memcpy(&v, data, size);
			if (size == 4)
				g[MVM_RAX] = (u32)v;
			else
				g[MVM_RAX] = (g[MVM_RAX] & ~((1ULL << (size * 8)) - 1)) | v;
			vmx_skip_instruction(vmx, vmx->exit_insn_len);
			return 0;
		}
		for (i = 0; i < vmx->io_count; i++) {
			bool df = vmx->rflags & X86_EFLAGS_DF;
			u64 off = (g[MVM_RDI] + (df ? -(s64)(i * size) :
						 i * size)) &
				  addr_mask(vmx->insn.addr_size);
			u8 item[4];

			memcpy(item, data + i * size, size);
			/* INS writes ES:rDI; ES base is in snap.seg_base. */
			if (guest_linear_copy(vmx, vmx->snap.seg_base + off,
					      item, size, true))
				return -EFAULT;
		}
		finish_string(vmx, MVM_RDI, vmx->io_count, size);
		return 0;
	case VMX_PENDING_MMIO_LOAD:
		memcpy(&v, run->mmio.data, sizeof(v));
		vmx_complete_mmio(vmx, v);
		return 0;
	case VMX_PENDING_MMIO_STORE:
		vmx_complete_mmio(vmx, 0);
		return 0;
	}
	return 0;
}
