#ifndef SHOAL_COMMON_DETACHED_THREAD_H
#define SHOAL_COMMON_DETACHED_THREAD_H

#include <pthread.h>
#include <stddef.h>

/* Starts fn(arg) on a detached host thread with a stack of `stack` bytes
 * (0: the default). Returns 0 or an errno value, as pthread_create does;
 * the thread's id goes to *out when out is not NULL. */
int thread_start_detached(pthread_t *out, size_t stack, void *(*fn)(void *), void *arg);

/* Before a thread ends with pthread_exit: the first pthread_exit of a
 * process makes host glibc load libgcc_s.so.1 for its unwinder, which
 * opens files, so for a moment the exiting thread holds the lowest free
 * descriptor. A guest thread that another already joined (its
 * CLONE_CHILD_CLEARTID wake comes first) must not: a guest open or dup
 * racing it would get the next number (tests/guest/sig_bus_threads'
 * dup, once in 60 runs). Loads the library once, with nothing else
 * changed when glibc later finds it loaded. cli/main.c calls it before
 * any guest runs; the calls at a clone and an exit are for embedders
 * that do not. Best called while a single guest thread exists: a fork
 * racing the load would leave the child with the loader's lock held. */
void thread_exit_prepare(void);

#endif
