// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-net: the guest's end of the network selftests' TCP transfers.
 *
 *   mvm-net send HOST PORT BYTES SEED
 *   mvm-net recv HOST PORT BYTES
 *
 * Both connect over TCP to HOST:PORT (an IPv4 address in dotted form),
 * retrying once a second for up to 30 s while the connection is refused,
 * the network or host is unreachable or the attempt times out (the peer
 * may start listening after the guest is up).
 *
 * send writes BYTES bytes of the pattern seeded SEED (mvm_nethash.h),
 * shuts its side down and waits for the peer to close the connection,
 * so that the time covers the peer receiving everything. recv reads
 * until the peer closes. Either then prints one line on stdout:
 *
 *   bytes=N hash=HHHHHHHHHHHHHHHH ms=T
 *
 * N the bytes sent or received, HASH their nethash (16 lowercase hex
 * digits), T the milliseconds from the connection being established to
 * the peer's close. It exits 0, or 1 on an error (one "error: ..." line
 * on stderr; recv still prints its line when it received a number of
 * bytes other than BYTES), or 2 on bad arguments.
 *
 * Meant to run inside a guest under an emulated CPU (Bochs runs some 50
 * million instructions a second): the pattern and the hash go a 64-bit
 * word at a time, and data moves in 256 KiB system calls. Linked
 * statically: the guest initramfs has no C library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mvm_nethash.h"

#define CHUNK		(256 * 1024)
#define CONNECT_SECS	30

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: mvm-net send HOST PORT BYTES SEED\n"
			"       mvm-net recv HOST PORT BYTES\n");
	exit(2);
}

static unsigned long long parse_u64(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage();
	return v;
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Errors that mean "not yet": the peer or the route may still come. */
static int retryable(int err)
{
	return err == ECONNREFUSED || err == ENETUNREACH ||
	       err == EHOSTUNREACH || err == ETIMEDOUT;
}

/*
 * One connection attempt, given up at @deadline (ms). Returns a blocking
 * connected socket, or -1 with the reason in *@err.
 */
static int try_connect(const struct sockaddr_in *sa, long long deadline,
		       int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(*err);
	long long left;
	int fd, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	*err = 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			left = deadline - now_ms();
			if (left <= 0) {
				*err = ETIMEDOUT;
				goto fail;
			}
			r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
			die("getsockopt: %s", strerror(errno));
		if (*err)
			goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	return fd;
fail:
	close(fd);
	return -1;
}

/* Connect to @host:@port, retrying for up to CONNECT_SECS seconds. */
static int connect_retry(const char *host, const char *port)
{
	long long deadline = now_ms() + CONNECT_SECS * 1000LL;
	unsigned long long p = parse_u64(port);
	struct sockaddr_in sa;
	long long start;
	int fd, err;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("'%s' is not an IPv4 address", host);
	if (!p || p > 65535)
		die("'%s' is not a port", port);
	sa.sin_port = htons((uint16_t)p);
	for (;;) {
		start = now_ms();
		fd = try_connect(&sa, deadline, &err);
		if (fd >= 0)
			return fd;
		/* Once a second: a refusal comes back at once. */
		if (!retryable(err) || start + 1000 >= deadline)
			die("connect to %s:%s: %s", host, port, strerror(err));
		sleep_ms(start + 1000 - now_ms());
	}
}

static void send_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("send: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Read at most @n bytes; 0 at the peer's close. */
static size_t read_some(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	for (;;) {
		r = read(fd, p, n);
		if (r >= 0)
			return (size_t)r;
		if (errno != EINTR)
			die("read: %s", strerror(errno));
	}
}

static void report(unsigned long long bytes, const struct mvm_nethash *h,
		   long long ms)
{
	printf("bytes=%llu hash=" MVM_NETHASH_FMT " ms=%lld\n", bytes,
	       (unsigned long long)mvm_nethash_final(h), ms);
	if (fflush(stdout) || ferror(stdout))
		die("writing to stdout: %s", strerror(errno));
}

static int do_send(int fd, unsigned long long bytes, unsigned long long seed,
		   unsigned char *buf)
{
	unsigned long long left = bytes;
	struct mvm_pattern pat;
	struct mvm_nethash h;
	long long start = now_ms();
	size_t n;

	mvm_pattern_init(&pat, seed);
	mvm_nethash_init(&h);
	while (left) {
		n = left < CHUNK ? (size_t)left : CHUNK;
		mvm_pattern_fill(&pat, buf, n);
		mvm_nethash_update(&h, buf, n);
		send_all(fd, buf, n);
		left -= n;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown: %s", strerror(errno));
	/* The peer closes once it has read everything; it sends nothing. */
	while (read_some(fd, buf, CHUNK))
		;
	report(bytes, &h, now_ms() - start);
	return 0;
}

static int do_recv(int fd, unsigned long long bytes, unsigned char *buf)
{
	unsigned long long got = 0;
	struct mvm_nethash h;
	long long start = now_ms();
	size_t n;

	mvm_nethash_init(&h);
	while ((n = read_some(fd, buf, CHUNK))) {
		mvm_nethash_update(&h, buf, n);
		got += n;
	}
	report(got, &h, now_ms() - start);
	if (got != bytes)
		die("received %llu bytes, expected %llu", got, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long bytes, seed = 0;
	unsigned char *buf;
	int send_mode, fd, ret;

	if (argc < 2)
		usage();
	send_mode = !strcmp(argv[1], "send");
	if (send_mode ? argc != 6 : strcmp(argv[1], "recv") || argc != 5)
		usage();
	bytes = parse_u64(argv[4]);
	if (send_mode)
		seed = parse_u64(argv[5]);
	buf = malloc(CHUNK);
	if (!buf)
		die("out of memory");
	fd = connect_retry(argv[2], argv[3]);
	ret = send_mode ? do_send(fd, bytes, seed, buf) : do_recv(fd, bytes, buf);
	close(fd);
	free(buf);
	return ret;
}
