// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the token buckets of virtio-net's rate limiter
 * (src/net/ratelimit.c): pure arithmetic on a simulated clock, so every
 * expectation is exact or follows from the bucket's definition (rate R
 * a second, capacity max(R/10, min_cap), ready while not in debt).
 */
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "net/ratelimit.h"

#define NS	1000000000ULL
#define T0	123456789ULL	/* an arbitrary start of the clock */

TEST(unlimited_always_ready)
{
	struct mvm_tb tb;
	uint64_t t;

	mvm_tb_init(&tb, 0, 1500, T0);
	for (t = T0; t < T0 + 10; t++) {
		EXPECT_TRUE(mvm_tb_ready(&tb, t));
		mvm_tb_take(&tb, UINT64_MAX);
		EXPECT_EQ(0, mvm_tb_wait_ns(&tb));
	}
	/* Even at the same instant, or with the clock going back. */
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));
	EXPECT_TRUE(mvm_tb_ready(&tb, 0));
	EXPECT_EQ(0, mvm_tb_wait_ns(&tb));
}

TEST(starts_full_with_cap)
{
	struct mvm_tb tb;

	/* R/10 above min_cap: the cap is R/10. */
	mvm_tb_init(&tb, 1000000, 1500, T0);
	EXPECT_EQ(1000000, tb.rate);
	ASSERT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 100000);		/* exactly the cap */
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));	/* empty, not in debt */
	EXPECT_EQ(0, mvm_tb_wait_ns(&tb));
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0));

	/* min_cap above R/10: the cap is min_cap. */
	mvm_tb_init(&tb, 10000, 1500, T0);
	ASSERT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 1500);
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0));

	/* A full bucket stays at its cap however long it idles. */
	mvm_tb_init(&tb, 1000000, 1500, T0);
	ASSERT_TRUE(mvm_tb_ready(&tb, T0 + 3600 * NS));
	mvm_tb_take(&tb, 100000);
	EXPECT_TRUE(mvm_tb_ready(&tb, T0 + 3600 * NS));
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0 + 3600 * NS));

	/* Rate 5, min_cap 0: the cap is never 0 tokens. */
	mvm_tb_init(&tb, 5, 0, T0);
	mvm_tb_take(&tb, 1);
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0));
}

TEST(debt_not_ready)
{
	struct mvm_tb tb;

	mvm_tb_init(&tb, 1000, 100, T0);	/* cap 100 */
	ASSERT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 60);
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, 60);			/* 20 tokens of debt */
	EXPECT_FALSE(mvm_tb_ready(&tb, T0));
	EXPECT_NE(0, mvm_tb_wait_ns(&tb));
	/* 20 tokens at 1000/s: 20 ms. */
	EXPECT_FALSE(mvm_tb_ready(&tb, T0 + 20 * 1000000ULL - 1));
	EXPECT_TRUE(mvm_tb_ready(&tb, T0 + 20 * 1000000ULL));
	/* The clock going back changes nothing. */
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0));
	EXPECT_EQ(1000000, mvm_tb_wait_ns(&tb));
}

/* wait_ns is exact: not ready one ns before, ready at it. */
static void check_wait_exact(struct __test_metadata *_metadata,
			     uint64_t rate, uint64_t min_cap, uint64_t debt,
			     uint64_t now)
{
	struct mvm_tb tb, before;
	uint64_t w;

	mvm_tb_init(&tb, rate, min_cap, now);
	EXPECT_TRUE(mvm_tb_ready(&tb, now));
	mvm_tb_take(&tb, (uint64_t)(tb.cap / NS) + debt);
	EXPECT_FALSE(mvm_tb_ready(&tb, now));
	w = mvm_tb_wait_ns(&tb);
	EXPECT_LT(0, w);
	before = tb;
	EXPECT_FALSE(mvm_tb_ready(&before, now + w - 1)) {
		TH_LOG("rate %llu debt %llu: ready 1 ns before the %llu ns",
		       (unsigned long long)rate, (unsigned long long)debt,
		       (unsigned long long)w);
	}
	EXPECT_EQ(1, mvm_tb_wait_ns(&before));
	EXPECT_TRUE(mvm_tb_ready(&tb, now + w)) {
		TH_LOG("rate %llu debt %llu: not ready after %llu ns",
		       (unsigned long long)rate, (unsigned long long)debt,
		       (unsigned long long)w);
	}
	EXPECT_EQ(0, mvm_tb_wait_ns(&tb));
}

