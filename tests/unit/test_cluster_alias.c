/* The table of aliased guest pages (cluster/alias.c): keys of pages,
 * the pages of a key, active marks, and what a removal reports (pages
 * whose bytes must move, keys no page shows any more), including
 * removals that cut ranges in the middle; and the validation of the
 * LAYOUT_ALIAS message. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/alias.h"
#include "net/msg.h"

#define K(obj, pg) alias_key_of(obj, pg)

struct seen {
    uint64_t gone[64][2], dead[64];
    size_t ngone, ndead;
};

static void on_gone(void *arg, uint64_t page, uint64_t key) {
    struct seen *s = arg;
    s->gone[s->ngone][0] = page;
    s->gone[s->ngone++][1] = key;
}

static void on_dead(void *arg, uint64_t key) {
    struct seen *s = arg;
    s->dead[s->ndead++] = key;
}

static bool has_dead(const struct seen *s, uint64_t key) {
    for (size_t i = 0; i < s->ndead; i++)
        if (s->dead[i] == key) return true;
    return false;
}

static void test_keys(void) {
    struct alias_table t;
    alias_init(&t);
    CU_ASSERT_EQUAL(alias_key(&t, 0x1000), 0x1000); /* nothing aliased: the page itself */
    CU_ASSERT(alias_is_key(K(1, 0)) && !alias_is_key(0x7ffffff));
    CU_ASSERT_EQUAL(alias_obj_of(K(5, 123)), 5);
    /* file pages 2..5 of object 1 at 0x100, pages 0..3 at 0x200 */
    alias_add(&t, 0x100, 4, K(1, 2));
    alias_add(&t, 0x200, 4, K(1, 0));
    CU_ASSERT_EQUAL(alias_key(&t, 0x100), K(1, 2));
    CU_ASSERT_EQUAL(alias_key(&t, 0x103), K(1, 5));
    CU_ASSERT_EQUAL(alias_key(&t, 0x104), 0x104);
    CU_ASSERT_EQUAL(alias_key(&t, 0x202), K(1, 2));
    uint64_t pg[4];
    CU_ASSERT_EQUAL(alias_pages(&t, K(1, 2), pg, 4), 2);
    CU_ASSERT((pg[0] == 0x100 && pg[1] == 0x202) || (pg[0] == 0x202 && pg[1] == 0x100));
    CU_ASSERT_EQUAL(alias_pages(&t, K(1, 0), pg, 4), 1);
    CU_ASSERT_EQUAL(alias_pages(&t, K(1, 6), pg, 4), 0);
    CU_ASSERT(alias_obj_live(&t, 1) && !alias_obj_live(&t, 2));
    /* marks: place picks the lowest page once, then keeps it */
    CU_ASSERT_EQUAL(alias_active(&t, K(1, 2)), 0);
    CU_ASSERT_EQUAL(alias_place(&t, K(1, 2)), 0x100);
    alias_set_active(&t, K(1, 2), 0x202);
    CU_ASSERT_EQUAL(alias_place(&t, K(1, 2)), 0x202);
    CU_ASSERT(!alias_activate(&t, K(1, 2), 0x201)); /* shows K(1,1) */
    CU_ASSERT_EQUAL(alias_active(&t, K(1, 2)), 0x202);
    CU_ASSERT(alias_activate(&t, K(1, 2), 0x100));
    CU_ASSERT_EQUAL(alias_place(&t, K(1, 9)), 0); /* no page shows it */
    alias_fini(&t);
}

