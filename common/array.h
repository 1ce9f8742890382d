/* Growable arrays: the one place that knows how they grow. */
#ifndef SHOAL_COMMON_ARRAY_H
#define SHOAL_COMMON_ARRAY_H

#include <stddef.h>

/* The array v (*cap elements of elem bytes) with room for at least need
 * elements: capacity doubled from first (or more, if need asks for it),
 * *cap updated. NULL when out of memory: v and *cap are then unchanged
 * and v is still the caller's. */
void *array_grow(void *v, size_t *cap, size_t need, size_t elem, size_t first);

#endif
