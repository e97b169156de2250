#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"

static struct ft_outcome outcome(int32_t partition, int64_t offset)
{
    struct ft_outcome o = { .partition = partition, .offset = offset, .status = FT_OUTCOME_REJECTED,
                            .reject_code = "SEAT_TAKEN" };
    snprintf(o.token, sizeof o.token, "token-%d-%lld", partition, (long long)offset);
    return o;
}

Test(batch, appending_keeps_each_kind_in_order_after_what_was_there)
{
    struct ft_batch a, b;
    ft_batch_init(&a);
    ft_batch_init(&b);
    for (int64_t i = 0; i < 3; i++) {
        struct ft_outcome o = outcome(1, i);
        cr_assert(ft_batch_add_outcome(&a, &o));
    }
    for (int64_t i = 0; i < 2; i++) {
        struct ft_outcome o = outcome(2, 10 + i);
        cr_assert(ft_batch_add_outcome(&b, &o));
    }
    struct ft_new_reservation r = { .id = 77, .seat_count = 1, .seat_ids = { 5 } };
    cr_assert(ft_batch_add_created(&b, &r));
    struct ft_ended_reservation e = { .id = 12, .status = FT_RES_EXPIRED, .at_ms = 1000 };
    cr_assert(ft_batch_add_ended(&a, &e));
    a.commands = 3;
    a.next_offset = 3;
    b.commands = 2;
    b.next_offset = 12;

    struct ft_batch merged;
    ft_batch_init(&merged);
    cr_assert(ft_batch_append(&merged, &a));
    cr_assert(ft_batch_append(&merged, &b));
    cr_expect_eq(merged.outcome_count, 5);
    int64_t offsets[] = { 0, 1, 2, 10, 11 };
    int32_t partitions[] = { 1, 1, 1, 2, 2 };
    for (size_t i = 0; i < 5; i++) {
        cr_expect_eq(merged.outcomes[i].offset, offsets[i]);
        cr_expect_eq(merged.outcomes[i].partition, partitions[i]);
    }
    cr_expect_str_eq(merged.outcomes[4].token, "token-2-11");
    cr_expect_eq(merged.created_count, 1);
    cr_expect_eq(merged.created[0].id, 77);
    cr_expect_eq(merged.ended_count, 1);
    cr_expect_eq(merged.ended[0].id, 12);
    cr_expect_eq(merged.commands, 5);
    /* the sources are untouched */
    cr_expect_eq(a.outcome_count, 3);
    cr_expect_eq(b.outcome_count, 2);
    ft_batch_free(&merged);
    ft_batch_free(&a);
    ft_batch_free(&b);
}
