/* The shared library dlopen_main loads at run time: a constructor, a
 * destructor, data relocated against the program (dlopen_hook), a
 * thread-local variable (dynamic TLS, __tls_get_addr), and a call into
 * libm through the library's own PLT. Built with -shared -fPIC. */
#include <math.h>
#include <stdio.h>

int lib_counter = 40;
static int constructed;
__thread int lib_tls = 7;
extern int dlopen_hook(int); /* defined in the program (-rdynamic) */

__attribute__((constructor)) static void lib_init(void) {
    constructed = 1;
    lib_counter += 2;
}
__attribute__((destructor)) static void lib_fini(void) {
    printf("library destructor ran\n");
}

int lib_constructed(void) {
    return constructed;
}
int lib_add(int a, int b) {
    return a + b + dlopen_hook(a);
}
int *lib_tls_addr(void) {
    return &lib_tls;
}
double lib_hypot(double a, double b) {
    return hypot(a, b);
}
