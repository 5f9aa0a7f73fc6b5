// SPDX-License-Identifier: Apache-2.0
/*
 * The serial console: what the guest transmits on COM1 goes to the
 * console output fd, what arrives on the input fd goes to the UART's
 * receiver, and the output is watched for a kernel panic.
 *
 * Output is written from the vCPU thread that transmitted it, byte by
 * byte as the UART hands it over, with the UART's mutex held, so bytes
 * from several vCPUs never interleave out of order.
 *
 * Input has flow control: the UART takes at most what its receiver has
 * room for (mvm_serial_input()), so the input thread holds what it read
 * and offers it again when the guest next touches the UART (the vCPU
 * thread wakes it through an eventfd, but only while it waits, so the
 * output path costs nothing) or after VM_INPUT_RETRY_MS at the latest.
 * It reads no more from the fd until its buffer is empty: a fast
 * writer is paced by the guest, and nothing is lost.
 *
 * Panic: Linux prints "Kernel panic - not syncing: <reason>" on every
 * console before it stops or, with panic=-1, resets. The guest has no
 * other way to tell, so the banner is matched in the output stream; the
 * VM then ends as MVM_VM_PANIC when it resets (or is stopped).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vm_priv.h"

#define VM_INPUT_RETRY_MS	20

static const char panic_banner[] = "Kernel panic - not syncing";

/*
 * The restart on a mismatch below is exact only because the banner's
 * first byte occurs nowhere else in it (no prefix of it is also a
 * suffix of a partial match).
 */
int vm_panic_scan_feed(struct vm_panic_scan *s, uint8_t c)
{
	if (s->seen && !s->line_done) {
		if (c == '\n') {
			s->line[s->len] = '\0';
			s->line_done = true;
			return 2;
		}
		if (c != '\r' && s->len < sizeof(s->line) - 1)
			s->line[s->len++] = (char)c;
		return 0;
	}
	if (s->seen)
		return 0;
	if ((char)c == panic_banner[s->matched]) {
		s->matched++;
	} else {
		s->matched = (char)c == panic_banner[0] ? 1 : 0;
		return 0;
	}
	if (s->matched < sizeof(panic_banner) - 1)
		return 0;
	s->seen = true;
	memcpy(s->line, panic_banner, sizeof(panic_banner) - 1);
	s->len = sizeof(panic_banner) - 1;
	s->line[s->len] = '\0';
	return 1;
}

int vm_console_init(struct vm_console *c, struct mvm_vm *vm, int out_fd,
		    int in_fd)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->out_fd = out_fd;
	c->in_fd = in_fd;
	atomic_init(&c->in_waiting, false);
	atomic_init(&c->dropped, 0);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	return 0;
}

/* Write all of @buf; false when the fd refuses (EAGAIN or an error). */
static bool write_full(struct vm_console *c, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(c->out_fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		atomic_fetch_add(&c->dropped, len);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* A closed pipe or a lost terminal: stop trying. */
			c->out_broken = true;
			vm_log(c->vm, MVM_LOG_WARNING,
			       "console output fd %d: %s; dropping the rest of the guest's output",
			       c->out_fd, strerror(errno));
		}
		return false;
	}
	return true;
}

void vm_console_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm_console *c = opaque;
	size_t i;

	for (i = 0; i < len; i++) {
		int r = vm_panic_scan_feed(&c->scan, buf[i]);

		if (r)
			vm_note_panic(c->vm, c->scan.line);
	}
	if (c->out_fd < 0)
		return;
	if (c->out_broken) {
		atomic_fetch_add(&c->dropped, len);
		return;
	}
	write_full(c, buf, len);
}

void vm_console_uart_touched(struct vm_console *c)
{
	if (atomic_load_explicit(&c->in_waiting, memory_order_relaxed) &&
	    atomic_exchange(&c->in_waiting, false))
		vm_console_wake(c);
}

void vm_console_wake(struct vm_console *c)
{
	uint64_t one = 1;
	ssize_t n;

	if (c->wake_fd < 0)
		return;
	/* EAGAIN means the counter is already non-zero: woken anyway. */
	do
		n = write(c->wake_fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static void drain_wake(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void *input_thread(void *arg)
{
	struct vm_console *c = arg;
	uint8_t buf[256];
	size_t have = 0, off = 0;
	bool eof = false;

	while (!atomic_load(&c->vm->ending)) {
		struct pollfd pfd[2] = {
			{ .fd = c->wake_fd, .events = POLLIN },
			{ .fd = c->in_fd, .events = POLLIN },
		};
		int timeout = -1, r;

		if (off < have) {
			/* Announce the wait before offering, so that a guest
			 * read in between still wakes us. */
			atomic_store(&c->in_waiting, true);
			r = mvm_serial_input(c->serial, buf + off, have - off);
			if (r > 0)
				off += (size_t)r;
			if (off < have) {
				timeout = VM_INPUT_RETRY_MS;
				pfd[1].fd = -1;
			} else {
				atomic_store(&c->in_waiting, false);
				off = have = 0;
			}
		}
		if (eof)
			pfd[1].fd = -1;
		if (off == have && eof)
			timeout = -1;

		r = poll(pfd, 2, timeout);
		if (r < 0 && errno != EINTR) {
			vm_log(c->vm, MVM_LOG_WARNING,
			       "console input: poll: %s; input stops",
			       strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			drain_wake(c->wake_fd);
		if (pfd[1].fd >= 0 && pfd[1].revents) {
			ssize_t n = read(c->in_fd, buf, sizeof(buf));

			if (n > 0) {
				have = (size_t)n;
				off = 0;
			} else if (n == 0 ||
				   (errno != EINTR && errno != EAGAIN &&
				    errno != EWOULDBLOCK)) {
				/* End of input (or a lost terminal): the
				 * guest keeps running without it. */
				if (n < 0)
					vm_log(c->vm, MVM_LOG_DEBUG,
					       "console input fd %d: %s; input stops",
					       c->in_fd, strerror(errno));
				eof = true;
			}
		}
	}
	return NULL;
}

int vm_console_start(struct vm_console *c)
{
	sigset_t all, old;
	int ret;

	if (c->in_fd < 0)
		return 0;
	/* Like the vCPU threads, this one takes no process signal. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&c->in_thread, NULL, input_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	c->in_started = true;
	return 0;
}

void vm_console_join(struct vm_console *c)
{
	if (!c->in_started)
		return;
	vm_console_wake(c);
	pthread_join(c->in_thread, NULL);
	c->in_started = false;
}

void vm_console_destroy(struct vm_console *c)
{
	vm_console_join(c);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
}
