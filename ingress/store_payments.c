#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"
#include "store.h"

/* Runs a statement that returns no rows; OK, or what failed (CONFLICT on a unique key). */
static enum ft_store_result exec(PGconn *db, const char *what, const char *sql, int nparams, const char *const *params,
                                 int *rows)
{
    PGresult *res = ft_db_query(db, sql, nparams, params);
    enum ft_store_result result = ft_db_ok(res) ? FT_STORE_OK : ft_store_failure(db, res, what);
    if (rows != NULL)
        *rows = result == FT_STORE_OK ? atoi(PQcmdTuples(res)) : 0;
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_payment_order(PGconn *db, int64_t reservation_id, int64_t user_id,
                                            const char *merchant_uid, struct ft_payment_order *out)
{
    char id[24], user[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    snprintf(user, sizeof user, "%" PRId64, user_id);
#define ORDER_COLUMNS                                                                                    \
    "SELECT r.id, r.schedule_id, r.user_id, r.amount, r.status, r.expires_at <= now(),"                   \
    "       p.merchant_uid, coalesce(p.imp_uid, ''), p.status, coalesce(f.reason, '')"                      \
    " FROM reservations r LEFT JOIN payments p ON p.reservation_id = r.id"                                \
    " LEFT JOIN refunds f ON f.imp_uid = p.imp_uid"
    /* Two statements, not one with "$1 IS NULL OR ...": that one has no good generic plan,
     * so PostgreSQL planned it again on every call (0.15 ms of the 0.18 ms a call cost). */
    const char *by_reservation[] = { id, user }, *by_merchant_uid[] = { merchant_uid };
    PGresult *res = reservation_id > 0
                        ? ft_db_query(db, ORDER_COLUMNS " WHERE r.id = $1 AND r.user_id = $2", 2, by_reservation)
                        : ft_db_query(db, ORDER_COLUMNS " WHERE p.merchant_uid = $1", 1, by_merchant_uid);
#undef ORDER_COLUMNS
    enum ft_store_result result = FT_STORE_OK;
    memset(out, 0, sizeof *out);
    if (!ft_db_ok(res))
        result = ft_store_failure(db, res, "payment_order");
    else if (PQntuples(res) != 1)
        result = FT_STORE_NOT_FOUND;
    else {
        out->reservation_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        out->schedule_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out->user_id = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        out->amount = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
        snprintf(out->reservation_status, sizeof out->reservation_status, "%s", PQgetvalue(res, 0, 4));
        out->past_expiry = PQgetvalue(res, 0, 5)[0] == 't';
        out->prepared = !PQgetisnull(res, 0, 6);
        snprintf(out->merchant_uid, sizeof out->merchant_uid, "%s", PQgetvalue(res, 0, 6));
        snprintf(out->imp_uid, sizeof out->imp_uid, "%s", PQgetvalue(res, 0, 7));
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 8));
        snprintf(out->refund_reason, sizeof out->refund_reason, "%s", PQgetvalue(res, 0, 9));
    }
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_payment_claim(PGconn *db, int64_t reservation_id, const char *imp_uid)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    const char *params[] = { id, imp_uid };
    int rows = 0;
    enum ft_store_result result = exec(db, "payment_claim",
                                       "UPDATE payments SET imp_uid = $2, status = 'CONFIRMING', updated_at = now()"
                                       " WHERE reservation_id = $1 AND status = 'PREPARED'",
                                       2, params, &rows);
    return result == FT_STORE_OK && rows == 0 ? FT_STORE_NOT_FOUND : result;
}

