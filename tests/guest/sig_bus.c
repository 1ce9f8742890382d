/* SIGBUS: an access to the page of a file mapping that lies wholly past
 * the end of the file (private and shared mappings, load and store) is a
 * SIGBUS with si_code BUS_ADRERR and si_addr the address, delivered to a
 * handler that leaves by siglongjmp; the partial last page reads zeroes
 * past the end; after the file grows, the same page reads the new bytes
 * (shared mapping). Without a handler the process dies of SIGBUS. */
#include "guest.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int code;
static volatile void *addr;

static void h_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(jb, sig);
}

/* 1: the access faulted with SIGBUS at p, 0: it did not. */
static int try_access(volatile char *p, int store) {
    code = 0;
    addr = NULL;
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        if (store)
            *p = 1;
        else
            (void)*p;
        return 0;
    }
    return r == SIGBUS && code == BUS_ADRERR && addr == (void *)p ? 1 : -1;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long pg = sysconf(_SC_PAGESIZE);
    char name[] = "sigbus-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    unlink(name);
    char data[100];
    memset(data, 'a', sizeof data);
    CHECK(write(fd, data, sizeof data) == (ssize_t)sizeof data);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);

    const int flags[2] = {MAP_PRIVATE, MAP_SHARED};
    for (int i = 0; i < 2; i++) {
        char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, flags[i], fd, 0);
        CHECK(m != MAP_FAILED);
        printf("%s: byte 99 '%c', byte 100 %d, last byte of page 0 %d\n",
               i ? "MAP_SHARED" : "MAP_PRIVATE", m[99], m[100], m[pg - 1]);
        printf("  load past EOF page: SIGBUS BUS_ADRERR at the address %d\n",
               try_access(m + pg + 8, 0));
        printf("  store past EOF page: SIGBUS BUS_ADRERR at the address %d\n",
               try_access(m + pg + 16, 1));
        munmap(m, 2 * pg);
    }

    /* The file grows: the second page now has bytes. */
    char *m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(ftruncate(fd, pg + 50) == 0);
    CHECK(pwrite(fd, "z", 1, pg + 10) == 1);
    printf("after growing the file: faulted %d, byte %d\n", try_access(m + pg + 10, 0), m[pg + 10]);
    munmap(m, 2 * pg);

    CHECK(ftruncate(fd, 10) == 0);
    pid_t c = fork();
    if (c == 0) {
        signal(SIGBUS, SIG_DFL);
        char *cm = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
        volatile char x = cm[pg + 1];
        (void)x;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("no handler: killed by SIGBUS %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
    close(fd);
    G_DONE();
}
