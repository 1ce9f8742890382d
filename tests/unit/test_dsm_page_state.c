/* The per-node page table: request dedup, the host-operation order on
 * each message (write-protect, then copy, then drop), subscriptions, the
 * exclusive-monitor generation, and blocking acquires across threads. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "dsm/page_state.h"

/* A mock host: pages are byte arrays, every operation is logged. */
static char log_buf[4096];
static uint8_t mem[4][DSM_PAGE_SIZE];
static int present[4], writable[4];
static int send_fail, sends, wakes;
static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;

static void logf_(const char *fmt, uint64_t page, const char *extra) {
    pthread_mutex_lock(&mock_lock);
    size_t n = strlen(log_buf);
    snprintf(log_buf + n, sizeof log_buf - n, fmt, (unsigned long)page, extra);
    pthread_mutex_unlock(&mock_lock);
}
static int install_fail;
static int m_install(void *o, uint64_t p, const void *data, int prot) {
    if (install_fail) return -EIO;
    CU_ASSERT_FALSE(present[p % 4]); /* install only onto absent pages */
    memcpy(mem[p % 4], data, DSM_PAGE_SIZE);
    present[p % 4] = 1;
    writable[p % 4] = (prot & PROT_WRITE) != 0;
    logf_("install %lu %s;", p, writable[p % 4] ? "rw" : "r");
    return 0;
}
static int m_protect(void *o, uint64_t p, int prot) {
    CU_ASSERT(present[p % 4]);
    writable[p % 4] = (prot & PROT_WRITE) != 0;
    logf_("protect %lu %s;", p, writable[p % 4] ? "rw" : "r");
    return 0;
}
static int m_copy_out(void *o, uint64_t p, void *buf) {
    CU_ASSERT(present[p % 4]);
    memcpy(buf, mem[p % 4], DSM_PAGE_SIZE);
    logf_("copy %lu%s;", p, "");
    return 0;
}
static int m_drop(void *o, uint64_t p) {
    present[p % 4] = 0;
    memset(mem[p % 4], 0, DSM_PAGE_SIZE);
    logf_("drop %lu%s;", p, "");
    return 0;
}
static int m_wake(void *o, uint64_t p) {
    wakes++;
    return 0;
}
static uint64_t last_layout;
static int m_send(void *o, uint64_t p, enum dsm_req k, uint64_t layout) {
    last_layout = layout;
    if (send_fail) return -EPIPE;
    __atomic_add_fetch(&sends, 1, __ATOMIC_SEQ_CST);
    logf_("send %lu %s;", p, dsm_req_name(k));
    return 0;
}
static const struct dsm_page_ops ops = {m_install, m_protect, m_copy_out, m_drop, m_wake,
                                        m_send,    NULL,      NULL,       NULL};
/* A run install that takes at most run_limit pages of a run. */
static uint32_t run_limit = DSM_RUN_MAX;
static long m_install_run(void *o, uint64_t p, uint32_t n, const void *d, int prot) {
    char len[16];
    snprintf(len, sizeof len, "%u", n);
    logf_("run %lu+%s;", p, len);
    uint32_t k = n < run_limit ? n : run_limit;
    for (uint32_t i = 0; i < k; i++) {
        CU_ASSERT_FALSE(present[(p + i) % 4]);
        if (d)
            memcpy(mem[(p + i) % 4], (const uint8_t *)d + (size_t)i * DSM_PAGE_SIZE, DSM_PAGE_SIZE);
        else
            memset(mem[(p + i) % 4], 0, DSM_PAGE_SIZE);
        present[(p + i) % 4] = 1;
        writable[(p + i) % 4] = (prot & PROT_WRITE) != 0;
    }
    return k;
}
static void m_reached(void *o, uint64_t p) {
    logf_("reached %lu%s;", p, "");
}
static int protect_run_fail;
static int m_protect_run(void *o, uint64_t p, uint32_t n, int prot) {
    char what[32];
    snprintf(what, sizeof what, "%u %s", n, prot & PROT_WRITE ? "rw" : "r");
    logf_("protect_run %lu+%s;", p, what);
    if (protect_run_fail) return -EIO;
    for (uint32_t i = 0; i < n; i++) {
        CU_ASSERT(present[(p + i) % 4]);
        writable[(p + i) % 4] = (prot & PROT_WRITE) != 0;
    }
    return 0;
}
static const struct dsm_page_ops run_ops = {m_install,     m_protect, m_copy_out,
                                            m_drop,        m_wake,    m_send,
                                            m_install_run, m_reached, m_protect_run};