TEST(wait_ns_exact)
{
	static const struct { uint64_t rate, min_cap, debt; } c[] = {
		{ 1, 1, 1 },
		{ 3, 1, 1 },			/* 1/3 s: rounds up */
		{ 7, 0, 5 },
		{ 1000, 100, 20 },
		{ 12345, 1500, 1499 },
		{ 1000000, 65536, 65536 },
		{ 999999937, 1, 1 },		/* a prime rate */
		{ 1000000000, 1, 1 },		/* 1 ns a token */
		{ 1000000000, 1, 3 },
		{ 3000000000ULL, 1, 1 },	/* less than 1 ns a token */
		{ MVM_TB_RATE_MAX, 1, 1 },
		{ MVM_TB_RATE_MAX, 1, 123456789 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		check_wait_exact(_metadata, c[i].rate, c[i].min_cap, c[i].debt,
				 T0 + i * 7);
	check_wait_exact(_metadata, 10, 1, 1, 0);	/* at clock 0 */
}

/*
 * A sender that sends a frame of @size whenever the bucket is ready,
 * polling every @step ns (0: jumping to exactly when wait_ns says),
 * for @secs seconds. Return: bytes sent.
 */
static uint64_t simulate(uint64_t rate, uint64_t min_cap, uint64_t size,
			 uint64_t step, unsigned int secs)
{
	uint64_t t = T0, end = T0 + secs * NS, sent = 0, w;
	struct mvm_tb tb;

	mvm_tb_init(&tb, rate, min_cap, t);
	while (t <= end) {
		if (mvm_tb_ready(&tb, t)) {
			mvm_tb_take(&tb, size);
			sent += size;
			continue;
		}
		w = mvm_tb_wait_ns(&tb);
		t += step ? step : w;
	}
	return sent;
}

TEST(long_run_rate)
{
	static const struct { uint64_t rate, min_cap, size, step; } c[] = {
		{ 1000000, 1500, 1500, 0 },
		{ 1000000, 1500, 1500, 100000 },	/* polled: 100 us */
		{ 1000000, 1500, 1500, 1000000 },	/* polled: 1 ms */
		{ 12500000, 65536, 1500, 0 },		/* 100 Mbit/s */
		{ 125000000, 65536, 1500, 0 },		/* 1 Gbit/s */
		{ 20000, 1500, 1500, 0 },		/* cap = min_cap */
		{ 20000, 1500, 1500, 333333 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t cap = c[i].rate / 10 > c[i].min_cap ?
			       c[i].rate / 10 : c[i].min_cap;
		uint64_t ideal = c[i].rate * 10 + cap;
		uint64_t sent = simulate(c[i].rate, c[i].min_cap, c[i].size,
					 c[i].step, 10);
		uint64_t diff = sent > ideal ? sent - ideal : ideal - sent;

		EXPECT_LE(diff, ideal / 100) {
			TH_LOG("case %u: sent %llu bytes in 10 s, ideal %llu",
			       i, (unsigned long long)sent,
			       (unsigned long long)ideal);
		}
		/* Never more than the ideal and the one frame in debt. */
		EXPECT_LE(sent, ideal + c[i].size) {
			TH_LOG("case %u: sent %llu > %llu + one frame", i,
			       (unsigned long long)sent,
			       (unsigned long long)ideal);
		}
	}
}

TEST(frame_larger_than_cap)
{
	struct mvm_tb tb;
	uint64_t t = T0, sent = 0, frames = 0;

	mvm_tb_init(&tb, 1000, 100, t);		/* cap 100 tokens */
	/* A full bucket lets a 5000-token frame through at once... */
	ASSERT_TRUE(mvm_tb_ready(&tb, t));
	mvm_tb_take(&tb, 5000);
	/* ...and then the 4900 of debt take 4.9 s to pay back. */
	EXPECT_EQ(4900 * 1000000ULL, mvm_tb_wait_ns(&tb));
	EXPECT_FALSE(mvm_tb_ready(&tb, t + 4900 * 1000000ULL - 1));
	EXPECT_TRUE(mvm_tb_ready(&tb, t + 4900 * 1000000ULL));

	/* Such frames never starve: over 100 s the rate still holds. */
	mvm_tb_init(&tb, 1000, 100, t);
	while (t <= T0 + 100 * NS) {
		if (mvm_tb_ready(&tb, t)) {
			mvm_tb_take(&tb, 5000);
			sent += 5000;
			frames++;
			continue;
		}
		t += mvm_tb_wait_ns(&tb);
	}
	EXPECT_LE(100 * 1000 + 100, sent);
	EXPECT_GE(100 * 1000 + 100 + 5000, sent);
	EXPECT_EQ(21, frames);
}

TEST(rate_clamped)
{
	struct mvm_tb tb;

	mvm_tb_init(&tb, UINT64_MAX, 1, T0);
	EXPECT_EQ(MVM_TB_RATE_MAX, tb.rate);
	mvm_tb_init(&tb, MVM_TB_RATE_MAX + 1, 1, T0);
	EXPECT_EQ(MVM_TB_RATE_MAX, tb.rate);
	mvm_tb_init(&tb, MVM_TB_RATE_MAX, 1, T0);
	EXPECT_EQ(MVM_TB_RATE_MAX, tb.rate);
	/* The clamped bucket behaves as one of MVM_TB_RATE_MAX: its cap
	 * is a tenth of a second of it. */
	mvm_tb_init(&tb, UINT64_MAX, 1, T0);
	mvm_tb_take(&tb, MVM_TB_RATE_MAX / 10);
	EXPECT_TRUE(mvm_tb_ready(&tb, T0));
	mvm_tb_take(&tb, MVM_TB_RATE_MAX);		/* 1 s of debt */
	EXPECT_EQ(NS, mvm_tb_wait_ns(&tb));
}

TEST(no_overflow)
{
	uint64_t t = T0, big = UINT64_MAX / 2, w;
	struct mvm_tb tb;
	int i;

	/* Rate 10^12 (cap 10^11 tokens), idling for centuries. */
	mvm_tb_init(&tb, MVM_TB_RATE_MAX, 1, t);
	for (i = 0; i < 4; i++) {
		t += big / 4;			/* ~73 years each */
		ASSERT_TRUE(mvm_tb_ready(&tb, t));
		mvm_tb_take(&tb, MVM_TB_RATE_MAX / 10);
		EXPECT_TRUE(mvm_tb_ready(&tb, t));	/* was exactly full */
		mvm_tb_take(&tb, 1);
		EXPECT_FALSE(mvm_tb_ready(&tb, t));
		EXPECT_EQ(1, mvm_tb_wait_ns(&tb));	/* 1 token: 1 ps */
	}
	/* The largest gap the clock can show, from 0 to UINT64_MAX. */
	mvm_tb_init(&tb, MVM_TB_RATE_MAX, 1, 0);
	mvm_tb_take(&tb, UINT64_MAX);
	EXPECT_FALSE(mvm_tb_ready(&tb, 0));
	EXPECT_TRUE(mvm_tb_ready(&tb, UINT64_MAX));
	mvm_tb_take(&tb, MVM_TB_RATE_MAX / 10);
	EXPECT_TRUE(mvm_tb_ready(&tb, UINT64_MAX));
	mvm_tb_take(&tb, 1);
	EXPECT_FALSE(mvm_tb_ready(&tb, UINT64_MAX));

	/* A huge debt: the wait is exact, or saturates. */
	mvm_tb_init(&tb, MVM_TB_RATE_MAX, 1, T0);
	mvm_tb_take(&tb, MVM_TB_RATE_MAX / 10);
	mvm_tb_take(&tb, UINT64_MAX);
	w = mvm_tb_wait_ns(&tb);
	/* ceil((2^64 - 1) / 1000) ns. */
	EXPECT_EQ(UINT64_MAX / 1000 + 1, w);
	mvm_tb_init(&tb, 1, 1, T0);
	mvm_tb_take(&tb, 1);
	mvm_tb_take(&tb, UINT64_MAX);		/* 2^64 - 1 s of debt */
	EXPECT_FALSE(mvm_tb_ready(&tb, T0 + NS));
	EXPECT_EQ(UINT64_MAX, mvm_tb_wait_ns(&tb));
	/* Many takes without a refill keep adding up. */
	mvm_tb_init(&tb, MVM_TB_RATE_MAX, 1, T0);
	for (i = 0; i < 1000; i++)
		mvm_tb_take(&tb, UINT64_MAX);
	EXPECT_FALSE(mvm_tb_ready(&tb, T0 + NS));
	EXPECT_LT(0, mvm_tb_wait_ns(&tb));
}

TEST_HARNESS_MAIN
