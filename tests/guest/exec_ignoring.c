/* exec_ignoring SIG[,SIG...] PROGRAM [ARGS...]: runs PROGRAM with those
 * signals ignored, as a parent can leave them (ignored signals survive
 * exec). Raw rt_sigaction: glibc refuses 32 and 33, its own. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SIG[,SIG...] PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    struct ksigaction ign = {.handler = (void *)1}; /* SIG_IGN */
    for (char *p = argv[1]; *p;) {
        char *end;
        long sig = strtol(p, &end, 10);
        if (end == p || syscall(SYS_rt_sigaction, (int)sig, &ign, NULL, 8) != 0) {
            fprintf(stderr, "exec_ignoring: cannot ignore signal '%s'\n", p);
            return 2;
        }
        p = *end == ',' ? end + 1 : end;
    }
    execv(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
}