static struct dsm_pages ps;
static uint8_t data[DSM_PAGE_SIZE], buf[DSM_PAGE_SIZE];

/* A fresh table on these host operations. */
static void use_ops(const struct dsm_page_ops *o) {
    dsm_pages_fini(&ps);
    dsm_pages_init(&ps, o, NULL);
}

static void reset(void) {
    use_ops(&ops);
    log_buf[0] = 0;
    memset(present, 0, sizeof present);
    memset(writable, 0, sizeof writable);
    send_fail = sends = wakes = 0;
    memset(data, 0xab, sizeof data);
}
static int setup(void) {
    return dsm_pages_init(&ps, &ops, NULL);
}
static int teardown(void) {
    dsm_pages_fini(&ps);
    return 0;
}
#define LOG(s)     CU_ASSERT_STRING_EQUAL(log_buf, s)
#define CLEARLOG() (log_buf[0] = 0)

static void test_fault_dedup(void) {
    reset();
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_SENT);
    LOG("send 1 read;");
    /* more faults on the page wait for that request, read or write */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_WAIT);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_WAIT);
    LOG("send 1 read;");
    CU_ASSERT_EQUAL(ps.stats.dedup, 2);
    /* another page is independent */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, true), DSM_FAULT_SENT);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 1, DSM_S, data), 0);
    LOG("install 1 r;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_S);
    CU_ASSERT_EQUAL(memcmp(mem[1], data, DSM_PAGE_SIZE), 0);
    /* reads are covered now (the parked thread is woken), writes upgrade */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(wakes, 1);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_SENT);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_WAIT);
    LOG("send 1 upgrade;");
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 1, DSM_M), 0);
    LOG("protect 1 rw;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_M);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(ps.stats.read_miss, 1);
    CU_ASSERT_EQUAL(ps.stats.write_miss, 1);
    CU_ASSERT_EQUAL(ps.stats.upgrades, 1);
}

static void test_fetch_order(void) {
    reset();
    dsm_pages_fault(&ps, 3, true);
    dsm_pages_on_data(&ps, 3, DSM_M, data);
    mem[3][100] = 42; /* a local write */
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, 3, DSM_S, buf), 0);
    LOG("protect 3 r;copy 3;");
    CU_ASSERT_EQUAL(buf[100], 42);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_S);
    CU_ASSERT_FALSE(writable[3]);
    /* fetching from S is a protocol error and touches nothing */
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, 3, DSM_I, buf), -EPROTO);
    LOG("");
    /* upgrade again, then a fetch that drops */
    dsm_pages_fault(&ps, 3, true);
    dsm_pages_on_grant(&ps, 3, DSM_M);
    mem[3][7] = 9;
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, 3, DSM_I, buf), 0);
    LOG("protect 3 r;copy 3;drop 3;");
    CU_ASSERT_EQUAL(buf[7], 9);
    CU_ASSERT_EQUAL(buf[100], 42);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_I);
    CU_ASSERT_FALSE(present[3]);
    CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, 3, DSM_M, buf), -EINVAL);
}

static void test_invalidate(void) {
    reset();
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_invalidate(&ps, 2), 0); /* never had it: just ack */
    LOG("");
    dsm_pages_on_data(&ps, 2, DSM_S, data); /* pushed, unasked */
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_S);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_invalidate(&ps, 2), 0);
    LOG("drop 2;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_I);
    /* an owner is never invalidated, only fetched */
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_invalidate(&ps, 1), -EPROTO);
    LOG("");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_M);
    /* an upgrade overtaken by an invalidation stays pending */
    dsm_pages_on_data(&ps, 2, DSM_S, data);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, true), DSM_FAULT_SENT);
    dsm_pages_on_invalidate(&ps, 2);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, true), DSM_FAULT_WAIT);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 2, DSM_M, data), 0); /* answered with data */
    LOG("install 2 rw;");
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, true), DSM_FAULT_READY);
}

static void test_protocol_errors(void) {
    reset();
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 1, DSM_M), -EPROTO); /* nothing to keep */
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 1, DSM_S), -EINVAL);
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 1, DSM_I, data), -EINVAL);
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 1, DSM_S, data), -EPROTO);
    LOG("");
    /* a repeated send in S replaces the read-only copy */
    dsm_pages_on_data(&ps, 2, DSM_S, data);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 2, DSM_S, data), 0);
    LOG("drop 2;install 2 r;");
}

static void test_send_failure(void) {
    reset();
    send_fail = 1;
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), -EPIPE);
    send_fail = 0;
    /* nothing is outstanding: the next fault asks again */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_SENT);
}

