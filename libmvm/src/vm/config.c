// SPDX-License-Identifier: Apache-2.0
/*
 * struct mvm_vm_config: defaults, growth by size, and the checks of
 * every value before anything is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm_priv.h"

MVM_EXPORT void mvm_vm_config_init(struct mvm_vm_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->mem_bytes = MVM_VM_DEFAULT_MEM;
	cfg->nr_vcpus = MVM_VM_DEFAULT_VCPUS;
	cfg->console_out_fd = -1;
	cfg->console_in_fd = -1;
	cfg->rng = true;
}

/*
 * Copy the caller's struct, whatever version it is, into @out: the
 * fields it lacks keep their defaults, and the bytes it has beyond ours
 * must be zero (a newer caller asking for something we cannot do).
 */
static int config_normalize(const struct mvm_vm_config *in,
			    struct mvm_vm_config *out,
			    const struct mvm_logger *lg)
{
	size_t n;

	mvm_vm_config_init(out);
	if (!in) {
		mvm_log(lg, MVM_LOG_ERR, "no configuration (NULL)");
		return -EINVAL;
	}
	if (in->size < VM_CONFIG_SIZE_V1) {
		mvm_log(lg, MVM_LOG_ERR,
			"configuration size %u is smaller than any version of struct mvm_vm_config: fill it with mvm_vm_config_init()",
			in->size);
		return -EINVAL;
	}
	if (in->size > sizeof(*in)) {
		const uint8_t *extra = (const uint8_t *)in + sizeof(*in);

		for (n = 0; n < in->size - sizeof(*in); n++) {
			if (extra[n]) {
				mvm_log(lg, MVM_LOG_ERR,
					"the configuration uses fields this libmvm does not know (size %u, known %zu): install the libmvm it was built with",
					in->size, sizeof(*in));
				return -E2BIG;
			}
		}
	}
	n = in->size < sizeof(*in) ? in->size : sizeof(*in);
	memcpy(out, in, n);
	out->size = sizeof(*out);
	return 0;
}

static int check_fd(int fd, bool want_write, const char *what,
		    const struct mvm_logger *lg)
{
	int fl;

	if (fd == -1)
		return 0;
	if (fd < 0) {
		mvm_log(lg, MVM_LOG_ERR, "%s fd %d: use -1 for none", what,
			fd);
		return -EBADF;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		mvm_log(lg, MVM_LOG_ERR, "%s fd %d is not open", what, fd);
		return -EBADF;
	}
	if (want_write ? (fl & O_ACCMODE) == O_RDONLY :
			 (fl & O_ACCMODE) == O_WRONLY) {
		mvm_log(lg, MVM_LOG_ERR, "%s fd %d is not open for %s", what,
			fd, want_write ? "writing" : "reading");
		return -EBADF;
	}
	return 0;
}

/* The signals that cannot or should not interrupt vCPU threads. */
static bool kick_signal_ok(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGILL:
	case SIGFPE: case SIGTRAP: case SIGABRT: case SIGSYS:
		return false;
	}
	return sig > 0 && (sig < 32 || (sig >= SIGRTMIN && sig <= SIGRTMAX));
}

static int check_values(const struct mvm_vm_config *c,
			const struct mvm_logger *lg)
{
	unsigned int i, max_disks;

	if (c->flags) {
		mvm_log(lg, MVM_LOG_ERR,
			"configuration flags 0x%x: none are defined, use 0",
			c->flags);
		return -EINVAL;
	}
	if (!c->kernel || !c->kernel[0]) {
		mvm_log(lg, MVM_LOG_ERR, "no kernel: give the path of a bzImage or vmlinux");
		return -EINVAL;
	}
	if (c->initrd && !c->initrd[0]) {
		mvm_log(lg, MVM_LOG_ERR, "empty initrd path: give a path or none");
		return -EINVAL;
	}
	if (c->mem_bytes < VM_MIN_MEM || c->mem_bytes > VM_MAX_MEM ||
	    c->mem_bytes % MVM_BOOT_PAGE_SIZE) {
		mvm_log(lg, MVM_LOG_ERR,
			"memory size %llu bytes: must be a multiple of 4 KiB from 2 MiB to 1 TiB",
			(unsigned long long)c->mem_bytes);
		return -EINVAL;
	}
	if (!c->nr_vcpus || c->nr_vcpus > VM_MAX_VCPUS) {
		mvm_log(lg, MVM_LOG_ERR,
			"%u vCPUs: must be 1 to %u", c->nr_vcpus,
			VM_MAX_VCPUS);
		return -EINVAL;
	}
	max_disks = VM_MAX_VIRTIO - (c->rng ? 1 : 0);
	if (max_disks > MVM_VM_MAX_DISKS)
		max_disks = MVM_VM_MAX_DISKS;
	if (c->nr_disks > max_disks) {
		mvm_log(lg, MVM_LOG_ERR, "%u disks: at most %u", c->nr_disks,
			max_disks);
		return -EINVAL;
	}
	if (c->nr_disks && !c->disks) {
		mvm_log(lg, MVM_LOG_ERR, "%u disks but no disk array",
			c->nr_disks);
		return -EINVAL;
	}
	for (i = 0; i < c->nr_disks; i++) {
		const struct mvm_vm_disk *d = &c->disks[i];

		if (!d->path || !d->path[0]) {
			mvm_log(lg, MVM_LOG_ERR, "disk %u has no path", i);
			return -EINVAL;
		}
		if ((d->flags & ~MVM_VM_DISK_READ_ONLY) || d->reserved0 ||
		    d->reserved[0] || d->reserved[1]) {
			mvm_log(lg, MVM_LOG_ERR,
				"disk %u (%s): unknown flags or non-zero reserved fields",
				i, d->path);
			return -EINVAL;
		}
	}
	if (c->nr_nets > MVM_VM_MAX_NETS) {
		mvm_log(lg, MVM_LOG_ERR, "%u network interfaces: at most %u",
			c->nr_nets, MVM_VM_MAX_NETS);
		return -EINVAL;
	}
	if (c->nr_nets && !c->nets) {
		mvm_log(lg, MVM_LOG_ERR,
			"%u network interfaces but no interface array",
			c->nr_nets);
		return -EINVAL;
	}
	if (c->nr_disks + c->nr_nets + (c->rng ? 1 : 0) > VM_MAX_VIRTIO) {
		mvm_log(lg, MVM_LOG_ERR,
			"%u disks, %u network interfaces%s: at most %u virtio devices in all",
			c->nr_disks, c->nr_nets, c->rng ? " and the rng" : "",
			VM_MAX_VIRTIO);
		return -EINVAL;
	}
	for (i = 0; i < c->nr_nets; i++) {
		int ret = vm_net_check(&c->nets[i], i, lg);
		unsigned int j;

		if (ret)
			return ret;
		for (j = 0; j < i && c->nets[i].tap && c->nets[i].tap[0]; j++) {
			if (c->nets[j].tap &&
			    !strcmp(c->nets[j].tap, c->nets[i].tap)) {
				mvm_log(lg, MVM_LOG_ERR,
					"interfaces %u and %u both name tap '%s': each needs a tap of its own",
					j, i, c->nets[i].tap);
				return -EINVAL;
			}
		}
	}
	if (!kick_signal_ok(c->kick_signal ? c->kick_signal : SIGUSR1)) {
		mvm_log(lg, MVM_LOG_ERR,
			"kick signal %d cannot interrupt vCPU threads: use 0 (SIGUSR1), another standard signal, or a real-time one",
			c->kick_signal);
		return -EINVAL;
	}
	if (check_fd(c->console_out_fd, true, "console output", lg) ||
	    check_fd(c->console_in_fd, false, "console input", lg))
		return -EBADF;
	return 0;
}

