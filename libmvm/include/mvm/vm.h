/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmvm: running a Linux microVM.
 *
 * The life of a VM:
 *
 *   struct mvm_vm_config cfg;
 *   mvm_vm_config_init(&cfg);              defaults
 *   cfg.kernel = "bzImage"; ...
 *   mvm_vm_config_check(&cfg, log, opaque); optional: every check that
 *                                           needs no /dev/mvm
 *   mvm_sys_open(NULL, log, opaque, &sys);
 *   mvm_vm_create(sys, &cfg, log, opaque, &vm);   built, paused
 *   mvm_vm_start(vm);                      the vCPUs run
 *   mvm_vm_wait(vm, -1, &result);          until it ends
 *   mvm_vm_destroy(vm);
 *
 * What a VM has: guest RAM in a memfd, one thread per vCPU, a 16550A
 * UART on COM1 (the console), an i8042 (how Linux reboots), a CMOS RTC,
 * one virtio-blk per disk and a virtio-rng over virtio-mmio, all wired
 * to the in-kernel IOAPIC. Documentation/libmvm.rst has the details.
 *
 * Threads: every function says which threads may call it. The log
 * callback given to mvm_vm_create() is called from the caller's thread
 * and from the VM's own threads, never by two threads at once.
 *
 * Signals: a VM's threads run with every signal blocked except its kick
 * signal (struct mvm_vm_config.kick_signal, SIGUSR1 by default), which
 * mvm_vm_stop() sends them to interrupt MVM_RUN. When that signal has no
 * handler (SIG_DFL or SIG_IGN), mvm_vm_create() installs a handler that
 * does nothing, process-wide, once, and never removes it; a handler the
 * application installed is kept and then also runs on each kick.
 * Process-directed signals (SIGINT, SIGTERM, SIGPIPE) are never taken by
 * a VM's threads.
 */
#ifndef MVM_VM_H
#define MVM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mvm/mvm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most disks of one VM (each takes an interrupt line; see libmvm.rst). */
#define MVM_VM_MAX_DISKS	8

/* The disk is attached read-only: opened O_RDONLY, guest writes fail. */
#define MVM_VM_DISK_READ_ONLY	(1U << 0)

/*
 * One disk: a raw image file, or a block device, offered as virtio-blk.
 * @path:     the image.
 * @flags:    MVM_VM_DISK_*.
 * @reserved: must be zero (room to grow without changing the stride of
 *            the disk array).
 */
struct mvm_vm_disk {
	const char *path;
	uint32_t flags;
	uint32_t reserved0;
	uint64_t reserved[2];
};

/* Most network interfaces of one VM (each takes an interrupt line). */
#define MVM_VM_MAX_NETS		4

/* Longest tap device name, NUL excluded (Linux's IFNAMSIZ - 1). */
#define MVM_VM_IFNAME_MAX	15

/*
 * One network interface: a tap device on the host, virtio-net in the
 * guest (Documentation/networking.rst).
 * @tap:        the tap device's name: an existing persistent tap that no
 *              process holds is used as it is (and left in place); a
 *              name that does not exist is created for this VM and
 *              removed with it. NULL or "" picks a free name
 *              "mvm<pid>n<i>" (created and removed likewise). At most
 *              MVM_VM_IFNAME_MAX characters, none of '/', ':' or
 *              white space.
 * @bridge:     an existing bridge to attach the tap to, or NULL.
 * @host_addr:  an IPv4 or IPv6 address with prefix length
 *              ("10.0.2.1/24") to put on the tap, or NULL.
 * @mtu:        the tap's MTU and the one offered to the guest
 *              (VIRTIO_NET_F_MTU), 68 .. 65521; 0 keeps the tap's (1500
 *              for a new one).
 * @flags:      MVM_VM_NET_*.
 * @mac:        the guest's MAC address when MVM_VM_NET_MAC is set; it
 *              must be unicast. Otherwise a locally administered address
 *              derived from the host's machine-id and the tap's name:
 *              the same name on the same host gets the same address.
 * @rate_bytes: a token bucket per direction: at most this many bytes a
 *              second from the guest and as many to it; 0 for no limit.
 * @rate_packets: the same for packets (frames); 0 for no limit.
 * @reserved:   must be zero.
 *
 * A token bucket holds a tenth of a second of its rate (at least one
 * largest frame); a frame may take the bucket below zero, and the
 * direction waits until it refills.
 */