static uint64_t events[16];
static int nevents, lock_free_in_cb;
static void on_event(void *opaque, uint64_t page, enum dsm_page_event ev) {
    struct dsm_pages *p = opaque;
    if (pthread_mutex_trylock(&p->lock) == 0) {
        lock_free_in_cb++;
        pthread_mutex_unlock(&p->lock);
    }
    if (nevents < 16) events[nevents++] = page << 2 | ev;
}

static void test_subscribers(void) {
    reset();
    nevents = lock_free_in_cb = 0;
    CU_ASSERT_EQUAL(dsm_pages_subscribe(&ps, on_event, &ps), 0);
    dsm_pages_on_data(&ps, 1, DSM_S, data); /* installed */
    dsm_pages_fault(&ps, 1, true);
    dsm_pages_on_grant(&ps, 1, DSM_M);      /* granted, contents unchanged */
    dsm_pages_on_fetch(&ps, 1, DSM_S, buf); /* dropped the write right */
    dsm_pages_on_invalidate(&ps, 1);        /* dropped */
    dsm_pages_on_invalidate(&ps, 1);        /* nothing */
    CU_ASSERT_EQUAL(nevents, 4);
    CU_ASSERT_EQUAL(events[0], 1u << 2 | DSM_EV_INSTALLED);
    CU_ASSERT_EQUAL(events[1], 1u << 2 | DSM_EV_GRANTED);
    CU_ASSERT_EQUAL(events[2], 1u << 2 | DSM_EV_DROPPED);
    CU_ASSERT_EQUAL(events[3], 1u << 2 | DSM_EV_DROPPED);
    CU_ASSERT_EQUAL(lock_free_in_cb, 4); /* callbacks run outside the lock */
}

/* A run of pages sent ahead in one message: the pages this node lacks
 * go in with one install_run, a page held in S is replaced alone, an
 * owner's page is refused without stopping the others, a run install
 * cut short leaves the rest to the next try, and every page settles its
 * request and tells the subscribers. */
static void test_on_data_run(void) {
    reset();
    use_ops(&run_ops);
    static uint8_t run[4][DSM_PAGE_SIZE];
    for (int i = 0; i < 4; i++)
        memset(run[i], i + 1, DSM_PAGE_SIZE);
    nevents = lock_free_in_cb = 0;
    CU_ASSERT_EQUAL(dsm_pages_subscribe(&ps, on_event, &ps), 0);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_SENT);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 4, DSM_S, run, false), 0);
    LOG("run 0+4;");
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(dsm_pages_state(&ps, (uint64_t)i), DSM_S);
        CU_ASSERT_EQUAL(mem[i][0], i + 1);
        CU_ASSERT_EQUAL(mem[i][DSM_PAGE_SIZE - 1], i + 1);
        CU_ASSERT_FALSE(writable[i]);
    }
    CU_ASSERT_EQUAL(ps.stats.installs, 4);
    CU_ASSERT_EQUAL(nevents, 4);
    CU_ASSERT_EQUAL(events[0], 0u << 2 | DSM_EV_INSTALLED);
    CU_ASSERT_EQUAL(events[3], 3u << 2 | DSM_EV_INSTALLED);
    CU_ASSERT_EQUAL(lock_free_in_cb, 4);
    /* the read that was waiting for page 2 is answered */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_READY);

    /* 0 and 2 gone, 1 still in S, 3 owned here */
    dsm_pages_on_invalidate(&ps, 0);
    dsm_pages_on_invalidate(&ps, 2);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 3, true), DSM_FAULT_SENT);
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 3, DSM_M), 0);
    mem[3][0] = 0x77;
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 4, DSM_M, run, true), -EPROTO);
    LOG("install 0 rw;drop 1;install 1 rw;install 2 rw;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_M);
    CU_ASSERT_EQUAL(mem[3][0], 0x77); /* the owner's copy is never replaced */

    /* a run install that takes one page at a time */
    for (uint64_t p = 0; p < 3; p++) {
        CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, p, DSM_I, buf), 0);
    }
    run_limit = 1;
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 3, DSM_S, run, false), 0);
    run_limit = DSM_RUN_MAX;
    LOG("run 0+3;run 1+2;install 2 r;");
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(dsm_pages_state(&ps, (uint64_t)i), DSM_S);
        CU_ASSERT_EQUAL(mem[i][1], i + 1);
    }
    /* zero pages (no bytes sent): the run install gets no data, a page
     * left to the one-page path gets zeros */
    CU_ASSERT_EQUAL(dsm_pages_on_fetch(&ps, 3, DSM_I, buf), 0);
    for (uint64_t p = 0; p < 3; p++)
        CU_ASSERT_EQUAL(dsm_pages_on_invalidate(&ps, p), 0);
    memset(mem, 0x5a, sizeof mem);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 1, 3, DSM_M, NULL, false), 0);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 1, DSM_M, NULL, false), 0);
    LOG("run 1+3;install 0 rw;");
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(mem[i][0], 0);
        CU_ASSERT_EQUAL(mem[i][DSM_PAGE_SIZE - 1], 0);
        CU_ASSERT_EQUAL(dsm_pages_state(&ps, (uint64_t)i), DSM_M);
    }
    /* malformed runs */
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 0, DSM_S, run, true), -EINVAL);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, DSM_RUN_MAX + 1, DSM_S, run, true), -EINVAL);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, UINT64_MAX, 2, DSM_S, run, true), -EINVAL);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 2, DSM_I, run, true), -EINVAL);
    use_ops(&ops);
}

