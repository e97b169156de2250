#include "catalog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct schedule {
    int64_t id;
    bool open;
    size_t seat_count;
    struct ft_catalog_seat seats[]; /* sorted by id */
};

struct ft_catalog {
    pthread_rwlock_t lock;
    struct schedule **schedules; /* sorted by id */
    size_t count, cap;
    atomic_bool loaded;
};

struct ft_catalog *ft_catalog_new(void)
{
    struct ft_catalog *catalog = calloc(1, sizeof *catalog);
    if (catalog == NULL)
        return NULL;
    pthread_rwlock_init(&catalog->lock, NULL);
    atomic_init(&catalog->loaded, false);
    return catalog;
}

void ft_catalog_free(struct ft_catalog *catalog)
{
    if (catalog == NULL)
        return;
    for (size_t i = 0; i < catalog->count; i++)
        free(catalog->schedules[i]);
    free(catalog->schedules);
    pthread_rwlock_destroy(&catalog->lock);
    free(catalog);
}

/* Index of the first schedule whose id is >= id (count when none). Lock held. */
static size_t lower_bound(const struct ft_catalog *catalog, int64_t id)
{
    size_t lo = 0, hi = catalog->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (catalog->schedules[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct schedule *find(const struct ft_catalog *catalog, int64_t id)
{
    size_t i = lower_bound(catalog, id);
    return i < catalog->count && catalog->schedules[i]->id == id ? catalog->schedules[i] : NULL;
}

/*
 * A schedule's seats are made together, so their ids are mostly one run of numbers: the
 * seat is looked for first where that would put it, then by binary search. With a hall's
 * seats per schedule, each step of the search was a cache miss, and the two lookups of a
 * request (the check, the HELD answer) about 2 µs of the ingress's CPU (perf).
 */
static const struct ft_catalog_seat *find_seat(const struct schedule *s, int64_t seat_id)
{
    if (s->seat_count == 0)
        return NULL;
    uint64_t guess = (uint64_t)seat_id - (uint64_t)s->seats[0].id;
    if (guess < s->seat_count && s->seats[guess].id == seat_id)
        return &s->seats[guess];
    size_t lo = 0, hi = s->seat_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->seats[mid].id < seat_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->seat_count && s->seats[lo].id == seat_id ? &s->seats[lo] : NULL;
}

static int seat_order(const void *a, const void *b)
{
    int64_t x = ((const struct ft_catalog_seat *)a)->id, y = ((const struct ft_catalog_seat *)b)->id;
    return (x > y) - (x < y);
}

bool ft_catalog_put(struct ft_catalog *catalog, int64_t schedule_id, bool open, const struct ft_catalog_seat *seats,
                    size_t seat_count)
{
    pthread_rwlock_wrlock(&catalog->lock);
    struct schedule *known = find(catalog, schedule_id);
    if (known != NULL) {
        known->open = open;
        pthread_rwlock_unlock(&catalog->lock);
        return true;
    }
    pthread_rwlock_unlock(&catalog->lock);

    /* Build the new entry outside the lock: sorting a large hall takes a moment. */
    struct schedule *s = malloc(sizeof *s + seat_count * sizeof s->seats[0]);
    if (s == NULL)
        return false;
    s->id = schedule_id;
    s->open = open;
    s->seat_count = seat_count;
    if (seat_count > 0) {
        memcpy(s->seats, seats, seat_count * sizeof seats[0]);
        qsort(s->seats, seat_count, sizeof s->seats[0], seat_order);
    }

    pthread_rwlock_wrlock(&catalog->lock);
    size_t at = lower_bound(catalog, schedule_id);
    if (at < catalog->count && catalog->schedules[at]->id == schedule_id) { /* added meanwhile */
        catalog->schedules[at]->open = open;
        pthread_rwlock_unlock(&catalog->lock);
        free(s);
        return true;
    }
    if (catalog->count == catalog->cap) {
        size_t cap = catalog->cap ? catalog->cap * 2 : 64;
        struct schedule **grown = realloc(catalog->schedules, cap * sizeof *grown);
        if (grown == NULL) {
            pthread_rwlock_unlock(&catalog->lock);
            free(s);
            return false;
        }
        catalog->schedules = grown;
        catalog->cap = cap;
    }
    memmove(&catalog->schedules[at + 1], &catalog->schedules[at], (catalog->count - at) * sizeof s);
    catalog->schedules[at] = s;
    catalog->count++;
    pthread_rwlock_unlock(&catalog->lock);
    return true;
}

bool ft_catalog_set_open(struct ft_catalog *catalog, int64_t schedule_id, bool open)
{
    pthread_rwlock_wrlock(&catalog->lock);
    struct schedule *s = find(catalog, schedule_id);
    if (s != NULL)
        s->open = open;
    pthread_rwlock_unlock(&catalog->lock);
    return s != NULL;
}

bool ft_catalog_knows(struct ft_catalog *catalog, int64_t schedule_id)
{
    pthread_rwlock_rdlock(&catalog->lock);
    bool known = find(catalog, schedule_id) != NULL;
    pthread_rwlock_unlock(&catalog->lock);
    return known;
}

void ft_catalog_set_loaded(struct ft_catalog *catalog)
{
    atomic_store(&catalog->loaded, true);
}

bool ft_catalog_loaded(struct ft_catalog *catalog)
{
    return atomic_load(&catalog->loaded);
}

size_t ft_catalog_schedule_count(struct ft_catalog *catalog)
{
    pthread_rwlock_rdlock(&catalog->lock);
    size_t count = catalog->count;
    pthread_rwlock_unlock(&catalog->lock);
    return count;
}

enum ft_catalog_check ft_catalog_check(struct ft_catalog *catalog, int64_t schedule_id, const int64_t *seat_ids,
                                       size_t count, int64_t *bad)
{
    enum ft_catalog_check result = FT_CATALOG_OK;
    pthread_rwlock_rdlock(&catalog->lock);
    const struct schedule *s = find(catalog, schedule_id);
    if (s == NULL)
        result = FT_CATALOG_UNKNOWN_SCHEDULE;
    else if (!s->open)
        result = FT_CATALOG_CLOSED;
    else
        for (size_t i = 0; i < count && result == FT_CATALOG_OK; i++)
            if (find_seat(s, seat_ids[i]) == NULL) {
                *bad = seat_ids[i];
                result = FT_CATALOG_FOREIGN_SEAT;
            }
    pthread_rwlock_unlock(&catalog->lock);
    return result;
}

bool ft_catalog_describe(struct ft_catalog *catalog, int64_t schedule_id, const int64_t *ids, size_t count,
                         struct ft_catalog_seat *out)
{
    pthread_rwlock_rdlock(&catalog->lock);
    const struct schedule *s = find(catalog, schedule_id);
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const struct ft_catalog_seat *seat = find_seat(s, ids[i]);
        if (seat == NULL)
            ok = false;
        else
            out[i] = *seat;
    }
    pthread_rwlock_unlock(&catalog->lock);
    return ok;
}
