/* scanf family: sscanf conversions, strtod/strtol edge cases, and scanf
 * reading from stdin (see scanf_parse.stdin). */
#include "guest.h"
#include <inttypes.h>
#include <errno.h>
#include <math.h>

int main(void) {
    int a, b;
    unsigned u;
    long l;
    double d;
    float f;
    char s[32], c;
    long long ll;
    int n = sscanf("  12 -34 0x1f 077 3.5e2 2.5f word Z", "%d %d %x %lo %lf %f %31s %c", &a, &b, &u,
                   &l, &d, &f, s, &c);
    printf("n=%d a=%d b=%d u=%u l=%ld d=%g f=%g s=%s c=%c\n", n, a, b, u, l, d, f, s, c);
    n = sscanf("key=value;42", "%[^=]=%[^;];%lld", s, s + 16, &ll);
    printf("n=%d %s %s %lld\n", n, s, s + 16, ll);
    n = sscanf("abc", "%d", &a);
    printf("nomatch n=%d\n", n);
    n = sscanf("", "%d", &a);
    printf("empty n=%d\n", n);
    n = sscanf("0x1.8p3 inf -nan 1e-400 1e400", "%lf %lf %lf", &d, &d, &d);
    printf("n=%d last %g\n", n, d);
    double v[5];
    const char *txt[] = {"0x1.8p3",  "inf",      "-nan", "1e-400", "1e400",
                         "4.9e-324", "  +.5e1x", "1e",   "0x"};
    for (unsigned i = 0; i < sizeof txt / sizeof txt[0]; i++) {
        char *end;
        errno = 0;
        double x = strtod(txt[i], &end);
        printf("strtod(%s) = %a consumed %d erange %d\n", txt[i], x, (int)(end - txt[i]),
               errno == ERANGE);
    }
    (void)v;
    const char *it[] = {"9223372036854775807",
                        "9223372036854775808",
                        "-9223372036854775809",
                        "0x7fffffff",
                        "  -0",
                        "12abc",
                        "z"};
    for (unsigned i = 0; i < sizeof it / sizeof it[0]; i++) {
        char *end;
        errno = 0;
        long x = strtol(it[i], &end, 0);
        unsigned long ux = strtoul(it[i], NULL, 0);
        printf("strtol(%s) = %ld consumed %d erange %d strtoul %lu\n", it[i], x, (int)(end - it[i]),
               errno == ERANGE, ux);
    }
    printf("strtol base36 %ld base2 %ld\n", strtol("zz", NULL, 36), strtol("101101", NULL, 2));
    printf("atoi %d atof %g\n", atoi("  -123x"), atof("2.5e-3"));
    /* stdin */
    int count = 0;
    long total = 0;
    double dsum = 0;
    char word[64];
    while (scanf("%63s", word) == 1) {
        char *end;
        long x = strtol(word, &end, 10);
        if (*end == 0) {
            total += x;
            count++;
        } else {
            double y = strtod(word, &end);
            if (*end == 0)
                dsum += y;
            else
                printf("word %s\n", word);
        }
    }
    printf("stdin: %d ints sum %ld, doubles sum %a\n", count, total, dsum);
    G_DONE();
}