/* A strided stream's run: its pages lie stride apart, each installed on
 * its own (never as one run install over the pages between), the bytes
 * in order; a tripwire is still the first; malformed strides refused. */
static void test_on_data_strided(void) {
    reset();
    use_ops(&run_ops);
    static uint8_t run[2][DSM_PAGE_SIZE];
    for (int i = 0; i < 2; i++)
        memset(run[i], 0x10 + i, DSM_PAGE_SIZE);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_SENT);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, 0, 2, 2, DSM_S, run, false), 0);
    LOG("install 0 r;install 2 r;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 0), DSM_S);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_I);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_S);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_I);
    CU_ASSERT_EQUAL(mem[0][7], 0x10);
    CU_ASSERT_EQUAL(mem[2][7], 0x11);
    CU_ASSERT_EQUAL(ps.stats.installs, 2);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_SENT);
    /* zeros, writable, pages 1 and 3 (1 was asked for meanwhile) */
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, 1, 2, 2, DSM_M, NULL, false), 0);
    LOG("install 1 rw;install 3 rw;");
    CU_ASSERT_EQUAL(mem[3][9], 0);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_M);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_READY);
    /* a stride of 1 is a run of consecutive pages: one install */
    for (uint64_t p = 0; p < 4; p++)
        CU_ASSERT_EQUAL(
            p & 1 ? dsm_pages_on_fetch(&ps, p, DSM_I, buf) : dsm_pages_on_invalidate(&ps, p), 0);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, 0, 2, 1, DSM_S, run, false), 0);
    LOG("run 0+2;");
    /* a tripwire: the first page held aside, the others installed */
    reset();
    use_ops(&run_ops);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, 0, 2, 3, DSM_S, run, true), 0);
    LOG("install 3 r;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 0), DSM_S);
    CU_ASSERT_FALSE(present[0]);
    CU_ASSERT_EQUAL(mem[3][0], 0x11);
    /* malformed: no stride, a run past the last page */
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, 0, 2, 0, DSM_S, run, false), -EINVAL);
    CU_ASSERT_EQUAL(dsm_pages_on_data_strided(&ps, UINT64_MAX - 2, 2, 4, DSM_S, run, false),
                    -EINVAL);
    use_ops(&ops);
}

/* A run's tripwire: its first page is held in S off the host; the
 * first access installs it and reports it reached (once), a write then
 * upgrades, reads of its bytes come from the stash, and an invalidate,
 * a new copy or a grant deal with it without a host copy to drop. */
