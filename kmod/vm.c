// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects and the VM fd: memory regions, vCPU creation, statistics.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "irq.h"
#include "mvm.h"
#include "trace.h"
#include "vm.h"

static unsigned int max_vms_per_process = 64;
module_param(max_vms_per_process, uint, 0644);
MODULE_PARM_DESC(max_vms_per_process, "Most VMs one process may hold");

unsigned int mvm_max_vms_per_process(void)
{
	return READ_ONCE(max_vms_per_process);
}

atomic64_t mvm_total_kernel_bytes = ATOMIC64_INIT(0);
atomic64_t mvm_total_pinned_pages = ATOMIC64_INIT(0);

static int get_atomic64(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(kp->arg));
}

static const struct kernel_param_ops atomic64_ro_ops = {
	.get = get_atomic64,
};

/* Read-only counters under /sys/module/mvm/parameters/, for leak checks. */
module_param_cb(kernel_bytes, &atomic64_ro_ops, &mvm_total_kernel_bytes,
		0444);
MODULE_PARM_DESC(kernel_bytes, "Kernel memory held by all VMs (bytes)");
module_param_cb(pinned_pages, &atomic64_ro_ops, &mvm_total_pinned_pages,
		0444);
MODULE_PARM_DESC(pinned_pages, "Guest pages pinned by all VMs");

/*
 * VMs per process: a short list of (mm, count), since VM creation is rare
 * and the kernel has no per-process field to borrow.
 */
struct mm_vm_count {
	struct list_head node;
	struct mm_struct *mm;
	unsigned int count;
};

static LIST_HEAD(vm_counts);
static DEFINE_MUTEX(vm_counts_lock);
static atomic_t next_vm_id = ATOMIC_INIT(0);

static int vm_count_inc(struct mm_struct *mm)
{
	struct mm_vm_count *c;
	int ret = 0;

	mutex_lock(&vm_counts_lock);
	list_for_each_entry(c, &vm_counts, node)
		if (c->mm == mm)
			goto found;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	c->mm = mm;
	list_add(&c->node, &vm_counts);
found:
	if (c->count >= READ_ONCE(max_vms_per_process))
		ret = -EMFILE;
	else
		c->count++;
out:
	mutex_unlock(&vm_counts_lock);
	return ret;
}

static void vm_count_dec(struct mm_struct *mm)
{
	struct mm_vm_count *c;

	mutex_lock(&vm_counts_lock);
	list_for_each_entry(c, &vm_counts, node) {
		if (c->mm != mm)
			continue;
		if (!WARN_ON_ONCE(!c->count) && !--c->count) {
			list_del(&c->node);
			kfree(c);
		}
		break;
	}
	mutex_unlock(&vm_counts_lock);
}

void mvm_account_bytes(struct mvm_vm *vm, long bytes)
{
	if (vm)
		atomic64_add(bytes, &vm->kernel_bytes);
	atomic64_add(bytes, &mvm_total_kernel_bytes);
}

void mvm_vm_get(struct mvm_vm *vm)
{
	kref_get(&vm->ref);
}

static void vm_free(struct kref *ref)
{
	struct mvm_vm *vm = container_of(ref, struct mvm_vm, ref);
	struct mm_struct *mm = vm->mm;
	unsigned int i;

	trace_vm_destroy(vm->id);
	mutex_lock(&vm->lock);
	for (i = 0; i < MVM_MAX_MEMSLOTS; i++) {
		struct mvm_memslot *s = &vm->slots[i];

		if (s->size)
			vm->ops->vm_unmap(vm, s->gpa, s->size);
		s->size = 0;
	}
	mutex_unlock(&vm->lock);
	/* No vCPU is left (each held a reference): nothing injects. */
	mvm_eventfds_destroy(vm);
	mvm_ioapic_destroy(vm);
	vm->ops->vm_destroy(vm);
	WARN_ON_ONCE(atomic64_read(&vm->pinned_pages));

	mvm_account_bytes(vm, -(long)sizeof(*vm));
	vm_count_dec(mm);
	mmdrop(mm);
	kfree(vm);
	module_put(THIS_MODULE);
}

void mvm_vm_put(struct mvm_vm *vm)
{
	kref_put(&vm->ref, vm_free);
}

struct mvm_memslot *mvm_vm_find_slot(struct mvm_vm *vm, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < MVM_MAX_MEMSLOTS; i++) {
		struct mvm_memslot *s = &vm->slots[i];

