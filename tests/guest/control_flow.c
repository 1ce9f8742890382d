/* Control flow: deep recursion, mutual recursion, function pointer tables,
 * switch jump tables, computed goto, tail calls, conditional select/compare
 * chains (ccmp), varargs, large stack frames, alloca. */
#include "guest.h"
#include <alloca.h>
#include <inttypes.h>
#include <stdarg.h>

static long ack(long m, long n) {
    return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1));
}
static int is_even(unsigned n);
static int is_odd(unsigned n) {
    return n == 0 ? 0 : is_even(n - 1);
}
static int is_even(unsigned n) {
    return n == 0 ? 1 : is_odd(n - 1);
}
static long deep(int n) {
    volatile char pad[256];
    pad[n & 255] = (char)n;
    return n == 0 ? 0 : deep(n - 1) + pad[n & 255];
}

static int op_add(int a, int b) {
    return a + b;
}
static int op_sub(int a, int b) {
    return a - b;
}
static int op_mul(int a, int b) {
    return a * b;
}
static int op_xor(int a, int b) {
    return a ^ b;
}
static int (*const ops[])(int, int) = {op_add, op_sub, op_mul, op_xor};

static int sw(int x) {
    switch (x) {
    case 0: return 11;
    case 1: return 7;
    case 2: return -3;
    case 3: return 99;
    case 4: return 5;
    case 5: return 42;
    case 6: return 0;
    case 7: return 13;
    case 8: return 21;
    case 9: return 8;
    case 100: return 1000;
    case 1000: return 5;
    default: return x * 2;
    }
}
static long interp(const unsigned char *code, int n) {
    static void *labels[] = {&&op_inc, &&op_dbl, &&op_neg, &&op_end};
    long acc = 1;
    int pc = 0;
#define NEXT                                                                                       \
    do {                                                                                           \
        if (pc >= n) return acc;                                                                   \
        goto *labels[code[pc++] & 3];                                                              \
    } while (0)
    NEXT;
op_inc:
    acc += 3;
    NEXT;
op_dbl:
    acc *= 2;
    if (acc > 1000000) acc %= 9973;
    NEXT;
op_neg:
    acc = -acc + 7;
    NEXT;
op_end:
    return acc + 1000000 * pc;
}
static long sum_va(int n, ...) {
    va_list ap;
    va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++)
        s += (i & 1) ? (long)va_arg(ap, double) : va_arg(ap, int);
    va_end(ap);
    return s;
}
static int classify(int a, int b, int c) {
    return (a > b && b > c) ? 1 : (a == b || c < 0) ? 2 : (a < 0 && b >= 0 && c != 5) ? 3 : 4;
}
static __attribute__((noinline)) int tail(int n, int acc) {
    if (n == 0) return acc;
    return tail(n - 1, acc + n % 7);
}

int main(void) {
    printf("ack(2,3)=%ld ack(3,3)=%ld\n", ack(2, 3), ack(3, 3));
    printf("is_even(1001)=%d is_odd(777)=%d\n", is_even(1001), is_odd(777));
    printf("deep(5000)=%ld\n", deep(5000));
    uint64_t s = 1, h = 0;
    for (int i = 0; i < 20000; i++) {
        int a = (int)(g_rand(&s) % 1000) - 500, b = (int)(g_rand(&s) % 1000) - 500,
            c = (int)(g_rand(&s) % 12) - 2;
        h = g_fnv64(h, (uint32_t)ops[i & 3](a, b));
        h = g_fnv64(h, (uint32_t)sw(i % 13 == 12 ? 100 : i % 13));
        h = g_fnv64(h, (uint32_t)classify(a, b, c));
        h = g_fnv64(h, (a < b ? a : b) + (a >= 0 ? 1 : -1) + ((unsigned)a > (unsigned)b));
    }
    printf("dispatch checksum %016" PRIx64 "\n", h);
    unsigned char code[300];
    for (int i = 0; i < 300; i++)
        code[i] = (unsigned char)(g_rand(&s) % 3);
    code[299] = 3;
    printf("computed goto %ld\n", interp(code, 300));
    printf("varargs %ld\n", sum_va(6, 1, 2.9, 3, 4.1, 5, -6.5));
    printf("tail %d\n", tail(100000, 0));
    int n = 1000 + (int)(s % 7);
    int *a = alloca(n * sizeof *a);
    for (int i = 0; i < n; i++)
        a[i] = i * i;
    long t = 0;
    for (int i = 0; i < n; i++)
        t += a[i] % 97;
    printf("alloca n>=1000 %d sum %ld\n", n >= 1000, t - (long)(n - 1000) * 0);
    G_DONE();
}
