/* dlopen/dlsym/dlclose of a shared library given by absolute path
 * (argv[1]) and of libm by soname from the sysroot; dynamic TLS in
 * several threads; dladdr; errors for a missing library and symbol. */
#include "guest.h"
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>

int dlopen_hook(int a) {
    return a * 100;
}

static int *(*tls_addr)(void);

static void *thread_fn(void *arg) {
    int *p = tls_addr();
    int fresh = *p == 7; /* every thread starts from the initial image */
    *p = (int)(long)arg;
    return (void *)(long)(fresh && *tls_addr() == (int)(long)arg);
}

static int count_objects(struct dl_phdr_info *info, size_t size, void *data) {
    (void)info;
    (void)size;
    ++*(int *)data;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("usage: dlopen_main LIBRARY\n");
        return 2;
    }
    int before = 0, after = 0;
    dl_iterate_phdr(count_objects, &before);

    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        G_DONE();
    }
    dl_iterate_phdr(count_objects, &after);
    printf("objects dlopen added (the library and libm): %d\n", after - before);

    int (*constructed)(void) = (int (*)(void))dlsym(h, "lib_constructed");
    int (*add)(int, int) = (int (*)(int, int))dlsym(h, "lib_add");
    int *counter = (int *)dlsym(h, "lib_counter");
    double (*hyp)(double, double) = (double (*)(double, double))dlsym(h, "lib_hypot");
    tls_addr = (int *(*)(void))dlsym(h, "lib_tls_addr");
    CHECK(constructed && add && counter && hyp && tls_addr);
    printf("constructor ran: %d\n", constructed());
    printf("lib_counter = %d\n", *counter);
    printf("lib_add(3, 4) = %d\n", add(3, 4));
    printf("lib_hypot(3, 4) = %.17g\n", hyp(3, 4));

    printf("main thread TLS = %d\n", *tls_addr());
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, thread_fn, (void *)(i + 100));
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        ok &= r != NULL;
    }
    printf("threads see their own TLS: %d\n", ok);
    printf("main thread TLS still = %d\n", *tls_addr());

    Dl_info di;
    CHECK(dladdr((void *)add, &di) != 0);
    const char *slash = strrchr(di.dli_fname, '/');
    printf("dladdr names %s, symbol %s\n", slash ? slash + 1 : di.dli_fname, di.dli_sname);

    printf("missing symbol: %s\n", dlsym(h, "no_such_symbol") ? "found" : "NULL");
    void *none = dlopen("libdoes-not-exist.so.9", RTLD_NOW);
    printf("missing library: %s\n", none ? "loaded" : "NULL");

    void *m = dlopen("libm.so.6", RTLD_NOW);
    CHECK(m != NULL);
    double (*c)(double) = m ? (double (*)(double))dlsym(m, "cos") : NULL;
    printf("cos(1) from libm.so.6 = %.17g\n", c ? c(1.0) : 0.0);
    if (m) dlclose(m);

    fflush(stdout);
    CHECK(dlclose(h) == 0);
    printf("closed\n");
    G_DONE();
}
