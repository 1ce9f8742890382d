/* Shared mappings as DSM objects (cluster/alias.h), the master's part:
 * each file a MAP_SHARED mapping shows gets an object id, the guest range
 * becomes an alias of the object's pages on every node, and node 0's
 * copy of the file (read into the range by guest_mem) becomes the
 * object's pages where nobody knew them yet. Runs in guest_mem's hooks,
 * with the guest space's write lock held. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "cluster/dsm_alias.h"
#include "common/array.h"
#include "common/log.h"
#include "master/master_internal.h"

/* The object of (dev, ino): the id it has while some range shows it,
 * else a fresh one (a key of an object unmapped everywhere is forgotten
 * by every node and never met again). */
static uint64_t object_of(struct master *m, uint64_t dev, uint64_t ino) {
    for (size_t i = 0; i < m->naobj; i++) {
        struct malias_obj *o = &m->aobj[i];
        if (o->dev != dev || o->ino != ino) continue;
        if (!alias_obj_live(&m->dsm.alias, o->obj)) o->obj = ++m->next_obj;
        return o->obj;
    }
    if (m->naobj == m->capaobj) {
        struct malias_obj *v = array_grow(m->aobj, &m->capaobj, m->naobj + 1, sizeof *v, 8);
        SHOAL_ASSERT(v);
        m->aobj = v;
    }
    m->aobj[m->naobj] = (struct malias_obj){dev, ino, ++m->next_obj};
    return m->aobj[m->naobj++].obj;
}

static bool resident(struct master *m, uint64_t page) {
    unsigned char v = 0;
    return !mincore(m->proc->mem.base + page * DSM_PAGE_SIZE, DSM_PAGE_SIZE, &v) && (v & 1);
}

void malias_map(void *opaque, uint64_t start, uint64_t len, uint64_t dev, uint64_t ino,
                uint64_t off) {
    struct master *m = opaque;
    uint64_t obj = object_of(m, dev, ino);
    if (obj > ALIAS_OBJ_MAX) {
        log_warn("too many shared file objects: this mapping is a private copy");
        return;
    }
    struct malias_next *v =
        array_grow(m->alias_next, &m->capalias_next, m->nalias_next + 1, sizeof *v, 4);
    SHOAL_ASSERT(v);
    m->alias_next = v;
    v[m->nalias_next++] = (struct malias_next){start, len, alias_key_of(obj, off / DSM_PAGE_SIZE)};
}

/* dir_lock held, the range just forgotten by address (dirsvc_relayout),
 * node 0's fault capture armed anew on it. Node 0's copy of the file
 * (read into the range by guest_mem) is the object's where the object's
 * page is new; else the page's bytes are wherever the directory says,
 * and the copy goes. */
static void apply_one(struct master *m, const struct malias_next *a) {
    uint64_t first = a->start / DSM_PAGE_SIZE, np = a->len / DSM_PAGE_SIZE;
    alias_add(&m->dsm.alias, first, np, a->key);
    for (uint64_t i = 0; i < np; i++) {
        uint64_t key = a->key + i, pg = first + i;
        bool here = resident(m, pg);
        bool known = dir_find(&m->dir, key) || u64map_get(&m->home, key);
        bool adopt = !known && here && !dir_adopt(&m->dir, key, 0);
        if (adopt) {
            alias_set_active(&m->dsm.alias, key, pg);
            dsm_pages_adopt(&m->dsm.pages, key, DSM_M);
            /* a page mremap moved here may carry a write-protect mark:
             * in M it must take stores (as dirsvc_adopt_present) */
            dsm_fault_pages_protect(&m->dsm, pg, PROT_READ | PROT_WRITE);
        } else if (here) {
            dsm_fault_pages_drop(&m->dsm, pg);
        }
    }
    /* node 0's threads parked on a page asked for by address ask again,
     * by key */
    dsm_fault_wake_range(m->dsm.region, a->start, a->len);
}

void malias_apply(struct master *m) {
    for (size_t i = 0; i < m->nalias_next; i++)
        apply_one(m, &m->alias_next[i]);
}

void malias_announce(struct master *m) {
    for (size_t i = 0; i < m->nalias_next; i++)
        layout_alias(m, m->alias_next[i].start, m->alias_next[i].len, m->alias_next[i].key);
    m->nalias_next = 0;
}

static void dead(void *ctx, uint64_t key) {
    dirsvc_forget_keys(ctx, key, 1);
}

void malias_unmapping(struct master *m, uint64_t start, uint64_t len, bool keep) {
    dsm_alias_unmapping(&m->dsm, start, len, keep, dead, m);
}
