#include <criterion/criterion.h>

#include "catalog.h"

static struct ft_catalog_seat seat(int64_t id, int row, int number, enum ft_grade grade, int price)
{
    return (struct ft_catalog_seat){ .id = id, .row = (uint8_t)row, .number = (uint8_t)number,
                                     .grade = (uint8_t)grade, .price = price };
}

static struct ft_catalog *sample(void)
{
    struct ft_catalog *catalog = ft_catalog_new();
    cr_assert_not_null(catalog);
    /* given out of order: the catalog sorts them */
    struct ft_catalog_seat seats[] = { seat(13, 2, 1, FT_GRADE_R, 500), seat(11, 1, 1, FT_GRADE_VIP, 1000),
                                       seat(12, 1, 2, FT_GRADE_VIP, 1000) };
    cr_assert(ft_catalog_put(catalog, 7, true, seats, 3));
    struct ft_catalog_seat other[] = { seat(21, 1, 1, FT_GRADE_A, 0) };
    cr_assert(ft_catalog_put(catalog, 3, false, other, 1));
    return catalog;
}

Test(catalog, checks_schedule_state_and_seat_membership)
{
    struct ft_catalog *catalog = sample();
    int64_t bad = 0;
    int64_t mine[] = { 12, 11, 13 };
    cr_assert_eq(ft_catalog_check(catalog, 7, mine, 3, &bad), FT_CATALOG_OK);
    cr_assert_eq(ft_catalog_check(catalog, 7, NULL, 0, &bad), FT_CATALOG_OK, "best available names no seat");
    cr_assert_eq(ft_catalog_check(catalog, 8, mine, 3, &bad), FT_CATALOG_UNKNOWN_SCHEDULE);
    cr_assert_eq(ft_catalog_check(catalog, 3, NULL, 0, &bad), FT_CATALOG_CLOSED);
    int64_t foreign[] = { 11, 21 };
    cr_assert_eq(ft_catalog_check(catalog, 7, foreign, 2, &bad), FT_CATALOG_FOREIGN_SEAT);
    cr_assert_eq(bad, 21, "a seat of schedule 3 is not one of schedule 7");
    int64_t unknown[] = { 99 };
    cr_assert_eq(ft_catalog_check(catalog, 7, unknown, 1, &bad), FT_CATALOG_FOREIGN_SEAT);
    cr_assert_eq(bad, 99);
    ft_catalog_free(catalog);
}

Test(catalog, open_flag_changes_seats_do_not)
{
    struct ft_catalog *catalog = sample();
    cr_assert(ft_catalog_set_open(catalog, 7, false));
    cr_assert_eq(ft_catalog_check(catalog, 7, NULL, 0, NULL), FT_CATALOG_CLOSED);
    cr_assert_not(ft_catalog_set_open(catalog, 8, true), "unknown schedule");
    /* putting a known schedule again only sets its flag */
    struct ft_catalog_seat none[] = { seat(99, 1, 1, FT_GRADE_A, 1) };
    cr_assert(ft_catalog_put(catalog, 7, true, none, 1));
    int64_t old[] = { 11 }, new[] = { 99 };
    int64_t bad = 0;
    cr_assert_eq(ft_catalog_check(catalog, 7, old, 1, &bad), FT_CATALOG_OK);
    cr_assert_eq(ft_catalog_check(catalog, 7, new, 1, &bad), FT_CATALOG_FOREIGN_SEAT);
    cr_assert_eq(ft_catalog_schedule_count(catalog), 2);
    ft_catalog_free(catalog);
}

Test(catalog, describes_seats_in_the_order_asked)
{
    struct ft_catalog *catalog = sample();
    int64_t ids[] = { 13, 11 };
    struct ft_catalog_seat out[2];
    cr_assert(ft_catalog_describe(catalog, 7, ids, 2, out));
    cr_assert_eq(out[0].id, 13);
    cr_assert_eq(out[0].row, 2);
    cr_assert_eq(out[0].grade, FT_GRADE_R);
    cr_assert_eq(out[0].price, 500);
    cr_assert_eq(out[1].id, 11);
    cr_assert_eq(out[1].number, 1);
    int64_t foreign[] = { 21 };
    cr_assert_not(ft_catalog_describe(catalog, 7, foreign, 1, out));
    cr_assert_not(ft_catalog_describe(catalog, 8, ids, 2, out));
    ft_catalog_free(catalog);
}

