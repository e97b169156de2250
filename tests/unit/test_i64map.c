#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "i64map.h"

/* A small deterministic PRNG (splitmix64), so a failure can be replayed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t occupied_slots(const struct ft_i64map *map)
{
    size_t n = 0;
    for (size_t i = 0; i < map->capacity; i++)
        n += map->keys[i] != 0;
    return n;
}

static void put(struct ft_i64map *map, int64_t key, uint64_t value)
{
    cr_assert(ft_i64map_put(map, key, value), "put %lld failed", (long long)key);
}

Test(i64map, an_empty_map_finds_nothing_and_allocates_nothing)
{
    struct ft_i64map map;
    ft_i64map_init(&map);
    uint64_t value = 42;
    cr_assert_not(ft_i64map_get(&map, 7, &value));
    cr_assert_eq(value, 42, "get of a missing key must not write the value");
    ft_i64map_remove(&map, 7);
    ft_i64map_replace(&map, 7, 1);
    cr_assert_eq(map.count, 0);
    cr_assert_eq(map.capacity, 0);
    cr_assert_null(map.keys);
    ft_i64map_free(&map);
}

Test(i64map, put_get_replace_remove)
{
    struct ft_i64map map;
    ft_i64map_init(&map);
    put(&map, 5, 50);
    put(&map, -9, 90);
    put(&map, INT64_MAX, 1);
    put(&map, INT64_MIN, 2);
    cr_assert_eq(map.count, 4);

    uint64_t value = 0;
    cr_assert(ft_i64map_get(&map, 5, &value));
    cr_assert_eq(value, 50);
    cr_assert(ft_i64map_get(&map, -9, &value));
    cr_assert_eq(value, 90);
    cr_assert(ft_i64map_get(&map, INT64_MAX, &value));
    cr_assert_eq(value, 1);
    cr_assert(ft_i64map_get(&map, INT64_MIN, &value));
    cr_assert_eq(value, 2);
    cr_assert_not(ft_i64map_get(&map, 6, &value));

    /* put of a present key changes its value, not the count */
    put(&map, 5, 55);
    cr_assert_eq(map.count, 4);
    cr_assert(ft_i64map_get(&map, 5, &value));
    cr_assert_eq(value, 55);

    ft_i64map_replace(&map, -9, UINT64_MAX);
    cr_assert(ft_i64map_get(&map, -9, &value));
    cr_assert_eq(value, UINT64_MAX);

    /* replace of an absent key adds nothing */
    ft_i64map_replace(&map, 77, 1);
    cr_assert_not(ft_i64map_get(&map, 77, &value));
    cr_assert_eq(map.count, 4);

    ft_i64map_remove(&map, 5);
    cr_assert_not(ft_i64map_get(&map, 5, &value));
    cr_assert_eq(map.count, 3);
    ft_i64map_remove(&map, 5); /* twice: nothing */
    ft_i64map_remove(&map, 12345);
    cr_assert_eq(map.count, 3);
    cr_assert_eq(occupied_slots(&map), 3);

    ft_i64map_free(&map);
    cr_assert_eq(map.count, 0);
    cr_assert_eq(map.capacity, 0);
    /* a freed map is an empty map, usable again */
    put(&map, 3, 33);
    cr_assert(ft_i64map_get(&map, 3, &value));
    cr_assert_eq(value, 33);
    ft_i64map_free(&map);
}

Test(i64map, grows_keeping_every_key_and_the_load_factor)
{
    struct ft_i64map map;
    ft_i64map_init(&map);
    const int64_t n = 20000;
    for (int64_t k = 1; k <= n; k++) {
        put(&map, k * 1024 + 3, (uint64_t)k); /* ids shaped like reservation ids */
        cr_assert_eq(map.count, (size_t)k);
        cr_assert_eq(map.capacity & (map.capacity - 1), 0, "capacity %zu is not a power of two", map.capacity);
        cr_assert_leq(map.count * 4, map.capacity * 3, "load factor above 3/4 at %zu/%zu", map.count,
                      map.capacity);
    }
    cr_assert_eq(occupied_slots(&map), (size_t)n);
    for (int64_t k = 1; k <= n; k++) {
        uint64_t value = 0;
        cr_assert(ft_i64map_get(&map, k * 1024 + 3, &value), "lost key %lld", (long long)k);
        cr_assert_eq(value, (uint64_t)k);
    }
    /* remove every other key; the rest must still be found through the shifted runs */
    for (int64_t k = 1; k <= n; k += 2)
        ft_i64map_remove(&map, k * 1024 + 3);
    cr_assert_eq(map.count, (size_t)n / 2);
    for (int64_t k = 1; k <= n; k++) {
        uint64_t value = 0;
        bool found = ft_i64map_get(&map, k * 1024 + 3, &value);
        cr_assert_eq(found, k % 2 == 0, "key %lld", (long long)k);
        if (found)
            cr_assert_eq(value, (uint64_t)k);
    }
    ft_i64map_free(&map);
}

