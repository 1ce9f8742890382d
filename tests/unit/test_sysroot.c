/* Path translation into a sysroot (syscall/sysroot.h), qemu's -L rules. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscall/sysroot.h"

static char root[PATH_MAX]; /* a fresh directory with lib/ld.so, a link, etc/ */

static void touch(const char *rel) {
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
}

static int setup(void) {
    char tmpl[] = "/tmp/shoal-sysroot-XXXXXX";
    if (!mkdtemp(tmpl) || !realpath(tmpl, root)) return 1;
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/lib", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/lib/dangling", root);
    if (symlink("/nonexistent-target", p)) return 1;
    return 0;
}

static int teardown(void) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : 1;
}

static void test_no_sysroot(void) {
    char buf[PATH_MAX];
    CU_ASSERT_PTR_NULL(sysroot_new(NULL));
    CU_ASSERT_PTR_NULL(sysroot_new(""));
    CU_ASSERT_STRING_EQUAL(sysroot_path(NULL, "/lib/ld.so", buf, sizeof buf), "/lib/ld.so");
}

static void test_lookup(void) {
    touch("lib/ld.so");
    struct sysroot *sr = sysroot_new(root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sr);
    CU_ASSERT_STRING_EQUAL(sysroot_dir(sr), root);
    char buf[PATH_MAX], want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s/lib/ld.so", root);
    /* present in the sysroot: redirected */
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/ld.so", buf, sizeof buf), want);
    /* absent there: the host's path, even if the host lacks it too */
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/etc/hostname", buf, sizeof buf), "/etc/hostname");
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/nope.so", buf, sizeof buf), "/lib/nope.so");
    /* relative paths are never redirected */
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "lib/ld.so", buf, sizeof buf), "lib/ld.so");
    /* a dangling symlink in the sysroot still counts (lstat) */
    snprintf(want, sizeof want, "%s/lib/dangling", root);
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/dangling", buf, sizeof buf), want);
    /* a result that does not fit the buffer is not redirected */
    char small[8];
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/ld.so", small, sizeof small), "/lib/ld.so");
    sysroot_free(sr);
}

static void test_trailing_slash(void) {
    char dir[PATH_MAX + 2], buf[PATH_MAX], want[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s//", root);
    touch("lib/ld.so");
    struct sysroot *sr = sysroot_new(dir);
    CU_ASSERT_STRING_EQUAL(sysroot_dir(sr), root);
    snprintf(want, sizeof want, "%s/lib/ld.so", root);
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/ld.so", buf, sizeof buf), want);
    sysroot_free(sr);
}

/* Answers are cached like qemu's: a file created in the sysroot after a
 * miss stays unseen until its slot is reused. */
static void test_cache(void) {
    struct sysroot *sr = sysroot_new(root);
    char buf[PATH_MAX];
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/late.so", buf, sizeof buf), "/lib/late.so");
    touch("lib/late.so");
    CU_ASSERT_STRING_EQUAL(sysroot_path(sr, "/lib/late.so", buf, sizeof buf), "/lib/late.so");
    sysroot_free(sr);
    sr = sysroot_new(root); /* a fresh cache sees it */
    CU_ASSERT_PTR_NOT_NULL(strstr(sysroot_path(sr, "/lib/late.so", buf, sizeof buf), root));
    sysroot_free(sr);
}

struct worker {
    struct sysroot *sr;
    int id, wrong;
};

/* Many more distinct paths than cache slots, from several threads:
 * every answer stays right while slots are replaced. */
static void *worker(void *arg) {
    struct worker *w = arg;
    char path[64], buf[PATH_MAX];
    for (int i = 0; i < 5000; i++) {
        int k = (i * 7 + w->id * 13) % 3000;
        snprintf(path, sizeof path, k % 2 ? "/lib/ld.so" : "/missing/%d", k);
        const char *r = sysroot_path(w->sr, path, buf, sizeof buf);
        bool redirected = r == buf;
        if (redirected != (k % 2 == 1)) w->wrong++;
    }
    return NULL;
}

static void test_threads(void) {
    touch("lib/ld.so");
    struct sysroot *sr = sysroot_new(root);
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.sr = sr, .id = i};
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].wrong, 0);
    }
    sysroot_free(sr);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("sysroot", setup, teardown);
    CU_add_test(s, "no sysroot", test_no_sysroot);
    CU_add_test(s, "lookup rules", test_lookup);
    CU_add_test(s, "trailing slash", test_trailing_slash);
    CU_add_test(s, "cached answers", test_cache);
    CU_add_test(s, "threads and eviction", test_threads);
}