static void test_tripwire(void) {
    reset();
    use_ops(&run_ops);
    static uint8_t run[4][DSM_PAGE_SIZE];
    for (int i = 0; i < 4; i++)
        memset(run[i], 0x20 + i, DSM_PAGE_SIZE);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 4, DSM_S, run, true), 0);
    LOG("run 1+3;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 0), DSM_S);
    CU_ASSERT_FALSE(present[0]);
    CU_ASSERT_EQUAL(ps.stats.installs, 4);
    /* its bytes, without touching the host */
    CLEARLOG();
    memset(buf, 0, sizeof buf);
    CU_ASSERT_EQUAL(dsm_pages_copy(&ps, 0, buf), 0);
    CU_ASSERT_EQUAL(buf[7], 0x20);
    LOG("");
    /* the walk gets there: installed here, reported, nothing asked */
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 0, false), DSM_FAULT_READY);
    LOG("install 0 r;reached 0;");
    CU_ASSERT(present[0]);
    CU_ASSERT_EQUAL(mem[0][DSM_PAGE_SIZE - 1], 0x20);
    CU_ASSERT_EQUAL(ps.stats.tripped, 1);
    CU_ASSERT_EQUAL(ps.stats.installs, 4);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 0, false), DSM_FAULT_READY);
    LOG(""); /* once */

    /* a write reaching a tripwire installs it, then upgrades */
    for (uint64_t p = 0; p < 4; p++)
        dsm_pages_on_invalidate(&ps, p);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 0, 4, DSM_S, run, true), 0);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 0, true), DSM_FAULT_SENT);
    LOG("install 0 r;reached 0;send 0 upgrade;");
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 0, DSM_M), 0);
    CU_ASSERT(writable[0]);

    /* invalidated before anyone got there: no host copy to drop */
    for (uint64_t p = 1; p < 4; p++)
        dsm_pages_on_invalidate(&ps, p);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 1, 3, DSM_S, run[1], true), 0);
    CU_ASSERT_FALSE(present[1]);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_invalidate(&ps, 1), 0);
    LOG("");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_I);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_SENT);
    LOG("send 1 read;");

    /* a new copy of a tripwire replaces the stash: never reported */
    dsm_pages_on_data(&ps, 1, DSM_S, data);
    dsm_pages_on_invalidate(&ps, 1);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 1, 3, DSM_S, run[1], true), 0); /* 2, 3: held */
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data(&ps, 1, DSM_S, data), 0);
    LOG("install 1 r;");
    CU_ASSERT_EQUAL(mem[1][0], 0xab);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(ps.stats.tripped, 2);

    /* a grant of a tripwire puts its bytes in writable */
    dsm_pages_on_invalidate(&ps, 1);
    dsm_pages_on_invalidate(&ps, 2);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 1, 2, DSM_S, run[1], true), 0);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_grant(&ps, 1, DSM_M), 0);
    LOG("install 1 rw;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_M);
    CU_ASSERT_EQUAL(mem[1][5], 0x21);

    /* a thread already waits for the first page (its request crossed
     * the push): no tripwire, the page goes to the host and wakes it */
    dsm_pages_on_invalidate(&ps, 2);
    dsm_pages_on_invalidate(&ps, 3);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_SENT);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 2, 2, DSM_S, run[2], true), 0);
    LOG("run 2+2;");
    CU_ASSERT(present[2]);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(ps.stats.tripped, 2);

    /* a tripwire whose bytes cannot go to the host: the page is not held
     * any more, so the next fault asks for it instead of spinning */
    dsm_pages_on_invalidate(&ps, 2);
    dsm_pages_on_invalidate(&ps, 3);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 2, 2, DSM_S, run[2], true), 0);
    install_fail = 1;
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), -EIO);
    install_fail = 0;
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_I);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, false), DSM_FAULT_SENT);
    LOG("send 2 read;");
    dsm_pages_on_data(&ps, 2, DSM_S, data);

    /* a stashed page forgotten (munmap) leaves nothing behind (ASan) */
    dsm_pages_on_invalidate(&ps, 2);
    dsm_pages_on_invalidate(&ps, 3);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 2, 2, DSM_S, run[2], true), 0);
    dsm_pages_forget(&ps, 2, 1);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_I);
    /* and one still stashed at the end is freed with the table */
    dsm_pages_on_invalidate(&ps, 3);
    CU_ASSERT_EQUAL(dsm_pages_on_data_run(&ps, 3, 1, DSM_S, run[3], true), 0);
    CU_ASSERT_FALSE(present[3]);
    use_ops(&ops);
}

/* Fetches of a run of owned pages keeping S (node 0 serving a stream of
 * pushes): one protect_run write-protects them all, then each is S with
 * a new generation; a page not owned, a table without protect_run or a
 * failed protect_run change nothing and leave it to page-by-page. */
