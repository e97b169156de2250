/*
 * A reference model of worker/decide.h, written from the header's contract alone and as
 * plainly as possible (arrays and linear scans), to be run beside the decider.
 *
 * Where the contract leaves an order open, the model takes the implementation's: the
 * refusals of a RESERVE are checked as UNKNOWN_SCHEDULE, SCHEDULE_CLOSED,
 * LIMIT_EXCEEDED, then the seats (UNKNOWN_SEAT before SEAT_TAKEN; SOLD_OUT or
 * NO_ADJACENT_SEATS for best available); those of a CONFIRM_PAYMENT as HOLD_ENDED,
 * NOT_OWNER, ALREADY_PAID (or nothing, for the payment that paid it), then
 * AMOUNT_MISMATCH.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"

struct mseat {
    int64_t id;
    int32_t row, number;
    enum ft_grade grade;
    int64_t price;
    int64_t holder; /* live reservation id, 0 when free */
};

struct msched {
    int64_t id;
    bool exists, open;
    struct mseat *seats; /* by row, then number */
    size_t seat_count;
};

struct mres {
    int64_t id, schedule_id, user_id, amount, expires_at_ms;
    bool paid;
    uint64_t paid_by; /* ft_payment_fingerprint of the payment that paid it; 0 unknown */
    int32_t seat_count;
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
};

struct ft_model {
    int32_t partition, limit;
    struct msched *schedules;
    size_t schedule_count;
    struct mres *live; /* every live reservation of every schedule */
    size_t live_count, live_cap;
};

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return false;
}

struct ft_batch_mark ft_batch_mark_of(const struct ft_batch *b)
{
    return (struct ft_batch_mark){ .outcomes = b->outcome_count, .created = b->created_count,
                                   .ended = b->ended_count, .payments = b->payment_count, .commands = b->commands,
                                   .next_offset = b->next_offset };
}

struct ft_model *ft_model_new(int32_t partition, int32_t seat_limit)
{
    struct ft_model *m = calloc(1, sizeof *m);
    if (m != NULL) {
        m->partition = partition;
        m->limit = seat_limit;
    }
    return m;
}

void ft_model_free(struct ft_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->schedule_count; i++)
        free(m->schedules[i].seats);
    free(m->schedules);
    free(m->live);
    free(m);
}

/* --- lookups ------------------------------------------------------------------------ */

static struct msched *find_schedule(const struct ft_model *m, int64_t id)
{
    for (size_t i = 0; i < m->schedule_count; i++)
        if (m->schedules[i].id == id)
            return &m->schedules[i];
    return NULL;
}

bool ft_model_knows(const struct ft_model *m, int64_t schedule_id)
{
    return find_schedule(m, schedule_id) != NULL;
}

static struct mseat *find_seat(const struct msched *s, int64_t id)
{
    for (size_t i = 0; i < s->seat_count; i++)
        if (s->seats[i].id == id)
            return &s->seats[i];
    return NULL;
}

/* A seat the model has checked is there: never NULL. */
__attribute__((returns_nonnull)) static struct mseat *seat_of(const struct msched *s, int64_t id)
{
    struct mseat *seat = find_seat(s, id);
    if (seat == NULL)
        abort(); /* the model contradicts itself */
    return seat;
}

static struct mres *find_live(const struct ft_model *m, int64_t schedule_id, int64_t id)
{
    for (size_t i = 0; i < m->live_count; i++)
        if (m->live[i].id == id && m->live[i].schedule_id == schedule_id)
            return &m->live[i];
    return NULL;
}

int64_t ft_model_owner(const struct ft_model *m, int64_t reservation_id)
{
    for (size_t i = 0; i < m->live_count; i++)
        if (m->live[i].id == reservation_id)
            return m->live[i].user_id;
    return 0;
}

int64_t ft_model_amount(const struct ft_model *m, int64_t reservation_id)
{
    for (size_t i = 0; i < m->live_count; i++)
        if (m->live[i].id == reservation_id)
            return m->live[i].amount;
    return 0;
}

/* Seats held or bought by a user on a schedule. */
static int64_t seats_of_user(const struct ft_model *m, int64_t schedule_id, int64_t user_id)
{
    int64_t n = 0;
    for (size_t i = 0; i < m->live_count; i++)
        if (m->live[i].schedule_id == schedule_id && m->live[i].user_id == user_id)
            n += m->live[i].seat_count;
    return n;
}

