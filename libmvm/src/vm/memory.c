// SPDX-License-Identifier: Apache-2.0
/*
 * Guest RAM: a memfd (so that a snapshot or a clone is that file plus
 * the vCPU state), mapped shared into this process and given to the VM
 * with MVM_SET_MEMORY_REGION. The kernel pins pages as the guest first
 * touches them; nothing is pre-faulted here.
 *
 * Layout, for R bytes of RAM (loader.h has the guest-physical map):
 *   R <= 3 GiB:  guest [0, R)                   = memfd [0, R)
 *   R >  3 GiB:  guest [0, 3 GiB)               = memfd [0, 3 GiB)
 *                guest [3 GiB, 4 GiB)             the MMIO hole, no RAM
 *                guest [4 GiB, R + 1 GiB)       = memfd [3 GiB, R)
 * The host mapping mirrors guest-physical addresses, so the loaders and
 * devices see one buffer (struct mvm_guest_mem). The hole's part of it
 * is private anonymous memory reserved without swap: nothing is loaded
 * there and the VM never maps it, but a device that a hostile guest
 * points at it reads zeros instead of crashing the VMM.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm_priv.h"

/* 2 MiB alignment lets the host back RAM with huge pages when it may. */
#define VM_MEM_ALIGN	(2ULL << 20)

uint64_t vm_mem_map_size(uint64_t ram)
{
	if (ram <= MVM_BOOT_MMIO_HOLE)
		return ram;
	return ram + (MVM_BOOT_4G - MVM_BOOT_MMIO_HOLE);
}

static int mem_fail(const struct mvm_logger *lg, const char *what, int err,
		    uint64_t ram)
{
	mvm_log(lg, MVM_LOG_ERR, "guest memory (%llu MiB): %s failed: %s",
		(unsigned long long)(ram >> 20), what, strerror(err));
	return -err;
}

int vm_memory_create(struct vm_memory *m, uint64_t ram,
		     const struct mvm_logger *lg)
{
	uint64_t map_size = vm_mem_map_size(ram);
	uint8_t *base;
	void *p;
	int err;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->ram = ram;
	m->low = ram < MVM_BOOT_MMIO_HOLE ? ram : MVM_BOOT_MMIO_HOLE;

	m->memfd = memfd_create("mvm-guest-ram", MFD_CLOEXEC);
	if (m->memfd < 0)
		return mem_fail(lg, "memfd_create", errno, ram);
	if (ftruncate(m->memfd, (off_t)ram)) {
		err = errno;
		goto fail;
	}

	/* Reserve the whole span, aligned, then map the pieces over it. */
	m->area_len = map_size + VM_MEM_ALIGN;
	p = mmap(NULL, m->area_len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		err = errno;
		m->area = NULL;
		goto fail;
	}
	m->area = p;
	base = (uint8_t *)(((uintptr_t)p + VM_MEM_ALIGN - 1) &
			   ~(uintptr_t)(VM_MEM_ALIGN - 1));

	if (mmap(base, m->low, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 m->memfd, 0) == MAP_FAILED) {
		err = errno;
		goto fail;
	}
	if (ram > m->low) {
		if (mmap(base + MVM_BOOT_MMIO_HOLE,
			 MVM_BOOT_4G - MVM_BOOT_MMIO_HOLE,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			 MAP_FIXED, -1, 0) == MAP_FAILED ||
		    mmap(base + MVM_BOOT_4G, ram - m->low,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 m->memfd, (off_t)m->low) == MAP_FAILED) {
			err = errno;
			goto fail;
		}
	}
	m->gmem.base = base;
	m->gmem.size = map_size;
	return 0;

fail:
	mem_fail(lg, "mapping", err, ram);
	vm_memory_destroy(m);
	return -err;
}

int vm_memory_register(const struct vm_memory *m, int vm_fd,
		       uint64_t max_slots, const struct mvm_logger *lg)
{
	struct mvm_memory_region r[2];
	unsigned int n = 1, i;

	memset(r, 0, sizeof(r));
	r[0].slot = 0;
	r[0].guest_phys_addr = 0;
	r[0].size = m->low;
	r[0].userspace_addr = (uintptr_t)m->gmem.base;
	if (m->ram > m->low) {
		r[1].slot = 1;
		r[1].guest_phys_addr = MVM_BOOT_4G;
		r[1].size = m->ram - m->low;
		r[1].userspace_addr = (uintptr_t)(m->gmem.base + MVM_BOOT_4G);
		n = 2;
	}
	if (max_slots < n) {
		mvm_log(lg, MVM_LOG_ERR,
			"mvm.ko offers %llu memory regions; %u are needed for this much memory",
			(unsigned long long)max_slots, n);
		return -ENOTSUP;
	}
	for (i = 0; i < n; i++) {
		if (ioctl(vm_fd, MVM_SET_MEMORY_REGION, &r[i])) {
			int err = errno;

			mvm_log(lg, MVM_LOG_ERR,
				"MVM_SET_MEMORY_REGION (slot %u, 0x%llx, %llu MiB): %s",
				i, (unsigned long long)r[i].guest_phys_addr,
				(unsigned long long)(r[i].size >> 20),
				strerror(err));
			return -err;
		}
	}
	return 0;
}

void vm_memory_destroy(struct vm_memory *m)
{
	if (m->area)
		munmap(m->area, m->area_len);
	if (m->memfd >= 0)
		close(m->memfd);
	m->area = NULL;
	m->memfd = -1;
	m->gmem.base = NULL;
	m->gmem.size = 0;
}
