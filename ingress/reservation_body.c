#include "reservation_body.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_body.h"
#include "response.h"

/* A member that is absent or null counts as absent. */
static const json_t *member(const json_t *obj, const char *name)
{
    const json_t *value = json_object_get(obj, name);
    return json_is_null(value) ? NULL : value;
}

/* Structure: the types of every member (400). */
static bool read_shape(const json_t *body, struct ft_command *cmd, const json_t **seats, const json_t **quantity,
                       const json_t **grade, struct ft_error *err)
{
    if (!ft_body_integer(body, "scheduleId", &cmd->schedule_id, err))
        return false;
    *seats = member(body, "seatIds");
    *quantity = member(body, "quantity");
    *grade = member(body, "grade");
    if (*seats != NULL) {
        if (!json_is_array(*seats))
            return ft_fail(err, 400, "INVALID_TYPE", "seatIds", "field 'seatIds' must be an array of integers");
        for (size_t i = 0; i < json_array_size(*seats); i++)
            if (!json_is_integer(json_array_get(*seats, i)))
                return ft_fail(err, 400, "INVALID_TYPE", "seatIds", "field 'seatIds' must be an array of integers");
    }
    if (*quantity != NULL && !json_is_integer(*quantity))
        return ft_fail(err, 400, "INVALID_TYPE", "quantity", "field 'quantity' must be an integer");
    if (*seats != NULL && *grade != NULL) /* seats named by id have their own grade */
        return ft_fail(err, 422, "VALIDATION_FAILED", "grade", "give 'grade' only with 'quantity', not with 'seatIds'");
    if (*grade != NULL && !json_is_string(*grade))
        return ft_fail(err, 400, "INVALID_TYPE", "grade", "field 'grade' must be a string");
    if (*seats == NULL && *quantity == NULL)
        return ft_fail(err, 400, "MISSING_FIELD", "seatIds",
                       "give either 'seatIds' (1 to %d seat ids) or 'quantity' (1 to %d)", FT_SEATS_PER_REQUEST_MAX,
                       FT_SEATS_PER_REQUEST_MAX);
    return true;
}

static bool read_seats(const json_t *seats, struct ft_command *cmd, struct ft_error *err)
{
    size_t count = json_array_size(seats);
    if (count < 1 || count > FT_SEATS_PER_REQUEST_MAX)
        return ft_fail(err, 422, "VALIDATION_FAILED", "seatIds", "'seatIds' must hold 1 to %d seat ids",
                       FT_SEATS_PER_REQUEST_MAX);
    for (size_t i = 0; i < count; i++) {
        int64_t id = (int64_t)json_integer_value(json_array_get(seats, i));
        if (id < 1)
            return ft_fail(err, 422, "VALIDATION_FAILED", "seatIds", "seat ids are whole numbers from 1");
        for (size_t j = 0; j < i; j++)
            if (cmd->seat_ids[j] == id)
                return ft_fail(err, 422, "VALIDATION_FAILED", "seatIds", "seat %" PRId64 " is asked for twice", id);
        cmd->seat_ids[i] = id;
    }
    cmd->seat_count = (int32_t)count;
    return true;
}

static bool read_quantity(const json_t *quantity, const json_t *grade, struct ft_command *cmd, struct ft_error *err)
{
    json_int_t wanted = json_integer_value(quantity);
    if (wanted < 1 || wanted > FT_SEATS_PER_REQUEST_MAX)
        return ft_fail(err, 422, "VALIDATION_FAILED", "quantity", "'quantity' must be from 1 to %d",
                       FT_SEATS_PER_REQUEST_MAX);
    cmd->quantity = (int32_t)wanted;
    cmd->grade = FT_GRADE_ANY;
    if (grade != NULL && !ft_grade_parse(json_string_value(grade), &cmd->grade))
        return ft_fail(err, 422, "VALIDATION_FAILED", "grade", "'grade' must be one of VIP, R, S, A");
    return true;
}

static bool check_catalog(struct ft_catalog *catalog, const struct ft_command *cmd, struct ft_error *err)
{
    int64_t bad = 0;
    switch (ft_catalog_check(catalog, cmd->schedule_id, cmd->seat_ids, (size_t)cmd->seat_count, &bad)) {
    case FT_CATALOG_OK:
        return true;
    case FT_CATALOG_UNKNOWN_SCHEDULE:
        return ft_fail(err, 404, "NOT_FOUND", NULL, "no schedule has this id");
    case FT_CATALOG_CLOSED:
        return ft_fail(err, 409, "SCHEDULE_CLOSED", NULL, "this schedule takes no more reservations");
    case FT_CATALOG_FOREIGN_SEAT:
        return ft_fail(err, 422, "VALIDATION_FAILED", "seatIds", "seat %" PRId64 " is not a seat of schedule %" PRId64,
                       bad, cmd->schedule_id);
    }
    return ft_fail(err, 500, "INTERNAL", NULL, "internal error");
}

bool ft_reservation_read(const char *body, size_t len, struct ft_catalog *catalog, struct ft_command *cmd,
                         struct ft_error *err)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->type = FT_CMD_RESERVE;
    cmd->grade = FT_GRADE_ANY;
    json_t *doc = NULL;
    const json_t *seats = NULL, *quantity = NULL, *grade = NULL;
    static const char *const members[] = { "scheduleId", "seatIds", "quantity", "grade", NULL };
    bool ok = ft_body_object(body, len, members, &doc, err) && read_shape(doc, cmd, &seats, &quantity, &grade, err);
    if (ok && cmd->schedule_id < 1)
        ok = ft_fail(err, 422, "VALIDATION_FAILED", "scheduleId", "'scheduleId' must be from 1 to 9223372036854775807");
    if (ok && seats != NULL && quantity != NULL)
        ok = ft_fail(err, 422, "VALIDATION_FAILED", "seatIds", "give either 'seatIds' or 'quantity', not both");
    if (ok)
        ok = seats != NULL ? read_seats(seats, cmd, err) : read_quantity(quantity, grade, cmd, err);
    if (ok)
        ok = check_catalog(catalog, cmd, err);
    json_decref(doc);
    return ok;
}

static int id_order(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void ft_reservation_fingerprint(const struct ft_command *cmd, char out[FT_RESERVATION_FINGERPRINT_SIZE])
{
    int used = snprintf(out, FT_RESERVATION_FINGERPRINT_SIZE, "schedule=%" PRId64, cmd->schedule_id);
    if (cmd->seat_count == 0) {
        const char *grade = cmd->grade == FT_GRADE_ANY ? "any" : ft_grade_name(cmd->grade);
        snprintf(out + used, (size_t)(FT_RESERVATION_FINGERPRINT_SIZE - used), " quantity=%d grade=%s", cmd->quantity,
                 grade);
        return;
    }
    int64_t ids[FT_SEATS_PER_REQUEST_MAX];
    size_t count = (size_t)cmd->seat_count;
    memcpy(ids, cmd->seat_ids, count * sizeof ids[0]);
    qsort(ids, count, sizeof ids[0], id_order);
    for (size_t i = 0; i < count; i++)
        used += snprintf(out + used, (size_t)(FT_RESERVATION_FINGERPRINT_SIZE - used), "%s%" PRId64,
                         i == 0 ? " seats=" : ",", ids[i]);
}
