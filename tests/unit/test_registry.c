#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

static const unsigned char key[FT_REGISTRY_KEY_SIZE] = "0123456789abcdef";

/* A token-shaped name for number i. */
static void token_for(int i, char out[FT_REQUEST_TOKEN_SIZE])
{
    snprintf(out, FT_REQUEST_TOKEN_SIZE, "tok%031d", i);
}

static struct ft_outcome held(const char *token, int64_t offset)
{
    struct ft_outcome o = { .user_id = 5, .schedule_id = 9, .partition = 1, .offset = offset,
                            .status = FT_OUTCOME_HELD, .reservation_id = 4242, .amount = 3000,
                            .expires_at_ms = 1800000000000, .seat_count = 2, .seat_ids = { 71, 72 } };
    memcpy(o.token, token, FT_REQUEST_TOKEN_SIZE);
    return o;
}

Test(registry, position_counts_the_commands_ahead)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    cr_assert_not_null(reg);
    cr_assert_eq(ft_registry_add(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 5, 9, 1, 40, 0), FT_REGISTRY_ADDED);
    struct ft_token_view v;
    cr_assert(ft_registry_find(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &v));
    cr_assert_eq(v.state, FT_TOKEN_WAITING);
    cr_assert_eq(v.user_id, 5);
    cr_assert_eq(v.schedule_id, 9);
    cr_assert_eq(v.partition, 1);
    cr_assert_eq(v.position, 40, "no progress yet: every earlier offset is ahead");
    cr_assert(v.offset_exact);
    ft_registry_progress(reg, 1, 30, 250.0);
    cr_assert(ft_registry_find(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &v));
    cr_assert_eq(v.position, 10);
    cr_assert_float_eq(v.rate_per_sec, 250.0, 1e-9);
    ft_registry_progress(reg, 0, 1000, 0); /* another partition changes nothing here */
    cr_assert(ft_registry_find(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &v));
    cr_assert_eq(v.position, 10);
    ft_registry_progress(reg, 1, 20, 0); /* progress never moves back */
    cr_assert_eq(ft_registry_next_offset(reg, 1), 30);
    ft_registry_progress(reg, 1, 40, 0);
    cr_assert(ft_registry_find(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &v));
    cr_assert_eq(v.state, FT_TOKEN_WAITING);
    cr_assert_eq(v.position, 0, "the writer decides it next");
    cr_assert_float_eq(v.rate_per_sec, 250.0, 1e-9, "a progress without rate keeps the last one");
    ft_registry_progress(reg, 1, 41, 0);
    cr_assert(ft_registry_find(reg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &v));
    cr_assert_eq(v.state, FT_TOKEN_IN_STORE, "passed without an outcome here: PostgreSQL has it");
    ft_registry_free(reg);
}

Test(registry, outcomes_replace_waiting)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", *b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    cr_assert_eq(ft_registry_add(reg, a, 5, 9, 1, 3, 0), FT_REGISTRY_ADDED);
    cr_assert_eq(ft_registry_add(reg, b, 5, 9, 1, 4, 0), FT_REGISTRY_ADDED);
    struct ft_outcome o = held(a, 3);
    cr_assert(ft_registry_decide(reg, &o, 10));
    struct ft_outcome r = { .user_id = 5, .schedule_id = 9, .partition = 1, .offset = 4,
                            .status = FT_OUTCOME_REJECTED, .reject_code = "SEAT_TAKEN" };
    memcpy(r.token, b, FT_REQUEST_TOKEN_SIZE);
    cr_assert(ft_registry_decide(reg, &r, 10));
    struct ft_token_view v;
    cr_assert(ft_registry_find(reg, a, &v));
    cr_assert_eq(v.state, FT_TOKEN_HELD);
    cr_assert_eq(v.reservation_id, 4242);
    cr_assert_eq(v.amount, 3000);
    cr_assert_eq(v.expires_at_ms, 1800000000000);
    cr_assert_eq(v.seat_count, 2);
    cr_assert_eq(v.seat_ids[1], 72);
    cr_assert(ft_registry_find(reg, b, &v));
    cr_assert_eq(v.state, FT_TOKEN_REJECTED);
    cr_assert_str_eq(v.reject_code, "SEAT_TAKEN");
    ft_registry_progress(reg, 1, 100, 0);
    cr_assert(ft_registry_find(reg, a, &v));
    cr_assert_eq(v.state, FT_TOKEN_HELD, "a decided token stays decided whatever the progress");
    struct ft_outcome stranger = held("cccccccccccccccccccccccccccccccccc", 7);
    cr_assert_not(ft_registry_decide(reg, &stranger, 10), "outcomes of unknown tokens are not kept");
    cr_assert_not(ft_registry_find(reg, "cccccccccccccccccccccccccccccccccc", &v));
    ft_registry_free(reg);
}

