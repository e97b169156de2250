#include "ft/command.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ft/json_writer.h"

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

static void id_array(struct ft_json_writer *w, const char *key, const int64_t *ids, int32_t count)
{
    ft_json_key(w, key);
    ft_json_begin_array(w);
    for (int32_t i = 0; i < count; i++)
        ft_json_int(w, ids[i]);
    ft_json_end_array(w);
}

/* One per request the ingress takes: written with ft_json_writer, not jansson (see its header). */
size_t ft_command_encode(const struct ft_command *cmd, char *buf, size_t cap)
{
    struct ft_json_writer *w = ft_json_writer_new();
    if (w == NULL)
        return 0;
    ft_json_begin_object(w);
    ft_json_member_int(w, "v", 1);
    ft_json_member_string(w, "type", type_name(cmd->type));
    ft_json_member_int(w, "ts", cmd->ts_ms);
    ft_json_member_int(w, "scheduleId", cmd->schedule_id);
    if (cmd->type != FT_CMD_EXPIRE)
        ft_json_member_int(w, "userId", cmd->user_id);
    if (cmd->type == FT_CMD_RESERVE) {
        ft_json_member_string(w, "token", cmd->token);
        ft_json_member_int(w, "holdSeconds", cmd->hold_seconds);
        if (cmd->seat_count > 0) {
            id_array(w, "seatIds", cmd->seat_ids, cmd->seat_count);
        } else {
            ft_json_member_int(w, "quantity", cmd->quantity);
            if (cmd->grade != FT_GRADE_ANY)
                ft_json_member_string(w, "grade", ft_grade_name(cmd->grade));
        }
    } else {
        ft_json_member_int(w, "reservationId", cmd->reservation_id);
    }
    if (cmd->type == FT_CMD_CONFIRM_PAYMENT) {
        ft_json_member_string(w, "impUid", cmd->payment.imp_uid);
        ft_json_member_string(w, "merchantUid", cmd->payment.merchant_uid);
        ft_json_member_int(w, "amount", cmd->payment.amount);
    }
    ft_json_end_object(w);
    return ft_json_writer_copy(w, buf, cap);
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

/* One per decided request, read by every ingress: ft_json_writer, as commands. "type" first
 * (ft_outcomes_message_type looks at the first member). */
size_t ft_outcome_encode(const struct ft_outcome *o, char *buf, size_t cap)
{
    struct ft_json_writer *w = ft_json_writer_new();
    if (w == NULL)
        return 0;
    bool held = o->status == FT_OUTCOME_HELD;
    ft_json_begin_object(w);
    ft_json_member_string(w, "type", "outcome");
    ft_json_member_string(w, "token", o->token);
    ft_json_member_int(w, "userId", o->user_id);
    ft_json_member_int(w, "scheduleId", o->schedule_id);
    ft_json_member_int(w, "partition", o->partition);
    ft_json_member_int(w, "offset", o->offset);
    ft_json_member_string(w, "status", held ? "HELD" : "REJECTED");
    ft_json_member_int(w, "decidedAt", o->decided_at_ms);
    if (held) {
        ft_json_member_int(w, "reservationId", o->reservation_id);
        ft_json_member_int(w, "amount", o->amount);
        ft_json_member_int(w, "expiresAt", o->expires_at_ms);
        id_array(w, "seatIds", o->seat_ids, o->seat_count);
    } else {
        ft_json_member_string(w, "code", o->reject_code);
    }
    ft_json_end_object(w);
    return ft_json_writer_copy(w, buf, cap);
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
