/*
 * The seat decision module against its contract (worker/decide.h): small venues built
 * from seeds, commands fed at increasing offsets, and the batch read back.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"

#define PARTITION 3
#define LIMIT 4
#define T0 1790000000000LL
#define HOLD 300 /* seconds */

static const int64_t prices[] = { 150000, 120000, 90000, 60000 }; /* VIP, R, S, A */

/* Rows 1, 2, 3 are VIP, R, S; the rest A. */
static enum ft_grade grade_of_row(int row)
{
    return row <= 3 ? (enum ft_grade)(row - 1) : FT_GRADE_A;
}

static int64_t seat_id(int64_t schedule, int row, int number)
{
    return schedule * 100000 + row * 1000 + number;
}

/* --- the fixture: one decider, one batch, the next offset ------------------------------ */

static struct ft_decider *decider;
static struct ft_batch batch;
static int64_t next_offset;

static void setup(void)
{
    decider = ft_decider_new(PARTITION, LIMIT);
    cr_assert_not_null(decider);
    ft_batch_init(&batch);
    next_offset = 0;
}

static void teardown(void)
{
    ft_decider_free(decider);
    ft_batch_free(&batch);
}

TestSuite(decide, .init = setup, .fini = teardown);

/* A venue of rows x per_row seats, seeded in reverse order (the seed may be in any order). */
#define MAX_SEATS 512
struct venue {
    struct ft_seat_seed seats[MAX_SEATS];
    struct ft_reservation_seed reservations[8];
    struct ft_schedule_seed seed;
};

static void venue_init(struct venue *v, int64_t schedule, int rows, int per_row)
{
    memset(v, 0, sizeof *v);
    v->seed = (struct ft_schedule_seed){ .schedule_id = schedule, .exists = true, .open = true, .seats = v->seats,
                                         .reservations = v->reservations };
    for (int row = rows; row >= 1; row--)
        for (int number = per_row; number >= 1; number--) {
            cr_assert_lt(v->seed.seat_count, MAX_SEATS);
            v->seats[v->seed.seat_count++] =
                (struct ft_seat_seed){ .id = seat_id(schedule, row, number), .row = row, .number = number,
                                       .grade = grade_of_row(row), .price = prices[grade_of_row(row)] };
        }
}

/* Adds a seeded live reservation of the given seats, for the sum of their prices. */
static void venue_reservation(struct venue *v, int64_t id, int64_t user, bool paid, int64_t expires_at_ms, int count,
                              const int64_t *seats)
{
    struct ft_reservation_seed *r = &v->reservations[v->seed.reservation_count++];
    *r = (struct ft_reservation_seed){ .id = id, .user_id = user, .paid = paid, .expires_at_ms = expires_at_ms,
                                       .seat_count = count };
    memcpy(r->seat_ids, seats, (size_t)count * sizeof *seats);
    for (int i = 0; i < count; i++)
        for (size_t k = 0; k < v->seed.seat_count; k++)
            if (v->seats[k].id == seats[i])
                r->amount += v->seats[k].price;
}

static void load(struct venue *v)
{
    cr_assert(ft_decider_add_schedule(decider, &v->seed), "schedule %lld refused", (long long)v->seed.schedule_id);
    cr_assert(ft_decider_knows(decider, v->seed.schedule_id));
}

static void load_plain(int64_t schedule, int rows, int per_row)
{
    static struct venue v;
    venue_init(&v, schedule, rows, per_row);
    load(&v);
}

/* --- commands ---------------------------------------------------------------------- */

static struct ft_command command(enum ft_command_type type, int64_t schedule, int64_t user, int64_t ts)
{
    return (struct ft_command){ .type = type, .ts_ms = ts, .schedule_id = schedule, .user_id = user,
                                .hold_seconds = HOLD, .grade = FT_GRADE_ANY };
}

static struct ft_command seats_n(int64_t schedule, int64_t user, int64_t ts, int count, const int64_t *ids)
{
    struct ft_command cmd = command(FT_CMD_RESERVE, schedule, user, ts);
    cmd.seat_count = count;
    memcpy(cmd.seat_ids, ids, (size_t)count * sizeof *ids);
    return cmd;
}
#define SEATS(schedule, user, ts, ...)                                                                            \
    seats_n(schedule, user, ts, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)),                    \
            (int64_t[]){ __VA_ARGS__ })

static struct ft_command best(int64_t schedule, int64_t user, int64_t ts, int quantity, enum ft_grade grade)
{
    struct ft_command cmd = command(FT_CMD_RESERVE, schedule, user, ts);
    cmd.quantity = quantity;
    cmd.grade = grade;
    return cmd;
}

static struct ft_command cancel(int64_t schedule, int64_t user, int64_t ts, int64_t reservation)
{
    struct ft_command cmd = command(FT_CMD_CANCEL, schedule, user, ts);
    cmd.reservation_id = reservation;
    return cmd;
}

static struct ft_command expire(int64_t schedule, int64_t ts, int64_t reservation)
{
    struct ft_command cmd = command(FT_CMD_EXPIRE, schedule, 0, ts);
    cmd.reservation_id = reservation;
    return cmd;
}

/* A payment of `amount` for the reservation, made by `user` (order "order-<reservation>"). */
static struct ft_command confirm(int64_t schedule, int64_t user, int64_t ts, int64_t reservation, const char *imp_uid,
                                 int64_t amount)
{
    struct ft_command cmd = command(FT_CMD_CONFIRM_PAYMENT, schedule, user, ts);
    cmd.reservation_id = reservation;
    snprintf(cmd.payment.imp_uid, sizeof cmd.payment.imp_uid, "%s", imp_uid);
    snprintf(cmd.payment.merchant_uid, sizeof cmd.payment.merchant_uid, "order-%lld", (long long)reservation);
    cmd.payment.amount = amount;
    return cmd;
}

static struct ft_command with_hold(struct ft_command cmd, int32_t seconds)
{
    cmd.hold_seconds = seconds;
    return cmd;
}

/* Decides cmd at the next offset; the batch must have taken it. */
static void run(struct ft_command cmd)
{
    if (cmd.type == FT_CMD_RESERVE)
        snprintf(cmd.token, sizeof cmd.token, "tok%019lld", (long long)next_offset);
    size_t outcomes = batch.outcome_count, commands = batch.commands;
    cr_assert_eq(ft_decide(decider, &cmd, next_offset, &batch), FT_DECIDED, "offset %lld not decided",
                 (long long)next_offset);
    cr_assert_eq(batch.outcome_count - outcomes, cmd.type == FT_CMD_RESERVE ? 1u : 0u,
                 "a RESERVE gives one outcome, anything else none");
    cr_assert_eq(batch.commands, commands + 1);
    cr_assert_eq(batch.next_offset, next_offset + 1);
    next_offset++;
}

static const struct ft_outcome *last_outcome(void)
{
    cr_assert_gt(batch.outcome_count, 0);
    return &batch.outcomes[batch.outcome_count - 1];
}

/* Decides a RESERVE that must be held; returns the reservation id. */
static int64_t held(struct ft_command cmd)
{
    run(cmd);
    const struct ft_outcome *o = last_outcome();
    cr_assert_eq(o->status, FT_OUTCOME_HELD, "offset %lld refused: %s", (long long)o->offset,
                 o->reject_code ? o->reject_code : "?");
    return o->reservation_id;
}

static void refused(struct ft_command cmd, const char *code)
{
    size_t created = batch.created_count;
    run(cmd);
    const struct ft_outcome *o = last_outcome();
    cr_assert_eq(o->status, FT_OUTCOME_REJECTED, "offset %lld held, expected %s", (long long)o->offset, code);
    cr_assert_str_eq(o->reject_code, code);
    cr_assert_eq(batch.created_count, created, "a refusal created a reservation");
}

/* The seats of the last outcome, which must be held, compared with the expected ones. */
static void assert_last_seats(int count, const int64_t *expected)
{
    const struct ft_outcome *o = last_outcome();
    cr_assert_eq(o->status, FT_OUTCOME_HELD);
    cr_assert_eq(o->seat_count, count);
    for (int i = 0; i < count; i++)
        cr_assert_eq(o->seat_ids[i], expected[i], "seat %d is %lld, expected %lld", i, (long long)o->seat_ids[i],
                     (long long)expected[i]);
}
#define ASSERT_SEATS(...)                                                                                          \
    assert_last_seats((int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), (int64_t[]){ __VA_ARGS__ })

/* --- the seat map --------------------------------------------------------------------- */

struct seat_map {
    size_t count;
    int64_t ids[MAX_SEATS];
    enum ft_seat_state states[MAX_SEATS];
};

static void visit(void *ctx, int64_t seat, enum ft_seat_state state)
{
    struct seat_map *map = ctx;
    cr_assert_lt(map->count, MAX_SEATS);
    map->ids[map->count] = seat;
    map->states[map->count++] = state;
}

static enum ft_seat_state state_of(int64_t schedule, int64_t seat, int64_t now_ms)
{
    struct seat_map map = { 0 };
    cr_assert(ft_decider_each_seat(decider, schedule, now_ms, visit, &map));
    for (size_t i = 0; i < map.count; i++)
        if (map.ids[i] == seat)
            return map.states[i];
    cr_assert_fail("seat %lld not in the map", (long long)seat);
    return FT_SEAT_AVAILABLE;
}

/* ====================================================================================== */
/* Specific seats                                                                        */

Test(decide, specific_seats_are_held)
{
    load_plain(1, 3, 10);
    next_offset = 41;
    struct ft_command cmd = SEATS(1, 7, T0, seat_id(1, 1, 5), seat_id(1, 2, 5));
    run(cmd);
    const struct ft_outcome *o = last_outcome();
    cr_assert_eq(o->status, FT_OUTCOME_HELD);
    cr_assert_null(o->reject_code);
    cr_assert_str_eq(o->token, "tok0000000000000000041");
    cr_assert_eq(o->user_id, 7);
    cr_assert_eq(o->schedule_id, 1);
    cr_assert_eq(o->partition, PARTITION);
    cr_assert_eq(o->offset, 41);
    cr_assert_eq(o->reservation_id, ft_reservation_id_for(PARTITION, 41));
    cr_assert_eq(o->amount, prices[FT_GRADE_VIP] + prices[FT_GRADE_R]);
    cr_assert_eq(o->expires_at_ms, T0 + HOLD * 1000);
    cr_assert_eq(o->decided_at_ms, T0);
    ASSERT_SEATS(seat_id(1, 1, 5), seat_id(1, 2, 5));

    cr_assert_eq(batch.created_count, 1);
    const struct ft_new_reservation *r = &batch.created[0];
    cr_assert_eq(r->id, o->reservation_id);
    cr_assert_eq(r->user_id, 7);
    cr_assert_eq(r->schedule_id, 1);
    cr_assert_eq(r->amount, o->amount);
    cr_assert_eq(r->held_at_ms, T0);
    cr_assert_eq(r->expires_at_ms, T0 + HOLD * 1000);
    cr_assert_eq(r->seat_count, 2);
    cr_assert_eq(r->seat_ids[0], seat_id(1, 1, 5));
    cr_assert_eq(r->seat_ids[1], seat_id(1, 2, 5));
    cr_assert_eq(batch.ended_count, 0);
    cr_assert_eq(batch.commands, 1);
    cr_assert_eq(batch.next_offset, 42);

    cr_assert_eq(state_of(1, seat_id(1, 1, 5), T0), FT_SEAT_HELD);
    cr_assert_eq(state_of(1, seat_id(1, 2, 5), T0), FT_SEAT_HELD);
    cr_assert_eq(state_of(1, seat_id(1, 1, 6), T0), FT_SEAT_AVAILABLE);
}

