#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/db_pool.h"
#include "ft/log.h"
#include "ft/strbuf.h"
#include "i64map.h"
#include "store_payments.h"
#include "ft/unnest_columns.h"


/* The SQLSTATE of the last statement that failed on this thread ("" for none, or a failure
 * without one): ft_wstore_commit tells a refusal of the data from an outage by it. */
static _Thread_local char last_sqlstate[6];

static void log_failure(const char *what, const PGresult *res, int32_t partition)
{
    snprintf(last_sqlstate, sizeof last_sqlstate, "%s", ft_db_sqlstate(res));
    const char *message = res ? PQresultErrorMessage(res) : "no result";
    ft_log_error("worker.db_failed", "step=%s partition=%d sqlstate=%s error=\"%.*s\"", what, partition,
                 ft_db_sqlstate(res), (int)strcspn(message, "\n"), message);
}

/* Runs one statement; false (logged) unless it succeeded. */
bool ft_wstore_run(PGconn *db, const char *what, int32_t partition, const char *sql, int nparams,
                   const char *const *params)
{
    PGresult *res = ft_db_query(db, sql, nparams, params);
    bool ok = ft_db_ok(res);
    if (!ok)
        log_failure(what, res, partition);
    PQclear(res);
    return ok;
}

bool ft_wstore_run_unnest(PGconn *db, int32_t partition, struct ft_columns *cols, size_t rows,
                          const struct ft_wstore_unnest *statements, size_t count)
{
    const char *params[FT_COLUMNS_MAX];
    bool ok = ft_columns_close(cols, params);
    for (size_t i = 0; ok && rows > 0 && i < count; i++)
        ok = ft_wstore_run(db, statements[i].what, partition, statements[i].sql, statements[i].columns, params);
    ft_columns_free(cols);
    return ok || rows == 0;
}

