/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data pattern and checksum of the network selftests, shared by the
 * guest's mvm-net tool (selftests/guest/mvm-net.c) and the test host's
 * side of the tests, so that both agree on what a transfer must carry
 * without shipping it.
 *
 * The pattern: a stream of 64-bit words from xorshift64* (Vigna, "An
 * experimental exploration of Marsaglia's xorshift generators,
 * scrambled", 2016), written little-endian. Seed S starts the state at
 * S * 0x9e3779b97f4a7c15 + 1, so that nearby seeds give unrelated
 * streams and seed 0 works; the one seed for which that is 0 (xorshift's
 * fixed point) uses 0x9e3779b97f4a7c15 instead.
 *
 * The checksum, "nethash": FNV-1a taken a 64-bit little-endian word at a
 * time rather than a byte at a time: h starts at 0xcbf29ce484222325 and
 * each word w makes h = (h ^ w) * 0x100000001b3. A trailing partial word
 * is padded with zero bytes and hashed the same way, and the result is
 * h ^ total length in bytes, so that trailing zero bytes still count. It
 * is printed as 16 lowercase hex digits (MVM_NETHASH_FMT). It is not
 * cryptographic: it catches lost, repeated, reordered or corrupted data.
 *
 * Both are incremental: a stream can be produced or hashed in chunks of
 * any size, with the same result as in one piece. Word-at-a-time loops
 * keep them fast in a guest running under an emulator.
 */
#ifndef MVM_SELFTEST_NETHASH_H
#define MVM_SELFTEST_NETHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MVM_PATTERN_SEED_MUL	0x9e3779b97f4a7c15ULL
#define MVM_NETHASH_BASIS	0xcbf29ce484222325ULL
#define MVM_NETHASH_PRIME	0x100000001b3ULL

/* printf() format of a nethash value, passed as unsigned long long. */
#define MVM_NETHASH_FMT		"%016llx"

/* A little-endian 64-bit word to or from the CPU's byte order. */
static inline uint64_t mvm_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return v;
#else
	return __builtin_bswap64(v);
#endif
}

/*
 * struct mvm_pattern - where a pattern stream stands.
 * @state: the xorshift64* state, never 0
 * @word:  the last word generated, little-endian in memory order
 * @used:  how many of @word's 8 bytes have been handed out (8: none left)
 */
struct mvm_pattern {
	uint64_t state;
	uint64_t word;
	unsigned int used;
};

/* mvm_pattern_init() - start the stream of @seed. */
static inline void mvm_pattern_init(struct mvm_pattern *p, uint64_t seed)
{
	p->state = seed * MVM_PATTERN_SEED_MUL + 1;
	if (!p->state)
		p->state = MVM_PATTERN_SEED_MUL;
	p->word = 0;
	p->used = 8;
}

/* mvm_pattern_next() - the next word of the stream, in CPU byte order. */
static inline uint64_t mvm_pattern_next(struct mvm_pattern *p)
{
	uint64_t x = p->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* mvm_pattern_fill() - write the next @len bytes of the stream to @buf. */
static inline void mvm_pattern_fill(struct mvm_pattern *p, void *buf,
				    size_t len)
{
	unsigned char *out = buf;
	const unsigned char *w;
	uint64_t v;
	size_t n;

	/* The rest of a word a previous call started. */
	if (p->used < 8) {
		w = (const unsigned char *)&p->word;
		n = 8 - p->used;
		if (n > len)
			n = len;
		memcpy(out, w + p->used, n);
		p->used += (unsigned int)n;
		out += n;
		len -= n;
	}
	while (len >= 8) {
		v = mvm_le64(mvm_pattern_next(p));
		memcpy(out, &v, 8);
		out += 8;
		len -= 8;
	}
	if (len) {
		p->word = mvm_le64(mvm_pattern_next(p));
		memcpy(out, &p->word, len);
		p->used = (unsigned int)len;
	}
}

/*
 * struct mvm_nethash - a checksum in progress.
 * @h:     the hash of the whole words so far
 * @len:   bytes taken in so far, @pend included
 * @pend:  the bytes of a word not yet complete
 * @npend: how many bytes @pend holds (0-7)
 */
struct mvm_nethash {
	uint64_t h;
	uint64_t len;
	unsigned char pend[8];
	unsigned int npend;
};

/* mvm_nethash_init() - start a checksum. */
static inline void mvm_nethash_init(struct mvm_nethash *s)
{
	s->h = MVM_NETHASH_BASIS;
	s->len = 0;
	s->npend = 0;
}

/* mvm_nethash_update() - take in the next @len bytes at @buf. */
static inline void mvm_nethash_update(struct mvm_nethash *s, const void *buf,
				      size_t len)
{
	const unsigned char *in = buf;
	uint64_t h = s->h;
	uint64_t w;
	size_t n;

	s->len += len;
	/* Complete a word a previous call started. */
	if (s->npend) {
		n = 8 - s->npend;
		if (n > len)
			n = len;
		memcpy(s->pend + s->npend, in, n);
		s->npend += (unsigned int)n;
		in += n;
		len -= n;
		if (s->npend < 8)
			return;
		memcpy(&w, s->pend, 8);
		h = (h ^ mvm_le64(w)) * MVM_NETHASH_PRIME;
		s->npend = 0;
	}
	while (len >= 8) {
		memcpy(&w, in, 8);
		h = (h ^ mvm_le64(w)) * MVM_NETHASH_PRIME;
		in += 8;
		len -= 8;
	}
	memcpy(s->pend, in, len);
	s->npend = (unsigned int)len;
	s->h = h;
}

/*
 * mvm_nethash_final() - the checksum of everything taken in so far. @s is
 * left as it was: more data may follow.
 */
static inline uint64_t mvm_nethash_final(const struct mvm_nethash *s)
{
	uint64_t h = s->h;
	uint64_t w = 0;

	if (s->npend) {
		memcpy(&w, s->pend, s->npend);
		h = (h ^ mvm_le64(w)) * MVM_NETHASH_PRIME;
	}
	return h ^ s->len;
}

/* mvm_nethash() - the checksum of @len bytes at @buf, in one call. */
static inline uint64_t mvm_nethash(const void *buf, size_t len)
{
	struct mvm_nethash s;

	mvm_nethash_init(&s);
	mvm_nethash_update(&s, buf, len);
	return mvm_nethash_final(&s);
}

#endif /* MVM_SELFTEST_NETHASH_H */
