#include "ft/state_digest.h"

#include <string.h>

#include "ft/db_pool.h"

/* Instants as epoch microseconds: the text form of timestamptz depends on the session's time zone. */
#define US(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

bool ft_state_digest(PGconn *db, const char *topic, char digest[FT_STATE_DIGEST_SIZE])
{
    const char *params[] = { topic };
    PGresult *res = ft_db_query(
        db,
        "SELECT encode(sha256(convert_to(concat_ws('|',"
        " (SELECT string_agg(concat_ws(',', id, user_id, schedule_id, status, amount, " US("held_at") ","
        "    " US("expires_at") ", " US("paid_at") ", " US("ended_at") "), ';' ORDER BY id) FROM reservations),"
        " (SELECT string_agg(concat_ws(',', reservation_id, schedule_id, seat_id, live), ';'"
        "    ORDER BY reservation_id, seat_id) FROM reservation_seats),"
        " (SELECT string_agg(concat_ws(',', token, user_id, schedule_id, partition, log_offset, status,"
        "    reservation_id, reject_code, " US("decided_at") "), ';' ORDER BY token) FROM request_outcomes),"
        /* Refunds the log decided (not those of the ingress's verification, which no replay makes). */
        " (SELECT string_agg(concat_ws(',', imp_uid, merchant_uid, reservation_id, amount, reason), ';'"
        "    ORDER BY imp_uid) FROM refunds WHERE decided_by = 'LOG'),"
        " (SELECT string_agg(concat_ws(',', partition, next_offset), ';' ORDER BY partition)"
        "    FROM partition_offsets WHERE topic = $1)), 'UTF8')), 'hex')",
        1, params);
    bool ok = ft_db_ok(res) && PQntuples(res) == 1 && PQgetlength(res, 0, 0) == FT_STATE_DIGEST_SIZE - 1;
    if (ok)
        memcpy(digest, PQgetvalue(res, 0, 0), FT_STATE_DIGEST_SIZE);
    PQclear(res);
    return ok;
}