enum ft_worker_store_result ft_wstore_claim(PGconn *db, const char *topic, int32_t partition, int64_t *next_offset,
                                            int64_t *epoch, int64_t *id_base)
{
    char part[16];
    snprintf(part, sizeof part, "%d", partition);
    const char *params[] = { topic, part };
    if (!ft_wstore_run(db, "claim_row", partition,
             "INSERT INTO partition_offsets (topic, partition) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, params))
        return FT_WSTORE_FAILED;
    PGresult *res = ft_db_query(db,
                                "UPDATE partition_offsets SET epoch = epoch + 1 WHERE topic = $1 AND partition = $2 "
                                "RETURNING next_offset, epoch, id_base",
                                2, params);
    enum ft_worker_store_result result = FT_WSTORE_FAILED;
    if (ft_db_ok(res) && PQntuples(res) == 1) {
        *next_offset = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        *id_base = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        result = FT_WSTORE_OK;
    } else {
        log_failure("claim", res, partition);
    }
    PQclear(res);
    return result;
}

/* --- loading a schedule -------------------------------------------------------- */

static bool load_seats(PGconn *db, const char *id, struct ft_seat_seed **seats, size_t *count)
{
    const char *params[] = { id };
    PGresult *res = ft_db_query(db, "SELECT id, row_number, seat_number, grade, price FROM seats WHERE schedule_id = $1",
                                1, params);
    bool ok = ft_db_ok(res);
    size_t rows = ok ? (size_t)PQntuples(res) : 0;
    *seats = ok ? calloc(rows ? rows : 1, sizeof **seats) : NULL;
    ok = ok && *seats != NULL;
    for (size_t i = 0; ok && i < rows; i++) {
        struct ft_seat_seed *s = &(*seats)[i];
        s->id = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
        s->row = (int32_t)strtol(PQgetvalue(res, (int)i, 1), NULL, 10);
        s->number = (int32_t)strtol(PQgetvalue(res, (int)i, 2), NULL, 10);
        ok = ft_grade_parse(PQgetvalue(res, (int)i, 3), &s->grade);
        s->price = strtoll(PQgetvalue(res, (int)i, 4), NULL, 10);
    }
    if (!ok)
        log_failure("load_seats", res, -1);
    *count = rows;
    PQclear(res);
    return ok;
}

/* Parses "{1,2,3}" into ids; false unless 1..4 positive ids. */
static bool parse_id_array(const char *text, int64_t *ids, int32_t *count)
{
    *count = 0;
    if (*text++ != '{')
        return false;
    while (*text != '}' && *count < FT_SEATS_PER_REQUEST_MAX) {
        char *end = NULL;
        ids[(*count)++] = strtoll(text, &end, 10);
        if (end == text)
            return false;
        text = *end == ',' ? end + 1 : end;
    }
    return *text == '}' && *count > 0;
}

static bool load_reservations(PGconn *db, const char *id, struct ft_reservation_seed **live, size_t *count)
{
    const char *params[] = { id };
    PGresult *res = ft_db_query(
        db,
        "SELECT r.id, r.user_id, r.amount, (extract(epoch FROM r.expires_at) * 1000)::bigint, r.status = 'PAID',"
        "       array_agg(rs.seat_id ORDER BY rs.seat_id), p.imp_uid"
        " FROM reservations r JOIN reservation_seats rs ON rs.reservation_id = r.id"
        " LEFT JOIN payments p ON p.reservation_id = r.id AND p.status = 'PAID'"
        " WHERE r.schedule_id = $1 AND r.live GROUP BY r.id, p.imp_uid",
        1, params);
    bool ok = ft_db_ok(res);
    size_t rows = ok ? (size_t)PQntuples(res) : 0;
    *live = ok ? calloc(rows ? rows : 1, sizeof **live) : NULL;
    ok = ok && *live != NULL;
    for (size_t i = 0; ok && i < rows; i++) {
        struct ft_reservation_seed *r = &(*live)[i];
        r->id = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
        r->user_id = strtoll(PQgetvalue(res, (int)i, 1), NULL, 10);
        r->amount = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
        r->expires_at_ms = strtoll(PQgetvalue(res, (int)i, 3), NULL, 10);
        r->paid = PQgetvalue(res, (int)i, 4)[0] == 't';
        if (r->paid && !PQgetisnull(res, (int)i, 6))
            r->paid_by = ft_payment_fingerprint(PQgetvalue(res, (int)i, 6));
        ok = parse_id_array(PQgetvalue(res, (int)i, 5), r->seat_ids, &r->seat_count);
    }
    if (!ok)
        log_failure("load_reservations", res, -1);
    *count = rows;
    PQclear(res);
    return ok;
}

enum ft_worker_store_result ft_wstore_load_schedule(PGconn *db, struct ft_decider *decider, int64_t schedule_id)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, schedule_id);
    const char *params[] = { id };
    PGresult *res = ft_db_query(db, "SELECT status FROM schedules WHERE id = $1", 1, params);
    if (!ft_db_ok(res)) {
        log_failure("load_schedule", res, -1);
        PQclear(res);
        return FT_WSTORE_FAILED;
    }
    struct ft_schedule_seed seed = { .schedule_id = schedule_id, .exists = PQntuples(res) == 1 };
    seed.open = seed.exists && strcmp(PQgetvalue(res, 0, 0), "OPEN") == 0;
    PQclear(res);
    struct ft_seat_seed *seats = NULL;
    struct ft_reservation_seed *live = NULL;
    bool ok = !seed.exists || (load_seats(db, id, &seats, &seed.seat_count) &&
                               load_reservations(db, id, &live, &seed.reservation_count));
    seed.seats = seats;
    seed.reservations = live;
    ok = ok && ft_decider_add_schedule(decider, &seed);
    free(seats);
    free(live);
    if (ok)
        ft_log_info("worker.schedule_loaded", "schedule=%" PRId64 " exists=%d seats=%zu live_reservations=%zu",
                    schedule_id, seed.exists, seed.seat_count, seed.reservation_count);
    return ok ? FT_WSTORE_OK : FT_WSTORE_FAILED;
}

