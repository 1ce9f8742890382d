/* Pinned page ranges (split_pins.h). Pins of different threads may be
 * equal: equal entries are interchangeable, so removing or widening the
 * first match keeps every thread's pins in the set. */
#include "cluster/split_pins.h"

#include <stdlib.h>

/* The index of an entry equal to p, or s->n. */
static size_t set_find(const struct split_pin_set *s, struct split_pin p) {
    size_t i = 0;
    while (i < s->n && (s->v[i].first != p.first || s->v[i].last != p.last))
        i++;
    return i;
}

static uint64_t gap(struct split_pin p, uint64_t first, uint64_t last) {
    return first > p.last ? first - p.last : p.first > last ? p.first - last : 0;
}

void split_pins_add(struct split_pin_set *s, struct split_pin_list *mine, uint64_t first,
                    uint64_t last) {
    if (mine->n == SPLIT_PINS_PER_THREAD) {
        unsigned k = 0;
        for (unsigned i = 1; i < mine->n; i++)
            if (gap(mine->v[i], first, last) < gap(mine->v[k], first, last)) k = i;
        struct split_pin old = mine->v[k];
        struct split_pin wide = {old.first < first ? old.first : first,
                                 old.last > last ? old.last : last};
        size_t i = set_find(s, old);
        if (i < s->n) s->v[i] = wide;
        mine->v[k] = wide;
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        void *v = realloc(s->v, cap * sizeof *s->v);
        if (!v) return; /* not pinned: the syscall may see EFAULT if split meanwhile */
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (struct split_pin){first, last};
    mine->v[mine->n++] = (struct split_pin){first, last};
}

void split_pins_drop(struct split_pin_set *s, struct split_pin_list *mine) {
    for (unsigned k = 0; k < mine->n; k++) {
        size_t i = set_find(s, mine->v[k]);
        if (i < s->n) s->v[i] = s->v[--s->n];
    }
    mine->n = 0;
}

bool split_pins_cover(const struct split_pin_set *s, uint64_t page) {
    for (size_t i = 0; i < s->n; i++)
        if (page >= s->v[i].first && page <= s->v[i].last) return true;
    return false;
}

void split_pins_fini(struct split_pin_set *s) {
    free(s->v);
    *s = (struct split_pin_set){0};
}
