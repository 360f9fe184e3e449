/* u64map: an open-addressing hash map from 64-bit keys to 64-bit values.
 *
 * Contract: owned by one thread (a worker's cache); keys are spread with a
 * 64-bit mixer, so sequential ids do not cluster. Key 0 is reserved (never
 * stored). Grows at 70% load; erasing uses backward-shift deletion (no
 * tombstones), so lookups stay short however much churn there is.
 */
#ifndef CARTABLE_CORE_U64MAP_H
#define CARTABLE_CORE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct u64map {
    uint64_t *keys;
    uint64_t *values;
    size_t cap; /* power of two, or 0 */
    size_t len;
} u64map_t;

void u64map_init(u64map_t *m);
void u64map_dispose(u64map_t *m);
void u64map_clear(u64map_t *m);
/* Inserts or replaces. key must not be 0. */
void u64map_put(u64map_t *m, uint64_t key, uint64_t value);
bool u64map_get(const u64map_t *m, uint64_t key, uint64_t *value);
bool u64map_erase(u64map_t *m, uint64_t key);

#endif
