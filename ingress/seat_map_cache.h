/*
 * The live seat map, kept for a moment: during an on-sale thousands of buyers reload
 * the same schedule's map, and it is enough that each sees holds and sales within a
 * second of the decision. A map is read from PostgreSQL at most once per TTL per
 * schedule (per ingress), whatever the request rate.
 */
#ifndef FT_INGRESS_SEAT_MAP_CACHE_H
#define FT_INGRESS_SEAT_MAP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct ft_seat_map_cache;

/* A cache of `slots` entries (schedules sharing a slot take turns), each fresh for ttl_ms. */
struct ft_seat_map_cache *ft_seat_map_cache_new(unsigned slots, int64_t ttl_ms);
void ft_seat_map_cache_free(struct ft_seat_map_cache *cache);

/* A copy (malloc'd, the caller frees) of the schedule's map when one younger than the
 * TTL is kept at now_ms; NULL otherwise. */
char *ft_seat_map_cache_get(struct ft_seat_map_cache *cache, int64_t schedule_id, int64_t now_ms);

/* Keeps a copy of the schedule's map as read at now_ms. */
void ft_seat_map_cache_put(struct ft_seat_map_cache *cache, int64_t schedule_id, const char *json, int64_t now_ms);

#endif
