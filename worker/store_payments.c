#include "store_payments.h"

#include <inttypes.h>
#include <stdio.h>

bool ft_wstore_mark_paid(PGconn *db, int32_t partition, const struct ft_batch *b)
{
    for (size_t i = 0; i < b->payment_count; i++) {
        const struct ft_payment_effect *e = &b->payments[i];
        if (e->kind != FT_PAY_CONFIRMED)
            continue;
        char id[24], at[24];
        snprintf(id, sizeof id, "%" PRId64, e->reservation_id);
        snprintf(at, sizeof at, "%" PRId64, e->at_ms);
        const char *params[] = { id, at };
        /* Touches nothing for a reservation of this batch: it is not inserted yet. */
        if (!ft_wstore_run(db, "mark_paid", partition,
                           "UPDATE reservations SET status = 'PAID', paid_at = to_timestamp($2 / 1000.0)"
                           " WHERE id = $1 AND status = 'HELD'",
                           2, params))
            return false;
    }
    return true;
}

/* The payment settled its hold. In a replay the ingress's order row is not there: made here. */
static bool confirmed(PGconn *db, int32_t partition, const struct ft_payment_effect *e)
{
    char id[24], amount[24];
    snprintf(id, sizeof id, "%" PRId64, e->reservation_id);
    snprintf(amount, sizeof amount, "%" PRId64, e->payment.amount);
    const char *params[] = { id, e->payment.imp_uid, e->payment.merchant_uid, amount };
    return ft_wstore_run(db, "payment_paid", partition,
                         "UPDATE payments SET status = 'PAID', updated_at = now()"
                         " WHERE reservation_id = $1 AND imp_uid = $2 AND status = 'CONFIRMING'",
                         2, params) &&
           ft_wstore_run(db, "payment_row", partition,
                         "INSERT INTO payments (reservation_id, imp_uid, merchant_uid, amount, status)"
                         " VALUES ($1, $2, $3, $4, 'PAID') ON CONFLICT DO NOTHING",
                         4, params);
}

/* A payment the log refused: refunded in full. A second refusal of it adds nothing. */
static bool refund_payment(PGconn *db, int32_t partition, const struct ft_payment_effect *e)
{
    char id[24], amount[24];
    snprintf(id, sizeof id, "%" PRId64, e->reservation_id);
    snprintf(amount, sizeof amount, "%" PRId64, e->payment.amount);
    const char *params[] = { e->payment.imp_uid, e->payment.merchant_uid, id, amount, e->reason };
    return ft_wstore_run(db, "refund_due", partition,
                         "INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
                         " VALUES ($1, $2, $3, $4, $5, 'LOG') ON CONFLICT (imp_uid) DO NOTHING",
                         5, params) &&
           ft_wstore_run(db, "payment_refund_due", partition,
                         "UPDATE payments SET status = 'REFUND_DUE', updated_at = now()"
                         " WHERE imp_uid = $1 AND status = 'CONFIRMING'",
                         1, params);
}

/* The owner cancelled a paid reservation: the payment that paid it is refunded. */
static bool refund_paid(PGconn *db, int32_t partition, const struct ft_payment_effect *e)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, e->reservation_id);
    const char *params[] = { id, e->reason };
    return ft_wstore_run(db, "refund_paid_due", partition,
                         "INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
                         " SELECT imp_uid, merchant_uid, reservation_id, amount, $2, 'LOG' FROM payments"
                         " WHERE reservation_id = $1 AND status = 'PAID' ON CONFLICT (imp_uid) DO NOTHING",
                         2, params) &&
           ft_wstore_run(db, "payment_paid_refund_due", partition,
                         "UPDATE payments SET status = 'REFUND_DUE', updated_at = now()"
                         " WHERE reservation_id = $1 AND status = 'PAID'",
                         1, params);
}

bool ft_wstore_payment_effects(PGconn *db, int32_t partition, const struct ft_batch *b)
{
    for (size_t i = 0; i < b->payment_count; i++) {
        const struct ft_payment_effect *e = &b->payments[i];
        bool ok = e->kind == FT_PAY_CONFIRMED ? confirmed(db, partition, e)
                  : e->kind == FT_PAY_REFUND  ? refund_payment(db, partition, e)
                                              : refund_paid(db, partition, e);
        if (!ok)
            return false;
    }
    return true;
}
