/* The guest's clocks (guest_clock.h). */
#include "syscall/guest_clock.h"

#include <stdint.h>

int64_t guest_clock_offset(const struct guest_clock *gc, clockid_t id) {
    switch (id) {
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
        return atomic_load_explicit(&gc->monotonic_ns, memory_order_relaxed);
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM: return atomic_load_explicit(&gc->boottime_ns, memory_order_relaxed);
    default: return 0;
    }
}

void guest_clock_shift(struct timespec *ts, int64_t ns) {
    if (!ns) return;
    /* seconds and nanoseconds apart: a deadline of "for ever"
     * ({INT64_MAX, 0}) must not overflow */
    int64_t sec = ns / 1000000000, nsec = ts->tv_nsec + ns % 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    } else if (nsec >= 1000000000) {
        nsec -= 1000000000;
        sec++;
    }
    int64_t s;
    if (__builtin_add_overflow((int64_t)ts->tv_sec, sec, &s)) {
        ts->tv_sec = sec > 0 ? INT64_MAX : 0;
        ts->tv_nsec = sec > 0 ? 999999999 : 0;
        return;
    }
    ts->tv_sec = s < 0 ? 0 : s;
    ts->tv_nsec = s < 0 ? 0 : nsec;
}

int guest_clock_gettime(const struct guest_clock *gc, clockid_t id, struct timespec *ts) {
    if (clock_gettime(id, ts)) return -1;
    guest_clock_shift(ts, guest_clock_offset(gc, id));
    return 0;
}

int64_t guest_clock_ns(const struct guest_clock *gc, clockid_t id) {
    struct timespec ts;
    if (guest_clock_gettime(gc, id, &ts)) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
