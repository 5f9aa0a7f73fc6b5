// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects and the vCPU fd: the run page, RUN, and register access.
 * The hardware work is the backend's (vm->ops); this file validates what
 * userspace passes and owns the objects' lifetimes.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "mvm.h"
#include "vm.h"

u64 mvm_vcpu_kernel_bytes(void)
{
	return sizeof(struct mvm_vcpu) + PAGE_SIZE + mvm_vmx_vcpu_bytes();
}

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long vcpu_run(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vcpu *vcpu = obj;

	if (arg)
		return -EINVAL;
	return vcpu->vm->ops->vcpu_run(vcpu);
}

static long vcpu_get_regs(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vcpu *vcpu = obj;

	vcpu->vm->ops->get_regs(vcpu, karg);
	return 0;
}

static long vcpu_set_regs(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_regs *regs = karg;
	struct mvm_vcpu *vcpu = obj;

	if (regs->flags || regs->reserved0 ||
	    !all_zero(regs->reserved, sizeof(regs->reserved)))
		return -EINVAL;
	return vcpu->vm->ops->set_regs(vcpu, regs);
}

static long vcpu_get_sregs(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vcpu *vcpu = obj;

	vcpu->vm->ops->get_sregs(vcpu, karg);
	return 0;
}

static bool segment_valid(const struct mvm_segment *s)
{
	return s->type < 16 && s->s < 2 && s->dpl < 4 && s->present < 2 &&
	       s->avl < 2 && s->l < 2 && s->db < 2 && s->g < 2 &&
	       s->unusable < 2 && !s->padding;
}

static long vcpu_set_sregs(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_sregs *sr = karg;
	struct mvm_vcpu *vcpu = obj;

	if (sr->flags || sr->reserved0 ||
	    !all_zero(sr->reserved, sizeof(sr->reserved)))
		return -EINVAL;
	if (!segment_valid(&sr->cs) || !segment_valid(&sr->ds) ||
	    !segment_valid(&sr->es) || !segment_valid(&sr->fs) ||
	    !segment_valid(&sr->gs) || !segment_valid(&sr->ss) ||
	    !segment_valid(&sr->tr) || !segment_valid(&sr->ldt))
		return -EINVAL;
	if (!all_zero(sr->gdt.padding, sizeof(sr->gdt.padding)) ||
	    !all_zero(sr->idt.padding, sizeof(sr->idt.padding)))
		return -EINVAL;
	return vcpu->vm->ops->set_sregs(vcpu, sr);
}

/* Copy in the MSR array of a struct mvm_msrs, validated. */
static struct mvm_msr_entry *msrs_copy_in(const struct mvm_msrs *m)
{
	struct mvm_msr_entry *e;
	u32 i;

	if (m->flags || !all_zero(m->reserved, sizeof(m->reserved)))
		return ERR_PTR(-EINVAL);
	if (m->nmsrs > MVM_MAX_MSRS_PER_CALL)
		return ERR_PTR(-E2BIG);
	e = memdup_user(u64_to_user_ptr(m->entries),
			array_size(m->nmsrs, sizeof(*e)));
	if (IS_ERR(e))
		return e;
	for (i = 0; i < m->nmsrs; i++) {
		if (e[i].reserved) {
			kfree(e);
			return ERR_PTR(-EINVAL);
		}
	}
	return e;
}

static long vcpu_get_msrs(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_msrs *m = karg;
	struct mvm_vcpu *vcpu = obj;
	struct mvm_msr_entry *e;
	long n = 0;

	if (!m->nmsrs)
		return 0;
	e = msrs_copy_in(m);
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (n = 0; n < m->nmsrs; n++)
		if (vcpu->vm->ops->get_msr(vcpu, e[n].index, &e[n].data))
			break;
	if (copy_to_user(u64_to_user_ptr(m->entries), e,
			 array_size(n, sizeof(*e))))
		n = -EFAULT;
	kfree(e);
	return n;
}

static long vcpu_set_msrs(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_msrs *m = karg;
	struct mvm_vcpu *vcpu = obj;
	struct mvm_msr_entry *e;
	long n;

	if (!m->nmsrs)
		return 0;
	e = msrs_copy_in(m);
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (n = 0; n < m->nmsrs; n++)
		if (vcpu->vm->ops->set_msr(vcpu, e[n].index, e[n].data))
			break;
	kfree(e);
	return n;
}

static long vcpu_set_cpuid(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vcpu *vcpu = obj;

	return mvm_cpuid_set(vcpu, karg);
}

static long vcpu_get_cpuid(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vcpu *vcpu = obj;

	return mvm_cpuid_get(vcpu, karg, (struct mvm_cpuid __user *)arg);
}

static long vcpu_fpu(struct mvm_vcpu *vcpu, struct mvm_fpu *f, bool set)
{
	u32 size = mvm_vmx_xsave_size();
	void *buf;
	long ret;

	if (f->flags || !all_zero(f->reserved, sizeof(f->reserved)))
		return -EINVAL;
	if (f->size != size)
		return -EINVAL;
	buf = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (set && copy_from_user(buf, u64_to_user_ptr(f->data), size)) {
		ret = -EFAULT;
		goto out;
	}
	if (set)
		ret = vcpu->vm->ops->set_fpu(vcpu, buf, f->xcr0);
	else
		ret = vcpu->vm->ops->get_fpu(vcpu, buf, &f->xcr0);
	if (!ret && !set && copy_to_user(u64_to_user_ptr(f->data), buf, size))
		ret = -EFAULT;
out:
	kvfree(buf);
	return ret;
}

