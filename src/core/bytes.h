/* bytes: fixed-width integers in byte strings (signed tokens), little-endian
 * whatever the machine, so a token made on one node reads on any other. */
#ifndef CARTABLE_CORE_BYTES_H
#define CARTABLE_CORE_BYTES_H

#include <stdint.h>

static inline void le64_put(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t le64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
