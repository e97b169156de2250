#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "seat_map_cache.h"

/* get, then the answer as a string ("" when the caller must read) and whether it claimed. */
static char got[256];
static const char *get(struct ft_seat_map_cache *cache, int64_t schedule, int64_t now_ms, bool *claimed)
{
    char *kept = ft_seat_map_cache_get(cache, schedule, now_ms, claimed);
    snprintf(got, sizeof got, "%s", kept != NULL ? kept : "");
    free(kept);
    return got;
}

Test(seat_map_cache, a_map_is_kept_for_its_ttl_only)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(8, 250);
    bool claimed = false;
    cr_assert_str_eq(get(cache, 1, 1000, &claimed), "", "nothing kept yet");
    cr_assert(claimed, "the first request reads it, claimed");
    ft_seat_map_cache_put(cache, 1, "{\"v\":1}", 1000);
    cr_assert_str_eq(get(cache, 1, 1249, &claimed), "{\"v\":1}");
    cr_assert_not(claimed);
    cr_assert_str_eq(get(cache, 1, 1250, &claimed), "", "stale at the TTL");
    cr_assert(claimed);
    ft_seat_map_cache_abandon(cache, 1);
    cr_assert_str_eq(get(cache, 1, 999, &claimed), "", "a clock that went back does not trust it");
    ft_seat_map_cache_free(cache);
}

Test(seat_map_cache, while_one_request_reads_a_new_map_the_others_get_the_old_one)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(8, 250);
    ft_seat_map_cache_put(cache, 1, "old", 1000);
    bool claimed = false;
    cr_assert_str_eq(get(cache, 1, 1300, &claimed), "");
    cr_assert(claimed, "the first request after the TTL reads it");
    for (int64_t t = 1300; t < 1000 + FT_SEAT_MAP_STALE_MAX_MS; t += 100) {
        cr_assert_str_eq(get(cache, 1, t, &claimed), "old", "at %lld", (long long)t);
        cr_assert_not(claimed);
    }
    /* A read slower than the grace: the old map is too old to give out, and the claim
     * is still held, so each request reads its own, unclaimed. */
    cr_assert_str_eq(get(cache, 1, 1000 + FT_SEAT_MAP_STALE_MAX_MS, &claimed), "");
    cr_assert_not(claimed);
    ft_seat_map_cache_put(cache, 1, "new", 1300);
    cr_assert_str_eq(get(cache, 1, 1400, &claimed), "new");
    cr_assert_not(claimed);
    ft_seat_map_cache_free(cache);
}

Test(seat_map_cache, a_failed_read_or_a_dead_claim_lets_the_next_request_claim)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(8, 250);
    bool claimed = false;
    get(cache, 1, 0, &claimed);
    cr_assert(claimed);
    get(cache, 1, 10, &claimed);
    cr_assert_not(claimed, "one claim at a time");
    ft_seat_map_cache_abandon(cache, 1);
    get(cache, 1, 20, &claimed);
    cr_assert(claimed, "after the failed read, the next request claims");
    get(cache, 1, 20 + FT_SEAT_MAP_CLAIM_MAX_MS - 1, &claimed);
    cr_assert_not(claimed);
    get(cache, 1, 20 + FT_SEAT_MAP_CLAIM_MAX_MS, &claimed);
    cr_assert(claimed, "a claim as old as the limit is taken to be dead");
    ft_seat_map_cache_free(cache);
}

Test(seat_map_cache, an_older_read_never_replaces_a_newer_map)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(8, 250);
    ft_seat_map_cache_put(cache, 1, "newer", 2000);
    ft_seat_map_cache_put(cache, 1, "older", 1900); /* an unclaimed read that began first */
    bool claimed = false;
    cr_assert_str_eq(get(cache, 1, 2100, &claimed), "newer");
    ft_seat_map_cache_free(cache);
}

Test(seat_map_cache, schedules_sharing_a_slot_never_see_each_others_map)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(4, 1000);
    bool claimed = false;
    ft_seat_map_cache_put(cache, 1, "one", 0);
    ft_seat_map_cache_put(cache, 5, "five", 0); /* same slot as 1 */
    cr_assert_str_eq(get(cache, 1, 10, &claimed), "");
    cr_assert_not(claimed, "the slot is another schedule's: read, unclaimed");
    cr_assert_str_eq(get(cache, 5, 10, &claimed), "five");
    ft_seat_map_cache_put(cache, 5, "five again", 20);
    cr_assert_str_eq(get(cache, 5, 30, &claimed), "five again");
    ft_seat_map_cache_put(cache, 1, "one again", 40);
    cr_assert_str_eq(get(cache, 1, 50, &claimed), "one again");
    cr_assert_str_eq(get(cache, 5, 50, &claimed), "");
    ft_seat_map_cache_free(cache);
}