struct mvm_vm_net {
	const char *tap;
	const char *bridge;
	const char *host_addr;
	uint32_t mtu;
	uint32_t flags;
	uint8_t mac[6];
	uint8_t reserved0[2];
	uint64_t rate_bytes;
	uint64_t rate_packets;
	uint64_t reserved[4];
};

/* struct mvm_vm_net.mac holds the address to use. */
#define MVM_VM_NET_MAC		(1U << 0)

/*
 * What to build. Fill it with mvm_vm_config_init() first: it sets @size
 * and the defaults, so code built against this header keeps working
 * with later libmvm versions that append fields.
 *
 * @size:           sizeof(struct mvm_vm_config) as the caller compiled
 *                  it. A smaller (older) size gets the defaults for the
 *                  fields it lacks; bytes past the fields this libmvm
 *                  knows must be zero.
 * @flags:          must be 0.
 * @kernel:         a bzImage or an ELF vmlinux (x86-64); required.
 * @initrd:         an initramfs, or NULL.
 * @cmdline:        appended to the command line libmvm builds (see
 *                  mvm_vm_create()), or NULL.
 * @mem_bytes:      guest RAM, a multiple of 4 KiB, 2 MiB .. 1 TiB;
 *                  default 128 MiB. Above 3 GiB, the rest of it starts
 *                  at 4 GiB (3-4 GiB is the MMIO hole).
 * @nr_vcpus:       1 .. 40 (the MP table's room) and at most
 *                  MVM_CAP_MAX_VCPUS; default 1.
 * @nr_disks:       entries at @disks, 0 .. MVM_VM_MAX_DISKS (less one
 *                  with @rng).
 * @disks:          the disks, in the order the guest sees them (vda,
 *                  vdb, ...).
 * @console_out_fd: where the guest's serial console output goes, or -1
 *                  to drop it. Written from vCPU threads with full
 *                  writes; a blocking fd that nobody reads stalls the
 *                  guest, a non-blocking one drops what does not fit.
 *                  Default -1. The caller keeps it open while the VM
 *                  lives, and closes it.
 * @console_in_fd:  read for the console's input, or -1 for none (the
 *                  default). Polled by a thread of the VM; end of file
 *                  ends input, not the VM.
 * @kick_signal:    the signal that interrupts vCPU threads (see the top
 *                  of this file); 0 means SIGUSR1. Not SIGKILL, SIGSTOP,
 *                  nor one of glibc's internal signals.
 * @rng:            offer a virtio-rng (fed from getrandom()); default
 *                  true.
 * @nr_nets:        entries at @nets, 0 .. MVM_VM_MAX_NETS; disks,
 *                  interfaces and the rng share 9 interrupt lines.
 * @nets:           the network interfaces, in the order the guest sees
 *                  them (eth0, eth1, ...). Creating their taps needs
 *                  CAP_NET_ADMIN.
 */
struct mvm_vm_config {
	uint32_t size;
	uint32_t flags;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem_bytes;
	uint32_t nr_vcpus;
	uint32_t nr_disks;
	const struct mvm_vm_disk *disks;
	int console_out_fd;
	int console_in_fd;
	int kick_signal;
	bool rng;
	uint32_t nr_nets;
	const struct mvm_vm_net *nets;
};

/* Defaults of mvm_vm_config_init(). */
#define MVM_VM_DEFAULT_MEM	(128ULL << 20)
#define MVM_VM_DEFAULT_VCPUS	1

/*
 * mvm_vm_config_init() - zero @cfg, set @cfg->size and the defaults:
 * 128 MiB, one vCPU, no disks, no console (-1, -1), rng on.
 * Does nothing when @cfg is NULL. Any thread.
 */
void mvm_vm_config_init(struct mvm_vm_config *cfg);

