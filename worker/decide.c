#include "decide.h"

#include <stdlib.h>
#include <string.h>

#include "i64map.h"

/* One seat: 32 bytes, plus 16 in the id index. */
struct seat {
    int64_t id;
    int64_t holder; /* id of the live reservation holding it; 0 when free */
    int32_t price;
    int16_t row, number;
    uint16_t row_index; /* into rows */
    uint8_t grade;
};

struct row_range {
    int32_t start, end; /* indexes into seats: [start, end) */
    int32_t free;       /* seats of the row no live reservation holds */
    uint8_t grades;     /* bit per grade present in the row */
};

struct reservation {
    int64_t id, user_id, amount, expires_at_ms;
    uint64_t paid_by; /* the payment's fingerprint once paid */
    bool paid;
    int32_t seat_count;
    int32_t seats[FT_SEATS_PER_REQUEST_MAX]; /* indexes into seats */
};

/* A hold waiting for its expiry, in a min-heap on expires_at_ms. */
struct due {
    int64_t expires_at_ms, reservation_id;
};

struct schedule {
    int64_t id;
    bool exists, open;
    struct seat *seats; /* ordered by row, then number */
    size_t seat_count;
    struct row_range *rows; /* front row first */
    size_t row_count;
    struct ft_i64map seat_index;      /* seat id -> index */
    struct ft_i64map seats_of_user;   /* user id -> seats held or bought */
    struct ft_i64map reservation_slot; /* live reservation id -> slot */
    struct reservation *slots;
    size_t slot_count, slot_cap;
    int32_t *free_slots;
    size_t free_count;
    struct due *heap;
    size_t heap_count, heap_cap;
};

struct ft_decider {
    int32_t partition;
    int32_t seat_limit;
    int64_t id_base; /* added to a command's offset for its reservation's id */
    struct ft_i64map schedules; /* schedule id -> struct schedule * */
};

int64_t ft_reservation_id_for(int32_t partition, int64_t offset)
{
    return (offset + 1) * 1024 + partition; /* partitions are fewer than 1024 */
}

uint64_t ft_payment_fingerprint(const char *imp_uid)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)imp_uid; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

/* --- the expiry heap ---------------------------------------------------------------- */

/* Queues a hold's expiry; room_for_hold made room. */
static void heap_push(struct schedule *s, struct due item)
{
    size_t i = s->heap_count++;
    while (i > 0 && s->heap[(i - 1) / 2].expires_at_ms > item.expires_at_ms) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = item;
}

static struct due heap_pop(struct schedule *s)
{
    struct due top = s->heap[0], last = s->heap[--s->heap_count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= s->heap_count)
            break;
        if (child + 1 < s->heap_count && s->heap[child + 1].expires_at_ms < s->heap[child].expires_at_ms)
            child++;
        if (s->heap[child].expires_at_ms >= last.expires_at_ms)
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    if (s->heap_count > 0)
        s->heap[i] = last;
    return top;
}

/* --- reservations ----------------------------------------------------------------- */

static struct reservation *find_reservation(struct schedule *s, int64_t id)
{
    uint64_t slot;
    return ft_i64map_get(&s->reservation_slot, id, &slot) ? &s->slots[slot] : NULL;
}

static int64_t seats_of(const struct schedule *s, int64_t user_id)
{
    uint64_t count = 0;
    return ft_i64map_get(&s->seats_of_user, user_id, &count) ? (int64_t)count : 0;
}

/*
 * Makes room for one more live reservation, so that hold() cannot fail: a decision
 * either happens whole or changes nothing.
 */
