#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ft/db_pool.h"
#include "ft/ids.h"
#include "ft/log.h"
#include "store.h"

/* Schedules whose seats are read by one query. */
#define SEAT_LOAD_BATCH 32

static enum ft_store_result failed(PGconn *db, PGresult *res, const char *what)
{
    enum ft_store_result result = FT_STORE_FAILED;
    if (PQstatus(db) != CONNECTION_OK || strncmp(ft_db_sqlstate(res), "08", 2) == 0)
        result = FT_STORE_UNAVAILABLE;
    else
        ft_log_error("db.query_failed", "query=%s sqlstate=%s error=\"%.*s\"", what, ft_db_sqlstate(res),
                     (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
    PQclear(res);
    return result;
}

static int64_t field_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Loads the seats of schedules ids[0..count) (open flags alongside) into the catalog. */
static enum ft_store_result load_seats(PGconn *db, struct ft_catalog *catalog, const int64_t *ids, const bool *open,
                                       size_t count)
{
    char array[SEAT_LOAD_BATCH * 21 + 3];
    size_t used = 0;
    array[used++] = '{';
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(array + used, sizeof array - used, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(array + used, sizeof array - used, "}");
    const char *params[] = { array };
    PGresult *res = ft_db_query(db,
                                "SELECT schedule_id, id, row_number, seat_number, grade, price FROM seats"
                                " WHERE schedule_id = ANY($1::bigint[]) ORDER BY schedule_id, id",
                                1, params);
    if (!ft_db_ok(res))
        return failed(db, res, "catalog_seats");
    int rows = PQntuples(res);
    struct ft_catalog_seat *seats = malloc(((size_t)rows + 1) * sizeof *seats);
    enum ft_store_result result = seats != NULL ? FT_STORE_OK : FT_STORE_FAILED;
    int row = 0;
    for (size_t i = 0; i < count && result == FT_STORE_OK; i++) {
        size_t n = 0;
        for (; row < rows && field_i64(res, row, 0) == ids[i]; row++) {
            enum ft_grade grade = FT_GRADE_A;
            (void)ft_grade_parse(PQgetvalue(res, row, 4), &grade);
            seats[n++] = (struct ft_catalog_seat){ .id = field_i64(res, row, 1),
                                                   .row = (uint8_t)field_i64(res, row, 2),
                                                   .number = (uint8_t)field_i64(res, row, 3),
                                                   .grade = (uint8_t)grade,
                                                   .price = (int32_t)field_i64(res, row, 5) };
        }
        if (!ft_catalog_put(catalog, ids[i], open[i], seats, n))
            result = FT_STORE_FAILED;
    }
    free(seats);
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_catalog_sync(PGconn *db, struct ft_catalog *catalog, int64_t only)
{
    char only_text[24];
    snprintf(only_text, sizeof only_text, "%" PRId64, only);
    const char *params[] = { only_text };
    PGresult *res = ft_db_query(db,
                                "SELECT id, status = 'OPEN' FROM schedules WHERE $1::bigint <= 0 OR id = $1::bigint"
                                " ORDER BY id",
                                1, params);
    if (!ft_db_ok(res))
        return failed(db, res, "catalog_schedules");
    enum ft_store_result result = FT_STORE_OK;
    int64_t missing[SEAT_LOAD_BATCH];
    bool missing_open[SEAT_LOAD_BATCH];
    size_t pending = 0;
    int rows = PQntuples(res);
    for (int i = 0; i < rows && result == FT_STORE_OK; i++) {
        int64_t id = field_i64(res, i, 0);
        bool open = PQgetvalue(res, i, 1)[0] == 't';
        if (ft_catalog_set_open(catalog, id, open))
            continue;
        missing[pending] = id;
        missing_open[pending++] = open;
        if (pending == SEAT_LOAD_BATCH) {
            result = load_seats(db, catalog, missing, missing_open, pending);
            pending = 0;
        }
    }
    if (result == FT_STORE_OK && pending > 0)
        result = load_seats(db, catalog, missing, missing_open, pending);
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_partition_offsets(PGconn *db, const char *topic, int64_t *next, int32_t count)
{
    for (int32_t i = 0; i < count; i++)
        next[i] = 0;
    const char *params[] = { topic };
    PGresult *res = ft_db_query(db, "SELECT partition, next_offset FROM partition_offsets WHERE topic = $1", 1, params);
    if (!ft_db_ok(res))
        return failed(db, res, "partition_offsets");
    for (int i = 0; i < PQntuples(res); i++) {
        int64_t partition = field_i64(res, i, 0);
        if (partition >= 0 && partition < count)
            next[partition] = field_i64(res, i, 1);
    }
    PQclear(res);
    return FT_STORE_OK;
}

enum ft_store_result ft_store_idempotency_find(PGconn *db, int64_t user_id, const char *key, const char *request,
                                               char *token, bool *other_request)
{
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { user, key, request };
    PGresult *res = ft_db_query(db,
                                "SELECT token, request IS DISTINCT FROM $3 AND request IS NOT NULL"
                                " FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                                3, params);
    if (!ft_db_ok(res))
        return failed(db, res, "idempotency_find");
    bool found = PQntuples(res) == 1;
    if (found) {
        snprintf(token, FT_REQUEST_TOKEN_SIZE, "%s", PQgetvalue(res, 0, 0));
        *other_request = PQgetvalue(res, 0, 1)[0] == 't';
    }
    PQclear(res);
    return found ? FT_STORE_OK : FT_STORE_NOT_FOUND;
}

enum ft_store_result ft_store_idempotency_unbind(PGconn *db, int64_t user_id, const char *key, const char *token)
{
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { user, key, token };
    PGresult *res =
        ft_db_query(db, "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND token = $3", 3, params);
    if (!ft_db_ok(res))
        return failed(db, res, "idempotency_unbind");
    PQclear(res);
    return FT_STORE_OK;
}

enum ft_store_result ft_store_idempotency_rebind(PGconn *db, int64_t user_id, const char *key, const char *old_token,
                                                 const char *new_token, const char *request)
{
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { user, key, old_token, new_token, request };
    PGresult *res = ft_db_query(db,
                                "UPDATE idempotency_keys SET token = $4, request = $5, created_at = now()"
                                " WHERE user_id = $1 AND key = $2 AND token = $3",
                                5, params);
    if (!ft_db_ok(res))
        return failed(db, res, "idempotency_rebind");
    bool moved = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    return moved ? FT_STORE_OK : FT_STORE_NOT_FOUND;
}

enum ft_store_result ft_store_request_outcome(PGconn *db, const char *token, int64_t user_id, char **json)
{
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { token, user };
    return ft_store_json_row(
        db, "request_outcome",
        "SELECT CASE o.status WHEN 'HELD' THEN json_build_object("
        "   'token', o.token, 'status', 'HELD', 'reservationId', r.id,"
        "   'seats', (SELECT json_agg(json_build_object('id', x.id, 'row', x.row_number, 'number', x.seat_number,"
        "                                               'grade', x.grade, 'price', x.price)"
        "                             ORDER BY x.row_number, x.seat_number)"
        "             FROM reservation_seats rs JOIN seats x ON x.id = rs.seat_id WHERE rs.reservation_id = r.id),"
        "   'amount', r.amount, 'expiresAt', api_timestamp(r.expires_at))"
        " ELSE json_build_object('token', o.token, 'status', 'REJECTED', 'code', o.reject_code) END"
        " FROM request_outcomes o LEFT JOIN reservations r ON r.id = o.reservation_id"
        " WHERE o.token = $1 AND o.user_id = $2::bigint",
        2, params, json);
}
