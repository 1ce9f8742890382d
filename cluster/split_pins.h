/* Pinned page ranges (page splitting, dsm/DESIGN.md step 5): on the
 * master, the guest ranges a syscall in progress handed to the kernel,
 * which cannot wait for an unsplit, so no page in one is split. A node
 * keeps one set; each thread keeps the list of its own pins in the set,
 * dropped when its syscall ends. */
#ifndef SHOAL_CLUSTER_SPLIT_PINS_H
#define SHOAL_CLUSTER_SPLIT_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pins one thread holds at most: past that a new range widens the
 * nearest of them to cover both. Never dropped early: a page pinned that
 * need not be only makes a split give way until the syscall ends, where
 * an unpinned one could be sealed under the kernel (EFAULT). */
#define SPLIT_PINS_PER_THREAD 16

struct split_pin {
    uint64_t first, last; /* pages, inclusive */
};

struct split_pin_set {
    struct split_pin *v;
    size_t n, cap;
};

struct split_pin_list {
    struct split_pin v[SPLIT_PINS_PER_THREAD];
    unsigned n;
};

/* The caller serializes every call on one set. */
void split_pins_add(struct split_pin_set *s, struct split_pin_list *mine, uint64_t first,
                    uint64_t last);
void split_pins_drop(struct split_pin_set *s, struct split_pin_list *mine);
bool split_pins_cover(const struct split_pin_set *s, uint64_t page);
void split_pins_fini(struct split_pin_set *s);

#endif
