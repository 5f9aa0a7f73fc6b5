/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM runtime behind <mvm/vm.h>: internal to libmvm, shared by the
 * files of src/vm/ only.
 *
 *   config.c   struct mvm_vm_config: defaults, versioning, validation
 *   image.c    opening the kernel, initrd and disks; the kernel probe
 *   cmdline.c  the guest command line and the virtio-mmio layout
 *   memory.c   guest RAM: a memfd around the 3-4 GiB MMIO hole
 *   boot.c     kernel, initrd, tables and vCPU 0's boot state
 *   cpuid_host.c  the host's CPUID leaves for the guest's table
 *   devices.c  UART, i8042, RTC, virtio devices on the buses
 *   net.c      network interfaces: checks, taps, virtio-net
 *   bus.c      port and MMIO address decoding
 *   console.c  console output, input thread, panic detection
 *   vcpu.c     vCPU fds, run pages, threads
 *   exits.c    what a vCPU does with each exit
 *   vm.c       create, start, wait, stop, destroy; the end of a VM
 *   stats.c    mvm_vm_get_stats() and the names of things
 *
 * Locking, from outer to inner:
 *   a device's own mutex (held while it calls its callbacks: IRQ line,
 *     console output, reset), then
 *   vm->lock (the VM's state: started, ended, the outcome), then
 *   vm->log_lock (the log callback and the last error).
 * vm->lock is never held while calling into a device.
 */
#ifndef MVM_VM_PRIV_H
#define MVM_VM_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <mvm/vm.h>

#include "../internal.h"
#include "../loader/loader.h"
#include "../devices/pio.h"
#include "../net/tap.h"
#include "../virtio/virtio.h"

/* ---- configuration (config.c, image.c) ------------------------------- */

/* The fields of the first version of struct mvm_vm_config. */
#define VM_CONFIG_SIZE_V1 \
	(offsetof(struct mvm_vm_config, rng) + sizeof(bool))

/* vCPUs: the MP table's room in the EBDA KiB, and the ABI's ceiling. */
#define VM_MAX_VCPUS		40
#define VM_MIN_MEM		(2ULL << 20)
#define VM_MAX_MEM		(1ULL << 40)

enum vm_kernel_kind {
	VM_KERNEL_BZIMAGE = 1,
	VM_KERNEL_ELF = 2,
};

/*
 * What the probe learnt of a kernel without loading it.
 * @kind:         bzImage or ELF.
 * @kstart/@kend: the guest memory it will occupy (for initrd placement).
 * @cmdline_max:  longest command line it accepts, NUL excluded.
 * @initrd_limit: the initrd must end at or below this address.
 */
struct vm_kernel_info {
	enum vm_kernel_kind kind;
	uint64_t kstart, kend;
	uint64_t cmdline_max;
	uint64_t initrd_limit;
};

/*
 * vm_kernel_probe() - is @img (@len bytes) a kernel mvm can boot in
 * @ram bytes of guest RAM? Reads headers only; writes nothing.
 * @why:     receives the reason on failure, for a message that starts
 *           with the kernel's path ("is empty", "is truncated: ...").
 *
 * Return: 0; -ENOEXEC not a kernel, or malformed or truncated; -ENOTSUP
 * a kernel without what mvm needs; -ENOSPC it does not fit in @ram.
 * Context: pure function, any thread.
 */
int vm_kernel_probe(const uint8_t *img, size_t len, uint64_t ram,
		    struct vm_kernel_info *info, char *why, size_t why_len);

/* A file opened for the VM: its fd and, for kernel and initrd, a
 * read-only mapping of the whole file. */
struct vm_file {
	int fd;
	const uint8_t *map;
	uint64_t size;
};

/* Everything opened and decided from a valid configuration. */
struct vm_plan {
	struct mvm_vm_config cfg;	/* normalized copy; strings borrowed */
	struct vm_file kernel;
	struct vm_file initrd;		/* fd -1 when none */
	struct vm_file disks[MVM_VM_MAX_DISKS];
	struct vm_kernel_info kinfo;
	unsigned int nr_virtio;		/* disks + nets + rng */
	char *cmdline;			/* the whole guest command line */
};

/*
 * vm_plan_prepare() - validate @cfg and open its files into @p: the
 * work of mvm_vm_config_check(), kept open for mvm_vm_create().
 * @lg: where the one error line goes.
 * On failure nothing is left open and @p needs no release.
 * Return: the errnos of mvm_vm_config_check().
 * Context: any thread; @p is the caller's alone.
 */
int vm_plan_prepare(struct vm_plan *p, const struct mvm_vm_config *cfg,
		    const struct mvm_logger *lg);

/*
 * vm_net_check() - the values of interface @i (names, address, MTU,
 * MAC, flags, reserved fields, rates); no system call.
 * Return: 0 or -EINVAL (logged).
 */
int vm_net_check(const struct mvm_vm_net *n, unsigned int i,
		 const struct mvm_logger *lg);

/*
 * vm_plan_open_files() - open kernel, initrd and disks of @p->cfg, map
 * kernel and initrd, probe the kernel (image.c).
 * Return: as mvm_vm_config_check(); on failure the caller releases @p.
 */
int vm_plan_open_files(struct vm_plan *p, const struct mvm_logger *lg);

/* vm_plan_release() - close and unmap what vm_plan_prepare() opened. */
void vm_plan_release(struct vm_plan *p);

/* vm_plan_unmap_images() - drop the kernel and initrd (after loading). */
void vm_plan_unmap_images(struct vm_plan *p);

/* ---- command line and virtio-mmio layout (cmdline.c) ----------------- */

/* Most virtio-mmio devices: the interrupt lines they may use. */
#define VM_MAX_VIRTIO		9
#define VM_VIRTIO_MMIO_BASE	0xd0000000ULL
#define VM_VIRTIO_MMIO_STRIDE	0x1000ULL

/* vm_virtio_gsi() - the GSI of virtio device @i (< VM_MAX_VIRTIO), 0
 * beyond. Pure function. */
unsigned int vm_virtio_gsi(unsigned int i);

/* vm_virtio_base() - the MMIO window of virtio device @i. Pure. */
uint64_t vm_virtio_base(unsigned int i);

/*
 * vm_cmdline_build() - the guest command line: the fixed part, one
 * virtio_mmio.device= per device, then @user (NULL or "" for none).
 * @buf, @len: destination, NUL-terminated when @len > 0.
 * Return: the length it needs, NUL excluded, as snprintf() (so a result
 * >= @len means @buf was too small); -EINVAL more than VM_MAX_VIRTIO
 * devices, or NULL @buf with @len > 0. Pure function, any thread.
 */
int vm_cmdline_build(char *buf, size_t len, unsigned int nr_virtio,
		     const char *user);

/* ---- guest memory (memory.c) ----------------------------------------- */

/*
 * Guest RAM: one memfd of @ram bytes, mapped so that host address
 * base + gpa holds guest-physical gpa for all of the RAM: [0, low) and,
 * above 3 GiB of RAM, [4 GiB, 4 GiB + ram - 3 GiB). The 3-4 GiB hole in
 * between is private anonymous memory that is never RAM: @gmem covers
 * it (the loaders' model), and a device asked to touch it by a hostile
 * guest touches harmless zero pages instead of faulting.
 */
struct vm_memory {
	int memfd;
	uint8_t *area;		/* the whole reservation, for munmap */
	size_t area_len;
	struct mvm_guest_mem gmem;	/* base and map size */
	uint64_t ram;
	uint64_t low;		/* RAM below the hole */
};

/* vm_mem_map_size() - guest-physical span of @ram bytes of RAM. */
uint64_t vm_mem_map_size(uint64_t ram);

/*
 * vm_memory_create() - allocate and map @ram bytes of guest RAM.
 * Return: 0; -ENOMEM; the errno of memfd_create(), ftruncate(), mmap().
 * @m needs vm_memory_destroy() only on success. Context: VM creation.
 */
int vm_memory_create(struct vm_memory *m, uint64_t ram,
		     const struct mvm_logger *lg);

/*
 * vm_memory_register() - MVM_SET_MEMORY_REGION for each piece of RAM.
 * @max_slots: MVM_CAP_MAX_MEMORY_REGIONS.
 * Return: 0; -ENOTSUP too few slots; the ioctl's errno.
 * Context: VM creation.
 */
int vm_memory_register(const struct vm_memory *m, int vm_fd,
		       uint64_t max_slots, const struct mvm_logger *lg);

/* vm_memory_destroy() - unmap and close; safe on a zeroed @m with
 * memfd -1. */
void vm_memory_destroy(struct vm_memory *m);

/* ---- buses (bus.c) ---------------------------------------------------- */

/*
 * One device's range on a bus. Accesses at addr in [base, base + size)
 * go to @read/@write at offset addr - base + @adj.
 */
struct vm_range {
	uint64_t base, size, adj;
	int (*read)(void *dev, uint64_t off, uint8_t *data, unsigned int len);
	int (*write)(void *dev, uint64_t off, const uint8_t *data,
		     unsigned int len);
	void *dev;
	const char *name;
};

#define VM_BUS_MAX	16

/* A bus: ranges sorted by base, never overlapping; filled before the
 * vCPUs start and read-only afterwards, so lookups take no lock. */
struct vm_bus {
	struct vm_range r[VM_BUS_MAX];
	unsigned int n;
};

/*
 * vm_bus_add() - add @r (copied).
 * Return: 0; -EINVAL empty or wrapping range; -EEXIST overlap; -ENOSPC
 * the bus is full. Context: VM creation only (lookups take no lock).
 */
int vm_bus_add(struct vm_bus *b, const struct vm_range *r);

/* vm_bus_find() - the range holding @addr, or NULL. No lock: any thread
 * once the bus is complete. */
const struct vm_range *vm_bus_find(const struct vm_bus *b, uint64_t addr);

/* ---- console (console.c) ---------------------------------------------- */

#define VM_PANIC_LINE_MAX	200

/*
 * Watches the guest's console output for the panic banner. The guest
 * has no device through which to report a panic; Linux prints
 * "Kernel panic - not syncing: <reason>" on every console first.
 */
struct vm_panic_scan {
	size_t matched;		/* bytes of the banner matched so far */
	bool seen;		/* the banner went by */
	bool line_done;		/* and its line ended */
	size_t len;
	char line[VM_PANIC_LINE_MAX];
};

/*
 * vm_panic_scan_feed() - feed one output byte.
 * Return: 1 when this byte completed the banner, 2 when it ended the
 * banner's line (then @s->line holds it, '\r' dropped), else 0.
 */
int vm_panic_scan_feed(struct vm_panic_scan *s, uint8_t c);

struct mvm_vm;

struct vm_console {
	struct mvm_vm *vm;
	int out_fd;
	int in_fd;
	bool out_broken;		/* under the UART's mutex */
	struct vm_panic_scan scan;	/* under the UART's mutex */
	struct mvm_serial *serial;
	int wake_fd;			/* eventfd: input thread wake-up */
	atomic_bool in_waiting;		/* input thread waits for room */
	atomic_uint_fast64_t dropped;
	pthread_t in_thread;
	bool in_started;
};

/* vm_console_init() - @c for @vm; creates the wake eventfd.
 * Return: 0 or the errno of eventfd(). */
int vm_console_init(struct vm_console *c, struct mvm_vm *vm, int out_fd,
		    int in_fd);

/* The UART's output sink (struct mvm_serial_config.out): called by the
 * UART with its mutex held, from the transmitting vCPU's thread. Writes
 * to the output fd, feeds the panic watcher. */
void vm_console_out(void *opaque, const uint8_t *buf, size_t len);

/* vm_console_uart_touched() - the guest accessed the UART: wake the
 * input thread if it waits for room. Cheap when it does not. */
void vm_console_uart_touched(struct vm_console *c);

/* vm_console_start() - start the input thread when there is input, with
 * every signal blocked. Return: 0 or the negative errno of
 * pthread_create(). Context: mvm_vm_start(), vm->lock held. */
int vm_console_start(struct vm_console *c);

/* vm_console_wake() - make the input thread look at the VM's state.
 * Any thread, any lock held (one eventfd write). */
void vm_console_wake(struct vm_console *c);

/* vm_console_join() / vm_console_destroy(): after the VM ended (the
 * input thread leaves once vm->ending is set); one thread. */
void vm_console_join(struct vm_console *c);
void vm_console_destroy(struct vm_console *c);

/* ---- vCPUs (vcpu.c, exits.c, cpuid_host.c) ---------------------------- */

struct vm_vcpu {
	struct mvm_vm *vm;
	unsigned int id;
	int fd;
	struct mvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
};

/* Room for the host's CPUID leaves and the guest's table. */
#define VM_CPUID_MAX	160

/*
 * vm_host_cpuid() - the host's leaves as mvm_cpuid_build() wants them.
 * Return: the number of entries (at most @max).
 */
unsigned int vm_host_cpuid(struct mvm_cpuid_entry *out, unsigned int max);

/* vm_host_tsc_khz() - the TSC frequency from the host's CPUID leaves
 * 0x15/0x16, or 0 when they do not say. */
uint32_t vm_host_tsc_khz(void);

/*
 * vm_vcpu_create() - MVM_CREATE_VCPU (MVM_VCPU_AP for id > 0), map its
 * run page, and give it @cpuid (@n entries).
 * Return: 0 or a negative errno (logged); @v needs vm_vcpu_destroy()
 * either way (it copes with a partial @v: fd -1, run NULL).
 */
int vm_vcpu_create(struct mvm_vm *vm, struct vm_vcpu *v, unsigned int id,
		   size_t run_size, const struct mvm_cpuid_entry *cpuid,
		   unsigned int n);

/* vm_vcpu_set_boot() - vCPU 0's registers from the loader's state
 * (GET_SREGS, then SET_SREGS and SET_REGS). Return: 0 or the ioctl's
 * negative errno (logged). Context: VM creation. */
int vm_vcpu_set_boot(struct vm_vcpu *v, const struct mvm_boot_regs *b);

/*
 * vm_vcpu_start() - start the vCPU's thread, with every signal blocked
 * but the kick signal. Return: 0 or the errno of pthread_create().
 */
int vm_vcpu_start(struct vm_vcpu *v);

/* vm_vcpu_kick() - make the vCPU leave MVM_RUN and look at the VM:
 * immediate_exit, then the kick signal. Context: vm->lock held (so the
 * thread is not joined meanwhile). */
void vm_vcpu_kick(struct vm_vcpu *v);

/* vm_vcpu_join() - wait for the vCPU's thread, after the VM ended.
 * vm_vcpu_destroy() - join, unmap the run page, close the fd; copes
 * with a partial @v. One thread, after the end. */
void vm_vcpu_join(struct vm_vcpu *v);
void vm_vcpu_destroy(struct vm_vcpu *v);

/*
 * vm_exit_handle() - act on the exit in @v->run after MVM_RUN returned
 * 0. Return: true to run again, false when the vCPU's thread is done.
 * Context: @v's own thread; takes device mutexes and, to end the VM,
 * vm->lock.
 */
bool vm_exit_handle(struct vm_vcpu *v);

/* ---- the VM (vm.c, devices.c) ----------------------------------------- */

/* A port-I/O device behind a bus range; @console is set for the UART,
 * whose accesses may let the input thread go on. */
struct vm_pio_binding {
	const struct mvm_pio_ops *ops;
	void *dev;
	struct vm_console *console;
};

struct mvm_vm {
	/* Logging: log_lock serializes the callback. */
	pthread_mutex_t log_lock;
	mvm_log_fn log_fn;
	void *log_opaque;
	char last_error[512];
	struct mvm_logger lg;	/* routes mvm_log() through vm_log */
	uint64_t rl_window_ns;	/* ratelimit of debug lines */
	unsigned int rl_count;
	uint64_t rl_suppressed;

	/* State: lock and cond. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	bool ended;
	bool joined;
	pthread_mutex_t join_lock;
	atomic_bool ending;		/* ended, readable without lock */
	struct mvm_vm_exit exit;
	bool panic_seen;
	char panic_line[VM_PANIC_LINE_MAX];

	int vm_fd;
	uint32_t kernel_id;		/* the VM's id in mvm:* tracepoints */
	int kick_signal;
	uint64_t create_ns;
	struct vm_memory mem;
	unsigned int nr_vcpus;
	struct vm_vcpu *vcpus;

	struct vm_bus pio;
	struct vm_pio_binding pio_bind[VM_BUS_MAX];
	struct vm_bus mmio;
	struct vm_console console;
	struct mvm_serial *serial;
	struct mvm_i8042 *i8042;
	struct mvm_rtc *rtc;
	unsigned int nr_virtio;
	struct mvm_virtio_dev *virtio[VM_MAX_VIRTIO];
	unsigned int nr_taps;
	struct mvm_tap taps[MVM_VM_MAX_NETS];
};

/* vm_log() - log through the VM's callback; MVM_LOG_ERR lines become
 * the last error. Any thread; takes log_lock. */
void vm_log(struct mvm_vm *vm, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vm_log_limited() - vm_log() at MVM_LOG_DEBUG, at most a burst of 10
 * lines per 5 seconds (guest-triggered messages). */
void vm_log_limited(struct mvm_vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * vm_end() - the VM ends with @outcome (enum mvm_vm_outcome) unless it
 * already ended: record it, kick every vCPU, wake waiters. A panic seen
 * on the console turns a later reboot, triple fault or stop into
 * MVM_VM_PANIC. Any thread; takes vm->lock.
 * @vcpu: the vCPU whose exit ended it, or -1.
 */
void vm_end(struct mvm_vm *vm, uint32_t outcome, int vcpu, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

/* vm_note_panic() - the console saw a panic; @line is its message.
 * Takes vm->lock (called with the UART's mutex held). */
void vm_note_panic(struct mvm_vm *vm, const char *line);

/* vm_park() - block until the VM ends (a halted AP). Takes vm->lock. */
void vm_park(struct mvm_vm *vm);

/* vm_now_ns() - CLOCK_MONOTONIC in ns. Any thread. */
uint64_t vm_now_ns(void);

/*
 * vm_devices_create() - the UART, i8042 and RTC on the port bus and the
 * virtio devices of @p on the MMIO bus, all wired to the IOAPIC.
 * Return: 0 or a negative errno (logged); what was created stays in
 * @vm for vm_devices_destroy(). Context: VM creation.
 */
int vm_devices_create(struct mvm_vm *vm, const struct vm_plan *p);

/*
 * vm_net_create() - interface @i of the VM: open its tap (@vm->taps,
 * closed by vm_net_close_taps()), create its virtio-net on @env at MMIO
 * @base, and route that window's queue kicks to the device's thread
 * through ioeventfds. Return: 0 or a negative errno (logged with the
 * fix). Context: VM creation.
 */
int vm_net_create(struct mvm_vm *vm, const struct mvm_vm_net *n,
		  unsigned int i, const struct mvm_virtio_env *env,
		  uint64_t base, struct mvm_virtio_dev **out);

/* vm_net_close_taps() - close the taps (after their devices are gone):
 * those mvm created disappear. */
void vm_net_close_taps(struct mvm_vm *vm);

/* vm_devices_destroy() - free every device; no vCPU thread may run. */
void vm_devices_destroy(struct mvm_vm *vm);

/*
 * vm_boot_load() - kernel, initrd, command line and MP table into guest
 * memory; @regs receives vCPU 0's state.
 * Return: 0 or the loader's errno (logged with what to do).
 * Context: VM creation.
 */
int vm_boot_load(struct mvm_vm *vm, const struct vm_plan *p,
		 struct mvm_boot_regs *regs);

#endif /* MVM_VM_PRIV_H */
