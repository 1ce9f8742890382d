/* dsm/false_sharing: detection of falsely shared pages from synthetic
 * writeback sequences (what the master's directory would see). */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "dsm/false_sharing.h"

/* The page as the home copy holds it, and a writeback: `node` stores `v`
 * into bytes [off, off + len) of the current home copy, which the
 * writeback then replaces (as the master does). */
struct sim {
    struct fs_detector d;
    uint8_t home[DSM_PAGE_SIZE];
    unsigned writers;
};

static int wb(struct sim *s, uint64_t page, dsm_node_t node, unsigned off, unsigned len,
              uint8_t v) {
    uint8_t data[DSM_PAGE_SIZE];
    memcpy(data, s->home, sizeof data);
    memset(data + off, v, len);
    int r = fs_on_writeback(&s->d, page, node, s->writers, s->home, data);
    memcpy(s->home, data, sizeof data);
    return r;
}

static void sim_init(struct sim *s, unsigned threshold, unsigned grain) {
    memset(s, 0, sizeof *s);
    struct fs_config c = {.threshold = threshold, .grain = grain};
    CU_ASSERT_EQUAL_FATAL(fs_init(&s->d, &c), 0);
    s->writers = 2;
}

static void test_config_checked(void) {
    struct fs_detector d;
    struct fs_config bad[] = {{0, 128}, {1, 4}, {1, 96}, {1, DSM_PAGE_SIZE}};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(fs_init(&d, &bad[i]), -EINVAL);
    struct fs_config ok = {1, 8};
    CU_ASSERT_EQUAL(fs_init(&d, &ok), 0);
    fs_fini(&d);
}

static void test_grains_written(void) {
    uint8_t a[DSM_PAGE_SIZE] = {0}, b[DSM_PAGE_SIZE] = {0};
    struct fs_mask m;
    CU_ASSERT_EQUAL(fs_grains_written(a, b, 128, &m), 0);
    b[0] = 1;    /* grain 0 */
    b[127] = 1;  /* still grain 0 */
    b[128] = 1;  /* grain 1 */
    b[4095] = 1; /* grain 31 */
    CU_ASSERT_EQUAL(fs_grains_written(a, b, 128, &m), 3);
    CU_ASSERT_EQUAL(m.w[0], (1ull << 0) | (1ull << 1) | (1ull << 31));
    /* at the finest grain every word counts */
    CU_ASSERT_EQUAL(fs_grains_written(a, b, 8, &m), 4);
    CU_ASSERT_EQUAL(m.w[0], (1ull << 0) | (1ull << 15) | (1ull << 16));
    CU_ASSERT_EQUAL(m.w[7], 1ull << 63);
}

/* Four nodes each writing their own 128-byte slice, in turn: a conflict
 * on every writeback after the first, detected at the threshold, once. */
static void test_disjoint_slices_detected(void) {
    struct sim s;
    sim_init(&s, 4, 128);
    CU_ASSERT_EQUAL(wb(&s, 7, 1, 128, 128, 1), FS_NONE); /* the first writer alone */
    CU_ASSERT_EQUAL(wb(&s, 7, 2, 256, 128, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 7, 3, 384, 100, 3), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 7, 0, 0, 8, 4), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 7, 1, 130, 4, 5), FS_DETECTED); /* node 1 again, in its slice */
    CU_ASSERT_EQUAL(s.d.stats.detected, 1);
    CU_ASSERT(fs_find(&s.d, 7)->detected);
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(wb(&s, 7, 2 + i % 2, 256 + 128 * (i % 2), 8, (uint8_t)(10 + i)),
                        FS_CONFLICT);
    CU_ASSERT_EQUAL(s.d.stats.detected, 1);
    CU_ASSERT_EQUAL(s.d.stats.conflicts, 24);
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 1);
    fs_fini(&s.d);
}

/* Two nodes writing the same grain (a counter both increment) is true
 * sharing: splitting would not help, and the count restarts. */
