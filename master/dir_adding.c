/* Changes that only add (an mmap of free space, an mprotect that takes
 * nothing away) until every node has acked them. The master does not
 * wait for those acks (layout.c), so for a while a slave may not have
 * the mapping yet: nothing the directory sends unasked (a forwarding
 * push, a first-touch claim) and no split goes into the range for a node
 * that has not acked it. What a node asks for on the new layout is safe:
 * it asks only for pages of mappings it has. One it asked for on an
 * older layout, in a range the change maps, it did not have: a fault
 * read after the change that freed the range (the fallback's handler
 * thread reads it from its pipe later). Served, it made the node the
 * owner of a page it then forgot when it applied the mmap, and the next
 * fetch found nothing; such a request is answered "ask again". */
#define _GNU_SOURCE
#include <stdlib.h>

#include "common/array.h"
#include "common/log.h"
#include "master/master_internal.h"

void dirsvc_adding(struct master *m, uint64_t start, uint64_t len, uint64_t id, bool maps) {
    pthread_mutex_lock(&m->dir_lock);
    m->adding = array_grow(m->adding, &m->capadding, m->nadding + 1, sizeof *m->adding, 8);
    SHOAL_ASSERT(m->adding);
    m->adding[m->nadding++] =
        (struct adding_range){start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE, id, maps};
    pthread_mutex_unlock(&m->dir_lock);
}

void dirsvc_acked(struct master *m, dsm_node_t node, uint64_t id) {
    if (node == 0 || node >= m->cfg.nodes) return;
    pthread_mutex_lock(&m->dir_lock);
    if (id > m->acked[node]) m->acked[node] = id;
    /* acks come in order on each link: a change every node acked is
     * applied everywhere, and so is every change before it */
    uint64_t all = UINT64_MAX;
    for (dsm_node_t n = 1; n < m->cfg.nodes; n++)
        if (m->acked[n] < all) all = m->acked[n];
    size_t k = 0;
    for (size_t i = 0; i < m->nadding; i++)
        if (m->adding[i].id > all) m->adding[k++] = m->adding[i];
    m->nadding = k;
    pthread_mutex_unlock(&m->dir_lock);
}

bool dirsvc_adding_for(const struct master *m, dsm_node_t node, uint64_t page) {
    if (node == 0) return false; /* node 0 changes with the directory */
    for (size_t i = 0; i < m->nadding; i++) {
        const struct adding_range *a = &m->adding[i];
        if (page - a->first < a->n && (node == DIR_NODE_NONE || a->id > m->acked[node]))
            return true;
    }
    return false;
}

bool dirsvc_added_after(const struct master *m, dsm_node_t node, uint64_t page, uint64_t layout) {
    if (node == 0) return false;
    for (size_t i = 0; i < m->nadding; i++) {
        const struct adding_range *a = &m->adding[i];
        if (a->maps && page - a->first < a->n && layout < a->id) return true;
    }
    return false;
}