/* --- randomized against a plain array ------------------------------------------- */

#define POOL_MAX 256

struct reference {
    int64_t keys[POOL_MAX];
    bool present[POOL_MAX];
    uint64_t values[POOL_MAX];
    size_t pool, count;
};

static void compare(const struct ft_i64map *map, const struct reference *ref, long op)
{
    cr_assert_eq(map->count, ref->count, "op %ld: count %zu, expected %zu", op, map->count, ref->count);
    cr_assert_eq(occupied_slots(map), ref->count, "op %ld: slots in use differ from count", op);
    for (size_t i = 0; i < ref->pool; i++) {
        uint64_t value = 0;
        bool found = ft_i64map_get(map, ref->keys[i], &value);
        cr_assert_eq(found, ref->present[i], "op %ld: key %lld found=%d, expected %d", op, (long long)ref->keys[i],
                     found, ref->present[i]);
        if (found)
            cr_assert_eq(value, ref->values[i], "op %ld: key %lld has a wrong value", op, (long long)ref->keys[i]);
    }
}

static void random_ops(uint64_t seed, size_t pool, long ops, bool wide_keys, unsigned put_percent)
{
    uint64_t rng = seed;
    struct reference ref = { .pool = pool };
    for (size_t i = 0; i < pool; i++) {
        int64_t key = 0;
        bool fresh;
        do { /* distinct non-zero keys: small ones collide in probe runs, wide ones test hashing */
            key = wide_keys ? (int64_t)next_random(&rng) : (int64_t)(i + 1) * ((i % 3 == 0) ? -1 : 1);
            fresh = key != 0;
            for (size_t j = 0; j < i && fresh; j++)
                fresh = ref.keys[j] != key;
        } while (!fresh);
        ref.keys[i] = key;
    }
    struct ft_i64map map;
    ft_i64map_init(&map);
    for (long op = 0; op < ops; op++) {
        uint64_t r = next_random(&rng);
        size_t i = (size_t)(r >> 8) % pool;
        uint64_t value = next_random(&rng);
        unsigned dice = (unsigned)(r % 100);
        if (dice < put_percent) {
            put(&map, ref.keys[i], value);
            ref.count += !ref.present[i];
            ref.present[i] = true;
            ref.values[i] = value;
        } else if (dice < put_percent + 10) {
            ft_i64map_replace(&map, ref.keys[i], value);
            if (ref.present[i])
                ref.values[i] = value;
        } else {
            ft_i64map_remove(&map, ref.keys[i]);
            ref.count -= ref.present[i];
            ref.present[i] = false;
        }
        compare(&map, &ref, op);
    }
    ft_i64map_free(&map);
}

Test(i64map, random_ops_on_a_tiny_pool_match_the_reference)
{
    random_ops(1, 12, 100000, false, 45); /* at most 12 keys: capacity 16 at load 3/4, long runs */
}

Test(i64map, random_ops_on_a_small_pool_match_the_reference)
{
    random_ops(2, 48, 100000, false, 45);
}

Test(i64map, random_ops_on_wide_keys_match_the_reference)
{
    random_ops(3, 200, 60000, true, 45);
}

Test(i64map, random_ops_on_a_nearly_full_table_match_the_reference)
{
    /* puts outweigh removes: the pool stays mostly present, just under a growth threshold
     * (96 of 128, 192 of 256), so the table runs at its highest load */
    random_ops(4, 96, 100000, false, 70);
    random_ops(5, 192, 40000, true, 70);
}
