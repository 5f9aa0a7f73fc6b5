# SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
# Shared by the Makefiles that run libFuzzer targets (kmod/x86/tests,
# libmvm): $(call fuzz_run,NAME) runs $(O)/fuzz/NAME_fuzz for
# $(FUZZ_SECONDS) on the corpus $(O)/fuzz/corpus/NAME and the seeds
# $(O)/fuzz/seeds/NAME, and prints one MVM-RESULT line (see
# selftests/testhost/summary.awk).
# Run one target; prints its MVM-RESULT line and keeps its log, corpus
# and any crash artifact under $(O)/fuzz.
#   $(1): the target's name
define fuzz_run
	d=$(O)/fuzz; log=$$d/$(1).log; mkdir -p $$d/corpus/$(1) $$d/artifacts; \
	if $$d/$(1)_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-max_len=20480 -use_value_profile=1 -print_final_stats=0 \
		-artifact_prefix=$$d/artifacts/$(1)- \
		$$d/corpus/$(1) $$d/seeds/$(1) > $$log 2>&1; then \
		set -- $$(grep -E '^Done [0-9]+ runs in [0-9]+ second' $$log | \
			tail -n 1); \
		if [ $$# -ge 5 ]; then \
			echo "MVM-RESULT ok fuzz_$(1) $$2 execs in $$5s"; \
			echo "fuzz_$(1): $$2 execs in $$5s, log $$log" >&2; \
		else \
			echo "MVM-RESULT fail fuzz_$(1) no summary in $$log"; \
		fi; \
	else \
		why=$$(grep -m 1 -E 'INVARIANT|ERROR:|runtime error|SUMMARY:' \
			$$log | sed 's/^==[0-9]*== *//'); \
		art=$$(sed -n 's/.*Test unit written to //p' $$log | \
			head -n 1); \
		echo "MVM-RESULT fail fuzz_$(1) $${why:-exited non-zero}" \
			"(artifact $${art:-none}, log $$log)"; \
	fi
endef