Test(registry, the_same_token_twice_is_one_token)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    cr_assert_eq(ft_registry_add(reg, a, 5, 9, 2, 8, 0), FT_REGISTRY_ADDED); /* delivery report */
    cr_assert_eq(ft_registry_add(reg, a, 5, 9, 2, 8, 1), FT_REGISTRY_KNOWN); /* the tail, later */
    struct ft_registry_stats stats;
    ft_registry_stats(reg, &stats);
    cr_assert_eq(stats.tokens, 1);
    cr_assert_eq(stats.waiting, 1);
    ft_registry_free(reg);
}

Test(registry, a_token_the_writer_passed_is_not_kept)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    ft_registry_progress(reg, 0, 50, 0);
    cr_assert_eq(ft_registry_add(reg, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 5, 9, 0, 49, 0), FT_REGISTRY_PASSED);
    cr_assert_eq(ft_registry_add(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 5, 9, 0, 50, 0), FT_REGISTRY_ADDED);
    cr_assert_eq(ft_registry_add(reg, "short", 5, 9, 0, 50, 0), FT_REGISTRY_INVALID);
    cr_assert_eq(ft_registry_add(reg, "cccccccccccccccccccccccccccccccccc", 5, 9, FT_REGISTRY_PARTITIONS_MAX, 50, 0),
                 FT_REGISTRY_INVALID);
    cr_assert_eq(ft_registry_add(reg, "cccccccccccccccccccccccccccccccccc", 5, 9, -1, 50, 0), FT_REGISTRY_INVALID);
    ft_registry_free(reg);
}

Test(registry, an_unknown_offset_is_estimated_and_the_position_never_grows)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    cr_assert_eq(ft_registry_add(reg, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 9, 3, 10, 0), FT_REGISTRY_ADDED);
    /* a delivery report without offset: estimated after the latest offset seen (10) */
    cr_assert_eq(ft_registry_add(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, 9, 3, -1, 0), FT_REGISTRY_ADDED);
    struct ft_token_view v;
    cr_assert(ft_registry_find(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &v));
    cr_assert_not(v.offset_exact);
    cr_assert_eq(v.position, 11);
    /* the tail reads the real offset, further back than estimated */
    cr_assert_eq(ft_registry_add(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, 9, 3, 15, 0), FT_REGISTRY_KNOWN);
    cr_assert(ft_registry_find(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &v));
    cr_assert(v.offset_exact);
    cr_assert_eq(v.offset, 15);
    cr_assert_eq(v.position, 11, "a position once told is a ceiling");
    ft_registry_progress(reg, 3, 6, 0);
    cr_assert(ft_registry_find(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &v));
    cr_assert_eq(v.position, 9, "exact again once the real distance is smaller");
    ft_registry_free(reg);
}

