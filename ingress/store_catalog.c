#include <inttypes.h>
#include <stdio.h>

#include "store.h"

/*
 * Seats left = seats of the schedule that no live (HELD or PAID) reservation holds.
 * The partial unique index one_live_reservation_per_seat serves the anti-join.
 */
#define SEATS_LEFT(schedule)                                                                  \
    "(SELECT count(*) FROM seats x WHERE x.schedule_id = " schedule " AND NOT EXISTS "          \
    "(SELECT 1 FROM reservation_seats rs WHERE rs.seat_id = x.id AND rs.live))"

enum ft_store_result ft_store_concert_page(PGconn *db, int64_t page, int64_t size, char **json)
{
    char page_text[24], size_text[24];
    snprintf(page_text, sizeof page_text, "%" PRId64, page);
    snprintf(size_text, sizeof size_text, "%" PRId64, size);
    const char *params[] = { page_text, size_text };
    return ft_store_json_row(
        db, "concert_page",
        "SELECT json_build_object("
        " 'items', coalesce((SELECT json_agg(json_build_object("
        "    'id', c.id, 'title', c.title, 'artist', c.artist, 'description', c.description,"
        "    'scheduleCount', (SELECT count(*) FROM schedules s WHERE s.concert_id = c.id),"
        "    'firstStartsAt', (SELECT api_timestamp(min(s.starts_at)) FROM schedules s WHERE s.concert_id = c.id)"
        "  ) ORDER BY c.id)"
        "  FROM (SELECT * FROM concerts ORDER BY id LIMIT $2::bigint OFFSET $1::bigint * $2::bigint) c), '[]'),"
        " 'page', $1::bigint, 'size', $2::bigint, 'total', (SELECT count(*) FROM concerts))",
        2, params, json);
}

enum ft_store_result ft_store_concert_get(PGconn *db, int64_t concert_id, char **json)
{
    return ft_store_json_by_id(
        db, "concert_get",
        "SELECT json_build_object("
        " 'id', c.id, 'title', c.title, 'artist', c.artist, 'description', c.description,"
        " 'createdAt', api_timestamp(c.created_at),"
        " 'schedules', coalesce((SELECT json_agg(json_build_object("
        "    'id', s.id, 'venueId', s.venue_id, 'venueName', v.name, 'startsAt', api_timestamp(s.starts_at),"
        "    'status', s.status,"
        "    'totalSeats', (SELECT count(*) FROM seats x WHERE x.schedule_id = s.id),"
        "    'seatsLeft', " SEATS_LEFT("s.id")
        "  ) ORDER BY s.starts_at, s.id)"
        "  FROM schedules s JOIN venues v ON v.id = s.venue_id WHERE s.concert_id = c.id), '[]'))"
        " FROM concerts c WHERE c.id = $1",
        concert_id, json);
}

enum ft_store_result ft_store_seat_map(PGconn *db, int64_t schedule_id, char **json)
{
    return ft_store_json_by_id(
        db, "seat_map",
        "SELECT json_build_object("
        " 'scheduleId', s.id, 'concertId', s.concert_id, 'startsAt', api_timestamp(s.starts_at),"
        " 'seats', coalesce((SELECT json_agg(json_build_object("
        "    'id', x.id, 'row', x.row_number, 'number', x.seat_number, 'grade', x.grade, 'price', x.price,"
        /* A scalar subquery: each seat's live reservation through the index on seat_id,
         * whatever the statistics say. Written as a join (also as a LEFT JOIN LATERAL,
         * which the planner flattens into a join) it was planned, once the tables had
         * grown, as a hash join over every live seat row of every schedule: 400-535 ms a
         * map in the bench's database (624,305 live rows), 35-83 ms this way. */
        "    'status', CASE (SELECT q.status FROM reservation_seats rs JOIN reservations q ON q.id = rs.reservation_id"
        "                    WHERE rs.seat_id = x.id AND rs.live)"
        "              WHEN 'HELD' THEN 'HELD' WHEN 'PAID' THEN 'SOLD' ELSE 'AVAILABLE' END"
        "  ) ORDER BY x.row_number, x.seat_number)"
        "  FROM seats x"
        "  WHERE x.schedule_id = s.id), '[]'))"
        " FROM schedules s WHERE s.id = $1",
        schedule_id, json);
}
