/*
 * What the decisions of a run of commands changed, waiting to be written to PostgreSQL
 * in one transaction (committer.c, store.c) together with the partition's next offset. The decision
 * module only appends here; it does no I/O.
 */
#ifndef FT_WORKER_BATCH_H
#define FT_WORKER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/command.h"

enum ft_reservation_status { FT_RES_HELD, FT_RES_PAID, FT_RES_CANCELLED, FT_RES_EXPIRED };

const char *ft_reservation_status_name(enum ft_reservation_status status);

struct ft_new_reservation {
    int64_t id, user_id, schedule_id, amount, held_at_ms, expires_at_ms;
    int32_t seat_count;
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
};

/* A live reservation that ended: CANCELLED or EXPIRED at `at_ms`. */
struct ft_ended_reservation {
    int64_t id;
    enum ft_reservation_status status;
    int64_t at_ms;
};

/*
 * What a decision did to a payment, in log order:
 *   CONFIRMED    the hold became PAID with this payment
 *   REFUND       this payment cannot be honoured: refund it (reason says why)
 *   REFUND_PAID  the owner cancelled a PAID reservation: refund the payment that paid it
 *                (payment is unset; the store reads the PAID payment of the reservation)
 */
enum ft_payment_effect_kind { FT_PAY_CONFIRMED, FT_PAY_REFUND, FT_PAY_REFUND_PAID };

struct ft_payment_effect {
    enum ft_payment_effect_kind kind;
    int64_t reservation_id;
    int64_t at_ms;         /* the command's time */
    const char *reason;    /* REFUND, REFUND_PAID: static string (HOLD_ENDED, CANCELLED_BY_BUYER, …) */
    struct ft_payment_ref payment; /* CONFIRMED, REFUND */
};

struct ft_batch {
    struct ft_outcome *outcomes;
    size_t outcome_count, outcome_cap;
    struct ft_new_reservation *created;
    size_t created_count, created_cap;
    struct ft_ended_reservation *ended;
    size_t ended_count, ended_cap;
    struct ft_payment_effect *payments;
    size_t payment_count, payment_cap;
    size_t commands;     /* commands decided into this batch */
    int64_t next_offset; /* the offset after the last command; -1 when empty */
};

void ft_batch_init(struct ft_batch *batch);
/* Empties the batch, keeping its memory for the next one. */
void ft_batch_clear(struct ft_batch *batch);
void ft_batch_free(struct ft_batch *batch);

/* Makes room for that many more of each, so that the appenders below cannot fail. */
__attribute__((warn_unused_result)) bool ft_batch_reserve(struct ft_batch *batch, size_t outcomes, size_t created,
                                                          size_t ended, size_t payments);

/* Appends everything `from` holds to `into`, each kind after what `into` has (the store
 * writes the batches of several partitions as one). False when out of memory (nothing
 * appended). */
__attribute__((warn_unused_result)) bool ft_batch_append(struct ft_batch *into, const struct ft_batch *from);

/* Appenders; false when out of memory (nothing appended). */
__attribute__((warn_unused_result)) bool ft_batch_add_outcome(struct ft_batch *batch, const struct ft_outcome *o);
__attribute__((warn_unused_result)) bool ft_batch_add_created(struct ft_batch *batch,
                                                              const struct ft_new_reservation *r);
__attribute__((warn_unused_result)) bool ft_batch_add_ended(struct ft_batch *batch,
                                                            const struct ft_ended_reservation *e);

__attribute__((warn_unused_result)) bool ft_batch_add_payment(struct ft_batch *batch,
                                                              const struct ft_payment_effect *p);

#endif