static void test_remove(void) {
    struct alias_table t;
    alias_init(&t);
    alias_add(&t, 0x100, 8, K(1, 0));
    alias_add(&t, 0x300, 2, K(1, 2)); /* shows K(1,2), K(1,3) again */
    alias_set_active(&t, K(1, 2), 0x102);
    alias_set_active(&t, K(1, 3), 0x301);
    alias_set_active(&t, K(1, 5), 0x105);
    /* a hole in the middle of the first range: 0x102..0x105 */
    struct seen s = {0};
    alias_remove(&t, 0x102, 4, on_gone, on_dead, &s);
    CU_ASSERT_EQUAL(alias_key(&t, 0x101), K(1, 1));
    CU_ASSERT_EQUAL(alias_key(&t, 0x102), 0x102);
    CU_ASSERT_EQUAL(alias_key(&t, 0x105), 0x105);
    CU_ASSERT_EQUAL(alias_key(&t, 0x106), K(1, 6));
    /* the active pages there are reported, marks kept for the mover */
    CU_ASSERT_EQUAL(s.ngone, 2);
    for (size_t i = 0; i < s.ngone; i++)
        CU_ASSERT((s.gone[i][0] == 0x102 && s.gone[i][1] == K(1, 2)) ||
                  (s.gone[i][0] == 0x105 && s.gone[i][1] == K(1, 5)));
    CU_ASSERT_EQUAL(alias_active(&t, K(1, 2)), 0x102);
    /* K(1,2), K(1,3) still shown at 0x300..; K(1,4), K(1,5) dead, marks gone */
    CU_ASSERT_EQUAL(s.ndead, 2);
    CU_ASSERT(has_dead(&s, K(1, 4)) && has_dead(&s, K(1, 5)));
    CU_ASSERT_EQUAL(alias_active(&t, K(1, 5)), 0);
    CU_ASSERT_EQUAL(alias_active(&t, K(1, 3)), 0x301);
    /* everything else goes: every key dies, 0x301 was active */
    memset(&s, 0, sizeof s);
    alias_remove(&t, 0, 0x1000, on_gone, on_dead, &s);
    CU_ASSERT_EQUAL(s.ndead, 6); /* K(1,0..3), K(1,6..7) */
    CU_ASSERT(has_dead(&s, K(1, 0)) && has_dead(&s, K(1, 3)) && has_dead(&s, K(1, 7)));
    CU_ASSERT_EQUAL(s.ngone, 1);
    CU_ASSERT_EQUAL(atomic_load(&t.live), 0);
    CU_ASSERT(!alias_obj_live(&t, 1));
    CU_ASSERT_EQUAL(alias_key(&t, 0x300), 0x300);
    alias_fini(&t);
}

/* Many ranges, removals of random spans: the table answers as a
 * page-by-page model does, and reports exactly the keys that die. */
static void test_random_model(void) {
    enum { PAGES = 256 };
    uint64_t model[PAGES] = {0}; /* key of page, 0: none */
    struct alias_table t;
    alias_init(&t);
    srand(7);
    for (int round = 0; round < 400; round++) {
        uint64_t first = (uint64_t)(rand() % PAGES), n = 1 + (uint64_t)(rand() % 16);
        if (first + n > PAGES) n = PAGES - first;
        if (rand() % 2) {
            struct seen s = {0};
            uint64_t before[PAGES];
            memcpy(before, model, sizeof model);
            alias_remove(&t, 0x1000 + first, n, NULL, on_dead, &s);
            for (uint64_t i = first; i < first + n; i++)
                model[i] = 0;
            /* a key died iff it was shown before and no page shows it now */
            for (uint64_t i = 0; i < PAGES; i++) {
                if (!before[i]) continue;
                bool still = false;
                for (uint64_t j = 0; j < PAGES && !still; j++)
                    still = model[j] == before[i];
                CU_ASSERT_EQUAL(has_dead(&s, before[i]), !still);
            }
        } else {
            bool free_ = true;
            for (uint64_t i = first; i < first + n; i++)
                free_ &= !model[i];
            if (!free_) continue;
            uint64_t key = K(1 + (uint64_t)(rand() % 3), (uint64_t)(rand() % 32));
            alias_add(&t, 0x1000 + first, n, key);
            for (uint64_t i = 0; i < n; i++)
                model[first + i] = key + i;
        }
        for (uint64_t i = 0; i < PAGES; i++)
            CU_ASSERT_EQUAL(alias_key(&t, 0x1000 + i), model[i] ? model[i] : 0x1000 + i);
    }
    alias_fini(&t);
}

static void test_message(void) {
    char why[128];
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    Shoal__LayoutChange l = SHOAL__LAYOUT_CHANGE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_LAYOUT_CHANGE;
    env.layout_change = &l;
    l.op = SHOAL__LAYOUT_OP__LAYOUT_ALIAS;
    l.addr = 0x10000;
    l.len = 0x2000;
    l.alias_key = K(3, 7);
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), 0);
    l.alias_key = 0x1234; /* a guest page number, not a key */
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
    l.alias_key = UINT64_MAX; /* the range would wrap */
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster_alias", NULL, NULL);
    CU_add_test(s, "keys, pages of a key, active marks", test_keys);
    CU_add_test(s, "removal reports moved pages and dead keys", test_remove);
    CU_add_test(s, "random adds and removals against a model", test_random_model);
    CU_add_test(s, "LAYOUT_ALIAS is validated", test_message);
}
