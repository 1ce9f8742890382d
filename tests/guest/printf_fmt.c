/* printf-family formatting: integers, widths, flags, floats in %f/%e/%g/%a
 * including special values, strings, snprintf truncation. */
#include "guest.h"
#include <math.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>

static int vsum(const char *fmt, ...) {
    char b[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    printf("[%s] %d\n", b, n);
    return n;
}

int main(void) {
    volatile double dz = 0.0;
    double sp[] = {0.0,  -0.0,   1.0,     -1.5,    0.1,  123456789.0, 1e-5,
                   1e21, 5e-324, DBL_MAX, DBL_MIN, M_PI, INFINITY,    -INFINITY,
                   NAN,  -NAN,   0.5,     2.5,     1e100};
    for (unsigned i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        double x = sp[i] + dz;
        printf("%%f=%f %%.3e=%.3e %%g=%g %%.17g=%.17g %%a=%a %%.3a=%.3a %%12.4G=%12.4G "
               "%%-+10.1f=|%-+10.1f| %%E=%E\n",
               x, x, x, x, x, x, x, x, x);
    }
    printf("%d %i %u %x %X %o %#x %#o %+d % d %05d %-5d| %.3d %*d %-*d|\n", -42, 42, 42u, 255, 255,
           8, 255, 8, 5, 5, 42, 42, 7, 6, 3, 4, 9);
    printf("%ld %lu %lld %llx %hhd %hd %hhu %zu %td %jd\n", LONG_MIN, ULONG_MAX, LLONG_MIN,
           ULLONG_MAX, (signed char)200, (short)70000, (unsigned char)300, (size_t)1234,
           (ptrdiff_t)-5, (intmax_t)INTMAX_MAX);
    printf("%" PRIx64 " %" PRIo64 " %" PRId32 " %" PRIu16 "\n", UINT64_MAX, (uint64_t)01234567,
           INT32_MIN, (uint16_t)65535);
    printf("[%s] [%10s] [%-10s] [%.3s] [%c] [%5c] [%%]\n", "hello", "hi", "left", "truncate", 'x',
           'y');
    printf("[%ls]\n", L"wide");
    int n1, n2;
    printf("abc%ndef%n\n", &n1, &n2);
    printf("n: %d %d\n", n1, n2);
    char buf[8];
    const char *volatile ov = "overflowing";
    int r = snprintf(buf, sizeof buf, "%s-%d", ov, 12345);
    printf("snprintf %d [%s]\n", r, buf);
    r = snprintf(NULL, 0, "%0*.*f", 20, 5, M_E);
    printf("snprintf(NULL) %d\n", r);
    vsum("%s %d %f %c", "va", 7, 2.25, 'q');
    vsum("%1$s %2$s %1$s", "a", "b");
    printf("%.0f %.0f %.0f %.0f %.1f %.2f\n", 0.5, 1.5, 2.5, -0.5, 0.05, 1.005);
    printf("%.20f\n%.40e\n", 0.1, 1.0 / 3.0);
    printf("%f %e %g\n", 1e300 * 1e10, -(1e300 * 1e10), nan("") * dz);
    printf("%La %Lg %.30Lf\n", 1.0L / 3, 1e4000L, 2.0L / 3);
    printf("%a %a\n", (double)FLT_MAX, (double)FLT_TRUE_MIN);
    char big[400];
    snprintf(big, sizeof big, "%.300f", 1e-300);
    printf("len %zu tail %s\n", strlen(big), big + 290);
    G_DONE();
}