Test(registry, sweep_forgets_old_decisions_and_passed_tokens)
{
    struct ft_registry *reg = ft_registry_new(100, 1000, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    for (int i = 0; i < 10; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, i, 0), FT_REGISTRY_ADDED);
    }
    token_for(0, token);
    struct ft_outcome o = held(token, 0);
    cr_assert(ft_registry_decide(reg, &o, 100));
    ft_registry_progress(reg, 0, 5, 0); /* 1..4 passed without an outcome seen */
    cr_assert_eq(ft_registry_sweep(reg, 500, 1000), 4, "passed tokens go; the young decision stays");
    struct ft_token_view v;
    cr_assert(ft_registry_find(reg, token, &v));
    cr_assert_eq(ft_registry_sweep(reg, 1100, 1000), 1, "the decision is past its TTL");
    cr_assert_not(ft_registry_find(reg, token, &v));
    struct ft_registry_stats stats;
    ft_registry_stats(reg, &stats);
    cr_assert_eq(stats.tokens, 5);
    cr_assert_eq(stats.waiting, 5);
    for (int i = 5; i < 10; i++) {
        token_for(i, token);
        cr_assert(ft_registry_find(reg, token, &v), "waiting token %d must stay", i);
        cr_assert_eq(v.position, i - 5);
    }
    ft_registry_free(reg);
}

Test(registry, sweep_is_bounded_by_its_budget)
{
    struct ft_registry *reg = ft_registry_new(1000, 0, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    for (int i = 0; i < 1000; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, i, 0), FT_REGISTRY_ADDED);
    }
    ft_registry_progress(reg, 0, 1000, 0);
    size_t total = 0;
    for (int turn = 0; turn < 10; turn++) {
        size_t forgotten = ft_registry_sweep(reg, 0, 100);
        cr_assert_leq(forgotten, 100);
        total += forgotten;
    }
    cr_assert_eq(total, 1000);
    ft_registry_free(reg);
}

Test(registry, when_full_decided_tokens_make_room_waiting_ones_never)
{
    struct ft_registry *reg = ft_registry_new(8, 60000, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    for (int i = 0; i < 8; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, i, 0), FT_REGISTRY_ADDED);
    }
    token_for(8, token);
    cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, 8, 0), FT_REGISTRY_FULL, "all waiting: nothing may go");
    char decided[FT_REQUEST_TOKEN_SIZE];
    token_for(3, decided);
    struct ft_outcome o = held(decided, 3);
    cr_assert(ft_registry_decide(reg, &o, 1));
    cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, 8, 2), FT_REGISTRY_ADDED, "a young decision makes room");
    struct ft_token_view v;
    cr_assert_not(ft_registry_find(reg, decided, &v));
    for (int i = 0; i < 9; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_find(reg, token, &v), i != 3, "token %d", i);
    }
    ft_registry_free(reg);
}

/* Room is made by forgetting the oldest decision first: the tokens decided a moment ago are
 * the ones their buyers are about to poll. Decided in a shuffled order, one of them twice. */
Test(registry, when_full_the_oldest_decisions_make_room_first)
{
    enum { CAPACITY = 64, MORE = 16 };
    struct ft_registry *reg = ft_registry_new(CAPACITY, 60000, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    int decided_at[CAPACITY]; /* token i was decided at time decided_at[i] */
    for (int i = 0; i < CAPACITY; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, i, 0), FT_REGISTRY_ADDED);
        decided_at[i] = 1 + (i * 37) % CAPACITY; /* a permutation of 1 .. CAPACITY */
    }
    for (int t = 1; t <= CAPACITY; t++)
        for (int i = 0; i < CAPACITY; i++)
            if (decided_at[i] == t) {
                token_for(i, token);
                struct ft_outcome o = held(token, i);
                cr_assert(ft_registry_decide(reg, &o, t));
            }
    /* The first one decided is decided again (a repeated outcome): it is now the newest. */
    int first = 0;
    while (decided_at[first] != 1)
        first++;
    token_for(first, token);
    struct ft_outcome again = held(token, first);
    cr_assert(ft_registry_decide(reg, &again, CAPACITY + 1));
    decided_at[first] = CAPACITY + 1;
    for (int j = 0; j < MORE; j++) {
        token_for(CAPACITY + j, token);
        cr_assert_eq(ft_registry_add(reg, token, 1, 9, 0, CAPACITY + j, CAPACITY + 2), FT_REGISTRY_ADDED);
    }
    struct ft_token_view v;
    for (int i = 0; i < CAPACITY; i++) {
        token_for(i, token);
        /* decided at 2 .. MORE + 1 went; the rest, and the one decided again, stay */
        bool kept = decided_at[i] > MORE + 1;
        cr_assert_eq(ft_registry_find(reg, token, &v), kept, "token %d, decided at %d", i, decided_at[i]);
    }
    for (int j = 0; j < MORE; j++) {
        token_for(CAPACITY + j, token);
        cr_assert(ft_registry_find(reg, token, &v), "new token %d", j);
    }
    ft_registry_free(reg);
}

