#include "seat_map_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    int64_t schedule_id; /* 0: empty */
    int64_t read_at_ms;
    char *json;          /* NULL while only claimed */
    int64_t claimed_at_ms;
    bool claimed; /* a request is reading a new map */
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

/* The entry's map's age at now_ms, or -1 when it has none (or the clock went back). */
static int64_t age_of(const struct entry *e, int64_t now_ms)
{
    return e->json != NULL && now_ms >= e->read_at_ms ? now_ms - e->read_at_ms : -1;
}

char *ft_seat_map_cache_get(struct ft_seat_map_cache *cache, int64_t schedule_id, int64_t now_ms, bool *claimed)
{
    *claimed = false;
    char *copy = NULL;
    pthread_mutex_lock(&cache->lock);
    struct entry *e = slot_of(cache, schedule_id);
    if (e->schedule_id == 0)
        e->schedule_id = schedule_id;
    if (e->schedule_id != schedule_id) { /* another schedule's: read it, unclaimed; a put takes the slot */
        pthread_mutex_unlock(&cache->lock);
        return NULL;
    }
    int64_t age = age_of(e, now_ms);
    bool being_read = e->claimed && now_ms - e->claimed_at_ms < FT_SEAT_MAP_CLAIM_MAX_MS &&
                      now_ms >= e->claimed_at_ms;
    if (age >= 0 && (age < cache->ttl_ms || (being_read && age < FT_SEAT_MAP_STALE_MAX_MS))) {
        copy = strdup(e->json); /* NULL when out of memory: the caller reads it, unclaimed */
    } else if (!being_read) {
        e->claimed = true;
        e->claimed_at_ms = now_ms;
        *claimed = true;
    }
    pthread_mutex_unlock(&cache->lock);
    return copy;
}

void ft_seat_map_cache_put(struct ft_seat_map_cache *cache, int64_t schedule_id, const char *json,
                           int64_t read_at_ms)
{
    char *copy = strdup(json);
    char *old = NULL;
    pthread_mutex_lock(&cache->lock);
    struct entry *e = slot_of(cache, schedule_id);
    if (e->schedule_id != schedule_id) {
        old = e->json;
        *e = (struct entry){ .schedule_id = schedule_id };
    }
    e->claimed = false;
    if (copy != NULL && (e->json == NULL || read_at_ms >= e->read_at_ms)) {
        free(old);
        old = e->json;
        e->json = copy;
        e->read_at_ms = read_at_ms;
        copy = NULL;
    }
    pthread_mutex_unlock(&cache->lock);
    free(old);
    free(copy); /* not kept: a newer map is, or none could be copied */
}

void ft_seat_map_cache_abandon(struct ft_seat_map_cache *cache, int64_t schedule_id)
{
    pthread_mutex_lock(&cache->lock);
    struct entry *e = slot_of(cache, schedule_id);
    if (e->schedule_id == schedule_id)
        e->claimed = false;
    pthread_mutex_unlock(&cache->lock);
}
