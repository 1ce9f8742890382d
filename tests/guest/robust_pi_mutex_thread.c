/* robust_mutex_thread.c with priority-inheritance robust mutexes
 * (PTHREAD_PRIO_INHERIT: glibc's PI futex ops; at the owner's death the
 * kernel hands the lock to a waiter with FUTEX_OWNER_DIED set, in a
 * cluster the master's futex table does). */
#define ROBUST_PI 1
#include "robust_mutex_thread.c"
