// SPDX-License-Identifier: Apache-2.0
/*
 * LeakSanitizer for the unit tests. The kselftest harness runs each test
 * in a child that ends with _exit(), which skips the leak check
 * LeakSanitizer would do at exit(). The tests are linked with
 * -Wl,--wrap=_exit, so the harness's _exit() comes here first: a test
 * that passed but leaked fails (exit status 1, the harness's "step 1").
 */
#include <sanitizer/lsan_interface.h>

void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
	if (__lsan_do_recoverable_leak_check() && status == 0)
		status = 1;
	__real__exit(status);
}