Test(decide, a_taken_seat_is_refused_to_every_later_request)
{
    load_plain(1, 2, 5);
    held(SEATS(1, 7, T0, seat_id(1, 1, 3)));
    refused(SEATS(1, 8, T0 + 1, seat_id(1, 1, 3)), "SEAT_TAKEN");
    refused(SEATS(1, 7, T0 + 2, seat_id(1, 1, 3)), "SEAT_TAKEN"); /* its own holder too */
    cr_assert_eq(batch.created_count, 1);
}

Test(decide, several_seats_are_all_or_nothing)
{
    load_plain(1, 2, 5);
    int64_t free_seat = seat_id(1, 1, 1), taken = seat_id(1, 1, 2);
    held(SEATS(1, 7, T0, taken));
    refused(SEATS(1, 8, T0 + 1, free_seat, taken), "SEAT_TAKEN");
    refused(SEATS(1, 8, T0 + 2, taken, free_seat), "SEAT_TAKEN");
    cr_assert_eq(state_of(1, free_seat, T0 + 2), FT_SEAT_AVAILABLE, "a refused request held part of its seats");
    held(SEATS(1, 9, T0 + 3, free_seat));
    ASSERT_SEATS(free_seat);
}

Test(decide, unknown_and_repeated_seats_are_unknown_seat)
{
    load_plain(1, 2, 5);
    load_plain(2, 2, 5);
    refused(SEATS(1, 7, T0, 999), "UNKNOWN_SEAT");
    refused(SEATS(1, 7, T0, seat_id(1, 1, 1), 999), "UNKNOWN_SEAT");
    refused(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 1)), "UNKNOWN_SEAT");
    refused(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 1)), "UNKNOWN_SEAT");
    /* a seat of another schedule is not a seat of this one */
    refused(SEATS(1, 7, T0, seat_id(2, 1, 1)), "UNKNOWN_SEAT");
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0), FT_SEAT_AVAILABLE);
    held(SEATS(1, 8, T0 + 1, seat_id(1, 1, 1), seat_id(1, 1, 2)));
}

Test(decide, the_seats_are_held_in_the_order_asked)
{
    load_plain(1, 2, 5);
    held(SEATS(1, 7, T0, seat_id(1, 2, 4), seat_id(1, 1, 1), seat_id(1, 2, 1)));
    ASSERT_SEATS(seat_id(1, 2, 4), seat_id(1, 1, 1), seat_id(1, 2, 1));
    cr_assert_eq(last_outcome()->amount, prices[FT_GRADE_R] * 2 + prices[FT_GRADE_VIP]);
}

/* ====================================================================================== */
/* Best available                                                                        */

Test(decide, best_available_takes_the_front_row_first)
{
    load_plain(1, 3, 4);
    held(best(1, 7, T0, 2, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 2), seat_id(1, 1, 3));
    cr_assert_eq(last_outcome()->amount, 2 * prices[FT_GRADE_VIP]);
    /* row 1 now has 1 and 4 free, not side by side: row 2 */
    held(best(1, 8, T0, 2, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 2, 2), seat_id(1, 2, 3));
    cr_assert_eq(last_outcome()->amount, 2 * prices[FT_GRADE_R]);
    /* one seat still fits in row 1: 1 and 4 are as far from the middle, the lower wins */
    held(best(1, 9, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 1));
    held(best(1, 9, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 4));
    held(best(1, 9, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 2, 1));
}

Test(decide, best_available_takes_the_middle_of_an_even_row)
{
    load_plain(1, 1, 10);
    /* middle of 1..10 is 5.5: pairs by distance of their middle to it, lower numbers first */
    const int expected_pairs[][2] = { { 5, 6 }, { 3, 4 }, { 7, 8 }, { 1, 2 }, { 9, 10 } };
    for (size_t i = 0; i < 5; i++) {
        held(best(1, (int64_t)(10 + i), T0, 2, FT_GRADE_ANY));
        ASSERT_SEATS(seat_id(1, 1, expected_pairs[i][0]), seat_id(1, 1, expected_pairs[i][1]));
    }
    refused(best(1, 20, T0, 1, FT_GRADE_ANY), "SOLD_OUT");
}

Test(decide, best_available_single_seats_spread_from_the_middle)
{
    load_plain(1, 1, 10);
    const int expected[] = { 5, 6, 4, 7, 3, 8, 2, 9, 1, 10 };
    for (size_t i = 0; i < 10; i++) {
        held(best(1, (int64_t)(10 + i), T0, 1, FT_GRADE_ANY));
        ASSERT_SEATS(seat_id(1, 1, expected[i]));
    }
}

Test(decide, best_available_in_an_odd_row)
{
    load_plain(1, 1, 9);
    held(best(1, 7, T0, 3, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 4), seat_id(1, 1, 5), seat_id(1, 1, 6));
    /* 1..3 and 7..9 are equally far: the lower */
    held(best(1, 8, T0, 3, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3));
    refused(best(1, 9, T0, 4, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 9, T0, 2, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 7), seat_id(1, 1, 8));
}

Test(decide, best_available_pair_in_an_odd_row_takes_the_lower_side)
{
    load_plain(1, 1, 9);
    held(best(1, 7, T0, 2, FT_GRADE_ANY)); /* 4,5 and 5,6 are as near the middle 5 */
    ASSERT_SEATS(seat_id(1, 1, 4), seat_id(1, 1, 5));
    held(best(1, 7, T0, 2, FT_GRADE_ANY)); /* now 6,7 (middle 6.5) beats 2,3 (2.5) */
    ASSERT_SEATS(seat_id(1, 1, 6), seat_id(1, 1, 7));
}

Test(decide, best_available_needs_seats_side_by_side)
{
    load_plain(1, 1, 5);
    held(SEATS(1, 7, T0, seat_id(1, 1, 2), seat_id(1, 1, 4)));
    /* 1, 3 and 5 are free, no two together */
    refused(best(1, 8, T0, 2, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 8, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 3));
}

Test(decide, best_available_skips_a_row_without_a_block_for_the_next_row)
{
    load_plain(1, 2, 5);
    held(SEATS(1, 7, T0, seat_id(1, 1, 2), seat_id(1, 1, 4)));
    held(best(1, 8, T0, 2, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 2, 2), seat_id(1, 2, 3));
}

Test(decide, a_gap_in_the_seat_numbers_breaks_a_block)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    /* drop seat 3: the row is 1 2 _ 4 5 */
    size_t kept = 0;
    for (size_t i = 0; i < v.seed.seat_count; i++)
        if (v.seats[i].number != 3)
            v.seats[kept++] = v.seats[i];
    v.seed.seat_count = kept;
    load(&v);
    refused(best(1, 7, T0, 3, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    refused(best(1, 7, T0, 4, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 7, T0, 2, FT_GRADE_ANY)); /* 1,2 and 4,5 are as near the middle 3 */
    ASSERT_SEATS(seat_id(1, 1, 1), seat_id(1, 1, 2));
}

Test(decide, best_available_filters_by_grade)
{
    load_plain(1, 5, 4); /* VIP, R, S, A, A */
    held(best(1, 7, T0, 2, FT_GRADE_S));
    ASSERT_SEATS(seat_id(1, 3, 2), seat_id(1, 3, 3));
    cr_assert_eq(last_outcome()->amount, 2 * prices[FT_GRADE_S]);
    held(best(1, 8, T0, 3, FT_GRADE_A));
    ASSERT_SEATS(seat_id(1, 4, 1), seat_id(1, 4, 2), seat_id(1, 4, 3));
    held(best(1, 8, T0, 1, FT_GRADE_R));
    ASSERT_SEATS(seat_id(1, 2, 2));
    held(best(1, 9, T0, 4, FT_GRADE_VIP));
    ASSERT_SEATS(seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3), seat_id(1, 1, 4));
}

Test(decide, a_grade_boundary_inside_a_row_breaks_a_block_of_that_grade)
{
    struct venue v;
    venue_init(&v, 1, 1, 4);
    for (size_t i = 0; i < v.seed.seat_count; i++)
        if (v.seats[i].number >= 3) {
            v.seats[i].grade = FT_GRADE_S;
            v.seats[i].price = prices[FT_GRADE_S];
        }
    load(&v); /* VIP VIP S S */
    refused(best(1, 7, T0, 3, FT_GRADE_VIP), "NO_ADJACENT_SEATS");
    held(best(1, 7, T0, 3, FT_GRADE_ANY)); /* 1..3 and 2..4 are as near: the lower */
    ASSERT_SEATS(seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3));
    cr_assert_eq(last_outcome()->amount, 2 * prices[FT_GRADE_VIP] + prices[FT_GRADE_S]);
}

Test(decide, sold_out_is_told_apart_from_no_adjacent_seats)
{
    load_plain(1, 2, 4); /* VIP row, R row */
    held(best(1, 1, T0, 4, FT_GRADE_VIP));
    refused(best(1, 2, T0, 1, FT_GRADE_VIP), "SOLD_OUT");
    refused(best(1, 2, T0, 2, FT_GRADE_VIP), "SOLD_OUT");
    held(SEATS(1, 2, T0, seat_id(1, 2, 1), seat_id(1, 2, 3)));
    refused(best(1, 3, T0, 2, FT_GRADE_R), "NO_ADJACENT_SEATS");
    refused(best(1, 3, T0, 2, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 3, T0, 1, FT_GRADE_R));
    ASSERT_SEATS(seat_id(1, 2, 2));
    held(best(1, 3, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 2, 4));
    refused(best(1, 4, T0, 1, FT_GRADE_ANY), "SOLD_OUT");
    refused(best(1, 4, T0, 1, FT_GRADE_S), "SOLD_OUT"); /* a grade the venue does not have */
}

Test(decide, rows_with_too_few_free_seats_still_count_as_not_sold_out)
{
    load_plain(1, 2, 4); /* VIP row, R row */
    held(SEATS(1, 1, T0, seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 4)));
    refused(best(1, 2, T0, 2, FT_GRADE_VIP), "NO_ADJACENT_SEATS"); /* one VIP seat left */
    held(best(1, 2, T0, 1, FT_GRADE_VIP));
    ASSERT_SEATS(seat_id(1, 1, 3));
    refused(best(1, 3, T0, 1, FT_GRADE_VIP), "SOLD_OUT");
    held(best(1, 3, T0, 4, FT_GRADE_ANY)); /* the full row is skipped for the next */
    ASSERT_SEATS(seat_id(1, 2, 1), seat_id(1, 2, 2), seat_id(1, 2, 3), seat_id(1, 2, 4));
}

