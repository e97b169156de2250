#include <inttypes.h>
#include <stdio.h>

#include "store.h"

enum ft_store_result ft_store_venue_create(PGconn *db, const char *name, const char *rows_json, char **json)
{
    const char *params[] = { name, rows_json };
    /* One statement, so the venue and its rows are written together or not at all. */
    return ft_store_json_row(
        db, "venue_create",
        "WITH v AS (INSERT INTO venues (name) VALUES ($1) RETURNING id, name),"
        " r AS (INSERT INTO venue_rows (venue_id, row_number, seat_count, grade, price)"
        "       SELECT v.id, e.n, (e.row->>'seats')::int, e.row->>'grade', (e.row->>'price')::bigint"
        "       FROM v, json_array_elements($2::json) WITH ORDINALITY AS e(row, n)"
        "       RETURNING row_number, seat_count, grade, price)"
        " SELECT json_build_object('id', v.id, 'name', v.name,"
        "   'totalSeats', (SELECT sum(seat_count) FROM r),"
        "   'rows', (SELECT json_agg(json_build_object('row', row_number, 'seats', seat_count,"
        "                                             'grade', grade, 'price', price) ORDER BY row_number) FROM r))"
        " FROM v",
        2, params, json);
}

enum ft_store_result ft_store_concert_create(PGconn *db, const char *title, const char *artist,
                                             const char *description, char **json)
{
    const char *params[] = { title, artist, description };
    return ft_store_json_row(db, "concert_create",
                             "INSERT INTO concerts (title, artist, description) VALUES ($1, $2, $3) "
                             "RETURNING json_build_object('id', id, 'title', title, 'artist', artist,"
                             " 'description', description, 'createdAt', api_timestamp(created_at))",
                             3, params, json);
}

enum ft_store_result ft_store_schedule_create(PGconn *db, int64_t concert_id, int64_t venue_id,
                                              int64_t starts_at, char **json)
{
    char concert[24], venue[24], instant[24];
    snprintf(concert, sizeof concert, "%" PRId64, concert_id);
    snprintf(venue, sizeof venue, "%" PRId64, venue_id);
    snprintf(instant, sizeof instant, "%" PRId64, starts_at);
    const char *params[] = { concert, venue, instant };
    /* No row comes back when the concert or the venue is unknown: nothing is written. */
    return ft_store_json_row(
        db, "schedule_create",
        "WITH s AS (INSERT INTO schedules (concert_id, venue_id, starts_at)"
        "           SELECT c.id, v.id, to_timestamp($3::bigint) FROM concerts c, venues v WHERE c.id = $1 AND v.id = $2"
        "           RETURNING id, concert_id, venue_id, starts_at, status),"
        " seats_made AS (INSERT INTO seats (schedule_id, row_number, seat_number, grade, price)"
        "           SELECT s.id, r.row_number, n, r.grade, r.price"
        "           FROM s JOIN venue_rows r ON r.venue_id = s.venue_id, generate_series(1, r.seat_count) n"
        "           RETURNING 1)"
        " SELECT json_build_object('id', s.id, 'concertId', s.concert_id, 'venueId', s.venue_id,"
        "   'startsAt', api_timestamp(s.starts_at), 'status', s.status,"
        "   'totalSeats', (SELECT count(*) FROM seats_made))"
        " FROM s",
        3, params, json);
}
