/* Host helper for run_guest_test.sh: run a command, wait for it, and write
 * its fate to a file as one line: "exit N", "signal NAME" or "timeout".
 * A shell cannot tell "exit 134" from "killed by SIGABRT"; this can.
 *
 *   guest_exec STATUS_FILE TIMEOUT_SECONDS CMD [ARGS...]
 *
 * stdin/stdout/stderr are inherited. On timeout the command's whole
 * process group gets SIGKILL. Exit status of guest_exec itself: 0 when the
 * status file was written, 2 on usage or system errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s STATUS_FILE TIMEOUT_S CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    double timeout = atof(argv[2]);
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* qemu and shoal must not drop core files */

    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* Signals ignored by our caller would be inherited as ignored. */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "guest_exec: cannot run %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int st = 0, timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (timeout > 0 && el > timeout) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            timed_out = 1;
            break;
        }
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    /* Reap stragglers left in the group (threads of a dying emulator). */
    kill(-pid, SIGKILL);

    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    if (timed_out)
        fprintf(f, "timeout\n");
    else if (WIFEXITED(st))
        fprintf(f, "exit %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st) && sigabbrev_np(WTERMSIG(st)))
        fprintf(f, "signal %s\n", sigabbrev_np(WTERMSIG(st)));
    else if (WIFSIGNALED(st))
        fprintf(f, "signal %d\n", WTERMSIG(st)); /* real-time signals have no name */
    else
        fprintf(f, "unknown 0x%x\n", st);
    fclose(f);
    return 0;
}
