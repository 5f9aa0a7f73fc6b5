// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-pattern: write a reproducible pseudo-random byte stream.
 *
 *   mvm-pattern SEED BYTES
 *
 * The guest's disk test writes a file of this content through virtio-blk
 * and the test host checks the disk image against the same stream: both
 * run this program, so both agree on what the file must hold without
 * shipping it. The generator is xorshift64* (Vigna, "An experimental
 * exploration of Marsaglia's xorshift generators, scrambled", 2016),
 * written out as little-endian 64-bit words; a seed of 0 is replaced by
 * a fixed non-zero constant, which xorshift needs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -1 : 0;
}

static int write_all(const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long seed, left;
	unsigned char buf[65536];
	uint64_t x;

	if (argc != 3 || parse_u64(argv[1], &seed) ||
	    parse_u64(argv[2], &left)) {
		fprintf(stderr, "usage: mvm-pattern SEED BYTES\n");
		return 2;
	}
	x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	while (left) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);
		size_t i;

		for (i = 0; i < n; i += 8) {
			uint64_t r;
			unsigned int b;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			r = x * 0x2545f4914f6cdd1dULL;
			for (b = 0; b < 8 && i + b < n; b++)
				buf[i + b] = (unsigned char)(r >> (8 * b));
		}
		if (write_all(buf, n)) {
			perror("mvm-pattern: write");
			return 1;
		}
		left -= n;
	}
	return 0;
}