/*
 * mvm_vm_config_check() - every check of @cfg that needs no /dev/mvm:
 * sizes and counts; kernel, initrd and disks can be opened as asked
 * (disks read-write unless MVM_VM_DISK_READ_ONLY); the kernel is a
 * bzImage with a 64-bit entry or an x86-64 ELF vmlinux, complete, and
 * fits in @cfg->mem_bytes with the initrd; the command line fits.
 * mvm_vm_create() does the same checks first; call this one to report
 * bad input before touching the device. Writes nothing, keeps nothing
 * open. Any thread.
 *
 * @log, @opaque: where the reason goes (one MVM_LOG_ERR line naming the
 *                field or file and what to do), or NULL.
 *
 * Return: 0; -EINVAL a bad value (size, count, flags, signal, a file
 * that is not a regular file or block device); -EBADF a console fd that
 * is not open, or not open for its direction; -E2BIG @cfg->size larger
 * than this libmvm knows, with non-zero bytes past what it knows, or a
 * command line too long; -ENOENT, -EACCES, -EISDIR or another open()
 * errno for a file (a writable disk that cannot be opened read-write
 * gives -EROFS on a read-only file system, -EPERM when immutable,
 * -EACCES without permission);
 * -ENOEXEC the kernel is not a kernel mvm can boot (empty, truncated,
 * compressed, another format); -ENOTSUP a kernel without the 64-bit
 * entry or too old a boot protocol; -ENOSPC the kernel or initrd does
 * not fit in @cfg->mem_bytes.
 */
int mvm_vm_config_check(const struct mvm_vm_config *cfg, mvm_log_fn log,
			void *opaque);

/* A VM: opaque. */
struct mvm_vm;

/*
 * mvm_vm_create() - build a VM from @cfg, paused.
 * @sys:    an open /dev/mvm; it may be closed once this returns.
 * @cfg:    the configuration; copied, and its files opened: the strings
 *          need not outlive the call (the fds do).
 * @log:    logging callback for the VM's whole life, or NULL.
 * @opaque: passed to @log.
 * @out:    receives the VM.
 *
 * Checks @cfg as mvm_vm_config_check() does, then: guest RAM (a memfd,
 * mapped into the VM), the kernel and initrd loaded, the boot tables
 * (e820, MP table, command line), the devices, the vCPUs with their
 * CPUID tables and vCPU 0 in the kernel's 64-bit boot state. The guest's
 * command line is
 *   console=ttyS0 reboot=k panic=-1 virtio_mmio.device=512@0xd0000000:5
 *   ... <cfg->cmdline>
 * with one virtio_mmio.device per virtio device; what the caller adds
 * comes last, so it can override (a later panic= wins; a later console=
 * adds a console and becomes /dev/console).
 *
 * Nothing is left behind on failure: no fd, no thread, no mapping.
 * Any thread; @sys must not be used by another thread meanwhile.
 *
 * Return: 0; the errnos of mvm_vm_config_check(); -EINVAL @nr_vcpus
 * above MVM_CAP_MAX_VCPUS; -ENOTSUP a module without what libmvm needs
 * (in-kernel IOAPIC, enough memory slots, a TSC frequency); -ENOMEM;
 * or the errno of a failed ioctl. Each failure is logged.
 */
int mvm_vm_create(struct mvm_sys *sys, const struct mvm_vm_config *cfg,
		  mvm_log_fn log, void *opaque, struct mvm_vm **out);

/*
 * mvm_vm_start() - start the vCPU threads (and the console input
 * thread). Once per VM; not concurrently with mvm_vm_destroy().
 *
 * Return: 0; -EALREADY started before, or stopped before it started;
 * the errno of pthread_create() (the VM then ends as
 * MVM_VM_INTERNAL_ERROR).
 */
int mvm_vm_start(struct mvm_vm *vm);

/* How a VM ended (struct mvm_vm_exit.outcome). */
enum mvm_vm_outcome {
	MVM_VM_RUNNING = 0,		/* not ended (never returned) */
	MVM_VM_POWEROFF = 1,		/* vCPU 0 halted with interrupts off */
	MVM_VM_REBOOT = 2,		/* reset through the i8042 */
	MVM_VM_PANIC = 3,		/* "Kernel panic - not syncing" seen */
	MVM_VM_TRIPLE_FAULT = 4,	/* a vCPU shut down */
	MVM_VM_INTERNAL_ERROR = 5,	/* mvm could not go on; see @detail */
	MVM_VM_STOPPED = 6,		/* mvm_vm_stop() */
};

/*
 * The end of a VM.
 * @outcome: an enum mvm_vm_outcome.
 * @vcpu:    the vCPU whose exit ended it, or -1 (stop, reset, panic).
 * @detail:  one line for people: what happened, with the exit's data
 *           for an internal error and the panic message for a panic.
 */
