#ifndef SHOAL_COMMON_DETACHED_THREAD_H
#define SHOAL_COMMON_DETACHED_THREAD_H

#include <pthread.h>
#include <stddef.h>

/* Starts fn(arg) on a detached host thread with a stack of `stack` bytes
 * (0: the default). Returns 0 or an errno value, as pthread_create does;
 * the thread's id goes to *out when out is not NULL. */
int thread_start_detached(pthread_t *out, size_t stack, void *(*fn)(void *), void *arg);

#endif
