# SPDX-License-Identifier: GPL-2.0
# Read a test host's serial console log (see ./init for its framing) and
# print one line per test case, the failures' details, and a last line
#   TESTHOST <host> passed=N failed=M skipped=K
# Exit status: 0 when nothing failed and the suite reached its end.
#
# Within a selftest program, results are the kselftest harness's KTAP
# lines ("ok N name", "not ok N name", "ok N # SKIP reason"); the name of
# a skipped case comes from the harness's preceding "RUN" line.

function record(status, name, why) {
	if (status == "ok")
		passed++
	else if (status == "skip")
		skipped++
	else
		failed++
	printf "  %-4s %s%s\n", (status == "ok" ? "PASS" : \
				 status == "skip" ? "SKIP" : "FAIL"), \
		name, (why == "" ? "" : "  (" why ")")
}

BEGIN { passed = failed = skipped = 0; intest = ""; ended = 0 }

{ sub(/\r$/, "") }

/^MVM-BEGIN / { intest = $2; cases = 0; bad = 0; run = ""; next }

/^MVM-END / {
	# A program that died before reporting every case, or exited
	# non-zero with no failing case, failed as a whole.
	if ($3 != 0 && bad == 0)
		record("fail", $2, "exited with status " $3 \
		       ($3 == 143 ? " (timed out)" : ""))
	else if (cases == 0 && $3 == 0)
		record("fail", $2, "reported no test case")
	intest = ""
	next
}

/^MVM-RESULT / {
	status = $2; name = $3
	$1 = $2 = $3 = ""
	sub(/^ +/, "")
	record(status, host "." name, status == "ok" ? "" : $0)
	next
}

/^MVM-SUITE-END/ { ended = 1; next }

intest != "" && /^# +RUN +/ { run = $3; detail = ""; next }

intest != "" && /^ok [0-9]+ # SKIP/ {
	cases++
	why = $0
	sub(/^ok [0-9]+ # SKIP */, "", why)
	record("skip", intest "." run, why)
	next
}

intest != "" && /^ok [0-9]+ / {
	cases++
	record("ok", intest "." $3, "")
	next
}

intest != "" && /^not ok [0-9]+ / {
	cases++; bad++
	record("fail", intest "." $4, "")
	printf "%s", detail
	next
}

# The harness's own log lines of the running case, shown if it fails.
intest != "" && /^#/ { detail = detail "       " $0 "\n"; next }

END {
	if (!ended)
		record("fail", host ".suite_completed",
		       "the console never showed MVM-SUITE-END")
	printf "TESTHOST %s passed=%d failed=%d skipped=%d\n", host, passed,
	       failed, skipped
	exit failed ? 1 : 0
}