static bool room_for_hold(struct schedule *s)
{
    if (s->free_count == 0 && s->slot_count == s->slot_cap) {
        size_t cap = s->slot_cap ? s->slot_cap * 2 : 64;
        struct reservation *grown = realloc(s->slots, cap * sizeof *grown);
        int32_t *grown_free = realloc(s->free_slots, cap * sizeof *grown_free);
        if (grown != NULL)
            s->slots = grown;
        if (grown_free != NULL)
            s->free_slots = grown_free;
        if (grown == NULL || grown_free == NULL)
            return false;
        s->slot_cap = cap;
    }
    if (s->heap_count == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        struct due *grown = realloc(s->heap, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        s->heap = grown;
        s->heap_cap = cap;
    }
    /* count + 1 even for a user already counted: a put checks its room before it looks. */
    return ft_i64map_reserve(&s->reservation_slot, s->reservation_slot.count + 1) &&
           ft_i64map_reserve(&s->seats_of_user, s->seats_of_user.count + 1);
}

/* Takes a slot for a new reservation; room_for_hold made sure there is one. */
static struct reservation *new_slot(struct schedule *s, uint64_t *slot)
{
    *slot = s->free_count > 0 ? (uint64_t)s->free_slots[--s->free_count] : s->slot_count++;
    return &s->slots[*slot];
}

/* Makes a reservation live: seats taken, user's count raised, expiry queued. Cannot
 * fail once room_for_hold succeeded (the puts find room). */
static void hold(struct schedule *s, const struct reservation *r)
{
    uint64_t slot;
    struct reservation *stored = new_slot(s, &slot);
    bool put = ft_i64map_put(&s->reservation_slot, r->id, slot) &&
               ft_i64map_put(&s->seats_of_user, r->user_id, (uint64_t)(seats_of(s, r->user_id) + r->seat_count));
    (void)put; /* true: room was made */
    if (!r->paid)
        heap_push(s, (struct due){ r->expires_at_ms, r->id });
    *stored = *r;
    for (int32_t i = 0; i < r->seat_count; i++) {
        s->seats[r->seats[i]].holder = r->id;
        s->rows[s->seats[r->seats[i]].row_index].free--;
    }
}

/* Ends a live reservation: its seats return to sale. */
static bool end_reservation(struct schedule *s, struct reservation *r, enum ft_reservation_status status,
                            int64_t at_ms, struct ft_batch *batch)
{
    struct ft_ended_reservation ended = { .id = r->id, .status = status, .at_ms = at_ms };
    if (!ft_batch_add_ended(batch, &ended))
        return false;
    for (int32_t i = 0; i < r->seat_count; i++) {
        s->seats[r->seats[i]].holder = 0;
        s->rows[s->seats[r->seats[i]].row_index].free++;
    }
    int64_t left = seats_of(s, r->user_id) - r->seat_count;
    if (left > 0)
        ft_i64map_replace(&s->seats_of_user, r->user_id, (uint64_t)left);
    else
        ft_i64map_remove(&s->seats_of_user, r->user_id);
    uint64_t slot = 0;
    (void)ft_i64map_get(&s->reservation_slot, r->id, &slot);
    ft_i64map_remove(&s->reservation_slot, r->id);
    s->free_slots[s->free_count++] = (int32_t)slot;
    return true;
}

/* Ends every unpaid hold whose time is up at now_ms. */
static bool expire_due(struct schedule *s, int64_t now_ms, struct ft_batch *batch)
{
    while (s->heap_count > 0 && s->heap[0].expires_at_ms <= now_ms) {
        struct reservation *r = find_reservation(s, s->heap[0].reservation_id);
        if (r != NULL && !r->paid && r->expires_at_ms == s->heap[0].expires_at_ms &&
            !end_reservation(s, r, FT_RES_EXPIRED, r->expires_at_ms, batch))
            return false;
        (void)heap_pop(s);
    }
    return true;
}

/* --- choosing seats ------------------------------------------------------------- */

/* The requested seats by id: UNKNOWN_SEAT, SEAT_TAKEN or NULL with their indexes. */
static const char *pick_by_id(const struct schedule *s, const struct ft_command *cmd, int32_t *picked)
{
    for (int32_t i = 0; i < cmd->seat_count; i++) {
        uint64_t index;
        if (!ft_i64map_get(&s->seat_index, cmd->seat_ids[i], &index))
            return "UNKNOWN_SEAT";
        for (int32_t j = 0; j < i; j++)
            if (picked[j] == (int32_t)index)
                return "UNKNOWN_SEAT"; /* the same seat twice */
        picked[i] = (int32_t)index;
    }
    for (int32_t i = 0; i < cmd->seat_count; i++)
        if (s->seats[picked[i]].holder != 0)
            return "SEAT_TAKEN";
    return NULL;
}

static bool wanted(const struct seat *seat, enum ft_grade grade)
{
    return seat->holder == 0 && (grade == FT_GRADE_ANY || seat->grade == grade);
}

/*
 * Best available: `quantity` adjacent free seats of the grade in one row, the front-most
 * row that has them, and in it the block whose middle is nearest the row's middle
 * (lower numbers first on a tie). SOLD_OUT when no seat of the grade is free at all,
 * NO_ADJACENT_SEATS when some are but never enough side by side.
 */
static const char *pick_best(const struct schedule *s, int32_t quantity, enum ft_grade grade, int32_t *picked)
{
    bool any_free = false;
    unsigned wanted_grades = grade == FT_GRADE_ANY ? 0xFFu : 1u << grade;
    for (size_t r = 0; r < s->row_count; r++) {
        const struct row_range *row = &s->rows[r];
        if (row->free == 0 || !(row->grades & wanted_grades))
            continue;
        /* A row of one grade with too few free seats needs no scan: it has some free
         * seats of the grade, but no block. (A row of mixed grades is scanned.) */
        unsigned grades = row->grades;
        bool one_grade = (grades & (grades - 1u)) == 0;
        if (row->free < quantity && one_grade) {
            any_free = true;
            continue;
        }
        int32_t centre2 = s->seats[row->start].number + s->seats[row->end - 1].number;
        int32_t best_start = -1, best_distance = 0, run = 0;
        for (int32_t i = row->start; i < row->end; i++) {
            bool adjacent = i > row->start && s->seats[i].number == s->seats[i - 1].number + 1;
            run = wanted(&s->seats[i], grade) ? (adjacent ? run + 1 : 1) : 0;
            any_free |= run > 0;
            if (run < quantity)
                continue;
            int32_t start = i - quantity + 1;
            int32_t distance = abs(s->seats[start].number + s->seats[i].number - centre2);
            if (best_start < 0 || distance < best_distance) {
                best_start = start;
                best_distance = distance;
            }
        }
        if (best_start >= 0) {
            for (int32_t k = 0; k < quantity; k++)
                picked[k] = best_start + k;
            return NULL;
        }
    }
    return any_free ? "NO_ADJACENT_SEATS" : "SOLD_OUT";
}

/* --- commands ------------------------------------------------------------------- */

static struct ft_outcome outcome_of(const struct ft_decider *d, const struct ft_command *cmd, int64_t offset)
{
    struct ft_outcome o = { .user_id = cmd->user_id, .schedule_id = cmd->schedule_id, .partition = d->partition,
                            .offset = offset, .decided_at_ms = cmd->ts_ms };
    memcpy(o.token, cmd->token, sizeof o.token);
    return o;
}

static enum ft_decide_result reject(const struct ft_decider *d, const struct ft_command *cmd, int64_t offset,
                                    const char *code, struct ft_batch *batch)
{
    struct ft_outcome o = outcome_of(d, cmd, offset);
    o.status = FT_OUTCOME_REJECTED;
    o.reject_code = code;
    return ft_batch_add_outcome(batch, &o) ? FT_DECIDED : FT_DECIDE_OUT_OF_MEMORY;
}

static enum ft_decide_result reserve(struct ft_decider *d, struct schedule *s, const struct ft_command *cmd,
                                     int64_t offset, struct ft_batch *batch)
{
    if (!s->exists)
        return reject(d, cmd, offset, "UNKNOWN_SCHEDULE", batch);
    if (!s->open)
        return reject(d, cmd, offset, "SCHEDULE_CLOSED", batch);
    int32_t wanted_count = cmd->seat_count > 0 ? cmd->seat_count : cmd->quantity;
    if (seats_of(s, cmd->user_id) + wanted_count > d->seat_limit)
        return reject(d, cmd, offset, "LIMIT_EXCEEDED", batch);
    int32_t picked[FT_SEATS_PER_REQUEST_MAX];
    const char *refusal = cmd->seat_count > 0 ? pick_by_id(s, cmd, picked) : pick_best(s, cmd->quantity, cmd->grade, picked);
    if (refusal != NULL)
        return reject(d, cmd, offset, refusal, batch);

    int64_t hold_ms = (int64_t)cmd->hold_seconds * 1000;
    /* Saturates rather than overflow: a command from the end of time holds until then. */
    int64_t expires_at_ms = cmd->ts_ms > INT64_MAX - hold_ms ? INT64_MAX : cmd->ts_ms + hold_ms;
    struct reservation r = { .id = ft_reservation_id_for(d->partition, d->id_base + offset), .user_id = cmd->user_id,
                             .expires_at_ms = expires_at_ms,
                             .seat_count = wanted_count };
    struct ft_new_reservation created = { .id = r.id, .user_id = cmd->user_id, .schedule_id = s->id,
                                          .held_at_ms = cmd->ts_ms, .expires_at_ms = r.expires_at_ms,
                                          .seat_count = wanted_count };
    struct ft_outcome o = outcome_of(d, cmd, offset);
    o.status = FT_OUTCOME_HELD;
    o.reservation_id = r.id;
    o.expires_at_ms = r.expires_at_ms;
    o.seat_count = wanted_count;
    for (int32_t i = 0; i < wanted_count; i++) {
        r.seats[i] = picked[i];
        r.amount += s->seats[picked[i]].price;
        created.seat_ids[i] = o.seat_ids[i] = s->seats[picked[i]].id;
    }
    created.amount = o.amount = r.amount;
    /* Every allocation first: past this point nothing can fail half way. */
    if (!ft_batch_reserve(batch, 1, 1, 0, 0) || !room_for_hold(s))
        return FT_DECIDE_OUT_OF_MEMORY;
    bool added = ft_batch_add_created(batch, &created) && ft_batch_add_outcome(batch, &o);
    (void)added; /* true: room was made */
    hold(s, &r);
    return FT_DECIDED;
}

static enum ft_decide_result cancel(struct schedule *s, const struct ft_command *cmd, struct ft_batch *batch)
{
    struct reservation *r = find_reservation(s, cmd->reservation_id);
    /* Only the owner's live reservation; anything else (ended, someone else's) is left as
     * it is, so a repeated cancel changes nothing. */
    if (r == NULL || r->user_id != cmd->user_id)
        return FT_DECIDED;
    bool paid = r->paid;
    int64_t id = r->id;
    /* Room for the refund first: the seats are released only together with it. */
    if ((paid && !ft_batch_reserve(batch, 0, 0, 0, 1)) || !end_reservation(s, r, FT_RES_CANCELLED, cmd->ts_ms, batch))
        return FT_DECIDE_OUT_OF_MEMORY;
    if (paid) {
        struct ft_payment_effect refund = { .kind = FT_PAY_REFUND_PAID, .reservation_id = id, .at_ms = cmd->ts_ms,
                                            .reason = "CANCELLED_BY_BUYER" };
        bool added = ft_batch_add_payment(batch, &refund);
        (void)added; /* true: room was made */
    }
    return FT_DECIDED;
}

/* The payment cannot be honoured at this point of the log: it is to be refunded. */
static enum ft_decide_result refund(const struct ft_command *cmd, const char *reason, struct ft_batch *batch)
{
    struct ft_payment_effect e = { .kind = FT_PAY_REFUND, .reservation_id = cmd->reservation_id, .at_ms = cmd->ts_ms,
                                   .reason = reason, .payment = cmd->payment };
    return ft_batch_add_payment(batch, &e) ? FT_DECIDED : FT_DECIDE_OUT_OF_MEMORY;
}

static enum ft_decide_result confirm_payment(struct schedule *s, const struct ft_command *cmd, struct ft_batch *batch)
{
    struct reservation *r = find_reservation(s, cmd->reservation_id);
    uint64_t fingerprint = ft_payment_fingerprint(cmd->payment.imp_uid);
    if (r == NULL) /* expired or cancelled before this point of the log, or never held */
        return refund(cmd, "HOLD_ENDED", batch);
    if (r->user_id != cmd->user_id)
        return refund(cmd, "NOT_OWNER", batch);
    if (r->paid) /* the same payment again changes nothing; another one is refunded */
        return r->paid_by == fingerprint ? FT_DECIDED : refund(cmd, "ALREADY_PAID", batch);
    if (cmd->payment.amount != r->amount)
        return refund(cmd, "AMOUNT_MISMATCH", batch);
    struct ft_payment_effect e = { .kind = FT_PAY_CONFIRMED, .reservation_id = r->id, .at_ms = cmd->ts_ms,
                                   .payment = cmd->payment };
    if (!ft_batch_add_payment(batch, &e))
        return FT_DECIDE_OUT_OF_MEMORY;
    r->paid = true; /* its expiry, still queued, now passes it by */
    r->paid_by = fingerprint;
    return FT_DECIDED;
}

enum ft_decide_result ft_decide(struct ft_decider *d, const struct ft_command *cmd, int64_t offset,
                                struct ft_batch *batch)
{
    uint64_t found;
    if (!ft_i64map_get(&d->schedules, cmd->schedule_id, &found))
        return FT_DECIDE_NEEDS_SCHEDULE;
    struct schedule *s = (struct schedule *)(uintptr_t)found;
    /* Time passes first: holds due at this command's time end before it is decided. */
    if (!expire_due(s, cmd->ts_ms, batch))
        return FT_DECIDE_OUT_OF_MEMORY;
    enum ft_decide_result result = FT_DECIDED;
    switch (cmd->type) {
    case FT_CMD_RESERVE: result = reserve(d, s, cmd, offset, batch); break;
    case FT_CMD_CANCEL: result = cancel(s, cmd, batch); break;
    case FT_CMD_EXPIRE: break; /* expire_due did what is due */
    case FT_CMD_CONFIRM_PAYMENT: result = confirm_payment(s, cmd, batch); break;
    }
    if (result == FT_DECIDED) {
        batch->commands++;
        batch->next_offset = offset + 1;
    }
    return result;
}

/* --- loading and lifetime -------------------------------------------------------- */

struct ft_decider *ft_decider_new(int32_t partition, int32_t seat_limit)
{
    struct ft_decider *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->partition = partition;
    d->seat_limit = seat_limit;
    ft_i64map_init(&d->schedules);
    return d;
}

void ft_decider_set_id_base(struct ft_decider *decider, int64_t id_base)
{
    decider->id_base = id_base;
}

static void schedule_free(struct schedule *s)
{
    if (s == NULL)
        return;
    free(s->seats);
    free(s->rows);
    ft_i64map_free(&s->seat_index);
    ft_i64map_free(&s->seats_of_user);
    ft_i64map_free(&s->reservation_slot);
    free(s->slots);
    free(s->free_slots);
    free(s->heap);
    free(s);
}

void ft_decider_free(struct ft_decider *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->schedules.capacity; i++)
        if (d->schedules.keys[i] != 0)
            schedule_free((struct schedule *)(uintptr_t)d->schedules.values[i]);
    ft_i64map_free(&d->schedules);
    free(d);
}

