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

bool ft_request_token_shaped(const char *text, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (text == NULL || len != FT_REQUEST_TOKEN_SIZE - 1)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0' || strchr(alphabet, text[i]) == NULL)
            return false;
    return true;
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