/* --- changes ------------------------------------------------------------------------ */

static bool add_live(struct ft_model *m, struct msched *s, const struct mres *r)
{
    if (m->live_count == m->live_cap) {
        size_t cap = m->live_cap ? m->live_cap * 2 : 16;
        struct mres *grown = realloc(m->live, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        m->live = grown;
        m->live_cap = cap;
    }
    m->live[m->live_count++] = *r;
    for (int32_t k = 0; k < r->seat_count; k++)
        seat_of(s, r->seat_ids[k])->holder = r->id;
    return true;
}

static void end_live(struct ft_model *m, struct mres *r)
{
    struct msched *s = find_schedule(m, r->schedule_id);
    if (s == NULL)
        abort(); /* a live reservation of a schedule never loaded */
    for (int32_t k = 0; k < r->seat_count; k++)
        seat_of(s, r->seat_ids[k])->holder = 0;
    *r = m->live[--m->live_count];
}

/* --- loading ------------------------------------------------------------------------ */

static int by_row_and_number(const void *a, const void *b)
{
    const struct mseat *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* The seed's reservations make sense: 1-4 seats each, all of this schedule, no seat
 * twice, ids unique and non-zero. */
static bool reservations_consistent(const struct msched *s, const struct ft_schedule_seed *seed)
{
    for (size_t i = 0; i < seed->reservation_count; i++) {
        const struct ft_reservation_seed *r = &seed->reservations[i];
        if (r->id == 0 || r->seat_count < 1 || r->seat_count > FT_SEATS_PER_REQUEST_MAX)
            return false;
        for (size_t j = 0; j < i; j++)
            if (seed->reservations[j].id == r->id)
                return false;
        for (int32_t k = 0; k < r->seat_count; k++) {
            if (find_seat(s, r->seat_ids[k]) == NULL)
                return false;
            for (size_t j = 0; j <= i; j++) /* in an earlier reservation, or earlier in this one */
                for (int32_t l = 0; l < (j == i ? k : seed->reservations[j].seat_count); l++)
                    if (seed->reservations[j].seat_ids[l] == r->seat_ids[k])
                        return false;
        }
    }
    return true;
}

bool ft_model_add_schedule(struct ft_model *m, const struct ft_schedule_seed *seed)
{
    if (find_schedule(m, seed->schedule_id) != NULL)
        return false;
    struct msched s = { .id = seed->schedule_id, .exists = seed->exists, .open = seed->open,
                        .seat_count = seed->seat_count };
    s.seats = calloc(seed->seat_count ? seed->seat_count : 1, sizeof *s.seats);
    if (s.seats == NULL)
        return false;
    for (size_t i = 0; i < seed->seat_count; i++) {
        const struct ft_seat_seed *in = &seed->seats[i];
        for (size_t j = 0; j < i; j++)
            if (seed->seats[j].id == in->id || in->id == 0) {
                free(s.seats);
                return false;
            }
        s.seats[i] = (struct mseat){ .id = in->id, .row = in->row, .number = in->number, .grade = in->grade,
                                     .price = in->price };
    }
    qsort(s.seats, s.seat_count, sizeof *s.seats, by_row_and_number);
    if (!reservations_consistent(&s, seed)) {
        free(s.seats);
        return false;
    }
    struct msched *grown = realloc(m->schedules, (m->schedule_count + 1) * sizeof *grown);
    if (grown == NULL) {
        free(s.seats);
        return false;
    }
    m->schedules = grown;
    m->schedules[m->schedule_count++] = s;
    struct msched *stored = &m->schedules[m->schedule_count - 1];
    for (size_t i = 0; i < seed->reservation_count; i++) {
        const struct ft_reservation_seed *in = &seed->reservations[i];
        struct mres r = { .id = in->id, .schedule_id = seed->schedule_id, .user_id = in->user_id,
                          .amount = in->amount, .expires_at_ms = in->expires_at_ms, .paid = in->paid,
                          .paid_by = in->paid ? in->paid_by : 0, .seat_count = in->seat_count };
        memcpy(r.seat_ids, in->seat_ids, sizeof r.seat_ids);
        if (!add_live(m, stored, &r))
            return false;
    }
    return true;
}

/* --- deciding ----------------------------------------------------------------------- */

static bool wanted(const struct mseat *seat, enum ft_grade grade)
{
    return seat->holder == 0 && (grade == FT_GRADE_ANY || seat->grade == grade);
}

/* Whether seats[start .. start+quantity) of one row are wanted and numbered one after the other. */
static bool block_at(const struct msched *s, size_t start, size_t row_end, int32_t quantity, enum ft_grade grade)
{
    if (start + (size_t)quantity > row_end)
        return false;
    for (int32_t k = 0; k < quantity; k++) {
        const struct mseat *seat = &s->seats[start + (size_t)k];
        if (!wanted(seat, grade) || (k > 0 && seat->number != s->seats[start + (size_t)k - 1].number + 1))
            return false;
    }
    return true;
}

/* The documented rule, by brute force: front-most row with a block; in it, the block
 * whose middle is nearest the row's middle, the lower numbers on a tie. */
static const char *pick_best(const struct msched *s, int32_t quantity, enum ft_grade grade, int64_t *ids)
{
    bool any_free = false;
    for (size_t start = 0; start < s->seat_count;) {
        size_t end = start;
        while (end < s->seat_count && s->seats[end].row == s->seats[start].row)
            end++;
        int32_t middle2 = s->seats[start].number + s->seats[end - 1].number; /* twice the row's middle */
        size_t best = SIZE_MAX;
        int32_t best_distance = 0;
        for (size_t i = start; i < end; i++) {
            any_free |= wanted(&s->seats[i], grade);
            if (!block_at(s, i, end, quantity, grade))
                continue;
            int32_t distance = abs(s->seats[i].number + s->seats[i + (size_t)quantity - 1].number - middle2);
            if (best == SIZE_MAX || distance < best_distance) {
                best = i;
                best_distance = distance;
            }
        }
        if (best != SIZE_MAX) {
            for (int32_t k = 0; k < quantity; k++)
                ids[k] = s->seats[best + (size_t)k].id;
            return NULL;
        }
        start = end;
    }
    return any_free ? "NO_ADJACENT_SEATS" : "SOLD_OUT";
}

static const char *pick_by_id(const struct msched *s, const struct ft_command *cmd)
{
    for (int32_t i = 0; i < cmd->seat_count; i++) {
        if (find_seat(s, cmd->seat_ids[i]) == NULL)
            return "UNKNOWN_SEAT";
        for (int32_t j = 0; j < i; j++)
            if (cmd->seat_ids[j] == cmd->seat_ids[i])
                return "UNKNOWN_SEAT";
    }
    for (int32_t i = 0; i < cmd->seat_count; i++)
        if (seat_of(s, cmd->seat_ids[i])->holder != 0)
            return "SEAT_TAKEN";
    return NULL;
}

/* What the model decides for a RESERVE, into *o (and *r when held). */
static void decide_reserve(const struct ft_model *m, const struct msched *s, const struct ft_command *cmd,
                           int64_t offset, struct ft_outcome *o, struct mres *r)
{
    *o = (struct ft_outcome){ .user_id = cmd->user_id, .schedule_id = cmd->schedule_id, .partition = m->partition,
                              .offset = offset, .decided_at_ms = cmd->ts_ms, .status = FT_OUTCOME_REJECTED };
    memcpy(o->token, cmd->token, sizeof o->token);
    int32_t count = cmd->seat_count > 0 ? cmd->seat_count : cmd->quantity;
    int64_t ids[FT_SEATS_PER_REQUEST_MAX] = { 0 };
    if (!s->exists)
        o->reject_code = "UNKNOWN_SCHEDULE";
    else if (!s->open)
        o->reject_code = "SCHEDULE_CLOSED";
    else if (seats_of_user(m, s->id, cmd->user_id) + count > m->limit)
        o->reject_code = "LIMIT_EXCEEDED";
    else if (cmd->seat_count > 0) {
        o->reject_code = pick_by_id(s, cmd);
        memcpy(ids, cmd->seat_ids, sizeof ids);
    } else
        o->reject_code = pick_best(s, cmd->quantity, cmd->grade, ids);
    if (o->reject_code != NULL)
        return;
    o->status = FT_OUTCOME_HELD;
    o->reservation_id = ft_reservation_id_for(m->partition, offset);
    int64_t hold_ms = (int64_t)cmd->hold_seconds * 1000;
    o->expires_at_ms = cmd->ts_ms > INT64_MAX - hold_ms ? INT64_MAX : cmd->ts_ms + hold_ms; /* no overflow */
    o->seat_count = count;
    for (int32_t k = 0; k < count; k++) {
        o->seat_ids[k] = ids[k];
        o->amount += seat_of(s, ids[k])->price;
    }
    *r = (struct mres){ .id = o->reservation_id, .schedule_id = s->id, .user_id = cmd->user_id,
                        .amount = o->amount, .expires_at_ms = o->expires_at_ms, .seat_count = count };
    memcpy(r->seat_ids, ids, sizeof r->seat_ids);
}

/* Two static strings (codes, reasons) that say the same; NULL only equals NULL. */
static bool same_text(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static bool same_outcome(const struct ft_outcome *a, const struct ft_outcome *b, const char *what, char *why,
                         size_t whylen)
{
    bool same_code = same_text(a->reject_code, b->reject_code);
    if (strncmp(a->token, b->token, sizeof a->token) != 0 || a->user_id != b->user_id ||
        a->schedule_id != b->schedule_id || a->partition != b->partition || a->offset != b->offset ||
        a->status != b->status || !same_code || a->reservation_id != b->reservation_id || a->amount != b->amount ||
        a->expires_at_ms != b->expires_at_ms || a->seat_count != b->seat_count ||
        a->decided_at_ms != b->decided_at_ms)
        return fail(why, whylen,
                    "%s: outcome at offset %lld differs: status %d/%d code %s/%s reservation %lld/%lld amount "
                    "%lld/%lld expires %lld/%lld seats %d/%d",
                    what, (long long)b->offset, a->status, b->status, a->reject_code ? a->reject_code : "-",
                    b->reject_code ? b->reject_code : "-", (long long)a->reservation_id,
                    (long long)b->reservation_id, (long long)a->amount, (long long)b->amount,
                    (long long)a->expires_at_ms, (long long)b->expires_at_ms, a->seat_count, b->seat_count);
    for (int32_t k = 0; k < a->seat_count && k < FT_SEATS_PER_REQUEST_MAX; k++)
        if (a->seat_ids[k] != b->seat_ids[k])
            return fail(why, whylen, "%s: offset %lld, seat %d is %lld, expected %lld", what, (long long)b->offset,
                        k, (long long)a->seat_ids[k], (long long)b->seat_ids[k]);
    return true;
}

/* The invariants, checked on what the decider did before the exact comparison, so that
 * a violation is named as such. `o` is the decider's outcome, the model after expiry. */
static bool check_invariants(const struct ft_model *m, const struct msched *s, const struct ft_command *cmd,
                             const struct ft_outcome *o, char *why, size_t whylen)
{
    if (o->status == FT_OUTCOME_HELD) {
        if (o->seat_count < 1 || o->seat_count > FT_SEATS_PER_REQUEST_MAX)
            return fail(why, whylen, "offset %lld holds %d seats", (long long)o->offset, o->seat_count);
        for (int32_t k = 0; k < o->seat_count; k++) {
            for (int32_t j = 0; j < k; j++)
                if (o->seat_ids[j] == o->seat_ids[k])
                    return fail(why, whylen, "double booking: offset %lld holds seat %lld twice", (long long)o->offset,
                                (long long)o->seat_ids[k]);
            const struct mseat *seat = find_seat(s, o->seat_ids[k]);
            if (seat == NULL)
                return fail(why, whylen, "offset %lld holds seat %lld, not a seat of schedule %lld",
                            (long long)o->offset, (long long)o->seat_ids[k], (long long)s->id);
            if (seat->holder != 0)
                return fail(why, whylen, "double booking: offset %lld holds seat %lld, held by live reservation %lld",
                            (long long)o->offset, (long long)seat->id, (long long)seat->holder);
        }
        if (seats_of_user(m, s->id, o->user_id) + o->seat_count > m->limit)
            return fail(why, whylen, "offset %lld: user %lld goes past the limit of %d", (long long)o->offset,
                        (long long)o->user_id, m->limit);
    } else if (o->reject_code != NULL && strcmp(o->reject_code, "SEAT_TAKEN") == 0) {
        bool taken = false;
        for (int32_t i = 0; i < cmd->seat_count; i++) {
            const struct mseat *seat = find_seat(s, cmd->seat_ids[i]);
            taken |= seat != NULL && seat->holder != 0;
        }
        if (!taken)
            return fail(why, whylen, "FIFO: offset %lld refused SEAT_TAKEN, yet every seat asked for was free",
                        (long long)o->offset);
    }
    return true;
}

/* Checks the decider's ended entries against the model before the command; applies the
 * expiries. Returns the number of ended entries that were expiries. */
static bool check_and_expire(struct ft_model *m, const struct ft_command *cmd, const struct ft_ended_reservation *ended,
                             size_t ended_count, size_t *expired, char *why, size_t whylen)
{
    *expired = 0;
    for (size_t i = 0; i < ended_count; i++) {
        const struct ft_ended_reservation *e = &ended[i];
        const struct mres *r = find_live(m, cmd->schedule_id, e->id);
        if (r == NULL)
            return fail(why, whylen, "ts %lld ended reservation %lld, which is not live on schedule %lld",
                        (long long)cmd->ts_ms, (long long)e->id, (long long)cmd->schedule_id);
        if (e->status == FT_RES_EXPIRED) {
            if (r->paid)
                return fail(why, whylen, "paid reservation %lld expired", (long long)e->id);
            if (r->expires_at_ms > cmd->ts_ms || e->at_ms != r->expires_at_ms)
                return fail(why, whylen, "hold %lld until %lld expired at %lld by a command at %lld", (long long)e->id,
                            (long long)r->expires_at_ms, (long long)e->at_ms, (long long)cmd->ts_ms);
            ++*expired;
        } else if (e->status == FT_RES_CANCELLED) {
            if (cmd->type != FT_CMD_CANCEL || cmd->reservation_id != e->id || cmd->user_id != r->user_id ||
                e->at_ms != cmd->ts_ms || i != ended_count - 1)
                return fail(why, whylen, "reservation %lld of user %lld cancelled wrongly (command %d of user %lld)",
                            (long long)e->id, (long long)r->user_id, cmd->type, (long long)cmd->user_id);
            if (!r->paid && r->expires_at_ms <= cmd->ts_ms)
                return fail(why, whylen, "hold %lld cancelled at %lld, after its expiry %lld", (long long)e->id,
                            (long long)cmd->ts_ms, (long long)r->expires_at_ms);
        } else {
            return fail(why, whylen, "reservation %lld ended with status %d", (long long)e->id, e->status);
        }
        for (size_t j = 0; j < i; j++)
            if (ended[j].id == e->id)
                return fail(why, whylen, "reservation %lld ended twice", (long long)e->id);
    }
    /* every due hold of the schedule ended, and nothing else expired */
    size_t due = 0;
    for (size_t i = 0; i < m->live_count; i++) {
        const struct mres *r = &m->live[i];
        if (r->schedule_id != cmd->schedule_id || r->paid || r->expires_at_ms > cmd->ts_ms)
            continue;
        due++;
        bool found = false;
        for (size_t k = 0; k < ended_count && !found; k++)
            found = ended[k].id == r->id && ended[k].status == FT_RES_EXPIRED;
        if (!found)
            return fail(why, whylen, "hold %lld due at %lld is still live after a command at %lld", (long long)r->id,
                        (long long)r->expires_at_ms, (long long)cmd->ts_ms);
    }
    if (due != *expired)
        return fail(why, whylen, "%zu holds expired, %zu were due", *expired, due);
    for (size_t i = 0; i < ended_count; i++)
        if (ended[i].status == FT_RES_EXPIRED)
            end_live(m, find_live(m, cmd->schedule_id, ended[i].id));
    return true;
}

static const char *effect_name(enum ft_payment_effect_kind kind)
{
    switch (kind) {
    case FT_PAY_CONFIRMED: return "CONFIRMED";
    case FT_PAY_REFUND: return "REFUND";
    case FT_PAY_REFUND_PAID: return "REFUND_PAID";
    }
    return "?";
}

static bool same_payment_ref(const struct ft_payment_ref *a, const struct ft_payment_ref *b)
{
    return strncmp(a->imp_uid, b->imp_uid, sizeof a->imp_uid) == 0 &&
           strncmp(a->merchant_uid, b->merchant_uid, sizeof a->merchant_uid) == 0 && a->amount == b->amount;
}

/* Kind, reservation, time, payment and (but for CONFIRMED, where the contract names
 * none) reason. */
static bool same_payment_effect(const struct ft_payment_effect *a, const struct ft_payment_effect *b, const char *what,
                                char *why, size_t whylen)
{
    if (a->kind == b->kind && a->reservation_id == b->reservation_id && a->at_ms == b->at_ms &&
        (a->kind == FT_PAY_CONFIRMED || same_text(a->reason, b->reason)) && same_payment_ref(&a->payment, &b->payment))
        return true;
    return fail(why, whylen,
                "%s: payment effect differs: %s/%s reason %s/%s reservation %lld/%lld at %lld/%lld imp_uid "
                "%.32s/%.32s merchant_uid %.32s/%.32s amount %lld/%lld",
                what, effect_name(a->kind), effect_name(b->kind), a->reason ? a->reason : "-",
                b->reason ? b->reason : "-", (long long)a->reservation_id, (long long)b->reservation_id,
                (long long)a->at_ms, (long long)b->at_ms, a->payment.imp_uid, b->payment.imp_uid,
                a->payment.merchant_uid, b->payment.merchant_uid, (long long)a->payment.amount,
                (long long)b->payment.amount);
}

/*
 * A CONFIRM_PAYMENT, after the expiries: it ends nothing and appends one payment effect,
 * none for the payment that paid the reservation already. `got` is what the decider
 * appended (`count` effects).
 */
static bool confirm_and_compare(struct ft_model *m, const struct ft_command *cmd, int64_t offset, size_t ended,
                                const struct ft_payment_effect *got, size_t count, char *why, size_t whylen)
{
    struct mres *r = find_live(m, cmd->schedule_id, cmd->reservation_id);
    uint64_t fingerprint = ft_payment_fingerprint(cmd->payment.imp_uid);
    struct ft_payment_effect expected = { .kind = FT_PAY_REFUND, .reservation_id = cmd->reservation_id,
                                          .at_ms = cmd->ts_ms, .payment = cmd->payment };
    bool again = false;
    if (r == NULL)
        expected.reason = "HOLD_ENDED";
    else if (r->user_id != cmd->user_id)
        expected.reason = "NOT_OWNER";
    else if (r->paid && r->paid_by == fingerprint)
        again = true;
    else if (r->paid)
        expected.reason = "ALREADY_PAID";
    else if (cmd->payment.amount != r->amount)
        expected.reason = "AMOUNT_MISMATCH";
    else
        expected.kind = FT_PAY_CONFIRMED;
    if (ended != 0)
        return fail(why, whylen, "CONFIRM_PAYMENT at offset %lld ended %zu reservations", (long long)offset, ended);
    if (count != (again ? 0u : 1u))
        return fail(why, whylen, "CONFIRM_PAYMENT of %lld by user %lld at offset %lld gave %zu payment effects, "
                    "expected %d", (long long)cmd->reservation_id, (long long)cmd->user_id, (long long)offset, count,
                    again ? 0 : 1);
    if (again)
        return true;
    if (got->kind == FT_PAY_CONFIRMED && expected.kind != FT_PAY_CONFIRMED)
        return fail(why, whylen, "offset %lld: payment %.32s made reservation %lld PAID; the model refunds it (%s)",
                    (long long)offset, cmd->payment.imp_uid, (long long)cmd->reservation_id, expected.reason);
    if (!same_payment_effect(got, &expected, "decider vs model", why, whylen))
        return false;
    if (expected.kind == FT_PAY_CONFIRMED) {
        r->paid = true;
        r->paid_by = fingerprint;
    }
    return true;
}

bool ft_model_decide_and_compare(struct ft_model *m, const struct ft_command *cmd, int64_t offset,
                                 const struct ft_batch *batch, struct ft_batch_mark before, char *why, size_t whylen)
{
    struct msched *s = find_schedule(m, cmd->schedule_id);
    if (s == NULL)
        return fail(why, whylen, "decided a command of schedule %lld, which was never loaded",
                    (long long)cmd->schedule_id);
    if (batch->commands != before.commands + 1 || batch->next_offset != offset + 1)
        return fail(why, whylen, "offset %lld: commands %zu (was %zu), next_offset %lld", (long long)offset,
                    batch->commands, before.commands, (long long)batch->next_offset);
    size_t outcomes = batch->outcome_count - before.outcomes, created = batch->created_count - before.created;
    size_t ended = batch->ended_count - before.ended, expired = 0, payments = batch->payment_count - before.payments;
    const struct ft_ended_reservation *ended_now = ended > 0 ? &batch->ended[before.ended] : NULL;
    const struct ft_payment_effect *payments_now = payments > 0 ? &batch->payments[before.payments] : NULL;
    if (!check_and_expire(m, cmd, ended_now, ended, &expired, why, whylen))
        return false;

    if (cmd->type == FT_CMD_RESERVE) {
        if (outcomes != 1 || ended != expired || payments != 0)
            return fail(why, whylen, "RESERVE at offset %lld gave %zu outcomes, %zu non-expiry endings, %zu payment "
                        "effects", (long long)offset, outcomes, ended - expired, payments);
        const struct ft_outcome *got = &batch->outcomes[before.outcomes];
        if (!check_invariants(m, s, cmd, got, why, whylen))
            return false;
        struct ft_outcome expected;
        struct mres r;
        decide_reserve(m, s, cmd, offset, &expected, &r);
        if (!same_outcome(got, &expected, "decider vs model", why, whylen))
            return false;
        if (created != (expected.status == FT_OUTCOME_HELD ? 1u : 0u))
            return fail(why, whylen, "offset %lld created %zu reservations", (long long)offset, created);
        if (expected.status == FT_OUTCOME_HELD) {
            const struct ft_new_reservation *c = &batch->created[before.created];
            if (c->id != r.id || c->user_id != r.user_id || c->schedule_id != r.schedule_id ||
                c->amount != expected.amount || c->held_at_ms != cmd->ts_ms || c->expires_at_ms != r.expires_at_ms ||
                c->seat_count != r.seat_count || memcmp(c->seat_ids, r.seat_ids, (size_t)r.seat_count * sizeof r.seat_ids[0]) != 0)
                return fail(why, whylen, "offset %lld: the created reservation differs from the outcome",
                            (long long)offset);
            if (find_live(m, s->id, r.id) != NULL)
                return fail(why, whylen, "offset %lld: reservation id %lld is already live", (long long)offset,
                            (long long)r.id);
            if (!add_live(m, s, &r))
                return fail(why, whylen, "model out of memory");
        }
        return true;
    }
    if (outcomes != 0 || created != 0)
        return fail(why, whylen, "command of type %d at offset %lld gave %zu outcomes, %zu reservations", cmd->type,
                    (long long)offset, outcomes, created);
    if (cmd->type == FT_CMD_CONFIRM_PAYMENT)
        return confirm_and_compare(m, cmd, offset, ended - expired, payments_now, payments, why, whylen);
    /* CANCEL ends the owner's live reservation, and refunds it when it was PAID; EXPIRE
     * does nothing more than the expiries */
    struct mres *target = cmd->type == FT_CMD_CANCEL ? find_live(m, cmd->schedule_id, cmd->reservation_id) : NULL;
    bool cancels = target != NULL && target->user_id == cmd->user_id, refunds = cancels && target->paid;
    if (ended - expired != (cancels ? 1u : 0u) || payments != (refunds ? 1u : 0u))
        return fail(why, whylen, "offset %lld: %s of %lld by user %lld ended %zu and gave %zu payment effects, "
                    "expected %d and %d", (long long)offset, cmd->type == FT_CMD_CANCEL ? "CANCEL" : "EXPIRE",
                    (long long)cmd->reservation_id, (long long)cmd->user_id, ended - expired, payments, cancels,
                    refunds);
    if (refunds) {
        struct ft_payment_effect expected = { .kind = FT_PAY_REFUND_PAID, .reservation_id = target->id,
                                              .at_ms = cmd->ts_ms, .reason = "CANCELLED_BY_BUYER" };
        if (!same_payment_effect(payments_now, &expected, "decider vs model", why, whylen))
            return false;
    }
    if (cancels)
        end_live(m, target);
    return true;
}

/* --- the seat map ------------------------------------------------------------------- */

struct map_visit {
    const struct msched *s;
    const struct ft_model *m;
    int64_t now_ms;
    size_t at;
    bool ok;
    char *why;
    size_t whylen;
};

static enum ft_seat_state model_state(const struct ft_model *m, const struct msched *s, const struct mseat *seat,
                                      int64_t now_ms)
{
    const struct mres *r = seat->holder ? find_live(m, s->id, seat->holder) : NULL;
    if (r == NULL)
        return FT_SEAT_AVAILABLE;
    if (r->paid)
        return FT_SEAT_SOLD;
    return r->expires_at_ms > now_ms ? FT_SEAT_HELD : FT_SEAT_AVAILABLE;
}

static void visit_seat(void *ctx, int64_t seat_id, enum ft_seat_state state)
{
    struct map_visit *v = ctx;
    if (!v->ok)
        return;
    if (v->at >= v->s->seat_count) {
        v->ok = fail(v->why, v->whylen, "seat map of %lld lists more seats than it has", (long long)v->s->id);
        return;
    }
    const struct mseat *seat = &v->s->seats[v->at++];
    if (seat->id != seat_id)
        v->ok = fail(v->why, v->whylen, "seat map of %lld: seat %zu is %lld, expected %lld", (long long)v->s->id,
                     v->at - 1, (long long)seat_id, (long long)seat->id);
    else if (model_state(v->m, v->s, seat, v->now_ms) != state)
        v->ok = fail(v->why, v->whylen, "seat map of %lld at %lld: seat %lld is %d, expected %d", (long long)v->s->id,
                     (long long)v->now_ms, (long long)seat_id, state, model_state(v->m, v->s, seat, v->now_ms));
}

bool ft_model_compare_seat_map(const struct ft_model *m, const struct ft_decider *decider, int64_t schedule_id,
                               int64_t now_ms, char *why, size_t whylen)
{
    const struct msched *s = find_schedule(m, schedule_id);
    struct map_visit v = { .s = s, .m = m, .now_ms = now_ms, .ok = true, .why = why, .whylen = whylen };
    bool listed = ft_decider_each_seat(decider, schedule_id, now_ms, visit_seat, &v);
    if (listed != (s != NULL))
        return fail(why, whylen, "seat map of %lld: listed %d, loaded %d", (long long)schedule_id, listed, s != NULL);
    if (s != NULL && v.ok && v.at != s->seat_count)
        return fail(why, whylen, "seat map of %lld lists %zu of %zu seats", (long long)schedule_id, v.at,
                    s->seat_count);
    return v.ok;
}

/* --- two deciders, one log ------------------------------------------------------------ */

bool ft_fuzz_same_effects(const struct ft_batch *a, struct ft_batch_mark am, const struct ft_batch *b,
                          struct ft_batch_mark bm, char *why, size_t whylen)
{
    size_t outcomes = a->outcome_count - am.outcomes, created = a->created_count - am.created,
           ended = a->ended_count - am.ended, payments = a->payment_count - am.payments;
    if (outcomes != b->outcome_count - bm.outcomes || created != b->created_count - bm.created ||
        ended != b->ended_count - bm.ended || payments != b->payment_count - bm.payments ||
        a->commands - am.commands != b->commands - bm.commands || a->next_offset != b->next_offset)
        return fail(why, whylen, "two deciders appended different numbers of effects");
    for (size_t i = 0; i < outcomes; i++)
        if (!same_outcome(&a->outcomes[am.outcomes + i], &b->outcomes[bm.outcomes + i], "replay", why, whylen))
            return false;
    for (size_t i = 0; i < created; i++) {
        const struct ft_new_reservation *x = &a->created[am.created + i], *y = &b->created[bm.created + i];
        if (x->id != y->id || x->user_id != y->user_id || x->schedule_id != y->schedule_id || x->amount != y->amount ||
            x->held_at_ms != y->held_at_ms || x->expires_at_ms != y->expires_at_ms || x->seat_count != y->seat_count ||
            memcmp(x->seat_ids, y->seat_ids, sizeof x->seat_ids) != 0)
            return fail(why, whylen, "replay: created reservation %lld differs", (long long)x->id);
    }
    for (size_t i = 0; i < ended; i++) {
        const struct ft_ended_reservation *x = &a->ended[am.ended + i], *y = &b->ended[bm.ended + i];
        if (x->id != y->id || x->status != y->status || x->at_ms != y->at_ms)
            return fail(why, whylen, "replay: ended reservation %zu differs (%lld/%lld)", i, (long long)x->id,
                        (long long)y->id);
    }
    for (size_t i = 0; i < payments; i++)
        if (!same_payment_effect(&a->payments[am.payments + i], &b->payments[bm.payments + i], "replay", why, whylen))
            return false;
    return true;
}
