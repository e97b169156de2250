#include "stranded_orders.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ft/command.h"
#include "ft/db_pool.h"
#include "ft/log.h"
#include "ft/payment_verify.h"

struct stranded {
    char id[24], merchant_uid[FT_MERCHANT_UID_SIZE];
    int64_t amount;
};

/* Takes the next order to ask about, marking it asked (so no other thread takes it):
 * 1 with *out, 0 when there is none, -1 on a database error. */
static int take(PGconn *db, int after_s, struct stranded *out)
{
    PGresult *res = ft_db_query_int(
        db,
        "UPDATE payments p SET checked_at = now()"
        " FROM (SELECT o.id FROM payments o JOIN reservations r ON r.id = o.reservation_id"
        "       WHERE o.status = 'PREPARED' AND o.checked_at IS NULL AND r.status IN ('EXPIRED', 'CANCELLED')"
        "         AND r.ended_at < now() - make_interval(secs => $1::int)"
        "       ORDER BY o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED) s"
        " WHERE p.id = s.id RETURNING p.id, p.merchant_uid, p.amount",
        after_s);
    int found = -1;
    if (ft_db_ok(res)) {
        found = PQntuples(res) == 1;
        if (found) {
            snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, 0, 0));
            snprintf(out->merchant_uid, sizeof out->merchant_uid, "%s", PQgetvalue(res, 0, 1));
            out->amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        }
    } else {
        ft_db_log_failure("stranded.query_failed", res);
    }
    PQclear(res);
    return found;
}

/* Runs one statement about the order; false (logged) on failure. */
static bool run(PGconn *db, const char *what, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = ft_db_query(db, sql, nparams, params);
    bool ok = ft_db_ok(res);
    if (!ok)
        ft_db_log_failure(what, res);
    PQclear(res);
    return ok;
}

/* Settles the paid payment found for the order, as the buyer's confirmation would have. */
static void settle(PGconn *db, const struct stranded *o, const struct ft_portone_payment *payment)
{
    struct ft_payment_verdict verdict;
    ft_payment_verify(payment, o->merchant_uid, o->amount, &verdict);
    if (verdict.kind == FT_VERDICT_CONFIRM) {
        /* The resender (confirmations.c) puts it on the log, as any confirmation still
         * CONFIRMING after FT_CONFIRM_RESEND_AFTER_S: its hold is over, nothing to hurry. */
        const char *params[] = { o->id, payment->imp_uid };
        (void)run(db, "stranded.bind_failed",
                  "UPDATE payments SET imp_uid = $2, status = 'CONFIRMING', updated_at = now()"
                  " WHERE id = $1 AND status = 'PREPARED'",
                  2, params);
    } else if (verdict.kind == FT_VERDICT_REFUND) {
        char amount[24];
        snprintf(amount, sizeof amount, "%" PRId64, verdict.refund_amount);
        const char *params[] = { o->id, payment->imp_uid, amount, verdict.code };
        (void)run(db, "stranded.refund_failed",
                  "WITH bound AS (UPDATE payments SET imp_uid = $2, status = 'REFUND_DUE', updated_at = now()"
                  "               WHERE id = $1 AND status = 'PREPARED' RETURNING reservation_id, merchant_uid)"
                  " INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
                  " SELECT $2, merchant_uid, reservation_id, $3, $4, 'VERIFICATION' FROM bound",
                  4, params);
    }
    ft_log_warn("stranded.paid_found", "payment=%s merchant_uid=%s imp_uid=%s verdict=%s", o->id, o->merchant_uid,
                payment->imp_uid, verdict.kind == FT_VERDICT_CONFIRM ? "confirm" : verdict.code);
}

int ft_stranded_orders_once(const struct ft_config *config, PGconn *db, struct ft_portone *portone, int limit)
{
    int looked = 0;
    struct stranded o;
    int found = 0;
    while (looked < limit && (found = take(db, config->payment_check_after_seconds, &o)) == 1) {
        looked++;
        struct ft_portone_payment payment;
        enum ft_portone_result result = ft_portone_find_paid(portone, o.merchant_uid, &payment);
        if (result == FT_PORTONE_OK) {
            settle(db, &o, &payment);
        } else if (result != FT_PORTONE_NOT_FOUND) {
            /* PortOne could not say: asked again at a later turn. */
            const char *params[] = { o.id };
            (void)run(db, "stranded.release_failed", "UPDATE payments SET checked_at = NULL WHERE id = $1", 1, params);
            ft_log_info("stranded.unanswered", "payment=%s result=%s", o.id, ft_portone_result_name(result));
            break;
        }
    }
    return found < 0 ? -1 : looked;
}
