#include "access_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64
#define HASH_BYTES crypto_shorthash_siphashx24_BYTES

struct slot {
    unsigned char hash[HASH_BYTES];
    struct ft_token_claims claims;
    bool used;
};

struct ft_access_cache {
    size_t mask;
    unsigned char key[crypto_shorthash_siphashx24_KEYBYTES];
    pthread_mutex_t locks[STRIPES];
    atomic_uint_fast64_t hits, misses;
    struct slot slots[];
};

struct ft_access_cache *ft_access_cache_new(size_t slots)
{
    size_t size = 64;
    while (size < slots && size < ((size_t)1 << 30))
        size <<= 1;
    struct ft_access_cache *cache = calloc(1, sizeof *cache + size * sizeof(struct slot));
    if (cache == NULL)
        return NULL;
    cache->mask = size - 1;
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
    size_t index = (size_t)where & cache->mask;
    struct slot *slot = &cache->slots[index];
    pthread_mutex_t *lock = &cache->locks[index % STRIPES];

    pthread_mutex_lock(lock);
    bool hit = slot->used && memcmp(slot->hash, hash, sizeof hash) == 0 && slot->claims.expires_at > now;
    if (hit)
        *claims = slot->claims;
    pthread_mutex_unlock(lock);
    if (hit) {
        atomic_fetch_add_explicit(&cache->hits, 1, memory_order_relaxed);
        return FT_TOKEN_OK;
    }

    atomic_fetch_add_explicit(&cache->misses, 1, memory_order_relaxed);
    enum ft_token_result result = ft_token_verify(secret, token, now, claims);
    if (result == FT_TOKEN_OK) {
        pthread_mutex_lock(lock);
        memcpy(slot->hash, hash, sizeof hash);
        slot->claims = *claims;
        slot->used = true;
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
    out->bytes = sizeof *cache + (cache->mask + 1) * sizeof(struct slot);
}