enum ft_store_result ft_store_payment_refuse(PGconn *db, int64_t reservation_id, const char *imp_uid,
                                             const char *merchant_uid, int64_t amount, const char *reason)
{
    char id[24], paid[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    snprintf(paid, sizeof paid, "%" PRId64, amount);
    const char *params[] = { id, imp_uid, merchant_uid, paid, reason };
    int rows = 0;
    /* One statement: the order's new state and its refund are written together or not at all. */
    enum ft_store_result result = exec(
        db, "payment_refuse",
        "WITH bound AS (UPDATE payments SET imp_uid = $2, status = 'REFUND_DUE', updated_at = now()"
        "               WHERE reservation_id = $1 AND status = 'PREPARED' RETURNING reservation_id)"
        " INSERT INTO refunds (imp_uid, merchant_uid, reservation_id, amount, reason, decided_by)"
        " SELECT $2, $3, reservation_id, $4, $5, 'VERIFICATION' FROM bound",
        5, params, &rows);
    return result == FT_STORE_OK && rows == 0 ? FT_STORE_NOT_FOUND : result;
}

/* A Payment as the API shows it: the order p of reservation r, with its refund and every attempt. */
#define PAYMENT_JSON                                                                                          \
    "SELECT json_build_object('reservationId', r.id, 'merchantUid', p.merchant_uid, 'amount', p.amount,"      \
    "  'orderName', c.title || ' - ' || n.seats || CASE n.seats WHEN 1 THEN ' seat' ELSE ' seats' END,"      \
    "  'status', p.status, 'impUid', p.imp_uid,"                                                              \
    "  'reservationStatus', CASE WHEN r.status = 'HELD' AND r.expires_at <= now() THEN 'EXPIRED' ELSE r.status END," \
    "  'refund', (SELECT json_build_object('reason', f.reason, 'status', f.status, 'amount', f.amount,"      \
    "       'createdAt', api_timestamp(f.created_at), 'completedAt', api_timestamp(f.completed_at),"         \
    "       'attempts', (SELECT coalesce(json_agg(json_build_object('attempt', a.attempt,"                   \
    "                     'startedAt', api_timestamp(a.started_at), 'result', a.result) ORDER BY a.attempt), '[]')" \
    "                    FROM refund_attempts a WHERE a.refund_id = f.id))"                                 \
    "     FROM refunds f WHERE f.imp_uid = p.imp_uid))"
/* What PAYMENT_JSON needs besides r and p: the concert's title and the number of seats. */
#define PAYMENT_JSON_JOINS                                                                                    \
    " JOIN schedules s ON s.id = r.schedule_id JOIN concerts c ON c.id = s.concert_id"                      \
    " CROSS JOIN LATERAL (SELECT count(*) AS seats FROM reservation_seats WHERE reservation_id = r.id) n"

enum ft_store_result ft_store_payment_view(PGconn *db, int64_t reservation_id, int64_t user_id, char **json)
{
    char id[24], user[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { id, user };
    return ft_store_json_row(db, "payment_view",
                             PAYMENT_JSON " FROM reservations r JOIN payments p ON p.reservation_id = r.id"
                             PAYMENT_JSON_JOINS " WHERE r.id = $1 AND r.user_id = $2",
                             2, params, json);
}

enum ft_store_result ft_store_payment_open(PGconn *db, int64_t reservation_id, int64_t user_id,
                                           const char *merchant_uid, char **json)
{
    char id[24], user[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { id, user, merchant_uid };
    /* The outer SELECT cannot see the new row in payments (one snapshot), so it reads the
     * INSERT's RETURNING as p; r is read as it was, which is what the INSERT checked. */
    return ft_store_json_row(db, "payment_open",
                             "WITH p AS (INSERT INTO payments (reservation_id, merchant_uid, amount, status)"
                             "           SELECT id, $3, amount, 'PREPARED' FROM reservations"
                             "           WHERE id = $1 AND user_id = $2 AND status = 'HELD' AND expires_at > now()"
                             "           ON CONFLICT (reservation_id) DO NOTHING"
                             "           RETURNING reservation_id, merchant_uid, amount, status, imp_uid)"
                             PAYMENT_JSON " FROM p JOIN reservations r ON r.id = p.reservation_id" PAYMENT_JSON_JOINS,
                             3, params, json);
}
