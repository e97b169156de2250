/*
 * The live seat map, kept for a moment: during an on-sale thousands of buyers reload
 * the same schedule's map, and it is enough that each sees holds and sales within a
 * second of the decision. Once the kept map is older than the TTL, one request (the
 * one that claims it) reads it from PostgreSQL again; until its map arrives the others
 * are given the old one, as long as it is younger than a second. So a map is read at
 * most once per TTL per schedule (per ingress), whatever the request rate; only when
 * no usable map is kept (the first request, or a read slower than the grace) does every
 * request read its own.
 */
#ifndef FT_INGRESS_SEAT_MAP_CACHE_H
#define FT_INGRESS_SEAT_MAP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/* How old a kept map may be when it is given out while another request reads a new one. */
#define FT_SEAT_MAP_STALE_MAX_MS 1000
/* A claim older than this is forgotten: its request is taken to have died. */
#define FT_SEAT_MAP_CLAIM_MAX_MS 5000

struct ft_seat_map_cache;

/* A cache of `slots` entries (schedules sharing a slot take turns), each fresh for ttl_ms. */
struct ft_seat_map_cache *ft_seat_map_cache_new(unsigned slots, int64_t ttl_ms);
void ft_seat_map_cache_free(struct ft_seat_map_cache *cache);

/*
 * A copy (malloc'd, the caller frees) of the schedule's map to answer with at now_ms:
 * one younger than the TTL, or while another request reads a new one, one younger than
 * FT_SEAT_MAP_STALE_MAX_MS. NULL when the caller must read the map itself; *claimed then
 * says whether it holds the claim, which ft_seat_map_cache_put or, when the read failed,
 * ft_seat_map_cache_abandon gives back.
 */
char *ft_seat_map_cache_get(struct ft_seat_map_cache *cache, int64_t schedule_id, int64_t now_ms, bool *claimed);

/* Keeps a copy of the schedule's map as read at read_at_ms, unless a newer read is kept,
 * and gives back the schedule's claim. */
void ft_seat_map_cache_put(struct ft_seat_map_cache *cache, int64_t schedule_id, const char *json,
                           int64_t read_at_ms);

/* Gives back the schedule's claim after a read that failed. */
void ft_seat_map_cache_abandon(struct ft_seat_map_cache *cache, int64_t schedule_id);

#endif
