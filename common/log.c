#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fd_io.h"

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level) {
    current_level = level;
}
enum log_level log_get_level(void) {
    return current_level;
}

void log_msg(enum log_level level, const char *fmt, ...) {
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > current_level) return;
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "shoal: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    /* one write(2) so lines from several threads do not interleave */
    ssize_t r = fd_write_own(2, buf, (size_t)n);
    (void)r;
}

void shoal_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "shoal: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}
