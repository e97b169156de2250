#include "batch.h"

#include <stdlib.h>
#include <string.h>

const char *ft_reservation_status_name(enum ft_reservation_status status)
{
    static const char *const names[] = { "HELD", "PAID", "CANCELLED", "EXPIRED" };
    return names[status];
}

void ft_batch_init(struct ft_batch *batch)
{
    memset(batch, 0, sizeof *batch);
    batch->next_offset = -1;
}

void ft_batch_clear(struct ft_batch *batch)
{
    batch->outcome_count = batch->created_count = batch->ended_count = batch->payment_count = 0;
    batch->commands = 0;
    batch->next_offset = -1;
}

void ft_batch_free(struct ft_batch *batch)
{
    free(batch->outcomes);
    free(batch->created);
    free(batch->ended);
    free(batch->payments);
    ft_batch_init(batch);
}

/* Makes room for `more` elements of `size` bytes after the `count` in *items. */
static bool reserve_more(void **items, size_t *cap, size_t count, size_t more, size_t size)
{
    if (count + more <= *cap)
        return true;
    size_t grown_cap = *cap ? *cap * 2 : 256;
    while (grown_cap < count + more)
        grown_cap *= 2;
    void *grown = realloc(*items, grown_cap * size);
    if (grown == NULL)
        return false;
    *items = grown;
    *cap = grown_cap;
    return true;
}

static bool reserve(void **items, size_t *cap, size_t count, size_t size)
{
    return reserve_more(items, cap, count, 1, size);
}

bool ft_batch_reserve(struct ft_batch *batch, size_t outcomes, size_t created, size_t ended, size_t payments)
{
    return reserve_more((void **)&batch->outcomes, &batch->outcome_cap, batch->outcome_count, outcomes,
                        sizeof *batch->outcomes) &&
           reserve_more((void **)&batch->created, &batch->created_cap, batch->created_count, created,
                        sizeof *batch->created) &&
           reserve_more((void **)&batch->ended, &batch->ended_cap, batch->ended_count, ended, sizeof *batch->ended) &&
           reserve_more((void **)&batch->payments, &batch->payment_cap, batch->payment_count, payments,
                        sizeof *batch->payments);
}

bool ft_batch_append(struct ft_batch *into, const struct ft_batch *from)
{
    if (!ft_batch_reserve(into, from->outcome_count, from->created_count, from->ended_count, from->payment_count))
        return false;
    if (from->outcome_count > 0)
        memcpy(into->outcomes + into->outcome_count, from->outcomes, from->outcome_count * sizeof *from->outcomes);
    if (from->created_count > 0)
        memcpy(into->created + into->created_count, from->created, from->created_count * sizeof *from->created);
    if (from->ended_count > 0)
        memcpy(into->ended + into->ended_count, from->ended, from->ended_count * sizeof *from->ended);
    if (from->payment_count > 0)
        memcpy(into->payments + into->payment_count, from->payments, from->payment_count * sizeof *from->payments);
    into->outcome_count += from->outcome_count;
    into->created_count += from->created_count;
    into->ended_count += from->ended_count;
    into->payment_count += from->payment_count;
    into->commands += from->commands;
    if (from->next_offset > into->next_offset)
        into->next_offset = from->next_offset;
    return true;
}

bool ft_batch_add_outcome(struct ft_batch *batch, const struct ft_outcome *o)
{
    if (!reserve((void **)&batch->outcomes, &batch->outcome_cap, batch->outcome_count, sizeof *o))
        return false;
    batch->outcomes[batch->outcome_count++] = *o;
    return true;
}

bool ft_batch_add_created(struct ft_batch *batch, const struct ft_new_reservation *r)
{
    if (!reserve((void **)&batch->created, &batch->created_cap, batch->created_count, sizeof *r))
        return false;
    batch->created[batch->created_count++] = *r;
    return true;
}

bool ft_batch_add_ended(struct ft_batch *batch, const struct ft_ended_reservation *e)
{
    if (!reserve((void **)&batch->ended, &batch->ended_cap, batch->ended_count, sizeof *e))
        return false;
    batch->ended[batch->ended_count++] = *e;
    return true;
}

bool ft_batch_add_payment(struct ft_batch *batch, const struct ft_payment_effect *p)
{
    if (!reserve((void **)&batch->payments, &batch->payment_cap, batch->payment_count, sizeof *p))
        return false;
    batch->payments[batch->payment_count++] = *p;
    return true;
}
