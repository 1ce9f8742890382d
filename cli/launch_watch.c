/* `shoal run --hosts`: an ssh client that ends before the cluster is
 * ready means its slave never came (host unreachable, login refused, no
 * shoal there, the key copy failed), so the run ends at once instead of
 * waiting out the join timeout. One thread per ssh client waits for it
 * with WNOWAIT, leaving it for the master to reap. */
#define _GNU_SOURCE
#include "cli/launch_watch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "common/detached_thread.h"
#include "master/master.h"

struct launch_watch {
    struct master *m;
    atomic_bool stopped, ending; /* ending: one watcher speaks */
};

struct watch_one {
    struct launch_watch *w;
    pid_t pid;
    const char *host;
};

static void *watch_thread(void *arg) {
    struct watch_one *o = arg;
    siginfo_t si = {0};
    while (waitid(P_PID, (id_t)o->pid, &si, WEXITED | WNOWAIT) < 0)
        if (errno != EINTR) return NULL;
    if (atomic_load(&o->w->stopped) || atomic_exchange(&o->w->ending, true)) return NULL;
    if (si.si_code == CLD_EXITED)
        fprintf(stderr, "shoal: ssh to %s ended (status %d) before its slave joined\n", o->host,
                si.si_status);
    else
        fprintf(stderr, "shoal: ssh to %s died of signal %d before its slave joined\n", o->host,
                si.si_status);
    master_abort(o->w->m, 1);
}

struct launch_watch *launch_watch_start(struct master *m, const pid_t *pids, char *const *hosts,
                                        size_t n) {
    struct launch_watch *w = calloc(1, sizeof *w);
    struct watch_one *ones = calloc(n ? n : 1, sizeof *ones);
    if (!w || !ones) {
        free(w);
        free(ones);
        return NULL;
    }
    w->m = m;
    atomic_init(&w->stopped, false);
    atomic_init(&w->ending, false);
    /* the watchers take no signal: process-directed ones are the guest's */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < n; i++) {
        ones[i] = (struct watch_one){.w = w, .pid = pids[i], .host = hosts[i]};
        if (pids[i] > 0) thread_start_detached(NULL, 64 * 1024, watch_thread, &ones[i]);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return w;
}

void launch_watch_stop(struct launch_watch *w) {
    if (w) atomic_store(&w->stopped, true);
}