Test(decide, a_row_of_mixed_grades_is_read_seat_by_seat)
{
    struct venue v;
    venue_init(&v, 1, 1, 4);
    for (size_t i = 0; i < v.seed.seat_count; i++)
        if (v.seats[i].number >= 3) {
            v.seats[i].grade = FT_GRADE_S;
            v.seats[i].price = prices[FT_GRADE_S];
        }
    load(&v); /* VIP VIP S S */
    held(SEATS(1, 1, T0, seat_id(1, 1, 3), seat_id(1, 1, 4), seat_id(1, 1, 1)));
    /* one seat free in the row, a VIP one: no S left at all, one VIP but no pair */
    refused(best(1, 2, T0, 1, FT_GRADE_S), "SOLD_OUT");
    refused(best(1, 2, T0, 2, FT_GRADE_S), "SOLD_OUT");
    refused(best(1, 2, T0, 2, FT_GRADE_VIP), "NO_ADJACENT_SEATS");
    refused(best(1, 2, T0, 2, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 2, T0, 1, FT_GRADE_VIP));
    ASSERT_SEATS(seat_id(1, 1, 2));
    refused(best(1, 2, T0, 1, FT_GRADE_ANY), "SOLD_OUT");
}

/* ====================================================================================== */
/* The per-user limit                                                                    */

Test(decide, a_user_holds_at_most_the_limit)
{
    load_plain(1, 3, 10);
    load_plain(2, 3, 10);
    held(best(1, 7, T0, 2, FT_GRADE_ANY));
    held(SEATS(1, 7, T0, seat_id(1, 3, 1), seat_id(1, 3, 2)));
    refused(best(1, 7, T0, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    refused(SEATS(1, 7, T0, seat_id(1, 3, 9)), "LIMIT_EXCEEDED");
    cr_assert_eq(state_of(1, seat_id(1, 3, 9), T0), FT_SEAT_AVAILABLE);
    held(best(1, 8, T0, 4, FT_GRADE_ANY)); /* another user */
    held(best(2, 7, T0, 4, FT_GRADE_ANY)); /* the same user on another schedule */
}

Test(decide, a_request_that_would_pass_the_limit_is_refused_whole)
{
    load_plain(1, 3, 10);
    held(best(1, 7, T0, 3, FT_GRADE_ANY));
    refused(best(1, 7, T0, 2, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    refused(SEATS(1, 7, T0, seat_id(1, 3, 1), seat_id(1, 3, 2)), "LIMIT_EXCEEDED");
    held(SEATS(1, 7, T0, seat_id(1, 3, 1)));
}

Test(decide, the_limit_is_the_one_given_to_the_decider)
{
    ft_decider_free(decider);
    decider = ft_decider_new(PARTITION, 2);
    load_plain(1, 3, 10);
    refused(best(1, 7, T0, 3, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    held(best(1, 7, T0, 2, FT_GRADE_ANY));
    refused(best(1, 7, T0, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
}

Test(decide, the_limit_frees_after_a_cancel_or_an_expiry)
{
    load_plain(1, 3, 10);
    int64_t first = held(best(1, 7, T0, 2, FT_GRADE_ANY));
    held(with_hold(best(1, 7, T0 + 1000, 2, FT_GRADE_ANY), 5)); /* ends at T0 + 6000 */
    refused(best(1, 7, T0 + 2000, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    run(cancel(1, 7, T0 + 3000, first));
    held(best(1, 7, T0 + 4000, 2, FT_GRADE_ANY));
    refused(best(1, 7, T0 + 5999, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    held(best(1, 7, T0 + 6000, 2, FT_GRADE_ANY));
    refused(best(1, 7, T0 + 6001, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
}

Test(decide, bought_seats_count_toward_the_limit)
{
    struct venue v;
    venue_init(&v, 1, 3, 10);
    int64_t bought[] = { seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3) };
    venue_reservation(&v, 5001, 7, true, T0 - 1, 3, bought);
    load(&v);
    refused(best(1, 7, T0, 2, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    held(best(1, 7, T0, 1, FT_GRADE_ANY));
    /* a day later the hold has expired, the bought seats have not */
    refused(best(1, 7, T0 + 86400000, 2, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    held(best(1, 7, T0 + 86400000, 1, FT_GRADE_ANY));
    cr_assert_eq(batch.ended_count, 1);
}

/* ====================================================================================== */
/* Expiry by command time                                                                */

/* A hold of 5 s by user 7 on seat (1,1,1) at T0; another seat free. Returns its id. */
static int64_t short_hold(void)
{
    load_plain(1, 2, 5);
    return held(with_hold(SEATS(1, 7, T0, seat_id(1, 1, 1)), 5));
}

static void assert_expired(size_t index, int64_t reservation, int64_t at_ms)
{
    cr_assert_gt(batch.ended_count, index);
    cr_assert_eq(batch.ended[index].id, reservation);
    cr_assert_eq(batch.ended[index].status, FT_RES_EXPIRED);
    cr_assert_eq(batch.ended[index].at_ms, at_ms);
}

Test(decide, a_hold_is_live_until_the_last_millisecond)
{
    int64_t r = short_hold();
    refused(SEATS(1, 8, T0 + 4999, seat_id(1, 1, 1)), "SEAT_TAKEN");
    run(expire(1, T0 + 4999, r)); /* early: changes nothing */
    run(cancel(1, 9, T0 + 4999, r));
    cr_assert_eq(batch.ended_count, 0);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 4999), FT_SEAT_HELD);
    refused(SEATS(1, 8, T0 + 4999, seat_id(1, 1, 1)), "SEAT_TAKEN");
}

Test(decide, a_reserve_of_another_seat_at_the_expiry_ends_the_hold)
{
    int64_t r = short_hold();
    held(SEATS(1, 9, T0 + 5000, seat_id(1, 2, 5)));
    cr_assert_eq(batch.ended_count, 1);
    assert_expired(0, r, T0 + 5000);
}

Test(decide, an_expire_command_at_the_expiry_ends_the_hold)
{
    int64_t r = short_hold();
    run(expire(1, T0 + 5000, r));
    cr_assert_eq(batch.ended_count, 1);
    assert_expired(0, r, T0 + 5000);
    run(expire(1, T0 + 5001, r)); /* a second time: nothing */
    cr_assert_eq(batch.ended_count, 1);
}

Test(decide, an_expire_command_naming_another_hold_still_ends_what_is_due)
{
    int64_t r = short_hold();
    run(expire(1, T0 + 9000, 123456789));
    cr_assert_eq(batch.ended_count, 1);
    assert_expired(0, r, T0 + 5000); /* at its expiry, not at the command's time */
}

Test(decide, a_cancel_at_the_expiry_finds_the_hold_expired)
{
    int64_t r = short_hold();
    run(cancel(1, 7, T0 + 5000, r)); /* its owner, too late */
    cr_assert_eq(batch.ended_count, 1, "ended twice or not at all");
    assert_expired(0, r, T0 + 5000);
}

Test(decide, a_cancel_of_another_reservation_ends_what_is_due)
{
    int64_t r = short_hold();
    run(cancel(1, 9, T0 + 70000, 42));
    cr_assert_eq(batch.ended_count, 1);
    assert_expired(0, r, T0 + 5000);
}

Test(decide, an_expired_seat_returns_to_sale)
{
    int64_t r = short_hold();
    held(SEATS(1, 8, T0 + 5000, seat_id(1, 1, 1)));
    assert_expired(0, r, T0 + 5000);
    cr_assert_eq(last_outcome()->user_id, 8);
    /* the due hold ended before the request was decided */
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.created_count, 2);
}

Test(decide, time_passes_per_schedule)
{
    int64_t r = short_hold();
    load_plain(2, 1, 5);
    held(SEATS(2, 8, T0 + 60000, seat_id(2, 1, 1)));
    cr_assert_eq(batch.ended_count, 0, "a command of schedule 2 ended a hold of schedule 1");
    /* the seat map knows the time anyway */
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 60000), FT_SEAT_AVAILABLE);
    run(expire(1, T0 + 60001, r));
    assert_expired(0, r, T0 + 5000);
}

Test(decide, every_due_hold_ends_and_no_other)
{
    load_plain(1, 2, 5);
    int64_t a = held(with_hold(SEATS(1, 7, T0, seat_id(1, 1, 1)), 30));
    int64_t b = held(with_hold(SEATS(1, 8, T0 + 100, seat_id(1, 1, 2)), 10));
    int64_t c = held(with_hold(SEATS(1, 9, T0 + 200, seat_id(1, 1, 3)), 20));
    int64_t d = held(with_hold(SEATS(1, 10, T0 + 300, seat_id(1, 1, 4)), 40));
    (void)d;
    run(expire(1, T0 + 30000, a)); /* a at 30000, b at 10100, c at 20200 due; d at 40300 not */
    cr_assert_eq(batch.ended_count, 3);
    int64_t expected_ids[] = { a, b, c }, expected_at[] = { T0 + 30000, T0 + 10100, T0 + 20200 };
    for (int i = 0; i < 3; i++) {
        bool found = false;
        for (size_t k = 0; k < batch.ended_count; k++)
            if (batch.ended[k].id == expected_ids[i]) {
                found = true;
                cr_assert_eq(batch.ended[k].status, FT_RES_EXPIRED);
                cr_assert_eq(batch.ended[k].at_ms, expected_at[i]);
            }
        cr_assert(found, "hold %d did not end", i);
    }
    refused(SEATS(1, 11, T0 + 40299, seat_id(1, 1, 4)), "SEAT_TAKEN");
    held(SEATS(1, 11, T0 + 40299, seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3)));
}

Test(decide, hold_time_is_the_one_asked)
{
    load_plain(1, 1, 5);
    held(with_hold(best(1, 7, T0, 1, FT_GRADE_ANY), 86400));
    cr_assert_eq(last_outcome()->expires_at_ms, T0 + 86400000LL);
    cr_assert_eq(batch.created[0].expires_at_ms, T0 + 86400000LL);
    held(with_hold(best(1, 8, T0, 1, FT_GRADE_ANY), 1));
    cr_assert_eq(last_outcome()->expires_at_ms, T0 + 1000);
}

/* ====================================================================================== */
/* Cancel                                                                                */

Test(decide, the_owner_cancels_a_live_hold)
{
    load_plain(1, 2, 5);
    int64_t r = held(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 2)));
    run(cancel(1, 7, T0 + 1234, r));
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.ended[0].id, r);
    cr_assert_eq(batch.ended[0].status, FT_RES_CANCELLED);
    cr_assert_eq(batch.ended[0].at_ms, T0 + 1234);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 1234), FT_SEAT_AVAILABLE);
    held(SEATS(1, 8, T0 + 1235, seat_id(1, 1, 1), seat_id(1, 1, 2)));
}

Test(decide, a_cancel_by_someone_else_changes_nothing)
{
    load_plain(1, 2, 5);
    int64_t r = held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    run(cancel(1, 8, T0 + 1, r));
    cr_assert_eq(batch.ended_count, 0);
    refused(SEATS(1, 8, T0 + 2, seat_id(1, 1, 1)), "SEAT_TAKEN");
}

Test(decide, a_repeated_cancel_never_releases_a_seat_sold_again)
{
    load_plain(1, 2, 5);
    int64_t r = held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    run(cancel(1, 7, T0 + 1, r));
    held(SEATS(1, 8, T0 + 2, seat_id(1, 1, 1)));
    run(cancel(1, 7, T0 + 3, r));
    cr_assert_eq(batch.ended_count, 1, "the second cancel ended something");
    refused(SEATS(1, 9, T0 + 4, seat_id(1, 1, 1)), "SEAT_TAKEN");
}

Test(decide, a_cancel_naming_another_schedule_or_nothing_changes_nothing)
{
    load_plain(1, 2, 5);
    load_plain(2, 2, 5);
    int64_t r = held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    run(cancel(2, 7, T0 + 1, r));
    run(cancel(1, 7, T0 + 1, r + 1024));
    run(cancel(1, 7, T0 + 1, 0));
    cr_assert_eq(batch.ended_count, 0);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 1), FT_SEAT_HELD);
}

/* ====================================================================================== */
/* Payments                                                                              */

/* Two VIP seats, (1,1,1) and (1,1,2), held by user 7 for 5 s from T0 (until T0 + 5000) on
 * a venue of 2 rows of 5; returns the reservation id. */
static int64_t pair_hold(void)
{
    load_plain(1, 2, 5);
    return held(with_hold(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 2)), 5));
}
#define PAIR_AMOUNT (2 * prices[FT_GRADE_VIP])

static void assert_pair_state(int64_t now_ms, enum ft_seat_state state)
{
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), now_ms), state, "seat (1,1,1) at %lld", (long long)now_ms);
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), now_ms), state, "seat (1,1,2) at %lld", (long long)now_ms);
}

