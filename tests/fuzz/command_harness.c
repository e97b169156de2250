/*
 * The codec fuzz harness: any bytes go to the command, outcome and progress decoders.
 * What a decoder accepts must be within the documented ranges, must encode, and must
 * decode again to the same message; an accepted command must also be decidable (a
 * decider with a schedule that has the command's seats decides it without harm).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/command.h"
#include "fuzz_harness.h"

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return false;
}

static bool token_ok(const char token[FT_REQUEST_TOKEN_SIZE])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < FT_REQUEST_TOKEN_SIZE - 1; i++)
        if (token[i] == '\0' || strchr(alphabet, token[i]) == NULL)
            return false;
    return token[FT_REQUEST_TOKEN_SIZE - 1] == '\0';
}

static bool command_in_range(const struct ft_command *c)
{
    if (c->ts_ms <= 0 || c->ts_ms > FT_COMMAND_TS_MAX || c->schedule_id <= 0)
        return false;
    switch (c->type) {
    case FT_CMD_RESERVE:
        if (c->user_id <= 0 || !token_ok(c->token) || c->hold_seconds < 1 || c->hold_seconds > 86400 ||
            c->seat_count < 0 || c->seat_count > FT_SEATS_PER_REQUEST_MAX)
            return false;
        for (int32_t i = 0; i < c->seat_count; i++)
            if (c->seat_ids[i] <= 0)
                return false;
        return c->seat_count > 0 || (c->quantity >= 1 && c->quantity <= FT_SEATS_PER_REQUEST_MAX &&
                                     c->grade >= FT_GRADE_VIP && c->grade <= FT_GRADE_ANY);
    case FT_CMD_CANCEL:
        return c->user_id > 0 && c->reservation_id > 0;
    case FT_CMD_EXPIRE:
        return c->reservation_id > 0;
    case FT_CMD_CONFIRM_PAYMENT:
        return c->user_id > 0 && c->reservation_id > 0 && c->payment.amount > 0 && c->payment.imp_uid[0] != '\0' &&
               c->payment.merchant_uid[0] != '\0';
    }
    return false;
}

static bool same_command(const struct ft_command *a, const struct ft_command *b)
{
    if (a->type != b->type || a->ts_ms != b->ts_ms || a->schedule_id != b->schedule_id)
        return false;
    if (a->type == FT_CMD_EXPIRE)
        return a->reservation_id == b->reservation_id;
    if (a->user_id != b->user_id)
        return false;
    if (a->type == FT_CMD_CANCEL)
        return a->reservation_id == b->reservation_id;
    if (a->type == FT_CMD_CONFIRM_PAYMENT)
        return a->reservation_id == b->reservation_id && a->payment.amount == b->payment.amount &&
               strcmp(a->payment.imp_uid, b->payment.imp_uid) == 0 &&
               strcmp(a->payment.merchant_uid, b->payment.merchant_uid) == 0;
    if (strcmp(a->token, b->token) != 0 || a->hold_seconds != b->hold_seconds || a->seat_count != b->seat_count)
        return false;
    if (a->seat_count == 0)
        return a->quantity == b->quantity && a->grade == b->grade;
    return memcmp(a->seat_ids, b->seat_ids, (size_t)a->seat_count * sizeof a->seat_ids[0]) == 0;
}

/* Decides an accepted command on a schedule made of the seats it names (or four seats). */
static bool decide_it(const struct ft_command *cmd, char *why, size_t whylen)
{
    struct ft_seat_seed seats[FT_SEATS_PER_REQUEST_MAX];
    size_t count = 0;
    for (int32_t i = 0; i < cmd->seat_count; i++) {
        bool seen = false;
        for (size_t j = 0; j < count; j++)
            seen |= seats[j].id == cmd->seat_ids[i];
        if (!seen) {
            seats[count] = (struct ft_seat_seed){ .id = cmd->seat_ids[i], .row = 1, .number = (int32_t)count + 1,
                                                  .grade = FT_GRADE_R, .price = 1000 };
            count++;
        }
    }
    if (count == 0) /* best available: four seats side by side */
        for (int32_t m = 1; m <= FT_SEATS_PER_REQUEST_MAX; m++)
            seats[count++] = (struct ft_seat_seed){ .id = m, .row = 1, .number = m, .grade = FT_GRADE_R,
                                                    .price = 1000 };
    struct ft_schedule_seed seed = { .schedule_id = cmd->schedule_id, .exists = true, .open = true, .seats = seats,
                                     .seat_count = count };
    struct ft_decider *decider = ft_decider_new(0, FT_SEATS_PER_REQUEST_MAX);
    struct ft_batch batch;
    ft_batch_init(&batch);
    bool ok = decider != NULL && ft_decider_add_schedule(decider, &seed);
    if (!ok)
        fail(why, whylen, "could not load a schedule for the command");
    if (ok && ft_decide(decider, cmd, 0, &batch) != FT_DECIDED)
        ok = fail(why, whylen, "an accepted command was not decided");
    if (ok && cmd->type == FT_CMD_RESERVE) {
        const struct ft_outcome *o = &batch.outcomes[0];
        if (batch.outcome_count != 1)
            ok = fail(why, whylen, "a RESERVE gave %zu outcomes", batch.outcome_count);
        else if (o->status == FT_OUTCOME_HELD && o->expires_at_ms <= cmd->ts_ms)
            ok = fail(why, whylen, "a hold made at %lld for %d s expires at %lld", (long long)cmd->ts_ms,
                      cmd->hold_seconds, (long long)o->expires_at_ms);
    }
    ft_batch_free(&batch);
    ft_decider_free(decider);
    return ok;
}

