// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX backend's objects: setup and teardown of the backend at module
 * load, and of its per-VM and per-vCPU state.
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/fpu/types.h>

#include "vmx.h"
#include "vmx_ops.h"

u32 mvm_vmx_mxcsr_mask __ro_after_init;

/* VPIDs 1..65535; 0 is the host's (SDM Vol. 3C 29.1). */
#define VMX_NR_VPIDS	65536
static unsigned long *vpid_bitmap;
static DEFINE_SPINLOCK(vpid_lock);

static u16 vpid_alloc(void)
{
	unsigned long id;

	if (!vmcs_config.vpid)
		return 0;
	spin_lock(&vpid_lock);
	id = find_next_zero_bit(vpid_bitmap, VMX_NR_VPIDS, 1);
	if (id < VMX_NR_VPIDS)
		__set_bit(id, vpid_bitmap);
	else
		id = 0;		/* none left: share the host's, flush more */
	spin_unlock(&vpid_lock);
	return id;
}

static void vpid_free(u16 id)
{
	if (!id)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(id, vpid_bitmap);
	spin_unlock(&vpid_lock);
}

u64 mvm_vmx_vcpu_bytes(void)
{
	return sizeof(struct vmx_vcpu) + PAGE_SIZE /* VMCS */ +
	       (PAGE_SIZE << get_order(vmcs_config.xsave_size));
}

u32 mvm_vmx_xsave_size(void)
{
	return vmcs_config.xsave_size;
}

int vmx_vm_init(struct mvm_vm *vm)
{
	struct vmx_vm *v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);

	if (!v)
		return -ENOMEM;
	vm->backend = v;
	mvm_account_bytes(vm, sizeof(*v));
	return vmx_ept_init(vm);
}

void vmx_vm_destroy(struct mvm_vm *vm)
{
	struct vmx_vm *v = vm->backend;

	if (!v)
		return;
	vmx_ept_destroy(vm);
	kfree(v);
	mvm_account_bytes(vm, -(long)sizeof(*v));
	vm->backend = NULL;
}

int vmx_vcpu_init(struct mvm_vcpu *vcpu)
{
	unsigned int order = get_order(vmcs_config.xsave_size);
	struct vmx_vcpu *vmx;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vcpu = vcpu;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_node);
	vmx->vmcs = vmx_alloc_vmcs(NUMA_NO_NODE);
	/* XSAVE needs 64-byte alignment: whole pages give it. */
	vmx->xsave = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
					      order);
	if (!vmx->vmcs || !vmx->xsave) {
		if (vmx->vmcs)
			vmx_free_vmcs(vmx->vmcs);
		free_pages((unsigned long)vmx->xsave, order);
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vmcs_pa = __pa(vmx->vmcs);
	/* The FPU's state after INIT: FCW 0x37f, MXCSR 0x1f80 (SDM Vol. 3A
	 * 10.1, table 10-1); XSTATE_BV 0 puts the rest in init state. */
	*(u16 *)vmx->xsave = 0x37f;
	*(u32 *)(vmx->xsave + 24) = 0x1f80;
	vmx->xcr0 = XFEATURE_MASK_FP;
	vmx->vpid = vpid_alloc();
	vcpu->backend = vmx;
	mvm_account_bytes(vcpu->vm, mvm_vmx_vcpu_bytes());

	/* A fresh VMCS must be cleared before its first VMPTRLD. */
	preempt_disable();
	vmx_vmclear(vmx->vmcs_pa);
	vmx_vcpu_load(vmx);
	vmx_vmcs_setup(vmx);
	preempt_enable();
	return 0;
}

void vmx_vcpu_destroy(struct mvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx)
		return;
	vmx_vcpu_clear(vmx);
	vpid_free(vmx->vpid);
	vmx_free_vmcs(vmx->vmcs);
	free_pages((unsigned long)vmx->xsave,
		   get_order(vmcs_config.xsave_size));
	kfree(vmx);
	mvm_account_bytes(vcpu->vm, -(long)mvm_vmx_vcpu_bytes());
	vcpu->backend = NULL;
}

static u32 read_mxcsr_mask(void)
{
	struct fxregs_state *fx;
	u32 mask;

	fx = kzalloc(sizeof(*fx), GFP_KERNEL);
	if (!fx)
		return 0xffbf;
	kernel_fpu_begin();
	asm volatile("fxsaveq %0" : "=m" (*fx));
	kernel_fpu_end();
	mask = fx->mxcsr_mask ? fx->mxcsr_mask : 0xffbf;
	kfree(fx);
	return mask;
}

int mvm_vmx_init(void)
{
	int ret;

	ret = vmx_setup_vmcs_config();
	if (ret)
		return ret;
	mvm_vmx_mxcsr_mask = read_mxcsr_mask();
	vpid_bitmap = bitmap_zalloc(VMX_NR_VPIDS, GFP_KERNEL);
	if (!vpid_bitmap)
		return -ENOMEM;
	ret = vmx_msr_bitmap_init();
	if (ret)
		goto free_vpid;
	ret = vmx_cpus_enable();
	if (ret)
		goto free_msr;
	return 0;
free_msr:
	vmx_msr_bitmap_free();
free_vpid:
	bitmap_free(vpid_bitmap);
	return ret;
}

void mvm_vmx_exit(void)
{
	vmx_cpus_disable();
	vmx_msr_bitmap_free();
	bitmap_free(vpid_bitmap);
}