/* Decides cmd, which must append one payment effect (and end nothing but due holds). */
static const struct ft_payment_effect *one_payment_effect(struct ft_command cmd)
{
    size_t payments = batch.payment_count, created = batch.created_count, ended = batch.ended_count;
    run(cmd);
    cr_assert_eq(batch.payment_count, payments + 1, "offset %lld gave %zu payment effects", (long long)next_offset - 1,
                 batch.payment_count - payments);
    cr_assert_eq(batch.created_count, created, "a payment created a reservation");
    for (size_t i = ended; i < batch.ended_count; i++)
        cr_assert_eq(batch.ended[i].status, FT_RES_EXPIRED, "a payment ended reservation %lld",
                     (long long)batch.ended[i].id);
    return &batch.payments[payments];
}

static void assert_payment_of(const struct ft_payment_effect *e, const struct ft_command *cmd)
{
    cr_assert_eq(e->reservation_id, cmd->reservation_id);
    cr_assert_eq(e->at_ms, cmd->ts_ms);
    cr_assert_str_eq(e->payment.imp_uid, cmd->payment.imp_uid);
    cr_assert_str_eq(e->payment.merchant_uid, cmd->payment.merchant_uid);
    cr_assert_eq(e->payment.amount, cmd->payment.amount);
}

/* Decides a CONFIRM_PAYMENT that must make its reservation PAID. */
static void confirmed(struct ft_command cmd)
{
    const struct ft_payment_effect *e = one_payment_effect(cmd);
    cr_assert_eq(e->kind, FT_PAY_CONFIRMED, "payment %s refunded (%d, %s)", cmd.payment.imp_uid, e->kind,
                 e->reason ? e->reason : "no reason");
    assert_payment_of(e, &cmd);
}

/* Decides a CONFIRM_PAYMENT whose payment must be refunded for `reason`. */
static void refunded(struct ft_command cmd, const char *reason)
{
    const struct ft_payment_effect *e = one_payment_effect(cmd);
    cr_assert_eq(e->kind, FT_PAY_REFUND, "payment %s: effect %d, expected a refund for %s", cmd.payment.imp_uid,
                 e->kind, reason);
    cr_assert_not_null(e->reason);
    cr_assert_str_eq(e->reason, reason);
    assert_payment_of(e, &cmd);
}

/* Decides a command that must append nothing at all (but count as decided). */
static void no_effect(struct ft_command cmd)
{
    size_t created = batch.created_count, ended = batch.ended_count, payments = batch.payment_count;
    run(cmd);
    cr_assert_eq(batch.created_count, created);
    cr_assert_eq(batch.ended_count, ended, "offset %lld ended a reservation", (long long)next_offset - 1);
    cr_assert_eq(batch.payment_count, payments, "offset %lld gave a payment effect", (long long)next_offset - 1);
}

/* The owner's cancel of reservation r at at_ms was the last payment effect, and ended it. */
static void assert_refund_of_paid(int64_t r, int64_t at_ms)
{
    cr_assert_gt(batch.payment_count, 0);
    const struct ft_payment_effect *e = &batch.payments[batch.payment_count - 1];
    cr_assert_eq(e->kind, FT_PAY_REFUND_PAID);
    cr_assert_not_null(e->reason);
    cr_assert_str_eq(e->reason, "CANCELLED_BY_BUYER");
    cr_assert_eq(e->reservation_id, r);
    cr_assert_eq(e->at_ms, at_ms);
    cr_assert_str_empty(e->payment.imp_uid, "the store reads the payment of the reservation, not this one");
    cr_assert_eq(e->payment.amount, 0);
    cr_assert_gt(batch.ended_count, 0);
    const struct ft_ended_reservation *ended = &batch.ended[batch.ended_count - 1];
    cr_assert_eq(ended->id, r);
    cr_assert_eq(ended->status, FT_RES_CANCELLED);
    cr_assert_eq(ended->at_ms, at_ms);
}

Test(decide, a_payment_for_a_live_hold_makes_it_paid)
{
    int64_t r = pair_hold();
    next_offset = 10;
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    cr_assert_eq(batch.outcome_count, 1, "a payment gave an outcome");
    cr_assert_eq(batch.created_count, 1);
    cr_assert_eq(batch.ended_count, 0);
    cr_assert_eq(batch.commands, 2);
    cr_assert_eq(batch.next_offset, 11);
    assert_pair_state(T0 + 1000, FT_SEAT_SOLD);
    assert_pair_state(T0 + 86400000, FT_SEAT_SOLD); /* a sale never expires */
    refused(SEATS(1, 8, T0 + 86400000, seat_id(1, 1, 2)), "SEAT_TAKEN");
    cr_assert_eq(batch.ended_count, 0, "a paid reservation expired");
}

Test(decide, a_payment_a_millisecond_before_the_expiry_is_in_time_and_stays)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 4999, r, "imp_1", PAIR_AMOUNT));
    no_effect(expire(1, T0 + 5000, r)); /* the expirer had it queued */
    no_effect(expire(1, T0 + 999999, r));
    assert_pair_state(T0 + 999999, FT_SEAT_SOLD);
    refused(SEATS(1, 8, T0 + 999999, seat_id(1, 1, 1)), "SEAT_TAKEN");
    held(SEATS(1, 8, T0 + 999999, seat_id(1, 1, 3)));
}

Test(decide, a_payment_at_the_expiry_is_too_late)
{
    int64_t r = pair_hold();
    refunded(confirm(1, 7, T0 + 5000, r, "imp_1", PAIR_AMOUNT), "HOLD_ENDED");
    /* time passes first: the hold ended at its expiry, before the payment was looked at */
    cr_assert_eq(batch.ended_count, 1);
    assert_expired(0, r, T0 + 5000);
    assert_pair_state(T0 + 5000, FT_SEAT_AVAILABLE);
    held(SEATS(1, 8, T0 + 5001, seat_id(1, 1, 1), seat_id(1, 1, 2)));
}

Test(decide, a_payment_after_the_seat_went_to_someone_else_is_refunded)
{
    int64_t r = pair_hold();
    int64_t other = held(SEATS(1, 8, T0 + 6000, seat_id(1, 1, 1)));
    refunded(confirm(1, 7, T0 + 7000, r, "imp_1", PAIR_AMOUNT), "HOLD_ENDED");
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 7000), FT_SEAT_HELD);
    refused(SEATS(1, 9, T0 + 7000, seat_id(1, 1, 1)), "SEAT_TAKEN");
    confirmed(confirm(1, 8, T0 + 7001, other, "imp_8", prices[FT_GRADE_VIP]));
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 7001), FT_SEAT_SOLD);
}

Test(decide, a_payment_after_a_cancel_is_refunded)
{
    int64_t r = pair_hold();
    run(cancel(1, 7, T0 + 1000, r));
    refunded(confirm(1, 7, T0 + 2000, r, "imp_1", PAIR_AMOUNT), "HOLD_ENDED");
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.ended[0].status, FT_RES_CANCELLED);
    assert_pair_state(T0 + 2000, FT_SEAT_AVAILABLE);
}

Test(decide, a_payment_for_a_reservation_not_live_on_its_schedule_is_refunded)
{
    int64_t r = pair_hold();
    load_plain(2, 1, 5);
    struct venue missing;
    venue_init(&missing, 5, 0, 0);
    missing.seed.exists = false;
    load(&missing);
    refunded(confirm(2, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT), "HOLD_ENDED"); /* live, on schedule 1 */
    refunded(confirm(5, 7, T0 + 1000, r, "imp_2", PAIR_AMOUNT), "HOLD_ENDED"); /* no such schedule */
    refunded(confirm(1, 7, T0 + 1000, r + 1024, "imp_3", PAIR_AMOUNT), "HOLD_ENDED"); /* never held */
    cr_assert_eq(batch.ended_count, 0);
    assert_pair_state(T0 + 1000, FT_SEAT_HELD);
    confirmed(confirm(1, 7, T0 + 1001, r, "imp_4", PAIR_AMOUNT));
}

Test(decide, a_payment_by_someone_else_is_refunded_and_the_hold_stays)
{
    int64_t r = pair_hold();
    refunded(confirm(1, 8, T0 + 1000, r, "imp_8", PAIR_AMOUNT), "NOT_OWNER");
    assert_pair_state(T0 + 1000, FT_SEAT_HELD);
    assert_pair_state(T0 + 5000, FT_SEAT_AVAILABLE); /* still a hold, which runs out */
    confirmed(confirm(1, 7, T0 + 2000, r, "imp_7", PAIR_AMOUNT));
    /* paid, but not theirs: NOT_OWNER comes before ALREADY_PAID and before "the same payment" */
    refunded(confirm(1, 8, T0 + 3000, r, "imp_8b", PAIR_AMOUNT), "NOT_OWNER");
    refunded(confirm(1, 8, T0 + 3000, r, "imp_7", PAIR_AMOUNT), "NOT_OWNER");
    assert_pair_state(T0 + 3000, FT_SEAT_SOLD);
}

Test(decide, a_payment_of_another_amount_is_refunded_and_the_hold_stays)
{
    int64_t r = pair_hold();
    refunded(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT - 1), "AMOUNT_MISMATCH");
    refunded(confirm(1, 7, T0 + 1000, r, "imp_2", PAIR_AMOUNT + 1), "AMOUNT_MISMATCH");
    refunded(confirm(1, 7, T0 + 1000, r, "imp_3", prices[FT_GRADE_VIP]), "AMOUNT_MISMATCH"); /* one seat of two */
    assert_pair_state(T0 + 1000, FT_SEAT_HELD);
    confirmed(confirm(1, 7, T0 + 1001, r, "imp_4", PAIR_AMOUNT));
}

