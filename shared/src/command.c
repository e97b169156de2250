#include "ft/command.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const grade_names[] = { "VIP", "R", "S", "A" };
static const char *const reject_codes[] = { "SEAT_TAKEN", "SOLD_OUT", "NO_ADJACENT_SEATS", "LIMIT_EXCEEDED",
                                            "UNKNOWN_SCHEDULE", "SCHEDULE_CLOSED", "UNKNOWN_SEAT" };

const char *ft_grade_name(enum ft_grade grade)
{
    return grade < FT_GRADE_ANY ? grade_names[grade] : "ANY";
}

bool ft_grade_parse(const char *name, enum ft_grade *out)
{
    for (int g = FT_GRADE_VIP; g < FT_GRADE_ANY; g++)
        if (name != NULL && strcmp(name, grade_names[g]) == 0) {
            *out = (enum ft_grade)g;
            return true;
        }
    return false;
}

const char *ft_reject_code_intern(const char *code)
{
    for (size_t i = 0; i < sizeof reject_codes / sizeof reject_codes[0]; i++)
        if (code != NULL && strcmp(code, reject_codes[i]) == 0)
            return reject_codes[i];
    return NULL;
}

static const char *type_name(enum ft_command_type type)
{
    switch (type) {
    case FT_CMD_RESERVE: return "RESERVE";
    case FT_CMD_CANCEL: return "CANCEL";
    case FT_CMD_EXPIRE: return "EXPIRE";
    case FT_CMD_CONFIRM_PAYMENT: return "CONFIRM_PAYMENT";
    }
    return "?";
}

/* Serialises a document into buf; 0 when it does not fit. Takes the reference. */
static size_t dump(json_t *doc, char *buf, size_t cap)
{
    if (doc == NULL)
        return 0;
    size_t needed = json_dumpb(doc, buf, cap, JSON_COMPACT);
    json_decref(doc);
    return needed == 0 || needed >= cap ? 0 : needed;
}

static json_t *id_array(const int64_t *ids, int32_t count)
{
    json_t *array = json_array();
    for (int32_t i = 0; i < count; i++)
        json_array_append_new(array, json_integer((json_int_t)ids[i]));
    return array;
}

size_t ft_command_encode(const struct ft_command *cmd, char *buf, size_t cap)
{
    json_t *doc = json_pack("{s:i, s:s, s:I, s:I}", "v", 1, "type", type_name(cmd->type), "ts", (json_int_t)cmd->ts_ms,
                            "scheduleId", (json_int_t)cmd->schedule_id);
    if (doc == NULL)
        return 0;
    if (cmd->type != FT_CMD_EXPIRE)
        json_object_set_new(doc, "userId", json_integer((json_int_t)cmd->user_id));
    if (cmd->type == FT_CMD_RESERVE) {
        json_object_set_new(doc, "token", json_string(cmd->token));
        json_object_set_new(doc, "holdSeconds", json_integer(cmd->hold_seconds));
        if (cmd->seat_count > 0) {
            json_object_set_new(doc, "seatIds", id_array(cmd->seat_ids, cmd->seat_count));
        } else {
            json_object_set_new(doc, "quantity", json_integer(cmd->quantity));
            if (cmd->grade != FT_GRADE_ANY)
                json_object_set_new(doc, "grade", json_string(ft_grade_name(cmd->grade)));
        }
    } else {
        json_object_set_new(doc, "reservationId", json_integer((json_int_t)cmd->reservation_id));
    }
    if (cmd->type == FT_CMD_CONFIRM_PAYMENT) {
        json_object_set_new(doc, "impUid", json_string(cmd->payment.imp_uid));
        json_object_set_new(doc, "merchantUid", json_string(cmd->payment.merchant_uid));
        json_object_set_new(doc, "amount", json_integer((json_int_t)cmd->payment.amount));
    }
    return dump(doc, buf, cap);
}

static bool fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return false;
}

/* Reads a positive integer member. */
static bool positive(const json_t *doc, const char *name, int64_t *out)
{
    const json_t *value = json_object_get(doc, name);
    if (!json_is_integer(value) || json_integer_value(value) <= 0)
        return false;
    *out = (int64_t)json_integer_value(value);
    return true;
}

static bool token_valid(const char *token)
{
    return token != NULL && strlen(token) == FT_REQUEST_TOKEN_SIZE - 1 &&
           strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               FT_REQUEST_TOKEN_SIZE - 1;
}

