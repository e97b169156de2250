#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"
#include "ft/ids.h"
#include "store.h"

enum ft_store_result ft_store_my_reservations(PGconn *db, int64_t user_id, char **json)
{
    /* A hold past its time is shown EXPIRED at once, though the worker ends it only when
     * the expirer's command reaches it. */
    return ft_store_json_by_id(
        db, "my_reservations",
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
        "   'id', r.id, 'scheduleId', r.schedule_id, 'concertId', s.concert_id, 'concertTitle', c.title,"
        "   'startsAt', api_timestamp(s.starts_at),"
        "   'status', CASE WHEN r.status = 'HELD' AND r.expires_at <= now() THEN 'EXPIRED' ELSE r.status END,"
        "   'amount', r.amount, 'heldAt', api_timestamp(r.held_at), 'expiresAt', api_timestamp(r.expires_at),"
        "   'paidAt', api_timestamp(r.paid_at), 'endedAt', api_timestamp(r.ended_at),"
        "   'seats', (SELECT json_agg(json_build_object('id', x.id, 'row', x.row_number, 'number', x.seat_number,"
        "                                              'grade', x.grade, 'price', x.price)"
        "                             ORDER BY x.row_number, x.seat_number)"
        "             FROM reservation_seats rs JOIN seats x ON x.id = rs.seat_id WHERE rs.reservation_id = r.id)"
        " ) ORDER BY r.held_at DESC, r.id DESC), '[]'))"
        " FROM (SELECT * FROM reservations WHERE user_id = $1 ORDER BY held_at DESC, id DESC LIMIT 100) r"
        " JOIN schedules s ON s.id = r.schedule_id JOIN concerts c ON c.id = s.concert_id",
        user_id, json);
}

enum ft_store_result ft_store_reservation_of(PGconn *db, int64_t reservation_id, int64_t user_id,
                                            struct ft_owned_reservation *out)
{
    char id[24], user[24];
    snprintf(id, sizeof id, "%" PRId64, reservation_id);
    snprintf(user, sizeof user, "%" PRId64, user_id);
    const char *params[] = { id, user };
    PGresult *res = ft_db_query(db,
                                "SELECT schedule_id, status, expires_at <= now() FROM reservations"
                                " WHERE id = $1 AND user_id = $2",
                                2, params);
    enum ft_store_result result = FT_STORE_OK;
    if (!ft_db_ok(res))
        result = PQstatus(db) == CONNECTION_OK ? FT_STORE_FAILED : FT_STORE_UNAVAILABLE;
    else if (PQntuples(res) == 0) /* someone else's is as unknown as one that does not exist */
        result = FT_STORE_NOT_FOUND;
    else if (!ft_parse_id(PQgetvalue(res, 0, 0), &out->schedule_id))
        result = FT_STORE_FAILED;
    else {
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 1));
        out->past_expiry = PQgetvalue(res, 0, 2)[0] == 't';
    }
    PQclear(res);
    return result;
}
