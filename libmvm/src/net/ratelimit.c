// SPDX-License-Identifier: Apache-2.0
/*
 * Token buckets (ratelimit.h). Levels are in billionths of a token: one
 * nanosecond at @rate tokens a second adds exactly @rate of them.
 */
#include "ratelimit.h"

#define NANO	1000000000LL

void mvm_tb_init(struct mvm_tb *tb, uint64_t rate, uint64_t min_cap,
		 uint64_t now_ns)
{
	uint64_t cap;

	if (rate > MVM_TB_RATE_MAX)
		rate = MVM_TB_RATE_MAX;
	cap = rate / 10;
	if (cap < min_cap)
		cap = min_cap;
	if (!cap)
		cap = 1;
	tb->rate = rate;
	tb->cap = (__int128)cap * NANO;
	tb->level = tb->cap;
	tb->last_ns = now_ns;
}

bool mvm_tb_ready(struct mvm_tb *tb, uint64_t now_ns)
{
	if (!tb->rate)
		return true;
	if (now_ns > tb->last_ns) {
		tb->level += (__int128)(now_ns - tb->last_ns) * tb->rate;
		if (tb->level > tb->cap)
			tb->level = tb->cap;
		tb->last_ns = now_ns;
	}
	return tb->level >= 0;
}

void mvm_tb_take(struct mvm_tb *tb, uint64_t n)
{
	if (tb->rate)
		tb->level -= (__int128)n * NANO;
}

uint64_t mvm_tb_wait_ns(const struct mvm_tb *tb)
{
	__int128 ns;

	if (!tb->rate || tb->level >= 0)
		return 0;
	/* Round up: after that many nanoseconds the debt is paid. */
	ns = (-tb->level + tb->rate - 1) / tb->rate;
	return ns > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}