static void test_fetch_run(void) {
    reset();
    use_ops(&run_ops);
    for (uint64_t p = 0; p < 4; p++)
        dsm_pages_on_data(&ps, p, DSM_M, data);
    uint64_t g1 = dsm_pages_generation(&ps, 1);
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_fetch_run(&ps, 0, 3), 0);
    LOG("protect_run 0+3 r;");
    for (uint64_t p = 0; p < 3; p++) {
        CU_ASSERT_EQUAL(dsm_pages_state(&ps, p), DSM_S);
        CU_ASSERT(present[p]);
        CU_ASSERT_FALSE(writable[p]);
    }
    CU_ASSERT_NOT_EQUAL(dsm_pages_generation(&ps, 1), g1);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_M);
    CU_ASSERT_EQUAL(ps.stats.fetches, 3);
    /* page 2 is no longer owned: nothing happens */
    CLEARLOG();
    CU_ASSERT_EQUAL(dsm_pages_on_fetch_run(&ps, 2, 2), -EAGAIN);
    LOG("");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_M);
    /* the protection fails: still M */
    dsm_pages_on_invalidate(&ps, 2);
    dsm_pages_on_data(&ps, 2, DSM_M, data);
    protect_run_fail = 1;
    CU_ASSERT_EQUAL(dsm_pages_on_fetch_run(&ps, 2, 2), -EAGAIN);
    protect_run_fail = 0;
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_M);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_M);
    CU_ASSERT_EQUAL(dsm_pages_on_fetch_run(&ps, 0, DSM_RUN_MAX + 1), -EINVAL);
    /* no protect_run: page by page */
    use_ops(&ops);
    memset(present, 0, sizeof present);
    dsm_pages_on_data(&ps, 0, DSM_M, data);
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    CU_ASSERT_EQUAL(dsm_pages_on_fetch_run(&ps, 0, 2), -EAGAIN);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 0), DSM_M);
}

static void test_exclusive_monitor(void) {
    reset();
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    uint64_t g = dsm_pages_generation(&ps, 1);
    CU_ASSERT(dsm_pages_excl_valid(&ps, 1, g));
    /* leaves M and comes back: STXR must fail (no ABA) */
    dsm_pages_on_fetch(&ps, 1, DSM_S, buf);
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 1, g));
    dsm_pages_fault(&ps, 1, true);
    dsm_pages_on_grant(&ps, 1, DSM_M);
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 1, g));
    CU_ASSERT_NOT_EQUAL(dsm_pages_generation(&ps, 1), g);
    /* LDXR in S, upgrade with nobody else writing: STXR may succeed */
    dsm_pages_on_fetch(&ps, 1, DSM_S, buf);
    g = dsm_pages_generation(&ps, 1);
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 1, g)); /* S is not enough */
    dsm_pages_fault(&ps, 1, true);
    dsm_pages_on_grant(&ps, 1, DSM_M);
    CU_ASSERT(dsm_pages_excl_valid(&ps, 1, g));
    /* LDXR in S, then a remote writer invalidates: STXR must fail even
     * after the page comes back in M */
    dsm_pages_on_fetch(&ps, 1, DSM_S, buf);
    g = dsm_pages_generation(&ps, 1);
    dsm_pages_on_invalidate(&ps, 1);
    dsm_pages_fault(&ps, 1, true);
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 1, g));
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 77, 0)); /* never touched */
}

/* A page forgotten (munmap, a split or an unsplit) and touched again
 * starts above every generation it had: a load-exclusive from before the
 * forget cannot let a store-exclusive succeed after it (no ABA across a
 * forget, where the contents changed elsewhere meanwhile). */
static void test_exclusive_across_forget(void) {
    reset();
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    uint64_t g = dsm_pages_generation(&ps, 1);
    m_drop(NULL, 1); /* the caller of forget changed host memory */
    dsm_pages_forget(&ps, 1, 1);
    dsm_pages_fault(&ps, 1, true);
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    CU_ASSERT_FALSE(dsm_pages_excl_valid(&ps, 1, g));
    CU_ASSERT(dsm_pages_generation(&ps, 1) > g);
    /* the floor covers other pages too, and later loads work as usual */
    dsm_pages_on_data(&ps, 2, DSM_M, data);
    uint64_t g2 = dsm_pages_generation(&ps, 2);
    CU_ASSERT(g2 > g);
    CU_ASSERT(dsm_pages_excl_valid(&ps, 2, g2));
}

/* A store-exclusive that passed its check holds the page in M until it
 * ends: a fetch from another thread waits for it, and bumps the
 * generation after, so a later check with the old one fails. */
