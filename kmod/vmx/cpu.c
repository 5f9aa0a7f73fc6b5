// SPDX-License-Identifier: GPL-2.0
/*
 * VMX operation on every CPU: VMXON at load and when a CPU comes online,
 * VMXOFF at unload, when a CPU goes offline and before reboot; and the
 * per-CPU list of active VMCSs, cleared before their CPU leaves VMX.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"
#include "vmx_ops.h"

static DEFINE_PER_CPU(struct vmcs *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_on);
/* VMCSs active on this CPU; only touched on this CPU, IRQs off. */
static DEFINE_PER_CPU(struct list_head, loaded_vmcss);
/* The current VMCS of this CPU, to skip a redundant VMPTRLD. */
static DEFINE_PER_CPU(struct vmx_vcpu *, current_vmx);

static enum cpuhp_state vmx_hp_state;

struct vmcs *vmx_alloc_vmcs(int node)
{
	struct page *page;
	struct vmcs *vmcs;

	/* The region is at most 4 KiB (SDM Vol. 3D A.1). */
	page = alloc_pages_node(node, GFP_KERNEL_ACCOUNT | __GFP_ZERO, 0);
	if (!page)
		return NULL;
	vmcs = page_address(page);
	vmcs->revision_id = vmcs_config.revision_id;
	return vmcs;
}

void vmx_free_vmcs(struct vmcs *vmcs)
{
	free_page((unsigned long)vmcs);
}

void mvm_vmx_fail(const char *insn, unsigned long field, bool valid)
{
	unsigned long err = 0;
	bool fail;

	/* VM_INSTRUCTION_ERROR is readable only with a current VMCS. */
	if (valid) {
		asm volatile("vmread %[f], %[v]"
			     : [v] "=r" (err), "=@ccbe" (fail)
			     : [f] "r" ((unsigned long)VM_INSTRUCTION_ERROR)
			     : "cc");
		if (fail)
			err = 0;
	}
	pr_err_ratelimited("mvm: %s failed (field/type %#lx, VM-instruction error %lu) on CPU %d\n",
			   insn, field, err, raw_smp_processor_id());
}

/* VMCLEAR every VMCS active on this CPU; IRQs disabled. */
static void vmx_clear_loaded(void)
{
	struct list_head *head = this_cpu_ptr(&loaded_vmcss);
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, head, loaded_node) {
		vmx_vmclear(vmx->vmcs_pa);
		list_del_init(&vmx->loaded_node);
		/* Pairs with the read in vmx_vcpu_load() on another CPU. */
		smp_store_release(&vmx->cpu, -1);
		vmx->launched = false;
	}
	this_cpu_write(current_vmx, NULL);
}

static int vmx_cpu_on(unsigned int cpu)
{
	struct vmcs *region = per_cpu(vmxon_region, cpu);
	int ret;

	INIT_LIST_HEAD(this_cpu_ptr(&loaded_vmcss));
	this_cpu_write(current_vmx, NULL);
	/* CR4.VMXE already set: another hypervisor (kvm_intel, VirtualBox)
	 * is in VMX operation here. Never touch its state. */
	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("mvm: VMX is already in use on CPU %u by another hypervisor; unload kvm_intel (or boot with kvm.enable_virt_at_load=0) and retry\n",
		       cpu);
		return -EBUSY;
	}
	cr4_set_bits(X86_CR4_VMXE);
	ret = vmx_vmxon(__pa(region));
	if (ret) {
		cr4_clear_bits(X86_CR4_VMXE);
		return ret;
	}
	/* Drop any EPT-derived translation left from before VMXON. */
	if (vmcs_config.invept_all)
		vmx_invept(INVEPT_ALL, 0);
	this_cpu_write(vmx_on, true);
	return 0;
}

static void vmx_cpu_off(void)
{
	if (!this_cpu_read(vmx_on))
		return;
	vmx_clear_loaded();
	vmx_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	this_cpu_write(vmx_on, false);
}

static int vmx_cpu_online(unsigned int cpu)
{
	int ret;

	if (!per_cpu(vmxon_region, cpu)) {
		per_cpu(vmxon_region, cpu) = vmx_alloc_vmcs(cpu_to_node(cpu));
		if (!per_cpu(vmxon_region, cpu))
			return -ENOMEM;
	}
	local_irq_disable();
	ret = vmx_cpu_on(cpu);
	local_irq_enable();
	return ret;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	vmx_cpu_off();
	local_irq_enable();
	return 0;
}

static void vmx_cpu_off_ipi(void *unused)
{
	vmx_cpu_off();
}

