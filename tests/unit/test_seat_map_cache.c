#include <criterion/criterion.h>
#include <stdlib.h>

#include "seat_map_cache.h"

Test(seat_map_cache, a_map_is_kept_for_its_ttl_only)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(8, 250);
    cr_assert_null(ft_seat_map_cache_get(cache, 1, 1000), "nothing kept yet");
    ft_seat_map_cache_put(cache, 1, "{\"v\":1}", 1000);
    char *kept = ft_seat_map_cache_get(cache, 1, 1249);
    cr_assert_str_eq(kept, "{\"v\":1}");
    free(kept);
    cr_assert_null(ft_seat_map_cache_get(cache, 1, 1250), "stale at the TTL");
    cr_assert_null(ft_seat_map_cache_get(cache, 1, 999), "a clock that went back does not trust it");
    ft_seat_map_cache_free(cache);
}

Test(seat_map_cache, schedules_sharing_a_slot_never_see_each_others_map)
{
    struct ft_seat_map_cache *cache = ft_seat_map_cache_new(4, 1000);
    ft_seat_map_cache_put(cache, 1, "one", 0);
    ft_seat_map_cache_put(cache, 5, "five", 0); /* same slot as 1 */
    cr_assert_null(ft_seat_map_cache_get(cache, 1, 10));
    char *kept = ft_seat_map_cache_get(cache, 5, 10);
    cr_assert_str_eq(kept, "five");
    free(kept);
    ft_seat_map_cache_put(cache, 5, "five again", 20);
    kept = ft_seat_map_cache_get(cache, 5, 30);
    cr_assert_str_eq(kept, "five again");
    free(kept);
    ft_seat_map_cache_free(cache);
}