static atomic_int fetch_done;
static void *fetch_thread(void *p) {
    dsm_pages_on_fetch(&ps, 1, DSM_I, buf);
    atomic_store(&fetch_done, 1);
    return NULL;
}
static void test_exclusive_store_window(void) {
    reset();
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    uint64_t g = dsm_pages_generation(&ps, 1);
    CU_ASSERT_FALSE(dsm_pages_excl_begin(&ps, 1, g + 1)); /* wrong generation: nothing held */
    CU_ASSERT(dsm_pages_excl_begin(&ps, 1, g));
    atomic_store(&fetch_done, 0);
    pthread_t th;
    pthread_create(&th, NULL, fetch_thread, NULL);
    /* the fetch cannot start while the store is in its window */
    for (int i = 0; i < 100; i++)
        sched_yield();
    CU_ASSERT_EQUAL(atomic_load(&fetch_done), 0);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_M);
    dsm_pages_excl_end(&ps);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&fetch_done), 1);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_I);
    CU_ASSERT_FALSE(dsm_pages_excl_begin(&ps, 1, g));
    CU_ASSERT_FALSE(dsm_pages_excl_begin(&ps, 9, 0)); /* never touched */
}

/* Blocking acquires: two threads, one request, both released by it. */
struct acq {
    uint64_t page;
    bool write;
    int r;
};
static void *acq_thread(void *p) {
    struct acq *a = p;
    a->r = dsm_pages_acquire(&ps, a->page, a->write);
    return NULL;
}
/* Stats are written under the table lock: read them under it too. */
static void wait_for(uint64_t *counter, uint64_t n) {
    for (;;) {
        pthread_mutex_lock(&ps.lock);
        uint64_t v = *counter;
        pthread_mutex_unlock(&ps.lock);
        if (v >= n) return;
        sched_yield();
    }
}

/* Waits until the mock log holds s: the statistics counters move before
 * the callbacks log, so they cannot order what the log shows. */
static void wait_log(const char *s) {
    for (;;) {
        pthread_mutex_lock(&mock_lock);
        bool found = strstr(log_buf, s) != NULL;
        pthread_mutex_unlock(&mock_lock);
        if (found) return;
        sched_yield();
    }
}

static void test_acquire_threads(void) {
    reset();
    struct acq a = {1, true, -1}, b = {1, false, -1};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, acq_thread, &a);
    wait_for(&ps.stats.write_miss, 1);
    pthread_create(&tb, NULL, acq_thread, &b);
    wait_for(&ps.stats.dedup, 1); /* b saw the request in flight */
    dsm_pages_on_data(&ps, 1, DSM_M, data);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CU_ASSERT_EQUAL(a.r, 0);
    CU_ASSERT_EQUAL(b.r, 0);
    CU_ASSERT_EQUAL(sends, 1);

    /* a writer behind a read request upgrades after it */
    reset();
    struct acq r = {2, false, -1}, w = {2, true, -1};
    pthread_t tr, tw;
    pthread_create(&tr, NULL, acq_thread, &r);
    wait_for(&ps.stats.read_miss, 1);
    pthread_create(&tw, NULL, acq_thread, &w);
    wait_for(&ps.stats.dedup, 1);
    dsm_pages_on_data(&ps, 2, DSM_S, data);
    pthread_join(tr, NULL);
    CU_ASSERT_EQUAL(r.r, 0);
    wait_for(&ps.stats.upgrades, 1);
    wait_log("send 2 upgrade;"); /* the master grants only after the request */
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_S);
    dsm_pages_on_grant(&ps, 2, DSM_M);
    pthread_join(tw, NULL);
    CU_ASSERT_EQUAL(w.r, 0);
    CU_ASSERT_EQUAL(sends, 2);
    CU_ASSERT_STRING_EQUAL(log_buf, "send 2 read;install 2 r;send 2 upgrade;protect 2 rw;");
}

/* A request made on a layout a change then replaced gets a stale answer:
 * taken for the old mapping before the change begins, refused after. */
