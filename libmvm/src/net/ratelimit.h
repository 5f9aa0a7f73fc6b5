/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token buckets for virtio-net's rate limiter: internal to libmvm.
 *
 * A bucket fills at @rate tokens a second up to @cap tokens. A user
 * asks mvm_tb_ready() before it sends (or reads) one frame and then
 * takes what the frame cost with mvm_tb_take(), which may leave the
 * bucket in debt: a frame larger than the bucket still passes once the
 * bucket is full, and the long-run rate stays exact because the debt is
 * paid back before the next frame. A bucket with @rate 0 never limits.
 *
 * Tokens are kept in billionths (a token per second is one per
 * nanosecond in those units), so refills lose nothing to rounding.
 * Pure arithmetic on a caller-supplied clock (CLOCK_MONOTONIC ns): no
 * locking, no system calls; each bucket belongs to one thread.
 */
#ifndef MVM_NET_RATELIMIT_H
#define MVM_NET_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Largest rate accepted: 10^12 tokens a second (8 Tbit/s in bytes). */
#define MVM_TB_RATE_MAX		1000000000000ULL

struct mvm_tb {
	uint64_t rate;		/* tokens a second; 0: unlimited */
	__int128 cap;		/* in billionths of a token */
	__int128 level;		/* may be negative: debt */
	uint64_t last_ns;	/* clock of the last refill */
};

/*
 * mvm_tb_init() - a full bucket of @rate tokens a second holding a
 * tenth of a second's worth, and at least @min_cap tokens (the largest
 * single cost, so that a full bucket always lets one through).
 * @rate above MVM_TB_RATE_MAX is clamped to it.
 */
void mvm_tb_init(struct mvm_tb *tb, uint64_t rate, uint64_t min_cap,
		 uint64_t now_ns);

/* mvm_tb_ready() - refill up to @now_ns; true when the bucket is not
 * in debt (or unlimited). */
bool mvm_tb_ready(struct mvm_tb *tb, uint64_t now_ns);

/* mvm_tb_take() - spend @n tokens (after mvm_tb_ready() said yes). */
void mvm_tb_take(struct mvm_tb *tb, uint64_t n);

/*
 * mvm_tb_wait_ns() - nanoseconds from the last refill (the clock given
 * to the last mvm_tb_ready()) until the bucket is out of debt: 0 when
 * it is, or is unlimited.
 */
uint64_t mvm_tb_wait_ns(const struct mvm_tb *tb);

#endif /* MVM_NET_RATELIMIT_H */