Test(decide, the_same_payment_confirmed_again_changes_nothing)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    no_effect(confirm(1, 7, T0 + 1001, r, "imp_1", PAIR_AMOUNT));
    no_effect(confirm(1, 7, T0 + 86400000, r, "imp_1", PAIR_AMOUNT)); /* long after the hold's time */
    cr_assert_eq(batch.payment_count, 1);
    cr_assert_eq(batch.commands, 4);
    assert_pair_state(T0 + 86400000, FT_SEAT_SOLD);
}

Test(decide, another_payment_for_a_paid_reservation_is_refunded)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    refunded(confirm(1, 7, T0 + 2000, r, "imp_2", PAIR_AMOUNT), "ALREADY_PAID");
    refunded(confirm(1, 7, T0 + 2000, r, "imp_3", 1), "ALREADY_PAID"); /* before AMOUNT_MISMATCH */
    no_effect(confirm(1, 7, T0 + 3000, r, "imp_1", PAIR_AMOUNT)); /* still paid by the first */
    assert_pair_state(T0 + 3000, FT_SEAT_SOLD);
}

Test(decide, the_owner_cancels_a_paid_reservation_and_its_payment_is_refunded)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    run(cancel(1, 7, T0 + 2000, r));
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.payment_count, 2);
    cr_assert_eq(batch.payments[0].kind, FT_PAY_CONFIRMED, "the effects are in log order");
    assert_refund_of_paid(r, T0 + 2000);
    assert_pair_state(T0 + 2000, FT_SEAT_AVAILABLE);
    held(SEATS(1, 8, T0 + 2001, seat_id(1, 1, 1), seat_id(1, 1, 2)));
}

Test(decide, a_cancel_of_a_paid_reservation_by_someone_else_changes_nothing)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    no_effect(cancel(1, 8, T0 + 2000, r));
    assert_pair_state(T0 + 2000, FT_SEAT_SOLD);
}

Test(decide, a_repeated_cancel_of_a_paid_reservation_refunds_once)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    run(cancel(1, 7, T0 + 2000, r));
    no_effect(cancel(1, 7, T0 + 2000, r));
    no_effect(cancel(1, 7, T0 + 90000, r));
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.payment_count, 2);
    assert_refund_of_paid(r, T0 + 2000);
}

Test(decide, a_seat_sold_again_after_a_paid_cancel_stays_with_its_new_buyer)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    run(cancel(1, 7, T0 + 2000, r));
    int64_t again = held(SEATS(1, 8, T0 + 3000, seat_id(1, 1, 1)));
    confirmed(confirm(1, 8, T0 + 3500, again, "imp_8", prices[FT_GRADE_VIP]));
    no_effect(cancel(1, 7, T0 + 4000, r));
    no_effect(cancel(1, 7, T0 + 4000, again));
    refunded(confirm(1, 7, T0 + 4500, r, "imp_1", PAIR_AMOUNT), "HOLD_ENDED"); /* a late copy of the first payment */
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 86400000), FT_SEAT_SOLD);
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0 + 86400000), FT_SEAT_AVAILABLE);
    refused(SEATS(1, 7, T0 + 5000, seat_id(1, 1, 1)), "SEAT_TAKEN");
}

Test(decide, paid_seats_count_toward_the_limit_until_cancelled)
{
    load_plain(1, 3, 10);
    int64_t r = held(with_hold(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 2), seat_id(1, 1, 3)), 5));
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", 3 * prices[FT_GRADE_VIP]));
    refused(best(1, 7, T0 + 86400000, 2, FT_GRADE_ANY), "LIMIT_EXCEEDED"); /* a day on, still 3 of LIMIT */
    held(best(1, 7, T0 + 86400000, 1, FT_GRADE_ANY));
    refused(best(1, 7, T0 + 86400001, 1, FT_GRADE_ANY), "LIMIT_EXCEEDED");
    run(cancel(1, 7, T0 + 86400002, r));
    assert_refund_of_paid(r, T0 + 86400002);
    held(best(1, 7, T0 + 86400003, 3, FT_GRADE_ANY));
}

Test(decide, a_seeded_paid_reservation_knows_the_payment_that_paid_it)
{
    struct venue v;
    venue_init(&v, 1, 2, 5);
    int64_t seats[] = { seat_id(1, 1, 1) }, other[] = { seat_id(1, 2, 1) };
    venue_reservation(&v, 777, 7, true, T0 - 1000, 1, seats); /* paid after its hold: never expires */
    v.reservations[0].paid_by = ft_payment_fingerprint("imp_X");
    venue_reservation(&v, 778, 8, true, T0 - 1000, 1, other);
    v.reservations[1].paid_by = 0; /* paid by a payment the store does not know */
    load(&v);
    no_effect(confirm(1, 7, T0, 777, "imp_X", prices[FT_GRADE_VIP]));
    refunded(confirm(1, 7, T0 + 1, 777, "imp_Y", prices[FT_GRADE_VIP]), "ALREADY_PAID");
    refunded(confirm(1, 8, T0 + 1, 778, "imp_Z", prices[FT_GRADE_R]), "ALREADY_PAID");
    no_effect(expire(1, T0 + 999999, 777));
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 999999), FT_SEAT_SOLD);
    cr_assert_eq(state_of(1, seat_id(1, 2, 1), T0 + 999999), FT_SEAT_SOLD);
    run(cancel(1, 7, T0 + 1000000, 777));
    assert_refund_of_paid(777, T0 + 1000000);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 1000000), FT_SEAT_AVAILABLE);
}

Test(decide, a_payment_fingerprint_is_never_zero_and_tells_payments_apart)
{
    cr_assert_neq(ft_payment_fingerprint(""), 0);
    cr_assert_neq(ft_payment_fingerprint("imp_123456789012"), 0);
    cr_assert_eq(ft_payment_fingerprint("imp_123456789012"), ft_payment_fingerprint("imp_123456789012"));
    cr_assert_neq(ft_payment_fingerprint("imp_123456789012"), ft_payment_fingerprint("imp_123456789013"));
}

/* ====================================================================================== */
/* Schedules                                                                             */

Test(decide, a_schedule_that_does_not_exist_is_unknown_schedule)
{
    struct venue v;
    venue_init(&v, 5, 0, 0);
    v.seed.exists = false;
    v.seed.open = false;
    load(&v);
    refused(best(5, 7, T0, 1, FT_GRADE_ANY), "UNKNOWN_SCHEDULE");
    refused(SEATS(5, 7, T0, 1), "UNKNOWN_SCHEDULE");
    run(cancel(5, 7, T0, 1));
    run(expire(5, T0, 1));
    cr_assert_eq(batch.created_count + batch.ended_count, 0);
}

Test(decide, a_closed_schedule_is_schedule_closed)
{
    struct venue v;
    venue_init(&v, 6, 2, 5);
    v.seed.open = false;
    load(&v);
    refused(best(6, 7, T0, 1, FT_GRADE_ANY), "SCHEDULE_CLOSED");
    refused(SEATS(6, 7, T0, seat_id(6, 1, 1)), "SCHEDULE_CLOSED");
    cr_assert_eq(state_of(6, seat_id(6, 1, 1), T0), FT_SEAT_AVAILABLE);
}

Test(decide, an_unloaded_schedule_is_asked_for_and_the_batch_left_alone)
{
    load_plain(1, 2, 5);
    held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    struct ft_batch before = batch;
    cr_assert_not(ft_decider_knows(decider, 2));
    struct ft_command cmds[] = { best(2, 7, T0, 1, FT_GRADE_ANY), SEATS(2, 7, T0, seat_id(2, 1, 1)),
                                 cancel(2, 7, T0, 5), expire(2, T0, 5) };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        cr_assert_eq(ft_decide(decider, &cmds[i], next_offset, &batch), FT_DECIDE_NEEDS_SCHEDULE);
        cr_assert_eq(batch.outcome_count, before.outcome_count);
        cr_assert_eq(batch.created_count, before.created_count);
        cr_assert_eq(batch.ended_count, before.ended_count);
        cr_assert_eq(batch.commands, before.commands);
        cr_assert_eq(batch.next_offset, before.next_offset);
    }
    load_plain(2, 2, 5);
    held(best(2, 7, T0, 1, FT_GRADE_ANY));
    cr_assert_eq(last_outcome()->offset, 1);
    cr_assert_eq(batch.next_offset, 2);
}

Test(decide, an_empty_batch_after_needs_schedule_stays_empty)
{
    struct ft_command cmd = best(9, 7, T0, 1, FT_GRADE_ANY);
    cr_assert_eq(ft_decide(decider, &cmd, 10, &batch), FT_DECIDE_NEEDS_SCHEDULE);
    cr_assert_eq(batch.outcome_count + batch.created_count + batch.ended_count + batch.commands, 0);
    cr_assert_eq(batch.next_offset, -1);
}

/* ====================================================================================== */
/* Reservation ids and counters                                                         */

Test(decide, reservation_ids_and_counters_come_from_the_log)
{
    ft_decider_free(decider);
    decider = ft_decider_new(7, LIMIT);
    load_plain(1, 2, 5);
    next_offset = 100;
    int64_t a = held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    refused(SEATS(1, 8, T0, seat_id(1, 1, 1)), "SEAT_TAKEN");
    next_offset = 250; /* offsets may skip (compacted or foreign messages) */
    int64_t b = held(best(1, 8, T0, 2, FT_GRADE_ANY));
    run(cancel(1, 7, T0, a));
    cr_assert_eq(a, ft_reservation_id_for(7, 100));
    cr_assert_eq(b, ft_reservation_id_for(7, 250));
    cr_assert_eq(batch.created[0].id, a);
    cr_assert_eq(batch.created[1].id, b);
    cr_assert_eq(batch.commands, 4);
    cr_assert_eq(batch.next_offset, 252);
    cr_assert_eq(batch.outcome_count, 3);
    cr_assert_eq(batch.outcomes[1].offset, 101);
    cr_assert_eq(batch.outcomes[1].reservation_id, 0, "a refusal has no reservation");

    ft_batch_clear(&batch);
    cr_assert_eq(batch.commands, 0);
    cr_assert_eq(batch.next_offset, -1);
    cr_assert_eq(batch.outcome_count + batch.created_count + batch.ended_count, 0);
}

Test(decide, reservation_ids_differ_across_offsets_and_partitions)
{
    for (int32_t p = 0; p < 16; p++)
        for (int64_t off = 0; off < 64; off++) {
            int64_t id = ft_reservation_id_for(p, off);
            cr_assert_gt(id, 0);
            for (int32_t q = 0; q < 16; q++)
                for (int64_t o2 = 0; o2 < 64; o2++)
                    if (q != p || o2 != off)
                        cr_assert_neq(id, ft_reservation_id_for(q, o2));
        }
    cr_assert_eq(ft_reservation_id_for(1023, 1LL << 40), ft_reservation_id_for(1023, 1LL << 40));
}

