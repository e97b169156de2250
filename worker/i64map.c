#include "i64map.h"

#include <stdlib.h>

void ft_i64map_init(struct ft_i64map *map)
{
    *map = (struct ft_i64map){ 0 };
}

void ft_i64map_free(struct ft_i64map *map)
{
    free(map->keys);
    free(map->values);
    ft_i64map_init(map);
}

static size_t slot_of(int64_t key, size_t capacity)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing spreads sequential ids */
    return (size_t)(h >> 17) & (capacity - 1);
}

static bool grow(struct ft_i64map *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 16;
    int64_t *keys = calloc(capacity, sizeof *keys);
    uint64_t *values = calloc(capacity, sizeof *values);
    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return false;
    }
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->keys[i] == 0)
            continue;
        size_t s = slot_of(map->keys[i], capacity);
        while (keys[s] != 0)
            s = (s + 1) & (capacity - 1);
        keys[s] = map->keys[i];
        values[s] = map->values[i];
    }
    free(map->keys);
    free(map->values);
    map->keys = keys;
    map->values = values;
    map->capacity = capacity;
    return true;
}

bool ft_i64map_reserve(struct ft_i64map *map, size_t count)
{
    while (count * 4 > map->capacity * 3)
        if (!grow(map))
            return false;
    return true;
}

bool ft_i64map_put(struct ft_i64map *map, int64_t key, uint64_t value)
{
    if ((map->count + 1) * 4 > map->capacity * 3 && !grow(map)) /* load factor at most 3/4 */
        return false;
    size_t s = slot_of(key, map->capacity);
    while (map->keys[s] != 0 && map->keys[s] != key)
        s = (s + 1) & (map->capacity - 1);
    if (map->keys[s] == 0)
        map->count++;
    map->keys[s] = key;
    map->values[s] = value;
    return true;
}

/* The slot holding key, or capacity when absent. */
static size_t find(const struct ft_i64map *map, int64_t key)
{
    if (map->capacity == 0)
        return 0;
    for (size_t s = slot_of(key, map->capacity);; s = (s + 1) & (map->capacity - 1)) {
        if (map->keys[s] == 0)
            return map->capacity;
        if (map->keys[s] == key)
            return s;
    }
}

bool ft_i64map_get(const struct ft_i64map *map, int64_t key, uint64_t *value)
{
    size_t s = find(map, key);
    if (s == map->capacity)
        return false;
    *value = map->values[s];
    return true;
}

void ft_i64map_replace(struct ft_i64map *map, int64_t key, uint64_t value)
{
    size_t s = find(map, key);
    if (s != map->capacity)
        map->values[s] = value;
}

void ft_i64map_remove(struct ft_i64map *map, int64_t key)
{
    if (map->capacity == 0)
        return;
    size_t mask = map->capacity - 1, s = slot_of(key, map->capacity);
    while (map->keys[s] != key) {
        if (map->keys[s] == 0)
            return;
        s = (s + 1) & mask;
    }
    /* Backward shift: pull later members of the probe run into the hole. */
    size_t hole = s;
    for (size_t next = (hole + 1) & mask; map->keys[next] != 0; next = (next + 1) & mask) {
        size_t home = slot_of(map->keys[next], map->capacity);
        /* The entry may move to the hole only if its home is not in (hole, next]. */
        bool home_between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
        if (!home_between) {
            map->keys[hole] = map->keys[next];
            map->values[hole] = map->values[next];
            hole = next;
        }
    }
    map->keys[hole] = 0;
    map->values[hole] = 0;
    map->count--;
}
