/*
 * examples/c/install.c: load a filter that moat compiled into a C header.
 *
 *     make            # moat build policy.moat --emit c -o policy.h; cc install.c
 *     ./install
 *
 * policy.h defines, for profile `demo`:
 *     moat_demo_filter   the struct sock_filter array
 *     moat_demo_prog     the struct sock_fprog that points at it
 *     MOAT_DEMO_FLAGS    the SECCOMP_FILTER_FLAG_* to load it with
 *
 * After loading, the program makes a few calls and prints what the filter
 * made of each (it writes with write(2) only: the policy denies almost
 * everything else, including the allocations stdio might make).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"

static void report(const char *call, long ret)
{
	char line[96];
	int n;

	if (ret < 0)
		n = snprintf(line, sizeof line, "%s = -1 errno %d\n", call, errno);
	else
		n = snprintf(line, sizeof line, "%s = ok\n", call);
	if (n > 0 && write(1, line, (size_t)n) != n)
		_exit(3);
}

int main(void)
{
	/* Unprivileged processes may install a filter only with this set. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("prctl(PR_SET_NO_NEW_PRIVS)");
		return 1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, MOAT_DEMO_FLAGS,
		    &moat_demo_prog) < 0) {
		perror("seccomp(SECCOMP_SET_MODE_FILTER)");
		return 1;
	}

	report("getppid()", syscall(SYS_getppid));        /* allowed */
	report("getpid()", syscall(SYS_getpid));          /* default: EPERM */
	report("dup(1)", syscall(SYS_dup, 1));            /* allowed */
	report("dup(5)", syscall(SYS_dup, 5));            /* EACCES */
	report("dup(7)", syscall(SYS_dup, 7));            /* default: EPERM */
	report("umask(022)", syscall(SYS_umask, 022));    /* allowed */
	report("umask(04022)", syscall(SYS_umask, 04022)); /* ENOSYS */
	return 0;
}
