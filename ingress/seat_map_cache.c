#include "seat_map_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    int64_t schedule_id; /* 0: empty */
    int64_t read_at_ms;
    char *json;
};

struct ft_seat_map_cache {
    pthread_mutex_t lock;
    int64_t ttl_ms;
    unsigned slots;
    struct entry entries[];
};

struct ft_seat_map_cache *ft_seat_map_cache_new(unsigned slots, int64_t ttl_ms)
{
    if (slots == 0)
        return NULL;
    struct ft_seat_map_cache *cache = calloc(1, sizeof *cache + slots * sizeof(struct entry));
    if (cache == NULL)
        return NULL;
    pthread_mutex_init(&cache->lock, NULL);
    cache->ttl_ms = ttl_ms;
    cache->slots = slots;
    return cache;
}

void ft_seat_map_cache_free(struct ft_seat_map_cache *cache)
{
    if (cache == NULL)
        return;
    for (unsigned i = 0; i < cache->slots; i++)
        free(cache->entries[i].json);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

static struct entry *slot_of(struct ft_seat_map_cache *cache, int64_t schedule_id)
{
    return &cache->entries[(uint64_t)schedule_id % cache->slots];
}

char *ft_seat_map_cache_get(struct ft_seat_map_cache *cache, int64_t schedule_id, int64_t now_ms)
{
    char *copy = NULL;
    pthread_mutex_lock(&cache->lock);
    struct entry *e = slot_of(cache, schedule_id);
    if (e->schedule_id == schedule_id && e->json != NULL && now_ms - e->read_at_ms < cache->ttl_ms &&
        now_ms >= e->read_at_ms)
        copy = strdup(e->json);
    pthread_mutex_unlock(&cache->lock);
    return copy;
}

void ft_seat_map_cache_put(struct ft_seat_map_cache *cache, int64_t schedule_id, const char *json, int64_t now_ms)
{
    char *copy = strdup(json);
    if (copy == NULL)
        return; /* not kept: the next request reads PostgreSQL again */
    pthread_mutex_lock(&cache->lock);
    struct entry *e = slot_of(cache, schedule_id);
    char *old = e->json;
    *e = (struct entry){ .schedule_id = schedule_id, .read_at_ms = now_ms, .json = copy };
    pthread_mutex_unlock(&cache->lock);
    free(old);
}