		if (s->size && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

static int vm_copy_gpa(struct mvm_vm *vm, u64 gpa, void *kbuf,
		       size_t len, bool write)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	while (len) {
		struct mvm_memslot *s = mvm_vm_find_slot(vm, gpa);
		u64 off, chunk;
		void __user *u;

		if (!s) {
			ret = -ENOENT;
			break;
		}
		if (write && (s->flags & MVM_MEM_READONLY)) {
			ret = -EROFS;
			break;
		}
		off = gpa - s->gpa;
		chunk = min_t(u64, len, s->size - off);
		u = u64_to_user_ptr(s->uaddr + off);
		if (write ? copy_to_user(u, kbuf, chunk) :
			    copy_from_user(kbuf, u, chunk)) {
			ret = -EFAULT;
			break;
		}
		gpa += chunk;
		kbuf += chunk;
		len -= chunk;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

int mvm_vm_read_gpa(struct mvm_vm *vm, u64 gpa, void *buf, size_t len)
{
	return vm_copy_gpa(vm, gpa, buf, len, false);
}

int mvm_vm_write_gpa(struct mvm_vm *vm, u64 gpa, const void *buf,
		     size_t len)
{
	return vm_copy_gpa(vm, gpa, (void *)buf, len, true);
}

/* Guest-physical addresses above this are refused (4-level EPT/NPT). */
#define MVM_GPA_LIMIT	(1ULL << 48)

static long vm_set_memory_region(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_memory_region *r = karg;
	struct mvm_vm *vm = obj;
	struct mvm_memslot *slot;
	unsigned int i, idx;
	u64 end, uend;
	long ret = 0;

	if (r->flags & ~MVM_MEM_READONLY)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(r->reserved); i++)
		if (r->reserved[i])
			return -EINVAL;
	if (r->slot >= MVM_MAX_MEMSLOTS)
		return -EINVAL;
	idx = array_index_nospec(r->slot, MVM_MAX_MEMSLOTS);

	if (r->size) {
		if (!PAGE_ALIGNED(r->guest_phys_addr) ||
		    !PAGE_ALIGNED(r->size) || !PAGE_ALIGNED(r->userspace_addr))
			return -EINVAL;
		if (check_add_overflow(r->guest_phys_addr, r->size, &end) ||
		    end > MVM_GPA_LIMIT)
			return -EINVAL;
		if (check_add_overflow(r->userspace_addr, r->size, &uend) ||
		    !access_ok(u64_to_user_ptr(r->userspace_addr), r->size))
			return -EFAULT;
	}

	mutex_lock(&vm->lock);
	slot = &vm->slots[idx];
	if (!r->size) {
		/* Delete; deleting an empty slot is a no-op. */
		if (slot->size)
			vm->ops->vm_unmap(vm, slot->gpa, slot->size);
		memset(slot, 0, sizeof(*slot));
		goto out;
	}
	if (slot->size) {
		ret = -EBUSY;	/* delete it first */
		goto out;
	}
	for (i = 0; i < MVM_MAX_MEMSLOTS; i++) {
		const struct mvm_memslot *o = &vm->slots[i];

		if (o->size && r->guest_phys_addr < o->gpa + o->size &&
		    o->gpa < end) {
			ret = -EEXIST;
			goto out;
		}
	}
	slot->gpa = r->guest_phys_addr;
	slot->size = r->size;
	slot->uaddr = r->userspace_addr;
	slot->flags = r->flags;
out:
	mutex_unlock(&vm->lock);
	return ret;
}

static long vm_create_vcpu(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_create_vcpu *c = karg;
	unsigned int i;

	if (c->flags & ~MVM_VCPU_AP)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(c->reserved); i++)
		if (c->reserved[i])
			return -EINVAL;
	return mvm_vcpu_create(obj, c->id, c->flags);
}

void mvm_vm_guest_mark(struct mvm_vcpu *vcpu, u64 value)
{
	struct mvm_vm *vm = vcpu->vm;

	atomic64_set(&vm->last_mark, value);
	atomic64_set(&vm->last_mark_ns, ktime_get_ns());
	atomic64_set(&vm->last_mark_host_tsc, rdtsc());
	atomic64_inc(&vm->marks);
	trace_guest_mark(vm->id, vcpu->id, value);
}

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long vm_irq_line(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_irq_level *l = karg;

	if (l->flags || l->reserved0 || !all_zero(l->reserved,
						  sizeof(l->reserved)))
		return -EINVAL;
	if (l->level > 1)
		return -EINVAL;
	return mvm_ioapic_set_irq(obj, l->gsi, l->level);
}

static long vm_signal_msi(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_msi *m = karg;

	if (m->flags || !all_zero(m->reserved, sizeof(m->reserved)))
		return -EINVAL;
	return mvm_msi_deliver(obj, m->address, m->data);
}

static long vm_irqfd(void *obj, void *karg, unsigned long arg)
{
	return mvm_irqfd(obj, karg);
}

static long vm_ioeventfd(void *obj, void *karg, unsigned long arg)
{
	return mvm_ioeventfd(obj, karg);
}

static long vm_get_tsc(void *obj, void *karg, unsigned long arg)
{
	struct mvm_tsc *t = karg;
	struct mvm_vm *vm = obj;

	/* Output only: the dispatcher zeroed the payload. */
	t->host_tsc = rdtsc_ordered();
	t->guest_tsc = t->host_tsc + READ_ONCE(vm->tsc_offset);
	return 0;
}

static long vm_set_tsc(void *obj, void *karg, unsigned long arg)
{
	const struct mvm_tsc *t = karg;
	struct mvm_vm *vm = obj;

	if (t->flags || t->reserved0 || !all_zero(t->reserved,
						  sizeof(t->reserved)))
		return -EINVAL;
	mutex_lock(&vm->lock);
	/* Two's complement: guest = host + offset, modulo 2^64. */
	WRITE_ONCE(vm->tsc_offset, (s64)(t->guest_tsc - rdtsc_ordered()));
	/* Each vCPU re-arms its TSC-deadline timer before it runs again. */
	atomic_inc(&vm->tsc_gen);
	mutex_unlock(&vm->lock);
	return 0;
}

static long vm_get_stats(void *obj, void *karg, unsigned long arg)
{
	struct mvm_vm_stats *st = karg;
	struct mvm_vm *vm = obj;
	unsigned int i;

	/* Output only: the dispatcher zeroed the payload. */
	for (i = 0; i < MVM_STAT_EXIT_NR; i++)
		st->exits[i] = atomic64_read(&vm->exits[i]);
	st->exits_to_user = atomic64_read(&vm->exits_to_user);
	st->kernel_bytes = atomic64_read(&vm->kernel_bytes);
	st->pinned_pages = atomic64_read(&vm->pinned_pages);
	st->irqs_injected = atomic64_read(&vm->irqs_injected);
	st->halts = atomic64_read(&vm->halts);
	st->marks = atomic64_read(&vm->marks);
	st->last_mark = atomic64_read(&vm->last_mark);
	st->last_mark_ns = atomic64_read(&vm->last_mark_ns);
	st->last_mark_host_tsc = atomic64_read(&vm->last_mark_host_tsc);
	st->vm_id = vm->id;
	mutex_lock(&vm->lock);
	st->nr_vcpus = vm->nr_vcpus;
	mutex_unlock(&vm->lock);
	st->vcpu_kernel_bytes = mvm_vcpu_kernel_bytes();
	return 0;
}

static const struct mvm_ioctl_desc vm_ioctl_descs[] = {
	MVM_IOCTL(MVM_SET_MEMORY_REGION, vm_set_memory_region),
	MVM_IOCTL(MVM_CREATE_VCPU, vm_create_vcpu),
	MVM_IOCTL(MVM_GET_STATS, vm_get_stats),
	MVM_IOCTL(MVM_IRQ_LINE, vm_irq_line),
	MVM_IOCTL(MVM_SIGNAL_MSI, vm_signal_msi),
	MVM_IOCTL(MVM_IRQFD, vm_irqfd),
	MVM_IOCTL(MVM_IOEVENTFD, vm_ioeventfd),
	MVM_IOCTL(MVM_GET_TSC, vm_get_tsc),
	MVM_IOCTL(MVM_SET_TSC, vm_set_tsc),
};

static const struct mvm_ioctl_table vm_ioctls = {
	.kind = MVM_FD_VM,
	.descs = vm_ioctl_descs,
	.n = ARRAY_SIZE(vm_ioctl_descs),
};

static long mvm_vm_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct mvm_vm *vm = file->private_data;

