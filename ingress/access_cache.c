#include "access_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64
#define WAYS 4 /* places a token may take: those of its set */
#define HASH_BYTES crypto_shorthash_siphashx24_BYTES

struct slot {
    unsigned char hash[HASH_BYTES];
    struct ft_token_claims claims;
    bool used;
};

struct ft_access_cache {
    size_t set_mask; /* sets - 1; a set is WAYS consecutive slots */
    unsigned char key[crypto_shorthash_siphashx24_KEYBYTES];
    pthread_mutex_t locks[STRIPES];
    atomic_uint_fast64_t hits, misses;
    struct slot slots[];
};

struct ft_access_cache *ft_access_cache_new(size_t slots)
{
    size_t size = WAYS;
    while (size < slots && size < ((size_t)1 << 30))
        size <<= 1;
    struct ft_access_cache *cache = calloc(1, sizeof *cache + size * sizeof(struct slot));
    if (cache == NULL)
        return NULL;
    cache->set_mask = size / WAYS - 1;
    randombytes_buf(cache->key, sizeof cache->key);
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_init(&cache->locks[i], NULL);
    return cache;
}

void ft_access_cache_free(struct ft_access_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&cache->locks[i]);
    free(cache);
}

/* The way of a set that holds hash, or NULL. Lock held. */
static const struct slot *find_way(const struct slot *ways, const unsigned char *hash)
{
    for (int i = 0; i < WAYS; i++)
        if (ways[i].used && memcmp(ways[i].hash, hash, HASH_BYTES) == 0)
            return &ways[i];
    return NULL;
}

/* Where a token just verified goes: its own way (another thread verified it meanwhile),
 * else an empty one, else the one whose claims expire first. Tokens are
 * issued for the same time, so that is the one issued longest ago. Lock held. */
static struct slot *way_for(struct slot *ways, const unsigned char *hash)
{
    struct slot *place = &ways[0];
    for (int i = 0; i < WAYS; i++) {
        if (!ways[i].used || memcmp(ways[i].hash, hash, HASH_BYTES) == 0)
            return &ways[i];
        if (ways[i].claims.expires_at < place->claims.expires_at)
            place = &ways[i];
    }
    return place;
}

enum ft_token_result ft_access_cache_verify(struct ft_access_cache *cache, const char *secret, const char *token,
                                            time_t now, struct ft_token_claims *claims)
{
    size_t len = token != NULL ? strnlen(token, FT_TOKEN_MAX_LEN + 1) : 0;
    if (cache == NULL || len == 0 || len > FT_TOKEN_MAX_LEN)
        return ft_token_verify(secret, token, now, claims);
    unsigned char hash[HASH_BYTES];
    crypto_shorthash_siphashx24(hash, (const unsigned char *)token, len, cache->key);
    uint64_t where;
    memcpy(&where, hash, sizeof where);
    size_t set = (size_t)where & cache->set_mask;
    struct slot *ways = &cache->slots[set * WAYS];
    pthread_mutex_t *lock = &cache->locks[set % STRIPES];

    pthread_mutex_lock(lock);
    const struct slot *found = find_way(ways, hash);
    bool hit = found != NULL && found->claims.expires_at > now;
    if (hit)
        *claims = found->claims;
    pthread_mutex_unlock(lock);
    if (hit) {
        atomic_fetch_add_explicit(&cache->hits, 1, memory_order_relaxed);
        return FT_TOKEN_OK;
    }

    atomic_fetch_add_explicit(&cache->misses, 1, memory_order_relaxed);
    enum ft_token_result result = ft_token_verify(secret, token, now, claims);
    if (result == FT_TOKEN_OK) {
        pthread_mutex_lock(lock);
        struct slot *place = way_for(ways, hash);
        memcpy(place->hash, hash, sizeof hash);
        place->claims = *claims;
        place->used = true;
        pthread_mutex_unlock(lock);
    }
    return result;
}

void ft_access_cache_stats(struct ft_access_cache *cache, struct ft_access_cache_stats *out)
{
    *out = (struct ft_access_cache_stats){ 0 };
    if (cache == NULL)
        return;
    out->hits = atomic_load_explicit(&cache->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&cache->misses, memory_order_relaxed);
    out->bytes = sizeof *cache + (cache->set_mask + 1) * WAYS * sizeof(struct slot);
}