Test(decide, a_resumed_partitions_ids_go_on_past_its_old_log)
{
    /* Its old log had used offsets 0..39; the recreated one starts again at 0. */
    ft_decider_free(decider);
    decider = ft_decider_new(7, LIMIT);
    ft_decider_set_id_base(decider, 40);
    load_plain(1, 2, 5);
    next_offset = 0;
    int64_t id = held(SEATS(1, 7, T0, seat_id(1, 1, 1)));
    cr_assert_eq(id, ft_reservation_id_for(7, 40));
    for (int64_t old = 0; old < 40; old++)
        cr_assert_neq(id, ft_reservation_id_for(7, old));
}

Test(decide, the_amount_is_the_sum_of_the_seat_prices)
{
    struct venue v;
    venue_init(&v, 1, 1, 4);
    for (size_t i = 0; i < v.seed.seat_count; i++)
        v.seats[i].price = 100000000 / (v.seats[i].number * 7) + v.seats[i].number; /* distinct, odd */
    load(&v);
    held(SEATS(1, 7, T0, seat_id(1, 1, 1), seat_id(1, 1, 3), seat_id(1, 1, 4)));
    int64_t expected = 0;
    for (int n = 1; n <= 4; n++)
        if (n != 2)
            expected += 100000000 / (n * 7) + n;
    cr_assert_eq(last_outcome()->amount, expected);
    cr_assert_eq(batch.created[0].amount, expected);
    held(SEATS(1, 8, T0, seat_id(1, 1, 2)));
    cr_assert_eq(last_outcome()->amount, 100000000 / 14 + 2);
}

Test(decide, free_seats_cost_nothing)
{
    struct venue v;
    venue_init(&v, 1, 1, 4);
    for (size_t i = 0; i < v.seed.seat_count; i++)
        v.seats[i].price = 0;
    load(&v);
    held(best(1, 7, T0, 2, FT_GRADE_ANY));
    cr_assert_eq(last_outcome()->amount, 0);
}

/* ====================================================================================== */
/* Seeds                                                                                 */

Test(decide, seeded_holds_occupy_their_seats_and_expire_on_time)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t seats[] = { seat_id(1, 1, 2), seat_id(1, 1, 3), seat_id(1, 1, 4) };
    venue_reservation(&v, 9001, 6, false, T0 + 10000, 3, seats);
    load(&v);
    refused(SEATS(1, 7, T0, seat_id(1, 1, 3)), "SEAT_TAKEN");
    refused(best(1, 7, T0, 2, FT_GRADE_ANY), "NO_ADJACENT_SEATS");
    held(best(1, 7, T0, 1, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 1));
    refused(best(1, 6, T0, 2, FT_GRADE_ANY), "LIMIT_EXCEEDED"); /* 3 seeded + 2 */
    cr_assert_eq(state_of(1, seat_id(1, 1, 3), T0 + 9999), FT_SEAT_HELD);
    run(expire(1, T0 + 10000, 9001));
    assert_expired(0, 9001, T0 + 10000);
    held(best(1, 6, T0 + 10000, 4, FT_GRADE_ANY));
    ASSERT_SEATS(seat_id(1, 1, 2), seat_id(1, 1, 3), seat_id(1, 1, 4), seat_id(1, 1, 5));
}

Test(decide, a_seeded_hold_may_be_cancelled_by_its_owner)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t seats[] = { seat_id(1, 1, 2) };
    venue_reservation(&v, 9001, 6, false, T0 + 10000, 1, seats);
    load(&v);
    run(cancel(1, 6, T0, 9001));
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.ended[0].status, FT_RES_CANCELLED);
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0), FT_SEAT_AVAILABLE);
}

Test(decide, a_seeded_hold_already_due_ends_at_the_first_command)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t seats[] = { seat_id(1, 1, 2) };
    venue_reservation(&v, 9001, 6, false, T0 - 1, 1, seats);
    load(&v);
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0), FT_SEAT_AVAILABLE);
    held(SEATS(1, 7, T0, seat_id(1, 1, 2)));
    assert_expired(0, 9001, T0 - 1);
}

static void assert_seed_refused(struct venue *v, const char *why)
{
    cr_assert_not(ft_decider_add_schedule(decider, &v->seed), "accepted a seed with %s", why);
    cr_assert_not(ft_decider_knows(decider, v->seed.schedule_id), "%s: refused but loaded", why);
}

Test(decide, a_seed_with_one_seat_in_two_reservations_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t a[] = { seat_id(1, 1, 1), seat_id(1, 1, 2) }, b[] = { seat_id(1, 1, 2) };
    venue_reservation(&v, 9001, 6, false, T0 + 1000, 2, a);
    venue_reservation(&v, 9002, 7, true, T0 + 1000, 1, b);
    assert_seed_refused(&v, "one seat in two reservations");
    /* the decider is still usable */
    load_plain(1, 1, 5);
}

Test(decide, a_seed_naming_a_seat_of_another_schedule_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t a[] = { seat_id(2, 1, 1) };
    venue_reservation(&v, 9001, 6, false, T0 + 1000, 1, a);
    assert_seed_refused(&v, "a seat of another schedule");
}

Test(decide, a_seed_with_a_bad_seat_count_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 6);
    int64_t a[] = { seat_id(1, 1, 1) };
    venue_reservation(&v, 9001, 6, false, T0 + 1000, 1, a);
    v.reservations[0].seat_count = 0;
    assert_seed_refused(&v, "a reservation of no seats");
    v.reservations[0].seat_count = FT_SEATS_PER_REQUEST_MAX + 1;
    assert_seed_refused(&v, "a reservation of five seats");
}

Test(decide, a_seed_with_a_seat_id_twice_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    v.seats[1].id = v.seats[0].id;
    assert_seed_refused(&v, "two seats with one id");
}

Test(decide, a_seed_with_one_seat_twice_in_one_reservation_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t a[] = { seat_id(1, 1, 1), seat_id(1, 1, 1) };
    venue_reservation(&v, 9001, 6, false, T0 + 1000, 2, a);
    assert_seed_refused(&v, "one seat twice in one reservation");
}

Test(decide, a_seed_with_one_reservation_id_twice_is_refused)
{
    struct venue v;
    venue_init(&v, 1, 1, 5);
    int64_t a[] = { seat_id(1, 1, 1) }, b[] = { seat_id(1, 1, 2) };
    venue_reservation(&v, 9001, 6, false, T0 + 1000, 1, a);
    venue_reservation(&v, 9001, 7, false, T0 + 1000, 1, b);
    assert_seed_refused(&v, "two reservations with one id");
}

/* ====================================================================================== */
/* The seat map                                                                          */

Test(decide, the_seat_map_lists_every_seat_in_row_and_number_order)
{
    struct venue v;
    venue_init(&v, 1, 3, 4); /* seeded back to front */
    int64_t bought[] = { seat_id(1, 2, 2) }, holding[] = { seat_id(1, 3, 4), seat_id(1, 1, 1) };
    venue_reservation(&v, 9001, 6, true, T0 - 1000, 1, bought);
    venue_reservation(&v, 9002, 7, false, T0 + 5000, 2, holding);
    load(&v);
    struct seat_map map = { 0 };
    cr_assert(ft_decider_each_seat(decider, 1, T0, visit, &map));
    cr_assert_eq(map.count, 12);
    size_t i = 0;
    for (int row = 1; row <= 3; row++)
        for (int number = 1; number <= 4; number++, i++) {
            int64_t id = seat_id(1, row, number);
            cr_assert_eq(map.ids[i], id, "seat %zu out of order", i);
            enum ft_seat_state expected = id == bought[0]                             ? FT_SEAT_SOLD
                                          : id == holding[0] || id == holding[1] ? FT_SEAT_HELD
                                                                                  : FT_SEAT_AVAILABLE;
            cr_assert_eq(map.states[i], expected, "seat %lld", (long long)id);
        }
    /* by the map's own time, without any command */
    cr_assert_eq(state_of(1, holding[0], T0 + 4999), FT_SEAT_HELD);
    cr_assert_eq(state_of(1, holding[0], T0 + 5000), FT_SEAT_AVAILABLE);
    cr_assert_eq(state_of(1, bought[0], T0 + 5000), FT_SEAT_SOLD);
}

Test(decide, the_seat_map_follows_decisions)
{
    load_plain(1, 1, 3);
    int64_t r = held(with_hold(SEATS(1, 7, T0, seat_id(1, 1, 2)), 5));
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0), FT_SEAT_HELD);
    run(cancel(1, 7, T0 + 1, r));
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0 + 1), FT_SEAT_AVAILABLE);
    held(with_hold(SEATS(1, 8, T0 + 2, seat_id(1, 1, 2)), 5));
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0 + 5001), FT_SEAT_HELD);
    cr_assert_eq(state_of(1, seat_id(1, 1, 2), T0 + 5002), FT_SEAT_AVAILABLE);
}

Test(decide, the_seat_map_of_an_unloaded_schedule_is_refused)
{
    struct seat_map map = { 0 };
    cr_assert_not(ft_decider_each_seat(decider, 1, T0, visit, &map));
    cr_assert_eq(map.count, 0);
}

/* ====================================================================================== */
/* Time near the end of int64                                                           */

Test(decide, a_hold_near_the_end_of_time_does_not_overflow)
{
    /* ft_command_decode refuses a ts after the year 9999, but the decider must not trust
     * that: ts + holdSeconds * 1000 must not overflow (undefined behaviour; the sanitizer
     * build aborts on it). */
    load_plain(1, 1, 5);
    struct ft_command cmd = with_hold(SEATS(1, 7, INT64_MAX - 1000, seat_id(1, 1, 1)), 86400);
    snprintf(cmd.token, sizeof cmd.token, "tok%019d", 0);
    enum ft_decide_result result = ft_decide(decider, &cmd, 0, &batch);
    cr_assert_eq(result, FT_DECIDED);
    const struct ft_outcome *o = last_outcome();
    if (o->status == FT_OUTCOME_HELD)
        cr_assert_geq(o->expires_at_ms, cmd.ts_ms, "the hold expired before it was made");
}

/* ====================================================================================== */
/* Random load: determinism and the invariants, against the reference model            */

#include "fuzz_harness.h"

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t below(uint64_t *rng, uint64_t n)
{
    return (int64_t)(next_random(rng) % n);
}

#define RANDOM_SCHEDULES 4
#define ISSUED_MAX 256

/* Schedule 1 large and open, 2 small with a bought and a held seed, 3 closed, 4 missing. */
static struct venue random_venues[RANDOM_SCHEDULES];

static void random_venues_init(void)
{
    venue_init(&random_venues[0], 1, 6, 12);
    venue_init(&random_venues[1], 2, 3, 8);
    int64_t bought[] = { seat_id(2, 1, 4), seat_id(2, 1, 5) }, holding[] = { seat_id(2, 2, 1), seat_id(2, 2, 2),
                                                                              seat_id(2, 3, 8) };
    venue_reservation(&random_venues[1], 900001, 1, true, T0 - 5000, 2, bought);
    random_venues[1].reservations[0].paid_by = ft_payment_fingerprint("imp-900001-0");
    venue_reservation(&random_venues[1], 900002, 2, false, T0 + 20000, 3, holding);
    venue_init(&random_venues[2], 3, 2, 5);
    random_venues[2].seed.open = false;
    venue_init(&random_venues[3], 4, 0, 0);
    random_venues[3].seed.exists = false;
}