struct mvm_vm_exit {
	uint32_t outcome;
	int32_t vcpu;
	char detail[256];
};

/*
 * mvm_vm_wait() - wait for the VM to end.
 * @timeout_ms: how long; negative waits forever, 0 only looks.
 * @result:     receives how it ended.
 *
 * Returns once the VM has ended and its threads have all returned, so
 * the console fds are no longer used. One thread at a time may wait;
 * any thread may call mvm_vm_stop() meanwhile. Waiting again after it
 * returned 0 gives the same result.
 *
 * Return: 0; -ETIMEDOUT still running after @timeout_ms; -EINVAL
 * NULL arguments, or a VM never started nor stopped.
 */
int mvm_vm_wait(struct mvm_vm *vm, int timeout_ms, struct mvm_vm_exit *result);

/*
 * mvm_vm_stop() - end the VM as MVM_VM_STOPPED, unless it already ended.
 * Returns at once; mvm_vm_wait() sees the end. Any thread, any number of
 * times, while another thread waits; not from a signal handler (it takes
 * a mutex): use signalfd() or sigwait() for signals.
 *
 * Return: 0, or -EINVAL for NULL.
 */
int mvm_vm_stop(struct mvm_vm *vm);

/*
 * mvm_vm_destroy() - stop the VM if it runs, wait for its threads, and
 * free everything: vCPU and VM fds, run pages, guest memory, devices,
 * image fds. NULL is ignored. No other call on @vm may be in progress
 * or follow.
 */
void mvm_vm_destroy(struct mvm_vm *vm);

/*
 * What mvm_vm_get_stats() reports.
 * @kernel:         MVM_GET_STATS as the module returned it (exits by
 *                  MVM_STAT_EXIT_*, kernel bytes, pinned pages, the last
 *                  boot milestone written to MVM_GUEST_MARK_PORT...).
 * @vmm_rss_bytes:  this process's resident memory without guest RAM:
 *                  RssAnon + RssFile of /proc/self/status (guest RAM is
 *                  shared memory, RssShmem). For the whole process when
 *                  it runs several VMs.
 * @guest_mem_bytes: guest RAM.
 * @create_ns:      CLOCK_MONOTONIC at the start of mvm_vm_create().
 * @mark_after_create_ns: @kernel.last_mark_ns - @create_ns: from
 *                  mvm_vm_create() to the last boot milestone; 0 before
 *                  any.
 * @console_dropped: console output bytes dropped (a non-blocking
 *                  console fd was full, or writing it failed).
 */
struct mvm_vm_usage {
	struct mvm_vm_stats kernel;
	uint64_t vmm_rss_bytes;
	uint64_t guest_mem_bytes;
	uint64_t create_ns;
	uint64_t mark_after_create_ns;
	uint64_t console_dropped;
	uint64_t reserved[8];
};

/*
 * mvm_vm_get_stats() - the VM's counters, now. Any thread, any time
 * between create and destroy, the VM running or not.
 *
 * Return: 0; -EINVAL NULL arguments; the errno of MVM_GET_STATS; -EIO
 * when /proc/self/status cannot be read.
 */
int mvm_vm_get_stats(struct mvm_vm *vm, struct mvm_vm_usage *out);

/*
 * mvm_vm_last_error() - copy the VM's last MVM_LOG_ERR message (""
 * when none) into @buf, NUL-terminated and truncated to @len. Any
 * thread.
 *
 * Return: the message's full length; -EINVAL NULL @vm, or NULL @buf
 * with @len > 0.
 */
int mvm_vm_last_error(struct mvm_vm *vm, char *buf, size_t len);

/*
 * mvm_vm_outcome_name() - "poweroff", "reboot", "panic",
 * "triple-fault", "internal-error", "stopped", "running"; "unknown" for
 * other values. Static strings. Any thread.
 */
const char *mvm_vm_outcome_name(uint32_t outcome);

/*
 * mvm_stat_exit_name() - the name of an MVM_STAT_EXIT_* index ("io",
 * "mmio", "hlt", ...), or NULL for an index without one. Static
 * strings. Any thread.
 */
const char *mvm_stat_exit_name(unsigned int reason);

#ifdef __cplusplus
}
#endif

#endif /* MVM_VM_H */