enum ft_worker_store_result ft_wstore_open_schedules(PGconn *db, int64_t **ids, size_t *count)
{
    PGresult *res = ft_db_query(db, "SELECT id FROM schedules WHERE status = 'OPEN' ORDER BY id", 0, NULL);
    bool ok = ft_db_ok(res);
    size_t rows = ok ? (size_t)PQntuples(res) : 0;
    *ids = ok ? calloc(rows ? rows : 1, sizeof **ids) : NULL;
    ok = ok && *ids != NULL;
    for (size_t i = 0; ok && i < rows; i++)
        (*ids)[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    if (!ok)
        log_failure("open_schedules", res, -1);
    *count = ok ? rows : 0;
    PQclear(res);
    return ok ? FT_WSTORE_OK : FT_WSTORE_FAILED;
}

/* --- committing a batch -------------------------------------------------------- */

/*
 * A reservation made and ended within one batch is written once, already ended: were
 * it inserted live and ended after, the seat it held and a later hold of the same seat
 * in the batch would both be live for a moment, which the unique index forbids. One made
 * and paid within the batch is likewise written PAID.
 */
struct fate {
    struct ft_i64map created; /* reservation id -> index in batch->created */
    const struct ft_ended_reservation **ended_of_created; /* per created: its end, or NULL */
    int64_t *paid_at_of_created;                          /* per created: when paid, or 0 */
};

static bool fate_init(struct fate *f, const struct ft_batch *b)
{
    ft_i64map_init(&f->created);
    size_t n = b->created_count ? b->created_count : 1;
    f->ended_of_created = calloc(n, sizeof *f->ended_of_created);
    f->paid_at_of_created = calloc(n, sizeof *f->paid_at_of_created);
    if (f->ended_of_created == NULL || f->paid_at_of_created == NULL)
        return false;
    for (size_t i = 0; i < b->created_count; i++)
        if (!ft_i64map_put(&f->created, b->created[i].id, i))
            return false;
    uint64_t index;
    for (size_t i = 0; i < b->ended_count; i++)
        if (ft_i64map_get(&f->created, b->ended[i].id, &index))
            f->ended_of_created[index] = &b->ended[i];
    for (size_t i = 0; i < b->payment_count; i++)
        if (b->payments[i].kind == FT_PAY_CONFIRMED && ft_i64map_get(&f->created, b->payments[i].reservation_id, &index))
            f->paid_at_of_created[index] = b->payments[i].at_ms;
    return true;
}

static void fate_free(struct fate *f)
{
    ft_i64map_free(&f->created);
    free(f->ended_of_created);
    free(f->paid_at_of_created);
}

static bool insert_reservations(PGconn *db, int32_t partition, const struct ft_batch *b, const struct fate *f)
{
    if (b->created_count == 0)
        return true;
    struct ft_columns cols;
    ft_columns_open(&cols, 13);
    bool first_seat = true;
    for (size_t i = 0; i < b->created_count; i++) {
        const struct ft_new_reservation *r = &b->created[i];
        const struct ft_ended_reservation *end = f->ended_of_created[i];
        int64_t paid_at = f->paid_at_of_created[i];
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(i), r->id);
        ft_strbuf_printf(&cols.c[1], "%s%" PRId64, FT_COLUMN_SEP(i), r->user_id);
        ft_strbuf_printf(&cols.c[2], "%s%" PRId64, FT_COLUMN_SEP(i), r->schedule_id);
        ft_strbuf_printf(&cols.c[3], "%s%" PRId64, FT_COLUMN_SEP(i), r->amount);
        ft_strbuf_printf(&cols.c[4], "%s%" PRId64, FT_COLUMN_SEP(i), r->held_at_ms);
        ft_strbuf_printf(&cols.c[5], "%s%" PRId64, FT_COLUMN_SEP(i), r->expires_at_ms);
        const char *status = end ? ft_reservation_status_name(end->status) : paid_at ? "PAID" : "HELD";
        ft_strbuf_printf(&cols.c[6], "%s%s", FT_COLUMN_SEP(i), status);
        if (end)
            ft_strbuf_printf(&cols.c[7], "%s%" PRId64, FT_COLUMN_SEP(i), end->at_ms);
        else
            ft_strbuf_printf(&cols.c[7], "%sNULL", FT_COLUMN_SEP(i));
        if (paid_at)
            ft_strbuf_printf(&cols.c[8], "%s%" PRId64, FT_COLUMN_SEP(i), paid_at);
        else
            ft_strbuf_printf(&cols.c[8], "%sNULL", FT_COLUMN_SEP(i));
        for (int32_t k = 0; k < r->seat_count; k++) {
            ft_strbuf_printf(&cols.c[9], "%s%" PRId64, FT_COLUMN_SEP(!first_seat), r->id);
            ft_strbuf_printf(&cols.c[10], "%s%" PRId64, FT_COLUMN_SEP(!first_seat), r->schedule_id);
            ft_strbuf_printf(&cols.c[11], "%s%" PRId64, FT_COLUMN_SEP(!first_seat), r->seat_ids[k]);
            ft_strbuf_printf(&cols.c[12], "%s%s", FT_COLUMN_SEP(!first_seat), end ? "f" : "t");
            first_seat = false;
        }
    }
    const char *params[13];
    bool ok = ft_columns_close(&cols, params) &&
              ft_wstore_run(db, "insert_reservations", partition,
                  "INSERT INTO reservations (id, user_id, schedule_id, status, amount, held_at, expires_at, ended_at,"
                  "                          paid_at)"
                  " SELECT id, u, s, st, a, to_timestamp(h / 1000.0), to_timestamp(e / 1000.0),"
                  "        to_timestamp(x / 1000.0), to_timestamp(p / 1000.0)"
                  " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],"
                  "             $7::text[], $8::bigint[], $9::bigint[]) AS t(id, u, s, a, h, e, st, x, p)",
                  9, params) &&
              ft_wstore_run(db, "insert_reservation_seats", partition,
                  "INSERT INTO reservation_seats (reservation_id, schedule_id, seat_id, live)"
                  " SELECT r, s, seat, live FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::boolean[])"
                  " AS t(r, s, seat, live)",
                  4, params + 9);
    ft_columns_free(&cols);
    return ok;
}