/* Leave VMX before a reboot: INIT is blocked in VMX operation. */
static int vmx_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	on_each_cpu(vmx_cpu_off_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

/*
 * Suspend to RAM leaves VMX operation behind: at syscore suspend only the
 * boot CPU is left, with interrupts off, and the others went through
 * their offline callback already.
 */
static int vmx_suspend_cpu(void)
{
	vmx_cpu_off();
	return 0;
}

static void vmx_resume_cpu(void)
{
	if (vmx_cpu_on(smp_processor_id()))
		pr_err("mvm: VMX could not be turned back on after resume\n");
}

#ifdef MVM_SYSCORE_WITH_DATA
static int vmx_suspend(void *data)
{
	return vmx_suspend_cpu();
}

static void vmx_resume(void *data)
{
	vmx_resume_cpu();
}

static const struct syscore_ops vmx_syscore_ops = {
	.suspend = vmx_suspend,
	.resume = vmx_resume,
};

static struct syscore vmx_syscore = { .ops = &vmx_syscore_ops };
#define vmx_register_syscore()	register_syscore(&vmx_syscore)
#define vmx_unregister_syscore() unregister_syscore(&vmx_syscore)
#else
static struct syscore_ops vmx_syscore_ops = {
	.suspend = vmx_suspend_cpu,
	.resume = vmx_resume_cpu,
};
#define vmx_register_syscore()	register_syscore_ops(&vmx_syscore_ops)
#define vmx_unregister_syscore() unregister_syscore_ops(&vmx_syscore_ops)
#endif

int vmx_cpus_enable(void)
{
	int ret;

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "mvm/vmx:online",
				vmx_cpu_online, vmx_cpu_offline);
	if (ret < 0)
		goto free;
	vmx_hp_state = ret;
	register_reboot_notifier(&vmx_reboot_nb);
	vmx_register_syscore();
	return 0;
free:
	vmx_cpus_disable();
	return ret;
}

void vmx_cpus_disable(void)
{
	unsigned int cpu;

	if (vmx_hp_state) {
		vmx_unregister_syscore();
		unregister_reboot_notifier(&vmx_reboot_nb);
		cpuhp_remove_state(vmx_hp_state);
		vmx_hp_state = 0;
	}
	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu)) {
			vmx_free_vmcs(per_cpu(vmxon_region, cpu));
			per_cpu(vmxon_region, cpu) = NULL;
		}
	}
}

static void vmx_vcpu_clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;
	unsigned long flags;

	local_irq_save(flags);
	/* It may have been cleared meanwhile (CPU offline). */
	if (READ_ONCE(vmx->cpu) == raw_smp_processor_id()) {
		vmx_vmclear(vmx->vmcs_pa);
		list_del_init(&vmx->loaded_node);
		if (this_cpu_read(current_vmx) == vmx)
			this_cpu_write(current_vmx, NULL);
		vmx->launched = false;
		smp_store_release(&vmx->cpu, -1);
	}
	local_irq_restore(flags);
}

void vmx_vcpu_clear(struct vmx_vcpu *vmx)
{
	int cpu = smp_load_acquire(&vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_vcpu_clear_ipi, vmx, 1);
}

void vmx_vcpu_load(struct vmx_vcpu *vmx)
{
	int cpu = smp_processor_id();
	unsigned long flags;
	bool migrated = false;

	if (vmx->cpu != cpu) {
		/* Active elsewhere: clear it there first (SDM Vol. 3C
		 * 25.11.1: a VMCS is active on one CPU at a time). */
		vmx_vcpu_clear(vmx);
		local_irq_save(flags);
		list_add(&vmx->loaded_node, this_cpu_ptr(&loaded_vmcss));
		smp_store_release(&vmx->cpu, cpu);
		local_irq_restore(flags);
		vmx->launched = false;
		this_cpu_write(current_vmx, NULL);
		migrated = true;
	}
	if (this_cpu_read(current_vmx) != vmx) {
		if (!vmx_vmptrld(vmx->vmcs_pa))
			this_cpu_write(current_vmx, vmx);
		vmx_vmcs_set_host_cpu_state();
	}
	if (migrated) {
		/* Translations this vCPU left here when it last ran on this
		 * CPU may be stale: flush them. */
		if (vmcs_config.vpid && vmx->vpid)
			vmx_invvpid(INVVPID_SINGLE, vmx->vpid);
		vmx_invept(vmcs_config.invept_single ? INVEPT_SINGLE :
			   INVEPT_ALL, to_vmx_vm(vmx->vcpu->vm)->eptp);
	}
}

static void vmx_invept_ipi(void *arg)
{
	u64 eptp = *(u64 *)arg;

	if (!this_cpu_read(vmx_on))
		return;
	vmx_invept(vmcs_config.invept_single ? INVEPT_SINGLE : INVEPT_ALL,
		   eptp);
}

void vmx_flush_ept_all_cpus(u64 eptp)
{
	/* Synchronous: when this returns no CPU holds a translation
	 * through the entries removed before the call. A CPU running the
	 * guest exits for the IPI and flushes before it enters again. */
	cpus_read_lock();
	on_each_cpu(vmx_invept_ipi, &eptp, 1);
	cpus_read_unlock();
}