Test(catalog, many_schedules_stay_findable)
{
    struct ft_catalog *catalog = ft_catalog_new();
    cr_assert_not(ft_catalog_loaded(catalog));
    /* inserted in a scrambled order */
    for (int64_t i = 0; i < 1000; i++) {
        int64_t id = (i * 7919) % 1000 + 1;
        struct ft_catalog_seat one = seat(id * 10, 1, 1, FT_GRADE_S, 100);
        cr_assert(ft_catalog_put(catalog, id, id % 2 == 0, &one, 1));
    }
    ft_catalog_set_loaded(catalog);
    cr_assert(ft_catalog_loaded(catalog));
    cr_assert_eq(ft_catalog_schedule_count(catalog), 1000);
    for (int64_t id = 1; id <= 1000; id++) {
        int64_t seat_id = id * 10, bad = 0;
        cr_assert(ft_catalog_knows(catalog, id));
        cr_assert_eq(ft_catalog_check(catalog, id, &seat_id, 1, &bad), id % 2 == 0 ? FT_CATALOG_OK : FT_CATALOG_CLOSED);
    }
    cr_assert_not(ft_catalog_knows(catalog, 1001));
    ft_catalog_free(catalog);
}

/* Seats are found where their run of ids puts them, and by search when the ids have gaps
 * (seats deleted, two halls' seats interleaved); nothing outside the schedule is found. */
Test(catalog, finds_seats_whether_their_ids_run_on_or_not)
{
    struct ft_catalog *catalog = ft_catalog_new();
    struct ft_catalog_seat run[100], gappy[100];
    for (int i = 0; i < 100; i++) {
        run[i] = seat(1000 + i, 1 + i / 10, 1 + i % 10, FT_GRADE_S, 100 + i);
        gappy[i] = seat(5000 + 3 * i + (i > 50 ? 7 : 0), 1 + i / 10, 1 + i % 10, FT_GRADE_A, 200 + i);
    }
    cr_assert(ft_catalog_put(catalog, 1, true, run, 100));
    cr_assert(ft_catalog_put(catalog, 2, true, gappy, 100));
    for (int i = 0; i < 100; i++) {
        struct ft_catalog_seat out;
        cr_assert(ft_catalog_describe(catalog, 1, &run[i].id, 1, &out), "run seat %d", i);
        cr_assert_eq(out.price, 100 + i);
        cr_assert(ft_catalog_describe(catalog, 2, &gappy[i].id, 1, &out), "gappy seat %d", i);
        cr_assert_eq(out.price, 200 + i);
        cr_assert_eq(out.id, gappy[i].id);
    }
    int64_t outside[] = { 999, 1100, 5001, 5000 + 3 * 51, 5000 + 3 * 99 + 8, 1000 + 5000, INT64_MIN, INT64_MAX, -1 };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        int64_t bad = 0;
        struct ft_catalog_seat out;
        cr_expect_not(ft_catalog_describe(catalog, 1, &outside[i], 1, &out), "schedule 1 found %ld", (long)outside[i]);
        cr_expect_not(ft_catalog_describe(catalog, 2, &outside[i], 1, &out), "schedule 2 found %ld", (long)outside[i]);
        cr_expect_eq(ft_catalog_check(catalog, 2, &outside[i], 1, &bad), FT_CATALOG_FOREIGN_SEAT);
        cr_expect_eq(bad, outside[i]);
    }
    int64_t theirs = gappy[7].id, bad = 0;
    cr_assert_eq(ft_catalog_check(catalog, 1, &theirs, 1, &bad), FT_CATALOG_FOREIGN_SEAT, "a seat of schedule 2");
    ft_catalog_free(catalog);
}