/* Ends the reservations made in earlier batches (those of this batch are written ended). */
static bool end_reservations(PGconn *db, int32_t partition, const struct ft_batch *b, const struct fate *f)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 3);
    size_t n = 0;
    for (size_t i = 0; i < b->ended_count; i++) {
        const struct ft_ended_reservation *e = &b->ended[i];
        uint64_t index;
        if (ft_i64map_get(&f->created, e->id, &index))
            continue;
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(n), e->id);
        ft_strbuf_printf(&cols.c[1], "%s%s", FT_COLUMN_SEP(n), ft_reservation_status_name(e->status));
        ft_strbuf_printf(&cols.c[2], "%s%" PRId64, FT_COLUMN_SEP(n), e->at_ms);
        n++;
    }
    /* Only a live reservation ends: the WHERE keeps a replayed batch from touching anything else. */
    const struct ft_wstore_unnest end = {
        "end_reservations",
        "UPDATE reservations r SET status = t.status, ended_at = to_timestamp(t.at / 1000.0)"
        " FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS t(id, status, at) WHERE r.id = t.id AND r.live",
        3
    };
    return ft_wstore_run_unnest(db, partition, &cols, n, &end, 1);
}

/* An instant in milliseconds as PostgreSQL reads timestamptz text: "2026-11-24 03:52:38.123+00". */
static void put_instant(struct ft_strbuf *buf, int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    ft_strbuf_printf(buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, (int)(ms % 1000));
}

/*
 * Outcomes go in with COPY: one per decided request, the bulk of every batch, and
 * COPY is PostgreSQL's fastest way in (tokens and codes need no escaping).
 */