bool ft_decider_knows(const struct ft_decider *d, int64_t schedule_id)
{
    uint64_t found;
    return ft_i64map_get(&d->schedules, schedule_id, &found);
}

static int seat_order(const void *a, const void *b)
{
    const struct seat *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

static bool load_seats(struct schedule *s, const struct ft_schedule_seed *seed)
{
    s->seat_count = seed->seat_count;
    s->seats = calloc(seed->seat_count ? seed->seat_count : 1, sizeof *s->seats);
    s->rows = calloc(seed->seat_count ? seed->seat_count : 1, sizeof *s->rows);
    if (s->seats == NULL || s->rows == NULL)
        return false;
    for (size_t i = 0; i < seed->seat_count; i++) {
        const struct ft_seat_seed *in = &seed->seats[i];
        s->seats[i] = (struct seat){ .id = in->id, .price = (int32_t)in->price, .row = (int16_t)in->row,
                                     .number = (int16_t)in->number, .grade = (uint8_t)in->grade };
    }
    qsort(s->seats, s->seat_count, sizeof *s->seats, seat_order);
    for (size_t i = 0; i < s->seat_count; i++) {
        if (i == 0 || s->seats[i].row != s->seats[i - 1].row)
            s->rows[s->row_count++].start = (int32_t)i;
        struct row_range *row = &s->rows[s->row_count - 1];
        row->end = (int32_t)i + 1;
        row->free++;
        row->grades |= (uint8_t)(1u << s->seats[i].grade);
        s->seats[i].row_index = (uint16_t)(s->row_count - 1);
        uint64_t existing;
        if (ft_i64map_get(&s->seat_index, s->seats[i].id, &existing) ||
            !ft_i64map_put(&s->seat_index, s->seats[i].id, i))
            return false;
    }
    return true;
}

static bool load_reservations(struct schedule *s, const struct ft_schedule_seed *seed)
{
    for (size_t i = 0; i < seed->reservation_count; i++) {
        const struct ft_reservation_seed *in = &seed->reservations[i];
        struct reservation r = { .id = in->id, .user_id = in->user_id, .amount = in->amount,
                                 .expires_at_ms = in->expires_at_ms, .paid = in->paid, .paid_by = in->paid_by,
                                 .seat_count = in->seat_count };
        if (in->seat_count < 1 || in->seat_count > FT_SEATS_PER_REQUEST_MAX)
            return false;
        uint64_t known;
        if (ft_i64map_get(&s->reservation_slot, in->id, &known))
            return false; /* the same reservation twice */
        for (int32_t k = 0; k < in->seat_count; k++) {
            uint64_t index;
            if (!ft_i64map_get(&s->seat_index, in->seat_ids[k], &index) || s->seats[index].holder != 0)
                return false;
            for (int32_t j = 0; j < k; j++)
                if (r.seats[j] == (int32_t)index)
                    return false; /* one seat twice in the reservation */
            r.seats[k] = (int32_t)index;
        }
        if (!room_for_hold(s))
            return false;
        hold(s, &r);
    }
    return true;
}

bool ft_decider_add_schedule(struct ft_decider *d, const struct ft_schedule_seed *seed)
{
    if (ft_decider_knows(d, seed->schedule_id))
        return false; /* loaded once: replacing it would lose decided state */
    struct schedule *s = calloc(1, sizeof *s);
    if (s == NULL)
        return false;
    s->id = seed->schedule_id;
    s->exists = seed->exists;
    s->open = seed->open;
    if (!load_seats(s, seed) || !load_reservations(s, seed) ||
        !ft_i64map_put(&d->schedules, seed->schedule_id, (uint64_t)(uintptr_t)s)) {
        schedule_free(s);
        return false;
    }
    return true;
}

bool ft_decider_each_seat(const struct ft_decider *d, int64_t schedule_id, int64_t now_ms,
                          void (*visit)(void *ctx, int64_t seat_id, enum ft_seat_state state), void *ctx)
{
    uint64_t found;
    if (!ft_i64map_get(&d->schedules, schedule_id, &found))
        return false;
    struct schedule *s = (struct schedule *)(uintptr_t)found;
    for (size_t i = 0; i < s->seat_count; i++) {
        enum ft_seat_state state = FT_SEAT_AVAILABLE;
        const struct reservation *r = s->seats[i].holder ? find_reservation(s, s->seats[i].holder) : NULL;
        if (r != NULL && r->paid)
            state = FT_SEAT_SOLD;
        else if (r != NULL && r->expires_at_ms > now_ms)
            state = FT_SEAT_HELD;
        visit(ctx, s->seats[i].id, state);
    }
    return true;
}
