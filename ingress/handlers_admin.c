#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ft/log.h"
#include "ft/timefmt.h"
#include "handlers.h"
#include "json_body.h"
#include "response.h"
#include "validate.h"

#define VENUE_ROWS_MAX 100
#define ROW_SEATS_MAX 200
#define PRICE_MAX 100000000

/* Checks one layout row and appends its clean copy {seats, grade, price} to `clean`. */
static bool read_row(json_t *row, size_t index, json_t *clean, struct ft_error *err)
{
    char where[32];
    snprintf(where, sizeof where, "rows[%zu]", index);
    if (!json_is_object(row))
        return ft_fail(err, 400, "INVALID_TYPE", where, "'%s' must be an object", where);
    int64_t seats = 0, price = 0;
    const char *grade = NULL;
    static const char *const members[] = { "seats", "grade", "price", NULL };
    if (!ft_body_members_known(row, members, err) || !ft_body_integer(row, "seats", &seats, err) ||
        !ft_body_string(row, "grade", true, &grade, err) || !ft_body_integer(row, "price", &price, err)) {
        /* The member's name alone would not say which row: rows[2].price, as for a range. */
        char path[sizeof where + sizeof err->field];
        snprintf(path, sizeof path, "%s.%s", where, err->field);
        ft_copy_whole_chars(err->field, sizeof err->field, path); /* an unknown member's name is the client's */
        return false;
    }
    char field[48];
    snprintf(field, sizeof field, "%s.seats", where);
    if (!ft_check_range(seats, field, 1, ROW_SEATS_MAX, err))
        return false;
    snprintf(field, sizeof field, "%s.price", where);
    if (!ft_check_range(price, field, 0, PRICE_MAX, err))
        return false;
    if (!ft_grade_valid(grade)) {
        snprintf(field, sizeof field, "%s.grade", where);
        return ft_fail(err, 422, "VALIDATION_FAILED", field, "'%s' must be one of VIP, R, S, A", field);
    }
    json_array_append_new(clean, json_pack("{s:I, s:s, s:I}", "seats", (json_int_t)seats, "grade", grade, "price",
                                           (json_int_t)price));
    return true;
}

static bool read_layout(const json_t *body, const char **name, json_t *clean_rows, struct ft_error *err)
{
    const json_t *rows = NULL;
    if (!ft_body_string(body, "name", true, name, err) || !ft_body_array(body, "rows", &rows, err) ||
        !ft_check_length(*name, "name", 1, 200, err))
        return false;
    size_t count = json_array_size(rows);
    if (count < 1 || count > VENUE_ROWS_MAX)
        return ft_fail(err, 422, "VALIDATION_FAILED", "rows", "'rows' must have 1 to %d rows", VENUE_ROWS_MAX);
    for (size_t i = 0; i < count; i++)
        if (!read_row(json_array_get(rows, i), i, clean_rows, err))
            return false;
    return true;
}

void ft_handle_venue_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_error err;
    json_t *body = NULL, *rows = json_array();
    const char *name = NULL;
    char *rows_text = NULL;
    static const char *const members[] = { "name", "rows", NULL };
    if (!ft_body_object(req->body, req->body_len, members, &body, &err) || !read_layout(body, &name, rows, &err)) {
        ft_respond_error(resp, &err);
    } else if ((rows_text = json_dumps(rows, JSON_COMPACT)) == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is out of memory; try again shortly");
    } else {
        PGconn *db = ft_handler_db(app, resp);
        if (db != NULL) {
            char *json = NULL;
            enum ft_store_result result = ft_store_venue_create(db, name, rows_text, &json);
            ft_db_release(app->db, db);
            ft_respond_stored(resp, result, 201, json, "");
            ft_log_info("admin.venue_created", "rid=%s admin=%lld", req->request_id, (long long)req->caller.user_id);
        }
    }
    free(rows_text);
    json_decref(rows);
    json_decref(body);
}

void ft_handle_concert_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_error err;
    json_t *body = NULL;
    const char *title, *artist, *description;
    static const char *const members[] = { "title", "artist", "description", NULL };
    if (!ft_body_object(req->body, req->body_len, members, &body, &err) ||
        !ft_body_string(body, "title", true, &title, &err) || !ft_body_string(body, "artist", true, &artist, &err) ||
        !ft_body_string(body, "description", false, &description, &err) ||
        !ft_check_length(title, "title", 1, 200, &err) || !ft_check_length(artist, "artist", 1, 200, &err) ||
        (description != NULL && !ft_check_length(description, "description", 0, 4000, &err))) {
        json_decref(body);
        ft_respond_error(resp, &err);
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db != NULL) {
        char *json = NULL;
        enum ft_store_result result =
            ft_store_concert_create(db, title, artist, description ? description : "", &json);
        ft_db_release(app->db, db);
        ft_respond_stored(resp, result, 201, json, "");
    }
    json_decref(body);
}

void ft_handle_schedule_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_error err;
    json_t *body = NULL;
    int64_t venue_id = 0;
    const char *starts_at = NULL;
    time_t instant;
    static const char *const members[] = { "venueId", "startsAt", NULL };
    if (!ft_body_object(req->body, req->body_len, members, &body, &err) ||
        !ft_body_integer(body, "venueId", &venue_id, &err) ||
        !ft_body_string(body, "startsAt", true, &starts_at, &err) ||
        !ft_check_range(venue_id, "venueId", 1, INT64_MAX, &err) ||
        (!ft_rfc3339_parse(starts_at, &instant) &&
         !ft_fail(&err, 422, "VALIDATION_FAILED", "startsAt",
                  "'startsAt' must be an RFC 3339 date-time with an offset, like 2026-12-24T19:00:00+09:00"))) {
        json_decref(body);
        ft_respond_error(resp, &err);
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db != NULL) {
        char *json = NULL;
        enum ft_store_result result = ft_store_schedule_create(db, req->path_id, venue_id, (int64_t)instant, &json);
        ft_db_release(app->db, db);
        ft_respond_stored(resp, result, 201, json, "the concert or the venue does not exist");
    }
    json_decref(body);
}
