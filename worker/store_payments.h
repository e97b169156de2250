/*
 * The payment side of a batch's transaction (store.c calls these inside it): a hold that
 * became PAID, and the refunds the log made due, written to the refund outbox that the
 * expirer's retrier empties. Only the worker's decisions are written here; the orders
 * and the verification are the ingress's.
 */
#ifndef FT_WORKER_STORE_PAYMENTS_H
#define FT_WORKER_STORE_PAYMENTS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "ft/unnest_columns.h"

/* Marks PAID the reservations of earlier batches that this batch's payments settled
 * (those made in this batch are inserted PAID). Runs before the batch's ends, so that a
 * reservation paid and cancelled in one batch ends CANCELLED with its paid_at. */
bool ft_wstore_mark_paid(PGconn *db, int32_t partition, const struct ft_batch *batch);

/* Writes the batch's payment effects after its reservations exist: one statement per table
 * for each kind when they touch distinct payments, one effect at a time in log order
 * otherwise. Either way the same rows as writing them one by one. */
bool ft_wstore_payment_effects(PGconn *db, int32_t partition, const struct ft_batch *batch);

/* One statement of the batch's transaction; false (logged) unless it succeeded. */
bool ft_wstore_run(PGconn *db, const char *what, int32_t partition, const char *sql, int nparams,
                   const char *const *params);

/* A statement over unnest() of the first `columns` columns. */
struct ft_wstore_unnest {
    const char *what, *sql;
    int columns;
};

/* Closes cols and runs the statements in order with them, unless no row was added (rows
 * 0); frees cols either way. False (logged) when one failed or cols ran out of memory. */
bool ft_wstore_run_unnest(PGconn *db, int32_t partition, struct ft_columns *cols, size_t rows,
                          const struct ft_wstore_unnest *statements, size_t count);

#endif