struct log_entry {
    struct ft_command cmd;
    int64_t offset;
};

/* What a random run has seen: reservation ids, their owners and amounts, for CANCEL,
 * EXPIRE and CONFIRM_PAYMENT. */
struct issued {
    int64_t ids[ISSUED_MAX], owners[ISSUED_MAX], amounts[ISSUED_MAX];
    size_t count;
};

static void issue(struct issued *seen, int64_t id, int64_t owner, int64_t amount)
{
    size_t at = seen->count++ % ISSUED_MAX;
    seen->ids[at] = id;
    seen->owners[at] = owner;
    seen->amounts[at] = amount;
}

/* Remembers the reservations cmd created, and those it made PAID once more (so that
 * a sale is often cancelled or paid again, and seats and the limit come free again). */
static void issue_effects(struct issued *seen, const struct ft_command *cmd, const struct ft_batch *b,
                          struct ft_batch_mark since)
{
    for (size_t c = since.created; c < b->created_count; c++)
        issue(seen, b->created[c].id, b->created[c].user_id, b->created[c].amount);
    for (size_t p = since.payments; p < b->payment_count; p++)
        if (b->payments[p].kind == FT_PAY_CONFIRMED)
            issue(seen, b->payments[p].reservation_id, cmd->user_id, b->payments[p].payment.amount);
}

/* Remembers the seeded reservations of schedule 2. */
static void issue_seeded(struct issued *seen)
{
    for (size_t i = 0; i < random_venues[1].seed.reservation_count; i++) {
        const struct ft_reservation_seed *r = &random_venues[1].reservations[i];
        issue(seen, r->id, r->user_id, r->amount);
    }
}

static struct ft_command random_command(uint64_t *rng, int64_t *ts, const struct issued *seen)
{
    int64_t dice = below(rng, 100);
    size_t k = dice < 60 ? 0 : dice < 85 ? 1 : dice < 93 ? 2 : 3;
    const struct venue *v = &random_venues[k];
    *ts += below(rng, 300);
    if (below(rng, 100) == 0)
        *ts += 60000 + below(rng, 540000); /* a quiet spell, past most holds */
    struct ft_command cmd = command(FT_CMD_RESERVE, v->seed.schedule_id, 1 + below(rng, 12), *ts);
    cmd.hold_seconds = (int32_t)(5 + below(rng, 115));
    size_t known = seen->count < ISSUED_MAX ? seen->count : ISSUED_MAX;
    size_t pick = 0; /* mostly one of the latest, which are more often still live */
    if (known > 0 && below(rng, 10) < 7)
        pick = (seen->count - 1 - (size_t)below(rng, known < 8 ? known : 8)) % ISSUED_MAX;
    else if (known > 0)
        pick = (size_t)below(rng, known);
    dice = below(rng, 100);
    if (dice < 43) {
        cmd.seat_count = (int32_t)(1 + below(rng, FT_SEATS_PER_REQUEST_MAX));
        for (int32_t i = 0; i < cmd.seat_count; i++)
            cmd.seat_ids[i] = v->seed.seat_count == 0 || below(rng, 40) == 0
                                  ? seat_id(v->seed.schedule_id, 9, 99)
                                  : v->seats[below(rng, v->seed.seat_count)].id;
    } else if (dice < 70) {
        cmd.quantity = (int32_t)(1 + below(rng, FT_SEATS_PER_REQUEST_MAX));
        cmd.grade = (enum ft_grade)below(rng, 5);
    } else if (dice < 85) {
        cmd = cancel(cmd.schedule_id, cmd.user_id, *ts, known ? seen->ids[pick] : 12345);
        if (known && below(rng, 10) < 7)
            cmd.user_id = seen->owners[pick];
    } else if (dice < 95) {
        cmd = expire(cmd.schedule_id, *ts, known ? seen->ids[pick] : 12345);
    } else {
        /* a few payments per reservation, so that one comes again; mostly the owner's, of the right amount */
        int64_t id = known ? seen->ids[pick] : 12345;
        char imp_uid[FT_IMP_UID_SIZE];
        snprintf(imp_uid, sizeof imp_uid, "imp-%lld-%lld", (long long)id, (long long)below(rng, 3));
        int64_t amount = (known ? seen->amounts[pick] : 50000) + (below(rng, 8) == 0 ? 1 : 0);
        cmd = confirm(cmd.schedule_id, known && below(rng, 10) < 8 ? seen->owners[pick] : cmd.user_id, *ts, id,
                      imp_uid, amount);
    }
    if (cmd.type == FT_CMD_RESERVE)
        snprintf(cmd.token, sizeof cmd.token, "rnd%019lld", (long long)*ts);
    return cmd;
}

static const struct venue *random_venue_of(int64_t schedule)
{
    for (size_t k = 0; k < RANDOM_SCHEDULES; k++)
        if (random_venues[k].seed.schedule_id == schedule)
            return &random_venues[k];
    cr_assert_fail("no venue %lld", (long long)schedule);
    return NULL;
}

/* Decides one logged command, loading its schedule when asked (into the model too). */
static void decide_logged(struct ft_decider *d, struct ft_batch *b, struct ft_model *model,
                          const struct log_entry *e)
{
    enum ft_decide_result result = ft_decide(d, &e->cmd, e->offset, b);
    if (result == FT_DECIDE_NEEDS_SCHEDULE) {
        const struct venue *v = random_venue_of(e->cmd.schedule_id);
        cr_assert(ft_decider_add_schedule(d, &v->seed));
        if (model != NULL)
            cr_assert(ft_model_add_schedule(model, &v->seed));
        result = ft_decide(d, &e->cmd, e->offset, b);
    }
    cr_assert_eq(result, FT_DECIDED, "offset %lld", (long long)e->offset);
}

/*
 * Makes up `count` commands and decides them with d, checking each against the model
 * (which tracks, from the batch, every live reservation: no seat held twice, nobody past
 * the limit, no SEAT_TAKEN for a free seat, every due hold ended on time, the rest exact).
 * The log and the batch marks before each command are kept for replays.
 */
static void random_run(uint64_t seed, size_t count, struct ft_decider *d, struct ft_batch *b, struct log_entry *log,
                       struct ft_batch_mark *marks)
{
    struct ft_model *model = ft_model_new(PARTITION, LIMIT);
    cr_assert_not_null(model);
    cr_assert(ft_model_add_schedule(model, &random_venues[1].seed) && ft_decider_add_schedule(d, &random_venues[1].seed));
    uint64_t rng = seed;
    int64_t ts = T0, offset = 0;
    struct issued seen = { .count = 0 };
    issue_seeded(&seen);
    size_t held_count = 0, expired = 0, cancelled = 0, payment_kinds[3] = { 0 };
    for (size_t i = 0; i < count; i++) {
        log[i] = (struct log_entry){ .cmd = random_command(&rng, &ts, &seen), .offset = offset };
        offset += below(&rng, 20) == 0 ? 3 : 1;
        marks[i] = ft_batch_mark_of(b);
        decide_logged(d, b, model, &log[i]);
        char why[512] = "";
        cr_assert(ft_model_decide_and_compare(model, &log[i].cmd, log[i].offset, b, marks[i], why, sizeof why),
                  "seed %llu, command %zu: %s", (unsigned long long)seed, i, why);
        held_count += b->created_count - marks[i].created;
        issue_effects(&seen, &log[i].cmd, b, marks[i]);
        for (size_t e = marks[i].ended; e < b->ended_count; e++) {
            expired += b->ended[e].status == FT_RES_EXPIRED;
            cancelled += b->ended[e].status == FT_RES_CANCELLED;
        }
        for (size_t p = marks[i].payments; p < b->payment_count; p++)
            payment_kinds[b->payments[p].kind]++;
        if (i % 50 == 0)
            for (size_t k = 0; k < RANDOM_SCHEDULES; k++) {
                cr_assert(ft_model_compare_seat_map(model, d, random_venues[k].seed.schedule_id, ts, why, sizeof why),
                          "seed %llu, command %zu: %s", (unsigned long long)seed, i, why);
                cr_assert(ft_model_compare_seat_map(model, d, random_venues[k].seed.schedule_id, ts + 60000, why,
                                                    sizeof why),
                          "seed %llu, command %zu: %s", (unsigned long long)seed, i, why);
            }
    }
    /* the run must have exercised what it claims to check */
    cr_assert_gt(held_count, count / 10, "only %zu holds", held_count);
    cr_assert_gt(expired, count / 100, "only %zu expiries", expired);
    cr_assert_gt(cancelled, count / 100, "only %zu cancels", cancelled);
    cr_assert_gt(payment_kinds[FT_PAY_CONFIRMED], count / 200, "only %zu payments confirmed",
                 payment_kinds[FT_PAY_CONFIRMED]);
    cr_assert_gt(payment_kinds[FT_PAY_REFUND], count / 200, "only %zu payments refunded", payment_kinds[FT_PAY_REFUND]);
    cr_assert_gt(payment_kinds[FT_PAY_REFUND_PAID], count / 1000, "only %zu paid reservations cancelled",
                 payment_kinds[FT_PAY_REFUND_PAID]);
    ft_model_free(model);
}

#define RANDOM_COMMANDS 6000

Test(decide, random_load_keeps_the_invariants_and_matches_the_model)
{
    random_venues_init();
    static struct log_entry log[RANDOM_COMMANDS];
    static struct ft_batch_mark marks[RANDOM_COMMANDS];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct ft_decider *d = ft_decider_new(PARTITION, LIMIT);
        struct ft_batch b;
        ft_batch_init(&b);
        random_run(seed, RANDOM_COMMANDS, d, &b, log, marks);
        ft_batch_free(&b);
        ft_decider_free(d);
    }
}

/* Replays a log into a fresh decider, emptying its batch every `clear_every` commands,
 * and compares each command's effects with the reference batch. */
static struct ft_decider *replay(const struct log_entry *log, size_t count, const struct ft_batch *reference,
                                 const struct ft_batch_mark *marks, size_t clear_every)
{
    struct ft_decider *d = ft_decider_new(PARTITION, LIMIT);
    cr_assert(ft_decider_add_schedule(d, &random_venues[1].seed));
    struct ft_batch b;
    ft_batch_init(&b);
    for (size_t i = 0; i < count; i++) {
        if (clear_every != 0 && i % clear_every == 0)
            ft_batch_clear(&b);
        struct ft_batch_mark before = ft_batch_mark_of(&b);
        decide_logged(d, &b, NULL, &log[i]);
        struct ft_batch_mark ref_before = marks[i];
        struct ft_batch ref_upto = *reference; /* the reference as it stood after command i */
        struct ft_batch_mark ref_after = i + 1 < count ? marks[i + 1] : ft_batch_mark_of(reference);
        ref_upto.outcome_count = ref_after.outcomes;
        ref_upto.created_count = ref_after.created;
        ref_upto.ended_count = ref_after.ended;
        ref_upto.payment_count = ref_after.payments;
        ref_upto.commands = ref_after.commands;
        ref_upto.next_offset = log[i].offset + 1;
        char why[512] = "";
        cr_assert(ft_fuzz_same_effects(&ref_upto, ref_before, &b, before, why, sizeof why), "command %zu: %s", i,
                  why);
    }
    ft_batch_free(&b);
    return d;
}