Test(registry, many_tokens_and_deletions_keep_the_index_sound)
{
    enum { N = 20000 };
    struct ft_registry *reg = ft_registry_new(N, 0, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            token_for(round * N + i, token);
            cr_assert_eq(ft_registry_add(reg, token, i, 9, i % 7, round * N + i, 0), FT_REGISTRY_ADDED);
        }
        /* decide every third one, then sweep them away (TTL 0) */
        for (int i = 0; i < N; i += 3) {
            token_for(round * N + i, token);
            struct ft_outcome o = { .status = FT_OUTCOME_REJECTED, .reject_code = "SOLD_OUT", .offset = -1 };
            memcpy(o.token, token, FT_REQUEST_TOKEN_SIZE);
            cr_assert(ft_registry_decide(reg, &o, 0));
        }
        ft_registry_sweep(reg, 0, N);
        struct ft_token_view v;
        for (int i = 0; i < N; i++) {
            token_for(round * N + i, token);
            bool found = ft_registry_find(reg, token, &v);
            cr_assert_eq(found, i % 3 != 0, "round %d token %d", round, i);
            if (found)
                cr_assert_eq(v.user_id, i);
        }
        /* then forget the rest: every partition passed */
        for (int p = 0; p < 7; p++)
            ft_registry_progress(reg, p, (round + 1) * N, 0);
        ft_registry_sweep(reg, 0, N);
        struct ft_registry_stats stats;
        ft_registry_stats(reg, &stats);
        cr_assert_eq(stats.tokens, 0, "round %d", round);
    }
    ft_registry_free(reg);
}

Test(registry, memory_per_token_is_at_most_300_bytes)
{
    enum { N = 100000 };
    struct ft_registry *reg = ft_registry_new(N, 0, key);
    char token[FT_REQUEST_TOKEN_SIZE];
    for (int i = 0; i < N; i++) {
        token_for(i, token);
        cr_assert_eq(ft_registry_add(reg, token, i, 9, i % 12, i, 0), FT_REGISTRY_ADDED);
    }
    struct ft_registry_stats stats;
    ft_registry_stats(reg, &stats);
    cr_assert_eq(stats.tokens, N);
    cr_assert_eq(stats.entry_bytes, 144);
    double per_token = (double)stats.bytes / N;
    cr_log_info("registry: %zu bytes for %d tokens, %.1f bytes per token", stats.bytes, N, per_token);
    cr_assert_leq(per_token, 300.0, "%.1f bytes per token", per_token);
    ft_registry_free(reg);
}

Test(registry, saturated_only_when_every_place_waits)
{
    struct ft_registry *reg = ft_registry_new(2, 0, key);
    cr_assert_not(ft_registry_saturated(reg));
    cr_assert_eq(ft_registry_add(reg, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 9, 0, 0, 0), FT_REGISTRY_ADDED);
    cr_assert_eq(ft_registry_add(reg, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, 9, 0, 1, 0), FT_REGISTRY_ADDED);
    cr_assert(ft_registry_saturated(reg));
    struct ft_outcome o = held("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0);
    cr_assert(ft_registry_decide(reg, &o, 0));
    cr_assert_not(ft_registry_saturated(reg), "a decided token can make room");
    ft_registry_free(reg);
}