static void test_true_sharing_not_detected(void) {
    struct sim s;
    sim_init(&s, 2, 128);
    CU_ASSERT_EQUAL(wb(&s, 3, 1, 0, 8, 1), FS_NONE);
    for (int i = 0; i < 50; i++)
        CU_ASSERT_EQUAL(wb(&s, 3, 2 - i % 2, 0, 8, (uint8_t)(2 + i)), FS_TRUE_SHARED);
    CU_ASSERT_EQUAL(s.d.stats.detected, 0);
    CU_ASSERT_EQUAL(s.d.stats.true_shared, 50);
    /* overlap at grain level: different bytes of one 128-byte grain */
    CU_ASSERT_EQUAL(wb(&s, 3, 1, 64, 8, 99), FS_TRUE_SHARED);
    /* one conflict, then true sharing resets the count: the threshold of
     * 2 is never reached */
    CU_ASSERT_EQUAL(wb(&s, 3, 2, 1024, 8, 1), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 3, 1, 0, 8, 100), FS_TRUE_SHARED);
    CU_ASSERT_EQUAL(wb(&s, 3, 2, 1024, 8, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(s.d.stats.detected, 0);
    CU_ASSERT_FALSE(fs_find(&s.d, 3)->detected);
    fs_fini(&s.d);
}

/* At a grain of 8 bytes, different words of one 128-byte region are
 * disjoint: the grain decides what counts as the same part. */
static void test_grain_decides(void) {
    struct sim s;
    sim_init(&s, 2, 8);
    CU_ASSERT_EQUAL(wb(&s, 3, 1, 0, 8, 1), FS_NONE);
    CU_ASSERT_EQUAL(wb(&s, 3, 2, 8, 8, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 3, 1, 0, 8, 3), FS_DETECTED);
    fs_fini(&s.d);
}

/* The window: writes older than FS_WINDOW writebacks are forgotten, so a
 * page whose parts changed hands long ago is judged on recent writes. */
static void test_window_forgets(void) {
    struct sim s;
    sim_init(&s, 1000, 128);
    CU_ASSERT_EQUAL(wb(&s, 1, 1, 0, 8, 1), FS_NONE);
    for (int i = 0; i < FS_WINDOW; i++)
        CU_ASSERT_EQUAL(wb(&s, 1, 2, 512, 8, (uint8_t)(2 + i)), FS_CONFLICT);
    /* node 1's write to grain 0 has left the window: node 2 writing grain
     * 0 now overlaps nobody's recent write, node 2 is alone */
    CU_ASSERT_EQUAL(wb(&s, 1, 2, 0, 8, 50), FS_NONE);
    fs_fini(&s.d);
}

/* Memory follows pages that ping-pong: a page with one writer ever, an
 * unknown base, or a writeback that changed nothing makes no record; a
 * forgotten range drops its records. */
static void test_records_follow_pingpong(void) {
    struct sim s;
    sim_init(&s, 1, 128);
    s.writers = 1;
    for (uint64_t p = 0; p < 100; p++)
        CU_ASSERT_EQUAL(wb(&s, p, 1, 0, 8, (uint8_t)p), FS_NONE);
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 0);
    s.writers = 2;
    uint8_t data[DSM_PAGE_SIZE] = {1};
    CU_ASSERT_EQUAL(fs_on_writeback(&s.d, 5, 1, 2, NULL, data), FS_NONE);
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 0);
    CU_ASSERT_EQUAL(wb(&s, 5, 1, 0, 0, 0), FS_NONE); /* nothing written */
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 0);
    for (uint64_t p = 10; p < 20; p++) {
        CU_ASSERT_EQUAL(wb(&s, p, 1, 0, 8, (uint8_t)p), FS_NONE);
        CU_ASSERT_EQUAL(wb(&s, p, 2, 256, 8, (uint8_t)p), FS_DETECTED);
    }
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 10);
    CU_ASSERT_EQUAL(s.d.stats.detected, 10);
    for (unsigned i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(s.d.report[i], 10 + i);
    fs_forget(&s.d, 12, 3); /* a small range: by key */
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 7);
    CU_ASSERT_PTR_NULL(fs_find(&s.d, 13));
    fs_forget(&s.d, 0, 1ull << 40); /* a huge range: by walking the records */
    CU_ASSERT_EQUAL(fs_tracked(&s.d), 0);
    /* a forgotten page starts afresh */
    CU_ASSERT_EQUAL(wb(&s, 10, 2, 256, 8, 77), FS_NONE);
    fs_fini(&s.d);
}

/* The split's first owners: the newest writeback of the window that
 * wrote grain i names its node; a grain nobody wrote within the window
 * has none, nor does a page with no record. */
static void test_last_writer(void) {
    struct sim s;
    sim_init(&s, 100, 128);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 0), -1); /* no record */
    CU_ASSERT_EQUAL(wb(&s, 9, 1, 0, 8, 1), FS_NONE);
    CU_ASSERT_EQUAL(wb(&s, 9, 2, 128, 8, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 9, 3, 4000, 96, 3), FS_CONFLICT); /* grain 31 */
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 0), 1);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 1), 2);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 31), 3);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 2), -1);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, FS_MAX_GRAINS), -1);
    /* node 0 takes grain 0 over (true sharing): the newest write wins */
    CU_ASSERT_EQUAL(wb(&s, 9, 0, 0, 8, 4), FS_TRUE_SHARED);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 0), 0);
    /* node 1's write leaves the window: grain 0 is still node 0's, and
     * once node 0's leaves too, nobody's */
    for (int i = 0; i < FS_WINDOW - 1; i++)
        wb(&s, 9, 2, 128, 8, (uint8_t)(10 + i));
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 0), 0);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 31), -1);
    wb(&s, 9, 2, 128, 8, 50);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 0), -1);
    CU_ASSERT_EQUAL(fs_last_writer(&s.d, 9, 1), 2);
    fs_fini(&s.d);
}