static void test_stale_answers(void) {
    reset();
    /* requests carry the last change applied in full */
    dsm_pages_layout_begin(&ps, 3);
    dsm_pages_layout_done(&ps, 3);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, false), DSM_FAULT_SENT);
    CU_ASSERT_EQUAL(last_layout, 3);
    /* change 4 has not begun: zeros, writable, the request answered */
    CU_ASSERT_EQUAL(dsm_pages_on_stale(&ps, 1, 4), 0);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 1), DSM_M);
    CU_ASSERT(present[1] && writable[1]);
    CU_ASSERT_EQUAL(mem[1][7], 0);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 1, true), DSM_FAULT_READY);
    CU_ASSERT_EQUAL(ps.stats.stale_installs, 1);

    /* an S copy waiting for its upgrade is made writable, bytes kept */
    dsm_pages_fault(&ps, 2, false);
    dsm_pages_on_data(&ps, 2, DSM_S, data);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 2, true), DSM_FAULT_SENT);
    log_buf[0] = 0;
    CU_ASSERT_EQUAL(dsm_pages_on_stale(&ps, 2, 4), 0);
    LOG("protect 2 rw;");
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 2), DSM_M);
    CU_ASSERT_EQUAL(mem[2][7], 0xab);

    /* no request waits: nothing happens but a wake */
    int w = wakes;
    CU_ASSERT_EQUAL(dsm_pages_on_stale(&ps, 3, 4), -ESTALE);
    CU_ASSERT_EQUAL(dsm_pages_state(&ps, 3), DSM_I);
    CU_ASSERT_EQUAL(wakes, w + 1);

    /* change 4 has begun: refused, the thread woken to ask again */
    dsm_pages_layout_begin(&ps, 4);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 3, false), DSM_FAULT_SENT);
    CU_ASSERT_EQUAL(last_layout, 3); /* not done yet */
    log_buf[0] = 0;
    CU_ASSERT_EQUAL(dsm_pages_on_stale(&ps, 3, 4), -ESTALE);
    LOG("");
    CU_ASSERT_FALSE(present[3]);
    CU_ASSERT_EQUAL(wakes, w + 2);
    CU_ASSERT_EQUAL(ps.stats.stale_refused, 2);
    dsm_pages_layout_done(&ps, 4);
    CU_ASSERT_EQUAL(dsm_pages_fault(&ps, 3, false), DSM_FAULT_SENT);
    CU_ASSERT_EQUAL(last_layout, 4);
    /* ids only go up */
    dsm_pages_layout_done(&ps, 2);
    dsm_pages_fault(&ps, 0, false);
    CU_ASSERT_EQUAL(last_layout, 4);
}

/* A page present on the host that the table holds in I goes; held ones stay. */
static void test_drop_stray(void) {
    reset();
    present[1] = 1;
    CU_ASSERT_EQUAL(dsm_pages_drop_stray(&ps, 1), 0);
    CU_ASSERT_FALSE(present[1]);
    dsm_pages_fault(&ps, 2, false);
    dsm_pages_on_data(&ps, 2, DSM_S, data);
    CU_ASSERT_EQUAL(dsm_pages_drop_stray(&ps, 2), 0);
    CU_ASSERT(present[2]);
    LOG("drop 1;send 2 read;install 2 r;");
}

/* A blocking acquire whose request a layout change forgot asks again
 * (the entry it waited on is gone, not read after being freed). */
static void test_acquire_across_forget(void) {
    reset();
    struct acq a = {1, false, -1};
    pthread_t t;
    pthread_create(&t, NULL, acq_thread, &a);
    wait_for(&ps.stats.read_miss, 1);
    dsm_pages_forget(&ps, 0, 4);
    wait_for(&ps.stats.read_miss, 2);
    dsm_pages_on_data(&ps, 1, DSM_S, data);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(a.r, 0);
    CU_ASSERT_EQUAL(sends, 2);
}

static void test_grows_with_pages(void) {
    reset();
    for (uint64_t p = 0; p < 50000; p++)
        dsm_pages_fault(&ps, p * 1000003, false);
    CU_ASSERT_EQUAL(ps.pages.n, 50000);
    CU_ASSERT_EQUAL(ps.stats.read_miss, 50000);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dsm_page_state", setup, teardown);
    CU_add_test(s, "faults: one request per page, dedup", test_fault_dedup);
    CU_add_test(s, "fetch: write-protect, copy, drop", test_fetch_order);
    CU_add_test(s, "invalidate", test_invalidate);
    CU_add_test(s, "protocol errors", test_protocol_errors);
    CU_add_test(s, "send failure clears the request", test_send_failure);
    CU_add_test(s, "subscribers", test_subscribers);
    CU_add_test(s, "a run of pages in one message", test_on_data_run);
    CU_add_test(s, "a strided run", test_on_data_strided);
    CU_add_test(s, "a run's tripwire", test_tripwire);
    CU_add_test(s, "fetches of a run of owned pages", test_fetch_run);
    CU_add_test(s, "exclusive monitor generation", test_exclusive_monitor);
    CU_add_test(s, "exclusive monitor across a forget", test_exclusive_across_forget);
    CU_add_test(s, "exclusive store window holds off a fetch", test_exclusive_store_window);
    CU_add_test(s, "blocking acquire across threads", test_acquire_threads);
    CU_add_test(s, "memory grows with pages touched", test_grows_with_pages);
    CU_add_test(s, "stale answers across a layout change", test_stale_answers);
    CU_add_test(s, "stray pages of a new mapping dropped", test_drop_stray);
    CU_add_test(s, "blocking acquire across a forget", test_acquire_across_forget);
}