	/* A VM fd passed to another process keeps working for its owner's
	 * memory only: refuse it elsewhere rather than pin foreign pages. */
	if (current->mm != vm->mm)
		return -EIO;
	return mvm_ioctl_dispatch(&vm_ioctls, vm, cmd, arg);
}

static int mvm_vm_release(struct inode *inode, struct file *file)
{
	mvm_vm_put(file->private_data);
	return 0;
}

static const struct file_operations mvm_vm_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= mvm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= mvm_vm_release,
	.llseek		= noop_llseek,
};

int mvm_vm_create(u32 flags)
{
	struct mvm_vm *vm;
	int ret, fd;

	if (mvm_hw.backend != MVM_BACKEND_VMX)
		return -EOPNOTSUPP;

	ret = vm_count_inc(current->mm);
	if (ret)
		return ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		vm_count_dec(current->mm);
		return -ENOMEM;
	}
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->ops = &mvm_vmx_ops;
	vm->id = atomic_inc_return(&next_vm_id);
	/* The guest's TSC starts at 0. */
	vm->tsc_offset = -(s64)rdtsc();
	mvm_account_bytes(vm, sizeof(*vm));
	/* Every VM pins the module until it is freed, also after its fd
	 * is gone and only vCPUs hold it. */
	__module_get(THIS_MODULE);

	ret = vm->ops->vm_init(vm);
	if (!ret)
		ret = mvm_ioapic_create(vm);
	if (!ret)
		ret = mvm_eventfds_init(vm);
	if (ret) {
		/* vm_destroy copes with a partial vm_init. */
		mvm_vm_put(vm);
		return ret;
	}

	/* Traced before the fd exists: once it does, a racing close()
	 * may free the VM. */
	trace_vm_create(vm->id, current->tgid);
	fd = anon_inode_getfd("mvm-vm", &mvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		mvm_vm_put(vm);
	return fd;
}
