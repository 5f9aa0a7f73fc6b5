// SPDX-License-Identifier: GPL-2.0
/*
 * ttydrain: wait until everything written to a terminal has been sent.
 *
 * The test hosts' init runs it before powering off: their console is an
 * emulated UART, and output still queued in the tty when the machine
 * powers off is lost. busybox has no applet for tcdrain().
 *
 *   ttydrain [DEVICE]     (default /dev/console)
 */
#include <fcntl.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/console";
	int fd = open(dev, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		perror(dev);
		return 1;
	}
	if (tcdrain(fd)) {
		perror("tcdrain");
		return 1;
	}
	close(fd);
	return 0;
}
