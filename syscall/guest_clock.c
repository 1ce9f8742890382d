/* The guest's clocks (guest_clock.h). */
#include "syscall/guest_clock.h"

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
    int64_t t = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + ns;
    if (t < 0) t = 0;
    ts->tv_sec = t / 1000000000;
    ts->tv_nsec = t % 1000000000;
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