/* A page reported but not split (no free shadow slot) is reported again
 * at its next conflict, once more. */
static void test_rearm(void) {
    struct sim s;
    sim_init(&s, 2, 128);
    CU_ASSERT_EQUAL(wb(&s, 4, 1, 0, 8, 1), FS_NONE);
    CU_ASSERT_EQUAL(wb(&s, 4, 2, 128, 8, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 4, 1, 0, 8, 3), FS_DETECTED);
    CU_ASSERT_EQUAL(wb(&s, 4, 2, 128, 8, 4), FS_CONFLICT);
    fs_rearm(&s.d, 4);
    fs_rearm(&s.d, 5); /* no record: nothing */
    CU_ASSERT_FALSE(fs_find(&s.d, 4)->detected);
    CU_ASSERT_EQUAL(wb(&s, 4, 1, 0, 8, 5), FS_CONFLICT); /* the count restarted */
    CU_ASSERT_EQUAL(wb(&s, 4, 2, 128, 8, 6), FS_DETECTED);
    CU_ASSERT_EQUAL(wb(&s, 4, 1, 0, 8, 7), FS_CONFLICT);
    CU_ASSERT_EQUAL(s.d.stats.detected, 2);
    fs_fini(&s.d);
}

/* A page made whole because its writes turned truly shared is reported
 * again when false sharing comes back, after twice the conflicts each
 * time, up to 2^FS_ROUNDS_MAX times the threshold; listed once. */
static void test_rearm_later(void) {
    struct sim s;
    sim_init(&s, 2, 128);
    CU_ASSERT_EQUAL(wb(&s, 9, 1, 0, 8, 1), FS_NONE);
    CU_ASSERT_EQUAL(wb(&s, 9, 2, 128, 8, 2), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 9, 1, 0, 8, 3), FS_DETECTED);
    uint8_t v = 4;
    for (unsigned round = 1; round <= FS_ROUNDS_MAX + 2; round++) {
        fs_rearm_later(&s.d, 9);
        unsigned need = 2u << (round < FS_ROUNDS_MAX ? round : FS_ROUNDS_MAX);
        CU_ASSERT_EQUAL(fs_find(&s.d, 9)->rounds, round < FS_ROUNDS_MAX ? round : FS_ROUNDS_MAX);
        for (unsigned k = 1; k < need; k++)
            CU_ASSERT_EQUAL_FATAL(wb(&s, 9, 1 + k % 2, 128 * (k % 2), 8, v++), FS_CONFLICT);
        CU_ASSERT_EQUAL(wb(&s, 9, 1 + need % 2, 128 * (need % 2), 8, v++), FS_DETECTED);
    }
    CU_ASSERT_EQUAL(s.d.stats.detected, FS_ROUNDS_MAX + 3);
    CU_ASSERT_EQUAL(s.d.nreport, 1);
    CU_ASSERT_EQUAL(s.d.report[0], 9);
    /* true sharing in between restarts the count, as before a split */
    fs_rearm_later(&s.d, 9);
    CU_ASSERT_EQUAL(wb(&s, 9, 1, 0, 8, v++), FS_CONFLICT);
    CU_ASSERT_EQUAL(wb(&s, 9, 2, 0, 8, v++), FS_TRUE_SHARED);
    CU_ASSERT_EQUAL(fs_find(&s.d, 9)->conflicts, 0);
    fs_rearm_later(&s.d, 10); /* no record: nothing */
    CU_ASSERT_PTR_NULL(fs_find(&s.d, 10));
    fs_fini(&s.d);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dsm_false_sharing", NULL, NULL);
    CU_add_test(s, "configuration checked", test_config_checked);
    CU_add_test(s, "grains written, from a diff", test_grains_written);
    CU_add_test(s, "disjoint slices of four nodes: detected once", test_disjoint_slices_detected);
    CU_add_test(s, "true sharing is not false sharing", test_true_sharing_not_detected);
    CU_add_test(s, "the grain decides what is disjoint", test_grain_decides);
    CU_add_test(s, "the window forgets old writes", test_window_forgets);
    CU_add_test(s, "records only for pages that ping-pong", test_records_follow_pingpong);
    CU_add_test(s, "the last writer of each grain", test_last_writer);
    CU_add_test(s, "a page not split is reported again", test_rearm);
    CU_add_test(s, "a page made whole for its pattern: again, later each time", test_rearm_later);
}