static bool insert_outcomes(PGconn *db, int32_t partition, const struct ft_batch *b)
{
    if (b->outcome_count == 0)
        return true;
    struct ft_strbuf rows;
    ft_strbuf_init(&rows);
    for (size_t i = 0; i < b->outcome_count; i++) {
        const struct ft_outcome *o = &b->outcomes[i];
        bool held = o->status == FT_OUTCOME_HELD;
        ft_strbuf_printf(&rows, "%s\t%" PRId64 "\t%" PRId64 "\t%d\t%" PRId64 "\t%s\t", o->token, o->user_id,
                         o->schedule_id, o->partition, o->offset, held ? "HELD" : "REJECTED");
        if (held)
            ft_strbuf_printf(&rows, "%" PRId64 "\t\\N\t", o->reservation_id);
        else
            ft_strbuf_printf(&rows, "\\N\t%s\t", o->reject_code);
        put_instant(&rows, o->decided_at_ms);
        ft_strbuf_printf(&rows, "\n");
    }
    if (rows.failed) {
        ft_log_error("worker.db_failed", "step=copy_outcomes partition=%d error=\"out of memory\"", partition);
        ft_strbuf_free(&rows);
        return false;
    }
    PGresult *res = PQexec(db, "COPY request_outcomes (token, user_id, schedule_id, partition, log_offset, status,"
                               " reservation_id, reject_code, decided_at) FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) { /* refused before any row: its own error */
        log_failure("copy_outcomes", res, partition);
        PQclear(res);
        ft_strbuf_free(&rows);
        return false;
    }
    PQclear(res);
    bool ok = PQputCopyData(db, rows.data, (int)rows.len) == 1;
    ok = PQputCopyEnd(db, ok ? NULL : "the batch could not be encoded") == 1 && ok;
    res = PQgetResult(db);
    ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        log_failure("copy_outcomes", res, partition);
    PQclear(res);
    while ((res = PQgetResult(db)) != NULL)
        PQclear(res);
    ft_strbuf_free(&rows);
    return ok;
}

/* Locks the parts' rows of partition_offsets in partition order and marks each part OK
 * when its epoch is still the one in the row, FENCED otherwise; an OK part whose row
 * already stands at its batch's next offset was stored by an earlier try (stored_before).
 * False (logged) on error. */
static bool check_parts(PGconn *db, const char *topic, struct ft_wstore_part *parts, size_t count)
{
    struct ft_strbuf list;
    ft_strbuf_init(&list);
    ft_strbuf_printf(&list, "{");
    for (size_t i = 0; i < count; i++) {
        ft_strbuf_printf(&list, "%s%d", FT_COLUMN_SEP(i), parts[i].partition);
        parts[i].result = FT_WSTORE_FENCED;
        parts[i].stored_before = false;
    }
    ft_strbuf_printf(&list, "}");
    const char *params[] = { topic, list.failed ? NULL : list.data };
    PGresult *res = params[1] == NULL ? NULL
                                      : ft_db_query(db,
                                                    "SELECT partition, epoch, next_offset FROM partition_offsets"
                                                    " WHERE topic = $1 AND partition = ANY($2::int[])"
                                                    " ORDER BY partition FOR UPDATE",
                                                    2, params);
    bool ok = ft_db_ok(res);
    for (int row = 0; ok && row < PQntuples(res); row++) {
        int32_t partition = (int32_t)strtol(PQgetvalue(res, row, 0), NULL, 10);
        int64_t epoch = strtoll(PQgetvalue(res, row, 1), NULL, 10);
        int64_t next_offset = strtoll(PQgetvalue(res, row, 2), NULL, 10);
        for (size_t i = 0; i < count; i++)
            if (parts[i].partition == partition && parts[i].epoch == epoch) {
                parts[i].result = FT_WSTORE_OK;
                /* Only this worker writes in its epoch, and a batch moves the offset forward:
                 * standing at the batch's end means this very batch was stored. */
                parts[i].stored_before = next_offset == parts[i].batch->next_offset;
            }
    }
    if (!ok)
        log_failure("lock_offsets", res, count > 0 ? parts[0].partition : -1);
    PQclear(res);
    ft_strbuf_free(&list);
    return ok;
}