static bool check_command(const char *data, size_t size, char *why, size_t whylen)
{
    struct ft_command cmd, again;
    char err[128];
    memset(err, 0x7F, sizeof err);
    if (!ft_command_decode(data, size, &cmd, err, sizeof err)) {
        if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
            return fail(why, whylen, "a refused command has no reason");
        return true;
    }
    if (!command_in_range(&cmd))
        return fail(why, whylen, "decoded a command out of range (type %d, ts %lld, schedule %lld)", cmd.type,
                    (long long)cmd.ts_ms, (long long)cmd.schedule_id);
    char buf[1024];
    size_t n = ft_command_encode(&cmd, buf, sizeof buf);
    if (n == 0)
        return fail(why, whylen, "an accepted command does not encode");
    if (!ft_command_decode(buf, n, &again, err, sizeof err))
        return fail(why, whylen, "re-encoded command refused: %s", err);
    if (!same_command(&cmd, &again))
        return fail(why, whylen, "the command changed through encode and decode: %.*s", (int)n, buf);
    return decide_it(&cmd, why, whylen);
}

static bool same_outcome(const struct ft_outcome *a, const struct ft_outcome *b)
{
    return strcmp(a->token, b->token) == 0 && a->user_id == b->user_id && a->schedule_id == b->schedule_id &&
           a->partition == b->partition && a->offset == b->offset && a->status == b->status &&
           a->reject_code == b->reject_code && a->reservation_id == b->reservation_id && a->amount == b->amount &&
           a->expires_at_ms == b->expires_at_ms && a->seat_count == b->seat_count &&
           memcmp(a->seat_ids, b->seat_ids, (size_t)a->seat_count * sizeof a->seat_ids[0]) == 0 &&
           a->decided_at_ms == b->decided_at_ms;
}

static bool check_outcome(const char *data, size_t size, char *why, size_t whylen)
{
    struct ft_outcome o, again;
    if (!ft_outcome_decode(data, size, &o))
        return true;
    if (!token_ok(o.token))
        return fail(why, whylen, "decoded an outcome with a bad token");
    if (o.status == FT_OUTCOME_HELD && (o.seat_count < 1 || o.seat_count > FT_SEATS_PER_REQUEST_MAX ||
                                        o.reject_code != NULL))
        return fail(why, whylen, "decoded a HELD outcome of %d seats", o.seat_count);
    if (o.status == FT_OUTCOME_REJECTED &&
        (o.reject_code == NULL || ft_reject_code_intern(o.reject_code) != o.reject_code))
        return fail(why, whylen, "decoded a REJECTED outcome without a known code");
    char buf[1024];
    size_t n = ft_outcome_encode(&o, buf, sizeof buf);
    if (n == 0 || !ft_outcome_decode(buf, n, &again) || !same_outcome(&o, &again))
        return fail(why, whylen, "the outcome changed through encode and decode: %.*s", (int)n, buf);
    const char *type = ft_outcomes_message_type(buf, n);
    if (type == NULL || strcmp(type, "outcome") != 0)
        return fail(why, whylen, "an encoded outcome is not typed outcome");
    return true;
}

static bool check_progress(const char *data, size_t size, char *why, size_t whylen)
{
    struct ft_progress p, again;
    if (!ft_progress_decode(data, size, &p))
        return true;
    if (p.partition < 0 || p.next_offset < 0)
        return fail(why, whylen, "decoded progress out of range");
    char buf[256];
    size_t n = ft_progress_encode(&p, buf, sizeof buf);
    if (n == 0 || !ft_progress_decode(buf, n, &again) || again.partition != p.partition ||
        again.next_offset != p.next_offset || again.rate_per_sec != p.rate_per_sec)
        return fail(why, whylen, "progress changed through encode and decode: %.*s", (int)n, buf);
    const char *type = ft_outcomes_message_type(buf, n);
    if (type == NULL || strcmp(type, "progress") != 0)
        return fail(why, whylen, "encoded progress is not typed progress");
    return true;
}

static bool check_type(const char *data, size_t size, char *why, size_t whylen)
{
    const char *type = ft_outcomes_message_type(data, size);
    if (type == NULL)
        return true;
    size_t prefix = strlen("{\"type\":\"\"") + strlen(type);
    if (size < prefix || memcmp(data, "{\"type\":\"", 9) != 0 || memcmp(data + 9, type, strlen(type)) != 0)
        return fail(why, whylen, "typed %s without that first member", type);
    return true;
}

bool ft_fuzz_command_decode_check(const uint8_t *data, size_t size, char *why, size_t whylen)
{
    const char *text = (const char *)data;
    return check_command(text, size, why, whylen) && check_outcome(text, size, why, whylen) &&
           check_progress(text, size, why, whylen) && check_type(text, size, why, whylen);
}

int ft_fuzz_command_decode_one(const uint8_t *data, size_t size)
{
    char why[512] = "";
    if (!ft_fuzz_command_decode_check(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_command_decode: %s\n", why);
        abort();
    }
    return 0;
}