static bool decode_reserve(const json_t *doc, struct ft_command *cmd, char *err, size_t errlen)
{
    const char *token = json_string_value(json_object_get(doc, "token"));
    int64_t hold = 0;
    if (!positive(doc, "userId", &cmd->user_id) || !token_valid(token) || !positive(doc, "holdSeconds", &hold) ||
        hold > 86400)
        return fail(err, errlen, "RESERVE needs userId, token and holdSeconds");
    memcpy(cmd->token, token, FT_REQUEST_TOKEN_SIZE);
    cmd->hold_seconds = (int32_t)hold;
    const json_t *seats = json_object_get(doc, "seatIds");
    if (seats != NULL) {
        size_t count = json_array_size(seats);
        if (!json_is_array(seats) || count < 1 || count > FT_SEATS_PER_REQUEST_MAX)
            return fail(err, errlen, "seatIds must hold 1 to 4 ids");
        for (size_t i = 0; i < count; i++) {
            const json_t *id = json_array_get(seats, i);
            if (!json_is_integer(id) || json_integer_value(id) <= 0)
                return fail(err, errlen, "seatIds must hold positive integers");
            cmd->seat_ids[i] = (int64_t)json_integer_value(id);
        }
        cmd->seat_count = (int32_t)count;
        return true;
    }
    int64_t quantity = 0;
    if (!positive(doc, "quantity", &quantity) || quantity > FT_SEATS_PER_REQUEST_MAX)
        return fail(err, errlen, "RESERVE needs seatIds or a quantity of 1 to 4");
    cmd->quantity = (int32_t)quantity;
    const json_t *grade = json_object_get(doc, "grade");
    cmd->grade = FT_GRADE_ANY;
    if (grade != NULL && !ft_grade_parse(json_string_value(grade), &cmd->grade))
        return fail(err, errlen, "grade must be VIP, R, S or A");
    return true;
}

/* Copies a string member of 1 to cap - 1 printable ASCII characters. */
static bool printable(const json_t *doc, const char *name, char *out, size_t cap)
{
    const char *value = json_string_value(json_object_get(doc, name));
    size_t len = value ? strlen(value) : 0;
    if (len == 0 || len >= cap)
        return false;
    for (size_t i = 0; i < len; i++)
        if (value[i] < 0x21 || value[i] > 0x7e)
            return false;
    memcpy(out, value, len + 1);
    return true;
}

static bool decode_confirm(const json_t *doc, struct ft_command *cmd, char *err, size_t errlen)
{
    struct ft_payment_ref *p = &cmd->payment;
    if (!positive(doc, "userId", &cmd->user_id) || !positive(doc, "reservationId", &cmd->reservation_id) ||
        !positive(doc, "amount", &p->amount) || !printable(doc, "impUid", p->imp_uid, sizeof p->imp_uid) ||
        !printable(doc, "merchantUid", p->merchant_uid, sizeof p->merchant_uid))
        return fail(err, errlen, "CONFIRM_PAYMENT needs userId, reservationId, amount, impUid and merchantUid");
    return true;
}

bool ft_command_decode(const char *data, size_t len, struct ft_command *cmd, char *err, size_t errlen)
{
    memset(cmd, 0, sizeof *cmd);
    json_error_t parse_error;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &parse_error);
    if (doc == NULL)
        return fail(err, errlen, "not JSON");
    bool ok = false;
    const char *type = json_string_value(json_object_get(doc, "type"));
    const json_t *version = json_object_get(doc, "v");
    if (!json_is_integer(version) || json_integer_value(version) != 1 || type == NULL)
        fail(err, errlen, "unknown version or no type");
    else if (!positive(doc, "ts", &cmd->ts_ms) || !positive(doc, "scheduleId", &cmd->schedule_id))
        fail(err, errlen, "ts and scheduleId are required");
    else if (cmd->ts_ms > FT_COMMAND_TS_MAX)
        fail(err, errlen, "ts is after the year 9999"); /* PostgreSQL could not store its hold */
    else if (strcmp(type, "RESERVE") == 0) {
        cmd->type = FT_CMD_RESERVE;
        ok = decode_reserve(doc, cmd, err, errlen);
    } else if (strcmp(type, "CANCEL") == 0) {
        cmd->type = FT_CMD_CANCEL;
        ok = (positive(doc, "userId", &cmd->user_id) && positive(doc, "reservationId", &cmd->reservation_id)) ||
             fail(err, errlen, "CANCEL needs userId and reservationId");
    } else if (strcmp(type, "CONFIRM_PAYMENT") == 0) {
        cmd->type = FT_CMD_CONFIRM_PAYMENT;
        ok = decode_confirm(doc, cmd, err, errlen);
    } else if (strcmp(type, "EXPIRE") == 0) {
        cmd->type = FT_CMD_EXPIRE;
        ok = positive(doc, "reservationId", &cmd->reservation_id) || fail(err, errlen, "EXPIRE needs reservationId");
    } else {
        fail(err, errlen, "unknown type");
    }
    json_decref(doc);
    return ok;
}