/* True for the parts this commit writes: still the worker's, not stored before. */
static bool writes(const struct ft_wstore_part *part)
{
    return part->result == FT_WSTORE_OK && !part->stored_before;
}

/* Moves the parts' partitions to their batches' next offsets. */
static bool advance(PGconn *db, const char *topic, const struct ft_wstore_part *parts, size_t count)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 2);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (!writes(&parts[i]))
            continue;
        ft_strbuf_printf(&cols.c[0], "%s%d", FT_COLUMN_SEP(n), parts[i].partition);
        ft_strbuf_printf(&cols.c[1], "%s%" PRId64, FT_COLUMN_SEP(n), parts[i].batch->next_offset);
        n++;
    }
    const char *params[3] = { topic };
    bool encoded = ft_columns_close(&cols, params + 1);
    bool ok = n == 0 || (encoded &&
                         ft_wstore_run(db, "advance", parts[0].partition,
                             "UPDATE partition_offsets o SET next_offset = t.next"
                             " FROM unnest($2::int[], $3::bigint[]) AS t(partition, next)"
                             " WHERE o.topic = $1 AND o.partition = t.partition",
                             3, params));
    ft_columns_free(&cols);
    return ok;
}

/*
 * Writes the batches of the parts still theirs as one: each statement runs once per
 * commit, not once per partition. Each partition's rows keep their log order, and the
 * partitions share nothing (a schedule lives in one), so the order between them is free.
 */
static bool write_parts(PGconn *db, const char *topic, const struct ft_wstore_part *parts, size_t count)
{
    size_t writing = 0, first = 0;
    for (size_t i = 0; i < count; i++)
        if (writes(&parts[i]) && writing++ == 0)
            first = i;
    if (writing == 0)
        return true;
    struct ft_batch merged;
    ft_batch_init(&merged);
    bool ok = true;
    for (size_t i = 0; ok && writing > 1 && i < count; i++)
        if (writes(&parts[i]))
            ok = ft_batch_append(&merged, parts[i].batch);
    const struct ft_batch *all = writing == 1 ? parts[first].batch : &merged;
    int32_t partition = parts[first].partition; /* for the log */
    if (ok) {
        struct fate fate;
        ok = fate_init(&fate, all) && ft_wstore_mark_paid(db, partition, all) &&
             end_reservations(db, partition, all, &fate) && insert_reservations(db, partition, all, &fate) &&
             ft_wstore_payment_effects(db, partition, all) && insert_outcomes(db, partition, all) &&
             advance(db, topic, parts, count);
        fate_free(&fate);
    }
    ft_batch_free(&merged);
    return ok;
}

/* Data exceptions (22) and integrity constraint violations (23): what was sent is wrong,
 * not the connection or the server's state, so sending it again changes nothing. */
static bool refusal(const char *sqlstate)
{
    return strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0;
}

enum ft_worker_store_result ft_wstore_commit(PGconn *db, const char *topic, struct ft_wstore_part *parts,
                                             size_t count)
{
    int32_t first = count > 0 ? parts[0].partition : -1;
    last_sqlstate[0] = '\0';
    if (!ft_wstore_run(db, "begin", first, "BEGIN", 0, NULL))
        return FT_WSTORE_FAILED;
    bool ok = check_parts(db, topic, parts, count) && write_parts(db, topic, parts, count);
    if (ok && ft_wstore_run(db, "commit", first, "COMMIT", 0, NULL))
        return FT_WSTORE_OK;
    bool refused = refusal(last_sqlstate);
    if (PQtransactionStatus(db) != PQTRANS_IDLE)
        (void)ft_wstore_run(db, "rollback", first, "ROLLBACK", 0, NULL);
    return refused ? FT_WSTORE_REFUSED : FT_WSTORE_FAILED;
}
