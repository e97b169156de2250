/*
 * A hash map from int64 keys (never 0) to uint64 values: open addressing with linear
 * probing and backward-shift deletion, so there are no tombstones and lookups stay short
 * however many keys come and go. Used for the worker's in-memory seat state.
 */
#ifndef FT_WORKER_I64MAP_H
#define FT_WORKER_I64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ft_i64map {
    int64_t *keys;   /* 0 = empty slot */
    uint64_t *values;
    size_t capacity; /* a power of two */
    size_t count;
};

/* An empty map; no allocation until the first put. */
void ft_i64map_init(struct ft_i64map *map);
void ft_i64map_free(struct ft_i64map *map);

/* Sets key to value. False when out of memory (the map is unchanged). key must not be 0. */
__attribute__((warn_unused_result)) bool ft_i64map_put(struct ft_i64map *map, int64_t key, uint64_t value);

/* Changes the value of a key that is present (never allocates); does nothing otherwise. */
void ft_i64map_replace(struct ft_i64map *map, int64_t key, uint64_t value);

/* Makes room for `count` keys in all, so that puts up to that count cannot fail. */
__attribute__((warn_unused_result)) bool ft_i64map_reserve(struct ft_i64map *map, size_t count);

/* True and *value when key is present. */
bool ft_i64map_get(const struct ft_i64map *map, int64_t key, uint64_t *value);

/* Removes key if present. */
void ft_i64map_remove(struct ft_i64map *map, int64_t key);

#endif