static int plan_cmdline(struct vm_plan *p, const struct mvm_logger *lg)
{
	const char *user = p->cfg.cmdline;
	uint64_t max = p->kinfo.cmdline_max;
	int len;

	len = vm_cmdline_build(NULL, 0, p->nr_virtio, user);
	if (len < 0)
		return len;
	if (max > MVM_BOOT_CMDLINE_MAX - 1)
		max = MVM_BOOT_CMDLINE_MAX - 1;
	if ((uint64_t)len > max) {
		mvm_log(lg, MVM_LOG_ERR,
			"the kernel command line would be %d bytes but %s accepts %llu: shorten it",
			len, p->cfg.kernel, (unsigned long long)max);
		return -E2BIG;
	}
	p->cmdline = malloc((size_t)len + 1);
	if (!p->cmdline)
		return -ENOMEM;
	vm_cmdline_build(p->cmdline, (size_t)len + 1, p->nr_virtio, user);
	return 0;
}

int vm_plan_prepare(struct vm_plan *p, const struct mvm_vm_config *cfg,
		    const struct mvm_logger *lg)
{
	unsigned int i;
	int ret;

	memset(p, 0, sizeof(*p));
	p->kernel.fd = p->initrd.fd = -1;
	for (i = 0; i < MVM_VM_MAX_DISKS; i++)
		p->disks[i].fd = -1;

	ret = config_normalize(cfg, &p->cfg, lg);
	if (!ret)
		ret = check_values(&p->cfg, lg);
	if (ret)
		return ret;
	if (!p->cfg.kick_signal)
		p->cfg.kick_signal = SIGUSR1;
	p->nr_virtio = p->cfg.nr_disks + p->cfg.nr_nets +
		       (p->cfg.rng ? 1 : 0);

	/* Bridges must exist: found before anything is created. */
	for (i = 0; i < p->cfg.nr_nets; i++) {
		if (!p->cfg.nets[i].bridge)
			continue;
		ret = mvm_tap_check_bridge(p->cfg.nets[i].bridge, lg);
		if (ret)
			return ret;
	}

	ret = vm_plan_open_files(p, lg);
	if (!ret)
		ret = plan_cmdline(p, lg);
	if (ret)
		vm_plan_release(p);
	return ret;
}

void vm_plan_release(struct vm_plan *p)
{
	unsigned int i;

	vm_plan_unmap_images(p);
	if (p->kernel.fd >= 0)
		close(p->kernel.fd);
	if (p->initrd.fd >= 0)
		close(p->initrd.fd);
	p->kernel.fd = p->initrd.fd = -1;
	for (i = 0; i < MVM_VM_MAX_DISKS; i++) {
		if (p->disks[i].fd >= 0)
			close(p->disks[i].fd);
		p->disks[i].fd = -1;
	}
	free(p->cmdline);
	p->cmdline = NULL;
}

MVM_EXPORT int mvm_vm_config_check(const struct mvm_vm_config *cfg,
				   mvm_log_fn log, void *opaque)
{
	struct mvm_logger lg = { .fn = log, .opaque = opaque };
	struct vm_plan p;
	int ret;

	ret = vm_plan_prepare(&p, cfg, &lg);
	if (!ret)
		vm_plan_release(&p);
	return ret;
}