static long vcpu_get_fpu(void *obj, void *karg, unsigned long arg)
{
	return vcpu_fpu(obj, karg, false);
}

static long vcpu_set_fpu(void *obj, void *karg, unsigned long arg)
{
	return vcpu_fpu(obj, karg, true);
}

static const struct mvm_ioctl_desc vcpu_ioctl_descs[] = {
	MVM_IOCTL(MVM_RUN, vcpu_run),
	MVM_IOCTL(MVM_GET_REGS, vcpu_get_regs),
	MVM_IOCTL(MVM_SET_REGS, vcpu_set_regs),
	MVM_IOCTL(MVM_GET_SREGS, vcpu_get_sregs),
	MVM_IOCTL(MVM_SET_SREGS, vcpu_set_sregs),
	MVM_IOCTL(MVM_GET_MSRS, vcpu_get_msrs),
	MVM_IOCTL(MVM_SET_MSRS, vcpu_set_msrs),
	MVM_IOCTL(MVM_SET_CPUID, vcpu_set_cpuid),
	MVM_IOCTL(MVM_GET_CPUID, vcpu_get_cpuid),
	MVM_IOCTL(MVM_GET_FPU, vcpu_get_fpu),
	MVM_IOCTL(MVM_SET_FPU, vcpu_set_fpu),
};

static const struct mvm_ioctl_table vcpu_ioctls = {
	.kind = MVM_FD_VCPU,
	.descs = vcpu_ioctl_descs,
	.n = ARRAY_SIZE(vcpu_ioctl_descs),
};

static long mvm_vcpu_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct mvm_vcpu *vcpu = file->private_data;

	long ret;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	/* Every vCPU ioctl runs under the vCPU's mutex; the wait is
	 * killable, as RUN may hold it for long. */
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	ret = mvm_ioctl_dispatch(&vcpu_ioctls, vcpu, cmd, arg);
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static vm_fault_t vcpu_run_fault(struct vm_fault *vmf)
{
	struct mvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vcpu_vm_ops = {
	.fault = vcpu_run_fault,
};

static int mvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	vma->vm_ops = &vcpu_vm_ops;
	return 0;
}

/* Free a vCPU no longer in vm->vcpus; interrupt senders that found it
 * there before may still touch its APIC until a grace period ends. */
static void vcpu_free(struct mvm_vcpu *vcpu)
{
	struct mvm_vm *vm = vcpu->vm;

	mvm_lapic_destroy(vcpu);
	kfree(vcpu->cpuid);
	mvm_account_bytes(vm, -(long)(vcpu->cpuid_nent *
				       sizeof(*vcpu->cpuid)));
	free_page((unsigned long)vcpu->run);
	mvm_account_bytes(vm, -(long)(sizeof(*vcpu) + PAGE_SIZE));
	kfree_rcu(vcpu, rcu);
}

static void vcpu_unpublish(struct mvm_vcpu *vcpu)
{
	struct mvm_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	RCU_INIT_POINTER(vm->vcpus[vcpu->id], NULL);
	vm->nr_vcpus--;
	vm->ops->vcpu_destroy(vcpu);
	mutex_unlock(&vm->lock);
}

static int mvm_vcpu_release(struct inode *inode, struct file *file)
{
	struct mvm_vcpu *vcpu = file->private_data;
	struct mvm_vm *vm = vcpu->vm;

	vcpu_unpublish(vcpu);
	vcpu_free(vcpu);
	mvm_vm_put(vm);
	return 0;
}

static const struct file_operations mvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= mvm_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mvm_vcpu_mmap,
	.release	= mvm_vcpu_release,
	.llseek		= noop_llseek,
};

int mvm_vcpu_create(struct mvm_vm *vm, u32 id, u32 flags)
{
	struct mvm_vcpu *vcpu;
	int ret, fd;

	if (id >= MVM_MAX_VCPUS)
		return -EINVAL;
	id = array_index_nospec(id, MVM_MAX_VCPUS);

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		kfree(vcpu);
		return -ENOMEM;
	}
	mutex_init(&vcpu->mutex);
	vcpu->vm = vm;
	vcpu->id = id;
	mvm_lapic_init(vcpu, flags & MVM_VCPU_AP);
	mvm_account_bytes(vm, sizeof(*vcpu) + PAGE_SIZE);

	mutex_lock(&vm->lock);
	if (mvm_vm_vcpu(vm, id)) {
		ret = -EEXIST;
		goto fail_unlock;
	}
	ret = vm->ops->vcpu_init(vcpu);
	if (ret)
		goto fail_unlock;
	rcu_assign_pointer(vm->vcpus[id], vcpu);
	vm->nr_vcpus++;
	mvm_vm_get(vm);
	mutex_unlock(&vm->lock);

	fd = anon_inode_getfd("mvm-vcpu", &mvm_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* As if the fd had been closed. */
		vcpu_unpublish(vcpu);
		vcpu_free(vcpu);
		mvm_vm_put(vm);
	}
	return fd;

fail_unlock:
	mutex_unlock(&vm->lock);
	vcpu_free(vcpu);
	return ret;
}