size_t ft_outcome_encode(const struct ft_outcome *o, char *buf, size_t cap)
{
    json_t *doc = json_pack("{s:s, s:s, s:I, s:I, s:i, s:I, s:s, s:I}", "type", "outcome", "token", o->token, "userId",
                            (json_int_t)o->user_id, "scheduleId", (json_int_t)o->schedule_id, "partition",
                            o->partition, "offset", (json_int_t)o->offset, "status",
                            o->status == FT_OUTCOME_HELD ? "HELD" : "REJECTED", "decidedAt",
                            (json_int_t)o->decided_at_ms);
    if (doc == NULL)
        return 0;
    if (o->status == FT_OUTCOME_HELD) {
        json_object_set_new(doc, "reservationId", json_integer((json_int_t)o->reservation_id));
        json_object_set_new(doc, "amount", json_integer((json_int_t)o->amount));
        json_object_set_new(doc, "expiresAt", json_integer((json_int_t)o->expires_at_ms));
        json_object_set_new(doc, "seatIds", id_array(o->seat_ids, o->seat_count));
    } else {
        json_object_set_new(doc, "code", json_string(o->reject_code));
    }
    return dump(doc, buf, cap);
}

bool ft_outcome_decode(const char *data, size_t len, struct ft_outcome *o)
{
    memset(o, 0, sizeof *o);
    json_error_t parse_error;
    json_t *doc = json_loadb(data, len, 0, &parse_error);
    const char *type = NULL, *token = NULL, *status = NULL;
    json_int_t user = 0, schedule = 0, offset = 0, decided = 0;
    int partition = 0;
    bool ok = doc != NULL &&
              json_unpack(doc, "{s:s, s:s, s:I, s:I, s:i, s:I, s:s, s:I}", "type", &type, "token", &token, "userId",
                          &user, "scheduleId", &schedule, "partition", &partition, "offset", &offset, "status",
                          &status, "decidedAt", &decided) == 0 &&
              strcmp(type, "outcome") == 0 && token_valid(token) && user > 0 && schedule > 0 && partition >= 0 &&
              offset >= 0;
    if (ok) {
        memcpy(o->token, token, FT_REQUEST_TOKEN_SIZE);
        o->user_id = user;
        o->schedule_id = schedule;
        o->partition = partition;
        o->offset = offset;
        o->decided_at_ms = decided;
        if (strcmp(status, "HELD") == 0) {
            json_int_t reservation = 0, amount = 0, expires = 0;
            json_t *seats = NULL;
            o->status = FT_OUTCOME_HELD;
            ok = json_unpack(doc, "{s:I, s:I, s:I, s:o}", "reservationId", &reservation, "amount", &amount,
                             "expiresAt", &expires, "seatIds", &seats) == 0 &&
                 json_array_size(seats) >= 1 && json_array_size(seats) <= FT_SEATS_PER_REQUEST_MAX;
            o->reservation_id = reservation;
            o->amount = amount;
            o->expires_at_ms = expires;
            ok = ok && reservation > 0 && amount >= 0;
            for (size_t i = 0; ok && i < json_array_size(seats); i++) {
                const json_t *seat = json_array_get(seats, i);
                ok = json_is_integer(seat) && json_integer_value(seat) > 0;
                o->seat_ids[o->seat_count++] = (int64_t)json_integer_value(seat);
            }
        } else {
            o->status = FT_OUTCOME_REJECTED;
            o->reject_code = ft_reject_code_intern(json_string_value(json_object_get(doc, "code")));
            ok = strcmp(status, "REJECTED") == 0 && o->reject_code != NULL;
        }
    }
    json_decref(doc);
    return ok;
}

size_t ft_progress_encode(const struct ft_progress *p, char *buf, size_t cap)
{
    return dump(json_pack("{s:s, s:i, s:I, s:f}", "type", "progress", "partition", p->partition, "nextOffset",
                          (json_int_t)p->next_offset, "ratePerSec", p->rate_per_sec),
                buf, cap);
}

bool ft_progress_decode(const char *data, size_t len, struct ft_progress *out)
{
    json_error_t parse_error;
    json_t *doc = json_loadb(data, len, 0, &parse_error);
    const char *type = NULL;
    int partition = 0;
    json_int_t next = 0;
    double rate = 0;
    bool ok = doc != NULL &&
              json_unpack(doc, "{s:s, s:i, s:I, s:F}", "type", &type, "partition", &partition, "nextOffset", &next,
                          "ratePerSec", &rate) == 0 &&
              strcmp(type, "progress") == 0 && partition >= 0 && next >= 0;
    if (ok)
        *out = (struct ft_progress){ .partition = partition, .next_offset = next, .rate_per_sec = rate };
    json_decref(doc);
    return ok;
}

const char *ft_outcomes_message_type(const char *data, size_t len)
{
    static const char outcome[] = "{\"type\":\"outcome\"", progress[] = "{\"type\":\"progress\"";
    if (len >= sizeof outcome - 1 && memcmp(data, outcome, sizeof outcome - 1) == 0)
        return "outcome";
    if (len >= sizeof progress - 1 && memcmp(data, progress, sizeof progress - 1) == 0)
        return "progress";
    return NULL;
}
