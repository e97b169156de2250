#include "store_payments.h"

#include <inttypes.h>
#include <stdio.h>

#include "decide.h"
#include "i64map.h"

bool ft_wstore_mark_paid(PGconn *db, int32_t partition, const struct ft_batch *b)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 2);
    size_t n = 0;
    for (size_t i = 0; i < b->payment_count; i++) {
        const struct ft_payment_effect *e = &b->payments[i];
        if (e->kind != FT_PAY_CONFIRMED)
            continue;
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(n), e->reservation_id);
        ft_strbuf_printf(&cols.c[1], "%s%" PRId64, FT_COLUMN_SEP(n), e->at_ms);
        n++;
    }
    /* Touches nothing for a reservation of this batch: it is not inserted yet. */
    const struct ft_wstore_unnest paid = {
        "mark_paid",
        "UPDATE reservations r SET status = 'PAID', paid_at = to_timestamp(t.at / 1000.0)"
        " FROM unnest($1::bigint[], $2::bigint[]) AS t(id, at) WHERE r.id = t.id AND r.status = 'HELD'",
        2
    };
    return ft_wstore_run_unnest(db, partition, &cols, n, &paid, 1);
}

/* The payments settled their holds. In a replay the ingress's order rows are not there: made here. */
static bool write_confirmed(PGconn *db, int32_t partition, const struct ft_payment_effect *effects, size_t count)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 4);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct ft_payment_effect *e = &effects[i];
        if (e->kind != FT_PAY_CONFIRMED)
            continue;
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(n), e->reservation_id);
        ft_columns_put_text(&cols, 1, n == 0, e->payment.imp_uid);
        ft_columns_put_text(&cols, 2, n == 0, e->payment.merchant_uid);
        ft_strbuf_printf(&cols.c[3], "%s%" PRId64, FT_COLUMN_SEP(n), e->payment.amount);
        n++;
    }
    const struct ft_wstore_unnest statements[] = {
        { "payment_paid",
          "UPDATE payments p SET status = 'PAID', updated_at = now()"
          " FROM unnest($1::bigint[], $2::text[]) AS t(id, imp)"
          " WHERE p.reservation_id = t.id AND p.imp_uid = t.imp AND p.status = 'CONFIRMING'",
          2 },
        { "payment_row",
          "INSERT INTO payments (reservation_id, imp_uid, merchant_uid, amount, status) SELECT id, imp, m, a, 'PAID'"
          " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS t(id, imp, m, a) ON CONFLICT DO NOTHING",
          4 },
    };
    return ft_wstore_run_unnest(db, partition, &cols, n, statements, 2);
}

/* The owners cancelled paid reservations: the payments that paid them are refunded. */
static bool write_refunds_of_paid(PGconn *db, int32_t partition, const struct ft_payment_effect *effects,
                                  size_t count)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 2);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct ft_payment_effect *e = &effects[i];
        if (e->kind != FT_PAY_REFUND_PAID)
            continue;
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(n), e->reservation_id);
        ft_columns_put_text(&cols, 1, n == 0, e->reason);
        n++;
    }
    const struct ft_wstore_unnest statements[] = {
        { "refund_paid_due",
          "INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
          " SELECT p.imp_uid, p.merchant_uid, p.reservation_id, p.amount, t.reason, 'LOG'"
          " FROM unnest($1::bigint[], $2::text[]) AS t(id, reason)"
          " JOIN payments p ON p.reservation_id = t.id AND p.status = 'PAID' ON CONFLICT (imp_uid) DO NOTHING",
          2 },
        { "payment_paid_refund_due",
          "UPDATE payments p SET status = 'REFUND_DUE', updated_at = now()"
          " FROM unnest($1::bigint[]) AS t(id) WHERE p.reservation_id = t.id AND p.status = 'PAID'",
          1 },
    };
    return ft_wstore_run_unnest(db, partition, &cols, n, statements, 2);
}

/* Payments the log refused: refunded in full. A second refusal of one adds nothing. */
static bool write_refunds(PGconn *db, int32_t partition, const struct ft_payment_effect *effects, size_t count)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 5);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct ft_payment_effect *e = &effects[i];
        if (e->kind != FT_PAY_REFUND)
            continue;
        ft_columns_put_text(&cols, 0, n == 0, e->payment.imp_uid);
        ft_columns_put_text(&cols, 1, n == 0, e->payment.merchant_uid);
        ft_strbuf_printf(&cols.c[2], "%s%" PRId64, FT_COLUMN_SEP(n), e->reservation_id);
        ft_strbuf_printf(&cols.c[3], "%s%" PRId64, FT_COLUMN_SEP(n), e->payment.amount);
        ft_columns_put_text(&cols, 4, n == 0, e->reason);
        n++;
    }
    const struct ft_wstore_unnest statements[] = {
        { "refund_due",
          "INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
          " SELECT imp, m, id, a, reason, 'LOG'"
          " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS t(imp, m, id, a, reason)"
          " ON CONFLICT (imp_uid) DO NOTHING",
          5 },
        { "payment_refund_due",
          "UPDATE payments p SET status = 'REFUND_DUE', updated_at = now()"
          " FROM unnest($1::text[]) AS t(imp) WHERE p.imp_uid = t.imp AND p.status = 'CONFIRMING'",
          1 },
    };
    return ft_wstore_run_unnest(db, partition, &cols, n, statements, 2);
}

static bool write_effects(PGconn *db, int32_t partition, const struct ft_payment_effect *effects, size_t count)
{
    return write_confirmed(db, partition, effects, count) && write_refunds_of_paid(db, partition, effects, count) &&
           write_refunds(db, partition, effects, count);
}

/*
 * True when no reservation and no payment has two of the batch's effects. Each effect
 * touches only the rows of its reservation and its payment (a refund of a paid
 * reservation: the payment that paid it, whose confirmations name that reservation), so
 * such effects commute and can be written kind by kind. False also when out of memory.
 */
static bool touch_distinct_payments(const struct ft_batch *b)
{
    struct ft_i64map reservations, payments;
    ft_i64map_init(&reservations);
    ft_i64map_init(&payments);
    bool distinct = ft_i64map_reserve(&reservations, b->payment_count) &&
                    ft_i64map_reserve(&payments, b->payment_count);
    uint64_t seen;
    for (size_t i = 0; distinct && i < b->payment_count; i++) {
        const struct ft_payment_effect *e = &b->payments[i];
        distinct = e->reservation_id != 0 && !ft_i64map_get(&reservations, e->reservation_id, &seen) &&
                   ft_i64map_put(&reservations, e->reservation_id, i);
        if (distinct && e->kind != FT_PAY_REFUND_PAID) {
            int64_t payment = (int64_t)ft_payment_fingerprint(e->payment.imp_uid);
            distinct = !ft_i64map_get(&payments, payment, &seen) && ft_i64map_put(&payments, payment, i);
        }
    }
    ft_i64map_free(&reservations);
    ft_i64map_free(&payments);
    return distinct;
}

bool ft_wstore_payment_effects(PGconn *db, int32_t partition, const struct ft_batch *b)
{
    if (b->payment_count == 0)
        return true;
    if (touch_distinct_payments(b))
        return write_effects(db, partition, b->payments, b->payment_count);
    /* A payment confirmed then refunded by a cancel, a confirmation sent twice: in log order. */
    for (size_t i = 0; i < b->payment_count; i++)
        if (!write_effects(db, partition, &b->payments[i], 1))
            return false;
    return true;
}
