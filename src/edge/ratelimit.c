#include "edge/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define SHARDS 64
#define PROBES 8

typedef struct bucket {
    uint64_t key; /* 0: empty */
    double tokens;
    uint64_t updated_ms;
} bucket_t;

typedef struct shard {
    pthread_mutex_t lock;
    bucket_t *slots;
} shard_t;

struct ratelimit {
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    double per_second;
    double burst;
    unsigned slots_per_shard; /* power of two */
    shard_t shards[SHARDS];
};

ratelimit_t *ratelimit_new(unsigned capacity, double per_second, double burst)
{
    ratelimit_t *rl = xcalloc(1, sizeof *rl);
    crypto_shorthash_keygen(rl->hash_key);
    rl->per_second = per_second;
    rl->burst = burst;
    unsigned per = 16;
    while (per * SHARDS < capacity)
        per *= 2;
    rl->slots_per_shard = per;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&rl->shards[i].lock, NULL);
        rl->shards[i].slots = xcalloc(per, sizeof(bucket_t));
    }
    return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_destroy(&rl->shards[i].lock);
        free(rl->shards[i].slots);
    }
    free(rl);
}

static uint64_t hash_key(const ratelimit_t *rl, str_t key)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)key.ptr, key.len, rl->hash_key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1;
}

/* Finds or makes the key's bucket (refilled to now); the shard lock is held. */
static bucket_t *bucket_for(ratelimit_t *rl, shard_t *sh, uint64_t h, uint64_t now_ms)
{
    unsigned mask = rl->slots_per_shard - 1;
    unsigned start = (unsigned)(h >> 6) & mask;
    bucket_t *victim = NULL;
    for (unsigned i = 0; i < PROBES; i++) {
        bucket_t *b = &sh->slots[(start + i) & mask];
        if (b->key == h) {
            double elapsed = now_ms > b->updated_ms ? (double)(now_ms - b->updated_ms) / 1000.0 : 0.0;
            b->tokens = fmin(rl->burst, b->tokens + elapsed * rl->per_second);
            b->updated_ms = now_ms;
            return b;
        }
        if (b->key == 0) {
            victim = b;
            break;
        }
        if (!victim || b->updated_ms < victim->updated_ms)
            victim = b;
    }
    victim->key = h;
    victim->tokens = rl->burst;
    victim->updated_ms = now_ms;
    return victim;
}

static unsigned wait_seconds(const ratelimit_t *rl, double tokens, double cost)
{
    double missing = cost - tokens;
    double s = rl->per_second > 0 ? missing / rl->per_second : 3600.0;
    unsigned w = (unsigned)ceil(s);
    return w ? w : 1;
}

unsigned ratelimit_take(ratelimit_t *rl, str_t key, uint64_t now_ms, double cost)
{
    uint64_t h = hash_key(rl, key);
    shard_t *sh = &rl->shards[h & (SHARDS - 1)];
    pthread_mutex_lock(&sh->lock);
    bucket_t *b = bucket_for(rl, sh, h, now_ms);
    unsigned wait = 0;
    if (b->tokens >= cost)
        b->tokens -= cost;
    else
        wait = wait_seconds(rl, b->tokens, cost);
    pthread_mutex_unlock(&sh->lock);
    return wait;
}

unsigned ratelimit_check(ratelimit_t *rl, str_t key, uint64_t now_ms)
{
    uint64_t h = hash_key(rl, key);
    shard_t *sh = &rl->shards[h & (SHARDS - 1)];
    pthread_mutex_lock(&sh->lock);
    bucket_t *b = bucket_for(rl, sh, h, now_ms);
    unsigned wait = b->tokens >= 1.0 ? 0 : wait_seconds(rl, b->tokens, 1.0);
    pthread_mutex_unlock(&sh->lock);
    return wait;
}

void ratelimit_reset(ratelimit_t *rl, str_t key)
{
    uint64_t h = hash_key(rl, key);
    shard_t *sh = &rl->shards[h & (SHARDS - 1)];
    pthread_mutex_lock(&sh->lock);
    unsigned mask = rl->slots_per_shard - 1;
    unsigned start = (unsigned)(h >> 6) & mask;
    for (unsigned i = 0; i < PROBES; i++) {
        bucket_t *b = &sh->slots[(start + i) & mask];
        if (b->key == h) {
            b->tokens = rl->burst;
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
}
