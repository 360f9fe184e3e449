#include "core/u64map.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

static inline uint64_t mix(uint64_t x)
{
    /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

void u64map_init(u64map_t *m)
{
    memset(m, 0, sizeof *m);
}

void u64map_dispose(u64map_t *m)
{
    free(m->keys);
    free(m->values);
    u64map_init(m);
}

void u64map_clear(u64map_t *m)
{
    if (m->cap)
        memset(m->keys, 0, sizeof(uint64_t) * m->cap);
    m->len = 0;
}

static void grow(u64map_t *m)
{
    size_t old_cap = m->cap;
    uint64_t *old_keys = m->keys, *old_values = m->values;
    m->cap = old_cap ? old_cap * 2 : 64;
    m->keys = xcalloc(m->cap, sizeof(uint64_t));
    m->values = xmalloc(sizeof(uint64_t) * m->cap);
    m->len = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old_keys[i])
            u64map_put(m, old_keys[i], old_values[i]);
    free(old_keys);
    free(old_values);
}

void u64map_put(u64map_t *m, uint64_t key, uint64_t value)
{
    if (key == 0)
        return;
    if ((m->len + 1) * 10 > m->cap * 7)
        grow(m);
    size_t mask = m->cap - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            m->values[i] = value;
            return;
        }
        if (m->keys[i] == 0) {
            m->keys[i] = key;
            m->values[i] = value;
            m->len++;
            return;
        }
    }
}

bool u64map_get(const u64map_t *m, uint64_t key, uint64_t *value)
{
    if (key == 0 || m->cap == 0)
        return false;
    size_t mask = m->cap - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            if (value)
                *value = m->values[i];
            return true;
        }
        if (m->keys[i] == 0)
            return false;
    }
}

bool u64map_erase(u64map_t *m, uint64_t key)
{
    if (key == 0 || m->cap == 0)
        return false;
    size_t mask = m->cap - 1;
    size_t i = mix(key) & mask;
    while (m->keys[i] != key) {
        if (m->keys[i] == 0)
            return false;
        i = (i + 1) & mask;
    }
    /* Backward-shift: move later entries of the cluster into the hole when their
     * home slot allows it, so no tombstone is needed. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        size_t home = mix(m->keys[j]) & mask;
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            m->keys[hole] = m->keys[j];
            m->values[hole] = m->values[j];
            hole = j;
        }
    }
    m->keys[hole] = 0;
    m->len--;
    return true;
}