static void assert_same_seat_maps(const struct ft_decider *x, const struct ft_decider *y, int64_t now_ms)
{
    for (size_t k = 0; k < RANDOM_SCHEDULES; k++) {
        struct seat_map a = { 0 }, b = { 0 };
        int64_t schedule = random_venues[k].seed.schedule_id;
        cr_assert_eq(ft_decider_each_seat(x, schedule, now_ms, visit, &a),
                     ft_decider_each_seat(y, schedule, now_ms, visit, &b));
        cr_assert_eq(a.count, b.count);
        cr_assert_eq(memcmp(a.ids, b.ids, a.count * sizeof a.ids[0]), 0);
        cr_assert_eq(memcmp(a.states, b.states, a.count * sizeof a.states[0]), 0);
    }
}

Test(decide, the_same_log_gives_the_same_batches)
{
    random_venues_init();
    static struct log_entry log[RANDOM_COMMANDS];
    static struct ft_batch_mark marks[RANDOM_COMMANDS];
    struct ft_decider *first = ft_decider_new(PARTITION, LIMIT);
    struct ft_batch reference;
    ft_batch_init(&reference);
    random_run(99, RANDOM_COMMANDS, first, &reference, log, marks);
    int64_t end = log[RANDOM_COMMANDS - 1].cmd.ts_ms;

    /* one batch for the whole log, then batches of 1, 37 and 500 commands */
    const size_t batch_sizes[] = { 0, 1, 37, 500 };
    for (size_t i = 0; i < sizeof batch_sizes / sizeof batch_sizes[0]; i++) {
        struct ft_decider *again = replay(log, RANDOM_COMMANDS, &reference, marks, batch_sizes[i]);
        assert_same_seat_maps(first, again, end);
        assert_same_seat_maps(first, again, end + 3600000);
        ft_decider_free(again);
    }
    ft_batch_free(&reference);
    ft_decider_free(first);
}

/* ====================================================================================== */
/* Out of memory: "nothing was changed"                                                 */

/*
 * Allocation failure injection: test_decide is linked with -Wl,--wrap=calloc and
 * -Wl,--wrap=realloc (tests/CMakeLists.txt), so the worker core's calloc and realloc
 * come here. While fail_countdown is armed (>= 0), the allocation it counts down to fails.
 */
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);

static long fail_countdown = -1;

static bool allocation_fails(void)
{
    return fail_countdown >= 0 && fail_countdown-- == 0;
}

void *__wrap_calloc(size_t count, size_t size)
{
    return allocation_fails() ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return allocation_fails() ? NULL : __real_realloc(p, size);
}

static bool batch_unchanged(const struct ft_batch *b, struct ft_batch_mark mark)
{
    struct ft_batch_mark now = ft_batch_mark_of(b);
    return now.outcomes == mark.outcomes && now.created == mark.created && now.ended == mark.ended &&
           now.payments == mark.payments && now.commands == mark.commands && now.next_offset == mark.next_offset;
}

/*
 * Runs a random log through a reference decider and a victim whose every allocation
 * during ft_decide fails once in turn (the 1st, then on the retry the 2nd, ...), until
 * the victim decides. The victim must then have appended exactly what the reference
 * did; with `strict`, every FT_DECIDE_OUT_OF_MEMORY must also leave the batch as it was,
 * but for holds that ended because their time was up (decide.h: time passes first).
 */
static void out_of_memory_run(bool strict)
{
    random_venues_init();
    uint64_t rng = 7;
    int64_t ts = T0;
    size_t failures = 0;
    /* fresh deciders and batches every round, so that every structure grows again */
    for (int round = 0; round < 12; round++) {
        struct ft_decider *reference = ft_decider_new(PARTITION, LIMIT), *victim = ft_decider_new(PARTITION, LIMIT);
        cr_assert(ft_decider_add_schedule(reference, &random_venues[1].seed));
        cr_assert(ft_decider_add_schedule(victim, &random_venues[1].seed));
        struct ft_batch ref_batch, victim_batch;
        ft_batch_init(&ref_batch);
        ft_batch_init(&victim_batch);
        struct issued seen = { .count = 0 };
        issue_seeded(&seen);
        for (int64_t offset = 0; offset < 300; offset++) {
            struct log_entry e = { .cmd = random_command(&rng, &ts, &seen), .offset = offset };
            if (offset % 3 == 0) { /* an empty batch without memory: every effect needs an allocation */
                ft_batch_free(&victim_batch);
                ft_batch_init(&victim_batch);
            }
            struct ft_batch_mark ref_mark = ft_batch_mark_of(&ref_batch), mark = ft_batch_mark_of(&victim_batch);
            decide_logged(reference, &ref_batch, NULL, &e);
            for (long k = 0;; k++) {
                fail_countdown = k;
                enum ft_decide_result result = ft_decide(victim, &e.cmd, offset, &victim_batch);
                fail_countdown = -1;
                if (result == FT_DECIDED)
                    break;
                if (result == FT_DECIDE_NEEDS_SCHEDULE) {
                    cr_assert(ft_decider_add_schedule(victim, &random_venue_of(e.cmd.schedule_id)->seed));
                    k = -1;
                    continue;
                }
                cr_assert_eq(result, FT_DECIDE_OUT_OF_MEMORY);
                failures++;
                bool only_expiries = victim_batch.outcome_count == mark.outcomes &&
                                     victim_batch.created_count == mark.created &&
                                     victim_batch.payment_count == mark.payments;
                for (size_t x = mark.ended; only_expiries && x < victim_batch.ended_count; x++)
                    only_expiries = victim_batch.ended[x].status == FT_RES_EXPIRED &&
                                    victim_batch.ended[x].at_ms <= e.cmd.ts_ms;
                if (strict)
                    cr_assert(batch_unchanged(&victim_batch, mark) || only_expiries,
                              "round %d, offset %lld (command %d), allocation %ld failed: the batch changed "
                              "(outcomes %zu->%zu, created %zu->%zu, ended %zu->%zu, payments %zu->%zu)",
                              round, (long long)offset, e.cmd.type, k + 1, mark.outcomes, victim_batch.outcome_count,
                              mark.created, victim_batch.created_count, mark.ended, victim_batch.ended_count,
                              mark.payments, victim_batch.payment_count);
            }
            char why[512] = "";
            cr_assert(ft_fuzz_same_effects(&ref_batch, ref_mark, &victim_batch, mark, why, sizeof why),
                      "round %d, offset %lld, after out-of-memory retries: %s", round, (long long)offset, why);
            issue_effects(&seen, &e.cmd, &ref_batch, ref_mark);
            if (offset % 50 == 0)
                assert_same_seat_maps(reference, victim, ts);
        }
        assert_same_seat_maps(reference, victim, ts);
        assert_same_seat_maps(reference, victim, ts + 3600000);
        ft_batch_free(&ref_batch);
        ft_batch_free(&victim_batch);
        ft_decider_free(reference);
        ft_decider_free(victim);
    }
    cr_assert_gt(failures, 50, "only %zu allocations failed", failures);
}

Test(decide, a_retry_after_out_of_memory_decides_as_if_nothing_failed)
{
    out_of_memory_run(false);
}

Test(decide, out_of_memory_leaves_the_batch_as_it_was_but_for_due_expiries)
{
    out_of_memory_run(true);
}

/*
 * Decides cmd at the next offset with every allocation failing once in turn (the 1st,
 * then on the retry the 2nd, ...) on a batch that owns no memory yet, so that each effect
 * needs one. After each failure, check() must find nothing changed. Returns how many
 * allocations failed before the command was decided.
 */
static long decide_through_failures(struct ft_command cmd, void (*check)(long failed))
{
    ft_batch_free(&batch);
    ft_batch_init(&batch);
    long failures = 0;
    for (long k = 0;; k++) {
        fail_countdown = k;
        enum ft_decide_result result = ft_decide(decider, &cmd, next_offset, &batch);
        fail_countdown = -1;
        if (result == FT_DECIDED)
            break;
        cr_assert_eq(result, FT_DECIDE_OUT_OF_MEMORY);
        failures++;
        cr_assert(batch_unchanged(&batch, (struct ft_batch_mark){ .next_offset = -1 }),
                  "allocation %ld failed, yet the batch changed (ended %zu, payments %zu)", k + 1, batch.ended_count,
                  batch.payment_count);
        check(k + 1);
    }
    next_offset++;
    return failures;
}

static void still_paid(long failed)
{
    for (int n = 1; n <= 2; n++)
        cr_assert_eq(state_of(1, seat_id(1, 1, n), T0 + 2000), FT_SEAT_SOLD,
                     "allocation %ld failed, yet seat (1,1,%d) was released", failed, n);
}

Test(decide, a_paid_cancel_out_of_memory_changes_nothing_and_a_retry_refunds)
{
    int64_t r = pair_hold();
    confirmed(confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT));
    long failures = decide_through_failures(cancel(1, 7, T0 + 2000, r), still_paid);
    cr_assert_eq(batch.ended_count, 1);
    cr_assert_eq(batch.payment_count, 1, "the reservation ended without its refund");
    assert_refund_of_paid(r, T0 + 2000);
    /* room for the refund and the ending are two allocations: a failure of either changed nothing */
    cr_assert_geq(failures, 2);
    cr_assert_eq(batch.commands, 1);
    assert_pair_state(T0 + 2000, FT_SEAT_AVAILABLE);
    held(SEATS(1, 8, T0 + 2001, seat_id(1, 1, 1), seat_id(1, 1, 2)));
}

static void still_held(long failed)
{
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 1000), FT_SEAT_HELD, "allocation %ld failed", failed);
    cr_assert_eq(state_of(1, seat_id(1, 1, 1), T0 + 5000), FT_SEAT_AVAILABLE,
                 "allocation %ld failed, yet the hold became a sale", failed);
}

Test(decide, a_payment_out_of_memory_changes_nothing_and_a_retry_confirms)
{
    int64_t r = pair_hold();
    struct ft_command cmd = confirm(1, 7, T0 + 1000, r, "imp_1", PAIR_AMOUNT);
    cr_assert_geq(decide_through_failures(cmd, still_held), 1);
    cr_assert_eq(batch.payment_count, 1);
    cr_assert_eq(batch.payments[0].kind, FT_PAY_CONFIRMED);
    assert_payment_of(&batch.payments[0], &cmd);
    assert_pair_state(T0 + 86400000, FT_SEAT_SOLD);
    refunded(confirm(1, 7, T0 + 1001, r, "imp_2", PAIR_AMOUNT), "ALREADY_PAID");
}
